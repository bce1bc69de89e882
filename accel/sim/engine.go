package sim

import (
	"context"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// seq is one request on the simulated device.
type seq struct {
	req        accel.Request
	arrived    time.Duration
	firstToken time.Duration
	lastToken  time.Duration
	produced   int  // output tokens so far
	prefilled  bool // prompt processed
	reserved   float64
}

// engine serves requests with iteration-level continuous batching in virtual
// time: each step runs one decode token for every running sequence plus the
// prefill of newly admitted ones, bounded by KV-cache capacity. It is driven by
// one goroutine and never sleeps.
type engine struct {
	dev *Device

	now     time.Duration
	queue   []*seq // arrived, waiting for KV capacity (FIFO)
	running []*seq
	free    []*seq // recycled seq objects
	kvUsed  float64

	// energy accounting
	joules float64
	peakW  float64

	res accel.Result
}

func newEngine(dev *Device) *engine { return &engine{dev: dev} }

func (e *engine) alloc() *seq {
	if n := len(e.free); n > 0 {
		s := e.free[n-1]
		e.free = e.free[:n-1]
		*s = seq{}
		return s
	}
	return &seq{}
}

// tokensFor is the KV reservation of a request: its whole context at the end.
func tokensFor(r *accel.Request) float64 {
	b := r.Batch
	if b < 1 {
		b = 1
	}
	return float64(b * (r.InputTokens + r.OutputTokens))
}

// idle advances the clock to t with the device idle.
func (e *engine) idle(t time.Duration) {
	if t <= e.now {
		return
	}
	w := e.dev.Power(0)
	e.joules += w * (t - e.now).Seconds()
	if w > e.peakW {
		e.peakW = w
	}
	e.now = t
}

// run drives d until it ends and every request has finished.
func (e *engine) run(ctx context.Context, d accel.Driver) error {
	var (
		pending    = e.alloc()
		pendingAt  time.Duration
		status     = accel.NextWait
		havePend   bool
		driverDone bool
	)
	ask := func() {
		if havePend || driverDone {
			return
		}
		pendingAt, status = d.Next(e.now, &pending.req)
		switch status {
		case accel.NextReady:
			havePend = true
			if pendingAt < e.now {
				pendingAt = e.now
			}
		case accel.NextEnd:
			driverDone = true
		}
	}
	if g, ok := d.(accel.GapRecorder); ok {
		e.res.Gaps = g
	}
	steps := 0
	for {
		if steps++; steps&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ask()
		// Admit every arrival due by now.
		for havePend && pendingAt <= e.now {
			pending.arrived = pendingAt
			e.queue = append(e.queue, pending)
			pending, havePend = e.alloc(), false
			ask()
		}
		e.admit(d)
		if len(e.running) == 0 {
			if havePend {
				e.idle(pendingAt)
				continue
			}
			// admit takes or rejects the queue's head when the device is empty, so
			// nothing is waiting here: the run is over.
			return nil
		}
		e.step(d)
		if status == accel.NextWait {
			status = accel.NextReady // ask again after completions
		}
	}
}

// admit moves queued requests onto the device while their KV reservation fits;
// a request that cannot fit even on an empty device is rejected.
func (e *engine) admit(d accel.Driver) {
	for len(e.queue) > 0 {
		s := e.queue[0]
		need := tokensFor(&s.req)
		if need > e.dev.kvCapacity {
			e.queue = e.queue[1:]
			e.res.Reset()
			e.res.Class = accel.ClassRejected
			d.Done(&s.req, &e.res, s.arrived, e.now)
			e.free = append(e.free, s)
			continue
		}
		if e.kvUsed+need > e.dev.kvCapacity {
			return
		}
		e.queue = e.queue[1:]
		s.reserved = need
		e.kvUsed += need
		e.running = append(e.running, s)
	}
}

// step runs one iteration over the running batch and retires finished requests.
func (e *engine) step(d accel.Driver) {
	var st Step
	for _, s := range e.running {
		b := max(s.req.Batch, 1)
		if !s.prefilled {
			st.PrefillTokens += b * s.req.InputTokens
			st.PrefillSeqs += b
			st.PrefillAttn += float64(b) * float64(s.req.InputTokens) * float64(s.req.InputTokens)
		} else {
			st.DecodeSeqs += b
			st.DecodeCtx += float64(b * (s.req.InputTokens + s.produced))
		}
	}
	c := e.dev.Cost(st)
	w := e.dev.Power(c.Utilization)
	e.joules += w * c.Time.Seconds()
	if w > e.peakW {
		e.peakW = w
	}
	e.now += c.Time
	kept := e.running[:0]
	for _, s := range e.running {
		if !s.prefilled {
			s.prefilled = true
			s.firstToken = e.now
			if s.req.OutputTokens > 0 {
				s.produced = 1 // prefill yields the first token
			}
		} else {
			s.produced++
			if e.res.Gaps != nil {
				e.res.Gaps.RecordGap(c.Time)
			}
		}
		s.lastToken = e.now
		if s.produced >= s.req.OutputTokens {
			e.finish(d, s)
			continue
		}
		kept = append(kept, s)
	}
	clear(e.running[len(kept):])
	e.running = kept
}

func (e *engine) finish(d accel.Driver, s *seq) {
	e.kvUsed -= s.reserved
	e.res.Reset()
	e.res.TTFT = s.firstToken - s.arrived
	e.res.Latency = s.lastToken - s.arrived
	e.res.OutputTokens = s.produced * max(s.req.Batch, 1)
	e.res.Counted = accel.CountedExact
	d.Done(&s.req, &e.res, s.arrived, e.now)
	e.free = append(e.free, s)
}

package sim

import (
	"context"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// engine is the discrete-event, virtual-time server: it asks the driver for
// arrivals, steps the batcher, and advances its clock by each step's predicted
// time. One goroutine, no sleeping, no randomness: the same driver gives the
// same results on any machine. In steady state it allocates nothing per request:
// seq records are recycled and the queue reuses its array.
type engine struct {
	b   batcher
	d   accel.Driver
	gap accel.GapRecorder

	now  time.Duration
	free []*seq
	res  accel.Result

	// accounting
	energy meter
	busy   time.Duration // time spent stepping
	steps  int64
	// phase accounting for predictions: time of steps that only prefill or only
	// decode, and their roofline times, so a caller can say what bound each phase.
	prefill, decode phaseStats
	// trace, when set, records the schedule (TraceScenario).
	trace *tracer
}

// phaseStats sums the steps of one kind.
type phaseStats struct {
	steps             int64
	time, comp, mem   time.Duration
	decodeSeqsInSteps int64
}

func newEngine(dev *Device) *engine {
	return &engine{b: batcher{dev: dev}, energy: newMeter(dev)}
}

func (e *engine) alloc() *seq {
	if n := len(e.free); n > 0 {
		s := e.free[n-1]
		e.free = e.free[:n-1]
		*s = seq{}
		s.req = &s.own
		return s
	}
	s := &seq{}
	s.req = &s.own
	return s
}

// idle advances the clock to t with the device idle.
func (e *engine) idle(t time.Duration) {
	if t <= e.now {
		return
	}
	e.energy.idle(t - e.now)
	e.now = t
}

// run drives d until it ends and every request has finished.
func (e *engine) run(ctx context.Context, d accel.Driver) error {
	e.d = d
	if g, ok := d.(accel.GapRecorder); ok {
		e.gap = g
	}
	var (
		pending    = e.alloc()
		pendingAt  time.Duration
		havePend   bool
		driverDone bool
	)
	ask := func() {
		if havePend || driverDone {
			return
		}
		at, status := d.Next(e.now, pending.req)
		switch status {
		case accel.NextReady:
			havePend, pendingAt = true, max(at, e.now)
		case accel.NextEnd:
			driverDone = true
		}
		// NextWait: ask again after the next step.
	}
	for i := 0; ; i++ {
		ask()
		for havePend && pendingAt <= e.now {
			pending.arrived = pendingAt
			e.b.prepare(pending)
			e.b.push(pending)
			pending, havePend = e.alloc(), false
			ask()
		}
		// Checked after the arrivals due by now are in: when the run is
		// canceled, every request the driver issued for a time at or before
		// the clock has reached the device, and only the one it issued for
		// later has not, so the driver can tell sent from never sent.
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e.b.admit(e.now, e)
		if len(e.b.running) == 0 {
			if !havePend {
				// Rejections free a closed loop's slots without a step:
				// the driver said NextWait before them and has more now.
				ask()
			}
			if havePend {
				e.idle(pendingAt)
				continue
			}
			// admit takes or rejects the queue's head when the device is empty,
			// so nothing waits here: the run is over.
			return nil
		}
		e.step()
	}
}

// step runs one iteration of the batch and advances the clock.
func (e *engine) step() {
	st := e.b.plan()
	if e.trace != nil {
		e.trace.step(st)
	}
	c := e.b.dev.Cost(st)
	e.energy.step(c)
	e.now += c.Time
	e.busy += c.Time
	e.steps++
	switch {
	case st.DecodeSeqs == 0 && st.PrefillTokens > 0:
		e.prefill.add(c, 0)
	case st.DecodeSeqs > 0 && st.PrefillTokens == 0:
		e.decode.add(c, st.DecodeSeqs)
	}
	e.b.commit(e.now, e)
}

func (p *phaseStats) add(c StepCost, seqs int) {
	p.steps++
	p.time += c.Time
	p.comp += c.ComputeTime
	p.mem += c.MemoryTime
	p.decodeSeqsInSteps += int64(seqs)
}

// handler: report to the driver.

func (e *engine) reject(s *seq, now time.Duration, _ float64) {
	e.res.Reset()
	e.res.Class = accel.ClassRejected
	e.d.Done(s.req, &e.res, s.arrived, now)
	e.free = append(e.free, s)
}

func (e *engine) token(s *seq, i int, now time.Duration) {
	if e.trace != nil {
		e.trace.token(s, i)
	}
	if i > 0 && e.gap != nil {
		e.gap.RecordGap(now - s.lastToken)
	}
}

func (e *engine) finish(s *seq, now time.Duration) {
	if e.trace != nil {
		e.trace.finish(s)
	}
	e.res.Reset()
	e.res.TTFT = s.firstToken - s.arrived
	e.res.Latency = now - s.arrived
	e.res.OutputTokens = s.produced * s.mult
	e.res.Counted = accel.CountedExact
	e.d.Done(s.req, &e.res, s.arrived, now)
	e.free = append(e.free, s)
}

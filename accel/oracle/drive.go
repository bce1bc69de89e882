package oracle

import (
	"container/heap"
	"context"
	"errors"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// flight is one request in the oracle, virtual time.
type flight struct {
	req              accel.Request
	arrived, started time.Duration
	finish           time.Duration // its last token, or its error
	order            uint64        // arrival order: ties finish in it
}

// flights is a min-heap of requests by finish time, then arrival order.
type flights []*flight

func (h flights) Len() int { return len(h) }
func (h flights) Less(i, j int) bool {
	if h[i].finish != h[j].finish {
		return h[i].finish < h[j].finish
	}
	return h[i].order < h[j].order
}
func (h flights) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *flights) Push(x any)   { *h = append(*h, x.(*flight)) }
func (h *flights) Pop() any {
	old := *h
	f := old[len(old)-1]
	*h = old[:len(old)-1]
	return f
}

// drive is one Drive: a discrete-event loop over arrivals and completions.
type drive struct {
	b    *Backend
	d    accel.Driver
	gaps accel.GapRecorder

	now   time.Duration
	out   flights
	spare []*flight
	free  []time.Duration // Slots > 0: when each server is next free
	order uint64
	res   accel.Result
}

// errStuck is a driver that waits with nothing in flight: nothing would ever
// wake it.
var errStuck = errors.New("oracle: the driver waits for a completion with no request in flight")

func (e *drive) run(ctx context.Context) error {
	var (
		pend           *flight
		pendAt         time.Duration
		ended, waiting bool
	)
	defer func() {
		// What the context cut off: in the oracle, unfinished.
		e.b.canceled.Add(int64(len(e.out)))
		e.b.inFlight.Add(-int64(len(e.out)))
	}()
	for {
		if pend == nil && !ended && !waiting {
			f := e.alloc()
			at, st := e.d.Next(e.now, &f.req)
			switch st {
			case accel.NextReady:
				pend, pendAt = f, max(at, e.now)
			case accel.NextWait:
				waiting = true
				e.spare = append(e.spare, f)
			default:
				ended = true
				e.spare = append(e.spare, f)
			}
		}
		// Arrivals due by now go in before the context is looked at.
		if pend != nil && pendAt <= e.now {
			e.admit(pend, pendAt)
			pend = nil
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case len(e.out) > 0 && (pend == nil || e.out[0].finish <= pendAt):
			e.complete(heap.Pop(&e.out).(*flight))
			waiting = false
		case pend != nil:
			e.now = pendAt
		case ended:
			return nil
		default:
			return errStuck
		}
	}
}

func (e *drive) alloc() *flight {
	if n := len(e.spare); n > 0 {
		f := e.spare[n-1]
		e.spare = e.spare[:n-1]
		*f = flight{}
		return f
	}
	return new(flight)
}

// admit takes a request in at its arrival: it starts when a server is free
// (at once without slots) and its finish follows from the model.
func (e *drive) admit(f *flight, at time.Duration) {
	c := &e.b.cfg
	e.b.enter()
	f.arrived, f.started, f.order = at, at, e.order
	e.order++
	slot := -1
	if len(e.free) > 0 {
		slot = 0
		for i, t := range e.free {
			if t < e.free[slot] {
				slot = i
			}
		}
		f.started = max(at, e.free[slot])
	}
	f.finish = c.Stall.After(f.started, c.Service(f.req.Seq, f.req.OutputTokens))
	if slot >= 0 {
		e.free[slot] = f.finish
	}
	heap.Push(&e.out, f)
}

// complete reports a finished request to the driver.
func (e *drive) complete(f *flight) {
	c := &e.b.cfg
	b := e.b
	e.now = f.finish
	b.inFlight.Add(-1)
	e.res.Reset()
	if c.Fails(f.req.Seq) {
		b.failed.Add(1)
		e.res.Class = c.FailClass
		e.res.Latency = f.finish - f.arrived
	} else {
		b.completed.Add(1)
		ttft, tpot := c.Times(f.req.Seq)
		first := c.Stall.After(f.started, ttft)
		if e.gaps != nil {
			prev := first
			for i := 1; i < f.req.OutputTokens; i++ {
				t := c.Stall.After(f.started, ttft+time.Duration(i)*tpot)
				e.gaps.RecordGap(t - prev)
				prev = t
			}
		}
		e.res.TTFT = first - f.arrived
		e.res.Latency = f.finish - f.arrived
		e.res.OutputTokens = f.req.OutputTokens * max(f.req.Batch, 1)
		e.res.Counted = accel.CountedExact
	}
	e.d.Done(&f.req, &e.res, f.arrived, f.finish)
	e.spare = append(e.spare, f)
}

package sim

import (
	"context"
	"sync"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// rtCall is one Infer call waiting on the real-time engine. Calls are pooled
// per backend, so a steady stream of requests allocates nothing.
type rtCall struct {
	s     seq
	res   *accel.Result
	start time.Time // when Infer was called: TTFT and latency are measured from it
	last  time.Time // the previous token, for inter-token gaps
	done  chan struct{}
	err   error
	state int // rtQueued, rtDone: touched only by the engine goroutine
}

const (
	rtQueued = iota
	rtDone
)

// rtEngine serves concurrent Infer calls on one simulated device in wall-clock
// time. Concurrency scheme: one goroutine owns the batcher and every seq. Infer
// hands it a call over submit and blocks on the call's done channel; the engine
// steps the same continuous-batching model as the virtual engine, sleeping each
// step's predicted time, and calls OnToken, records gaps and fills the result
// from its own goroutine. A canceled Infer sends its call over cancel and waits
// for done, so the engine never touches a request after its Infer returned.
type rtEngine struct {
	b      batcher
	submit chan *rtCall
	cancel chan *rtCall
	quit   chan struct{}
	exited chan struct{}
	epoch  time.Time

	mu        sync.Mutex // guards the energy account, read by Energy
	meter     meter
	accounted time.Duration // device time accounted so far, since epoch
}

func startRT(dev *Device) *rtEngine {
	e := &rtEngine{
		b:      batcher{dev: dev},
		submit: make(chan *rtCall),
		cancel: make(chan *rtCall),
		quit:   make(chan struct{}),
		exited: make(chan struct{}),
		epoch:  time.Now(),
	}
	go e.loop()
	return e
}

func (e *rtEngine) since() time.Duration { return time.Since(e.epoch) }

// account adds energy for the device time from the last account to now, at a
// power; idle gaps are accounted at idle power.
func (e *rtEngine) account(now time.Duration, stepTime time.Duration, util float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.meter.add(e.b.dev, now-stepTime-e.accounted, 0)
	e.meter.add(e.b.dev, stepTime, util)
	e.accounted = now
}

// energy reports the account, counting idle time up to now.
func (e *rtEngine) energy() accel.Energy {
	now := e.since()
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.meter
	m.add(e.b.dev, now-e.accounted, 0) // idle since the last step
	return accel.Energy{Joules: m.joules, Elapsed: now, PeakW: max(m.peakW, e.b.dev.Power(0))}
}

func (e *rtEngine) loop() {
	defer close(e.exited)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	// due is the device clock: when the last step finished. Steps that run
	// back to back start at the previous one's due time, not when the timer
	// happened to fire, so a timer's lateness (tens of µs to a millisecond
	// here) is absorbed by the next wait instead of adding up over a stream.
	var due time.Duration
	for {
		if e.b.idle() {
			select {
			case c := <-e.submit:
				e.enqueue(c)
			case c := <-e.cancel:
				e.drop(c)
			case <-e.quit:
				e.shutdown()
				return
			}
			continue
		}
		e.b.admit(e.since(), e)
		if len(e.b.running) == 0 {
			continue
		}
		st := e.b.plan()
		cost := e.b.dev.Cost(st)
		now := e.since()
		start := now
		if due > 0 && now-due < catchUp {
			start = due
		}
		due = start + cost.Time
		timer.Reset(due - now) // at once when already due
	wait:
		for {
			select {
			case <-timer.C:
				break wait
			case c := <-e.submit:
				e.enqueue(c) // admitted at the next step, as on a real server
			case c := <-e.cancel:
				e.drop(c)
			case <-e.quit:
				timer.Stop()
				e.shutdown()
				return
			}
		}
		e.account(due, cost.Time, cost.Utilization)
		e.b.commit(due, e)
	}
}

// catchUp is how far behind its device clock the engine may fall and still
// keep it: beyond it (a long descheduling, or the device was idle) the clock
// restarts from now rather than rushing steps to catch up.
const catchUp = 5 * time.Millisecond

func (e *rtEngine) enqueue(c *rtCall) {
	c.s.arrived = e.since()
	e.b.prepare(&c.s)
	e.b.push(&c.s)
}

// drop removes a canceled call, if it is still waiting or running.
func (e *rtEngine) drop(c *rtCall) {
	if c.state == rtDone {
		return // finished while its Infer was being canceled: done is already sent
	}
	e.b.remove(&c.s)
	c.res.Class = accel.ClassCanceled
	c.err = accel.Errorf(accel.ClassCanceled, "request %d canceled after %d of %d output tokens", c.s.req.Seq, c.s.produced, c.s.out)
	e.wake(c)
}

// shutdown fails every call still on the device: Close was called.
func (e *rtEngine) shutdown() {
	fail := func(s *seq) {
		c := s.call
		c.res.Class = accel.ClassCanceled
		c.err = accel.Errorf(accel.ClassCanceled, "request %d: simulated device closed", s.req.Seq)
		e.wake(c)
	}
	for _, s := range e.b.running {
		fail(s)
	}
	for e.b.queued() > 0 {
		fail(e.b.pop())
	}
	e.b.running = e.b.running[:0]
}

func (e *rtEngine) wake(c *rtCall) {
	c.state = rtDone
	c.done <- struct{}{} // buffered: never blocks
}

// handler: wake the waiting Infer calls.

func (e *rtEngine) reject(s *seq, _ time.Duration, capacity float64) {
	c := s.call
	c.res.Class = accel.ClassRejected
	c.err = accel.Errorf(accel.ClassRejected, "request %d needs %.0f tokens of KV cache (batch %d × (%d prompt + %d output)); %s holds %.0f",
		s.req.Seq, s.need, s.mult, s.in, s.out, e.b.dev.describe(), capacity)
	e.wake(c)
}

func (e *rtEngine) token(s *seq, i int, _ time.Duration) {
	c := s.call
	now := time.Now()
	if i == 0 {
		c.res.TTFT = now.Sub(c.start)
	} else if c.res.Gaps != nil {
		c.res.Gaps.RecordGap(now.Sub(c.last))
	}
	c.last = now
	if fn := s.req.OnToken; fn != nil {
		fn(i)
	}
}

func (e *rtEngine) finish(s *seq, _ time.Duration) {
	c := s.call
	c.res.Latency = time.Since(c.start)
	if s.out == 0 {
		c.res.TTFT = c.res.Latency // an encoder: the whole pass
	}
	c.res.OutputTokens = s.produced * s.mult
	c.res.Counted = accel.CountedExact
	e.wake(c)
}

// infer runs one call through the engine and waits for it.
func (e *rtEngine) infer(ctx context.Context, pool *sync.Pool, req *accel.Request, res *accel.Result) error {
	if err := ctx.Err(); err != nil {
		res.Class = accel.ClassCanceled
		return accel.Errorf(accel.ClassCanceled, "request %d: %v", req.Seq, err)
	}
	c, _ := pool.Get().(*rtCall)
	if c == nil {
		c = &rtCall{done: make(chan struct{}, 1)}
	}
	done := c.done
	*c = rtCall{done: done, res: res, start: time.Now(), state: rtQueued}
	c.s.req, c.s.call = req, c
	select {
	case e.submit <- c:
	case <-e.exited:
		pool.Put(c)
		res.Class = accel.ClassCanceled
		return accel.Errorf(accel.ClassCanceled, "request %d: simulated device closed", req.Seq)
	case <-ctx.Done():
		pool.Put(c)
		res.Class = accel.ClassCanceled
		return accel.Errorf(accel.ClassCanceled, "request %d: %v", req.Seq, ctx.Err())
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		select {
		case e.cancel <- c:
		case <-e.exited:
		}
		<-c.done
	}
	err := c.err
	*c = rtCall{done: done}
	pool.Put(c)
	return err
}

package sim

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/sleep"
)

// rtCall is one Infer call waiting on the real-time engine. Calls are pooled
// per backend, so a steady stream of requests allocates nothing.
type rtCall struct {
	s     seq
	res   *accel.Result
	start time.Time // when the request arrived (accel.Arrival): TTFT and latency count from it
	last  time.Time // the previous token, for inter-token gaps
	done  chan struct{}
	err   error
	state int // rtSubmitted, rtQueued, rtDone: after the submit, touched only by the engine goroutine
}

const (
	rtSubmitted = iota // sent to the engine, not taken yet
	rtQueued           // taken: waiting or running on the device
	rtDone
)

// rtEngine serves concurrent Infer calls on one simulated device in wall-clock
// time. Concurrency scheme: one goroutine owns the batcher and every seq. Infer
// hands it a call over submit and blocks on the call's done channel; the engine
// steps the same continuous-batching model as the virtual engine, sleeping each
// step's predicted time, and calls OnToken, records gaps and fills the result
// from its own goroutine. A canceled Infer sends its call over cancel and waits
// for done, so the engine never touches a request after its Infer returned.
//
// The engine sleeps through a step with a sleep.Sleeper, which wakes within
// microseconds of the step's end but cannot listen to channels meanwhile:
// submit and cancel are buffered, and what came during the step is taken
// when it ends — which is when a real server's engine loop takes it too.
// (It used to sleep on a Go timer in a select, and Go's timers fire up to a
// millisecond late: served, the median TTFT at 2 req/s was 8.9 ms where the
// same engine in virtual time, on the same arrivals, said 6.0.)
type rtEngine struct {
	b      batcher
	submit chan *rtCall
	cancel chan *rtCall
	ctx    context.Context // done: Close was called
	stop   context.CancelFunc
	exited chan struct{}
	epoch  time.Time
	timers *sleep.Timers

	mu        sync.Mutex // guards the energy account, read by Energy
	meter     meter
	accounted time.Duration // device time accounted so far, since epoch
}

// rtBuffer is how many submits, and cancels, wait for a step's end before
// their senders block.
const rtBuffer = 1024

func startRT(dev *Device, cache *prefixCache) *rtEngine {
	ctx, stop := context.WithCancel(context.Background())
	e := &rtEngine{
		b:      batcher{dev: dev, cache: cache},
		submit: make(chan *rtCall, rtBuffer),
		cancel: make(chan *rtCall, rtBuffer),
		ctx:    ctx,
		stop:   stop,
		exited: make(chan struct{}),
		epoch:  time.Now(),
		timers: sleep.NewTimers(1),
		meter:  newMeter(dev),
	}
	go e.loop()
	return e
}

func (e *rtEngine) since() time.Duration { return time.Since(e.epoch) }

// account adds energy for the device time from the last account to now: the
// step that ended at now at its power, the gap before it at idle power.
func (e *rtEngine) account(now time.Duration, c StepCost) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.meter.idle(now - c.Time - e.accounted)
	e.meter.step(c)
	e.accounted = now
}

// energy reports the account, counting idle time up to now.
func (e *rtEngine) energy() accel.Energy {
	now := e.since()
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.meter
	m.idle(now - e.accounted) // idle since the last step
	return accel.Energy{Joules: m.joules, Elapsed: now, PeakW: max(m.peakW, m.idleW())}
}

func (e *rtEngine) loop() {
	defer close(e.exited)
	defer e.timers.Close()
	sl := sleep.New(e.timers)
	// due is the device clock: when the last step finished. Steps that run
	// back to back start at the previous one's due time, not when the wait
	// happened to end, so a late wake-up is absorbed by the next wait instead
	// of adding up over a stream.
	var due time.Duration
	for {
		if e.b.idle() {
			select {
			case c := <-e.submit:
				e.enqueue(c)
			case c := <-e.cancel:
				e.drop(c)
			case <-e.ctx.Done():
				e.shutdown()
				return
			}
			continue
		}
		wasIdle := len(e.b.running) == 0
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
		if wasIdle {
			// An idle device starts on the first request when it arrived: the
			// call reaches this goroutine after the server's and this
			// process's wake-ups, which are not the device's. Never before
			// the last step ended, nor more than catchUp back.
			start = max(e.firstArrival(), due, now-catchUp)
		}
		due = start + cost.Time
		if _, err := sl.Until(e.ctx, e.epoch.Add(due)); err != nil {
			e.shutdown()
			return
		}
		e.take() // requests that came during the step join at the next
		e.account(due, cost)
		e.b.commit(due, e)
	}
}

// take enqueues the submits and applies the cancels that are waiting.
func (e *rtEngine) take() {
	for {
		select {
		case c := <-e.submit:
			e.enqueue(c)
		case c := <-e.cancel:
			e.drop(c)
		default:
			return
		}
	}
}

// firstArrival is the earliest arrival among the running requests.
func (e *rtEngine) firstArrival() time.Duration {
	first := time.Duration(math.MaxInt64)
	for _, s := range e.b.running {
		first = min(first, s.arrived)
	}
	return first
}

// catchUp is how far behind its device clock the engine may fall and still
// keep it: beyond it (a long descheduling, or the device was idle) the clock
// restarts from now rather than rushing steps to catch up.
const catchUp = 5 * time.Millisecond

func (e *rtEngine) enqueue(c *rtCall) {
	c.state = rtQueued
	c.s.arrived = c.start.Sub(e.epoch)
	e.b.prepare(&c.s)
	e.b.push(&c.s)
}

// drop removes a canceled call, if it is still waiting or running.
func (e *rtEngine) drop(c *rtCall) {
	// take reads the submit and cancel channels in one select, which picks
	// at random between the ready ones, so a call's cancel can come out
	// before its submit. Its submit was sent first and is in the buffer:
	// take the submits up to it now. Dropped before it was taken, the call
	// was woken, returned and pooled, and its submit, taken later, ran a
	// recycled call (a data race, then a nil dereference under load).
	for c.state == rtSubmitted {
		e.enqueue(<-e.submit)
	}
	if c.state == rtDone {
		return // finished while its Infer was being canceled: done is already sent
	}
	e.b.remove(&c.s)
	c.res.Class = accel.ClassCanceled
	c.err = accel.Errorf(accel.ClassCanceled, "request %d canceled after %d of %d output tokens", c.s.req.Seq, c.s.produced, c.s.out)
	e.wake(c)
}

// shutdown fails every call still on the device or waiting to be taken:
// Close was called.
func (e *rtEngine) shutdown() {
	e.take()
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

// orphaned settles a call whose engine exited: the engine either answered
// it before exiting or never took it (it was submitted after the engine's
// last look), and then never will.
func (e *rtEngine) orphaned(c *rtCall) {
	select {
	case <-c.done:
	default:
		c.res.Class = accel.ClassCanceled
		c.err = accel.Errorf(accel.ClassCanceled, "request %d: simulated device closed", c.s.req.Seq)
	}
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
	*c = rtCall{done: done, res: res, start: accel.Arrival(ctx), state: rtSubmitted}
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
			select { // buffered: an exiting engine may not take it
			case <-c.done:
			case <-e.exited:
				e.orphaned(c)
			}
		case <-e.exited:
			e.orphaned(c)
		}
	case <-e.exited:
		e.orphaned(c)
	}
	err := c.err
	*c = rtCall{done: done}
	pool.Put(c)
	return err
}

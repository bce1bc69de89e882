// Package oracle is a backend whose answers are known before the run: each
// request's time to first token, time per output token, failure and stalls
// follow from its Config and its sequence number alone. It serves in
// virtual time (accel.Virtual), exactly, and in real time (Infer), as
// exactly as the operating system sleeps. Opened for real time
// (Config.Realtime) it says so (accel.Clock: VirtualTime is false), as
// sim does, so the load generator sends it real concurrent calls.
//
// It exists so that the load generator can be tested against the answer.
// A real server's service times are whatever they were; the oracle's are
// what the test wrote down, so every figure the harness reports can be
// checked against a hand computation: Little's law for a closed loop
// (throughput = concurrency / service time), latency equal to service time
// in an open loop below saturation, the p99 that a stall schedule implies
// when latency counts from the schedule (coordinated omission), the error
// rate of a server that fails every k-th request. A harness that reports
// anything else is wrong; the backend cannot be.
//
// The model: a request is served in FIFO order by one of Config.Slots
// servers (unlimited when 0). Its token i (from 0) comes TTFT + i·TPOT of
// working time after its service starts; a request of n output tokens
// therefore takes TTFT + (n−1)·TPOT (TTFT when n is 0). During a stall
// window the server works on nothing: a request in service is paused, and
// one that arrives waits for the window's end. A request chosen to fail
// answers with its error at its first token's time. Times count from the
// start of a Drive (virtual time) or from Config.Epoch (real time).
package oracle

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Config is what the oracle answers.
type Config struct {
	// TTFT is the working time from a request's start of service to its
	// first token; TPOT the working time between its tokens.
	TTFT time.Duration
	TPOT time.Duration
	// Schedule, when set, gives each request's TTFT and TPOT by its
	// sequence number instead.
	Schedule func(seq uint64) (ttft, tpot time.Duration)
	// FailEvery fails every k-th request by sequence number (those with
	// seq%k == k−1): 1 fails all of them, 2 every other one; 0 none.
	// FailClass is their error class (default accel.ClassHTTP5xx).
	FailEvery uint64
	FailClass accel.ErrClass
	// Stall freezes the server once a period.
	Stall Stall
	// Slots is how many requests are served at once; more wait in arrival
	// order. 0 serves every request at once (no queue).
	Slots int
	// Epoch is when real time starts, for the stall windows (zero: when
	// New was called). Virtual time starts at each Drive's 0.
	Epoch time.Time
	// Realtime says the oracle is to be served real concurrent calls in
	// wall-clock time: VirtualTime is false, so the load generator calls
	// Infer instead of Drive. It is how it was opened, not what it
	// answers, so Spec leaves it out, as sim's id leaves out its mode.
	Realtime bool
}

// Stall is a stall window of For at the end of every period of Every:
// the server is frozen during [k·Every − For, k·Every) for k = 1, 2, ...
// The zero value never stalls.
type Stall struct {
	Every time.Duration
	For   time.Duration
}

// After returns when work of working time, begun at t, is done: t + work,
// plus every stall window on the way (a start inside a window waits for its
// end; work that would end exactly at a window's start ends there).
func (s Stall) After(t, work time.Duration) time.Duration {
	if s.Every <= 0 || s.For <= 0 {
		return t + work
	}
	t = max(t, 0)
	for {
		p := t / s.Every * s.Every
		from, to := p+s.Every-s.For, p+s.Every
		if t >= from {
			t = to // frozen: wait for the window's end
			continue
		}
		if t+work <= from {
			return t + work
		}
		work -= from - t
		t = to
	}
}

// Stats counts what the oracle served since New: the answer a test holds
// the harness's counts against.
type Stats struct {
	// Calls is the requests that reached the oracle: Infer calls in real
	// time, arrivals in virtual time.
	Calls     int64
	Completed int64
	Failed    int64 // failed by design (FailEvery)
	Canceled  int64 // cut off by the caller's context (or, virtual, the run's)
	// MaxInFlight is the most requests in the oracle at once, queued
	// ones included.
	MaxInFlight int64
}

// Backend is an oracle. It is safe for concurrent Infer calls.
type Backend struct {
	cfg   Config
	slots chan struct{} // real time: a token per slot in use; nil when unlimited

	calls, completed, failed, canceled atomic.Int64
	inFlight, maxInFlight              atomic.Int64

	timers sync.Pool // *time.Timer, so a sleep allocates nothing
}

var (
	_ accel.Virtual = (*Backend)(nil)
	_ accel.Clock   = (*Backend)(nil)
)

// New returns an oracle answering as c says. Its errors name the bad value.
func New(c Config) (*Backend, error) {
	switch {
	case c.TTFT < 0 || c.TPOT < 0:
		return nil, fmt.Errorf("oracle: ttft %v, tpot %v: want zero or positive durations", c.TTFT, c.TPOT)
	case c.Slots < 0:
		return nil, fmt.Errorf("oracle: slots %d: want 0 (unlimited) or more", c.Slots)
	case c.Stall.Every < 0 || c.Stall.For < 0:
		return nil, fmt.Errorf("oracle: stall %v every %v: want zero or positive durations", c.Stall.For, c.Stall.Every)
	case c.Stall.For > 0 && c.Stall.For >= c.Stall.Every:
		return nil, fmt.Errorf("oracle: stall %v every %v: the stall must be shorter than its period", c.Stall.For, c.Stall.Every)
	}
	if c.FailClass == accel.ClassNone {
		c.FailClass = accel.ClassHTTP5xx
	}
	if c.Epoch.IsZero() {
		c.Epoch = time.Now()
	}
	b := &Backend{cfg: c}
	if c.Slots > 0 {
		b.slots = make(chan struct{}, c.Slots)
	}
	return b, nil
}

// Info describes the oracle. Its id is the spec that opens the same
// oracle, so two oracles with other answers never pass for one backend in a
// report or a comparison.
func (b *Backend) Info() accel.Info {
	return accel.Info{ID: b.cfg.Spec(), Kind: "oracle", Name: "oracle (known answers)"}
}

// Spec is the backend spec of c's options, in a fixed order, without the
// zero ones (a Schedule cannot be written in a spec: it shows as
// schedule=func).
func (c Config) Spec() string {
	var opts []string
	add := func(k, v string) { opts = append(opts, k+"="+v) }
	if c.TTFT > 0 {
		add("ttft", c.TTFT.String())
	}
	if c.TPOT > 0 {
		add("tpot", c.TPOT.String())
	}
	if c.Schedule != nil {
		add("schedule", "func")
	}
	if c.FailEvery > 0 {
		add("fail-every", strconv.FormatUint(c.FailEvery, 10))
	}
	if c.Stall.Every > 0 && c.Stall.For > 0 {
		add("stall", c.Stall.For.String()+"/"+c.Stall.Every.String())
	}
	if c.Slots > 0 {
		add("slots", strconv.Itoa(c.Slots))
	}
	if len(opts) == 0 {
		return "oracle"
	}
	return "oracle?" + strings.Join(opts, "&")
}

// VirtualTime reports whether the oracle was opened for virtual time (the
// default) rather than wall-clock time (Config.Realtime).
func (b *Backend) VirtualTime() bool { return !b.cfg.Realtime }

// Close does nothing.
func (b *Backend) Close() error { return nil }

// Stats returns the counts so far.
func (b *Backend) Stats() Stats {
	return Stats{
		Calls: b.calls.Load(), Completed: b.completed.Load(), Failed: b.failed.Load(),
		Canceled: b.canceled.Load(), MaxInFlight: b.maxInFlight.Load(),
	}
}

// Times returns request seq's TTFT and TPOT.
func (c *Config) Times(seq uint64) (ttft, tpot time.Duration) {
	if c.Schedule != nil {
		return c.Schedule(seq)
	}
	return c.TTFT, c.TPOT
}

// Fails says whether request seq fails by design.
func (c *Config) Fails(seq uint64) bool {
	return c.FailEvery > 0 && seq%c.FailEvery == c.FailEvery-1
}

// Service is the working time of request seq with n output tokens: to its
// last token, or to its error when it fails.
func (c *Config) Service(seq uint64, n int) time.Duration {
	ttft, tpot := c.Times(seq)
	if c.Fails(seq) || n <= 1 {
		return ttft
	}
	return ttft + time.Duration(n-1)*tpot
}

// enter counts a request into the oracle.
func (b *Backend) enter() {
	b.calls.Add(1)
	n := b.inFlight.Add(1)
	for {
		m := b.maxInFlight.Load()
		if n <= m || b.maxInFlight.CompareAndSwap(m, n) {
			return
		}
	}
}

func (b *Backend) failErr(req *accel.Request, res *accel.Result) error {
	b.failed.Add(1)
	res.Class = b.cfg.FailClass
	return accel.Errorf(b.cfg.FailClass, "oracle: request %d fails by design (every %d-th)", req.Seq, b.cfg.FailEvery)
}

func (b *Backend) cancelErr(ctx context.Context, req *accel.Request, res *accel.Result, tokens int) error {
	b.canceled.Add(1)
	res.Class = accel.ClassCanceled
	return accel.Errorf(accel.ClassCanceled, "oracle: request %d canceled after %d of %d output tokens: %v", req.Seq, tokens, req.OutputTokens, context.Cause(ctx))
}

// Infer serves one request in real time: it waits for a slot, then sleeps
// until each token is due, as the model says. It sleeps to every token when
// the caller watches them (res.Gaps or req.OnToken), else to the first and
// the last only; keep token counts small in real time. TTFT and Latency
// are measured, from the call, not copied from the model. The context ends
// the call at once with accel.ClassCanceled.
func (b *Backend) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	called := time.Now()
	b.enter()
	defer b.inFlight.Add(-1)
	if ctx.Err() != nil {
		return b.cancelErr(ctx, req, res, 0)
	}
	if b.slots != nil {
		select {
		case b.slots <- struct{}{}:
			defer func() { <-b.slots }()
		case <-ctx.Done():
			return b.cancelErr(ctx, req, res, 0)
		}
	}
	c := &b.cfg
	start := time.Since(c.Epoch)
	ttft, tpot := c.Times(req.Seq)
	if c.Fails(req.Seq) {
		if !b.sleepUntil(ctx, c.Stall.After(start, ttft)) {
			return b.cancelErr(ctx, req, res, 0)
		}
		return b.failErr(req, res)
	}
	n := req.OutputTokens
	watched := res.Gaps != nil || req.OnToken != nil
	var last time.Time
	for i := range max(n, 1) {
		if i > 0 && i < n-1 && !watched {
			continue
		}
		if !b.sleepUntil(ctx, c.Stall.After(start, ttft+time.Duration(i)*tpot)) {
			return b.cancelErr(ctx, req, res, i)
		}
		now := time.Now()
		if i == 0 {
			res.TTFT = now.Sub(called)
		} else if res.Gaps != nil {
			res.Gaps.RecordGap(now.Sub(last))
		}
		last = now
		if req.OnToken != nil && n > 0 {
			req.OnToken(i)
		}
	}
	res.Latency = time.Since(called)
	res.OutputTokens = n * max(req.Batch, 1)
	res.Counted = accel.CountedExact
	b.completed.Add(1)
	return nil
}

// sleepUntil sleeps until due (since the epoch); false when ctx ended first.
func (b *Backend) sleepUntil(ctx context.Context, due time.Duration) bool {
	d := time.Until(b.cfg.Epoch.Add(due))
	if d <= 0 {
		return ctx.Err() == nil
	}
	t, _ := b.timers.Get().(*time.Timer)
	if t == nil {
		t = time.NewTimer(d)
	} else {
		t.Reset(d)
	}
	defer b.timers.Put(t)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}

// Drive serves d's requests in virtual time, exactly as the model says, on
// the caller's goroutine and without sleeping. The arrivals due by the
// clock are taken in before the context is looked at, so a canceled run
// ends with every request the driver issued for a time at or before the
// clock in the oracle (counted Canceled if unfinished), and none issued for
// later; a completion and an arrival at the same instant are taken in that
// order. Gaps are recorded, when d is an accel.GapRecorder, as each
// request finishes. It serves even when Config.Realtime is set: that only
// tells the load generator (accel.AsVirtual) not to call it.
func (b *Backend) Drive(ctx context.Context, d accel.Driver) error {
	e := drive{b: b, d: d}
	e.gaps, _ = d.(accel.GapRecorder)
	if b.cfg.Slots > 0 {
		e.free = make([]time.Duration, b.cfg.Slots)
	}
	return e.run(ctx)
}

package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// virtualDriver issues a plan to a virtual-time backend, on the backend's
// goroutine, with no sleeping: open loops return each arrival's scheduled
// time, offline returns t=0 for every request, and closed loops (single
// stream is a closed loop of one) return "now" while fewer than Concurrency
// requests are in flight and wait otherwise. In virtual time the harness is
// never late, so latency from arrival is latency from schedule, and no lag
// is recorded.
//
// An interrupt (the context) stops the engine where its clock is. What was
// sent by then and not finished counts as canceled, as a real-time run's
// requests still out after the grace period do; the request the plan holds
// for a later time was never sent and is not counted. The engines check the
// context only once the arrivals due by their clock are in, so the driver
// tells the two apart by time: a request issued for later than the latest
// clock it was shown (in Next or Done) has not arrived.
//
// The fail-fast rule (Config.FailFastRequests and FailFastWindow) applies
// as in real time, exactly: completions come in time order. A closed loop
// does not back off after connect failures here: nothing is dialled, and
// the rule bounds what an all-failing backend costs.
type virtualDriver struct {
	cfg         *Config
	arr         *Arrivals
	closed      bool
	conc        int
	outstanding int
	last        time.Duration
	rec         *Recorder
	t           tally
	rule        stopRule
	stopped     string // why a stopping rule ended the plan
	checkAt     int64  // completions at which to evaluate the rule next
	streak      failStreak
	failFast    string // why the fail-fast rule ended the plan

	live    int64         // issued for warm-up's end or later, not done
	lastNow time.Duration // the latest clock the engine showed
	readyAt time.Duration // the latest request's arrival time

	sess *sessionDriver // with Config.Sessions
	// spare are prefix id buffers of requests done: a request in flight
	// keeps its own until Done, so an engine may read it at admission.
	spare [][]uint64
}

// prefixBuf is an empty buffer for a request's prefix ids.
func (d *virtualDriver) prefixBuf() []uint64 {
	if n := len(d.spare); n > 0 {
		b := d.spare[n-1]
		d.spare = d.spare[:n-1]
		return b[:0]
	}
	return nil
}

var (
	_ accel.Driver      = (*virtualDriver)(nil)
	_ accel.GapRecorder = (*virtualDriver)(nil)
)

func (d *virtualDriver) Next(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	c := d.cfg
	d.lastNow = max(d.lastNow, now)
	if d.stopped != "" {
		return 0, accel.NextEnd
	}
	if d.sess != nil {
		return d.nextTurn(now, req)
	}
	if d.closed {
		if c.Duration > 0 && now >= c.Warmup+c.Duration {
			return 0, accel.NextEnd
		}
		if d.outstanding >= d.conc {
			return 0, accel.NextWait
		}
	}
	seq, at, ok := d.arr.Next()
	if !ok {
		return 0, accel.NextEnd
	}
	if d.closed {
		at = now
	}
	*req = accel.Request{Seq: seq, Model: c.Model, Precision: c.Precision, Batch: 1}
	if in, out, hash, ok := d.arr.Lengths(); ok {
		req.InputTokens, req.OutputTokens = in, out
		if len(hash) > 0 {
			req.Prefix, req.PrefixBlock = append(d.prefixBuf(), hash...), d.arr.block()
		}
	} else {
		req.InputTokens, req.OutputTokens = c.Lengths.Draw(seq)
		if c.SharedPrefix.Groups > 0 {
			c.sharedPrefix(req, seq, d.prefixBuf())
		}
	}
	d.outstanding++
	d.readyAt = max(at, now)
	if d.readyAt >= c.Warmup {
		d.live++
	}
	return d.readyAt, accel.NextReady
}

func (d *virtualDriver) Done(req *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	d.outstanding--
	if d.sess != nil {
		d.turnDone(req, res, finished)
	}
	if cap(req.Prefix) > 0 {
		d.spare = append(d.spare, req.Prefix[:0])
		req.Prefix = nil
	}
	d.last = max(d.last, finished)
	d.lastNow = max(d.lastNow, finished)
	if arrived < d.cfg.Warmup {
		return
	}
	d.live--
	var err error
	if res.Class != accel.ClassNone {
		err = accel.Errorf(res.Class, "request %d (%d+%d tokens) failed in virtual time", req.Seq, req.InputTokens, req.OutputTokens)
	}
	// Offline counts latency from t=0, when every request was available.
	lat, ttft := res.Latency, res.TTFT
	if d.cfg.process() == Burst {
		lat, ttft = finished, arrived+res.TTFT
		d.rec.record(d.rec.Service, res.Latency)
	}
	d.t.add(d.rec, req, res, err, lat, ttft)
	d.rec.Timeline.add(arrived, ttft, err == nil)
	if c := d.cfg; c.failFastOn() {
		switch {
		case res.Class == accel.ClassNone:
			d.streak.ok()
		case countsForFailFast(res.Class):
			// Completions come in time order here: the streak is exact.
			if why := d.streak.fail(c, finished-c.Warmup); why != "" && d.more(finished) {
				d.stopped, d.failFast = why, why
			}
		}
	}
	if d.rule.active() && d.t.requests >= d.checkAt {
		// Evaluating reads histograms: every 1/16 more requests, not each one.
		d.checkAt = d.t.requests + max(d.t.requests/16, 64)
		if why := d.rule.check(d.rec, finished-d.cfg.Warmup, d.t.requests, d.t.errors); why != "" {
			d.stopped = why
		}
	}
}

// more says whether the plan would still issue a request at now: a rule
// that ends the run stops something only then (a run whose last 100
// requests failed at the end of its plan was not cut short).
func (d *virtualDriver) more(now time.Duration) bool {
	c := d.cfg
	if d.stopped != "" || d.closed && c.Duration > 0 && now >= c.Warmup+c.Duration {
		return false
	}
	left, counted := d.arr.Left()
	return !counted || left > 0
}

// interrupted counts the requests the engine had when it stopped, sent and
// unfinished, as canceled.
func (d *virtualDriver) interrupted() {
	n := d.live
	if d.readyAt > d.lastNow && d.readyAt >= d.cfg.Warmup {
		n-- // issued for later: the engine's clock never reached it
	}
	if n <= 0 {
		return
	}
	i := classIndex(accel.ClassCanceled)
	d.t.requests += n
	d.t.errors += n
	d.t.byClass[i] += n
	if d.t.examples[i] == "" {
		d.t.examples[i] = fmt.Sprintf("canceled: %d requests in flight when the run was interrupted at %v of virtual time", n, d.lastNow)
	}
}

func (d *virtualDriver) RecordGap(g time.Duration) { d.rec.RecordGap(g) }

// runVirtual drives a virtual-time backend through the plan.
func runVirtual(ctx context.Context, v accel.Virtual, c *Config) (*Result, error) {
	res := newResult(*c)
	res.Virtual = true
	p := c.process()
	d := &virtualDriver{
		cfg: c, arr: NewArrivals(c), rec: res.Recorder, rule: stopRule{c},
		closed: p == ASAP, conc: c.concurrency(),
	}
	if c.Sessions.Turns > 0 {
		d.sess = &sessionDriver{}
	}
	if err := v.Drive(ctx, d); err != nil && ctx.Err() == nil {
		return nil, err
	}
	if ctx.Err() != nil {
		d.interrupted()
	}
	res.addTally(&d.t)
	res.Elapsed = max(d.last-c.Warmup, 0)
	res.Stopped = d.stopped
	res.failFast = d.failFast
	res.Workers = d.conc
	return res, nil
}

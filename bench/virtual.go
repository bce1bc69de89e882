package bench

import (
	"context"
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
}

var (
	_ accel.Driver      = (*virtualDriver)(nil)
	_ accel.GapRecorder = (*virtualDriver)(nil)
)

func (d *virtualDriver) Next(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	c := d.cfg
	if d.stopped != "" {
		return 0, accel.NextEnd
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
	req.InputTokens, req.OutputTokens = c.Lengths.Draw(seq)
	d.outstanding++
	return max(at, now), accel.NextReady
}

func (d *virtualDriver) Done(req *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	d.outstanding--
	d.last = max(d.last, finished)
	if arrived < d.cfg.Warmup {
		return
	}
	var err error
	if res.Class != accel.ClassNone {
		err = accel.Errorf(res.Class, "request %d (%d+%d tokens) failed on the simulated device", req.Seq, req.InputTokens, req.OutputTokens)
	}
	// Offline counts latency from t=0, when every request was available.
	lat, ttft := res.Latency, res.TTFT
	if d.cfg.process() == Burst {
		lat, ttft = finished, arrived+res.TTFT
		d.rec.record(d.rec.Service, res.Latency)
	}
	d.t.add(d.rec, req, res, err, lat, ttft)
	if d.rule.active() && d.t.requests >= d.checkAt {
		// Evaluating reads histograms: every 1/16 more requests, not each one.
		d.checkAt = d.t.requests + max(d.t.requests/16, 64)
		if why := d.rule.check(d.rec, finished-d.cfg.Warmup, d.t.requests, d.t.errors); why != "" {
			d.stopped = why
		}
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
	if err := v.Drive(ctx, d); err != nil && ctx.Err() == nil {
		return nil, err
	}
	res.addTally(&d.t)
	res.Elapsed = max(d.last-c.Warmup, 0)
	res.Stopped = d.stopped
	res.Workers = d.conc
	return res, nil
}

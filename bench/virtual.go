package bench

import (
	"context"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// closedDriver issues a closed loop to a virtual-time backend: at most
// Concurrency requests in flight, the next one as soon as one completes.
type closedDriver struct {
	cfg         *Config
	seq         uint64
	outstanding int
	last        time.Duration
	rec         *Recorder
	t           tally
}

var (
	_ accel.Driver      = (*closedDriver)(nil)
	_ accel.GapRecorder = (*closedDriver)(nil)
)

func (d *closedDriver) Next(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	c := d.cfg
	if (c.Requests > 0 && d.seq >= uint64(c.Requests)) || (c.Duration > 0 && now >= c.Warmup+c.Duration) {
		return 0, accel.NextEnd
	}
	if d.outstanding >= c.Concurrency {
		return 0, accel.NextWait
	}
	*req = accel.Request{Seq: d.seq, Model: c.Model, Precision: c.Precision, Batch: 1}
	req.InputTokens, req.OutputTokens = c.Lengths.Draw(d.seq)
	d.seq++
	d.outstanding++
	return now, accel.NextReady
}

func (d *closedDriver) Done(req *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	d.outstanding--
	d.last = max(d.last, finished)
	if arrived < d.cfg.Warmup {
		return
	}
	var err error
	if res.Class != accel.ClassNone {
		err = accel.Errorf(res.Class, "request %d (%d+%d tokens) failed on the simulated device", req.Seq, req.InputTokens, req.OutputTokens)
	}
	d.t.add(d.rec, req, res, err, res.Latency, res.TTFT)
}

func (d *closedDriver) RecordGap(g time.Duration) { d.rec.RecordGap(g) }

// runVirtual drives a virtual-time backend through the plan.
func runVirtual(ctx context.Context, v accel.Virtual, c Config) (*Result, error) {
	res := newResult(c)
	res.Virtual = true
	d := &closedDriver{cfg: &c, rec: res.Recorder}
	if err := v.Drive(ctx, d); err != nil {
		return nil, err
	}
	res.addTally(&d.t)
	res.Elapsed = d.last - c.Warmup
	return res, nil
}

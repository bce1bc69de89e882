package main

import (
	"context"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/report"
)

// measure runs c on b, as one run (bench.Run) or a series (bench.RunSweep),
// and turns it into report runs. res stands for the whole: the run, or a
// series' chosen point (its last when none was chosen), for what covers the
// whole series, such as telemetry; maxRate is a search's answer.
func measure(ctx context.Context, b accel.Backend, c bench.Config, workload string) (res *bench.Result, runs []report.Run, maxRate float64, err error) {
	if !c.Scenario.Series() {
		if res, err = bench.Run(ctx, b, c); err != nil {
			return nil, nil, 0, err
		}
		run, err := report.FromBench(b.Info(), workload, res)
		return res, []report.Run{run}, 0, err
	}
	sw, err := bench.RunSweep(ctx, b, c)
	if err != nil {
		return nil, nil, 0, err
	}
	if res = sw.Chosen(); res == nil {
		res = sw.Points[len(sw.Points)-1]
	}
	runs, err = report.FromSweep(b.Info(), workload, sw)
	return res, runs, sw.MaxRate, err
}

package plan

import (
	"context"
	"fmt"
	"io"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/report"
)

// FrontierLimit is the largest concurrency a frontier's default sweep
// reaches (1, 2, 4, ... 1024) when throughput keeps rising that far.
const FrontierLimit = 1024

// Frontier measures each backend's throughput-interactivity frontier: a
// closed-loop sweep over p.Concurrencies (default 1, 2, 4, ... up to
// FrontierLimit) that stops when throughput stops rising or a point misses
// an SLO (bench.RunFrontier), executed as Execute executes a run: the same
// checks, backends, telemetry, prices and report. p's scenario must be
// unset or sweep, with no rates. Why each backend's sweep stopped goes to
// o.Log; report.Frontier reads the curves off the report.
func Frontier(ctx context.Context, p Plan, o Options) (*report.Report, error) {
	if p.Scenario != "" && p.Scenario != string(bench.SweepScenario) {
		return nil, &InputError{fmt.Errorf("frontier: --scenario %s: a frontier is a closed-loop sweep over --concurrencies (leave --scenario unset)", p.Scenario)}
	}
	if len(p.Rates) > 0 {
		return nil, &InputError{fmt.Errorf("frontier: --rates: a frontier sweeps --concurrencies (tokens/s per user is read off each concurrency)")}
	}
	p.Scenario = string(bench.SweepScenario)
	if len(p.Concurrencies) == 0 {
		p.Concurrencies = bench.FrontierConcurrencies(FrontierLimit)
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	measure := func(ctx context.Context, b accel.Backend, c bench.Config, workload string) (*bench.Result, []report.Run, float64, error) {
		sw, why, err := bench.RunFrontier(ctx, b, c)
		if err != nil {
			return nil, nil, 0, err
		}
		if why != "" {
			fmt.Fprintf(log, "%s: frontier stopped: %s\n", redact.String(b.Info().ID), why)
		}
		res := sw.Chosen()
		if res == nil {
			res = sw.Points[len(sw.Points)-1]
		}
		runs, err := report.FromSweep(b.Info(), workload, sw)
		return res, runs, 0, err
	}
	return execute(ctx, p, o, measure, false) // measure logs as it goes: in the plan's order
}

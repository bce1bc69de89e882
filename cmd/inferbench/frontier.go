package main

import (
	"context"
	"io"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/plan"
	"github.com/inferbench/inferbench/report"
)

const frontierExamples = `  inferbench frontier --backend sim:h100-sxm --backend sim:l4 -o frontier.json
  inferbench frontier --backend sim:h100-sxm --backend http://127.0.0.1:8000/v1 --duration 30s -o mix.json
  inferbench frontier --backend sim:h200 --concurrencies 1,4,16,64 --slo ttft-p99=2s --targets 10,30
  inferbench plot frontier.json -o frontier.png     # one curve per backend
`

// frontierCmd measures each backend's throughput-interactivity frontier
// (plan.Frontier: a closed-loop sweep that stops when throughput stops
// rising or an --slo fails), writes the report and prints the points and
// each backend's best per-chip throughput at the --targets.
func frontierCmd(ctx context.Context, e *env, args []string) error {
	p := plan.Plan{Seed: 1}
	p.Workload = fixtures.DefaultWorkload
	targets := "20,50,100"
	var ts []float64
	return planCmd{name: "frontier", synopsis: "[--backend SPEC]... [--model ID] [--concurrencies N,N...] [-o REPORT]",
		examples: frontierExamples, out: "inferbench-frontier.json",
		extra: func(fs *pflag.FlagSet) {
			fs.StringVar(&targets, "targets", targets, "interactivity targets in output tokens/s per user: each backend's best per-chip throughput at each is printed")
		},
		check: func() (err error) {
			if ts, err = report.ParseTargets(targets); err != nil {
				return cli.Usagef("--targets: %v", err)
			}
			return nil
		},
		exec:  plan.Frontier,
		print: func(w io.Writer, rep *report.Report) error { return report.WriteFrontier(w, rep, ts) },
		wrote: "; inferbench plot draws the frontier",
	}.run(ctx, e, args, &p)
}

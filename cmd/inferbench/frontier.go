package main

import (
	"context"
	"fmt"

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
	fs := cli.NewFlags(e.stdout, e.stderr, "frontier", "[--backend SPEC]... [--model ID] [--concurrencies N,N...] [-o REPORT]", frontierExamples)
	out, format, progress, targets := "inferbench-frontier.json", "text", "auto", "20,50,100"
	pf := plan.BindFlags(fs, &p, func(fs *pflag.FlagSet) {
		fs.StringVarP(&out, "output", "o", out, "write the JSON report here")
		fs.StringVar(&format, "format", format, "what to print on stdout: text or json")
		fs.StringVar(&progress, "progress", progress, cli.ProgressUsage)
		fs.StringVar(&targets, "targets", targets, "interactivity targets in output tokens/s per user: each backend's best per-chip throughput at each is printed")
	})
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if err := pf.Finish(); err != nil {
		return planError(err)
	}
	if fs.NArg() > 0 {
		return cli.Usagef("frontier takes no arguments, got %s", cli.Quoted(fs.Args()))
	}
	ts, err := report.ParseTargets(targets)
	if err != nil {
		return cli.Usagef("--targets: %v", err)
	}
	if err := report.CheckOutput(out); err != nil {
		return cli.Usagef("-o: %v", err)
	}
	if err := cli.CheckFormat(format, "text", "json"); err != nil {
		return err
	}
	o, err := execOptions(e, progress, runTotal(p), p.Backends)
	if err != nil {
		return err
	}
	rep, err := plan.Frontier(ctx, p, o)
	if err != nil {
		return planError(err)
	}
	rep.Redact(e.secrets)
	if err := report.WriteFileAtomic(out, rep.Encode); err != nil {
		return err
	}
	if format == "json" {
		err = rep.Encode(e.stdout)
	} else {
		err = report.WriteFrontier(e.stdout, rep, ts)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%d runs); inferbench plot %s draws the frontier\n", out, len(rep.Runs), out)
	verdict := plan.Judge(e.stderr, rep, p.Judgement)
	if in, stopped := cli.Interrupted(ctx); stopped {
		return cli.ExitError{Code: in.ExitCode(), Err: fmt.Errorf("%v: wrote the %d run(s) completed so far to %s, marked interrupted", in, len(rep.Runs), out)}
	}
	if verdict != nil {
		return fmt.Errorf("%w (report kept in %s)", verdict, out)
	}
	return nil
}

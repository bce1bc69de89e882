package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/plan"
	"github.com/inferbench/inferbench/report"
)

const runExamples = `  inferbench run                                   # every simulated profile, chat workload
  inferbench run --backend sim:h100-sxm --backend sim:l4 -o r.json
  inferbench run --backend sim:inf2?chips=12 --model llama-2-7b --input-tokens 128 --output-tokens 256
  inferbench run --backend noop --concurrency 2 --duration 5s
  inferbench run --backend noop --scenario poisson --rate 2000000 --duration 10s -o r.json
  inferbench run --backend sim:h100-sxm --scenario gamma --rate 4 --burstiness 0.5
  inferbench run --backend sim:h100-sxm --scenario sweep --rates 1,2,4,8
  inferbench run --backend sim:l4 --scenario max-rate --slo latency-p99=20s,ttft-p99=2s
  inferbench run --backend sim:h100-sxm --scenario poisson --rate 2 --requests 400 --shard 0/4 -o s0.json
  inferbench run --backend http://127.0.0.1:8000/v1 --telemetry nvml:0      # watch the GPU under the server
  inferbench run --backend nvml:0 --endpoint http://127.0.0.1:8000/v1       # the same, the report named for the GPU
  inferbench run --backend http://127.0.0.1:8000/v1 --model llama-3.1-8b --input-tokens 128 --output-tokens 64
  inferbench run --backend https://RES.openai.azure.com/openai/deployments/DEP?api-version=2024-10-21 \
    --api-key-env AZURE_OPENAI_API_KEY --model gpt-4o --concurrency 4 --duration 30s
  inferbench run --backend https://llm.internal/v1 --ca-cert ca.pem --header X-Team=infra --prompts prompts.jsonl
`

// runCmd maps its flags to a plan.Plan, executes it, writes the report and
// says what is wrong with it: exit 1 after the report is written when a run
// failed or is invalid, 128+N on signal N.
func runCmd(ctx context.Context, e *env, args []string) error {
	p := plan.Plan{Seed: 1}
	p.Workload, p.Scenario = fixtures.DefaultWorkload, string(bench.Closed)
	return planCmd{name: "run", synopsis: "[flags]", examples: runExamples, out: "inferbench-report.json",
		exec: plan.Execute, print: report.WriteText}.run(ctx, e, args, &p)
}

// planCmd is what the commands that execute a plan share (run, frontier):
// the plan's flags and -o, --format, --progress, then the command's own
// (extra, checked by check after parsing); exec runs the plan, print shows
// the report as text; the report is written, and the verdict given, alike.
type planCmd struct {
	name, synopsis, examples, out string
	extra                         func(*pflag.FlagSet)
	check                         func() error
	exec                          func(context.Context, plan.Plan, plan.Options) (*report.Report, error)
	print                         func(io.Writer, *report.Report) error
	wrote                         string // said after "wrote FILE (N runs)"
}

func (c planCmd) run(ctx context.Context, e *env, args []string, p *plan.Plan) error {
	fs := cli.NewFlags(e.stdout, e.stderr, c.name, c.synopsis, c.examples)
	out, format, progress := c.out, "text", "auto"
	pf := plan.BindFlags(fs, p, func(fs *pflag.FlagSet) {
		fs.StringVarP(&out, "output", "o", out, "write the JSON report here")
		fs.StringVar(&format, "format", format, "what to print on stdout: text or json")
		fs.StringVar(&progress, "progress", progress, cli.ProgressUsage)
		if c.extra != nil {
			c.extra(fs)
		}
	})
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if err := pf.Finish(); err != nil {
		return planError(err)
	}
	if fs.NArg() > 0 {
		return cli.Usagef("%s takes no arguments, got %s", c.name, cli.Quoted(fs.Args()))
	}
	if c.check != nil {
		if err := c.check(); err != nil {
			return err
		}
	}
	if err := report.CheckOutput(out); err != nil {
		return cli.Usagef("-o: %v", err) // before the run, not after it
	}
	if err := cli.CheckFormat(format, "text", "json"); err != nil {
		return err
	}
	o, err := execOptions(e, progress, runTotal(*p), p.Backends)
	if err != nil {
		return err
	}
	rep, err := c.exec(ctx, *p, o)
	if err != nil {
		return planError(err)
	}
	rep.Redact(e.secrets) // what it writes and prints from here on
	if err := report.WriteFileAtomic(out, rep.Encode); err != nil {
		return err
	}
	if format == "json" {
		err = rep.Encode(e.stdout)
	} else {
		err = c.print(e.stdout, rep)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%d runs)%s\n", out, len(rep.Runs), c.wrote)
	verdict := plan.Judge(e.stderr, rep, p.Judgement)
	if in, stopped := cli.Interrupted(ctx); stopped {
		return cli.ExitError{Code: in.ExitCode(), Err: fmt.Errorf("%v: wrote the %d run(s) completed so far to %s, marked interrupted", in, len(rep.Runs), out)}
	}
	if verdict != nil {
		return fmt.Errorf("%w (report kept in %s)", verdict, out)
	}
	return nil
}

// execOptions are an execution's ties to this invocation: its streams,
// environment and secrets, the progress line (--progress; total is how long
// each run lasts, 0 where unknown; backends, when given, name each
// backend's lines in the order they run), the machine's fingerprint, and
// the report's creation time from SOURCE_DATE_EPOCH (reproducible-builds.org:
// when set, two runs of a simulated plan with one seed write byte-identical
// reports).
func execOptions(e *env, progress string, total time.Duration, backends []string) (plan.Options, error) {
	fp := machineFingerprint()
	o := plan.Options{
		Version: version, Log: e.stderr, Getenv: e.getenv, Secret: func(s string) { e.secrets.Add(s) },
		Fingerprint: &fp,
	}
	pr, err := cli.NewProgress(e.stderr, progress, nil)
	if err != nil {
		return o, err
	}
	if pr != nil {
		// Execute runs the backends in order and ends each one's progress:
		// the count of ends says which backend the lines are about.
		done := 0
		o.Progress = func(p bench.Progress) {
			label := ""
			if done < len(backends) {
				label = e.secrets.String(backends[done]) // the URL's password and known keys masked
			}
			pr.Update(cli.ProgressState{Label: label, Elapsed: p.Elapsed, Total: total, Requests: p.Requests, Rate: p.Rate, P99: p.P99})
		}
		o.ProgressEnd = func() {
			pr.End()
			done++
		}
	}
	t, err := cli.SourceDate(e.getenv)
	o.Created = t
	return o, err
}

// runTotal is how long each of a plan's runs lasts, warm-up included, for
// the progress line: 0 when a request count alone ends it.
func runTotal(p plan.Plan) time.Duration {
	d := p.Duration.Std()
	if d == 0 && p.Requests == 0 && !strings.EqualFold(p.Scenario, string(bench.Replay)) { // replay: the whole trace
		d = plan.DefaultDuration
	}
	if d == 0 {
		return 0
	}
	return d + p.Warmup.Std()
}

// planError maps an execution's error to an exit code: the plan's own
// (bad input) exits 2, anything else 1.
func planError(err error) error {
	if plan.IsInput(err) {
		return cli.Usage(err)
	}
	return err
}

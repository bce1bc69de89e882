package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/plan"
	"github.com/inferbench/inferbench/report"
)

const suiteExamples = `  inferbench suite nightly-sim                       # an embedded suite (fixtures/suites)
  inferbench suite fixtures/suites/nightly-sim.json -o tonight.json
  inferbench suite nightly-sim --backend http://127.0.0.1:8000/v1 -- --telemetry nvml:0
`

// suiteCmd executes every plan of a suite file and writes one report holding
// all their runs, each labelled with its job. Run flags after -- apply to
// every job.
func suiteCmd(ctx context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "suite", "FILE|ID [--backend SPEC]... [-o FILE] [-- RUN FLAGS...]", suiteExamples)
	backends := fs.StringArray("backend", nil, "replace the suite's backends with this spec (repeatable)")
	out := fs.StringP("output", "o", "inferbench-suite.json", "write the combined JSON report here")
	list := fs.Bool("list", false, "print the runs the suite would do, and stop")
	progress := fs.String("progress", "auto", cli.ProgressUsage)
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	pos := fs.Args()
	var extra []string
	if d := fs.ArgsLenAtDash(); d >= 0 {
		pos, extra = fs.Args()[:d], fs.Args()[d:]
	}
	if len(pos) != 1 {
		return cli.Usagef("suite: want one suite file or id, got %d arguments (see 'inferbench suite --help')", len(pos))
	}
	if err := report.CheckOutput(*out); err != nil {
		return cli.Usagef("-o: %v", err) // before the suite runs, not after it
	}
	s, err := loadSuite(pos[0])
	if err != nil {
		return cli.Usage(err)
	}
	jobs, err := s.Jobs(*backends)
	if err != nil {
		return cli.Usage(err)
	}
	for i := range jobs {
		fs := cli.NewFlags(e.stdout, e.stderr, "suite", "", "")
		pf := plan.BindFlags(fs, &jobs[i].Plan, nil)
		if err := cli.Parse(fs, extra); err != nil {
			return err
		}
		if err := pf.Finish(); err != nil {
			return planError(err)
		}
		if err := jobs[i].Plan.Validate(); err != nil {
			return cli.Usagef("suite %q, run %s: %v", s.Name, jobs[i].Name, err)
		}
	}
	if *list {
		for _, j := range jobs {
			fmt.Fprintf(e.stdout, "%s: inferbench run %s\n", j.Name, cli.ShellWords(j.Plan.Args()))
		}
		return nil
	}
	o, err := execOptions(e, *progress, 0, nil) // jobs differ in length and backends: elapsed only
	if err != nil {
		return err
	}
	var failed error // the first job that failed or is invalid, said at the end
	combined, err := s.Execute(ctx, jobs, o, func(i int, j plan.Job, rep *report.Report) {
		if rep == nil {
			fmt.Fprintf(e.stdout, "== %s (%d/%d)\n", j.Name, i+1, len(jobs))
			return
		}
		rep.Redact(e.secrets)
		report.WriteText(e.stdout, rep)
		if v := plan.Judge(e.stderr, rep, j.Plan.Judgement); v != nil && failed == nil && ctx.Err() == nil {
			failed = fmt.Errorf("suite %q, run %s: %w", s.Name, j.Name, v)
		}
	})
	if err != nil {
		failed = planError(err)
	}
	if combined != nil {
		combined.Redact(e.secrets)
		if err := report.WriteFileAtomic(*out, combined.Encode); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote %s (%d runs from %d jobs of suite %s)\n", *out, len(combined.Runs), len(jobs), s.Name)
		if failed != nil && !plan.IsInput(failed) {
			failed = fmt.Errorf("%w (report kept in %s)", failed, *out)
		}
	}
	if in, stopped := cli.Interrupted(ctx); stopped {
		return cli.ExitError{Code: in.ExitCode(), Err: fmt.Errorf("%v: the suite's report holds the runs completed so far", in)}
	}
	return failed
}

// loadSuite reads a suite from a file, or an embedded suite by id.
func loadSuite(arg string) (*plan.Suite, error) {
	f, err := os.Open(arg)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return plan.LookupSuite(arg)
	}
	defer f.Close()
	s, err := plan.ParseSuite(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return s, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/report"
)

const suiteExamples = `  inferbench suite nightly-sim                       # an embedded suite (fixtures/suites)
  inferbench suite fixtures/suites/nightly-sim.json -o tonight.json
  inferbench suite nightly-sim --backend http://127.0.0.1:8000/v1 -- --telemetry nvml:0
`

// suiteCmd runs every job of a suite file through `inferbench run` and writes
// one report holding all their runs, each labelled with its job.
func suiteCmd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "suite", "FILE|ID [--backend SPEC]... [-o FILE] [-- RUN FLAGS...]", suiteExamples)
	backends := fs.StringArray("backend", nil, "replace the suite's backends with this spec (repeatable)")
	out := fs.StringP("output", "o", "inferbench-suite.json", "write the combined JSON report here")
	list := fs.Bool("list", false, "print the runs the suite would do, and stop")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pos := fs.Args()
	var extra []string
	if d := fs.ArgsLenAtDash(); d >= 0 {
		pos, extra = fs.Args()[:d], fs.Args()[d:]
	}
	if len(pos) != 1 {
		return usagef("suite: want one suite file or id, got %d arguments (see 'inferbench suite --help')", len(pos))
	}
	if err := report.CheckOutput(*out); err != nil {
		return usagef("-o: %v", err) // before the suite runs, not after it
	}
	s, err := loadSuite(pos[0])
	if err != nil {
		return usageError{err}
	}
	jobs := s.Jobs(*backends)
	if *list {
		for _, j := range jobs {
			fmt.Fprintf(e.stdout, "%s: inferbench run %q\n", j.Name, append(j.Args, extra...))
		}
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(*out), ".suite-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var (
		combined *report.Report
		firstErr error
	)
	for i, j := range jobs {
		path := filepath.Join(tmp, fmt.Sprintf("job-%03d.json", i))
		fmt.Fprintf(e.stdout, "== %s (%d/%d)\n", j.Name, i+1, len(jobs))
		runArgs := append(append(append([]string{}, j.Args...), extra...), "-o", path)
		// A run that failed (its error rate) or was interrupted still wrote
		// its report: keep it, and say so at the end. Bad input stops here.
		runErr := runCmd(ctx, e, runArgs)
		var ue usageError
		if errors.As(runErr, &ue) {
			return usagef("suite %q, run %s: %v", s.Name, j.Name, runErr)
		}
		rep, err := report.ReadFile(path)
		if err != nil {
			if runErr != nil {
				return fmt.Errorf("suite %q, run %s: %w", s.Name, j.Name, runErr)
			}
			return err
		}
		if _, stopped := interrupted(ctx); runErr != nil && !stopped && firstErr == nil {
			var kept keptError
			if errors.As(runErr, &kept) {
				runErr = kept.err // the job's file is temporary: the suite's report holds the run
			}
			firstErr = fmt.Errorf("suite %q, run %s: %w", s.Name, j.Name, runErr)
		}
		if combined == nil {
			head := *rep
			head.Config.Scenario = "suite:" + s.Name
			head.Runs = nil
			combined = &head
		}
		for _, r := range rep.Runs {
			r.Label = j.Name
			combined.Runs = append(combined.Runs, r)
		}
		combined.Interrupted = combined.Interrupted || rep.Interrupted
		if ctx.Err() != nil {
			break // interrupted: keep what ran, skip the rest
		}
	}
	if err := report.WriteFileAtomic(*out, combined.Encode); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%d runs from %d jobs of suite %s)\n", *out, len(combined.Runs), len(jobs), s.Name)
	if in, stopped := interrupted(ctx); stopped {
		return exitError{code: in.exitCode(), err: fmt.Errorf("%v: the suite's report holds the runs completed so far", in)}
	}
	if firstErr != nil {
		return keptError{firstErr, *out}
	}
	return nil
}

// loadSuite reads a suite from a file, or an embedded suite by id.
func loadSuite(arg string) (*fixtures.Suite, error) {
	f, err := os.Open(arg)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return fixtures.LookupSuite(arg)
	}
	defer f.Close()
	s, err := fixtures.ParseSuite(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return s, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/report"
)

const baselineExamples = `  inferbench baseline tonight.json baselines/h100.json           # first baseline
  inferbench baseline tonight.json baselines/h100.json --force   # replace it after a green night

A baseline is the reference every later night is judged against, so only a
green report becomes one: baseline refuses (exit 1, naming the run and why) a
report that was interrupted, has no runs, or has any run that failed
("failed": true), is invalid ("valid": false), was interrupted, or completed
no request. --force only replaces an existing baseline; it never promotes such
a report.
`

// baselineCmd promotes a report to baseline with report.Promote: only a
// green report, atomically, and over an existing baseline only with --force.
func baselineCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "baseline", "REPORT BASELINE [--force]", baselineExamples)
	force := fs.Bool("force", false, "replace an existing baseline (never promotes a failed, invalid, interrupted or empty report)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return cli.Usagef("baseline: want REPORT and BASELINE paths, got %d arguments", fs.NArg())
	}
	src, dst := fs.Arg(0), fs.Arg(1)
	rep, err := report.ReadFile(src)
	if err != nil {
		return cli.Usage(err)
	}
	var unfit *report.UnfitError
	switch err := report.Promote(rep, dst, *force); {
	case len(rep.Runs) == 0:
		return cli.Usagef("%s has no runs: not a baseline", src)
	case errors.As(err, &unfit):
		return fmt.Errorf("baseline: refusing to promote %s: %s (not even with --force: a baseline must be green)", src, unfit.Why)
	case errors.Is(err, os.ErrExist):
		return cli.Usagef("baseline %s exists: pass --force to replace it", dst)
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stderr, "baseline %s <- %s (%d runs)\n", dst, src, len(rep.Runs))
	return nil
}

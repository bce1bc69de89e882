package main

import (
	"context"
	"errors"
	"fmt"
	"os"

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

// baselineCmd promotes a report to baseline: it checks that the report reads
// and is green (see unfit), then writes it atomically, refusing to replace an
// existing baseline without --force, so a half-written, failed or wrong file
// never becomes the reference.
func baselineCmd(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "baseline", "REPORT BASELINE [--force]", baselineExamples)
	force := fs.Bool("force", false, "replace an existing baseline (never promotes a failed, invalid, interrupted or empty report)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("baseline: want REPORT and BASELINE paths, got %d arguments", fs.NArg())
	}
	src, dst := fs.Arg(0), fs.Arg(1)
	rep, err := report.ReadFile(src)
	if err != nil {
		return usageError{err}
	}
	if len(rep.Runs) == 0 {
		return usagef("%s has no runs: not a baseline", src)
	}
	if why := unfit(rep); why != "" {
		return fmt.Errorf("baseline: refusing to promote %s: %s (not even with --force: a baseline must be green)", src, why)
	}
	if _, err := os.Stat(dst); err == nil && !*force {
		return usagef("baseline %s exists: pass --force to replace it", dst)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := report.WriteFileAtomic(dst, rep.Encode); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "baseline %s <- %s (%d runs)\n", dst, src, len(rep.Runs))
	return nil
}

// unfit says, in one line naming the first bad run, why a report's figures
// cannot be trusted as a reference or a whole result: the report or a run
// was interrupted, or a run failed, is invalid, or completed no request.
// It is "" for a green report.
func unfit(rep *report.Report) string {
	first, n := "", 0
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if why := runUnfit(r); why != "" {
			if n == 0 {
				first = runName(r) + " " + why
			}
			n++
		}
	}
	switch {
	case n > 1:
		return fmt.Sprintf("%s (and %d more of its %d runs unfit)", first, n-1, len(rep.Runs))
	case n == 1:
		return first
	case rep.Interrupted:
		return "the report was interrupted: it holds only what ran until then"
	}
	return ""
}

// runUnfit says why one run is no reference, "" when it is one.
func runUnfit(r *report.Run) string {
	switch {
	case r.Failed:
		why := r.FailReason
		if why == "" {
			why = `"failed": true`
		}
		return "failed: " + why
	case r.Counts.Completed == 0:
		return fmt.Sprintf("completed 0 requests (%d errors, %d dropped)", r.Counts.Errors, r.Counts.Dropped)
	case !r.Valid:
		why := `"valid": false`
		if len(r.InvalidReasons) > 0 {
			why = r.InvalidReasons[0]
			if len(r.InvalidReasons) > 1 {
				why += fmt.Sprintf(" (and %d more reasons)", len(r.InvalidReasons)-1)
			}
		}
		return "is invalid: " + why
	case r.Interrupted:
		return "was interrupted: it holds only what completed until then"
	}
	return ""
}

// runName names a run for people: its suite label, backend and load.
func runName(r *report.Run) string {
	name := "run " + report.RunKey(r)
	if r.Label != "" {
		name = fmt.Sprintf("run %q (%s)", r.Label, report.RunKey(r))
	}
	return name
}

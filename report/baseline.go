package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// A baseline is the reference every later report is judged against, so only
// a green report becomes one; these say why a report or run is not green.

// Unfit says, in one line naming the first bad run, why the report's figures
// cannot be trusted as a reference or a whole result: it has no runs, the
// report or a run was interrupted, or a run failed, is invalid, or completed
// no request. It is "" for a green report.
func (r *Report) Unfit() string {
	if len(r.Runs) == 0 {
		return "it has no runs"
	}
	first, n := "", 0
	for i := range r.Runs {
		if why := r.Runs[i].Unfit(); why != "" {
			if n == 0 {
				first = r.Runs[i].Name() + " " + why
			}
			n++
		}
	}
	switch {
	case n > 1:
		return fmt.Sprintf("%s (and %d more of its %d runs unfit)", first, n-1, len(r.Runs))
	case n == 1:
		return first
	case r.Interrupted:
		return "the report was interrupted: it holds only what ran until then"
	}
	return ""
}

// Unfit says why one run is no reference, the most serious reason first
// (failed, completed nothing, invalid, interrupted); "" when it is one.
func (r *Run) Unfit() string {
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

// Name names a run for people: its suite label, backend and load.
func (r *Run) Name() string {
	if r.Label != "" {
		return fmt.Sprintf("run %q (%s)", r.Label, RunKey(r))
	}
	return "run " + RunKey(r)
}

// FirstUnfit returns the first run that is no reference and why, or nil and
// "". With allowInvalid a run that is only invalid passes (one that failed,
// was interrupted or completed nothing never does): merge uses it to keep a
// shard's failure loud after merging.
func (r *Report) FirstUnfit(allowInvalid bool) (*Run, string) {
	for i := range r.Runs {
		run := &r.Runs[i]
		why := run.Unfit()
		if why == "" || allowInvalid && !run.Failed && !run.Interrupted && run.Counts.Completed > 0 {
			continue
		}
		return run, why
	}
	return nil, ""
}

// UnfitError is Promote's refusal of a report that is not green; Why is
// Report.Unfit's line.
type UnfitError struct{ Why string }

func (e *UnfitError) Error() string { return "not a baseline: " + e.Why }

// Promote writes rep to path, atomically, as a baseline. It refuses a report
// that is not green (an *UnfitError, whatever replace says) and, unless
// replace, an existing file (an error wrapping fs.ErrExist), so that a
// half-written, failed or wrong file never becomes the reference.
func Promote(rep *Report, path string, replace bool) error {
	if why := rep.Unfit(); why != "" {
		return &UnfitError{why}
	}
	if _, err := os.Stat(path); err == nil && !replace {
		return &fs.PathError{Op: "promote", Path: path, Err: fs.ErrExist}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return WriteFileAtomic(path, rep.Encode)
}

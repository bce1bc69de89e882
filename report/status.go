package report

import "strings"

// A run's standing, as every format shows it: a figure that is wrong but
// looks valid is the worst thing a report can hold, so a failed or invalid
// run says so on the row itself, not only in the JSON.
const (
	StatusOK          = "ok"
	StatusFailed      = "FAILED"  // the system under test failed: no request completed, or too many errors
	StatusInvalid     = "INVALID" // the figures describe the harness (late sends, a full pool) or a floor was missed
	StatusInterrupted = "interrupted"
)

// Status is the run's standing in one word: FAILED before INVALID before
// interrupted, the most serious first.
func (r *Run) Status() string {
	switch {
	case r.Failed:
		return StatusFailed
	case !r.Valid:
		return StatusInvalid
	case r.Interrupted:
		return StatusInterrupted
	}
	return StatusOK
}

// Problems lists what a reader must know before trusting the run's figures,
// one line each: why it failed, why it is invalid, that it was interrupted,
// and its warnings (served token counts that differ from the requested ones,
// short outputs), which leave the figures standing but change what they
// describe.
func (r *Run) Problems() []string {
	var out []string
	if r.Failed {
		why := r.FailReason
		if why == "" {
			why = "the system under test failed the run"
		}
		out = append(out, "failed: "+why)
	}
	if !r.Valid {
		why := strings.Join(r.InvalidReasons, "; ")
		if why == "" {
			why = "no reason recorded"
		}
		out = append(out, "invalid: "+why)
	}
	if r.Interrupted {
		out = append(out, "interrupted: the figures cover what completed before the signal")
	}
	for _, w := range r.Warnings {
		out = append(out, "warning: "+w)
	}
	return out
}

// ProblemLines lists every run's problems as "backend load: problem", each
// distinct line once, in run order.
func ProblemLines(r *Report) []string {
	var out []string
	seen := map[string]bool{}
	for i := range r.Runs {
		run := &r.Runs[i]
		for _, p := range run.Problems() {
			l := run.Backend.ID + " " + LoadKey(run) + ": " + p
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

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
// said once, in run order: a problem that several loads of one backend and
// workload share (a sweep's every point short of output tokens) is one line
// naming them all.
func ProblemLines(r *Report) []string {
	type line struct {
		run   *Run
		loads []string
		text  string
	}
	var lines []*line
	byKey := map[string]*line{}
	for i := range r.Runs {
		run := &r.Runs[i]
		for _, p := range run.Problems() {
			k := run.Backend.ID + "\x00" + WorkloadOf(run) + "\x00" + p
			l, ok := byKey[k]
			if !ok {
				l = &line{run: run, text: p}
				byKey[k] = l
				lines = append(lines, l)
			}
			load := LoadLabel(&run.Scenario)
			if len(l.loads) == 0 || !contains(l.loads, load) {
				l.loads = append(l.loads, load)
			}
		}
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if len(l.loads) == 1 {
			out = append(out, l.run.Backend.ID+" "+LoadKey(l.run)+": "+l.text)
			continue
		}
		out = append(out, l.run.Backend.ID+" "+WorkloadOf(l.run)+" at "+strings.Join(l.loads, ", ")+": "+l.text)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

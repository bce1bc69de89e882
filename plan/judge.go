package plan

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/inferbench/inferbench/report"
)

// Judge says on w what is wrong with each failed or invalid run of rep,
// failed ones with their errors by class (count and the first message of
// each), and returns the error that fails the whole: any failed run, and an
// invalid one unless j.AllowInvalid. The load generator judged each run
// (bench.Result.Failed, Valid); this is the verdict over them all.
func Judge(w io.Writer, rep *report.Report, j Judgement) error {
	var failed, invalid []string
	for i := range rep.Runs {
		r := &rep.Runs[i]
		name := r.Backend.ID + " " + report.LoadKey(r)
		if r.Label != "" {
			name = r.Label + ": " + name
		}
		if r.Failed {
			failed = append(failed, name+": "+r.FailReason)
			fmt.Fprintf(w, "%s: FAILED: %s\n", name, r.FailReason)
			for _, c := range errorClasses(&r.Counts) {
				msg := r.Counts.ErrorExamples[c]
				if msg == "" {
					msg = "(no message)"
				}
				fmt.Fprintf(w, "  %d %s error(s), the first: %s\n", r.Counts.ErrorsByClass[c], c, msg)
			}
		}
		if !r.Valid {
			why := strings.Join(r.InvalidReasons, "; ")
			invalid = append(invalid, name+": "+why)
			fmt.Fprintf(w, "%s: INVALID: %s\n", name, why)
		}
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("%d of %d run(s) failed; the first: %s", len(failed), len(rep.Runs), failed[0])
	case len(invalid) > 0 && !j.AllowInvalid:
		return fmt.Errorf("%d of %d run(s) are invalid (--allow-invalid accepts them); the first: %s", len(invalid), len(rep.Runs), invalid[0])
	}
	return nil
}

// errorClasses lists a run's error classes, most frequent first.
func errorClasses(c *report.Counts) []string {
	classes := make([]string, 0, len(c.ErrorsByClass))
	for k, n := range c.ErrorsByClass {
		if n > 0 {
			classes = append(classes, k)
		}
	}
	sort.Slice(classes, func(i, j int) bool {
		a, b := c.ErrorsByClass[classes[i]], c.ErrorsByClass[classes[j]]
		return a > b || a == b && classes[i] < classes[j]
	})
	return classes
}

package compare

import (
	"fmt"
	"strings"
)

// Verdict says in one line what regressed: the new reports' failed runs,
// then the metrics significantly worse beyond their threshold, each part
// with its count. It is "" when nothing regressed, which is when a gate
// passes.
func (r *Result) Verdict() string {
	var failed, metrics []string
	for _, g := range r.Regressions() {
		if g.Reason != "" {
			failed = append(failed, g.String())
		} else {
			metrics = append(metrics, g.String())
		}
	}
	var parts []string
	if len(failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed run(s): %s", len(failed), strings.Join(failed, "; ")))
	}
	if len(metrics) > 0 {
		parts = append(parts, fmt.Sprintf("%d metric(s) significantly worse beyond the threshold: %s", len(metrics), strings.Join(metrics, "; ")))
	}
	return strings.Join(parts, "; ")
}

package report_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
)

func greenReport() *report.Report {
	a := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 200, MedianMS: 40, Seed: 1})
	b := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 200, MedianMS: 20, Seed: 2})
	a.Label, b.Label = "short/c4/1", "short/c4/2"
	return reporttest.Report(a, b)
}

// A report is a baseline only when green: Unfit names the first bad run and
// why, FirstUnfit lets merge pass an only-invalid run, and Promote refuses an
// unfit report whatever replace says, and an existing file unless replace.
func TestUnfitAndPromote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		spoil      func(r *report.Report)
		want       string // Unfit's line; "" for green
		mergeFails bool   // FirstUnfit(allowInvalid=true) still names a run
	}{
		{"green", func(*report.Report) {}, "", false},
		{"failed", func(r *report.Report) {
			r.Runs[1].Failed, r.Runs[1].FailReason = true, "error rate 1 (50 of 50 requests) above --max-error-rate 0.05"
		}, `run "short/c4/2" (sim:h100-sxm llama-3.1-8b/chat/bf16 closed c=8) failed: error rate 1 (50 of 50 requests) above --max-error-rate 0.05`, true},
		{"failed without a reason", func(r *report.Report) { r.Runs[0].Failed = true },
			`run "short/c4/1" (sim:l4 llama-3.1-8b/chat/bf16 closed c=8) failed: "failed": true`, true},
		{"invalid", func(r *report.Report) {
			r.Runs[0].Valid, r.Runs[0].InvalidReasons = false, []string{"schedule lag p99 40 ms", "3 dropped"}
		}, `run "short/c4/1" (sim:l4 llama-3.1-8b/chat/bf16 closed c=8) is invalid: schedule lag p99 40 ms (and 1 more reasons)`, false},
		{"invalid without a reason", func(r *report.Report) { r.Runs[0].Label, r.Runs[0].Valid = "", false },
			`run sim:l4 llama-3.1-8b/chat/bf16 closed c=8 is invalid: "valid": false`, false},
		{"no completed request", func(r *report.Report) {
			r.Runs[0].Counts = report.Counts{Requests: 39721, Errors: 39721}
		}, `run "short/c4/1" (sim:l4 llama-3.1-8b/chat/bf16 closed c=8) completed 0 requests (39721 errors, 0 dropped)`, true},
		{"interrupted run", func(r *report.Report) { r.Runs[1].Interrupted = true },
			`run "short/c4/2" (sim:h100-sxm llama-3.1-8b/chat/bf16 closed c=8) was interrupted: it holds only what completed until then`, true},
		{"interrupted report", func(r *report.Report) { r.Interrupted = true }, "the report was interrupted: it holds only what ran until then", false},
		{"two bad runs", func(r *report.Report) { r.Runs[0].Failed, r.Runs[1].Valid = true, false },
			`run "short/c4/1" (sim:l4 llama-3.1-8b/chat/bf16 closed c=8) failed: "failed": true (and 1 more of its 2 runs unfit)`, true},
		{"no runs", func(r *report.Report) { r.Runs = nil }, "it has no runs", false},
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if err := report.Promote(greenReport(), base, false); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(base)
	for _, tt := range tests {
		rep := greenReport()
		tt.spoil(rep)
		if got := rep.Unfit(); got != tt.want {
			t.Errorf("%s: Unfit %q, want %q", tt.name, got, tt.want)
		}
		if run, why := rep.FirstUnfit(true); (run != nil) != tt.mergeFails || run != nil && why != run.Unfit() {
			t.Errorf("%s: FirstUnfit(allowInvalid) = %v, %q; want a run: %v", tt.name, run != nil, why, tt.mergeFails)
		}
		if run, _ := rep.FirstUnfit(false); (run != nil) != (tt.want != "" && len(rep.Runs) > 0 && !rep.Interrupted) {
			t.Errorf("%s: FirstUnfit = %v", tt.name, run)
		}
		err := report.Promote(rep, base, true)
		var ue *report.UnfitError
		if tt.want == "" && err != nil || tt.want != "" && (!errors.As(err, &ue) || ue.Why != tt.want) {
			t.Errorf("%s: Promote(replace) = %v, want refusal %q", tt.name, err, tt.want)
		}
		if tt.want != "" {
			if after, _ := os.ReadFile(base); string(after) != string(before) {
				t.Errorf("%s: a refused promotion changed the baseline", tt.name)
			}
		}
	}
	if err := report.Promote(greenReport(), base, false); !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), base) {
		t.Errorf("promote over an existing baseline without replace: %v, want fs.ErrExist naming %s", err, base)
	}
}

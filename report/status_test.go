package report_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/inferbench/inferbench/internal/golden"
	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
)

// statusReport holds one run of each standing: ok, failed with nothing
// completed (its summaries empty), invalid, and interrupted.
func statusReport() *report.Report {
	ok := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 400, MedianMS: 800, Seed: 1})
	failed := report.Run{
		Backend:  report.Backend{ID: "http://127.0.0.1:9/v1", Kind: "remote"},
		Workload: report.Workload{Name: "chat", Model: "llama-3.1-8b", Precision: "bf16"},
		Scenario: report.Scenario{Name: "closed", Concurrency: 8},
		Counts: report.Counts{Requests: 120, Errors: 120, ErrorsByClass: map[string]int64{"connect": 120},
			ErrorExamples: map[string]string{"connect": "dial tcp 127.0.0.1:9: connect: connection refused"}},
		DurationS: 2, Valid: true, Failed: true,
		FailReason: "no request completed: 120 of 120 requests failed (connect: dial tcp 127.0.0.1:9: connect: connection refused)",
	}
	invalid := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 10, MedianMS: 4000, Seed: 2})
	invalid.Valid = false
	invalid.InvalidReasons = []string{"recorded 10 requests, below the minimum 100"}
	stopped := reporttest.Run(reporttest.Spec{Backend: "sim:a10g", N: 50, MedianMS: 3000, Seed: 3})
	stopped.Interrupted = true
	stopped.Warnings = []string{"12 of 50 completed requests returned fewer output tokens than asked"}
	return reporttest.Report(ok, failed, invalid, stopped)
}

// Every tabular format marks each run's standing on its row and says why a
// run failed or is invalid; a run in which nothing completed shows no
// latency at all ("-"), never a 0 that reads like one.
func TestStatusInEveryFormat(t *testing.T) {
	rep := statusReport()
	for _, format := range []string{"text", "markdown", "csv"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, rep, format); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "golden", "status."+format), buf.Bytes())
			for _, want := range []string{"FAILED", "INVALID", "interrupted", "connection refused", "below the minimum 100", "warning: 12 of 50"} {
				if !bytes.Contains(buf.Bytes(), []byte(want)) {
					t.Errorf("%s output lacks %q", format, want)
				}
			}
		})
	}
}

func TestStatusOrder(t *testing.T) {
	for _, tc := range []struct {
		run  report.Run
		want string
	}{
		{report.Run{Valid: true}, report.StatusOK},
		{report.Run{Valid: true, Interrupted: true}, report.StatusInterrupted},
		{report.Run{Valid: false, Interrupted: true}, report.StatusInvalid},
		{report.Run{Valid: false, Failed: true}, report.StatusFailed},
	} {
		if got := tc.run.Status(); got != tc.want {
			t.Errorf("%+v: status %q, want %q", tc.run, got, tc.want)
		}
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got)
}

// A problem several loads of one backend share is one line naming the
// loads; problems that differ stay apart.
func TestProblemLinesOnce(t *testing.T) {
	var runs []report.Run
	for _, c := range []int{1, 2, 4} {
		r := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 100, MedianMS: 100, Seed: uint64(c)})
		r.Scenario = report.Scenario{Name: "sweep", Concurrency: c}
		r.Warnings = []string{"short outputs", fmt.Sprintf("%d in flight", c)}
		runs = append(runs, r)
	}
	got := report.ProblemLines(reporttest.Report(runs...))
	want := []string{
		"sim:l4 llama-3.1-8b/chat/bf16 at sweep c=1, sweep c=2, sweep c=4: warning: short outputs",
		"sim:l4 llama-3.1-8b/chat/bf16 sweep c=1: warning: 1 in flight",
		"sim:l4 llama-3.1-8b/chat/bf16 sweep c=2: warning: 2 in flight",
		"sim:l4 llama-3.1-8b/chat/bf16 sweep c=4: warning: 4 in flight",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problem lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

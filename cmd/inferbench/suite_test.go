package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
)

func TestSuiteRunsEveryJobIntoOneReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	suite := filepath.Join(dir, "s.json")
	os.WriteFile(suite, []byte(`{"name":"tiny","backends":["sim:h100-sxm","sim:l4"],
		"workloads":[{"name":"short","input-tokens":64,"output-tokens":32}],
		"scenarios":[{"name":"c2","scenario":"closed","concurrency":2,"requests":20,"duration":"0s"}],
		"repetitions":2}`), 0o644)
	out := filepath.Join(dir, "r.json")
	code, _, errs := invoke(t, "suite", suite, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 4 {
		t.Fatalf("%d runs, want 2 backends × 2 repetitions", len(rep.Runs))
	}
	labels := map[string]int{}
	for _, r := range rep.Runs {
		labels[r.Label]++
		if r.Counts.Completed != 20 {
			t.Errorf("%s %s: %d completed, want 20", r.Label, r.Backend.ID, r.Counts.Completed)
		}
	}
	if labels["short/c2/rep1"] != 2 || labels["short/c2/rep2"] != 2 {
		t.Errorf("labels %v", labels)
	}
	if !strings.HasPrefix(rep.Config.Scenario, "suite:tiny") {
		t.Errorf("config scenario %q", rep.Config.Scenario)
	}
}

// A suite whose job failed still writes every job's runs, marks the failed
// one, and exits 1 pointing at the suite's report, not at a job's temporary
// file that is gone by then.
func TestSuiteWithAFailedJobExit1(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	suite := filepath.Join(dir, "s.json")
	// 100,000-token prompts never fit an L4: every request is rejected.
	os.WriteFile(suite, []byte(`{"name":"mixed","backends":["sim:h100-sxm","sim:l4"],
		"workloads":[{"name":"long","input-tokens":100000,"output-tokens":8}],
		"scenarios":[{"name":"c2","scenario":"closed","concurrency":2,"requests":10,"duration":"0s"}]}`), 0o644)
	out := filepath.Join(dir, "r.json")
	code, _, errs := invoke(t, "suite", suite, "-o", out)
	if code != exitRuntime {
		t.Fatalf("exit %d, want 1: %s", code, errs)
	}
	last := errs[strings.LastIndex(strings.TrimSpace(errs), "\n")+1:]
	if !strings.Contains(last, "report kept in "+out) || strings.Contains(last, ".suite-") || !strings.Contains(last, "sim:l4") {
		t.Errorf("last line %q: want the failed run named and the suite's report", last)
	}
	rep, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || rep.Runs[0].Failed || !rep.Runs[1].Failed {
		t.Errorf("runs %d: want h100 ok and l4 failed", len(rep.Runs))
	}
}

func TestSuiteBadInputExit2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, []byte(`{"name":"e","backends":["noop"],"workloads":[],"scenarios":[]}`), 0o644)
	badFlag := filepath.Join(dir, "bad.json")
	os.WriteFile(badFlag, []byte(`{"name":"b","backends":["noop"],"workloads":[{"workload":"chat"}],"scenarios":[{"scenario":"nonesuch"}]}`), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"suite", empty}, "empty"},
		{[]string{"suite", badFlag, "-o", filepath.Join(dir, "x.json")}, "nonesuch"},
		{[]string{"suite", "nonesuch-suite"}, "nightly-sim"},
		{[]string{"suite"}, "want one suite"},
	} {
		code, _, errs := invoke(t, tt.args...)
		if code != exitUsage || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tt.args, code, errs, tt.want)
		}
	}
}

func TestBaselineNeedsForceToReplace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rep := filepath.Join(dir, "r.json")
	if code, _, errs := invoke(t, "run", "--backend", "sim:l4", "--requests", "10", "--duration", "0s", "-o", rep); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	base := filepath.Join(dir, "base.json")
	if code, _, errs := invoke(t, "baseline", rep, base); code != 0 {
		t.Fatalf("first baseline: exit %d: %s", code, errs)
	}
	before, _ := os.ReadFile(base)
	if code, _, errs := invoke(t, "baseline", rep, base); code != exitUsage || !strings.Contains(errs, "--force") {
		t.Errorf("overwrite without --force: exit %d: %s", code, errs)
	}
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("not json"), 0o644)
	if code, _, _ := invoke(t, "baseline", garbage, base, "--force"); code != exitUsage {
		t.Errorf("garbage promoted: exit %d", code)
	}
	after, _ := os.ReadFile(base)
	if string(before) != string(after) {
		t.Error("a refused promotion changed the baseline")
	}
	if code, _, errs := invoke(t, "baseline", rep, base, "--force"); code != 0 {
		t.Errorf("--force: exit %d: %s", code, errs)
	}
}

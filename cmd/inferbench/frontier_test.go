package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
)

// The command maps its flags to plan.Frontier, writes the report and prints
// the points and the best per-chip throughput at --targets; the oracle's
// answers (each user 500 tok/s; 3·min(C, 4)/20 ms tok/s) are plan's test,
// here the command's mapping, output and exit codes.
func TestFrontierCommand(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f.json")
	code, out, errs := invoke(t, "frontier", "--backend", "oracle?ttft=16ms&tpot=2ms&slots=4", "--input-tokens", "8", "--output-tokens", "3",
		"--duration", "5s", "--targets", "100,600", "--progress", "never", "-o", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 4 || rep.Config.Scenario != "sweep" {
		t.Errorf("%d runs of scenario %s, want the sweep's 4 (c=1, 2, 4, 8: throughput stops rising at 8)", len(rep.Runs), rep.Config.Scenario)
	}
	for _, want := range []string{"tok/s/user", "≥100 tok/s/user  ≥600 tok/s/user", "600.0 (c=4)                -"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "frontier stopped: throughput stopped rising at concurrency 8") {
		t.Errorf("stderr does not say why the sweep stopped:\n%s", errs)
	}
	for _, bad := range [][]string{
		{"frontier", "--scenario", "poisson", "--rate", "2", "--backend", "noop"},
		{"frontier", "--targets", "fast", "--backend", "noop"},
		{"frontier", "--progress", "sometimes", "--backend", "noop"},
	} {
		if code, _, errs := invoke(t, append(bad, "-o", filepath.Join(t.TempDir(), "x.json"))...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (bad input): %s", bad, code, exitUsage, errs)
		}
	}
}

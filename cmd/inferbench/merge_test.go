package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
)

// writeReport writes rep to dir/name and returns the path.
func writeReport(t *testing.T, dir, name string, rep *report.Report) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := report.WriteFileAtomic(p, rep.Encode); err != nil {
		t.Fatal(err)
	}
	return p
}

// baseline refuses any report a run of which failed, is invalid, was
// interrupted or completed nothing, with or without --force, in one line
// naming the run and the reason, and leaves the existing baseline alone.
func TestBaselineRefusesUnfitReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := func() *report.Report {
		a := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 200, MedianMS: 40, Seed: 1})
		b := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 200, MedianMS: 20, Seed: 2})
		a.Label, b.Label = "short/c4/1", "short/c4/2"
		return reporttest.Report(a, b)
	}
	base := writeReport(t, dir, "base.json", good())
	before, _ := os.ReadFile(base)
	tests := []struct {
		name  string
		spoil func(r *report.Report)
		want  string
	}{
		{"failed", func(r *report.Report) {
			r.Runs[1].Failed, r.Runs[1].FailReason = true, "error rate 1 (50 of 50 requests) above --max-error-rate 0.05"
		}, `run "short/c4/2" (sim:h100-sxm llama-3.1-8b/chat/bf16 closed c=8) failed: error rate 1`},
		{"failed without a reason", func(r *report.Report) { r.Runs[0].Failed = true }, `"short/c4/1"`},
		{"invalid", func(r *report.Report) {
			r.Runs[0].Valid, r.Runs[0].InvalidReasons = false, []string{"schedule lag p99 40 ms", "3 dropped"}
		}, `"short/c4/1" (sim:l4 llama-3.1-8b/chat/bf16 closed c=8) is invalid: schedule lag p99 40 ms (and 1 more reasons)`},
		{"no completed request", func(r *report.Report) {
			r.Runs[0].Counts = report.Counts{Requests: 39721, Errors: 39721}
		}, "completed 0 requests (39721 errors"},
		{"interrupted run", func(r *report.Report) { r.Runs[1].Interrupted = true }, `"short/c4/2"`},
		{"interrupted report", func(r *report.Report) { r.Interrupted = true }, "interrupted"},
		{"two bad runs", func(r *report.Report) { r.Runs[0].Failed, r.Runs[1].Valid = true, false }, "and 1 more of its 2 runs"},
	}
	for i, tt := range tests {
		rep := good()
		tt.spoil(rep)
		src := writeReport(t, dir, fmt.Sprintf("bad-%d.json", i), rep)
		for _, args := range [][]string{{"baseline", src, base, "--force"}, {"baseline", src, filepath.Join(dir, "new.json")}} {
			code, _, errs := invoke(t, args...)
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			if code != exitRuntime || len(lines) != 1 || !strings.Contains(errs, tt.want) || !strings.Contains(errs, "--force") {
				t.Errorf("%s: %v: exit %d, stderr %q; want 1 and one line with %q", tt.name, args[1:], code, errs, tt.want)
			}
		}
	}
	if after, _ := os.ReadFile(base); string(after) != string(before) {
		t.Error("a refused promotion changed the baseline")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.json")); err == nil {
		t.Error("a refused promotion made a new baseline")
	}
	if code, _, errs := invoke(t, "baseline", writeReport(t, dir, "good.json", good()), base, "--force"); code != exitOK {
		t.Errorf("a green report: exit %d: %s", code, errs)
	}
}

// Four simulated shards in virtual time, merged: average power is under peak,
// the table, the price and the energy agree on the chips (four devices, one
// per shard), and J/token is the shards' summed energy over their summed
// tokens, as the basis says.
func TestMergeShardsEnergyAndCost(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var paths []string
	var joules, tokens, perHour float64
	for i := range 4 {
		p := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		if code, _, errs := invoke(t, "run", "--backend", "sim:h100-sxm", "--scenario", "poisson", "--rate", "2",
			"--requests", "200", "--seed", "11", "--shard", fmt.Sprintf("%d/4", i), "-o", p); code != exitOK {
			t.Fatalf("shard %d: exit %d: %s", i, code, errs)
		}
		rep, err := report.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r := rep.Runs[0]
		if r.Energy == nil || r.Cost == nil || !r.Scenario.Virtual {
			t.Fatalf("shard %d: energy %v, cost %v, virtual %v", i, r.Energy, r.Cost, r.Scenario.Virtual)
		}
		joules += r.Energy.Joules
		tokens += float64(r.Counts.Completed) * r.Workload.MeanOutputTokens
		perHour += r.Cost.USDPerHour
		paths = append(paths, p)
	}
	merged := filepath.Join(dir, "merged.json")
	code, stdout, errs := invoke(t, append([]string{"merge", "-o", merged}, paths...)...)
	if code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	rep, err := report.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	e, c := r.Energy, r.Cost
	if e == nil || c == nil {
		t.Fatalf("merged energy %v, cost %v", e, c)
	}
	t.Logf("merged: %.0f J, avg %.0f W, peak %.0f W, %.3g J/token, %d chips at $%.2f/h; %s", e.Joules, e.AvgPowerW, e.PeakPowerW, e.JoulesPerOutputToken, c.Chips, c.USDPerHour, e.Basis)
	if e.AvgPowerW > e.PeakPowerW {
		t.Errorf("average power %.0f W above peak %.0f W", e.AvgPowerW, e.PeakPowerW)
	}
	if math.Abs(e.Joules-joules) > 1e-9*joules || math.Abs(e.JoulesPerOutputToken-joules/tokens) > 1e-9*joules/tokens {
		t.Errorf("%v J, %v J/token; want the shards' %v J over their %v tokens = %v", e.Joules, e.JoulesPerOutputToken, joules, tokens, joules/tokens)
	}
	if e.Devices != 4 || !strings.Contains(e.Basis, "sum over 4 devices, one per shard") || !strings.Contains(e.Basis, "part-loaded") {
		t.Errorf("energy devices %d, basis %q: want the 4 part-loaded devices said", e.Devices, e.Basis)
	}
	if c.Chips != 4 || r.Backend.Info.Chips != 4 || c.Devices != 4 || math.Abs(c.USDPerHour-perHour) > 1e-9 {
		t.Errorf("priced %d chips on %d devices at $%v/h, backend %d chips; want 4, 4, $%v/h and 4", c.Chips, c.Devices, c.USDPerHour, r.Backend.Info.Chips, perHour)
	}
	// The chips column follows the load column ("c=8", or "2 req/s": two
	// fields).
	var chips string
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[1] == "sim:h100-sxm" {
			chips = f[3]
			if f[3] == "req/s" {
				chips = f[4]
			}
		}
	}
	if chips != strconv.Itoa(c.Chips) {
		t.Errorf("the table's chips column disagrees with the %d priced chips:\n%s", c.Chips, stdout)
	}
}

// A merge whose shards include a failed one writes the report, marked failed,
// and exits 1 naming the shard: a sharded run that failed in part stays loud.
func TestMergeFailedShardExits1(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var paths []string
	for i := range 2 {
		r := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 100, MedianMS: 40, Seed: uint64(i)})
		r.Scenario.Shard = fmt.Sprintf("%d/2", i)
		if i == 1 {
			r.Failed, r.FailReason = true, "error rate 0.9 (90 of 100 requests) above --max-error-rate 0.05"
		}
		paths = append(paths, writeReport(t, dir, fmt.Sprintf("s%d.json", i), reporttest.Report(r)))
	}
	merged := filepath.Join(dir, "merged.json")
	code, _, errs := invoke(t, append([]string{"merge", "-o", merged, "--format", "json"}, paths...)...)
	if code != exitRuntime || !strings.Contains(errs, "shard 1/2: error rate 0.9") {
		t.Errorf("exit %d, stderr %q; want 1 naming shard 1/2", code, errs)
	}
	if rep, err := report.ReadFile(merged); err != nil || !rep.Runs[0].Failed {
		t.Errorf("the merged report was not kept marked failed: %v", err)
	}
}

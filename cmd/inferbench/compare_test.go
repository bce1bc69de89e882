package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
)

// reportFile writes runs, priced, as a report file in dir.
func reportFile(t *testing.T, dir, name string, runs ...report.Run) string {
	t.Helper()
	rep := reporttest.Report(runs...)
	report.DefaultPrices().AddCosts(rep)
	path := filepath.Join(dir, name)
	if err := report.WriteFileAtomic(path, rep.Encode); err != nil {
		t.Fatal(err)
	}
	return path
}

// threeReps is the nightly suite's shape: three repetitions of one
// configuration, each completing n requests in 60 s at a median latency.
func threeReps(seed uint64, n int, medianMS float64) []report.Run {
	var runs []report.Run
	for i := uint64(0); i < 3; i++ {
		runs = append(runs, reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: n + 5*int(i),
			MedianMS: medianMS, Sigma: 0.2, Seed: seed + i}))
	}
	return runs
}

// Three repetitions a side: an endpoint ten times slower gates (it read
// "~ p=0.100 n=3" under a rank test over the runs), the same report against
// itself does not, nor do three other seeds of the same configuration.
func TestCompareThreeRepetitionsGate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := reportFile(t, dir, "base.json", threeReps(1, 2535, 100)...)
	slow := reportFile(t, dir, "slow.json", threeReps(11, 238, 1000)...)
	again := reportFile(t, dir, "again.json", threeReps(21, 2535, 100)...)
	code, out, errs := invoke(t, "compare", base, slow)
	if code != exitRegression || !strings.Contains(errs, "throughput req/s -90.") || !strings.Contains(out, "REGRESSION") || strings.Contains(out, "p=0.100") {
		t.Errorf("10x slower over 3 repetitions: exit %d, want 3 naming throughput\n%s%s", code, out, errs)
	}
	for _, next := range []string{base, again} {
		code, out, errs := invoke(t, "compare", base, next)
		if code != exitOK || strings.Contains(out, "REGRESSION") || strings.Contains(out, "too few repetitions to judge") {
			t.Errorf("compare with %s: exit %d, want 0 with every row judged\n%s%s", filepath.Base(next), code, out, errs)
		}
	}
}

// Reports that share nothing to pair are bad input: exit 2, naming what
// each holds so the reason shows.
func TestCompareNothingToPairExits2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	poisson := reportFile(t, dir, "poisson.json", reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 300, MedianMS: 100, Rate: 5}))
	closed := reportFile(t, dir, "closed.json", reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 300, MedianMS: 100}))
	empty := reportFile(t, dir, "empty.json")
	wantUsageError(t, "closed.json holds sim:l4 llama-3.1-8b/chat/bf16 closed c=8", "compare", poisson, closed)
	wantUsageError(t, "poisson.json holds sim:h100-sxm llama-3.1-8b/chat/bf16 poisson 5/s", "compare", poisson, closed)
	wantUsageError(t, "empty.json holds no runs", "compare", poisson, empty)
}

// A failed new run is a regression (exit 3) naming the run and why, paired
// or not; a failed base is said in the output but is not the new report's
// regression.
func TestCompareFailedRunExits3(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec := reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 1000, MedianMS: 100, Seed: 1, Rate: 5}
	bad := reporttest.Run(spec)
	bad.Failed, bad.FailReason = true, "error rate 100.0% above --max-error-rate 5.0%: HTTP 404 model does not exist"
	good := reportFile(t, dir, "good.json", reporttest.Run(spec))
	failed := reportFile(t, dir, "failed.json", bad)
	code, out, errs := invoke(t, "compare", good, failed)
	if code != exitRegression || !strings.Contains(errs, "failed run") || !strings.Contains(errs, "sim:h100-sxm") || !strings.Contains(errs, "HTTP 404") ||
		!strings.Contains(out, "FAILED") || !strings.Contains(out, "not judged") {
		t.Errorf("new run failed: exit %d, want 3 naming the run and its reason\n%s%s", code, out, errs)
	}
	code, out, errs = invoke(t, "compare", failed, good)
	if code != exitOK || !strings.Contains(out, "base FAILED") || !strings.Contains(out, "base run failed: not judged") {
		t.Errorf("base run failed: exit %d, want 0 with the base flagged\n%s%s", code, out, errs)
	}
}

// An invalid side is flagged in every format.
func TestCompareInvalidFlaggedInEveryFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec := reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 1000, MedianMS: 100, Seed: 1, Rate: 5}
	inv := reporttest.Run(spec)
	inv.Valid, inv.InvalidReasons = false, []string{"schedule lag p99 40 ms"}
	good := reportFile(t, dir, "good.json", reporttest.Run(spec))
	bad := reportFile(t, dir, "invalid.json", inv)
	for _, f := range []string{"text", "markdown", "json", "csv", "html"} {
		out := filepath.Join(dir, "cmp."+f)
		code, _, errs := invoke(t, "compare", good, bad, "--format", f, "-o", out)
		b, err := os.ReadFile(out)
		if code != exitOK || err != nil || !bytes.Contains(b, []byte("INVALID")) {
			t.Errorf("--format %s: exit %d %v %s; output lacks INVALID:\n%s", f, code, err, errs, b)
		}
	}
}

// Different hardware is compared and printed, exit 0 with a note that a
// hardware difference is not a regression; --cross-hardware gates it.
func TestCompareCrossHardware(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fast := reportFile(t, dir, "h100.json", reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 2000, MedianMS: 100, Seed: 1, Rate: 5}))
	slow := reportFile(t, dir, "l4.json", reporttest.Run(reporttest.Spec{Backend: "sim:l4", Profile: "l4", N: 1000, MedianMS: 900, Seed: 2, Rate: 5}))
	code, out, errs := invoke(t, "compare", fast, slow)
	if code != exitOK || strings.Contains(out, "REGRESSION") || !strings.Contains(out, "not a regression") || !strings.Contains(errs, "pass --cross-hardware") {
		t.Errorf("without --cross-hardware: exit %d, want 0 and a note\n%s%s", code, out, errs)
	}
	code, out, errs = invoke(t, "compare", fast, slow, "--cross-hardware")
	if code != exitRegression || !strings.Contains(out, "REGRESSION") || !strings.Contains(errs, "sim:l4 latency p99") {
		t.Errorf("with --cross-hardware: exit %d, want 3\n%s%s", code, out, errs)
	}
	// The faster device against the slower one is no regression, but for its
	// rent: the H100 costs more per token at this light load.
	if code, out, errs := invoke(t, "compare", slow, fast, "--cross-hardware"); code != exitRegression || !strings.Contains(errs, "1 metric(s)") || !strings.Contains(errs, "cost") {
		t.Errorf("l4 → h100 --cross-hardware: exit %d, want 3 for cost alone\n%s%s", code, out, errs)
	}
	if code, out, errs := invoke(t, "compare", slow, fast, "--cross-hardware", "--threshold", "usd_per_mtok=off"); code != exitOK {
		t.Errorf("l4 → h100 --cross-hardware: exit %d\n%s%s", code, out, errs)
	}
}

// Two seeds of one simulated configuration, each one run, through `report
// --format gobench` and benchstat's own comparison: nothing is significant
// (bootstrap replicates of each run made 8 of 10 metrics so).
func TestCompareGobenchTwoSeeds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vals := map[string]map[string][]float64{}
	for _, seed := range []string{"7", "8"} {
		path := filepath.Join(dir, seed+".json")
		if code, _, errs := invoke(t, "run", "--backend", "sim:h100-sxm", "--scenario", "poisson", "--rate", "5", "--duration", "60s", "--seed", seed, "-o", path); code != exitOK {
			t.Fatalf("run seed %s: exit %d %s", seed, code, errs)
		}
		code, out, errs := invoke(t, "report", path, "--format", "gobench")
		if code != exitOK {
			t.Fatalf("report --format gobench: exit %d %s", code, errs)
		}
		vals[seed] = map[string][]float64{}
		r := benchfmt.NewReader(strings.NewReader(out), seed)
		for r.Scan() {
			if res, ok := r.Result().(*benchfmt.Result); ok {
				for _, v := range res.Values {
					vals[seed][v.Unit] = append(vals[seed][v.Unit], v.Value)
				}
			}
		}
	}
	if len(vals["7"]) < 9 {
		t.Fatalf("gobench units %v, want at least 9", vals["7"])
	}
	for unit, a := range vals["7"] {
		b := vals["8"][unit]
		c := benchmath.AssumeNothing.Compare(benchmath.NewSample(a, &benchmath.DefaultThresholds), benchmath.NewSample(b, &benchmath.DefaultThresholds))
		if len(a) != 1 || len(b) != 1 || c.P < c.Alpha {
			t.Errorf("%s: %d and %d values, p %.3f: want one line per run and no significance", unit, len(a), len(b), c.P)
		}
	}
}

// A reasoning model that thinks three times as long tonight: `serve
// --reasoning-tokens 4` then 12, the same load against each. compare exits
// 3 naming the TTFO and reasoning rows (TTFO later by 8 tokens of 6 ms,
// reasoning tripled), rows a comparison of runs without reasoning never
// shows. Paced real time: a busy machine only adds jitter to both sides,
// far below those changes; that TTFT does not gate is TestOptionalRows's,
// on known histograms.
func TestCompareGatesOnReasoning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	for _, n := range []string{"4", "12"} {
		url, stop := startServe(t, getenv, "--reasoning-tokens", n)
		code, _, stderr := invokeEnv(getenv, "run", "--backend", url, "--model", "llama-3.1-8b", "--concurrency", "4",
			"--requests", "24", "--input-tokens", "32", "--output-tokens", "16", "-o", filepath.Join(dir, n+".json"))
		if code != exitOK {
			t.Fatalf("run against --reasoning-tokens %s: exit %d: %s", n, code, stderr)
		}
		stop()
	}
	code, out, stderr := invokeEnv(getenv, "compare", filepath.Join(dir, "4.json"), filepath.Join(dir, "12.json"))
	if code != exitRegression {
		t.Fatalf("compare: exit %d, want %d: %s%s", code, exitRegression, out, stderr)
	}
	if !strings.Contains(stderr, "TTFO p50 +") || !strings.Contains(stderr, "reasoning tok/req +") {
		t.Errorf("regressions should name TTFO and reasoning:\n%s", stderr)
	}
}

package gobench_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/gobench"
)

// read parses gobench output as benchstat does: results by unit, and the
// unit metadata.
func read(t *testing.T, b []byte) (vals map[string][]float64, names map[string]bool, meta map[string]string) {
	t.Helper()
	r := benchfmt.NewReader(bytes.NewReader(b), "test.txt")
	vals, names, meta = map[string][]float64{}, map[string]bool{}, map[string]string{}
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			names[string(rec.Name)] = true
			for _, v := range rec.Values {
				vals[v.Unit] = append(vals[v.Unit], v.Value)
			}
		case *benchfmt.UnitMetadata:
			meta[rec.Unit+" "+rec.Key] = rec.Value
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt rejects the output: %v", rec)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return vals, names, meta
}

func TestBenchfmtReadsUnitsAndDirections(t *testing.T) {
	t.Parallel()
	run := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 3000, MedianMS: 250, Seed: 5, Joules: 0.4, Rate: 5})
	rep := reporttest.Report(run)
	report.DefaultPrices().AddCosts(rep)
	var buf bytes.Buffer
	if err := gobench.Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	vals, names, meta := read(t, buf.Bytes())
	if !names["Inference/model=llama-3.1-8b/workload=chat/precision=bf16/scenario=poisson/rate=5"] || len(names) != 1 {
		t.Errorf("names %v", names)
	}
	for _, u := range gobench.Units() {
		if got := meta[u.Name+" better"]; got != u.Better {
			t.Errorf("unit %s: better=%q, want %q", u.Name, got, u.Better)
		}
		if len(vals[u.Name]) != 1 {
			t.Errorf("unit %s: %d values, want 1: one run is one line, nothing synthetic", u.Name, len(vals[u.Name]))
		}
	}
	// The line is the run's own figures, in the units' scale.
	for _, tt := range []struct {
		unit string
		want float64
	}{
		{"req/s", 50}, {"tok/s", 10000}, {"p50-sec", run.Latency.P50 / 1e3}, {"p99-sec", run.Latency.P99 / 1e3},
		{"tpot-p99-sec", run.TPOT.P99 / 1e3}, {"J/tok", 0.4}, {"USD/Mtok", rep.Runs[0].Cost.USDPerMillionOutputTokens},
	} {
		if got := vals[tt.unit][0]; math.Abs(got-tt.want) > 1e-5*tt.want {
			t.Errorf("%s %v, want %v", tt.unit, got, tt.want)
		}
	}
	// With one sample benchstat gives no interval, and says so.
	s := benchmath.NewSample(vals["p99-sec"], &benchmath.DefaultThresholds)
	if sum := benchmath.AssumeNothing.Summary(s, 0.95); len(sum.Warnings) == 0 {
		t.Errorf("benchstat summary of one run %+v: want a warning about too few samples", sum)
	}
}

// A report with several backends keeps them apart by name; identical input
// gives identical text.
func TestSeveralBackendsAndDeterminism(t *testing.T) {
	t.Parallel()
	rep := reporttest.Report(
		reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 500, MedianMS: 100}),
		reporttest.Run(reporttest.Spec{Backend: "http://host:8000/v1", N: 500, MedianMS: 300}),
	)
	var a, b bytes.Buffer
	if err := errors.Join(gobench.Write(&a, rep), gobench.Write(&b, rep)); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("same report, different text")
	}
	_, names, _ := read(t, a.Bytes())
	if len(names) != 2 {
		t.Errorf("names %v: want one per backend", names)
	}
	for n := range names {
		if !strings.Contains(n, "backend=") || strings.Count(n, "/") != 6 {
			t.Errorf("name %q: want backend=ID with no '/' in the id", n)
		}
	}
	// No energy or cost in the runs: those units are absent, not zero.
	if vals, _, _ := read(t, a.Bytes()); len(vals["J/tok"])+len(vals["USD/Mtok"]) > 0 {
		t.Errorf("energy or cost written for runs without them")
	}
}

// reps is a report of n repetitions of one configuration (seeds seed..),
// each completing count requests in 60 s at a median latency.
func reps(n int, seed uint64, count int, medianMS float64) *report.Report {
	var runs []report.Run
	for i := 0; i < n; i++ {
		runs = append(runs, reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: count + 3*i,
			MedianMS: medianMS, Seed: seed + uint64(i), Joules: 0.4 * medianMS / 100, Rate: 5}))
	}
	r := reporttest.Report(runs...)
	report.DefaultPrices().AddCosts(r)
	return r
}

// benchstat compares two gobench texts as its command does (benchfmt, then
// benchmath's U test at its default α) and returns each unit's comparison.
func benchstat(t *testing.T, old, new *report.Report) map[string]benchmath.Comparison {
	t.Helper()
	var a, b bytes.Buffer
	if err := errors.Join(gobench.Write(&a, old), gobench.Write(&b, new)); err != nil {
		t.Fatal(err)
	}
	va, _, _ := read(t, a.Bytes())
	vb, _, _ := read(t, b.Bytes())
	out := map[string]benchmath.Comparison{}
	for _, u := range gobench.Units() {
		sa := benchmath.NewSample(va[u.Name], &benchmath.DefaultThresholds)
		sb := benchmath.NewSample(vb[u.Name], &benchmath.DefaultThresholds)
		out[u.Name] = benchmath.AssumeNothing.Compare(sa, sb)
	}
	return out
}

// Two seeds of one configuration are not different, and benchstat must not
// say they are: one run a side is one value a side (p = 1), where bootstrap
// replicates of each run made 8 of 10 metrics "significant". Three runs a
// side cannot reach p < 0.1 with the U test, so nothing is significant either.
func TestTwoSeedsAreNotSignificant(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 3} {
		for unit, c := range benchstat(t, reps(n, 1, 3000, 250), reps(n, 101, 3000, 250)) {
			if c.N1 != n || c.N2 != n || c.P < benchmath.DefaultThresholds.CompareAlpha {
				t.Errorf("%d run(s) a side, %s: %+v, want n=%d a side and no significance", n, unit, c, n)
			}
		}
	}
}

// A configuration twice as slow, six repetitions a side: every metric's runs
// are apart, so the U test's p is its smallest, 2/C(12, 6) = 2/924.
func TestTwiceAsSlowIsSignificant(t *testing.T) {
	t.Parallel()
	for unit, c := range benchstat(t, reps(6, 1, 3000, 100), reps(6, 101, 1500, 200)) {
		if c.N1 != 6 || c.N2 != 6 || math.Abs(c.P-2.0/924) > 1e-9 {
			t.Errorf("%s: %+v, want n=6 a side and p = 2/924", unit, c)
		}
	}
}

// Failed and invalid runs are not benchmark lines: benchstat could not show
// what is wrong with their figures. A comment says which and why.
func TestFailedAndInvalidRunsAreNotWritten(t *testing.T) {
	t.Parallel()
	rep := reps(3, 1, 3000, 100)
	rep.Runs[0].Failed, rep.Runs[0].FailReason = true, "error rate 40.0% above --max-error-rate 5.0%"
	rep.Runs[1].Valid, rep.Runs[1].InvalidReasons = false, []string{"schedule lag p99 40 ms"}
	var buf bytes.Buffer
	if err := gobench.Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	vals, _, _ := read(t, buf.Bytes())
	if len(vals["req/s"]) != 1 || vals["req/s"][0] != rep.Runs[2].Throughput.RequestsPerS {
		t.Errorf("req/s %v: want only the third run's", vals["req/s"])
	}
	for _, s := range []string{"FAILED (error rate 40.0%", "INVALID (schedule lag p99 40 ms)"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, buf.String())
		}
	}
}

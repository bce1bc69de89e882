package gobench_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"

	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/gobench"
	"github.com/inferbench/inferbench/report/reporttest"
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
	if err := gobench.Write(&buf, rep, gobench.Options{}); err != nil {
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
		if len(vals[u.Name]) != 10 {
			t.Errorf("unit %s: %d values, want 10 (the run and 9 replicates)", u.Name, len(vals[u.Name]))
		}
	}
	// The first line is the run's own figures, in the units' scale.
	if got := vals["p99-sec"][0]; math.Abs(got-run.Latency.P99/1e3) > 1e-6*got {
		t.Errorf("p99-sec %v, want the run's p99 %v ms in seconds", got, run.Latency.P99)
	}
	if got := vals["USD/Mtok"][0]; math.Abs(got-rep.Runs[0].Cost.USDPerMillionOutputTokens) > 1e-4*got {
		t.Errorf("USD/Mtok %v, want %v", got, rep.Runs[0].Cost.USDPerMillionOutputTokens)
	}
	// benchstat's summary (median and CI) brackets the run's own figure, and
	// has enough samples for a confidence interval without a warning.
	for _, u := range []string{"p50-sec", "p99-sec", "req/s"} {
		s := benchmath.NewSample(append([]float64(nil), vals[u]...), &benchmath.DefaultThresholds)
		sum := benchmath.AssumeNothing.Summary(s, 0.95)
		if len(sum.Warnings) > 0 || sum.Lo > vals[u][0] || sum.Hi < vals[u][0] {
			t.Errorf("%s: benchstat summary %+v does not bracket %v or warns", u, sum, vals[u][0])
		}
	}
}

// A report with several backends keeps them apart by name; identical input
// gives identical text (the bootstrap is seeded).
func TestSeveralBackendsAndDeterminism(t *testing.T) {
	t.Parallel()
	rep := reporttest.Report(
		reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 500, MedianMS: 100}),
		reporttest.Run(reporttest.Spec{Backend: "http://host:8000/v1", N: 500, MedianMS: 300}),
	)
	var a, b bytes.Buffer
	if err := errors.Join(gobench.Write(&a, rep, gobench.Options{Samples: 6}), gobench.Write(&b, rep, gobench.Options{Samples: 6})); err != nil {
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

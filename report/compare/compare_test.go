package compare_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
)

func priced(runs ...report.Run) *report.Report {
	r := reporttest.Report(runs...)
	report.DefaultPrices().AddCosts(r)
	return r
}

var (
	h100 = reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 2000, MedianMS: 100, Seed: 1, Joules: 0.5, Rate: 5}
	l4   = reporttest.Spec{Backend: "sim:l4", Profile: "l4", N: 1000, MedianMS: 900, Seed: 2, Joules: 0.15, Rate: 5}
)

func TestCompareWithItselfFindsNothing(t *testing.T) {
	t.Parallel()
	rep := priced(reporttest.Run(h100))
	res, err := compare.Compare(compare.Input{Name: "a.json", Report: rep}, []compare.Input{{Name: "a.json", Report: rep}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if regs := res.Regressions(); len(regs) != 0 {
		t.Errorf("regressions against itself: %v", regs)
	}
	for _, row := range res.Groups[0].Rows {
		c := row.Cells[0]
		if !c.OK || c.Significant || c.Delta() != "~" || c.P != 1 {
			t.Errorf("%s %s: %+v, want ok, ~ and p=1", row.Name, row.Unit, c)
		}
	}
}

// Reports from different hardware pair by workload and load, and the slower
// device's rows are significantly worse; they are regressions only with
// --cross-hardware (Options.CrossHardware), and without it a note says why
// nothing gates.
func TestCompareAcrossHardware(t *testing.T) {
	t.Parallel()
	base, next := priced(reporttest.Run(h100)), priced(reporttest.Run(l4))
	want := map[string]bool{"rps": true, "tps": true, "p50": true, "p90": true, "p99": true, "ttft_p50": true,
		"ttft_p99": true, "tpot_p50": true, "tpot_p99": true, "j_per_token": false}
	for _, cross := range []bool{false, true} {
		res, err := compare.Compare(compare.Input{Name: "h100.json", Report: base}, []compare.Input{{Name: "l4.json", Report: next}}, compare.Options{CrossHardware: cross})
		if err != nil {
			t.Fatal(err)
		}
		g := res.Groups[0]
		if g.Backend != "sim:h100-sxm" || g.Against[0] != "sim:l4" {
			t.Fatalf("paired %s with %v, want sim:l4", g.Backend, g.Against)
		}
		if !strings.Contains(g.OtherHardware[0], "h100-sxm") || !strings.Contains(g.OtherHardware[0], "l4") {
			t.Errorf("other hardware %q: want both profiles named", g.OtherHardware[0])
		}
		for _, row := range g.Rows {
			c := row.Cells[0]
			if w, ok := want[row.ID]; ok && (c.Worse != w || c.Regression != (w && cross)) {
				t.Errorf("cross %v: %s: worse %v regression %v (delta %.1f%%, p %.3g), want worse %v regression %v",
					cross, row.ID, c.Worse, c.Regression, c.DeltaPct, c.P, w, w && cross)
			}
			// Energy per token fell: significant, but an improvement.
			if row.ID == "j_per_token" && (!c.Significant || c.DeltaPct > -50) {
				t.Errorf("J/token cell %+v: want a significant fall of 70%%", c)
			}
		}
		regs := res.Regressions()
		if cross && (len(regs) != 9 || regs[0].Against != "sim:l4") {
			t.Errorf("--cross-hardware: regressions %v, want the 9 slower rows", regs)
		}
		if !cross && (len(regs) != 0 || res.Ungated() != 9) {
			t.Errorf("without --cross-hardware: regressions %v, ungated %d; want none and 9", regs, res.Ungated())
		}
		var buf bytes.Buffer
		if err := compare.Write(&buf, res, "text"); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !cross && (strings.Contains(out, "REGRESSION") || !strings.Contains(out, "not a regression") || !strings.Contains(out, "--cross-hardware")) {
			t.Errorf("without --cross-hardware the text must say why nothing gates and call nothing a REGRESSION:\n%s", out)
		}
		if cross && !strings.Contains(out, "REGRESSION") {
			t.Errorf("with --cross-hardware the text must mark the regressions:\n%s", out)
		}
	}
}

func TestThresholdsGate(t *testing.T) {
	t.Parallel()
	steady := h100
	steady.N, steady.Sigma = 20000, 0.1
	slower := steady
	slower.MedianMS = 107 // every sample 7% slower
	base, next := priced(reporttest.Run(steady)), priced(reporttest.Run(slower))
	tests := []struct {
		flags []string
		want  []string // regressed metric ids
	}{
		{nil, []string{"p50", "p90", "p99", "ttft_p50", "ttft_p99", "tpot_p50", "tpot_p99"}},
		{[]string{"10%"}, nil},
		{[]string{"10%", "p50=5%"}, []string{"p50"}},
		{[]string{"off"}, nil},
		{[]string{"p99=off,ttft_p99=off,tpot_p99=off"}, []string{"p50", "p90", "ttft_p50", "tpot_p50"}},
	}
	for _, tt := range tests {
		th, err := compare.ParseThresholds(0.05, tt.flags)
		if err != nil {
			t.Fatalf("%v: %v", tt.flags, err)
		}
		res, err := compare.Compare(compare.Input{Name: "a", Report: base}, []compare.Input{{Name: "b", Report: next}}, compare.Options{Thresholds: &th, SampleLimit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, row := range res.Groups[0].Rows {
			if row.Cells[0].Regression {
				got = append(got, row.ID)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("--threshold %v: regressions %v, want %v", tt.flags, got, tt.want)
		}
	}
}

func TestParseThresholdsErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ flag, want string }{
		{"p98=5%", "p99"}, {"five", "5%"}, {"-3%", "non-negative"}, {"p99=", "5%"},
	} {
		_, err := compare.ParseThresholds(0.05, []string{tt.flag})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.flag) {
			t.Errorf("--threshold %q: %v, want an error naming it and %q", tt.flag, err, tt.want)
		}
	}
}

// Several new reports make a matrix: one column each.
func TestCompareMatrixAndFormats(t *testing.T) {
	t.Parallel()
	a100 := reporttest.Spec{Backend: "sim:a100-40gb", Profile: "a100-40gb", N: 1500, MedianMS: 180, Seed: 3, Rate: 5}
	base := priced(reporttest.Run(h100))
	news := []compare.Input{{Name: "l4.json", Report: priced(reporttest.Run(l4))}, {Name: "a100.json", Report: priced(reporttest.Run(a100))}}
	res, err := compare.Compare(compare.Input{Name: "h100.json", Report: base}, news, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Columns) != 2 || len(res.Groups[0].Rows[0].Cells) != 2 || res.Groups[0].Against[1] != "sim:a100-40gb" {
		t.Fatalf("matrix: columns %v against %v", res.Columns, res.Groups[0].Against)
	}
	for _, format := range compare.Formats() {
		var buf bytes.Buffer
		if err := compare.Write(&buf, res, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := buf.String()
		switch format {
		case "text", "markdown":
			for _, s := range []string{"l4.json", "a100.json", "latency p99", "$/1M tok", "sim:a100-40gb"} {
				if !strings.Contains(out, strings.ReplaceAll(s, "$", map[bool]string{true: `\$`, false: "$"}[format == "markdown"])) {
					t.Errorf("%s lacks %q:\n%s", format, s, out)
				}
			}
		case "json":
			var back compare.Result
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil || len(back.Groups) != 1 || back.Groups[0].Rows[4].Cells[1].New == 0 {
				t.Errorf("json does not read back: %v", err)
			}
		case "csv":
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil || len(recs) < 1+2*9 || recs[0][4] != "metric" {
				t.Errorf("csv: %d records, %v", len(recs), err)
			}
		}
	}
	if err := compare.Write(&bytes.Buffer{}, res, "yaml"); err == nil || !strings.Contains(err.Error(), "markdown") {
		t.Errorf("unknown format: %v", err)
	}
}

// nightly builds the shipped nightly suite's shape: three repetitions of one
// configuration (seeds seed..seed+2), each completing n requests in 60 s at
// a median latency.
func nightly(seed uint64, n int, medianMS float64) *report.Report {
	var runs []report.Run
	for i := uint64(0); i < 3; i++ {
		s := h100
		s.Seed, s.N, s.MedianMS, s.Sigma, s.Rate, s.Joules = seed+i, n+int(i)*7, medianMS, 0.2, 0, 0
		runs = append(runs, reporttest.Run(s))
	}
	return priced(runs...)
}

// With three repetitions a side (the nightly suite), a rank test over the
// runs cannot reach p < 0.1, so an endpoint ten times slower read "~ p=0.100
// n=3". Welch's t on the runs' logs sees it: every row is a regression. The
// same report against itself is p = 1 everywhere, and another three seeds
// of the same configuration change nothing beyond the threshold.
func TestThreeRepetitionsGate(t *testing.T) {
	t.Parallel()
	base := nightly(10, 2535, 100) // 42.25 req/s
	slow := nightly(20, 238, 1000) // 3.97 req/s, ten times the latency
	same := nightly(30, 2535, 100)
	res, err := compare.Compare(compare.Input{Name: "base", Report: base}, []compare.Input{
		{Name: "slow", Report: slow}, {Name: "itself", Report: base}, {Name: "reseeded", Report: same}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 {
		t.Fatalf("%d groups, want the repetitions in one", len(res.Groups))
	}
	for _, row := range res.Groups[0].Rows {
		slow, self, reseeded := row.Cells[0], row.Cells[1], row.Cells[2]
		if row.ID == "j_per_token" {
			continue // no energy in these runs
		}
		if slow.Test != "welch-t (log, runs)" || slow.N1 != 3 || slow.N2 != 3 || !slow.Regression || slow.P > 0.001 || slow.Delta() == "~" {
			t.Errorf("%s 10x worse: %+v, want a Welch regression at p < 0.001", row.ID, slow)
		}
		if self.P != 1 || self.Significant || self.Delta() != "~" {
			t.Errorf("%s against itself: %+v, want p=1 and ~", row.ID, self)
		}
		if reseeded.Regression || math.Abs(reseeded.DeltaPct) > 5 {
			t.Errorf("%s other seeds of the same configuration: %+v, want within 5%% and no regression", row.ID, reseeded)
		}
	}
	want := 2*1 + 7 + 1 // req/s, tok/s, seven latency rows, cost
	if regs := res.Regressions(); len(regs) != want || regs[0].Column != "slow" {
		t.Errorf("regressions %v, want %d in column slow", regs, want)
	}
}

// A test that could not have fired at α whatever the numbers says so: "too
// few ... to judge", never "~".
func TestTooFewToJudge(t *testing.T) {
	t.Parallel()
	tiny := reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 3, MedianMS: 100, Seed: 1, Rate: 5}
	slow := tiny
	slow.MedianMS, slow.Seed = 1000, 2
	// One run of three requests a side: the U test's smallest p is 0.1 and
	// the Poisson test's 0.083, both above α 0.05.
	res, err := compare.Compare(compare.Input{Name: "a", Report: priced(reporttest.Run(tiny))}, []compare.Input{{Name: "b", Report: priced(reporttest.Run(slow))}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range res.Groups[0].Rows {
		c := row.Cells[0]
		if !c.OK {
			continue
		}
		if c.Significant || c.Unjudged == "" || !strings.Contains(c.Delta(), "too few") || c.Delta() == "~" {
			t.Errorf("%s with 3 requests a side: %+v, want too few to judge", row.ID, c)
		}
	}
	// At α 0.2 the same U test can fire (0.1 < 0.2): judged.
	res, err = compare.Compare(compare.Input{Name: "a", Report: priced(reporttest.Run(tiny))}, []compare.Input{{Name: "b", Report: priced(reporttest.Run(slow))}}, compare.Options{Alpha: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Groups[0].Rows[2].Cells[0]; c.Unjudged != "" || c.Test != "mann-whitney" {
		t.Errorf("latency p50 at α 0.2: %+v, want judged", c)
	}
	// Repetitions on both sides, but only one run a side holds energy.
	withJ := func(seed uint64, j float64) *report.Report {
		r := nightly(seed, 2000, 100)
		s := h100
		s.Seed, s.Joules = seed, j
		r.Runs[0].Energy = reporttest.Run(s).Energy
		return r
	}
	res, err = compare.Compare(compare.Input{Name: "a", Report: withJ(1, 0.5)}, []compare.Input{{Name: "b", Report: withJ(5, 5)}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range res.Groups[0].Rows {
		if row.ID == "j_per_token" && (row.Cells[0].Delta() != "too few repetitions to judge" || row.Cells[0].Regression) {
			t.Errorf("energy held by one run a side: %+v, want too few repetitions to judge", row.Cells[0])
		}
	}
}

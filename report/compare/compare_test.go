package compare_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
	"github.com/inferbench/inferbench/report/reporttest"
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
// device's latency rows are regressions.
func TestCompareAcrossHardware(t *testing.T) {
	t.Parallel()
	base, next := priced(reporttest.Run(h100)), priced(reporttest.Run(l4))
	res, err := compare.Compare(compare.Input{Name: "h100.json", Report: base}, []compare.Input{{Name: "l4.json", Report: next}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if g := res.Groups[0]; g.Backend != "sim:h100-sxm" || g.Against[0] != "sim:l4" {
		t.Fatalf("paired %s with %v, want sim:l4", g.Backend, g.Against)
	}
	want := map[string]bool{"rps": true, "tps": true, "p50": true, "p90": true, "p99": true, "ttft_p50": true,
		"ttft_p99": true, "tpot_p50": true, "tpot_p99": true, "j_per_token": false}
	for _, row := range res.Groups[0].Rows {
		c := row.Cells[0]
		if w, ok := want[row.ID]; ok && c.Regression != w {
			t.Errorf("%s: regression %v (delta %.1f%%, p %.3g), want %v", row.ID, c.Regression, c.DeltaPct, c.P, w)
		}
	}
	regs := res.Regressions()
	if len(regs) == 0 || regs[0].Against != "sim:l4" {
		t.Errorf("regressions %v", regs)
	}
	// Energy per token fell: significant, but an improvement.
	for _, row := range res.Groups[0].Rows {
		if row.ID == "j_per_token" && (!row.Cells[0].Significant || row.Cells[0].DeltaPct > -50) {
			t.Errorf("J/token cell %+v: want a significant fall of 70%%", row.Cells[0])
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

// With repetitions on both sides, throughput is tested over the runs'
// values (benchstat's U test), and a lone pair warns it has too few.
func TestCompareRepetitions(t *testing.T) {
	t.Parallel()
	var bruns, nruns []report.Run
	for i := uint64(0); i < 6; i++ {
		b, n := h100, h100
		b.Seed, n.Seed = 10+i, 20+i
		b.N, n.N = 2000+int(i), 1500+int(i) // a quarter less throughput
		bruns, nruns = append(bruns, reporttest.Run(b)), append(nruns, reporttest.Run(n))
	}
	res, err := compare.Compare(compare.Input{Name: "a", Report: priced(bruns...)}, []compare.Input{{Name: "b", Report: priced(nruns...)}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Groups[0].Rows[0].Cells[0]
	if c.Test != "mann-whitney (runs)" || c.N1 != 6 || !c.Regression {
		t.Errorf("throughput over repetitions: %+v", c)
	}
	one, err := compare.Compare(compare.Input{Name: "a", Report: priced(bruns[:2]...)}, []compare.Input{{Name: "b", Report: priced(nruns[:2]...)}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := one.Groups[0].Rows[0].Cells[0]; c.Significant || len(c.Warnings) == 0 {
		t.Errorf("two runs a side: %+v, want no significance and a warning about sample size", c)
	}
}

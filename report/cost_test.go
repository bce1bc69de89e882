package report_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
)

// AWS's formula: a chip at $0.758/h serving 1,000 inferences per second costs
// (1e6 / 1000) · (0.758 / 3600) dollars per million.
func ExamplePerMillion() {
	fmt.Printf("$%.4f per 1M requests\n", report.PerMillion(0.758, 1000))
	// Output: $0.2106 per 1M requests
}

func TestCostOf(t *testing.T) {
	t.Parallel()
	run := reporttest.Run(reporttest.Spec{Backend: "sim:inf2?chips=12", Profile: "inf2", Chips: 12, N: 600, MedianMS: 100})
	// 600 requests of 200 tokens in 60 s: 10 req/s, 2000 tok/s.
	tests := []struct {
		name      string
		overrides []string
		perHour   float64
		source    string
	}{
		{"table", nil, 12 * 0.758, "fixtures/prices.json"},
		{"profile override", []string{"inf2=1"}, 12, "--price"},
		{"backend override wins", []string{"inf2=1", "sim:inf2?chips=12=2"}, 24, "--price"},
	}
	for _, tt := range tests {
		p := report.DefaultPrices()
		if err := p.ParsePriceFlags(tt.overrides); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		c, err := p.CostOf(&run)
		if err != nil {
			t.Fatalf("%s: no cost: %v", tt.name, err)
		}
		if math.Abs(c.USDPerHour-tt.perHour) > 1e-9 || c.Chips != 12 || !strings.HasPrefix(c.Source, tt.source) {
			t.Errorf("%s: %+v, want $%g/h from %s", tt.name, c, tt.perHour, tt.source)
		}
		if want := report.PerMillion(tt.perHour, 2000); math.Abs(c.USDPerMillionOutputTokens-want) > 1e-9 {
			t.Errorf("%s: $/1M tok %g, want %g", tt.name, c.USDPerMillionOutputTokens, want)
		}
		if want := (1e6 / 10) * (tt.perHour / 3600); math.Abs(c.USDPerMillionRequests-want) > 1e-9 {
			t.Errorf("%s: $/1M req %g, want %g", tt.name, c.USDPerMillionRequests, want)
		}
	}
}

func TestAddCostsNotes(t *testing.T) {
	t.Parallel()
	rep := reporttest.Report(
		reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 100, MedianMS: 10}),
		reporttest.Run(reporttest.Spec{Backend: "sim:npu-m4", Profile: "npu-m4", N: 100, MedianMS: 10}),
		reporttest.Run(reporttest.Spec{Backend: "sim:npu-x-elite", Profile: "npu-x-elite", N: 100, MedianMS: 10}),
		reporttest.Run(reporttest.Spec{Backend: "sim:b200", Profile: "b200", N: 100, MedianMS: 10}),
	)
	p := report.DefaultPrices()
	if err := p.ParsePriceFlags([]string{"h100-sxn=3"}); err != nil {
		t.Fatal(err)
	}
	notes := p.AddCosts(rep)
	if rep.Runs[0].Cost == nil || rep.Runs[0].Cost.USDPerHour != 39.33/8 || rep.Runs[0].Cost.Date == "" {
		t.Errorf("h100 cost %+v, want the capacity-block rate with its date", rep.Runs[0].Cost)
	}
	if rep.Runs[1].Cost != nil {
		t.Errorf("npu-m4 priced: %+v", rep.Runs[1].Cost)
	}
	want := []string{
		`no price for "npu-m4", "npu-x-elite": a laptop NPU is bought with the laptop, not rented by the hour: no hourly basis`,
		`no price for "b200": no rental price found in the sources used; give one with --price b200=USD`,
		"--price h100-sxn matches no run (backend ids and profiles in the report are valid)",
	}
	if !slices.Equal(notes, want) {
		t.Errorf("notes:\n%s\nwant (profiles unpriced for one reason share a note):\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
}

func TestParsePriceFlagsErrors(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"h100-sxm", "=3", "h100-sxm=abc", "h100-sxm=-1"} {
		p := report.DefaultPrices()
		err := p.ParsePriceFlags([]string{v})
		if err == nil || !strings.Contains(err.Error(), v) || !strings.Contains(err.Error(), "ID=USD") {
			t.Errorf("--price %q: %v, want an error naming it and the form", v, err)
		}
	}
}

// A run that cannot be priced for want of a profile says so once, however
// many loads of it the report holds.
func TestAddCostsNoteOnce(t *testing.T) {
	var runs []report.Run
	for _, c := range []int{1, 2, 4} {
		r := reporttest.Run(reporttest.Spec{Backend: "http://127.0.0.1:8000/v1", N: 10, MedianMS: 10, Seed: uint64(c)})
		r.Scenario = report.Scenario{Name: "sweep", Concurrency: c}
		runs = append(runs, r)
	}
	notes := report.DefaultPrices().AddCosts(reporttest.Report(runs...))
	if len(notes) != 1 || !strings.Contains(notes[0], "http://127.0.0.1:8000/v1") {
		t.Errorf("notes %q, want one naming the endpoint", notes)
	}
}

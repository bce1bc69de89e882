package report_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/fixtures"
	goldenfile "github.com/inferbench/inferbench/internal/golden"
	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
)

// pricedReport holds what a priced run shows beside its latencies: energy,
// a price from the table, a price marked as an assumption on two chips, and
// a user's --price for an endpoint that streamed nothing (no TPOT). The price
// table is the test's own, so a change to fixtures/prices.json does not
// rewrite these files.
func pricedReport(t *testing.T) *report.Report {
	t.Helper()
	h100 := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 600, MedianMS: 250, Seed: 11, Joules: 0.4, Rate: 5})
	h100.Label = "chat/poisson-5/1"
	l4 := reporttest.Run(reporttest.Spec{Backend: "sim:l4?chips=2", Profile: "l4", Chips: 2, N: 300, MedianMS: 900, Seed: 12, Joules: 0.15, Rate: 5})
	l4.Label = "chat/poisson-5/1"
	endpoint := reporttest.Run(reporttest.Spec{Backend: "http://127.0.0.1:8000/v1", N: 450, MedianMS: 400, Seed: 13, Rate: 5})
	endpoint.Backend.Kind, endpoint.Backend.Info.Kind = accel.KindRemote, accel.KindRemote
	endpoint.Scenario.Virtual = false
	endpoint.TPOT = report.Summary{}
	delete(endpoint.Histograms, "tpot")
	rep := reporttest.Report(h100, l4, endpoint)
	prices := report.Prices{
		Table: fixtures.PriceTable{Prices: []fixtures.Price{
			{Profile: "h100-sxm", USDPerChipHour: 3.9, Basis: "p5.48xlarge on demand / 8", Source: "test table", Date: "2026-01-01"},
			{Profile: "l4", USDPerChipHour: 0.8, Basis: "a guess", Source: "test table", Date: "2026-01-01", Assumption: true},
		}},
		Overrides: map[string]float64{"http://127.0.0.1:8000/v1": 2.5},
	}
	if notes := prices.AddCosts(rep); len(notes) > 0 {
		t.Fatalf("pricing notes %q: every run should be priced", notes)
	}
	return rep
}

// reasoningReport holds a reasoning model's endpoint, whose answers begin
// (TTFO, median 300 ms) well after its first token (TTFT, the first
// reasoning token) and carry 412.5 reasoning tokens each, beside a simulated
// run that told no reasoning from answer: every format shows the TTFO and
// reasoning figures, "-" for the run without them.
func reasoningReport() *report.Report {
	spec := reporttest.Spec{Backend: "http://127.0.0.1:8000/v1", N: 400, MedianMS: 900, Seed: 21, Rate: 2}
	endpoint := reporttest.Run(spec)
	endpoint.Backend.Kind, endpoint.Backend.Info.Kind = accel.KindRemote, accel.KindRemote
	endpoint.Scenario.Virtual = false
	spec.MedianMS = 300
	ttfo := reporttest.NewHist()
	for _, v := range spec.Samples() {
		_ = ttfo.RecordValue(v)
	}
	s := report.Summarize(ttfo)
	endpoint.TTFO = &s
	enc, err := report.EncodeHist(ttfo)
	if err != nil {
		panic(err)
	}
	endpoint.Histograms["ttfo"] = enc
	endpoint.Workload.MeanReasoningTokens = 412.5
	sim := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 400, MedianMS: 250, Seed: 22, Rate: 2})
	return reporttest.Report(endpoint, sim)
}

// Each of report.Formats, golden, for a priced report and a reasoning
// model's; and the JSON of the
// report of every standing (ok, FAILED, INVALID, interrupted), whose tables
// TestStatusInEveryFormat holds.
func TestGoldenReportFormats(t *testing.T) {
	var cases []struct{ name, format string }
	for _, format := range report.Formats() {
		cases = append(cases, struct{ name, format string }{"priced", format}, struct{ name, format string }{"reasoning", format})
	}
	cases = append(cases, struct{ name, format string }{"status", "json"})
	reports := map[string]*report.Report{"priced": pricedReport(t), "reasoning": reasoningReport(), "status": statusReport()}
	for _, tc := range cases {
		t.Run(tc.name+"."+tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, reports[tc.name], tc.format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", tc.name+"."+tc.format)
			if tc.format == "json" {
				goldenfile.CheckJSON(t, path, buf.Bytes())
				return
			}
			goldenfile.Check(t, path, buf.Bytes())
		})
	}
}

package compare_test

import (
	"slices"
	"testing"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
)

// reasoning gives a run a reasoning model's figures: its first output-text
// token comes ttfoMS (median) after the request, and each answer carries
// tokens of reasoning.
func reasoning(r report.Run, spec reporttest.Spec, ttfoMS, tokens float64) report.Run {
	spec.MedianMS = ttfoMS
	h := reporttest.NewHist()
	for _, v := range spec.Samples() {
		_ = h.RecordValue(v)
	}
	s := report.Summarize(h)
	r.TTFO = &s
	enc, err := report.EncodeHist(h)
	if err != nil {
		panic(err)
	}
	r.Histograms["ttfo"] = enc
	r.Workload.MeanReasoningTokens = tokens
	return r
}

func rowIDs(g compare.Group) []string {
	var ids []string
	for _, r := range g.Rows {
		ids = append(ids, r.ID)
	}
	return ids
}

// TTFO and reasoning tokens are rows only where a side has them; where both
// do, they gate like any other row: the answer came twice as late and the
// model thought twice as long, while TTFT (the first token of any kind)
// did not move.
func TestOptionalRows(t *testing.T) {
	t.Parallel()
	spec := reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 2000, MedianMS: 100, Seed: 1, Rate: 5}
	plain := reporttest.Run(spec)
	think := func(ttfo, tokens float64) report.Run { return reasoning(reporttest.Run(spec), spec, ttfo, tokens) }
	core := []string{"rps", "tps", "p50", "p90", "p99", "ttft_p50", "ttft_p99", "tpot_p50", "tpot_p99", "j_per_token", "usd_per_mtok"}
	withAll := slices.Insert(slices.Clone(core), 9, "ttfo_p50", "ttfo_p99", "reasoning")

	cases := []struct {
		name      string
		base, new report.Run
		th        []string
		rows      []string
		regressed []string // rows that regress
		absent    []string // rows shown with a side missing: not judged
	}{
		{name: "neither side reasons", base: plain, new: plain, rows: core},
		{name: "same", base: think(40, 300), new: think(40, 300), rows: withAll},
		{name: "slower answer, longer thought", base: think(40, 300), new: think(80, 600), rows: withAll,
			regressed: []string{"ttfo_p50", "ttfo_p99", "reasoning"}},
		{name: "reasoning ungated", base: think(40, 300), new: think(80, 600), th: []string{"reasoning=off"}, rows: withAll,
			regressed: []string{"ttfo_p50", "ttfo_p99"}},
		{name: "only the new run reasons", base: plain, new: think(40, 300), rows: withAll,
			absent: []string{"ttfo_p50", "ttfo_p99", "reasoning"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th, err := compare.ParseThresholds(0.05, tc.th)
			if err != nil {
				t.Fatal(err)
			}
			res, err := compare.Compare(compare.Input{Name: "base.json", Report: priced(tc.base)},
				[]compare.Input{{Name: "new.json", Report: priced(tc.new)}}, compare.Options{Thresholds: &th})
			if err != nil {
				t.Fatal(err)
			}
			g := res.Groups[0]
			if got := rowIDs(g); !slices.Equal(got, tc.rows) {
				t.Fatalf("rows %v, want %v", got, tc.rows)
			}
			var regressed []string
			for _, r := range g.Rows {
				c := r.Cells[0]
				if c.Regression {
					regressed = append(regressed, r.ID)
				}
				if slices.Contains(tc.absent, r.ID) && (c.OK || r.HasBase || c.Delta() != "") {
					t.Errorf("%s: base %v (has %v), cell %+v: want the base missing and no verdict", r.ID, r.Base, r.HasBase, c)
				}
			}
			if !slices.Equal(regressed, tc.regressed) {
				t.Errorf("regressions %v, want %v", regressed, tc.regressed)
			}
		})
	}
}

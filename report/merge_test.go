package report_test

import (
	"math"
	"testing"

	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/reporttest"
)

// Two shards' merged percentiles are those of one histogram over all samples.
func TestMergeShardsEqualsWhole(t *testing.T) {
	t.Parallel()
	a := reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 3000, MedianMS: 80, Seed: 1, Joules: 0.5}
	b := a
	b.N, b.Seed, b.MedianMS = 2000, 2, 120 // a different shard, slower
	ra, rb := reporttest.Run(a), reporttest.Run(b)
	rb.DurationS = 75
	m, err := report.Merge(reporttest.Report(ra), reporttest.Report(rb))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(m.Runs))
	}
	whole := reporttest.NewHist()
	for _, s := range [][]int64{a.Samples(), b.Samples()} {
		for _, v := range s {
			whole.RecordValue(v)
		}
	}
	want := report.Summarize(whole)
	got := m.Runs[0]
	for name, pair := range map[string][2]float64{
		"p50": {got.Latency.P50, want.P50}, "p90": {got.Latency.P90, want.P90}, "p99": {got.Latency.P99, want.P99},
		"p999": {got.Latency.P999, want.P999}, "max": {got.Latency.Max, want.Max}, "mean": {got.Latency.Mean, want.Mean},
	} {
		if pair[0] != pair[1] {
			t.Errorf("merged %s %v, one histogram over all samples %v", name, pair[0], pair[1])
		}
	}
	if got.Counts.Requests != 5000 || got.Counts.Completed != 5000 || got.Latency.Count != 5000 {
		t.Errorf("counts %+v, latency count %d: want 5000", got.Counts, got.Latency.Count)
	}
	if got.DurationS != 75 {
		t.Errorf("duration %v, want the longest shard's 75", got.DurationS)
	}
	if want := ra.Throughput.RequestsPerS + rb.Throughput.RequestsPerS; math.Abs(got.Throughput.RequestsPerS-want) > 1e-9 {
		t.Errorf("req/s %v, want the shards' sum %v", got.Throughput.RequestsPerS, want)
	}
	if got.Energy == nil || math.Abs(got.Energy.Joules-ra.Energy.Joules-rb.Energy.Joules) > 1e-6 ||
		math.Abs(got.Energy.JoulesPerOutputToken-0.5) > 1e-9 {
		t.Errorf("energy %+v, want joules added and 0.5 J/token", got.Energy)
	}
}

func TestMergeWithItselfDoublesCounts(t *testing.T) {
	t.Parallel()
	rep := reporttest.Report(reporttest.Run(reporttest.Spec{Backend: "sim:l4", Profile: "l4", N: 777, MedianMS: 300, Seed: 3}))
	report.DefaultPrices().AddCosts(rep)
	m, err := report.Merge(rep, rep)
	if err != nil {
		t.Fatal(err)
	}
	a, g := rep.Runs[0], m.Runs[0]
	if g.Counts.Requests != 2*a.Counts.Requests || g.Latency.P99 != a.Latency.P99 || g.TTFT.P50 != a.TTFT.P50 {
		t.Errorf("self-merge: requests %d p99 %v; want %d and %v", g.Counts.Requests, g.Latency.P99, 2*a.Counts.Requests, a.Latency.P99)
	}
	if g.Cost == nil || g.Cost.USDPerHour != 2*a.Cost.USDPerHour || math.Abs(g.Cost.USDPerMillionOutputTokens-a.Cost.USDPerMillionOutputTokens) > 1e-9 {
		t.Errorf("cost %+v: two machines cost twice per hour and the same per token as one (%+v)", g.Cost, a.Cost)
	}
	if rep.Runs[0].Counts.Requests != 777 {
		t.Error("Merge changed its argument")
	}
}

func TestMergeKeepsDifferentRunsApart(t *testing.T) {
	t.Parallel()
	h := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 100, MedianMS: 10})
	l := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 100, MedianMS: 10})
	m, err := report.Merge(reporttest.Report(h), reporttest.Report(l, h))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 2 || m.Runs[0].Counts.Requests != 200 || m.Runs[1].Counts.Requests != 100 {
		t.Errorf("runs %d: %+v", len(m.Runs), m.Runs)
	}
}

func TestValuesBounded(t *testing.T) {
	t.Parallel()
	h := reporttest.NewHist()
	for i := 1; i <= 10000; i++ {
		h.RecordValue(int64(i) * 1e6) // 1..10000 ms
	}
	tests := []struct {
		limit, n int
	}{{0, 10000}, {20000, 10000}, {100, 100}}
	for _, tt := range tests {
		vs := report.Values(h, tt.limit)
		if len(vs) != tt.n {
			t.Errorf("limit %d: %d values, want %d", tt.limit, len(vs), tt.n)
			continue
		}
		for i := 1; i < len(vs); i++ {
			if vs[i] < vs[i-1] {
				t.Fatalf("limit %d: not ascending at %d", tt.limit, i)
			}
		}
		// The middle drawn value is the histogram's median, within a step of ranks.
		if med := vs[len(vs)/2]; math.Abs(med-5000)/5000 > 0.02 {
			t.Errorf("limit %d: median %v, want about 5000", tt.limit, med)
		}
	}
	if report.Values(reporttest.NewHist(), 10) != nil {
		t.Error("an empty histogram gave values")
	}
}

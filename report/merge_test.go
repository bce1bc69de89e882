package report_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
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

// Four hand-built shards with known energy, power, price and work: the merge
// reports exactly the sums over the devices they ran on, counting a device
// that shards shared once, and says which.
func TestMergeEnergyAndCostKnownAnswers(t *testing.T) {
	t.Parallel()
	// Shard i: joules, average and peak power over its 100 s window.
	readings := [4]struct{ j, avg, peak float64 }{{1000, 10, 15}, {2000, 20, 30}, {3000, 30, 40}, {4000, 40, 60}}
	const tokens = 100 * 200 * 4 // 100 requests of 200 output tokens per shard
	const url = "http://gpu.example:8000/v1"
	prices := report.Prices{Table: report.DefaultPrices().Table, Overrides: map[string]float64{url: 2, "h100-sxm": 3}}
	shards := func(backend string, kind accel.Kind, uuid func(i int) string) []*report.Report {
		var reps []*report.Report
		for i, r := range readings {
			run := reporttest.Run(reporttest.Spec{Backend: backend, Profile: "h100-sxm", N: 100, MedianMS: 50, Seed: uint64(i)})
			run.Backend.Kind, run.Backend.Info.Kind = kind, kind
			run.Scenario.Shard = fmt.Sprintf("%d/4", i)
			run.DurationS = 100
			run.Energy = &report.Energy{Joules: r.j, AvgPowerW: r.avg, PeakPowerW: r.peak, Source: "simulated",
				JoulesPerRequest: r.j / 100, JoulesPerOutputToken: r.j / 20000}
			if uuid != nil {
				run.Energy.Source = "nvml"
				run.Telemetry = &report.Telemetry{Source: "nvml", Devices: []report.DeviceTelemetry{{Device: "nvml:0", UUID: uuid(i), Samples: 100 + i}}}
			}
			c, err := prices.CostOf(&run)
			if err != nil {
				t.Fatal(err)
			}
			run.Cost = &c
			reps = append(reps, reporttest.Report(run))
		}
		return reps
	}
	const h100 = 3.0 // USD per chip-hour, given
	tests := []struct {
		name               string
		reps               []*report.Report
		joules, avg, peak  float64
		devices            int
		basis              string
		chips, costDevices int
		usdPerHour         float64
		gpus               int // telemetry devices listed
	}{
		{"four simulated devices", shards("sim:h100-sxm", accel.KindSimulated, nil),
			10000, 100, 145, 4, "sum over 4 devices, one per shard", 4, 4, 4 * h100, 0},
		{"one endpoint, one GPU watched by every shard", shards(url, accel.KindRemote, func(int) string { return "GPU-a" }),
			4000, 40, 60, 1, "one device shared by 4 shards, counted once", 1, 1, 2, 1},
		{"one endpoint, two GPUs watched by two shards each", shards(url, accel.KindRemote, func(i int) string { return []string{"GPU-a", "GPU-b"}[i/2] }),
			2000 + 4000, 20 + 40, 30 + 60, 2, "sum over 2 devices used by 4 shards", 1, 1, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := report.Merge(tt.reps...)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Runs) != 1 {
				t.Fatalf("%d runs, want 1", len(m.Runs))
			}
			r := m.Runs[0]
			e := r.Energy
			if e == nil {
				t.Fatal("no energy")
			}
			near := func(what string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("%s %v, want %v", what, got, want)
				}
			}
			near("joules", e.Joules, tt.joules)
			near("avg_power_w", e.AvgPowerW, tt.avg)
			near("peak_power_w", e.PeakPowerW, tt.peak)
			near("J/token", e.JoulesPerOutputToken, tt.joules/tokens)
			near("J/request", e.JoulesPerRequest, tt.joules/400)
			if e.AvgPowerW > e.PeakPowerW {
				t.Errorf("average power %v above peak %v", e.AvgPowerW, e.PeakPowerW)
			}
			if e.Devices != tt.devices || !strings.Contains(e.Basis, tt.basis) {
				t.Errorf("energy devices %d, basis %q; want %d and %q", e.Devices, e.Basis, tt.devices, tt.basis)
			}
			c := r.Cost
			if c == nil {
				t.Fatal("no cost")
			}
			near("usd_per_hour", c.USDPerHour, tt.usdPerHour)
			near("$/1M output tokens", c.USDPerMillionOutputTokens, report.PerMillion(tt.usdPerHour, tokens/60.0))
			if c.Chips != tt.chips || r.Backend.Info.Chips != tt.chips || c.Devices != tt.costDevices || c.DevicesBasis == "" {
				t.Errorf("priced %d chips on %d devices (%q), backend says %d chips; want %d chips on %d devices",
					c.Chips, c.Devices, c.DevicesBasis, r.Backend.Info.Chips, tt.chips, tt.costDevices)
			}
			// Re-pricing the merged report (report --price) prices the same
			// chips and keeps saying what they are.
			again := *m
			again.Runs = []report.Run{r}
			prices.AddCosts(&again)
			if a := again.Runs[0].Cost; a == nil || a.Chips != c.Chips || math.Abs(a.USDPerHour-c.USDPerHour) > 1e-9 || a.Devices != c.Devices || a.DevicesBasis != c.DevicesBasis {
				t.Errorf("re-priced %+v, merged %+v", a, c)
			}
			var text strings.Builder
			if err := report.WriteText(&text, m); err != nil {
				t.Fatal(err)
			}
			if row := strings.Fields(strings.Split(text.String(), "\n")[2]); len(row) < 4 || row[3] != strconv.Itoa(tt.chips) {
				t.Errorf("the table's chips column says %v, the price %d chips:\n%s", row[:min(4, len(row))], c.Chips, text.String())
			}
			if n := 0; r.Telemetry != nil || tt.gpus > 0 {
				if r.Telemetry != nil {
					n = len(r.Telemetry.Devices)
				}
				if n != tt.gpus {
					t.Errorf("telemetry lists %d devices, want %d", n, tt.gpus)
				}
			}
		})
	}
}

// Energy that only some separate devices measured is dropped, not summed as
// if whole; shards of one endpoint that did not measure leave the others'
// reading of the device they all loaded, and the basis says so.
func TestMergePartialEnergy(t *testing.T) {
	t.Parallel()
	run := func(backend string, kind accel.Kind, i int, joules float64) *report.Report {
		r := reporttest.Run(reporttest.Spec{Backend: backend, N: 100, MedianMS: 50, Seed: uint64(i)})
		r.Backend.Kind = kind
		r.Scenario.Shard = fmt.Sprintf("%d/2", i)
		if joules > 0 {
			r.Energy = &report.Energy{Joules: joules, AvgPowerW: joules / 60, PeakPowerW: joules / 30, Source: "nvml"}
		}
		return reporttest.Report(r)
	}
	m, err := report.Merge(run("sim:l4", accel.KindSimulated, 0, 600), run("sim:l4", accel.KindSimulated, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if e := m.Runs[0].Energy; e != nil {
		t.Errorf("one of two devices measured, yet energy %+v", e)
	}
	const url = "http://gpu.example/v1"
	m, err = report.Merge(run(url, accel.KindRemote, 0, 600), run(url, accel.KindRemote, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if e := m.Runs[0].Energy; e == nil || e.Joules != 600 || e.Devices != 1 || !strings.Contains(e.Basis, "1 of 2 shards measured") {
		t.Errorf("energy %+v, want the one reading of the shared endpoint, 600 J, said to be 1 of 2 shards'", e)
	}
}

// A failed, invalid or interrupted shard makes the merged run so, naming the
// shard: a sharded run that failed in part must not read as green.
func TestMergeKeepsFailures(t *testing.T) {
	t.Parallel()
	var reps []*report.Report
	for i := range 3 {
		r := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 100, MedianMS: 50, Seed: uint64(i)})
		r.Scenario.Shard = fmt.Sprintf("%d/3", i)
		switch i {
		case 1:
			r.Failed, r.FailReason = true, "error rate 0.5 (50 of 100 requests) above --max-error-rate 0.05"
		case 2:
			r.Valid, r.InvalidReasons, r.Interrupted = false, []string{"12 late sends"}, true
		}
		reps = append(reps, reporttest.Report(r))
	}
	m, err := report.Merge(reps...)
	if err != nil {
		t.Fatal(err)
	}
	r := m.Runs[0]
	if !r.Failed || !strings.Contains(r.FailReason, "shard 1/3: error rate 0.5") {
		t.Errorf("failed %v %q: want the failure of shard 1/3", r.Failed, r.FailReason)
	}
	if r.Valid || len(r.InvalidReasons) != 1 || r.InvalidReasons[0] != "shard 2/3: 12 late sends" || !r.Interrupted {
		t.Errorf("valid %v %q interrupted %v: want shard 2/3's", r.Valid, r.InvalidReasons, r.Interrupted)
	}
	// The first shard's marks are not the merged run's when it was the bad one.
	reps[0], reps[1] = reps[1], reps[0]
	if m, _ := report.Merge(reps[0], reps[2]); !m.Runs[0].Failed {
		t.Error("the failed first shard's mark was lost")
	}
}

package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/fixtures"
)

func h100(t testing.TB) *sim.Backend {
	t.Helper()
	b, err := sim.New("h100-sxm", 0, "llama-3.1-8b", "", false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func chat(seed uint64) bench.Lengths {
	w, _ := fixtures.LookupWorkload("chat")
	return bench.FromWorkload(seed, w)
}

// Every scenario runs in virtual time on a simulated device, records what
// it should, and gives the same numbers twice for a seed.
func TestVirtualScenarios(t *testing.T) {
	t.Parallel()
	base := bench.Config{
		Concurrency: 4, Rate: 2, Burstiness: 0.5, Duration: 120 * time.Second, Seed: 7,
		Model: "llama-3.1-8b", Lengths: chat(7),
	}
	for _, sc := range bench.Scenarios() {
		c := base
		c.Scenario = sc
		switch sc {
		case bench.Offline:
			c.Requests = 200
		case bench.SweepScenario:
			c.Rates = []float64{1, 2, 4}
		case bench.MaxRate:
			c.SLO = []bench.SLO{{Metric: "ttft", Percentile: 99, Max: 500 * time.Millisecond}}
			c.Duration = 30 * time.Second // overloaded probes queue for the whole run
		case bench.Replay:
			c.Rate, c.Trace = 0, evenTrace(200, 100*ms)
		}
		// A series' figures are its chosen point's (Sweep.Chosen).
		run := func() (*bench.Result, *bench.Sweep) {
			if !sc.Series() {
				res, err := bench.Run(context.Background(), h100(t), c)
				if err != nil {
					t.Fatalf("%s: %v", sc, err)
				}
				return res, nil
			}
			sw, err := bench.RunSweep(context.Background(), h100(t), c)
			if err != nil {
				t.Fatalf("%s: %v", sc, err)
			}
			if sw.Chosen() == nil {
				t.Fatalf("%s: no point chosen of %d", sc, len(sw.Points))
			}
			return sw.Chosen(), sw
		}
		a, as := run()
		b, bs := run()
		if !a.Virtual || a.Completed == 0 || a.Lag.TotalCount() != 0 {
			t.Errorf("%s: virtual=%v completed %d lags %d", sc, a.Virtual, a.Completed, a.Lag.TotalCount())
		}
		if a.Completed != b.Completed || a.Latency.ValueAtQuantile(99) != b.Latency.ValueAtQuantile(99) || a.Elapsed != b.Elapsed {
			t.Errorf("%s: not deterministic: %d/%v vs %d/%v", sc, a.Completed, a.Elapsed, b.Completed, b.Elapsed)
		}
		if !a.Valid {
			t.Errorf("%s: invalid: %q", sc, a.InvalidReasons)
		}
		switch sc {
		case bench.Offline:
			// All arrive at t=0: the last latency is the whole run.
			if a.Requests != 200 || time.Duration(a.Latency.Max()) < a.Elapsed*9/10 {
				t.Errorf("offline: %d requests, max latency %v over %v", a.Requests, time.Duration(a.Latency.Max()), a.Elapsed)
			}
		case bench.Poisson, bench.Constant, bench.Gamma:
			if got := float64(a.Requests) / 120; got < 1.5 || got > 2.5 {
				t.Errorf("%s: %v req/s issued, want about 2", sc, got)
			}
		case bench.SweepScenario:
			if len(as.Points) != 3 || as.Points[0].Requests >= as.Points[2].Requests || a != as.Points[2] {
				t.Errorf("sweep: %d points, best %d", len(as.Points), as.Best)
			}
		case bench.MaxRate:
			// More load, more queueing: the search brackets the SLO.
			if as.MaxRate <= 0 || len(as.Points) < 4 || as.MaxRate != bs.MaxRate || a.Config.Rate != as.MaxRate {
				t.Errorf("max-rate: %v after %d probes (again: %v), chosen at %v", as.MaxRate, len(as.Points), bs.MaxRate, a.Config.Rate)
			}
			var over bool
			for _, p := range as.Points {
				if p.Config.Rate > as.MaxRate && p.Config.Rate < 1.1*as.MaxRate && p.SLOs[0].Met && p.Valid {
					t.Errorf("max-rate %v, but %v met the SLO too", as.MaxRate, p.Config.Rate)
				}
				over = over || !p.SLOs[0].Met
			}
			if !over || !a.SLOs[0].Met {
				t.Errorf("max-rate: no probe missed the SLO, or the chosen one did")
			}
		case bench.SingleStream:
			if a.Workers != 1 {
				t.Errorf("single-stream: %d in flight", a.Workers)
			}
		}
	}
}

// Four shards of a light-load plan, each on its own simulated device, are
// the whole run: the same request count and percentiles within 5%.
func TestVirtualShardsMatchWhole(t *testing.T) {
	t.Parallel()
	c := bench.Config{Scenario: bench.Poisson, Rate: 2, Requests: 400, Seed: 11, Model: "llama-3.1-8b", Lengths: chat(11)}
	whole, err := bench.Run(context.Background(), h100(t), c)
	if err != nil {
		t.Fatal(err)
	}
	merged := bench.NewRecorder()
	var n int64
	for i := range 4 {
		s := c
		s.Shard = bench.Shard{Index: i, Count: 4}
		res, err := bench.Run(context.Background(), h100(t), s)
		if err != nil {
			t.Fatal(err)
		}
		merged.Merge(res.Recorder)
		n += res.Requests
	}
	if n != whole.Requests || n != 400 {
		t.Fatalf("shards issued %d requests, the whole %d, want 400", n, whole.Requests)
	}
	for _, q := range []float64{50, 99} {
		w, m := float64(whole.Latency.ValueAtQuantile(q)), float64(merged.Latency.ValueAtQuantile(q))
		if m < 0.95*w || m > 1.05*w {
			t.Errorf("p%v: shards %v, whole %v", q, time.Duration(m), time.Duration(w))
		}
	}
}

// MLPerf-style early stopping ends a virtual run once the SLO is decided,
// after the floors; the adaptive mode ends it once the CI is narrow.
func TestVirtualStoppingRules(t *testing.T) {
	t.Parallel()
	base := bench.Config{Scenario: bench.Poisson, Rate: 2, Duration: time.Hour, Seed: 3, Model: "llama-3.1-8b", Lengths: chat(3)}
	early := base
	early.SLO = []bench.SLO{{Metric: "ttft", Percentile: 90, Max: 10 * time.Second}}
	early.EarlyStop = true
	early.MinRequests = 100
	res, err := bench.Run(context.Background(), h100(t), early)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped == "" || res.Requests < 100 || res.Requests > 200 || !res.Valid {
		t.Errorf("early stop: stopped %q after %d requests, valid %v %q", res.Stopped, res.Requests, res.Valid, res.InvalidReasons)
	}
	ci := base
	ci.CIWidth = 0.2
	ci.CIOf = bench.SLO{Metric: "latency", Percentile: 50}
	res, err = bench.Run(context.Background(), h100(t), ci)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped == "" || res.Elapsed > 30*time.Minute {
		t.Errorf("ci width: stopped %q after %v", res.Stopped, res.Elapsed)
	}
	lo, hi := bench.QuantileCI95(res.Latency, 0.5)
	if p := float64(res.Latency.ValueAtQuantile(50)); (hi-lo)/p > 0.2 {
		t.Errorf("stopped with a CI of ±%.0f%%", 50*(hi-lo)/p)
	}
	floors := base
	floors.Duration, floors.MinDuration = 10*time.Second, time.Minute
	res, err = bench.Run(context.Background(), h100(t), floors)
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid {
		t.Errorf("a 10s run with a 1m floor is valid")
	}
}

// Benchmarks for `make bench`: one per simulated profile (chat workload,
// closed loop of 8, virtual time) and one for noop. ns/op is the harness's
// (or the simulator's) cost; p50-ns/op and the others are the device's.
func BenchmarkSim(b *testing.B) {
	for _, id := range sim.ProfileIDs() {
		b.Run(id, func(b *testing.B) {
			backend, err := sim.New(id, 0, "llama-3.1-8b", "", false)
			if err != nil {
				b.Skip(err)
			}
			bench.Benchmark(b, backend, bench.Config{
				Scenario: bench.Closed, Concurrency: 8, Seed: 1, Model: "llama-3.1-8b", Lengths: chat(1),
			})
		})
	}
}

func BenchmarkNoop(b *testing.B) {
	bench.Benchmark(b, noop.Backend{}, bench.Config{Scenario: bench.Closed, Concurrency: 1, Lengths: bench.Fixed(1, 128, 64)})
}

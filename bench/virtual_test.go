package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/fixtures"
)

func defaultRun(t *testing.T, profile string) *bench.Result {
	t.Helper()
	b, err := sim.New(profile, 0, "llama-3.1-8b", "", false)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := fixtures.LookupWorkload("chat")
	res, err := bench.Run(context.Background(), b, bench.Config{
		Scenario: bench.Closed, Concurrency: 8, Duration: 60 * time.Second, Seed: 1,
		Model: "llama-3.1-8b", Lengths: bench.FromWorkload(1, w),
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A faster profile is faster on the default workload.
func TestH100BeatsL4(t *testing.T) {
	t.Parallel()
	h, l := defaultRun(t, "h100-sxm"), defaultRun(t, "l4")
	if !h.Virtual || !l.Virtual {
		t.Fatal("simulated runs did not use virtual time")
	}
	if h.OutputTokensPerSecond() <= 2*l.OutputTokensPerSecond() {
		t.Errorf("h100-sxm %.0f tok/s vs l4 %.0f: want the H100 far ahead", h.OutputTokensPerSecond(), l.OutputTokensPerSecond())
	}
	if h.Latency.ValueAtQuantile(50) >= l.Latency.ValueAtQuantile(50) {
		t.Errorf("h100-sxm p50 %v >= l4 p50 %v", time.Duration(h.Latency.ValueAtQuantile(50)), time.Duration(l.Latency.ValueAtQuantile(50)))
	}
	if !h.HasEnergy || h.Energy.Joules <= 0 {
		t.Errorf("simulated run reported no energy: %+v", h.Energy)
	}
}

// Same seed, same plan, same numbers.
func TestVirtualRunDeterministic(t *testing.T) {
	t.Parallel()
	a, b := defaultRun(t, "h100-sxm"), defaultRun(t, "h100-sxm")
	if a.Completed != b.Completed || a.Elapsed != b.Elapsed || a.Latency.ValueAtQuantile(99) != b.Latency.ValueAtQuantile(99) {
		t.Errorf("two runs differ: %d/%v/%d vs %d/%v/%d", a.Completed, a.Elapsed, a.Latency.ValueAtQuantile(99),
			b.Completed, b.Elapsed, b.Latency.ValueAtQuantile(99))
	}
}

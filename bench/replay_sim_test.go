package bench_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/fixtures"
)

func azureConv(t testing.TB) *bench.Trace {
	w, err := fixtures.LookupWorkload("azure-conv")
	if err != nil {
		t.Fatal(err)
	}
	return &bench.Trace{Name: w.ID, Open: w.OpenTrace}
}

// The target: the whole hour of azure-conv replays on a simulated
// H100 in under 2 s of wall clock, with nothing allocated per request (the
// trace is read a line at a time into one record; the engine recycles its
// own): the whole trace costs no more allocations than its first 1,000
// requests, beyond a fixed allowance for the drivers' growth.
func TestReplayAzureConvOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("replays an hour of traffic")
	}
	b := h100(t)
	replay := func(n int64) (int64, *bench.Result, time.Duration) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		res, err := bench.Run(context.Background(), b, bench.Config{Scenario: bench.Replay, Trace: azureConv(t), Requests: n, Model: "llama-3.1-8b", Precision: "bf16"})
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return int64(after.Mallocs - before.Mallocs), res, took
	}
	replay(1000) // warm: the first run sizes what later runs reuse
	small, _, _ := replay(1000)
	large, res, took := replay(0)
	if res.Requests != 19366 || res.Completed != 19366 || res.Errors != 0 {
		t.Errorf("requests %d completed %d errors %d, want all 19,366 of the trace", res.Requests, res.Completed, res.Errors)
	}
	if want := int64(4088665); res.RequestedOutputTokens != want {
		t.Errorf("requested %d output tokens, want the trace's %d", res.RequestedOutputTokens, want)
	}
	t.Logf("whole trace: %v wall, %d allocations; first 1,000: %d", took, large, small)
	if per := float64(large-small) / 18366; per >= 0.1 {
		t.Errorf("%d allocations for 1,000 requests, %d for 19,366: %.2f a request, want 0", small, large, per)
	}
	// Its wall time (under 2 s on a quiet machine: docs/replay.md) is a
	// measurement, not a unit test's business: a busy CI machine would fail
	// it with nothing wrong.
	_ = took
}

package bench_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/bench"
)

// Run is one run and RunSweep a series: each refuses the other's scenarios
// with an error that names the one to use.
func TestRunAndRunSweepTakeTheirScenarios(t *testing.T) {
	t.Parallel()
	base := bench.Config{Concurrency: 1, Rate: 1000, Burstiness: 1, Requests: 4, Lengths: bench.Fixed(1, 4, 2), LagBudget: time.Hour,
		SLO: []bench.SLO{{Metric: "latency", Percentile: 50, Max: time.Hour}}, Rates: []float64{1000}}
	for _, sc := range bench.Scenarios() {
		c := base
		c.Scenario = sc
		if sc == bench.MaxRate {
			c.Rates = nil
		}
		if sc == bench.Replay {
			c.Rate, c.Trace = 0, evenTrace(4, ms)
		}
		_, runErr := bench.Run(context.Background(), noop.Backend{}, c)
		_, sweepErr := bench.RunSweep(context.Background(), noop.Backend{}, c)
		wrong, want := runErr, "bench.RunSweep"
		if !sc.Series() {
			wrong, want = sweepErr, "bench.Run"
			if runErr != nil {
				t.Errorf("Run %s: %v", sc, runErr)
			}
		} else if sweepErr != nil {
			t.Errorf("RunSweep %s: %v", sc, sweepErr)
		}
		if wrong == nil || !strings.Contains(wrong.Error(), want) || !strings.Contains(wrong.Error(), string(sc)) {
			t.Errorf("%s with the other function: error %v, want one naming %s and the scenario", sc, wrong, want)
		}
	}
}

// A sweep whose every point fails (each request refused) is failed, and
// says which point failed first; no max-rate probe passes such a backend,
// so a search chooses none and answers 0.
func TestSweepFailsWithItsPoints(t *testing.T) {
	t.Parallel()
	c := bench.Config{Scenario: bench.SweepScenario, Concurrencies: []int{1, 2}, Requests: 4, Lengths: bench.Fixed(1, 4, 2)}
	sw, err := bench.RunSweep(context.Background(), &refuser{}, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Points) != 2 || !sw.Failed || !strings.HasPrefix(sw.FailReason, "concurrency 1: ") || sw.Chosen() != sw.Points[1] {
		t.Errorf("sweep of a refusing backend: %d points, failed %v (%q), best %d", len(sw.Points), sw.Failed, sw.FailReason, sw.Best)
	}
	c = bench.Config{Scenario: bench.MaxRate, Rate: 1000, Requests: 4, Duration: 20 * time.Millisecond, Lengths: bench.Fixed(1, 4, 2), LagBudget: time.Hour,
		SLO: []bench.SLO{{Metric: "latency", Percentile: 50, Max: time.Hour}}}
	sw, err = bench.RunSweep(context.Background(), &refuser{}, c)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Chosen() != nil || sw.Best != -1 || sw.MaxRate != 0 || !sw.Failed || len(sw.Points) == 0 {
		t.Errorf("max-rate of a refusing backend: max %v, best %d, failed %v, %d probes", sw.MaxRate, sw.Best, sw.Failed, len(sw.Points))
	}
}

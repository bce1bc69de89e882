package bench_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/bench"
)

// The frontier's stopping rule against the oracle in virtual time. Service
// time S = 16 ms + 2 × 2 ms = 20 ms for 3 output tokens; with 4 slots a
// closed loop of C delivers min(C, 4)/S req/s: 50, 100, 200, then 200 again
// at C=8, where throughput stops rising and the sweep stops (16 is not run).
// At C=8 half the requests wait a whole S for a slot, so TTFT p99 is 36 ms
// and a 30 ms TTFT objective stops it there as missed. Given concurrencies
// that never plateau (no slot limit) all run.
func TestRunFrontierStops(t *testing.T) {
	t.Parallel()
	ttft, err := bench.ParseSLO("ttft-p99=30ms")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		slots     int
		conc      []int
		slo       []bench.SLO
		wantConc  []int
		wantReqS  []float64
		wantBest  int
		wantWhy   string
		wantError string
	}{
		{"plateau", 4, bench.FrontierConcurrencies(64), nil, []int{1, 2, 4, 8}, []float64{50, 100, 200, 200}, 2,
			"throughput stopped rising at concurrency 8: 600 tok/s, less than 5% above the best before it (600)", ""},
		{"slo missed", 4, bench.FrontierConcurrencies(64), []bench.SLO{ttft}, []int{1, 2, 4, 8}, []float64{50, 100, 200, 200}, 2,
			"concurrency 8 missed an SLO", ""},
		{"every point rises", 0, []int{1, 2, 4}, nil, []int{1, 2, 4}, []float64{50, 100, 200}, 2, "", ""},
		{"rates are no frontier", 0, nil, nil, nil, nil, 0, "", "a frontier is a sweep over concurrencies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOracle(t, oracle.Config{TTFT: 16 * ms, TPOT: 2 * ms, Slots: tc.slots})
			c := bench.Config{Scenario: bench.SweepScenario, Concurrencies: tc.conc, Duration: 10 * time.Second,
				Lengths: bench.Fixed(1, 8, 3), SLO: tc.slo}
			if tc.conc == nil {
				c.Rates = []float64{1, 2}
			}
			s, why, err := bench.RunFrontier(context.Background(), o, c)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var conc []int
			for i, p := range s.Points {
				conc = append(conc, p.Config.Concurrency)
				if i < len(tc.wantReqS) && !approx(p.RequestsPerSecond(), tc.wantReqS[i], 1e-3) {
					t.Errorf("c=%d: %.6g req/s, want %g", p.Config.Concurrency, p.RequestsPerSecond(), tc.wantReqS[i])
				}
				if !near(p.TPOT.ValueAtQuantile(50), 2*ms) {
					t.Errorf("c=%d: TPOT p50 %v, want 2ms", p.Config.Concurrency, time.Duration(p.TPOT.ValueAtQuantile(50)))
				}
			}
			if !slices.Equal(conc, tc.wantConc) || s.Best != tc.wantBest || why != tc.wantWhy {
				t.Errorf("ran %v, best %d, stopped %q; want %v, %d, %q", conc, s.Best, why, tc.wantConc, tc.wantBest, tc.wantWhy)
			}
		})
	}
	if got := bench.FrontierConcurrencies(100); !slices.Equal(got, []int{1, 2, 4, 8, 16, 32, 64}) {
		t.Errorf("FrontierConcurrencies(100) = %v", got)
	}
}

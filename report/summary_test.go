package report

import (
	"slices"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TestSummaryCI95KnownRanks checks the order-statistic intervals against ranks
// worked out by hand, and that a percentile the sample cannot bound gets no
// interval (the sample's max written as one would look like a bound).
func TestSummaryCI95KnownRanks(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int64 // values 1..n ms
		// ci is the wanted interval in ms by percentile; open the ones with none.
		ci   map[string][2]float64
		open []string
	}{
		{
			// p50 of 100: n·q = 50, half = 1.96·√25 = 9.8: ranks 40 and 60.
			// p90: 90 ± 1.96·3 = 5.88: ranks 84 and 96. p95: 95 ± 4.27:
			// ranks 90 and 100, and 100 is not below n. p99, p99.9: beyond.
			name: "100 values",
			n:    100,
			ci:   map[string][2]float64{"p50": {40, 60}, "p90": {84, 96}},
			open: []string{"p95", "p99", "p999"},
		},
		{
			// p99 of 10,000: 9900 ± 1.96·√99 = 19.5: ranks 9880 and 9920.
			// p99.9: 9990 ± 1.96·√9.99 = 6.19: ranks 9983 and 9997.
			name: "10000 values",
			n:    10000,
			ci:   map[string][2]float64{"p99": {9880, 9920}, "p999": {9983, 9997}},
		},
		{name: "one value", n: 1, open: []string{"p50", "p90", "p95", "p99", "p999"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hdrhistogram.New(1, 3600e9, 3)
			for v := int64(1); v <= tc.n; v++ {
				if err := h.RecordValue(v * 1e6); err != nil {
					t.Fatal(err)
				}
			}
			s := Summarize(h)
			for name, want := range tc.ci {
				got, ok := s.CI95[name]
				if !ok {
					t.Fatalf("ci95[%s] missing; open %v", name, s.CI95Open)
				}
				// The histogram keeps 3 significant digits.
				for i := range got {
					if d := got[i] - want[i]; d > want[i]*1e-3 || -d > want[i]*1e-3 {
						t.Errorf("ci95[%s] = %v, want %v", name, got, want)
					}
				}
			}
			if !slices.Equal(s.CI95Open, tc.open) {
				t.Errorf("ci95_open = %v, want %v", s.CI95Open, tc.open)
			}
			for _, name := range tc.open {
				if _, ok := s.CI95[name]; ok {
					t.Errorf("ci95[%s] = %v: an open percentile has no interval", name, s.CI95[name])
				}
			}
		})
	}
}

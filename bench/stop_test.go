package bench

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// MLPerf's published figures: at p90 with 99% confidence a run needs 64
// queries, at p99 662 (LoadGen counts at least one over).
func TestMinQueriesMatchesMLPerf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		overs int64
		q, c  float64
		want  int64
	}{
		{0, 0.90, 0.99, 64},
		{1, 0.90, 0.99, 64},
		{0, 0.99, 0.99, 662},
		{1, 0.99, 0.99, 662},
	} {
		if got := MinQueries(tt.overs, tt.q, tt.c); got != tt.want {
			t.Errorf("MinQueries(%d, %v, %v) = %d, want %d", tt.overs, tt.q, tt.c, got, tt.want)
		}
	}
	// More overs need more queries, and the need grows about as overs/(1−q).
	prev := int64(0)
	for overs := int64(1); overs < 200; overs += 7 {
		n := MinQueries(overs, 0.99, 0.99)
		if n <= prev {
			t.Fatalf("MinQueries(%d) = %d, not above %d", overs, n, prev)
		}
		if float64(n) < 100*float64(overs) {
			t.Fatalf("MinQueries(%d) = %d: fewer than overs/(1−q)", overs, n)
		}
		prev = n
	}
}

func TestSLODecide(t *testing.T) {
	t.Parallel()
	s := SLO{Metric: "latency", Percentile: 99, Max: time.Second}
	for _, tt := range []struct {
		n, overs int64
		want     Verdict
	}{
		{100, 0, Undecided},
		{662, 0, Met},
		{662, 1, Met},
		{662, 3, Undecided},
		{1000, 40, Missed},
		{100, 10, Missed},
		{0, 0, Undecided},
	} {
		if got := s.Decide(tt.n, tt.overs, 0.99); got != tt.want {
			t.Errorf("Decide(n=%d, overs=%d) = %v, want %v", tt.n, tt.overs, got, tt.want)
		}
	}
}

func TestParseSLO(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want SLO
		ok   bool
	}{
		{"latency-p99=500ms", SLO{"latency", 99, 500 * time.Millisecond}, true},
		{"ttft-p99.9=200ms", SLO{"ttft", 99.9, 200 * time.Millisecond}, true},
		{"ttfo-p99=2s", SLO{"ttfo", 99, 2 * time.Second}, true},
		{"tpot-p50=20ms", SLO{"tpot", 50, 20 * time.Millisecond}, true},
		{"latency-p100=1s", SLO{}, false},
		{"latency-p0=1s", SLO{}, false},
		{"speed-p99=1s", SLO{}, false},
		{"latency-p99=fast", SLO{}, false},
		{"latency-p99=-1s", SLO{}, false},
		{"latency=1s", SLO{}, false},
		{"latency-p99", SLO{}, false},
	} {
		got, err := ParseSLO(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSLO(%q) = %+v, %v; want %+v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok {
			if back, err := ParseSLO(got.String()); err != nil || back != got {
				t.Errorf("%q does not round-trip: %q -> %+v, %v", tt.in, got.String(), back, err)
			}
		}
	}
}

func FuzzParseSLO(f *testing.F) {
	for _, s := range []string{"latency-p99=500ms", "ttft-p90=1s", "x-p=", "itl-p99.99=1us"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slo, err := ParseSLO(s)
		if err != nil {
			return
		}
		if !(slo.Percentile > 0 && slo.Percentile < 100) || slo.Max <= 0 {
			t.Errorf("ParseSLO(%q) = %+v without error", s, slo)
		}
		if back, err := ParseSLO(slo.String()); err != nil || back != slo {
			t.Errorf("%q does not round-trip: %+v, %v", s, back, err)
		}
	})
}

// Observed counts errors as values over the bound.
func TestSLOObservedCountsFailures(t *testing.T) {
	t.Parallel()
	h := hdrhistogram.New(1, int64(time.Hour), 3)
	for range 990 {
		_ = h.RecordValue(int64(time.Millisecond))
	}
	s := SLO{Metric: "latency", Percentile: 99, Max: 10 * time.Millisecond}
	if _, ok := s.Observed(h, 0); !ok {
		t.Error("990 values at 1ms do not meet p99 <= 10ms")
	}
	if v, ok := s.Observed(h, 20); ok || v <= s.Max {
		t.Errorf("20 failures in 1010 meet p99 <= 10ms (observed %v)", v)
	}
}

package compare

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/report"
)

// Better says which way a metric improves.
type Better int

// The directions.
const (
	LowerIsBetter  Better = -1
	HigherIsBetter Better = 1
)

func (b Better) String() string {
	if b == HigherIsBetter {
		return "higher"
	}
	return "lower"
}

// Metric is one row of a comparison.
type Metric struct {
	// ID names the metric in --threshold (p99=10%).
	ID string `json:"id"`
	// Name is how tables show it.
	Name   string `json:"name"`
	Unit   string `json:"unit"`
	Better Better `json:"better"`

	// hist and quantile (0..100) pick a percentile of an encoded histogram:
	// significance by a Mann-Whitney U test on the histograms' values.
	hist     string
	quantile float64
	// value reads the figure from a run; ok is false when the run lacks it.
	// Metrics without a histogram get significance from the run's counts.
	value func(r *report.Run) (v float64, ok bool)
	// optional rows are shown only where a side has the figure: a reasoning
	// model's TTFO and reasoning tokens would be a blank row in every other
	// comparison.
	optional bool
}

// Metrics lists what a comparison shows, in order.
func Metrics() []Metric {
	q := func(id, name, hist string, quantile float64, pick func(r *report.Run) float64) Metric {
		return Metric{ID: id, Name: name, Unit: "ms", Better: LowerIsBetter, hist: hist, quantile: quantile,
			value: func(r *report.Run) (float64, bool) { v := pick(r); return v, v > 0 }}
	}
	// TTFO, the first output-text token after any reasoning, exists only
	// where a stream told reasoning from answer.
	ttfo := func(id, name string, quantile float64, pick func(s *report.Summary) float64) Metric {
		return Metric{ID: id, Name: name, Unit: "ms", Better: LowerIsBetter, hist: "ttfo", quantile: quantile, optional: true,
			value: func(r *report.Run) (float64, bool) {
				if r.TTFO == nil {
					return 0, false
				}
				v := pick(r.TTFO)
				return v, v > 0
			}}
	}
	return []Metric{
		{ID: "rps", Name: "throughput", Unit: "req/s", Better: HigherIsBetter,
			value: func(r *report.Run) (float64, bool) { return r.Throughput.RequestsPerS, r.Throughput.RequestsPerS > 0 }},
		{ID: "tps", Name: "throughput", Unit: "tok/s", Better: HigherIsBetter,
			value: func(r *report.Run) (float64, bool) {
				return r.Throughput.OutputTokensPerS, r.Throughput.OutputTokensPerS > 0
			}},
		q("p50", "latency p50", "latency", 50, func(r *report.Run) float64 { return r.Latency.P50 }),
		q("p90", "latency p90", "latency", 90, func(r *report.Run) float64 { return r.Latency.P90 }),
		q("p99", "latency p99", "latency", 99, func(r *report.Run) float64 { return r.Latency.P99 }),
		q("ttft_p50", "TTFT p50", "ttft", 50, func(r *report.Run) float64 { return r.TTFT.P50 }),
		q("ttft_p99", "TTFT p99", "ttft", 99, func(r *report.Run) float64 { return r.TTFT.P99 }),
		q("tpot_p50", "TPOT p50", "tpot", 50, func(r *report.Run) float64 { return r.TPOT.P50 }),
		q("tpot_p99", "TPOT p99", "tpot", 99, func(r *report.Run) float64 { return r.TPOT.P99 }),
		ttfo("ttfo_p50", "TTFO p50", 50, func(s *report.Summary) float64 { return s.P50 }),
		ttfo("ttfo_p99", "TTFO p99", 99, func(s *report.Summary) float64 { return s.P99 }),
		// More reasoning for the same prompts costs time and tokens: a
		// model that starts thinking longer tonight is a change to gate on
		// (--threshold reasoning=off where sampling makes it noisy).
		{ID: "reasoning", Name: "reasoning", Unit: "tok/req", Better: LowerIsBetter, optional: true,
			value: func(r *report.Run) (float64, bool) {
				return r.Workload.MeanReasoningTokens, r.Workload.MeanReasoningTokens > 0
			}},
		{ID: "j_per_token", Name: "energy", Unit: "J/tok", Better: LowerIsBetter,
			value: func(r *report.Run) (float64, bool) {
				if r.Energy == nil || r.Energy.JoulesPerOutputToken <= 0 {
					return 0, false
				}
				return r.Energy.JoulesPerOutputToken, true
			}},
		{ID: "usd_per_mtok", Name: "cost", Unit: "$/1M tok", Better: LowerIsBetter,
			value: func(r *report.Run) (float64, bool) {
				if r.Cost == nil || r.Cost.USDPerMillionOutputTokens <= 0 {
					return 0, false
				}
				return r.Cost.USDPerMillionOutputTokens, true
			}},
	}
}

// MetricIDs lists the ids --threshold accepts.
func MetricIDs() []string {
	var ids []string
	for _, m := range Metrics() {
		ids = append(ids, m.ID)
	}
	return ids
}

// Thresholds are the relative changes beyond which a significant change for
// the worse is a regression: a default and per-metric overrides, as
// fractions (0.05 is 5%). A negative threshold turns gating off.
type Thresholds struct {
	Default   float64
	PerMetric map[string]float64
}

// For returns the threshold of a metric.
func (t Thresholds) For(id string) float64 {
	if v, ok := t.PerMetric[id]; ok {
		return v
	}
	return t.Default
}

// ParseThresholds reads --threshold values: "5%" (every metric), "p99=10%",
// "0.05", "cost=off". The error names the bad value and the valid forms and
// metric ids.
func ParseThresholds(def float64, values []string) (Thresholds, error) {
	t := Thresholds{Default: def, PerMetric: map[string]float64{}}
	valid := MetricIDs()
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			id, val, per := strings.Cut(part, "=")
			if !per {
				id, val = "", part
			}
			f, err := parsePercent(val)
			if err != nil {
				return t, fmt.Errorf("--threshold %q: %v; want 5%%, 0.05, off, or METRIC=5%% with METRIC one of %s", part, err, strings.Join(valid, ", "))
			}
			if !per {
				t.Default = f
				continue
			}
			i := sort.SearchStrings(sortedCopy(valid), id)
			if s := sortedCopy(valid); i >= len(s) || s[i] != id {
				return t, fmt.Errorf("--threshold %q: unknown metric %q; valid: %s", part, id, strings.Join(valid, ", "))
			}
			t.PerMetric[id] = f
		}
	}
	return t, nil
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "none" {
		return -1, nil
	}
	pct := strings.HasSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a non-negative number", s)
	}
	if pct {
		f /= 100
	}
	return f, nil
}

// MarshalText writes "higher" or "lower".
func (b Better) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText reads "higher" or "lower".
func (b *Better) UnmarshalText(t []byte) error {
	switch string(t) {
	case "higher":
		*b = HigherIsBetter
	case "lower":
		*b = LowerIsBetter
	default:
		return fmt.Errorf("better %q: want higher or lower", t)
	}
	return nil
}

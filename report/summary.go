package report

import (
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Summary describes one distribution in milliseconds.
type Summary struct {
	Count  int64   `json:"count"`
	Min    float64 `json:"min"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
	P999   float64 `json:"p999"`
	Mean   float64 `json:"mean"`
	Stddev float64 `json:"stddev"`
	Max    float64 `json:"max"`
	// CI95 holds a 95% confidence interval [low, high] for each percentile, by
	// name (p50, p90, p95, p99, p999): order-statistic bounds from the binomial
	// distribution of the rank. A percentile whose interval would reach past
	// the sample's min or max has no interval here: the sample cannot bound
	// it (a p99.9 of 500 requests), and the min or max written as a bound
	// would claim a certainty the run does not have. CI95Open names those.
	CI95 map[string][2]float64 `json:"ci95,omitempty"`
	// CI95Open lists the percentiles the sample is too small to bound at 95%:
	// too few values lie beyond them (or below them).
	CI95Open []string `json:"ci95_open,omitempty"`
}

// Percentiles are the percentiles every summary carries, by name.
var summaryPercentiles = []struct {
	name string
	q    float64
}{{"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p999", 99.9}}

const nsPerMS = 1e6

// Summarize describes a histogram of nanoseconds in milliseconds. Mean and
// standard deviation come from gonum over the histogram's buckets, weighted by
// their counts.
func Summarize(h *hdrhistogram.Histogram) Summary {
	n := h.TotalCount()
	if n == 0 {
		return Summary{}
	}
	s := Summary{
		Count: n,
		Min:   float64(h.Min()) / nsPerMS,
		Max:   float64(h.Max()) / nsPerMS,
		P50:   float64(h.ValueAtQuantile(50)) / nsPerMS,
		P90:   float64(h.ValueAtQuantile(90)) / nsPerMS,
		P95:   float64(h.ValueAtQuantile(95)) / nsPerMS,
		P99:   float64(h.ValueAtQuantile(99)) / nsPerMS,
		P999:  float64(h.ValueAtQuantile(99.9)) / nsPerMS,
	}
	var xs, ws []float64
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		xs = append(xs, float64(b.From+b.To)/2/nsPerMS)
		ws = append(ws, float64(b.Count))
	}
	s.Mean, s.Stddev = stat.MeanStdDev(xs, ws)
	if math.IsNaN(s.Stddev) {
		s.Stddev = 0
	}
	s.CI95 = map[string][2]float64{}
	for _, p := range summaryPercentiles {
		if !QuantileBounded(n, p.q/100, 0.95) {
			s.CI95Open = append(s.CI95Open, p.name)
			continue
		}
		lo, hi := QuantileCI(h, p.q/100, 0.95)
		s.CI95[p.name] = [2]float64{lo / nsPerMS, hi / nsPerMS}
	}
	return s
}

// QuantileBounded says whether n values bound quantile q (0..1) at the given
// confidence: the ranks of QuantileCI's interval both fall inside the sample
// (1 ≤ n·q − z·√(n·q·(1−q)) and n·q + z·√(n·q·(1−q)) < n). Where they do not,
// QuantileCI's min or max stands in for a bound the sample cannot give.
func QuantileBounded(n int64, q, confidence float64) bool {
	lo, hi := ciRanks(float64(n), q, confidence)
	return n > 0 && lo >= 1 && hi < float64(n)
}

// ciRanks are the order-statistic ranks of a confidence interval for
// quantile q of n values.
func ciRanks(n, q, confidence float64) (lo, hi float64) {
	z := distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
	half := z * math.Sqrt(n*q*(1-q))
	return math.Floor(n*q - half), math.Ceil(n*q + half)
}

// QuantileCI returns a confidence interval for quantile q (0..1) of the values
// in h, at the given confidence: the values at the ranks n·q ± z·√(n·q·(1−q)),
// the normal approximation to the binomial distribution of the rank (the
// order-statistic method). Values are in h's unit. Where a rank falls outside
// the sample, that end is the sample's min or max, which is no bound at all:
// QuantileBounded says when.
func QuantileCI(h *hdrhistogram.Histogram, q, confidence float64) (lo, hi float64) {
	n := float64(h.TotalCount())
	if n == 0 {
		return 0, 0
	}
	loRank, hiRank := ciRanks(n, q, confidence)
	lo = float64(h.Min())
	if loRank >= 1 {
		lo = float64(h.ValueAtQuantile(100 * loRank / n))
	}
	hi = float64(h.Max())
	if hiRank < n {
		hi = float64(h.ValueAtQuantile(100 * hiRank / n))
	}
	return lo, hi
}

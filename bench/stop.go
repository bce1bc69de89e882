package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/inferbench/inferbench/accel"
)

// SLO is a latency objective: the Percentile of Metric is at most Max.
// Written "latency-p99=500ms", "ttft-p99.9=200ms", "tpot-p50=20ms".
type SLO struct {
	Metric     string  // latency, ttft, ttfo (first answer token), tpot, itl, service
	Percentile float64 // 0 < p < 100
	Max        time.Duration
}

// sloMetrics are the histograms an SLO may name.
var sloMetrics = []string{"latency", "ttft", "ttfo", "tpot", "itl", "service"}

// ParseSLO reads "METRIC-pPCT=DURATION", e.g. latency-p99=500ms.
func ParseSLO(s string) (SLO, error) {
	bad := func(why string) (SLO, error) {
		return SLO{}, fmt.Errorf("slo %q: %s; want METRIC-pPCT=DURATION with METRIC one of %s, e.g. latency-p99=500ms or ttft-p99=200ms",
			s, why, strings.Join(sloMetrics, ", "))
	}
	lhs, rhs, ok := strings.Cut(s, "=")
	if !ok {
		return bad("no '='")
	}
	m, p, ok := strings.Cut(lhs, "-p")
	if !ok {
		return bad("no percentile")
	}
	known := false
	for _, k := range sloMetrics {
		known = known || k == m
	}
	if !known {
		return bad("unknown metric " + strconv.Quote(m))
	}
	pct, err := strconv.ParseFloat(p, 64)
	if err != nil || !(pct > 0 && pct < 100) {
		return bad("percentile " + strconv.Quote(p) + " not in (0, 100)")
	}
	d, err := time.ParseDuration(rhs)
	if err != nil || d <= 0 {
		return bad("bound " + strconv.Quote(rhs) + " is not a positive duration")
	}
	return SLO{Metric: m, Percentile: pct, Max: d}, nil
}

// String writes the SLO as ParseSLO reads it.
func (s SLO) String() string {
	return fmt.Sprintf("%s-p%s=%v", s.Metric, strconv.FormatFloat(s.Percentile, 'f', -1, 64), s.Max)
}

// hist returns the recorder's histogram for an SLO metric.
func (r *Recorder) hist(metric string) *hdrhistogram.Histogram {
	switch metric {
	case "ttft":
		return r.TTFT
	case "ttfo":
		return r.TTFO
	case "tpot":
		return r.TPOT
	case "itl":
		return r.ITL
	case "service":
		return r.Service
	}
	return r.Latency
}

// overs counts the values in h above max.
func overs(h *hdrhistogram.Histogram, max time.Duration) int64 {
	var n int64
	for _, b := range h.Distribution() {
		if b.From > int64(max) {
			n += b.Count
		}
	}
	return n
}

// passOdds is the probability of seeing at most t over-target values in n
// when exactly the fraction 1−q of all values is over target: the binomial
// CDF, written as the regularized incomplete beta I_q(n−t, t+1), as MLPerf
// LoadGen computes it.
func passOdds(n, t int64, q float64) float64 {
	if t >= n {
		return 1
	}
	return mathext.RegIncBeta(float64(n-t), float64(t+1), q)
}

// MinQueries is MLPerf's early-stopping rule: the fewest queries for which
// seeing overs values above target still lets one conclude, at the given
// confidence, that the q-quantile (0 < q < 1) is within target. As LoadGen
// does, it counts at least one over, so the floor at p99 with 99% confidence
// is 662 queries, at p90 64.
func MinQueries(overs int64, q, confidence float64) int64 {
	t := max(overs, 1)
	target := 1 - confidence
	lo, hi := t+1, t+2
	for passOdds(hi, t, q) > target {
		lo, hi = hi, 2*hi
	}
	for lo < hi { // smallest n in [lo, hi] with passOdds <= target
		mid := lo + (hi-lo)/2
		if passOdds(mid, t, q) <= target {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Verdict is what the binomial rule can say about an SLO so far.
type Verdict int

// The verdicts.
const (
	Undecided Verdict = iota // not enough queries either way
	Met                      // the percentile is within target, at the confidence
	Missed                   // the percentile is over target, at the confidence
)

func (v Verdict) String() string {
	return [...]string{"undecided", "met", "missed"}[v]
}

// Decide applies the binomial rule to n values of which overs were above
// the SLO's bound (errors and drops count as over).
func (s SLO) Decide(n, overs int64, confidence float64) Verdict {
	q := s.Percentile / 100
	if n > 0 && n >= MinQueries(overs, q, confidence) {
		return Met
	}
	// Missed: seeing this many overs or more would be unlikely were the
	// over-target fraction only 1−q.
	if overs > 0 && 1-passOdds(n, overs-1, q) <= 1-confidence {
		return Missed
	}
	return Undecided
}

// Observed reports whether the recorded percentile meets the SLO, counting
// errors and drops as values over the bound.
func (s SLO) Observed(h *hdrhistogram.Histogram, failed int64) (value time.Duration, ok bool) {
	n := h.TotalCount() + failed
	if n == 0 {
		return 0, false
	}
	over := overs(h, s.Max) + failed
	value = time.Duration(h.ValueAtQuantile(s.Percentile))
	if failed > 0 && float64(over) > float64(n)*(1-s.Percentile/100) {
		value = max(value, s.Max+1)
	}
	return value, float64(over) <= float64(n)*(1-s.Percentile/100)
}

// QuantileCI95 is the 95% order-statistic confidence interval of quantile q
// (0..1) of h, from the normal approximation to the binomial distribution of
// the rank, in h's unit (the same rule report.QuantileCI uses).
func QuantileCI95(h *hdrhistogram.Histogram, q float64) (lo, hi float64) {
	n := float64(h.TotalCount())
	if n == 0 {
		return 0, 0
	}
	z := distuv.UnitNormal.Quantile(0.975)
	half := z * math.Sqrt(n*q*(1-q))
	lo, hi = float64(h.Min()), float64(h.Max())
	if r := math.Floor(n*q - half); r >= 1 {
		lo = float64(h.ValueAtQuantile(100 * r / n))
	}
	if r := math.Ceil(n*q + half); r < n {
		hi = float64(h.ValueAtQuantile(100 * r / n))
	}
	return lo, hi
}

// stopRule decides, from a snapshot of what was recorded, whether the run
// may stop early, and says why.
type stopRule struct{ c *Config }

// active says whether any rule can stop the run before its limits.
func (s stopRule) active() bool {
	c := s.c
	return c.EarlyStop || c.CIWidth > 0 || c.MinDuration > 0 || c.MinRequests > 0
}

// floorsMet says whether the minimum duration and count are both met.
func (s stopRule) floorsMet(elapsed time.Duration, n int64) bool {
	return elapsed >= s.c.MinDuration && n >= s.c.MinRequests
}

// check returns a reason to stop now, or "".
func (s stopRule) check(rec *Recorder, elapsed time.Duration, n, failed int64) string {
	c := s.c
	if !s.floorsMet(elapsed, n) {
		return ""
	}
	if c.EarlyStop {
		var why []string
		for _, slo := range c.SLO {
			h := rec.hist(slo.Metric)
			v := slo.Decide(h.TotalCount()+failed, overs(h, slo.Max)+failed, c.Confidence)
			if v == Undecided {
				return ""
			}
			why = append(why, slo.String()+" "+v.String())
		}
		return "early stop: " + strings.Join(why, ", ")
	}
	if c.CIWidth > 0 {
		h := rec.hist(c.CIOf.Metric)
		p := float64(h.ValueAtQuantile(c.CIOf.Percentile))
		lo, hi := QuantileCI95(h, c.CIOf.Percentile/100)
		if h.TotalCount() >= 2 && p > 0 && (hi-lo)/p <= c.CIWidth {
			return fmt.Sprintf("ci width: %s-p%g 95%% CI within %.3g%% of its value", c.CIOf.Metric, c.CIOf.Percentile, 100*(hi-lo)/p)
		}
		return ""
	}
	return "minimums met"
}

// failStreak is the fail-fast rule's state (Config.FailFastWindow and
// FailFastRequests): the failures since the latest success, after warm-up,
// and when the first of them ended. A success ends the streak; so the
// streak is "every request since then failed", and its span, measured from
// its first failure, is how long the endpoint has failed everything.
type failStreak struct {
	n    int64
	from time.Duration
	// fired says the rule has given its reason: it gives it once, so the
	// failure that crossed the threshold names it, not one that finished
	// just after it on another worker (which read "the last 101").
	fired bool
}

// failFastOn says whether either half of the rule is on.
func (c *Config) failFastOn() bool { return c.FailFastWindow > 0 || c.FailFastRequests > 0 }

// fail counts a failed request that ended at end and returns why the run
// must stop now, or "".
func (f *failStreak) fail(c *Config, end time.Duration) string {
	f.n++
	if f.n == 1 {
		f.from = end
	}
	switch {
	case f.fired:
		return ""
	case c.FailFastRequests > 0 && f.n >= int64(c.FailFastRequests):
		f.fired = true
		return fmt.Sprintf("stopped after the last %d requests all failed", f.n)
	case c.FailFastWindow > 0 && end-f.from >= c.FailFastWindow:
		f.fired = true
		return fmt.Sprintf("stopped after every request for %v failed (%d in a row)", c.FailFastWindow, f.n)
	}
	return ""
}

// ok ends the streak: a request succeeded.
func (f *failStreak) ok() { f.n = 0 }

// countsForFailFast says whether a finished request's class takes part in
// the fail-fast rule: requests an interrupt canceled are the harness's
// doing, neither the endpoint's failure nor its success.
func countsForFailFast(cls accel.ErrClass) bool { return cls != accel.ClassCanceled }

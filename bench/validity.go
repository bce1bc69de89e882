package bench

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// judge fills the SLO outcomes and decides whether the run is valid: whether
// its numbers describe the backend rather than the harness, and whether it
// met its floors; and whether it failed: whether the backend answered.
func (r *Result) judge() {
	c := &r.Config
	failed := r.Errors + r.Dropped
	r.SLOs = r.SLOs[:0]
	for _, s := range c.SLO {
		h := r.hist(s.Metric)
		v, met := s.Observed(h, failed)
		r.SLOs = append(r.SLOs, SLOResult{
			SLO: s, Observed: v, Met: met,
			Verdict: s.Decide(h.TotalCount()+failed, overs(h, s.Max)+failed, c.Confidence),
		})
	}
	r.Failed, r.FailReason = r.failure()
	var why []string
	if r.Requests == 0 {
		why = append(why, "no requests were recorded: lengthen the run or shorten --warmup")
	}
	open := !r.Virtual && c.process() != ASAP && c.process() != Burst
	switch {
	case r.Virtual:
		r.ValidityRule = "virtual time: the harness is never late; invalid only when the run records nothing or misses its floors"
	case open:
		r.ValidityRule = fmt.Sprintf("open loop: invalid when schedule lag p99 exceeds both %v and %s of latency p50, when the sends fall that far behind the plan, or when sends are dropped, the worker pool is at its maximum, or the run misses its floors",
			c.LagBudget, percent(c.LagShare))
	default:
		r.ValidityRule = "closed loop: latency counts from each send, so the harness cannot be late; invalid only when the run records nothing or misses its floors"
	}
	if open && r.Lag.TotalCount() > 0 {
		// The lag the run may show: the budget, or the share of latency p50
		// when that is more.
		var p50 time.Duration
		if r.Latency.TotalCount() > 0 {
			p50 = time.Duration(r.Latency.ValueAtQuantile(50))
		}
		allowed := max(c.LagBudget, time.Duration(c.LagShare*float64(p50)))
		if p99 := time.Duration(r.Lag.ValueAtQuantile(99)); p99 > allowed {
			why = append(why, fmt.Sprintf("schedule lag p99 %v exceeds both the %v budget and %s of latency p50 %v: the harness, not the backend, was late",
				sig3(p99), c.LagBudget, percent(c.LagShare), sig3(p50)))
		}
		// The plan's span against the sends' span: a harness that falls
		// behind sends its last request after the plan's last. (The plan's
		// own rate is the target: a Poisson plan's count is itself random.)
		planned, sent := r.lastAt-c.Warmup, r.lastSend-c.Warmup
		if planned > 0 && sent > 0 {
			n := float64(r.Requests)
			want, got := n/planned.Seconds(), n/sent.Seconds()
			// Only a shortfall beyond the lag allowed is the harness's: a
			// run of milliseconds is 1% short after a few microseconds.
			if got < 0.99*want && sent-planned > allowed {
				why = append(why, fmt.Sprintf("sent %.4g req/s against the plan's %.4g req/s (%.1f%% short)", got, want, 100*(1-got/want)))
			}
		}
	}
	if r.Dropped > 0 {
		why = append(why, fmt.Sprintf("%d sends dropped: no worker could send them within %v of schedule", r.Dropped, c.MaxLag))
	}
	if r.PoolAtMax {
		why = append(why, fmt.Sprintf("the worker pool reached its maximum (%d): the harness may have been the limit; raise --max-workers", c.MaxWorkers))
	}
	if r.Elapsed < c.MinDuration {
		why = append(why, fmt.Sprintf("ran %v, below the minimum duration %v", r.Elapsed.Round(time.Millisecond), c.MinDuration))
	}
	if r.Requests < c.MinRequests {
		why = append(why, fmt.Sprintf("recorded %d requests, below the minimum %d", r.Requests, c.MinRequests))
	}
	if c.EarlyStop {
		for _, s := range r.SLOs {
			if s.Verdict == Undecided {
				h := r.hist(s.SLO.Metric)
				need := MinQueries(overs(h, s.SLO.Max)+failed, s.SLO.Percentile/100, c.Confidence)
				why = append(why, fmt.Sprintf("early stopping not satisfied for %s: %d queries, need %d at %g%% confidence", s.SLO, r.Requests, need, 100*c.Confidence))
			}
		}
	}
	r.InvalidReasons = why
	r.Valid = len(why) == 0
}

// failure decides whether the system under test failed the run: nothing
// was recorded, no request completed, the fail-fast rule ended it (every
// request for Config.FailFastWindow, or the last FailFastRequests, failed),
// or the error rate (errors and drops over requests) is above
// Config.MaxErrorRate. Requests an interrupt cut
// off (canceled, in an interrupted run) are the user's doing, not the
// backend's: they count toward neither side of the rate.
func (r *Result) failure() (bool, string) {
	c := &r.Config
	if r.Requests == 0 {
		return true, "no request was sent after warm-up"
	}
	if r.Completed == 0 {
		why := fmt.Sprintf("no request completed: %d of %d failed; %s", r.Errors+r.Dropped, r.Requests, r.errorClasses())
		if r.failFast != "" {
			why += "; " + r.failFast
		}
		return true, why
	}
	if r.failFast != "" {
		// Failed whatever the error rate: a long good run that the server
		// then stopped answering has a low rate and a dead endpoint.
		return true, fmt.Sprintf("%s (%d of %d requests failed; %s)", r.failFast, r.Errors+r.Dropped, r.Requests, r.errorClasses())
	}
	bad, n := r.Errors+r.Dropped, r.Requests
	cut := ""
	if k := r.ErrorsByClass[accel.ClassCanceled]; r.Interrupted && k > 0 {
		bad, n = bad-k, n-k
		cut = fmt.Sprintf(", not counting %d cut off by the interrupt", k)
	}
	limit := c.MaxErrorRate
	if limit == 0 {
		limit = DefaultMaxErrorRate
	}
	if rate := float64(bad) / float64(n); n > 0 && rate > limit {
		lim := percent(limit) + " limit"
		if limit < 1e-6 {
			lim = "limit of 0 (any error fails)"
		}
		return true, fmt.Sprintf("error rate %.3g (%d of %d requests%s) above the %s; %s", rate, bad, n, cut, lim, r.errorClasses())
	}
	return false, ""
}

// errorClasses names each error class with its count and example, the
// largest first, and the drops.
func (r *Result) errorClasses() string {
	type class struct {
		c accel.ErrClass
		n int64
	}
	var cs []class
	for c, n := range r.ErrorsByClass {
		if n > 0 {
			cs = append(cs, class{c, n})
		}
	}
	slices.SortFunc(cs, func(a, b class) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.c, b.c))
	})
	var parts []string
	for _, k := range cs {
		s := fmt.Sprintf("%s %d", k.c, k.n)
		if ex := r.ErrorExamples[k.c]; ex != "" {
			s += ", e.g. " + ex
		}
		parts = append(parts, s)
	}
	if r.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("dropped %d (not sent within --max-lag of schedule)", r.Dropped))
	}
	if len(parts) == 0 {
		return "no error was recorded"
	}
	return strings.Join(parts, "; ")
}

// sig3 rounds d to three significant digits, the histograms' resolution.
func sig3(d time.Duration) time.Duration {
	p := time.Duration(1)
	for d/p >= 1000 {
		p *= 10
	}
	return d.Round(p)
}

// percent writes a fraction as a percentage: 0.05 is "5%".
func percent(f float64) string {
	return strconv.FormatFloat(100*f, 'g', 3, 64) + "%"
}

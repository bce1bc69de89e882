package bench

import (
	"fmt"
	"time"
)

// judge fills the SLO outcomes and decides whether the run is valid: whether
// its numbers describe the backend rather than the harness, and whether it
// met its floors.
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
	var why []string
	if r.Requests == 0 {
		why = append(why, "no requests were recorded: lengthen the run or shorten --warmup")
	}
	open := !r.Virtual && c.process() != ASAP && c.process() != Burst
	if open && r.Lag.TotalCount() > 0 {
		if p99 := time.Duration(r.Lag.ValueAtQuantile(99)); p99 > c.LagBudget {
			why = append(why, fmt.Sprintf("schedule lag p99 %v is above the %v budget: the harness, not the backend, was late", p99, c.LagBudget))
		}
		// The plan's span against the sends' span: a harness that falls
		// behind sends its last request after the plan's last. (The plan's
		// own rate is the target: a Poisson plan's count is itself random.)
		planned, sent := r.lastAt-c.Warmup, r.lastSend-c.Warmup
		if planned > 0 && sent > 0 {
			n := float64(r.Requests)
			want, got := n/planned.Seconds(), n/sent.Seconds()
			// Only a shortfall beyond the lag budget is the harness's: a run
			// of milliseconds is 1% short after a few microseconds.
			if got < 0.99*want && sent-planned > c.LagBudget {
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

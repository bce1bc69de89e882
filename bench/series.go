package bench

import (
	"context"
	"fmt"

	"github.com/inferbench/inferbench/accel"
)

// Search bounds for max-rate: it stops when the bracket [pass, fail] is
// narrower than searchPrecision of its top, or after maxProbes runs.
const (
	searchPrecision = 0.02
	maxProbes       = 24
)

// runSweep runs one point per rate or concurrency, in the order given. The
// returned Result is the last point, with every point in Points.
func runSweep(ctx context.Context, b accel.Backend, c Config) (*Result, error) {
	var points []*Result
	run := func(p Config) error {
		p.Rates, p.Concurrencies = nil, nil
		res, err := runPoint(ctx, b, p)
		if err != nil {
			return err
		}
		points = append(points, res)
		return nil
	}
	for _, r := range c.Rates {
		p := c
		p.Rate = r
		if err := run(p); err != nil {
			return nil, fmt.Errorf("sweep rate %v: %w", r, err)
		}
	}
	for _, n := range c.Concurrencies {
		p := c
		p.Concurrency, p.Rate = n, 0
		if err := run(p); err != nil {
			return nil, fmt.Errorf("sweep concurrency %d: %w", n, err)
		}
	}
	top := *points[len(points)-1]
	top.Points = points
	// A sweep failed if any of its points did: the first one says why.
	for _, p := range points {
		if p.Failed && !top.Failed {
			top.Failed = true
			top.FailReason = fmt.Sprintf("%s: %s", p.point(), p.FailReason)
		}
	}
	return &top, nil
}

// point names a sweep point by its load.
func (r *Result) point() string {
	if r.Config.Rate > 0 {
		return fmt.Sprintf("rate %g req/s", r.Config.Rate)
	}
	return fmt.Sprintf("concurrency %d", r.Config.Concurrency)
}

// passes says whether a max-rate probe met every SLO with a valid run that
// did not fail.
func (r *Result) passes() bool {
	if !r.Valid || r.Failed {
		return false
	}
	for _, s := range r.SLOs {
		if !s.Met {
			return false
		}
	}
	return true
}

// runMaxRate searches for the highest Poisson (or gamma) rate that meets
// every SLO with a valid run, as MLPerf's find-peak does: from the first
// probe it doubles (or halves) until the outcome flips, then bisects. Every
// probe uses the same seed, so the search is deterministic in virtual time.
func runMaxRate(ctx context.Context, b accel.Backend, c Config) (*Result, error) {
	var (
		points        []*Result
		best          *Result
		lo, hi        float64 // highest pass, lowest fail (0: none yet)
		rate          = c.Rate
		probes        int
		probe         func(r float64) (bool, error)
		searchStopped bool
	)
	if rate <= 0 {
		rate = 1
	}
	probe = func(r float64) (bool, error) {
		p := c
		p.Rate = r
		res, err := runPoint(ctx, b, p)
		if err != nil {
			return false, fmt.Errorf("max-rate probe at %.4g req/s: %w", r, err)
		}
		points = append(points, res)
		probes++
		ok := res.passes()
		if ok && (best == nil || r > best.Config.Rate) {
			best = res
		}
		return ok, nil
	}
	for probes < maxProbes && ctx.Err() == nil {
		var next float64
		switch {
		case hi == 0 && lo == 0:
			next = rate
		case hi == 0:
			next = 2 * lo
		case lo == 0:
			next = hi / 2
		default:
			if (hi-lo)/hi <= searchPrecision {
				searchStopped = true
			}
			next = (lo + hi) / 2
		}
		if searchStopped {
			break
		}
		ok, err := probe(next)
		if err != nil {
			return nil, err
		}
		if ok {
			lo = next
		} else {
			hi = next
		}
		if points[len(points)-1].Requests == 0 {
			break // the rate is too low for the run to see a request: nothing lower can pass
		}
	}
	var top Result
	if best != nil {
		top = *best
		top.MaxRate = lo
	} else {
		top = *points[len(points)-1]
		top.Valid = false
		top.InvalidReasons = append(append([]string(nil), top.InvalidReasons...),
			fmt.Sprintf("no rate down to %.4g req/s met every SLO", top.Config.Rate))
	}
	top.Points = points
	return &top, nil
}

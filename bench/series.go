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

// Sweep is what a series scenario measured: every point of a sweep, or
// every probe of a max-rate search, and which of them answers. It is apart
// from Result, which is always one run at one load, so that a run's figures
// are never read off a container of runs.
type Sweep struct {
	Config Config    // as given, with its defaults
	Points []*Result // one per rate or concurrency, or per probe, in the order run
	// Best is the index in Points of the point that answers: a sweep's last
	// (highest-load) point; a search's highest rate that passed; -1 when no
	// probe passed.
	Best int
	// MaxRate is a search's answer: the highest rate whose run was valid,
	// did not fail and met every SLO (0 when none did, and for a sweep).
	MaxRate float64
	// Failed says a point failed (Result.Failed); FailReason is the first
	// one's reason, naming its load.
	Failed     bool
	FailReason string
}

// Chosen is the point that answers (see Best), nil when none does.
func (s *Sweep) Chosen() *Result {
	if s.Best < 0 || s.Best >= len(s.Points) {
		return nil
	}
	return s.Points[s.Best]
}

// Series says whether a scenario runs several points (sweep, max-rate):
// RunSweep runs those, Run the others.
func (s Scenario) Series() bool { return s == SweepScenario || s == MaxRate }

// RunSweep runs a sweep or a max-rate search (Scenario.Series), one run per
// point, each as Run would run it alone. Other scenarios are one run: Run.
func RunSweep(ctx context.Context, b accel.Backend, c Config) (*Sweep, error) {
	if !c.Scenario.Series() {
		return nil, fmt.Errorf("scenario %s is one run: use bench.Run (RunSweep runs %s and %s)", c.Scenario, SweepScenario, MaxRate)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.defaults()
	var (
		s   *Sweep
		err error
	)
	if c.Scenario == MaxRate {
		s, err = runMaxRate(ctx, b, c)
	} else {
		s, err = runSweep(ctx, b, c)
	}
	if err != nil {
		return nil, err
	}
	if len(s.Points) == 0 { // interrupted before its first point
		return nil, fmt.Errorf("%s: no point ran: %w", c.Scenario, context.Cause(ctx))
	}
	// A series failed if any of its points did: the first one says why.
	for _, p := range s.Points {
		if p.Failed {
			s.Failed, s.FailReason = true, fmt.Sprintf("%s: %s", p.point(), p.FailReason)
			break
		}
	}
	return s, nil
}

// runSweep runs one point per rate or concurrency, in the order given.
func runSweep(ctx context.Context, b accel.Backend, c Config) (*Sweep, error) {
	s := &Sweep{Config: c}
	run := func(p Config) error {
		p.Rates, p.Concurrencies = nil, nil
		res, err := runPoint(ctx, b, p)
		if err != nil {
			return err
		}
		s.Points = append(s.Points, res)
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
	s.Best = len(s.Points) - 1
	return s, nil
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
func runMaxRate(ctx context.Context, b accel.Backend, c Config) (*Sweep, error) {
	var (
		points        []*Result
		best          = -1
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
		if ok && (best < 0 || r > points[best].Config.Rate) {
			best = len(points) - 1
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
	s := &Sweep{Config: c, Points: points, Best: best}
	if best >= 0 {
		s.MaxRate = lo
	}
	return s, nil
}

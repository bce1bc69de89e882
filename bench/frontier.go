package bench

import (
	"context"
	"fmt"

	"github.com/inferbench/inferbench/accel"
)

// FrontierGain is the least rise in output throughput over the best point
// before it that a frontier's next point must show: a doubling of
// concurrency that buys less has found the plateau, and the sweep stops.
const FrontierGain = 0.05

// FrontierConcurrencies is a frontier's default sweep: 1, 2, 4, ... up to
// and including the largest power of two not above limit.
func FrontierConcurrencies(limit int) []int {
	var out []int
	for n := 1; n <= limit; n *= 2 {
		out = append(out, n)
	}
	return out
}

// RunFrontier runs a closed-loop concurrency sweep (c.Scenario sweep with
// c.Concurrencies, in their order), each point as RunSweep runs it, but
// stops after the first point that failed, is invalid, missed an SLO, or
// whose output throughput rose less than FrontierGain over the best point
// before it: that point is kept, the larger ones are not run. why says
// which rule stopped it ("" when every point ran).
func RunFrontier(ctx context.Context, b accel.Backend, c Config) (s *Sweep, why string, err error) {
	if c.Scenario != SweepScenario || len(c.Concurrencies) == 0 || len(c.Rates) > 0 {
		return nil, "", fmt.Errorf("a frontier is a %s over concurrencies (got scenario %s, %d concurrencies, %d rates)",
			SweepScenario, c.Scenario, len(c.Concurrencies), len(c.Rates))
	}
	if err := c.Validate(); err != nil {
		return nil, "", err
	}
	c.defaults()
	s = &Sweep{Config: c, Best: -1}
	best := 0.0
	for _, n := range c.Concurrencies {
		if ctx.Err() != nil {
			break
		}
		p := c
		p.Rates, p.Concurrencies = nil, nil
		p.Concurrency, p.Rate = n, 0
		res, err := runPoint(ctx, b, p)
		if err != nil {
			return nil, "", fmt.Errorf("frontier concurrency %d: %w", n, err)
		}
		s.Points = append(s.Points, res)
		tok := res.OutputTokensPerSecond()
		switch {
		case res.Failed:
			why = fmt.Sprintf("concurrency %d failed: %s", n, res.FailReason)
		case !res.Valid:
			why = fmt.Sprintf("concurrency %d is invalid", n)
		case !res.passes():
			why = fmt.Sprintf("concurrency %d missed an SLO", n)
		case len(s.Points) > 1 && tok < best*(1+FrontierGain):
			why = fmt.Sprintf("throughput stopped rising at concurrency %d: %.4g tok/s, less than %g%% above the best before it (%.4g)",
				n, tok, 100*FrontierGain, best)
		}
		if res.passes() && tok > best {
			best, s.Best = tok, len(s.Points)-1
		}
		if why != "" {
			break
		}
	}
	if len(s.Points) == 0 {
		return nil, "", fmt.Errorf("frontier: no point ran: %w", context.Cause(ctx))
	}
	for _, p := range s.Points {
		if p.Failed {
			s.Failed, s.FailReason = true, fmt.Sprintf("%s: %s", p.point(), p.FailReason)
			break
		}
	}
	return s, why, nil
}

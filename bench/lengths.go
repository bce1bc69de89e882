package bench

import (
	"fmt"
	"math"

	"github.com/inferbench/inferbench/fixtures"
)

// Lengths draws each request's prompt and completion lengths. The draw is a pure
// function of (seed, request sequence number), so it allocates nothing, needs no
// shared state between workers, and gives the same lengths to the same request
// however the plan is split across workers, processes or shards.
type Lengths struct {
	Seed   uint64
	Input  fixtures.Dist
	Output fixtures.Dist
}

// Fixed returns lengths that are always in and out tokens.
func Fixed(seed uint64, in, out int) Lengths {
	return FromWorkload(seed, fixtures.FixedWorkload("", in, out))
}

// FromWorkload returns a workload's length distributions.
func FromWorkload(seed uint64, w fixtures.Workload) Lengths {
	return Lengths{Seed: seed, Input: w.Input, Output: w.Output}
}

// Validate checks the distributions.
func (l Lengths) Validate() error {
	for _, d := range []struct {
		name string
		d    fixtures.Dist
	}{{"input", l.Input}, {"output", l.Output}} {
		switch d.d.Kind {
		case "fixed", "lognormal":
		default:
			return fmt.Errorf("%s length distribution %q: want fixed or lognormal", d.name, d.d.Kind)
		}
		if d.d.Min < 0 || d.d.Max < d.d.Min || d.d.Median < 0 || d.d.Sigma < 0 {
			return fmt.Errorf("%s length distribution %+v: want 0 <= min <= max, median >= 0, sigma >= 0", d.name, d.d)
		}
	}
	if l.Input.Max < 1 {
		return fmt.Errorf("input length at most %d: want at least 1 token", l.Input.Max)
	}
	return nil
}

// Draw returns the lengths of request seq.
func (l Lengths) Draw(seq uint64) (in, out int) {
	h := splitmix(l.Seed ^ splitmix(seq))
	return draw(l.Input, h), draw(l.Output, splitmix(h))
}

func draw(d fixtures.Dist, h uint64) int {
	if d.Kind != "lognormal" {
		return d.Min
	}
	// Box–Muller from two 32-bit uniforms in (0, 1).
	u1 := (float64(h>>32) + 0.5) / (1 << 32)
	u2 := (float64(h&0xffffffff) + 0.5) / (1 << 32)
	z := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
	v := int(math.Round(d.Median * math.Exp(d.Sigma*z)))
	return min(max(v, d.Min), d.Max)
}

// splitmix is SplitMix64's finaliser: a cheap, well-mixed hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

package bench

import (
	"math"
	"math/rand/v2"
	"time"
)

// Process names how an arrival plan spaces its requests in time.
type Process uint8

// The arrival processes.
const (
	// ASAP has no schedule: each request goes out when a worker is free (closed loop).
	ASAP Process = iota
	// Burst schedules every request at t=0 (offline).
	Burst
	// Uniform spaces requests evenly at the rate.
	Uniform
	// Exponential draws independent exponential gaps: a Poisson process.
	Exponential
	// GammaGaps draws gamma-distributed gaps with shape Burstiness and mean
	// 1/rate, as vLLM's benchmark does: shape 1 is Poisson, below 1 burstier,
	// above 1 more regular.
	GammaGaps
	// TraceTimes takes each request's time from a trace (Replay).
	TraceTimes
)

func (p Process) String() string {
	switch p {
	case ASAP:
		return "asap"
	case Burst:
		return "burst"
	case Uniform:
		return "uniform"
	case Exponential:
		return "exponential"
	case GammaGaps:
		return "gamma"
	case TraceTimes:
		return "trace"
	}
	return "unknown"
}

// Arrivals is an arrival plan: the sequence of (request number, scheduled
// time) one shard issues. It is a deterministic function of the seed, the shard
// and the configuration, and generates lazily, so a plan of a billion requests
// takes no memory.
//
// Sharding: shard i of N issues the requests whose numbers are i, i+N, i+2N...
// of the whole plan, at 1/N of the rate, with its own random stream derived
// from (seed, i). For Uniform this is exactly every N-th arrival of the whole
// plan; for Exponential the N shards' independent Poisson processes superpose
// to a Poisson process at the whole rate (the superposition theorem), so the
// merged shards are statistically the whole plan, with the same request
// numbers and therefore the same lengths (Lengths.Draw is a function of the
// number).
//
// Arrivals is not safe for concurrent use: the real-time loop hands it out
// under its dispatcher's lock, a virtual-time driver owns it.
type Arrivals struct {
	proc   Process
	rate   float64 // this shard's rate, per second
	shape  float64 // gamma shape
	shard  Shard
	limit  uint64        // requests this shard issues (0: no limit)
	until  time.Duration // no arrival at or after this (0: no limit)
	k      uint64        // arrivals issued so far
	done   bool
	t      float64 // the last arrival, in ns
	period float64 // Uniform: the whole plan's gap in ns
	rng    *rand.Rand
	src    rand.PCG

	// With a trace: the stream, the speedup, and the lengths of the last
	// arrival (Lengths below).
	trace   *traceStream
	speedup float64
	in, out int
	hash    []uint64
}

// NewArrivals returns the arrival plan of c's (single-point) scenario for c's
// shard. Call it on a validated configuration.
func NewArrivals(c *Config) *Arrivals {
	sh := c.Shard.norm()
	a := &Arrivals{proc: c.process(), shard: sh, shape: c.Burstiness}
	if a.shape <= 0 {
		a.shape = 1
	}
	n := uint64(sh.Count)
	if c.Requests > 0 {
		// Shard i of n issues the numbers ≡ i (mod n) below Requests.
		total := uint64(c.Requests)
		a.limit = total / n
		if uint64(sh.Index) < total%n {
			a.limit++
		}
		a.done = a.limit == 0 // more shards than requests
	}
	if c.Duration > 0 && a.proc != ASAP && a.proc != Burst {
		a.until = c.Warmup + c.Duration
	}
	a.rate = c.Rate / float64(n)
	if a.rate > 0 {
		a.period = 1e9 / c.Rate
	}
	// A stream per (seed, shard): PCG's two words keep shards independent.
	a.src.Seed(c.Seed, splitmix(uint64(sh.Index)+0x5ca1ab1e))
	a.rng = rand.New(&a.src)
	a.trace, a.speedup = c.stream, c.Speedup
	if a.speedup <= 0 {
		a.speedup = 1
	}
	if a.proc == TraceTimes {
		a.rate = 0 // learnt as the trace is read
	}
	return a
}

// Lengths are the prompt and completion lengths of the last arrival, and
// its prefix blocks' hash ids, when the plan has a trace; ok is false
// without one (Lengths.Draw gives them then). hash is reused by the next
// call to Next.
func (a *Arrivals) Lengths() (in, out int, hash []uint64, ok bool) {
	return a.in, a.out, a.hash, a.trace != nil
}

// Rate is this shard's arrival rate per second (0 for ASAP and Burst).
func (a *Arrivals) Rate() float64 { return a.rate }

// Left is how many arrivals the plan has yet to issue; ok is false when the
// plan has no count limit (a duration alone bounds it), so the number is
// unknown.
func (a *Arrivals) Left() (n int64, ok bool) {
	switch {
	case a.done:
		return 0, true
	case a.limit == 0:
		return 0, false
	}
	return int64(a.limit - a.k), true
}

// Next returns the next request's number and scheduled time since the start
// of the run; ok is false when the plan is exhausted. It allocates nothing.
func (a *Arrivals) Next() (seq uint64, at time.Duration, ok bool) {
	if a.done || (a.limit > 0 && a.k >= a.limit) {
		return 0, 0, false
	}
	if a.trace != nil {
		return a.nextTrace()
	}
	return a.nextScheduled()
}

// nextScheduled is Next for the drawn processes.
func (a *Arrivals) nextScheduled() (seq uint64, at time.Duration, ok bool) {
	seq = uint64(a.shard.Index) + a.k*uint64(a.shard.Count)
	switch a.proc {
	case Uniform:
		// Computed, not accumulated: no drift over billions of arrivals.
		a.t = float64(seq) * a.period
	case Exponential:
		a.t += a.rng.ExpFloat64() * 1e9 / a.rate
	case GammaGaps:
		a.t += gammaVariate(a.rng, a.shape) * 1e9 / (a.rate * a.shape)
	}
	at = time.Duration(a.t)
	if a.until > 0 && at >= a.until {
		a.done = true
		return 0, 0, false
	}
	a.k++
	return seq, at, true
}

// gammaVariate draws from Gamma(shape, 1) by Marsaglia and Tsang's method
// (2000), boosting shapes below 1 with U^(1/shape). gonum's distuv.Gamma
// implements the same method but builds a rand.Rand per draw, which would
// allocate in the hot loop; the tests check this one against gonum's CDF.
func gammaVariate(r *rand.Rand, shape float64) float64 {
	boost := 1.0
	if shape < 1 {
		boost = math.Pow(1-r.Float64(), 1/shape) // 1−U is in (0, 1]
		shape++
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v * boost
		}
	}
}

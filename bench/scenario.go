package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Scenario names a way of issuing requests.
type Scenario string

// The scenarios.
const (
	// SingleStream sends one request at a time, the next when the last
	// completes (MLPerf SingleStream): a closed loop of one.
	SingleStream Scenario = "single-stream"
	// Closed runs Concurrency workers, each sending its next request when its
	// last one completes. Latency is measured from send.
	Closed Scenario = "closed"
	// Constant is an open loop at Rate requests/s, evenly spaced.
	Constant Scenario = "constant"
	// Poisson is an open loop at Rate with exponential gaps (MLPerf Server).
	Poisson Scenario = "poisson"
	// Gamma is an open loop at Rate with gamma gaps of shape Burstiness.
	Gamma Scenario = "gamma"
	// Offline makes all Requests available at t=0 (MLPerf Offline); the
	// throughput is the result, and latency counts from t=0.
	Offline Scenario = "offline"
	// SweepScenario runs one open loop per rate in Rates (Poisson, or gamma
	// when Burstiness is set), or one closed loop per value in Concurrencies.
	// (Sweep is the type of what it measured: see RunSweep.)
	SweepScenario Scenario = "sweep"
	// MaxRate searches for the highest rate whose percentiles meet every SLO
	// (MLPerf's find-peak), doubling from Rate then bisecting.
	MaxRate Scenario = "max-rate"
)

// Scenarios lists the scenarios this build knows.
func Scenarios() []Scenario {
	return []Scenario{SingleStream, Closed, Constant, Poisson, Gamma, Offline, SweepScenario, MaxRate, Replay}
}

// ParseScenario checks a scenario name; the error lists the valid ones.
func ParseScenario(s string) (Scenario, error) {
	var names []string
	for _, sc := range Scenarios() {
		if string(sc) == s {
			return sc, nil
		}
		names = append(names, string(sc))
	}
	return "", fmt.Errorf("unknown scenario %q; valid: %s", s, strings.Join(names, ", "))
}

// Open says whether the scenario issues requests on a schedule (open loop).
func (s Scenario) Open() bool {
	switch s {
	case Constant, Poisson, Gamma, MaxRate, Replay:
		return true
	}
	return false
}

// Shard is the i-th of N equal parts of a plan: `--shard i/N`. The zero value
// is the whole plan.
type Shard struct{ Index, Count int }

// ParseShard reads "i/N" with 0 <= i < N.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/N with 0 <= i < N, e.g. 0/4", s)
	}
	return Shard{Index: i, Count: n}, nil
}

func (s Shard) norm() Shard {
	if s.Count < 1 {
		return Shard{Index: 0, Count: 1}
	}
	return s
}

// String is "i/N", or "" for the whole plan.
func (s Shard) String() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Config says what load to generate and when to stop.
type Config struct {
	Scenario    Scenario
	Concurrency int     // closed loop: workers; offline in real time: workers
	Rate        float64 // open loop: requests per second (max-rate: the first probe)
	// Burstiness is the gamma scenario's shape (1 = Poisson, <1 burstier).
	Burstiness float64
	// Rates and Concurrencies are a sweep's points (one of them).
	Rates         []float64
	Concurrencies []int

	// Limits: the run stops issuing at whichever comes first.
	Duration time.Duration // stop issuing after this long (0: no limit)
	Requests int64         // the plan's size, warm-up included (0: no limit)
	Warmup   time.Duration // requests scheduled (or sent) before this are not recorded

	// Floors (MLPerf's min_duration and min_query_count): a stopping rule may
	// not end the run before both are met, and a run that hits a limit first is
	// invalid. Without a stopping rule the run stops as soon as both are met.
	MinDuration time.Duration
	MinRequests int64

	// SLO are latency objectives: max-rate searches against them; with
	// EarlyStop the run stops once the binomial rule decides every one.
	SLO        []SLO
	EarlyStop  bool
	Confidence float64 // for early stopping (default 0.99, as MLPerf)
	// CIWidth, when > 0, stops the run once the 95% confidence interval of
	// CIOf is narrower than this fraction of its value (0.05: ±2.5%).
	CIWidth float64
	CIOf    SLO // the percentile CIWidth watches (default latency-p99)

	// LagBudget and LagShare judge an open loop's schedule lag against what
	// it distorts: the run is invalid (the harness, not the backend, was late)
	// when its lag p99 exceeds both LagBudget (default 1ms) and LagShare of
	// its latency p50 (default DefaultLagShare, 5%). A millisecond late
	// matters to 20 ms requests; to requests of seconds it does not.
	LagBudget time.Duration
	LagShare  float64
	// MaxErrorRate is the fraction of requests that may fail (errors and
	// drops over requests) before the run is failed (Result.Failed): the
	// system under test failed, whatever the harness measured. 0 selects
	// DefaultMaxErrorRate; to fail on any error, give NoErrorsAllowed (the
	// CLI maps an explicit --max-error-rate 0 to it).
	MaxErrorRate float64
	// FailFastWindow and FailFastRequests end a run that its endpoint fails
	// entirely: once every request for FailFastWindow failed, or the last
	// FailFastRequests requests did (whichever comes first; requests after
	// warm-up, measured from the first failure after the last success), the
	// run stops issuing and is failed (Result.Failed), whatever its error
	// rate. A server that died mid-run used to take 733,471 connect errors in
	// 18 s, all counted as requests. Requests canceled by an interrupt and
	// drops are the harness's doing and count neither way. 0 selects the
	// defaults (DefaultFailFastWindow, DefaultFailFastRequests); a negative
	// value turns that half of the rule off.
	FailFastWindow   time.Duration
	FailFastRequests int
	// MaxLag, when > 0, drops a send that cannot go out within this long of its
	// scheduled time: counted in Dropped, never sent. 0 sends late instead.
	MaxLag time.Duration
	// Workers is the open loop's starting pool (default GOMAXPROCS); it grows
	// by Little's law up to MaxWorkers (default 4096) when the backend is slow.
	Workers    int
	MaxWorkers int

	Shard Shard

	Seed      uint64
	Model     string
	Precision string
	Lengths   Lengths

	// Trace, when set, is where requests come from: Replay's schedule and
	// lengths, or any other scenario's lengths (see Trace). Speedup divides
	// Replay's trace time (0: 1).
	Trace   *Trace
	Speedup float64
	stream  *traceStream // this run's pass through Trace (runPoint opens it)
	// Sessions and SharedPrefix shape the requests (see each).
	Sessions     Sessions
	SharedPrefix SharedPrefix

	// Progress, when set, is called about every ProgressEvery (default 1s) of a
	// real-time run from a monitor goroutine.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// Grace is how long in-flight requests may finish after the run's context
	// is canceled (an interrupt): issuing stops at once, requests still out
	// after Grace are canceled and counted as such (default 10s).
	Grace time.Duration
}

// Defaults for Config's judging knobs.
const (
	// DefaultMaxErrorRate is the error rate above which a run failed: 5%.
	DefaultMaxErrorRate = 0.05
	// NoErrorsAllowed is the MaxErrorRate that fails a run on any error:
	// the smallest positive rate, which one error in any count exceeds
	// (0 is taken by "the default").
	NoErrorsAllowed = math.SmallestNonzeroFloat64
	// DefaultFailFastWindow and DefaultFailFastRequests end a run whose
	// requests all failed for 5 s, or 100 in a row (see Config.FailFastWindow).
	DefaultFailFastWindow   = 5 * time.Second
	DefaultFailFastRequests = 100
	// DefaultLagShare is the share of latency p50 that schedule lag p99 may
	// reach, beyond LagBudget, before an open-loop run is invalid: 5%.
	DefaultLagShare = 0.05
)

// Progress is a running run's state, for a progress line.
type Progress struct {
	Elapsed  time.Duration // since the start, warm-up included
	Requests int64         // recorded so far
	Rate     float64       // recorded requests per second so far
	P99      time.Duration // latency p99 so far
}

// process is the arrival process of a single-point configuration.
func (c *Config) process() Process {
	switch c.Scenario {
	case SingleStream, Closed:
		return ASAP
	case Offline:
		return Burst
	case Constant:
		return Uniform
	case Poisson:
		return Exponential
	case Gamma:
		return GammaGaps
	case Replay:
		return TraceTimes
	case SweepScenario, MaxRate:
		if c.Rate > 0 {
			if c.Burstiness > 0 && c.Burstiness != 1 {
				return GammaGaps
			}
			return Exponential
		}
		return ASAP
	}
	return ASAP
}

// concurrency is a closed loop's (or offline's) worker count for the shard.
func (c *Config) concurrency() int {
	if c.Scenario == SingleStream {
		return 1
	}
	// Shards split the workers as they split the plan.
	sh := c.Shard.norm()
	n := c.Concurrency / sh.Count
	if sh.Index < c.Concurrency%sh.Count {
		n++
	}
	return max(n, 1)
}

// Validate checks a configuration; its errors name the bad value.
func (c *Config) Validate() error {
	if _, err := ParseScenario(string(c.Scenario)); err != nil {
		return err
	}
	switch c.Scenario {
	case Closed, Offline:
		if c.Concurrency < 1 {
			return fmt.Errorf("concurrency %d: want at least 1", c.Concurrency)
		}
	case Constant, Poisson, Gamma:
		if !(c.Rate > 0) {
			return fmt.Errorf("scenario %s: rate %v: want a positive rate in requests/s (--rate)", c.Scenario, c.Rate)
		}
	case MaxRate:
		if c.Rate < 0 {
			return fmt.Errorf("max-rate: rate %v: want a positive first probe, or 0 to start at 1/s", c.Rate)
		}
		if len(c.SLO) == 0 {
			return fmt.Errorf("max-rate needs an SLO to search against, e.g. latency-p99=500ms or ttft-p99=200ms")
		}
	case SweepScenario:
		if (len(c.Rates) == 0) == (len(c.Concurrencies) == 0) {
			return fmt.Errorf("sweep needs either rates (e.g. 10,20,40) or concurrencies (e.g. 1,2,4), not both or neither")
		}
		for _, r := range c.Rates {
			if !(r > 0) {
				return fmt.Errorf("sweep rate %v: want positive rates", r)
			}
		}
		for _, n := range c.Concurrencies {
			if n < 1 {
				return fmt.Errorf("sweep concurrency %d: want at least 1", n)
			}
		}
	}
	if c.Scenario == Gamma && !(c.Burstiness > 0) {
		return fmt.Errorf("gamma: burstiness %v: want a positive shape (1 = Poisson, below 1 burstier)", c.Burstiness)
	}
	if c.Burstiness < 0 {
		return fmt.Errorf("burstiness %v: want a positive shape (1 = Poisson)", c.Burstiness)
	}
	if c.Scenario == Offline && c.Requests < 1 {
		return fmt.Errorf("offline needs a request count: all of them are available at t=0")
	}
	if c.Duration < 0 {
		return fmt.Errorf("duration %v: want a positive duration", c.Duration)
	}
	if c.Requests < 0 {
		return fmt.Errorf("requests %d: want a positive count", c.Requests)
	}
	if c.Scenario == Replay && c.Trace == nil {
		return fmt.Errorf("replay needs a trace: a trace workload (azure-conv, azure-code) or a trace file (--trace)")
	}
	if !(c.Speedup >= 0) || c.Speedup > 0 && c.Scenario != Replay {
		return fmt.Errorf("speedup %v: want a positive factor, for --scenario replay only (0 replays as recorded)", c.Speedup)
	}
	if c.Duration == 0 && c.Requests == 0 && c.Scenario != Replay {
		return fmt.Errorf("no limit: give a duration or a request count")
	}
	if c.Warmup < 0 {
		return fmt.Errorf("warmup %v: want zero or a positive duration", c.Warmup)
	}
	if c.MinDuration < 0 || c.MinRequests < 0 {
		return fmt.Errorf("min duration %v, min requests %d: want zero or positive", c.MinDuration, c.MinRequests)
	}
	if c.Confidence != 0 && !(c.Confidence > 0.5 && c.Confidence < 1) {
		return fmt.Errorf("confidence %v: want a value in (0.5, 1), e.g. 0.99", c.Confidence)
	}
	if c.CIWidth < 0 || c.CIWidth >= 2 {
		return fmt.Errorf("ci width %v: want a fraction in (0, 2), e.g. 0.05 for ±2.5%%", c.CIWidth)
	}
	if c.EarlyStop && len(c.SLO) == 0 {
		return fmt.Errorf("early stopping needs an SLO, e.g. latency-p99=500ms")
	}
	if c.LagBudget < 0 || c.MaxLag < 0 {
		return fmt.Errorf("lag budget %v, max lag %v: want zero or positive", c.LagBudget, c.MaxLag)
	}
	if !(c.LagShare >= 0) {
		return fmt.Errorf("lag share %v: want a fraction of latency p50, e.g. 0.05, or 0 for the default %g", c.LagShare, DefaultLagShare)
	}
	if !(c.MaxErrorRate >= 0 && c.MaxErrorRate <= 1) {
		return fmt.Errorf("max error rate %v: want a fraction from 0 to 1 (0 selects the default %g)", c.MaxErrorRate, DefaultMaxErrorRate)
	}
	if c.Workers < 0 || c.MaxWorkers < 0 {
		return fmt.Errorf("workers %d, max workers %d: want zero (automatic) or positive", c.Workers, c.MaxWorkers)
	}
	if s := c.Shard; s.Count != 0 && (s.Count < 1 || s.Index < 0 || s.Index >= s.Count) {
		return fmt.Errorf("shard %d/%d: want i/N with 0 <= i < N", s.Index, s.Count)
	}
	if err := c.Sessions.validate(); err != nil {
		return err
	}
	if err := c.SharedPrefix.validate(); err != nil {
		return err
	}
	if c.Trace != nil && (c.Sessions.Turns > 0 || c.SharedPrefix.Groups > 0) {
		return fmt.Errorf("a trace gives its own requests: no sessions or shared prefix over it")
	}
	if c.Sessions.Turns > 0 && c.SharedPrefix.Groups > 0 {
		return fmt.Errorf("sessions or a shared prefix, not both")
	}
	if c.Trace != nil {
		return nil // the trace's lengths, checked as it is read
	}
	return c.Lengths.Validate()
}

// defaults fills the zero knobs.
func (c *Config) defaults() {
	if c.Confidence == 0 {
		c.Confidence = 0.99
	}
	if c.LagBudget == 0 {
		c.LagBudget = time.Millisecond
	}
	if c.LagShare == 0 {
		c.LagShare = DefaultLagShare
	}
	if c.MaxErrorRate == 0 {
		c.MaxErrorRate = DefaultMaxErrorRate
	}
	if c.MaxWorkers == 0 {
		c.MaxWorkers = 4096
	}
	if c.FailFastWindow == 0 {
		c.FailFastWindow = DefaultFailFastWindow
	}
	if c.FailFastRequests == 0 {
		c.FailFastRequests = DefaultFailFastRequests
	}
	if c.CIOf.Metric == "" {
		c.CIOf = SLO{Metric: "latency", Percentile: 99}
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = time.Second
	}
	if c.Grace == 0 {
		c.Grace = 10 * time.Second
	}
}

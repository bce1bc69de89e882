// Package bench is the load generator: it turns a scenario into a plan of
// requests, drives a backend with it, and records what each request measured.
//
// Concurrency scheme: each worker owns a preallocated Request, Result and
// Recorder, and takes request numbers from a shared atomic counter in chunks, so
// the hot loop touches shared state once per chunk and allocates nothing.
// Recorders are merged when the workers are done. Backends that run in virtual
// time (accel.Virtual) are driven by a single driver instead of workers: no
// goroutines, no sleeping, deterministic for a seed.
package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Scenario names a way of issuing requests.
type Scenario string

// The scenarios.
const (
	// Closed runs Concurrency workers, each sending its next request when its
	// last one completes. Latency is measured from send.
	Closed Scenario = "closed"
)

// Scenarios lists the scenarios this build knows.
func Scenarios() []Scenario { return []Scenario{Closed} }

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

// Config says what load to generate and when to stop.
type Config struct {
	Scenario    Scenario
	Concurrency int           // closed loop: workers
	Rate        float64       // open loop: requests per second
	Duration    time.Duration // stop issuing after this long (0: no limit)
	Requests    int64         // stop after this many requests (0: no limit)
	Warmup      time.Duration // excluded from the results
	Seed        uint64
	Model       string
	Precision   string
	Lengths     Lengths
}

// Validate checks a configuration; its errors name the bad value.
func (c *Config) Validate() error {
	if _, err := ParseScenario(string(c.Scenario)); err != nil {
		return err
	}
	if c.Scenario == Closed && c.Concurrency < 1 {
		return fmt.Errorf("concurrency %d: want at least 1", c.Concurrency)
	}
	if c.Duration < 0 {
		return fmt.Errorf("duration %v: want a positive duration", c.Duration)
	}
	if c.Requests < 0 {
		return fmt.Errorf("requests %d: want a positive count", c.Requests)
	}
	if c.Duration == 0 && c.Requests == 0 {
		return fmt.Errorf("no limit: give a duration or a request count")
	}
	if c.Warmup < 0 {
		return fmt.Errorf("warmup %v: want zero or a positive duration", c.Warmup)
	}
	return c.Lengths.Validate()
}

// Result is what a run measured, after warm-up.
type Result struct {
	Config  Config
	Virtual bool // served in virtual time
	*Recorder

	Requests      int64 // issued after warm-up
	Completed     int64 // finished without error
	Errors        int64
	ErrorsByClass map[accel.ErrClass]int64
	ErrorExamples map[accel.ErrClass]string // one message per class
	Dropped       int64                     // open loop: sends that never went out
	InputTokens   int64
	OutputTokens  int64
	Counted       accel.TokenCount
	// Elapsed is the measurement window: from the end of warm-up to the last
	// completion.
	Elapsed time.Duration
	// Energy is what the backend reported using during the run (simulated devices).
	Energy    accel.Energy
	HasEnergy bool
}

// RequestsPerSecond is completed requests over the measurement window.
func (r *Result) RequestsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Completed) / r.Elapsed.Seconds()
}

// OutputTokensPerSecond is output tokens of completed requests over the window.
func (r *Result) OutputTokensPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OutputTokens) / r.Elapsed.Seconds()
}

func newResult(c Config) *Result {
	return &Result{
		Config: c, Recorder: NewRecorder(),
		ErrorsByClass: map[accel.ErrClass]int64{}, ErrorExamples: map[accel.ErrClass]string{},
	}
}

// Run drives b with the configured load and returns what it measured.
func Run(ctx context.Context, b accel.Backend, c Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var before accel.Energy
	em, hasEnergy := b.(accel.EnergyMeter)
	if hasEnergy {
		before = em.Energy()
	}
	var (
		res *Result
		err error
	)
	if v, ok := b.(accel.Virtual); ok {
		res, err = runVirtual(ctx, v, c)
	} else {
		res, err = runClosed(ctx, b, c)
	}
	if err != nil {
		return nil, err
	}
	if hasEnergy {
		after := em.Energy()
		res.HasEnergy = true
		res.Energy = accel.Energy{Joules: after.Joules - before.Joules, Elapsed: after.Elapsed - before.Elapsed, PeakW: after.PeakW}
	}
	return res, nil
}

// tally is one worker's counts; merged into the Result at the end.
type tally struct {
	requests, completed, errors int64
	inTokens, outTokens         int64
	byClass                     [16]int64 // indexed by classIndex
	examples                    [16]string
	counted                     accel.TokenCount
}

var classes = [...]accel.ErrClass{
	accel.ClassConnect, accel.ClassTimeout, accel.ClassHTTP4xx, accel.ClassHTTP5xx,
	accel.ClassStreamBroken, accel.ClassBadPayload, accel.ClassRejected,
	accel.ClassCanceled, accel.ClassDevice,
}

func classIndex(c accel.ErrClass) int {
	for i, k := range classes {
		if k == c {
			return i
		}
	}
	return len(classes) // unknown classes count as device errors below
}

// add records one finished request in t and rec. ttft and latency are measured
// from the request's reference time (send, or schedule in open loop).
func (t *tally) add(rec *Recorder, req *accel.Request, res *accel.Result, err error, latency, ttft time.Duration) {
	t.requests++
	if err != nil || res.Class != accel.ClassNone {
		t.errors++
		cls := res.Class
		if cls == accel.ClassNone {
			cls = accel.ClassOf(err)
		}
		i := classIndex(cls)
		t.byClass[i]++
		if t.examples[i] == "" && err != nil {
			t.examples[i] = err.Error() // once per class: not the hot path
		}
		return
	}
	t.completed++
	t.inTokens += int64(req.InputTokens * max(req.Batch, 1))
	t.outTokens += int64(res.OutputTokens)
	t.counted = res.Counted
	rec.record(rec.Latency, latency)
	rec.record(rec.TTFT, ttft)
	if res.OutputTokens > 1 {
		rec.record(rec.TPOT, (res.Latency-res.TTFT)/time.Duration(res.OutputTokens-1))
	}
}

func (r *Result) addTally(t *tally) {
	r.Requests += t.requests
	r.Completed += t.completed
	r.Errors += t.errors
	r.InputTokens += t.inTokens
	r.OutputTokens += t.outTokens
	if t.counted != "" {
		r.Counted = t.counted
	}
	for i, n := range t.byClass {
		if n == 0 {
			continue
		}
		cls := accel.ClassDevice
		if i < len(classes) {
			cls = classes[i]
		}
		r.ErrorsByClass[cls] += n
		if r.ErrorExamples[cls] == "" {
			r.ErrorExamples[cls] = t.examples[i]
		}
	}
}

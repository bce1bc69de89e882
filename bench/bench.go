// Package bench is the load generator: it turns a scenario into a plan of
// requests, drives a backend with it, and records what each request measured.
//
// Concurrency scheme (loop.go): one dispatcher owns the arrival plan and
// hands it to a pool of workers in chunks of consecutive arrivals, under a
// lock taken once per chunk. The worker that takes an arrival sends it
// itself, at its scheduled time (open loop) or back to back (closed loop):
// no request passes through a channel or another goroutine. Each worker owns
// a preallocated accel.Request and accel.Result, and records into one of a
// few stripes (one per CPU, each behind its own mutex) that are merged when
// the run ends, so the hot loop allocates nothing and a monitor can read a
// consistent snapshot for progress and stopping rules. An open loop's pool
// grows when the backend needs more requests in flight than there are
// workers. Backends that run in virtual time (accel.Virtual) are driven by a
// single driver instead of workers (virtual.go): no goroutines, no sleeping,
// deterministic for a seed.
//
// Benchmark runs a scenario inside a Go benchmark, so go test -bench and
// benchstat measure an endpoint or a simulated device as they measure code.
package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Result is what a run measured, after warm-up.
type Result struct {
	Config  Config
	Virtual bool // served in virtual time
	*Recorder
	// PrefixCache is what the backend's prefix cache served during the
	// run, and held at its end (nil: it keeps none, or it was off).
	PrefixCache *accel.PrefixCacheStats

	Requests      int64 // issued after warm-up (dropped sends included)
	Completed     int64 // finished without error
	Errors        int64
	ErrorsByClass map[accel.ErrClass]int64
	ErrorExamples map[accel.ErrClass]string // one message per class
	// Dropped counts open-loop sends abandoned because they could not go out
	// within Config.MaxLag of their schedule; Late those sent later than
	// Config.LagBudget. Neither is ever silently skipped.
	Dropped int64
	Late    int64
	// InputTokens and OutputTokens are the tokens of completed requests:
	// input as the server says it served them (usage.prompt_tokens) where it
	// does, as requested where it does not (InputTokensCounted says which);
	// output as Counted says. RequestedInputTokens and RequestedOutputTokens
	// are what those requests asked for, so a server that read a different
	// prompt or stopped early shows against its label.
	InputTokens  int64
	OutputTokens int64
	// ReasoningTokens is the part of OutputTokens that was reasoning.
	ReasoningTokens       int64
	Counted               accel.TokenCount
	InputTokensCounted    accel.TokenCount // usage, requested or mixed
	RequestedInputTokens  int64
	RequestedOutputTokens int64
	// FinishReasons counts completed requests by accel.Finish reason (those
	// whose backend gave none are not counted); ShortOutputs counts completed
	// requests that returned fewer output tokens than they asked for.
	FinishReasons map[string]int64
	ShortOutputs  int64
	// Elapsed is the measurement window: from the end of warm-up to the last
	// completion (a closed loop in real time: from its first send after
	// warm-up, so the workers' start is not counted against the backend).
	Elapsed time.Duration
	// Energy is what the backend reported using during the run (simulated devices).
	Energy    accel.Energy
	HasEnergy bool

	// Workers is how many workers the run ended with (in-flight slots in
	// virtual time); PoolAtMax says the open-loop pool wanted to grow past
	// Config.MaxWorkers.
	Workers   int
	PoolAtMax bool
	// Stopped says why a stopping rule ended the run before its limits.
	Stopped string
	// Interrupted says the run's context was canceled before its limits: the
	// result holds what completed until then.
	Interrupted bool
	// Valid is false when the numbers are not the backend's: the harness was
	// late or dropped sends, or the run missed its floors. InvalidReasons says
	// why, one line each.
	Valid          bool
	InvalidReasons []string
	// ValidityRule states in words the rule Valid was judged by, for the
	// report to say (e.g. "open loop: invalid when schedule lag p99 exceeds
	// both 1ms and 5% of latency p50, ...").
	ValidityRule string
	// Failed says the system under test failed the run, apart from Valid
	// (whether the harness measured correctly): no request completed, or
	// more than Config.MaxErrorRate of them failed. FailReason says why,
	// naming the error classes and an example of each.
	Failed     bool
	FailReason string
	// SLOs holds each SLO's outcome (max-rate, early stopping, --slo).
	SLOs []SLOResult

	lastEnd, lastSend, lastAt time.Duration
	// failFast says why the fail-fast rule ended the run (Config.FailFastWindow):
	// the run is then failed whatever its error rate.
	failFast string
}

// SLOResult is one SLO's outcome on a run.
type SLOResult struct {
	SLO      SLO
	Observed time.Duration // the recorded percentile
	Met      bool          // the recorded percentile is within the bound
	Verdict  Verdict       // what the binomial rule can say at the confidence
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
		Config: c, Recorder: NewRecorder().forConfig(&c), Valid: true,
		ErrorsByClass: map[accel.ErrClass]int64{}, ErrorExamples: map[accel.ErrClass]string{},
	}
}

// Run drives b with the configured load and returns what it measured.
// Backends that run in virtual time (accel.Virtual) are served without
// sleeping; others in real time, open-loop scenarios on the plan's schedule.
// Run is one run at one load; a sweep or a max-rate search is several, and
// RunSweep runs it (Scenario.Series says which a scenario is).
func Run(ctx context.Context, b accel.Backend, c Config) (*Result, error) {
	if c.Scenario.Series() {
		return nil, fmt.Errorf("scenario %s runs several points: use bench.RunSweep", c.Scenario)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.defaults()
	return runPoint(ctx, b, c)
}

// runPoint runs one single-point configuration.
func runPoint(ctx context.Context, b accel.Backend, c Config) (*Result, error) {
	var err error
	if c.stream, err = openTrace(&c); err != nil {
		return nil, err
	}
	res, err := runPointWith(ctx, b, c)
	if terr := c.stream.close(); terr != nil && err == nil {
		return nil, terr // a trace that broke mid-run measured less than it says
	}
	return res, err
}

// runPointWith runs one point with c's trace, if any, open.
func runPointWith(ctx context.Context, b accel.Backend, c Config) (*Result, error) {
	var before accel.Energy
	em, hasEnergy := b.(accel.EnergyMeter)
	if hasEnergy {
		before = em.Energy()
	}
	pc, _ := b.(accel.PrefixCacher)
	var pcBefore accel.PrefixCacheStats
	if pc != nil {
		pcBefore, _ = pc.PrefixCache()
	}
	var res *Result
	if v, ok := accel.AsVirtual(b); ok {
		r, err := runVirtual(ctx, v, &c)
		if err != nil {
			return nil, err
		}
		res = r
	} else {
		res = runRealtime(ctx, b, &c)
	}
	if hasEnergy {
		after := em.Energy()
		res.HasEnergy = true
		res.Energy = accel.Energy{Joules: after.Joules - before.Joules, Elapsed: after.Elapsed - before.Elapsed, PeakW: after.PeakW}
	}
	if pc != nil {
		if after, ok := pc.PrefixCache(); ok {
			after.InputTokens -= pcBefore.InputTokens
			after.HitTokens -= pcBefore.HitTokens
			res.PrefixCache = &after
		}
	}
	res.Interrupted = ctx.Err() != nil
	res.judge()
	return res, nil
}

// tally is one worker's counts; merged into the Result at the end.
type tally struct {
	requests, completed, errors int64
	inTokens, outTokens         int64
	reqIn, reqOut               int64     // requested by the completed requests
	reasoning                   int64     // reasoning tokens of the completed requests (part of outTokens)
	inServed                    int64     // completed requests whose input the backend reported
	short                       int64     // completed requests with fewer output tokens than asked
	byClass                     [16]int64 // indexed by classIndex
	examples                    [16]string
	byFinish                    [len(finishes)]int64 // indexed by finishIndex
	counted                     accel.TokenCount
}

// finishes are the finish reasons a tally counts, in a fixed array rather
// than a map, so counting one allocates nothing.
var finishes = [...]string{
	accel.FinishStop, accel.FinishLength, accel.FinishContentFilter, accel.FinishToolCalls, accel.FinishOther,
}

// finishIndex is reason's place in finishes, -1 for "" (the backend gave
// none); a reason not listed counts as other.
func finishIndex(reason string) int {
	if reason == "" {
		return -1
	}
	for i, f := range finishes {
		if f == reason {
			return i
		}
	}
	return len(finishes) - 1
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
	batch := max(req.Batch, 1)
	t.reqIn += int64(req.InputTokens * batch)
	t.reqOut += int64(req.OutputTokens * batch)
	if res.InputTokens > 0 {
		t.inTokens += int64(res.InputTokens)
		t.inServed++
	} else {
		t.inTokens += int64(req.InputTokens * batch)
	}
	t.outTokens += int64(res.OutputTokens)
	t.reasoning += int64(res.ReasoningTokens)
	if res.OutputTokens < req.OutputTokens*batch {
		t.short++
	}
	if i := finishIndex(res.FinishReason); i >= 0 {
		t.byFinish[i]++
	}
	t.counted = res.Counted
	rec.record(rec.Latency, latency)
	if !res.NoTTFT {
		rec.record(rec.TTFT, ttft)
		ttfo := ttft // from the same reference time as TTFT
		if res.TTFO > 0 {
			ttfo += res.TTFO - res.TTFT
		}
		rec.record(rec.TTFO, ttfo)
		if req.Turn < len(rec.TurnTTFT) {
			rec.record(rec.TurnTTFT[req.Turn], ttft)
		}
	}
	// An answer that came whole has no per-token time: recording 0 would read
	// as a 1 ns TPOT (the histogram's floor), a number nobody measured.
	if res.OutputTokens > 1 && !res.NoTokenTimes {
		rec.record(rec.TPOT, (res.Latency-res.TTFT)/time.Duration(res.OutputTokens-1))
	}
}

func (r *Result) addTally(t *tally) {
	r.Requests += t.requests
	r.Completed += t.completed
	r.Errors += t.errors
	r.InputTokens += t.inTokens
	r.OutputTokens += t.outTokens
	r.ReasoningTokens += t.reasoning
	r.RequestedInputTokens += t.reqIn
	r.RequestedOutputTokens += t.reqOut
	r.ShortOutputs += t.short
	if t.counted != "" {
		r.Counted = t.counted
	}
	if t.completed > 0 {
		r.InputTokensCounted = mergeCounted(r.InputTokensCounted, inputCounted(t.inServed, t.completed))
	}
	for i, n := range t.byFinish {
		if n == 0 {
			continue
		}
		if r.FinishReasons == nil {
			r.FinishReasons = map[string]int64{}
		}
		r.FinishReasons[finishes[i]] += n
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

// inputCounted says how served of completed requests' input tokens were
// counted: from the backend (usage), as requested, or some of each.
func inputCounted(served, completed int64) accel.TokenCount {
	switch served {
	case completed:
		return accel.CountedUsage
	case 0:
		return accel.CountedRequested
	}
	return accel.CountedMixed
}

// mergeCounted combines two tallies' input counting ("" is no tally yet).
func mergeCounted(a, b accel.TokenCount) accel.TokenCount {
	if a == "" || a == b {
		return b
	}
	return accel.CountedMixed
}

package bench_test

// The fail-fast rule (Config.FailFastWindow, FailFastRequests) and the
// closed loop's backoff after connect failures, against backends whose
// failures are set by the test.

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/bench"
)

// failFrom is an oracle whose requests from sequence number from on fail
// with class (in virtual time): a server that dies after a good run.
type failFrom struct {
	*oracle.Backend
	from  uint64
	class accel.ErrClass
}

func (f failFrom) Drive(ctx context.Context, d accel.Driver) error {
	return f.Backend.Drive(ctx, &failFromDriver{Driver: d, f: f})
}

type failFromDriver struct {
	accel.Driver
	f failFrom
}

func (d *failFromDriver) Done(req *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	if req.Seq >= d.f.from {
		*res = accel.Result{Class: d.f.class, Latency: res.Latency}
	}
	d.Driver.Done(req, res, arrived, finished)
}

func (d *failFromDriver) RecordGap(g time.Duration) { d.Driver.(accel.GapRecorder).RecordGap(g) }

// In virtual time every count is known. A closed loop of C workers with
// service time S: each completion issues the next request at once, so the
// k-th failure in a row that fires the rule leaves C−1 requests in flight,
// which finish and are counted.
func TestFailFastVirtual(t *testing.T) {
	t.Parallel()
	allFail := func(ttft time.Duration) accel.Backend {
		return newOracle(t, oracle.Config{TTFT: ttft, FailEvery: 1})
	}
	closed := func(conc int, d time.Duration) bench.Config {
		return bench.Config{Scenario: bench.Closed, Concurrency: conc, Duration: d, Lengths: bench.Fixed(1, 8, 1)}
	}
	with := func(c bench.Config, f func(*bench.Config)) bench.Config { f(&c); return c }
	for _, tt := range []struct {
		name      string
		b         accel.Backend
		c         bench.Config
		requests  int64
		completed int64
		elapsed   time.Duration
		stopped   string
		reason    []string // fragments of FailReason, in order
	}{
		// 100 = 12 waves of 8, and the 4th failure of the 13th wave (at
		// 130 ms); three more were issued at 130 ms before it, and the other
		// four of the wave end at 130 ms: 107 requests, the last at 140 ms.
		{"the last 100 failed", allFail(10 * ms), closed(8, 30*time.Second), 107, 0, 140 * ms,
			"stopped after the last 100 requests all failed",
			[]string{`no request completed: 107 of 107 failed; http_5xx 107, e.g. http_5xx: request 0 `, `; stopped after the last 100 requests all failed`}},
		// Waves of 8 every second: the streak starts at 1 s with the first
		// failure, and the first failure at 6 s is 5 s after it (41 in a
		// row); the wave's 7 others end then too. 6 waves of 8.
		{"every request for 5s failed", allFail(time.Second), closed(8, 30*time.Second), 48, 0, 6 * time.Second,
			"stopped after every request for 5s failed (41 in a row)",
			[]string{"no request completed: 48 of 48 failed; ", "; stopped after every request for 5s failed (41 in a row)"}},
		// Thresholds set: 20 = 2 waves and the 4th of the 3rd (30 ms).
		{"the last 20 failed", allFail(10 * ms), with(closed(8, 30*time.Second), func(c *bench.Config) { c.FailFastRequests = 20 }), 27, 0, 40 * ms,
			"stopped after the last 20 requests all failed", []string{"no request completed: 27 of 27 failed"}},
		{"a window of 2s", allFail(time.Second), with(closed(8, 30*time.Second), func(c *bench.Config) { c.FailFastWindow = 2 * time.Second }), 24, 0, 3 * time.Second,
			"stopped after every request for 2s failed (17 in a row)", []string{"no request completed: 24 of 24 failed"}},
		// Off: the run goes to its 30 s limit, 30 waves of 8, failed by its
		// error rate as before.
		{"off", allFail(time.Second), with(closed(8, 30*time.Second), func(c *bench.Config) { c.FailFastRequests, c.FailFastWindow = -1, -1 }), 240, 0, 30 * time.Second,
			"", []string{"no request completed: 240 of 240 failed; http_5xx 240"}},
		// A server that dies after 8000 good requests: the error rate of the
		// run (107 of 8107, 1.3%) is below the 5% limit, and the run failed.
		{"dies after a good run", failFrom{newOracle(t, oracle.Config{TTFT: 10 * ms}), 8000, accel.ClassConnect}, closed(8, 30*time.Second), 8107, 8000, 10140 * ms,
			"stopped after the last 100 requests all failed",
			[]string{`stopped after the last 100 requests all failed (107 of 8107 requests failed; connect 107, e.g. connect: request 8000 `}},
		// Failures during warm-up do not count: one worker, 100 of its
		// requests in the first second, then 10 counted ones.
		{"after warm-up only", allFail(10 * ms), with(closed(1, 30*time.Second), func(c *bench.Config) { c.Warmup, c.FailFastRequests = time.Second, 10 }), 10, 0, 100 * ms,
			"stopped after the last 10 requests all failed", []string{"no request completed: 10 of 10 failed"}},
		// An open loop at 100/s, requests of 5 ms: the 100th fails at
		// 995 ms; the engine holds the arrival at 1 s already, which goes
		// in and fails at 1.005 s.
		{"open loop", allFail(5 * ms), bench.Config{Scenario: bench.Constant, Rate: 100, Duration: 30 * time.Second, Lengths: bench.Fixed(1, 8, 1)}, 101, 0, 1005 * ms,
			"stopped after the last 100 requests all failed", []string{"no request completed: 101 of 101 failed"}},
		// The last 100 of a 100-request plan: nothing was cut short, so
		// nothing says stopped (the run failed by its error rate).
		{"at the end of the plan", allFail(10 * ms), bench.Config{Scenario: bench.Closed, Concurrency: 4, Requests: 100, Lengths: bench.Fixed(1, 8, 1)}, 100, 0, 250 * ms,
			"", []string{"no request completed: 100 of 100 failed; http_5xx 100"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, context.Background(), tt.b, tt.c)
			if res.Requests != tt.requests || res.Completed != tt.completed || res.Errors != tt.requests-tt.completed || res.Elapsed != tt.elapsed {
				t.Errorf("requests %d completed %d errors %d elapsed %v; want %d, %d, %d, %v",
					res.Requests, res.Completed, res.Errors, res.Elapsed, tt.requests, tt.completed, tt.requests-tt.completed, tt.elapsed)
			}
			if res.Stopped != tt.stopped || !res.Failed {
				t.Errorf("stopped %q, failed %v; want %q, failed", res.Stopped, res.Failed, tt.stopped)
			}
			rest := res.FailReason
			for _, f := range tt.reason {
				i := strings.Index(rest, f)
				if i < 0 {
					t.Fatalf("fail reason %q: no %q (in order)", res.FailReason, f)
				}
				rest = rest[i+len(f):]
			}
		})
	}
}

// refuser fails every request at once as a refused connection would, and
// records when each worker (its request, which a worker owns) called.
type refuser struct {
	mu    sync.Mutex
	calls map[*accel.Request][]time.Time
	until time.Time // zero: always; else fail until then, then serve in 1 ms
}

func (r *refuser) Info() accel.Info { return accel.Info{ID: "refuser"} }
func (r *refuser) Close() error     { return nil }
func (r *refuser) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	now := time.Now()
	r.mu.Lock()
	if r.calls == nil {
		r.calls = map[*accel.Request][]time.Time{}
	}
	r.calls[req] = append(r.calls[req], now)
	r.mu.Unlock()
	if r.until.IsZero() || now.Before(r.until) {
		res.Class = accel.ClassConnect
		return accel.Errorf(accel.ClassConnect, "dial 127.0.0.1:1: connect: connection refused")
	}
	time.Sleep(ms)
	res.Latency, res.TTFT, res.OutputTokens = time.Since(now), time.Since(now), req.OutputTokens
	return nil
}

// total counts the calls.
func (r *refuser) total() (n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		n += int64(len(c))
	}
	return n
}

// A closed loop against an endpoint that refuses connections: each worker
// waits 1 ms after its first failure, 2 after its second, doubling (the
// waits are at least that long, however busy the machine), and the run
// ends at the 40th failure in a row, 30 s before its limit, with at most
// the 3 other workers' requests after it.
func TestConnectFailuresBackOffRealtime(t *testing.T) {
	t.Parallel()
	r := &refuser{}
	res := run(t, context.Background(), r, bench.Config{
		Scenario: bench.Closed, Concurrency: 4, Duration: 30 * time.Second, Lengths: bench.Fixed(1, 8, 1),
		FailFastRequests: 40, FailFastWindow: -1,
	})
	if res.Requests < 40 || res.Requests > 43 || res.Requests != r.total() || res.Errors != res.Requests {
		t.Errorf("requests %d, errors %d, calls %d: want 40 to 43, all failed", res.Requests, res.Errors, r.total())
	}
	if !res.Failed || res.Stopped != "stopped after the last 40 requests all failed" || !strings.Contains(res.FailReason, "connect ") {
		t.Errorf("failed %v, stopped %q, reason %q", res.Failed, res.Stopped, res.FailReason)
	}
	if res.Elapsed > 10*time.Second {
		t.Errorf("elapsed %v: the rule did not end the run", res.Elapsed)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) != 4 {
		t.Fatalf("%d workers called, want 4", len(r.calls))
	}
	for _, calls := range r.calls {
		for i := 1; i < len(calls); i++ {
			want := min(ms<<(i-1), time.Second)
			if gap := calls[i].Sub(calls[i-1]); gap < want {
				t.Errorf("a worker's call %d came %v after its call %d: want a backoff of at least %v", i, gap, i-1, want)
			}
		}
	}
}

// An interrupt ends a backoff at once: the workers wait a second between
// attempts by 1.1 s, and the run returns long before that second is out.
func TestInterruptEndsBackoff(t *testing.T) {
	t.Parallel()
	r := &refuser{}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1100*ms, cancel)
	start := time.Now()
	res := run(t, ctx, r, bench.Config{
		Scenario: bench.Closed, Concurrency: 2, Duration: 30 * time.Second, Lengths: bench.Fixed(1, 8, 1),
		FailFastRequests: -1, FailFastWindow: -1,
	})
	// Without the interrupt, the next attempts would come at about 2.02 s.
	if took := time.Since(start); took > 1900*ms || !res.Interrupted {
		t.Errorf("took %v, interrupted %v: the backoff did not end at the interrupt (1.1 s)", took, res.Interrupted)
	}
	if res.Requests != r.total() || res.Requests > 2*12 {
		t.Errorf("requests %d, calls %d: want the calls counted, at most 12 a worker in 1.1 s", res.Requests, r.total())
	}
}

// An endpoint that refuses for 2 s and then serves, with thresholds above
// that: the run goes on, and once the endpoint is back the workers no
// longer wait (the backoff resets on a success), so the last second serves
// hundreds of requests. The error limit is set above the failures: what
// the last second serves depends on the machine (a busy one served 722,
// and 40 failures were 5.25%), and the limit is not what this tests.
func TestBackoffResetsAfterRecovery(t *testing.T) {
	t.Parallel()
	r := &refuser{until: time.Now().Add(2 * time.Second)}
	res := run(t, context.Background(), r, bench.Config{
		Scenario: bench.Closed, Concurrency: 4, Duration: 3 * time.Second, Lengths: bench.Fixed(1, 8, 1),
		FailFastRequests: 1000, FailFastWindow: 10 * time.Second, MaxErrorRate: 0.5,
	})
	// Each worker fails at about 0, 1, 3, ... 1023 and 2023 ms: 12 times.
	if res.Failed || res.Stopped != "" || res.Errors < 4 || res.Errors > 4*13 || res.Completed < 200 {
		t.Errorf("failed %v %q, stopped %q, errors %d, completed %d: want the run to go on and serve after 2 s",
			res.Failed, res.FailReason, res.Stopped, res.Errors, res.Completed)
	}
	t.Logf("%d failed in the first 2 s, %d completed after", res.Errors, res.Completed)
}

// An open loop keeps its schedule against a refusing endpoint (no backoff:
// the schedule is the experiment) and is ended by the rule after 100.
func TestOpenLoopFailFastRealtime(t *testing.T) {
	t.Parallel()
	r := &refuser{}
	res := run(t, context.Background(), r, bench.Config{
		Scenario: bench.Constant, Rate: 2000, Duration: 30 * time.Second, Lengths: bench.Fixed(1, 8, 1), Workers: 2,
	})
	if !res.Failed || res.Stopped != "stopped after the last 100 requests all failed" || res.Requests < 100 || res.Requests > 102 {
		t.Errorf("failed %v, stopped %q, requests %d: want failed after 100 (and the other worker's one)", res.Failed, res.Stopped, res.Requests)
	}
	if res.Elapsed > 10*time.Second {
		t.Errorf("elapsed %v: the rule did not end the run", res.Elapsed)
	}
}

// Errors of other classes do not pause a closed loop: the server answered.
// A server that answers 500 at once to everything is ended by the rule.
func TestHTTP5xxFailFastRealtime(t *testing.T) {
	t.Parallel()
	o := newOracle(t, oracle.Config{FailEvery: 1, Realtime: true})
	res := run(t, context.Background(), o, bench.Config{
		Scenario: bench.Closed, Concurrency: 4, Duration: 30 * time.Second, Lengths: bench.Fixed(1, 8, 1),
	})
	if !res.Failed || res.Stopped != "stopped after the last 100 requests all failed" || res.Requests < 100 || res.Requests > 103 ||
		res.ErrorsByClass[accel.ClassHTTP5xx] != res.Requests || o.Stats().Calls != res.Requests {
		t.Errorf("failed %v, stopped %q, requests %d (%v), oracle calls %d", res.Failed, res.Stopped, res.Requests, res.ErrorsByClass, o.Stats().Calls)
	}
}

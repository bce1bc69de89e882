package bench_test

// The known-answer suite: the load generator against accel/oracle, a
// backend whose service times, failures and stalls are set by the test, so
// every figure the harness reports has an answer written down before the
// run. Virtual time is exact (to the histograms' 0.1% resolution); real
// time is held to tolerances a busy 2-core machine keeps, and to counts
// that do not depend on timing at all.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/bench"
)

const ms = time.Millisecond

func newOracle(t testing.TB, c oracle.Config) *oracle.Backend {
	t.Helper()
	b, err := oracle.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t testing.TB, ctx context.Context, b accel.Backend, c bench.Config) *bench.Result {
	t.Helper()
	res, err := bench.Run(ctx, b, c)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// near says a histogram's reading is want, to its resolution (0.1%).
func near(got int64, want time.Duration) bool {
	d := time.Duration(got) - want
	return d.Abs() <= want/1000+1
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// Little's law for a closed loop, in virtual time, at every
// requests × concurrency combination, N < 64 × concurrency included: with
// a fixed service time S, C workers serve N requests in ceil(N/C) rounds,
// so the run lasts ceil(N/C)·S (C/S req/s when C divides N), each request
// takes S, and N/ceil(N/C) are in flight on average, min(C, N) at most.
func TestKnownLittleVirtual(t *testing.T) {
	t.Parallel()
	const S = 20 * ms // 16 ms to the first token, 2 more 2 ms apart
	for _, conc := range []int{1, 4, 8} {
		for _, n := range []int64{4, 30, 64, 500} {
			t.Run(fmt.Sprintf("c%d-n%d", conc, n), func(t *testing.T) {
				t.Parallel()
				o := newOracle(t, oracle.Config{TTFT: 16 * ms, TPOT: 2 * ms})
				res := run(t, context.Background(), o, bench.Config{
					Scenario: bench.Closed, Concurrency: conc, Requests: n, Lengths: bench.Fixed(1, 8, 3),
				})
				rounds := ceilDiv(n, int64(conc))
				if res.Requests != n || res.Completed != n || res.Errors != 0 {
					t.Errorf("requests %d completed %d errors %d, want %d/%d/0", res.Requests, res.Completed, res.Errors, n, n)
				}
				if want := time.Duration(rounds) * S; res.Elapsed != want {
					t.Errorf("elapsed %v, want %d rounds of %v = %v", res.Elapsed, rounds, S, want)
				}
				if want := float64(n) / (time.Duration(rounds) * S).Seconds(); !approx(res.RequestsPerSecond(), want, 1e-9) {
					t.Errorf("throughput %.6g req/s, want %.6g", res.RequestsPerSecond(), want)
				}
				if !near(res.Latency.ValueAtQuantile(0), S) || !near(res.Latency.ValueAtQuantile(100), S) {
					t.Errorf("latency %v..%v, want every one %v", time.Duration(res.Latency.ValueAtQuantile(0)), time.Duration(res.Latency.ValueAtQuantile(100)), S)
				}
				// Little: in flight = throughput × latency.
				if got, want := res.RequestsPerSecond()*S.Seconds(), float64(n)/float64(rounds); !approx(got, want, 1e-9) {
					t.Errorf("in flight %.4g on average, want %.4g", got, want)
				}
				if got, want := o.Stats().MaxInFlight, min(int64(conc), n); got != want {
					t.Errorf("at most %d in flight, want %d", got, want)
				}
				if !res.Valid || res.Failed {
					t.Errorf("valid %v %q, failed %v %q", res.Valid, res.InvalidReasons, res.Failed, res.FailReason)
				}
			})
		}
	}
}

func approx(got, want, rel float64) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return d <= rel*want
}

// Little's law in real time, where the dispatcher decides who sends what:
// closed loops and offline with N < 64 × C keep C requests in flight. The
// oracle counts the most it had at once (min(C, N), exactly: a worker
// short of work would show as fewer), and the harness's throughput and
// mean in flight must be those of ceil(N/C) rounds of S, less what a busy
// machine's late wake-ups cost (never more: sleeps are never early).
func TestKnownLittleRealtime(t *testing.T) {
	t.Parallel()
	const S = 25 * ms
	for _, tt := range []struct {
		scenario bench.Scenario
		conc     int
		n        int64
	}{
		{bench.Closed, 4, 30},
		{bench.Closed, 8, 64},
		{bench.Closed, 8, 4},
		{bench.Offline, 4, 30},
	} {
		t.Run(fmt.Sprintf("%s-c%d-n%d", tt.scenario, tt.conc, tt.n), func(t *testing.T) {
			t.Parallel()
			o := newOracle(t, oracle.Config{TTFT: S, Realtime: true})
			res := run(t, context.Background(), o, bench.Config{
				Scenario: tt.scenario, Concurrency: tt.conc, Requests: tt.n, Lengths: bench.Fixed(1, 8, 1),
			})
			rounds := ceilDiv(tt.n, int64(tt.conc))
			if res.Requests != tt.n || res.Completed != tt.n {
				t.Errorf("requests %d completed %d, want %d", res.Requests, res.Completed, tt.n)
			}
			if got, want := o.Stats().MaxInFlight, min(int64(tt.conc), tt.n); got != want {
				t.Errorf("at most %d in flight, want %d", got, want)
			}
			want := float64(tt.n) / (time.Duration(rounds) * S).Seconds()
			if got := res.RequestsPerSecond(); got < 0.6*want || got > 1.02*want {
				t.Errorf("throughput %.1f req/s, want %.1f (%d rounds of %v)", got, want, rounds, S)
			}
			if tt.scenario == bench.Closed {
				inFlight := res.RequestsPerSecond() * res.Latency.Mean() / 1e9
				if w := float64(tt.n) / float64(rounds); inFlight < 0.6*w || inFlight > 1.02*float64(tt.conc) {
					t.Errorf("%.2f in flight on average, want %.2f", inFlight, w)
				}
			}
			t.Logf("%.1f req/s of %.1f, elapsed %v", res.RequestsPerSecond(), want, res.Elapsed)
		})
	}
}

// Offline in virtual time hands every request to the device at t=0; with 4
// slots of S each, request k (in plan order) finishes at (k/4 + 1)·S from
// t=0, which is its latency: 30 requests end at 8·S, p50 (the 15th) at 4·S.
func TestKnownOfflineVirtual(t *testing.T) {
	t.Parallel()
	const S = 20 * ms
	o := newOracle(t, oracle.Config{TTFT: S, Slots: 4})
	res := run(t, context.Background(), o, bench.Config{
		Scenario: bench.Offline, Concurrency: 4, Requests: 30, Lengths: bench.Fixed(1, 8, 1),
	})
	if res.Completed != 30 || res.Elapsed != 8*S {
		t.Errorf("completed %d in %v, want 30 in %v", res.Completed, res.Elapsed, 8*S)
	}
	if !near(res.Latency.ValueAtQuantile(50), 4*S) || !near(res.Latency.ValueAtQuantile(100), 8*S) {
		t.Errorf("latency p50 %v max %v, want %v and %v", time.Duration(res.Latency.ValueAtQuantile(50)), time.Duration(res.Latency.ValueAtQuantile(100)), 4*S, 8*S)
	}
	if o.Stats().MaxInFlight != 30 {
		t.Errorf("%d in the oracle at once, want all 30", o.Stats().MaxInFlight)
	}
}

// An open loop below saturation measures the service time and nothing
// else: one slot serving 20 ms requests (12 ms to the first token, then 4
// tokens 2 ms apart) that arrive every 25 ms never queue, so every latency
// is 20 ms, every TTFT 12 ms, every TPOT and gap 2 ms. Past saturation
// (every 16⅔ ms) request k waits k·(20 − 16⅔) ms: the 30th (k = 29) takes
// 20 + 29·10/3 = 116⅔ ms.
func TestKnownOpenLoopVirtual(t *testing.T) {
	t.Parallel()
	cfg := bench.Config{Scenario: bench.Constant, Requests: 30, Lengths: bench.Fixed(1, 8, 5)}
	for _, tt := range []struct {
		rate     float64
		p50, max time.Duration
	}{
		{40, 20 * ms, 20 * ms},
		{60, 20*ms + 14*(20*ms-time.Second/60), 20*ms + 29*(20*ms-time.Second/60)},
	} {
		o := newOracle(t, oracle.Config{TTFT: 12 * ms, TPOT: 2 * ms, Slots: 1})
		c := cfg
		c.Rate = tt.rate
		res := run(t, context.Background(), o, c)
		if res.Completed != 30 {
			t.Errorf("%v/s: completed %d", tt.rate, res.Completed)
		}
		if !near(res.Latency.ValueAtQuantile(50), tt.p50) || !near(res.Latency.ValueAtQuantile(100), tt.max) {
			t.Errorf("%v/s: latency p50 %v max %v, want %v and %v", tt.rate,
				time.Duration(res.Latency.ValueAtQuantile(50)), time.Duration(res.Latency.ValueAtQuantile(100)), tt.p50, tt.max)
		}
		if tt.rate == 40 {
			if !near(res.TTFT.ValueAtQuantile(100), 12*ms) || !near(res.TPOT.ValueAtQuantile(50), 2*ms) ||
				!near(res.ITL.ValueAtQuantile(0), 2*ms) || !near(res.ITL.ValueAtQuantile(100), 2*ms) || res.ITL.TotalCount() != 30*4 {
				t.Errorf("ttft max %v, tpot p50 %v, %d gaps %v..%v; want 12ms, 2ms, 120 of 2ms",
					time.Duration(res.TTFT.ValueAtQuantile(100)), time.Duration(res.TPOT.ValueAtQuantile(50)), res.ITL.TotalCount(),
					time.Duration(res.ITL.ValueAtQuantile(0)), time.Duration(res.ITL.ValueAtQuantile(100)))
			}
		}
	}
}

// The same in real time: 20 requests at 20/s of 20 ms each (no slots, no
// queue): latency from the schedule is the service time, plus only what the
// machine's wake-ups add. The rule the run was judged by is stated.
func TestKnownOpenLoopRealtime(t *testing.T) {
	t.Parallel()
	const S = 20 * ms
	o := newOracle(t, oracle.Config{TTFT: S, Realtime: true})
	res := run(t, context.Background(), o, bench.Config{
		Scenario: bench.Constant, Rate: 20, Requests: 20, Lengths: bench.Fixed(1, 8, 1),
	})
	if res.Completed != 20 {
		t.Errorf("completed %d of 20", res.Completed)
	}
	if want := "open loop: invalid when schedule lag p99 exceeds both 1ms and 5% of latency p50"; !strings.HasPrefix(res.ValidityRule, want) {
		t.Errorf("validity rule %q, want it to start %q", res.ValidityRule, want)
	}
	if !lateOrValid(t, res) {
		return
	}
	if p50 := time.Duration(res.Latency.ValueAtQuantile(50)); p50 < S || p50 > S*3/2 {
		t.Errorf("latency p50 %v, want %v (+50%%)", p50, S)
	}
}

// lateOrValid says whether a real-time run's latencies are the backend's
// to judge: a valid run's are. On a machine busy enough that the harness
// sent late (load 6 on 2 cores made p50 49 ms of a 20 ms service), the
// run must say so, invalid with the lag named, and its latencies are not
// checked against the schedule's answer: they hold the harness's lateness,
// which is what invalid means.
func lateOrValid(t *testing.T, res *bench.Result) bool {
	t.Helper()
	if res.Valid {
		return true
	}
	for _, why := range res.InvalidReasons {
		if strings.Contains(why, "schedule lag") || strings.Contains(why, "short") {
			t.Logf("the harness was late on this machine, and says so: %v", res.InvalidReasons)
			return false
		}
	}
	t.Errorf("invalid for another reason than lateness: %v", res.InvalidReasons)
	return false
}

// Coordinated omission, in virtual time. The server freezes during the last
// second of every 10 ([9 s, 10 s), [19 s, 20 s), ...); requests take 15 ms
// and arrive every 10 ms (100/s) for 100 s: 10,000 requests, 1,000 a
// period. In each period the one sent at 8.99 s works 10 ms, is frozen for
// a second and finishes 5 ms after the stall: 1.015 s. Those sent at
// 9.00 + 0.01k s (k = 0..99) wait for the stall's end and take
// 1.015 − 0.01k s. Everything else takes 15 ms. So per period the latencies
// above 15 ms are 1.015 (twice), 1.005, 0.995, ..., 0.025 s: 101 of 1,000.
// The p99 of 10,000 is the 9,900th smallest, the 101st largest: the
// largest 20 are 1.015 s, then ten of each of 1.005, 0.995, ...; ranks
// 91–100 are 0.935 s and rank 101 is 0.925 s. The median is 15 ms, the
// maximum 1.015 s.
//
// A closed loop of one, measuring from each send, sees one slow request a
// period among about 600 (the one that meets the stall): its p99 is 15 ms.
// That is the omission the open loop's schedule-based latency corrects.
func TestKnownStallVirtual(t *testing.T) {
	t.Parallel()
	stall := oracle.Stall{Every: 10 * time.Second, For: time.Second}
	open := run(t, context.Background(), newOracle(t, oracle.Config{TTFT: 15 * ms, Stall: stall}), bench.Config{
		Scenario: bench.Constant, Rate: 100, Duration: 100 * time.Second, Lengths: bench.Fixed(1, 8, 1),
	})
	if open.Requests != 10000 || open.Completed != 10000 {
		t.Errorf("open loop: %d requests, %d completed; want 10000", open.Requests, open.Completed)
	}
	for _, q := range []struct {
		p    float64
		want time.Duration
	}{{50, 15 * ms}, {99, 925 * ms}, {100, 1015 * ms}} {
		if got := open.Latency.ValueAtQuantile(q.p); !near(got, q.want) {
			t.Errorf("open loop latency p%g %v, want %v", q.p, time.Duration(got), q.want)
		}
	}
	closed := run(t, context.Background(), newOracle(t, oracle.Config{TTFT: 15 * ms, Stall: stall}), bench.Config{
		Scenario: bench.Closed, Concurrency: 1, Duration: 100 * time.Second, Lengths: bench.Fixed(1, 8, 1),
	})
	if got := closed.Latency.ValueAtQuantile(99); !near(got, 15*ms) {
		t.Errorf("closed loop latency p99 %v, want 15ms: the stall hides", time.Duration(got))
	}
	if got := closed.Latency.ValueAtQuantile(100); !near(got, 1015*ms) {
		t.Errorf("closed loop latency max %v, want the one stalled request's 1.015s", time.Duration(got))
	}
}

// The stall in real time, short: frozen during [0.4 s, 0.5 s) and
// [0.9 s, 1 s), requests of 20 ms every 20 ms for 1 s (50). Per period
// those sent at 0.38 s (paused through the stall: 0.12 s; it would end at
// the stall's start exactly, but the harness starts after the oracle's
// epoch) and at 0.40 s (waits to 0.5 s: 0.12 s) take 120 ms, then 100, 80,
// 60, 40 ms; the p99 of 50 is the maximum, 120 ms. The machine may add to
// it, never take from it; the median stays near 20 ms.
func TestKnownStallRealtime(t *testing.T) {
	t.Parallel()
	o := newOracle(t, oracle.Config{TTFT: 20 * ms, Stall: oracle.Stall{Every: 500 * ms, For: 100 * ms}, Realtime: true})
	res := run(t, context.Background(), o, bench.Config{
		Scenario: bench.Constant, Rate: 50, Duration: time.Second, Lengths: bench.Fixed(1, 8, 1),
	})
	if res.Completed != 50 {
		t.Errorf("completed %d of 50", res.Completed)
	}
	if !lateOrValid(t, res) {
		return
	}
	if p99 := time.Duration(res.Latency.ValueAtQuantile(99)); p99 < 100*ms || p99 > 200*ms {
		t.Errorf("latency p99 %v, want about 120ms", p99)
	}
	if p50 := time.Duration(res.Latency.ValueAtQuantile(50)); p50 > 30*ms {
		t.Errorf("latency p50 %v, want about 20ms", p50)
	}
}

// Failures: a run where nothing completes, or too much fails, is failed
// (the backend failed), apart from valid (the harness measured it); the
// reason names the error class, its count and an example.
func TestKnownFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		failEvery uint64
		maxRate   float64
		realtime  bool
		failed    bool
		errors    int64
		reason    string
	}{
		{"all fail", 1, 0, false, true, 100, `no request completed: 100 of 100 failed; http_5xx 100, e.g. http_5xx: request 0 (8+1 tokens) failed in virtual time`},
		{"all fail, real time", 1, 0, true, true, 100, `no request completed: 100 of 100 failed; http_5xx 100, e.g. http_5xx: oracle: request `}, // whichever failed first
		{"half fail", 2, 0, false, true, 50, `error rate 0.5 (50 of 100 requests) above the 5% limit; http_5xx 50, e.g. http_5xx: request 1 (8+1 tokens) failed in virtual time`},
		{"half fail, 60% allowed", 2, 0.6, false, false, 50, ""},
		{"10% fail", 10, 0, false, true, 10, "error rate 0.1 (10 of 100 requests) above the 5% limit"},
		{"5% fail, at the limit", 20, 0, false, false, 5, ""},
		{"1% fail, none allowed", 100, 1e-9, false, true, 1, "error rate 0.01 (1 of 100 requests) above the limit of 0 (any error fails)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := newOracle(t, oracle.Config{TTFT: ms, FailEvery: tt.failEvery, Realtime: tt.realtime})
			res := run(t, context.Background(), o, bench.Config{
				Scenario: bench.Closed, Concurrency: 4, Requests: 100, Lengths: bench.Fixed(1, 8, 1), MaxErrorRate: tt.maxRate,
			})
			if res.Errors != tt.errors || res.ErrorsByClass[accel.ClassHTTP5xx] != tt.errors || res.Completed != 100-tt.errors {
				t.Errorf("errors %d (%v), completed %d; want %d http_5xx", res.Errors, res.ErrorsByClass, res.Completed, tt.errors)
			}
			if res.Failed != tt.failed || !strings.HasPrefix(res.FailReason, tt.reason) {
				t.Errorf("failed %v %q\nwant   %v %q", res.Failed, res.FailReason, tt.failed, tt.reason)
			}
			if !res.Valid {
				t.Errorf("the harness measured it: want valid, got %q", res.InvalidReasons)
			}
		})
	}
}

// Too few samples: the floors are the harness's (invalid), not the
// backend's (not failed). 5 requests of 10 ms one at a time last 50 ms.
func TestKnownTooFewSamples(t *testing.T) {
	t.Parallel()
	res := run(t, context.Background(), newOracle(t, oracle.Config{TTFT: 10 * ms}), bench.Config{
		Scenario: bench.Closed, Concurrency: 1, Requests: 5, Lengths: bench.Fixed(1, 8, 1),
		MinRequests: 100, MinDuration: time.Second,
	})
	why := strings.Join(res.InvalidReasons, "; ")
	if res.Valid || res.Failed || why != "ran 50ms, below the minimum duration 1s; recorded 5 requests, below the minimum 100" {
		t.Errorf("valid %v failed %v, reasons %q", res.Valid, res.Failed, why)
	}
}

// cancelAt is an oracle whose driver cancels the run at the first
// completion at or after a virtual time: an interrupt at a known instant.
type cancelAt struct {
	*oracle.Backend
	at     time.Duration
	cancel context.CancelFunc
}

func (c *cancelAt) Drive(ctx context.Context, d accel.Driver) error {
	return c.Backend.Drive(ctx, &cancelDriver{d, c})
}

type cancelDriver struct {
	accel.Driver
	c *cancelAt
}

func (d *cancelDriver) Done(req *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	d.Driver.Done(req, res, arrived, finished)
	if finished >= d.c.at {
		d.c.cancel()
	}
}

func (d *cancelDriver) RecordGap(g time.Duration) { d.Driver.(accel.GapRecorder).RecordGap(g) }

// An interrupt in virtual time: a closed loop of 4 with 10 ms requests is
// canceled at the first completion at 100 ms. By then 9 rounds (36) and one
// request of the 10th have completed; that completion's worker sent its
// next request at 100 ms, so 4 are out: 41 sent, 37 completed, 4 canceled,
// and none of the 959 never sent is counted. Canceled by an interrupt is
// not the backend failing: the run is not failed.
func TestKnownInterruptVirtual(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := &cancelAt{Backend: newOracle(t, oracle.Config{TTFT: 10 * ms}), at: 100 * ms, cancel: cancel}
	res := run(t, ctx, o, bench.Config{Scenario: bench.Closed, Concurrency: 4, Requests: 1000, Lengths: bench.Fixed(1, 8, 1)})
	st := o.Stats()
	if res.Requests != 41 || res.Completed != 37 || res.Errors != 4 || res.ErrorsByClass[accel.ClassCanceled] != 4 {
		t.Errorf("requests %d completed %d errors %d %v; want 41, 37, 4 canceled", res.Requests, res.Completed, res.Errors, res.ErrorsByClass)
	}
	if st.Calls != res.Requests || st.Canceled != 4 || st.Completed != res.Completed {
		t.Errorf("the oracle saw %+v; the harness counted %d requests", st, res.Requests)
	}
	if !res.Interrupted || res.Failed {
		t.Errorf("interrupted %v, failed %v %q", res.Interrupted, res.Failed, res.FailReason)
	}
}

// An interrupt in real time: a closed loop of 4 with 25 ms requests and
// 1000 planned, canceled after 150 ms. The harness counts exactly what
// reached the backend, about 4 × 150/25 + 4; the requests out at the
// interrupt finish within the grace period, or, with a grace of 1 ms, are
// canceled — at most the 4 in flight, never the plan's remainder (it once
// counted the rest of every worker's chunk of 64 as canceled).
func TestKnownInterruptRealtime(t *testing.T) {
	t.Parallel()
	for _, grace := range []time.Duration{10 * time.Second, ms} {
		t.Run(fmt.Sprint("grace ", grace), func(t *testing.T) {
			t.Parallel()
			o := newOracle(t, oracle.Config{TTFT: 25 * ms, Realtime: true})
			ctx, cancel := context.WithTimeout(context.Background(), 150*ms)
			defer cancel()
			res := run(t, ctx, o, bench.Config{
				Scenario: bench.Closed, Concurrency: 4, Requests: 1000, Lengths: bench.Fixed(1, 8, 1), Grace: grace,
			})
			st := o.Stats()
			if res.Requests != st.Calls || res.Completed != st.Completed || res.Errors != st.Canceled {
				t.Errorf("harness: %d requests, %d completed, %d errors; oracle: %+v", res.Requests, res.Completed, res.Errors, st)
			}
			if res.Requests < 4 || res.Requests > 4*(150/25+2) {
				t.Errorf("%d requests counted in 150ms of 4 × 25ms", res.Requests)
			}
			canceled := res.ErrorsByClass[accel.ClassCanceled]
			if res.Errors != canceled || canceled > 4 || (grace > time.Second && canceled != 0) {
				t.Errorf("%d errors, %d canceled, with a grace of %v: want only the ≤4 in flight, and none with time to finish", res.Errors, canceled, grace)
			}
			if !res.Interrupted || res.Stopped != "canceled" {
				t.Errorf("interrupted %v, stopped %q", res.Interrupted, res.Stopped)
			}
		})
	}
}

// bench.Benchmark keeps the concurrency at every b.N: a go test -bench
// runs b.N = 1, then about 100, then more, and each round is a run of b.N
// requests. Against 5 ms requests and 4 workers, a round of N has
// N/ceil(N/4) in flight on average (Little: throughput × latency); with
// chunks of 64 the round of 100 had 2.
func TestKnownBenchmark(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a benchmark for about a second")
	}
	const S = 5 * ms
	o := newOracle(t, oracle.Config{TTFT: S, Realtime: true})
	var mu sync.Mutex
	var rounds []*bench.Result
	r := testing.Benchmark(func(b *testing.B) {
		res := bench.Benchmark(b, o, bench.Config{Scenario: bench.Closed, Concurrency: 4, Lengths: bench.Fixed(1, 8, 1)})
		mu.Lock()
		rounds = append(rounds, res)
		mu.Unlock()
	})
	if len(rounds) < 2 || r.N < 8 {
		t.Fatalf("benchmark ran %d rounds, the last of %d requests", len(rounds), r.N)
	}
	for _, res := range rounds {
		n := res.Requests
		want := float64(n) / float64(ceilDiv(n, 4))
		// A round of a few requests lasts a few service times, and the
		// window also holds the workers' start (milliseconds under -race
		// on a busy machine): only the upper bound says anything there,
		// and the chunking fault this guards against needs many requests.
		low := 0.6 * want
		if n < 8 {
			low = 0
		}
		if got := res.RequestsPerSecond() * res.Latency.Mean() / 1e9; got < low || got > 4.1 {
			t.Errorf("b.N = %d: %.2f in flight on average, want %.2f", n, got, want)
		}
	}
	if got := o.Stats().MaxInFlight; got != 4 {
		t.Errorf("at most %d in flight, want 4", got)
	}
}

// checkTB records what bench.Check reports.
type checkTB struct {
	testing.TB
	errs []string
}

func (c *checkTB) Helper() {}
func (c *checkTB) Errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// bench.Check (what bench.Benchmark calls) fails a benchmark whose run
// failed or is invalid, with the reasons, and passes a good one.
func TestKnownCheck(t *testing.T) {
	t.Parallel()
	cfg := bench.Config{Scenario: bench.Closed, Concurrency: 2, Requests: 10, Lengths: bench.Fixed(1, 8, 1)}
	for _, tt := range []struct {
		name  string
		o     oracle.Config
		floor int64
		want  []string
	}{
		{"good", oracle.Config{TTFT: ms}, 0, nil},
		{"failed", oracle.Config{TTFT: ms, FailEvery: 1}, 0, []string{"run failed: no request completed: 10 of 10 failed"}},
		{"invalid", oracle.Config{TTFT: ms}, 20, []string{"run invalid (closed loop: latency counts from each send, so the harness cannot be late; invalid only when the run records nothing or misses its floors): recorded 10 requests, below the minimum 20"}},
	} {
		c := cfg
		c.MinRequests = tt.floor
		o := tt.o
		o.Realtime = true
		res := run(t, context.Background(), newOracle(t, o), c)
		var tb checkTB
		bench.Check(&tb, res)
		if len(tb.errs) != len(tt.want) {
			t.Errorf("%s: reported %q, want %q", tt.name, tb.errs, tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(tb.errs[i], w) {
				t.Errorf("%s: reported %q, want %q", tt.name, tb.errs[i], w)
			}
		}
	}
}

// The same interrupt against a simulated device served in real time (the
// path of the report that counted 448 canceled with 8 in flight): with a
// grace of 1 ms, what is canceled is what the device held, at most the 8
// workers' requests, and every request counted reached the device.
func TestInterruptSimRealtime(t *testing.T) {
	t.Parallel()
	b, err := sim.Config{Profile: "h100-sxm", Model: "llama-3.1-8b", Realtime: true}.New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*ms)
	defer cancel()
	res := run(t, ctx, b, bench.Config{
		Scenario: bench.Closed, Concurrency: 8, Requests: 1000, Model: "llama-3.1-8b",
		Lengths: bench.Fixed(1, 64, 32), Grace: ms,
	})
	canceled := res.ErrorsByClass[accel.ClassCanceled]
	if canceled > 8 || res.Errors != canceled || res.Requests != res.Completed+canceled {
		t.Errorf("%d requests: %d completed, %d errors (%v); want at most the 8 in flight canceled", res.Requests, res.Completed, res.Errors, res.ErrorsByClass)
	}
	if res.Requests > 8*(200/5+2) {
		t.Errorf("%d requests counted in 200ms", res.Requests)
	}
	t.Logf("%d requests, %d completed, %d canceled", res.Requests, res.Completed, canceled)
}

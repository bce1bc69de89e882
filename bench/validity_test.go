package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// judged returns the verdict on an open-loop run at 0.5 req/s whose 100
// requests all took latency and were sent lag late, the sends spanning
// sentSpan where the plan spanned 10 s (0: not checked).
func judged(c Config, latency, lag, sentSpan time.Duration) *Result {
	c.defaults()
	r := newResult(c)
	for range 100 {
		r.record(r.Latency, latency)
		r.record(r.Lag, lag)
	}
	r.Requests, r.Completed, r.Elapsed = 100, 100, 200*time.Second
	if sentSpan > 0 {
		r.lastAt, r.lastSend = 10*time.Second, sentSpan
	}
	r.judge()
	return r
}

// Lag is judged against what it distorts: invalid only when its p99 is over
// both the budget (1 ms) and the share (5%) of latency p50.
func TestLagJudgedAgainstLatency(t *testing.T) {
	t.Parallel()
	open := Config{Scenario: Constant, Rate: 0.5, Duration: 200 * time.Second, Lengths: Fixed(1, 1, 1)}
	share := open
	share.LagShare = 0.001
	for _, tt := range []struct {
		name                   string
		c                      Config
		latency, lag, sentSpan time.Duration
		valid                  bool
		why                    string
	}{
		{"5ms late for 2s requests", open, 2 * time.Second, 5 * time.Millisecond, 0, true, ""},
		{"5ms late for 20ms requests", open, 20 * time.Millisecond, 5 * time.Millisecond, 0, false,
			"schedule lag p99 5ms exceeds both the 1ms budget and 5% of latency p50 20ms"},
		{"0.9ms late for 20ms requests", open, 20 * time.Millisecond, 900 * time.Microsecond, 0, true, ""},
		{"150ms late for 2s requests", open, 2 * time.Second, 150 * time.Millisecond, 0, false,
			"schedule lag p99 150ms exceeds both the 1ms budget and 5% of latency p50 2s"},
		{"5ms late for 2s requests, 0.1% share", share, 2 * time.Second, 5 * time.Millisecond, 0, false,
			"schedule lag p99 5ms exceeds both the 1ms budget and 0.1% of latency p50 2s"},
		{"sends 0.5s behind a plan of 2s requests", open, 2 * time.Second, 0, 10500 * time.Millisecond, false, "sent 9.524 req/s against the plan's 10 req/s"},
		{"sends 0.5s behind a plan of 20s requests", open, 20 * time.Second, 0, 10500 * time.Millisecond, true, ""},
	} {
		r := judged(tt.c, tt.latency, tt.lag, tt.sentSpan)
		why := strings.Join(r.InvalidReasons, "; ")
		if r.Valid != tt.valid || !strings.HasPrefix(why, tt.why) {
			t.Errorf("%s: valid %v %q, want %v %q", tt.name, r.Valid, why, tt.valid, tt.why)
		}
	}
	r := judged(open, time.Second, 0, 0)
	if want := "open loop: invalid when schedule lag p99 exceeds both 1ms and 5% of latency p50"; !strings.HasPrefix(r.ValidityRule, want) {
		t.Errorf("rule %q, want it to start %q", r.ValidityRule, want)
	}
}

// Requests an interrupt cut off are not the backend failing; the rest of the
// error rate is.
func TestFailureRule(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name                        string
		requests, completed, cancel int64
		dropped                     int64
		interrupted                 bool
		failed                      bool
		why                         string
	}{
		{"nothing sent", 0, 0, 0, 0, false, true, "no request was sent after warm-up"},
		{"8 cut off by an interrupt", 20, 12, 8, 0, true, false, ""},
		{"8 canceled, no interrupt", 20, 12, 8, 0, false, true, `error rate 0.4 (8 of 20 requests) above the 5% limit; canceled 8, e.g. canceled: gone`},
		{"interrupt, and drops", 20, 10, 2, 8, true, true,
			`error rate 0.444 (8 of 18 requests, not counting 2 cut off by the interrupt) above the 5% limit; canceled 2, e.g. canceled: gone; dropped 8`},
		{"interrupted before anything completed", 8, 0, 8, 0, true, true, "no request completed: 8 of 8 failed"},
	} {
		c := Config{Scenario: Closed, Concurrency: 8, Requests: 100}
		c.defaults()
		r := newResult(c)
		r.Requests, r.Completed, r.Errors, r.Dropped, r.Interrupted = tt.requests, tt.completed, tt.cancel, tt.dropped, tt.interrupted
		if tt.cancel > 0 {
			r.ErrorsByClass[accel.ClassCanceled] = tt.cancel
			r.ErrorExamples[accel.ClassCanceled] = "canceled: gone"
		}
		r.judge()
		if r.Failed != tt.failed || r.FailReason != tt.why && !(tt.why != "" && strings.HasPrefix(r.FailReason, tt.why)) {
			t.Errorf("%s: failed %v %q, want %v %q", tt.name, r.Failed, r.FailReason, tt.failed, tt.why)
		}
	}
}

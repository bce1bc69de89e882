package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/report"
)

// probeThenRefuse is an endpoint that accepts the one connection run's
// probe makes, then goes away: its port refuses every later connection,
// and the probed connection is closed.
func probeThenRefuse(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		ln.Close()
		if err == nil {
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String() + "/v1"
}

// A server that dies as the run starts: the closed loop's 8 workers back
// off (1 ms doubling to 1 s) instead of sending as fast as connections are
// refused, and the run ends at the 100th failure in a row, a few seconds
// into its 30, failed with its report written (exit 1). It used to be
// 733,471 connect errors in 18 s.
func TestRefusedEndpointFailsFast(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.json")
	start := time.Now()
	// The 5 s window is off: on a busy machine the workers' backoff can
	// stretch 100 failures past 5 s, and then the window's rule (right,
	// too) ends the run first; this tests the count's.
	code, _, stderr := invokeEnv(func(string) string { return "" }, "run", "--backend", probeThenRefuse(t), "--scenario", "closed",
		"--concurrency", "8", "--duration", "30s", "--input-tokens", "8", "--output-tokens", "8", "--fail-fast-window", "0", "-o", path)
	took := time.Since(start)
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatalf("exit %d, %s: no report: %v", code, stderr, err)
	}
	r := rep.Runs[0]
	const why = "stopped after the last 100 requests all failed"
	if code != exitRuntime || !r.Failed || !strings.Contains(r.FailReason, why) || r.Scenario.Stopped != why || !strings.Contains(stderr, why) {
		t.Errorf("exit %d, failed %v %q, stopped %q; stderr %s", code, r.Failed, r.FailReason, r.Scenario.Stopped, stderr)
	}
	// 100 failures and at most 7 more in flight (none: a refused request
	// ends at once), all connect errors.
	if c := r.Counts; c.Requests < 100 || c.Requests > 107 || c.ErrorsByClass["connect"] != c.Requests {
		t.Errorf("counts %+v: want 100 to 107 requests, all connect errors", c)
	}
	if took > 20*time.Second {
		t.Errorf("took %v: the rule did not end the 30 s run", took)
	}
	t.Logf("%d requests in %v: %s", r.Counts.Requests, took, r.FailReason)
}

// With the rule off, a run against the same endpoint goes to its limit and
// fails as before (no request completed), without the spinning: each
// worker makes about a dozen attempts in 2 s, not hundreds of thousands.
func TestRefusedEndpointRuleOff(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := invokeEnv(func(string) string { return "" }, "run", "--backend", probeThenRefuse(t), "--scenario", "closed",
		"--concurrency", "8", "--duration", "2s", "--input-tokens", "8", "--output-tokens", "8",
		"--fail-fast-requests", "0", "--fail-fast-window", "0", "-o", path)
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatalf("exit %d, %s: no report: %v", code, stderr, err)
	}
	r := rep.Runs[0]
	if code != exitRuntime || !r.Failed || !strings.Contains(r.FailReason, "no request completed") || r.Scenario.Stopped != "" {
		t.Errorf("exit %d, failed %v %q, stopped %q", code, r.Failed, r.FailReason, r.Scenario.Stopped)
	}
	// Attempts at about 0, 1, 3, 7 ... 1023 ms and 2023 (past the end):
	// 11 a worker.
	if c := r.Counts; c.Requests < 8 || c.Requests > 8*12 || c.ErrorsByClass["connect"] != c.Requests {
		t.Errorf("counts %+v: want at most 12 connect errors a worker", c)
	}
	t.Logf("%d requests", r.Counts.Requests)
}

// A server that answers 500 to everything, in virtual time: the known
// answer is 107 requests (the 100th failure in a row is the 4th of the 13th
// wave of 8 at 130 ms, with 7 in flight), exit 1.
func TestFailingServerFailsFastVirtual(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := invoke(t, "run", "--backend", "oracle?ttft=10ms&fail-every=1", "--scenario", "closed",
		"--concurrency", "8", "--duration", "30s", "--input-tokens", "8", "--output-tokens", "1", "-o", path)
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatalf("exit %d, %s: no report: %v", code, stderr, err)
	}
	r := rep.Runs[0]
	if code != exitRuntime || r.Counts.Requests != 107 || r.Counts.ErrorsByClass["http_5xx"] != 107 || r.Scenario.Stopped != "stopped after the last 100 requests all failed" {
		t.Errorf("exit %d, counts %+v, stopped %q: %s", code, r.Counts, r.Scenario.Stopped, stderr)
	}
	// Raised above the run's 30 s of failures (3000 waves): it runs out.
	code, _, stderr = invoke(t, "run", "--backend", "oracle?ttft=10ms&fail-every=1", "--scenario", "closed",
		"--concurrency", "8", "--duration", "30s", "--input-tokens", "8", "--output-tokens", "1", "-o", path,
		"--fail-fast-requests", "100000", "--fail-fast-window", "1m")
	if rep, err = report.ReadFile(path); err != nil {
		t.Fatalf("exit %d, %s: no report: %v", code, stderr, err)
	}
	if r := rep.Runs[0]; code != exitRuntime || r.Counts.Requests != 24000 || r.Scenario.Stopped != "" {
		t.Errorf("thresholds raised: exit %d, counts %+v, stopped %q", code, r.Counts, r.Scenario.Stopped)
	}
}

func TestFailFastFlagErrors(t *testing.T) {
	t.Parallel()
	wantUsageError(t, "--fail-fast-requests -1: want a positive count, or 0", "run", "--backend", "noop", "--fail-fast-requests", "-1")
	wantUsageError(t, "--fail-fast-window -1s: want a positive duration, or 0", "run", "--backend", "noop", "--fail-fast-window", "-1s")
}

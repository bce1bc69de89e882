package plan_test

import (
	"context"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/plan"
)

// TestTTFOInTheReport: against serve with 40 ms to the first token, 8 ms a
// token and 6 reasoning tokens, the report's ttfo_ms p50 is 6·8 = 48
// ms, ttft_ms 40, and mean_reasoning_tokens 6, in every wire format.
func TestTTFOInTheReport(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		remote  plan.Remote
	}{{server.DialectOpenAI, plan.Remote{}}, {server.DialectAnthropic, plan.Remote{Dialect: "anthropic"}}} {
		paced := server.NewPaced(accel.Info{ID: "fixed"}, func(in, out int) (server.Timing, error) {
			return server.Timing{TTFT: 40 * time.Millisecond, TPOT: 8 * time.Millisecond}, nil
		})
		t.Cleanup(func() { paced.Close() })
		ts := servertest.Start(t, server.Config{Backend: paced, Dialect: tc.dialect, ReasoningTokens: 6})
		p := plan.Plan{Backends: []string{ts.URL}, Work: plan.Work{Model: "llama-3.1-8b", InputTokens: 8, OutputTokens: intp(16)},
			Limits: plan.Limits{Requests: 5}, Remote: tc.remote}
		rep, err := plan.Execute(context.Background(), p, plan.Options{Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		r := rep.Runs[0]
		// Paced sleeps can only wake late on a busy machine: each figure is
		// no earlier than its answer and at most a scheduling delay later.
		// (The server paces to a schedule from the request's start, so a
		// late first token does not make the answer later: TTFO is bounded
		// from the start, 40 + 6·8 = 88 ms.)
		if r.TTFO == nil || r.TTFO.P50 < 87 || r.TTFO.P50 > 88+15 || r.TTFT.P50 < 39 || r.TTFT.P50 > 40+15 || r.Workload.MeanReasoningTokens != 6 {
			t.Errorf("%s: ttfo %+v, ttft p50 %v, mean reasoning %v", tc.dialect, r.TTFO, r.TTFT.P50, r.Workload.MeanReasoningTokens)
		}
	}
}

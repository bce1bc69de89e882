package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/plan"
)

// TestScrape: --scrape samples the server's /metrics during the run into
// the report's server_metrics, under the server's names (here inferbench
// serve's own); a URL that does not answer ends the run before any load,
// as bad input.
func TestScrape(t *testing.T) {
	t.Parallel()
	paced := server.NewPaced(accel.Info{ID: "fixed"}, func(in, out int) (server.Timing, error) {
		return server.Timing{TTFT: 20 * time.Millisecond, TPOT: 2 * time.Millisecond}, nil
	})
	t.Cleanup(func() { paced.Close() })
	ts := servertest.Start(t, server.Config{Backend: paced, KVCapacityTokens: 1000})
	p := plan.Plan{Backends: []string{ts.URL + "/v1"}, Work: plan.Work{Model: "llama-3.1-8b", InputTokens: 8, OutputTokens: intp(20)},
		Limits: plan.Limits{Requests: 12}, Load: plan.Load{Concurrency: 2},
		Telemetry: plan.Telemetry{Scrape: ts.URL + "/metrics", Interval: plan.Duration(20 * time.Millisecond)}}
	rep, err := plan.Execute(context.Background(), p, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sm := rep.Runs[0].ServerMetrics
	if sm == nil {
		t.Fatal("no server_metrics")
	}
	if sm.Server != "inferbench" || sm.Samples < 3 || sm.Failures != 0 || sm.MaxRunning < 1 || sm.MaxRunning > 2 ||
		sm.MaxKVUsage <= 0 || strings.Join(sm.Has, ",") != "running,waiting,kv_cache_usage" || len(sm.Timeline) != sm.Samples {
		t.Errorf("server metrics %+v: want inferbench's, 3+ samples, at most 2 running (the concurrency), some KV cache", sm)
	}

	p.Scrape = "http://127.0.0.1:1/metrics"
	_, err = plan.Execute(context.Background(), p, plan.Options{})
	var ie *plan.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "--scrape http://127.0.0.1:1/metrics") {
		t.Errorf("closed port: %v, want an InputError naming --scrape", err)
	}
	p.Scrape = "localhost:8000/metrics"
	if _, err = plan.Execute(context.Background(), p, plan.Options{}); !errors.As(err, &ie) {
		t.Errorf("no scheme: %v, want an InputError", err)
	}
}

package report_test

import (
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/report"
)

// cached is the oracle with a prefix cache that served 250 of 1,000 prompt
// tokens during the run and holds 10 of its 40 blocks at the end.
type cached struct {
	*oracle.Backend
	calls int
}

func (c *cached) PrefixCache() (accel.PrefixCacheStats, bool) {
	c.calls++
	if c.calls == 1 {
		return accel.PrefixCacheStats{InputTokens: 500, HitTokens: 100, CapacityTokens: 640, BlockTokens: 16}, true
	}
	return accel.PrefixCacheStats{InputTokens: 1500, HitTokens: 350, Blocks: 10, Tokens: 160, CapacityTokens: 640, BlockTokens: 16}, true
}

// A replay's report: the trace's name and credit, its timeline (requests
// due each second, 20 ms TTFT from the oracle), and the prefix cache's hit
// rate and occupancy over the run.
func TestReplayReport(t *testing.T) {
	o, err := oracle.New(oracle.Config{TTFT: 20 * time.Millisecond, TPOT: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	text := "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00.0,100,3\n2023-11-16 18:00:00.5,100,3\n2023-11-16 18:00:02.0,100,3\n"
	res, err := bench.Run(context.Background(), &cached{Backend: o}, bench.Config{Scenario: bench.Replay, Trace: &bench.Trace{
		Name: "t.csv", Attribution: "credit", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil },
	}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := report.FromBench(o.Info(), "trace:t.csv", res)
	if err != nil {
		t.Fatal(err)
	}
	tr := run.Trace
	if tr == nil || tr.Name != "t.csv" || tr.Attribution != "credit" || tr.BucketS != 1 || len(tr.Timeline) != 3 {
		t.Fatalf("trace %+v: want t.csv, its credit, three 1 s points", tr)
	}
	for i, want := range []int64{2, 0, 1} {
		p := tr.Timeline[i]
		if p.Requests != want || p.RatePerS != float64(want) || p.Completed != want || want > 0 && (math.Abs(p.TTFTMeanMs-20) > 1e-9 || math.Abs(p.TTFTMaxMs-20) > 1e-9) {
			t.Errorf("point %d: %+v, want %d requests of 20 ms TTFT", i, p, want)
		}
	}
	pc := run.PrefixCache
	if pc == nil || pc.HitRate != 0.25 || pc.HitTokens != 250 || pc.InputTokens != 1000 || pc.Occupancy != 0.25 || pc.BlockTokens != 16 {
		t.Errorf("prefix cache %+v: want 250 of 1000 tokens (0.25), 10 of 40 blocks (0.25)", pc)
	}
	if run.TTFTByTurn != nil {
		t.Errorf("ttft by turn %+v without sessions", run.TTFTByTurn)
	}
}

// Sessions of three turns: a TTFT row per turn, 20 ms each from the oracle.
func TestTurnsReport(t *testing.T) {
	o, err := oracle.New(oracle.Config{TTFT: 20 * time.Millisecond, TPOT: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(context.Background(), o, bench.Config{
		Scenario: bench.Closed, Concurrency: 2, Requests: 4, Lengths: bench.Fixed(1, 64, 4),
		Sessions: bench.Sessions{Turns: 3, Think: time.Second, TurnTokens: 8},
	})
	if err != nil {
		t.Fatal(err)
	}
	run, err := report.FromBench(o.Info(), "sessions", res)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.TTFTByTurn) != 3 || run.Trace != nil || run.PrefixCache != nil {
		t.Fatalf("turns %+v, trace %v, cache %v: want 3 rows and nothing else", run.TTFTByTurn, run.Trace, run.PrefixCache)
	}
	for k, r := range run.TTFTByTurn {
		if r.Turn != k || r.Requests != 4 || math.Abs(r.P50-20) > 0.2 || math.Abs(r.P99-20) > 0.2 {
			t.Errorf("turn %d: %+v, want 4 requests of 20 ms", k, r)
		}
	}
}

// The text report says what a replay brought beyond the table: TTFT by
// turn, the cache's hits, the trace's credit (once per trace).
func TestReplayLines(t *testing.T) {
	r := &report.Report{Runs: []report.Run{
		{Backend: report.Backend{ID: "sim:a"}, TTFTByTurn: []report.TurnTTFT{{Turn: 0, P50: 21}, {Turn: 1, P50: 16.4}},
			PrefixCache: &report.PrefixCache{HitRate: 0.683, HitTokens: 10, Occupancy: 0.5}, Trace: &report.TraceRun{Name: "azure-conv", Attribution: "CC-BY 4.0; Splitwise"}},
		{Backend: report.Backend{ID: "sim:b"}, PrefixCache: &report.PrefixCache{}, Trace: &report.TraceRun{Name: "azure-conv", Attribution: "CC-BY 4.0; Splitwise"}},
	}}
	got := strings.Join(report.ReplayLines(r), "\n")
	want := "sim:a TTFT p50 by turn (ms): 21.00 16.40\nsim:a prefix cache: 68.3% of prompt tokens served from it; 50.0% full at the end\ntrace azure-conv: CC-BY 4.0; Splitwise"
	if got != want {
		t.Errorf("lines\n%s\nwant\n%s", got, want)
	}
}

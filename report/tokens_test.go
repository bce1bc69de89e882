package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/internal/openai"
	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/report"
)

// earlyStopper streams like an OpenAI server that ignores the length hints
// and counts prompts its own way: it says it read 137 prompt tokens whatever
// was sent, and every second request it answers stops with "stop" after 10
// tokens; the others run to max_tokens and stop with "length".
func earlyStopper(t *testing.T) string {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req openai.Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.MaxTokens == nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		io.Copy(io.Discard, r.Body)
		tokens, finish := *req.MaxTokens, "length"
		if n.Add(1)%2 == 0 {
			tokens, finish = 10, "stop"
		}
		w.Header().Set("Content-Type", "text/event-stream")
		h := openai.ChunkHeader{ID: "x", Object: openai.ObjectChatCompletionChunk, Created: 1, Model: req.Model}
		event := func(b []byte) {
			fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
		}
		event(h.AppendChunk(nil, "assistant", "", ""))
		for range tokens {
			event(h.AppendChunk(nil, "", " tok", ""))
		}
		event(h.AppendChunk(nil, "", "", finish))
		event(h.AppendUsageChunk(nil, openai.Usage{PromptTokens: 137, CompletionTokens: tokens, TotalTokens: 137 + tokens}))
		event([]byte(openai.Done))
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/v1"
}

// runOn runs 30 requests of 100 in, 64 out, one at a time, on b and reports them.
func runOn(t *testing.T, b accel.Backend) report.Run {
	t.Helper()
	c := bench.Config{Scenario: bench.Closed, Concurrency: 1, Requests: 30, Model: "llama-3.1-8b", Lengths: bench.Fixed(1, 100, 64)}
	res, err := bench.Run(context.Background(), b, c)
	if err != nil {
		t.Fatal(err)
	}
	run, err := report.FromBench(b.Info(), "fixed-100-64", res)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func openRemote(t *testing.T, url string, stream bool) accel.Backend {
	t.Helper()
	b, err := remote.New(remote.Config{URL: url, Model: "llama-3.1-8b", NoStream: !stream, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func simDevice(t *testing.T) accel.Backend {
	t.Helper()
	dev, err := sim.New("h100-sxm", 1, "llama-3.1-8b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	return dev
}

// Known answers: the report's token accounting, finish reasons, short outputs
// and warnings, against servers and devices whose answers are fixed: a server
// that reads 137-token prompts and stops half its answers after 10 of 64
// tokens; inferbench serve, streamed and not (a whole answer has no TPOT or
// inter-token gaps); and the noop and simulated backends, which serve exactly
// what is asked.
func TestTokenAccountingKnownAnswers(t *testing.T) {
	t.Parallel()
	serve := servertest.Start(t, server.Config{}).URL + "/v1"
	type want struct {
		meanIn, meanOut float64
		inCounted       accel.TokenCount
		finish          map[string]int64
		short           int64
		warnings        []string
		timed           bool // TPOT and ITL recorded
	}
	tests := []struct {
		name string
		b    func(t *testing.T) accel.Backend
		want want
	}{
		{"server that stops early and reads more", func(t *testing.T) accel.Backend { return openRemote(t, earlyStopper(t), true) }, want{
			meanIn: 137, meanOut: (15*64 + 15*10) / 30.0, inCounted: accel.CountedUsage,
			finish: map[string]int64{"length": 15, "stop": 15}, short: 15, timed: true,
			warnings: []string{
				"15 of 30 completed requests returned fewer output tokens than asked (37.0 on average, 64.0 asked; finish reasons length 15, stop 15; server ignored ignore_eos/min_tokens?): workload fixed-100-64 was not served as labelled",
				"the server read 137.0 input tokens per request on average, 37.0% more than the 100.0 requested (its chat template and tokenizer count too): workload fixed-100-64 was not served as labelled",
			},
		}},
		{"inferbench serve, streamed", func(t *testing.T) accel.Backend { return openRemote(t, serve, true) }, want{
			meanIn: 100, meanOut: 64, inCounted: accel.CountedUsage, finish: map[string]int64{"length": 30}, timed: true,
		}},
		{"inferbench serve, not streamed", func(t *testing.T) accel.Backend { return openRemote(t, serve, false) }, want{
			meanIn: 100, meanOut: 64, inCounted: accel.CountedUsage, finish: map[string]int64{"length": 30},
		}},
		{"noop", func(t *testing.T) accel.Backend { return noop.Backend{} }, want{
			meanIn: 100, meanOut: 64, inCounted: accel.CountedRequested, finish: map[string]int64{"length": 30}, timed: true,
		}},
		{"simulated", simDevice, want{
			meanIn: 100, meanOut: 64, inCounted: accel.CountedRequested, timed: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := runOn(t, tt.b(t))
			w, c := run.Workload, run.Counts
			if c.Completed != 30 || c.Errors != 0 {
				t.Fatalf("%d completed, %d errors (%v), want 30 and 0", c.Completed, c.Errors, c.ErrorExamples)
			}
			if w.MeanInputTokens != tt.want.meanIn || w.MeanOutputTokens != tt.want.meanOut || w.InputTokensCounted != tt.want.inCounted ||
				w.RequestedMeanInputTokens != 100 || w.RequestedMeanOutputTokens != 64 {
				t.Errorf("workload %+v, want mean input %v (%s), output %v, requested 100 and 64", w, tt.want.meanIn, tt.want.inCounted, tt.want.meanOut)
			}
			if len(c.FinishReasons) != len(tt.want.finish) || c.ShortOutputs != tt.want.short {
				t.Errorf("finish reasons %v, %d short; want %v, %d", c.FinishReasons, c.ShortOutputs, tt.want.finish, tt.want.short)
			}
			for k, v := range tt.want.finish {
				if c.FinishReasons[k] != v {
					t.Errorf("finish reasons %v, want %v", c.FinishReasons, tt.want.finish)
				}
			}
			if !slices.Equal(run.Warnings, tt.want.warnings) {
				t.Errorf("warnings:\n%q\nwant\n%q", run.Warnings, tt.want.warnings)
			}
			_, hasTPOT := run.Histograms["tpot"]
			if timed := run.TPOT.Count > 0; timed != tt.want.timed || hasTPOT != tt.want.timed {
				t.Errorf("TPOT %+v (histogram %v), want recorded %v", run.TPOT, hasTPOT, tt.want.timed)
			}
			if !tt.want.timed && (run.ITL.Count != 0 || run.TPOT.Count != 0 || run.TPOT.P50 != 0 || run.TPOT.Max != 0) {
				t.Errorf("an answer not streamed has TPOT %+v and ITL %+v, want both empty", run.TPOT, run.ITL)
			}
			// An answer not streamed has no first token to time: its time
			// to the whole answer is not a TTFT.
			wantTTFT := int64(30)
			if !tt.want.timed {
				wantTTFT = 0
			}
			if run.TTFT.Count != wantTTFT || run.Latency.Count != 30 {
				t.Errorf("TTFT %d, latency %d samples, want %d and 30", run.TTFT.Count, run.Latency.Count, wantTTFT)
			}
		})
	}
}

// Known answers: merging shards adds their finish reasons and short outputs,
// weights the requested means by completed requests, keeps each shard's
// warnings under its name, and says input tokens were counted in a mixed way
// when the shards counted them differently.
func TestMergeTokenAccounting(t *testing.T) {
	t.Parallel()
	a := runOn(t, openRemote(t, earlyStopper(t), true))
	a.Scenario.Shard = "0/2"
	b := a
	b.Scenario.Shard = "1/2"
	b.Counts.FinishReasons = map[string]int64{"length": 30}
	b.Counts.ShortOutputs = 0
	b.Workload.InputTokensCounted = accel.CountedRequested
	b.Workload.RequestedMeanOutputTokens = 32
	b.Warnings = nil
	m, err := report.Merge(reporttest.Report(a), reporttest.Report(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(m.Runs))
	}
	g := m.Runs[0]
	if g.Counts.FinishReasons["length"] != 45 || g.Counts.FinishReasons["stop"] != 15 || len(g.Counts.FinishReasons) != 2 || g.Counts.ShortOutputs != 15 {
		t.Errorf("finish reasons %v, %d short; want length 45, stop 15, and 15 short", g.Counts.FinishReasons, g.Counts.ShortOutputs)
	}
	if w := g.Workload; w.RequestedMeanInputTokens != 100 || w.RequestedMeanOutputTokens != 48 || w.InputTokensCounted != accel.CountedMixed {
		t.Errorf("workload %+v, want requested means 100 and 48, input counted mixed", w)
	}
	if len(g.Warnings) != 2 || g.Warnings[0] != "shard 0/2: "+a.Warnings[0] || g.Warnings[1] != "shard 0/2: "+a.Warnings[1] {
		t.Errorf("warnings %q, want shard 0/2's two", g.Warnings)
	}
	if len(a.Counts.FinishReasons) != 2 || a.Counts.FinishReasons["length"] != 15 {
		t.Errorf("Merge changed its argument: %v", a.Counts.FinishReasons)
	}
}

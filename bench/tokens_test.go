package bench

import (
	"context"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// scriptBackend answers request seq with script[seq%len(script)]: a backend
// whose served tokens, finish reasons and timing are known in advance.
type scriptBackend struct{ script []accel.Result }

func (scriptBackend) Info() accel.Info { return accel.Info{ID: "script"} }
func (scriptBackend) Close() error     { return nil }
func (b scriptBackend) Infer(_ context.Context, req *accel.Request, res *accel.Result) error {
	*res = b.script[req.Seq%uint64(len(b.script))]
	if res.Class != accel.ClassNone {
		return accel.Errorf(res.Class, "scripted failure")
	}
	return nil
}

// Known answers: a run's token tallies from a backend whose every answer is
// scripted. 40 requests of 100 in, 64 out cycle through four answers: served
// input 120 by usage, stopped after 10 with "stop"; whole length by usage but
// not streamed (no TPOT); an unknown reason, input unreported; and a failure,
// which counts nowhere.
func TestTokenTallies(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	b := scriptBackend{script: []accel.Result{
		{TTFT: ms, Latency: 10 * ms, OutputTokens: 10, Counted: accel.CountedUsage, InputTokens: 120, FinishReason: accel.FinishStop},
		{TTFT: 5 * ms, Latency: 5 * ms, OutputTokens: 64, Counted: accel.CountedUsage, InputTokens: 100, FinishReason: accel.FinishLength, NoTokenTimes: true, NoTTFT: true},
		{TTFT: ms, Latency: 64 * ms, OutputTokens: 64, Counted: accel.CountedUsage, FinishReason: accel.FinishOther},
		{Class: accel.ClassHTTP5xx},
	}}
	c := Config{Scenario: Closed, Concurrency: 1, Requests: 40, Model: "m", Lengths: Fixed(1, 100, 64), MaxErrorRate: 1}
	res, err := Run(context.Background(), b, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		got, want int64
	}{
		{"completed", res.Completed, 30},
		{"errors", res.Errors, 10},
		{"input tokens (served where known)", res.InputTokens, 10*120 + 10*100 + 10*100},
		{"requested input tokens", res.RequestedInputTokens, 30 * 100},
		{"output tokens", res.OutputTokens, 10*10 + 10*64 + 10*64},
		{"requested output tokens", res.RequestedOutputTokens, 30 * 64},
		{"short outputs", res.ShortOutputs, 10},
		{"stop", res.FinishReasons[accel.FinishStop], 10},
		{"length", res.FinishReasons[accel.FinishLength], 10},
		{"other", res.FinishReasons[accel.FinishOther], 10},
		{"finish reasons", int64(len(res.FinishReasons)), 3},
		// TPOT from the two timed answers only: (10-1)/9 = 1 ms and 63/63 = 1 ms.
		{"TPOT samples", res.TPOT.TotalCount(), 20},
		{"TPOT min (µs)", res.TPOT.Min() / 1000, 999},
		// TTFT from the two streamed kinds of answer: the whole one has none.
		{"TTFT samples", res.TTFT.TotalCount(), 20},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	if res.InputTokensCounted != accel.CountedMixed {
		t.Errorf("input tokens counted %q, want mixed", res.InputTokensCounted)
	}
}

// Known answers: how input tokens are said to be counted, and a reason a
// backend made up counts as other.
func TestInputCountedAndFinishIndex(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		served, completed int64
		prev, want        accel.TokenCount
	}{
		{5, 5, "", accel.CountedUsage},
		{0, 5, "", accel.CountedRequested},
		{2, 5, "", accel.CountedMixed},
		{5, 5, accel.CountedUsage, accel.CountedUsage},
		{5, 5, accel.CountedRequested, accel.CountedMixed},
		{0, 5, accel.CountedRequested, accel.CountedRequested},
	} {
		if got := mergeCounted(tt.prev, inputCounted(tt.served, tt.completed)); got != tt.want {
			t.Errorf("%d of %d served after %q: %q, want %q", tt.served, tt.completed, tt.prev, got, tt.want)
		}
	}
	for reason, want := range map[string]int{"": -1, accel.FinishStop: 0, accel.FinishLength: 1, accel.FinishOther: len(finishes) - 1, "made-up": len(finishes) - 1} {
		if got := finishIndex(reason); got != want {
			t.Errorf("finishIndex(%q) = %d, want %d", reason, got, want)
		}
	}
}

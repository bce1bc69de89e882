package report

import (
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Merged shards of a replay keep what each replayed: timeline buckets add,
// per-turn TTFT percentiles come from the merged histograms (exact), and
// the prefix caches' counts add into one hit rate.
func TestMergeReplayFields(t *testing.T) {
	t.Parallel()
	shard := func(hit, in int64, turn0 []int64, timeline []TracePoint) *Run {
		h := hdrhistogram.New(1, 60e9, 3)
		for _, v := range turn0 {
			h.RecordValue(v * 1e6) // ms to ns
		}
		enc, err := EncodeHist(h)
		if err != nil {
			t.Fatal(err)
		}
		return &Run{
			Histograms:  map[string]string{turnHist(0): enc},
			TTFTByTurn:  []TurnTTFT{{Turn: 0, Requests: int64(len(turn0))}},
			PrefixCache: &PrefixCache{HitTokens: hit, InputTokens: in, Tokens: 100, CapacityTokens: 1000, BlockTokens: 512},
			Trace:       &TraceRun{Name: "azure-conv", BucketS: 10, Timeline: timeline},
		}
	}
	a := shard(300, 1000, []int64{10, 20}, []TracePoint{{Requests: 4, Completed: 4, TTFTMeanMs: 10, TTFTMaxMs: 20}})
	b := shard(100, 1000, []int64{30, 40}, []TracePoint{{Requests: 6, Completed: 2, TTFTMeanMs: 40, TTFTMaxMs: 50}, {StartS: 10, Requests: 1}})
	hists := map[string]*hdrhistogram.Histogram{}
	for _, s := range []*Run{a, b} {
		h, _ := DecodeHist(s.Histograms[turnHist(0)])
		if prev, ok := hists[turnHist(0)]; ok {
			prev.Merge(h)
		} else {
			hists[turnHist(0)] = h
		}
	}
	m := *a
	mergeReplay(&m, []*Run{a, b}, hists)
	if c := m.PrefixCache; c.HitTokens != 400 || c.InputTokens != 2000 || c.HitRate != 0.2 || c.Occupancy != 0.1 {
		t.Errorf("prefix cache %+v: want 400 of 2000 tokens, 20%%, 10%% full", c)
	}
	if len(m.TTFTByTurn) != 1 || m.TTFTByTurn[0].Requests != 4 || m.TTFTByTurn[0].Mean < 24.9 || m.TTFTByTurn[0].Mean > 25.1 {
		t.Errorf("turns %+v: want 4 requests, mean 25 ms", m.TTFTByTurn)
	}
	tl := m.Trace.Timeline
	if len(tl) != 2 || tl[0].Requests != 10 || tl[0].Completed != 6 || tl[0].RatePerS != 1 || tl[0].TTFTMeanMs != 20 || tl[0].TTFTMaxMs != 50 || tl[1].Requests != 1 {
		t.Errorf("timeline %+v: want 10 requests (1/s), 6 completed at a mean 20 ms, max 50; then 1", tl)
	}
}

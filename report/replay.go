package report

import (
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferbench/inferbench/bench"
)

// TraceRun is the trace a run replayed (or drew its lengths from).
type TraceRun struct {
	// Name is the trace's file or workload; Attribution the credit its
	// licence asks for (the Azure traces: CC-BY 4.0).
	Name        string `json:"name"`
	Attribution string `json:"attribution,omitempty"`
	// Speedup is the factor trace time was divided by (replay).
	Speedup float64 `json:"speedup,omitempty"`
	// Timeline is the replay's requests over trace time after the speedup:
	// one point per BucketS seconds, from the trace's first request.
	BucketS  float64      `json:"bucket_s,omitempty"`
	Timeline []TracePoint `json:"timeline,omitempty"`
}

// TracePoint is one stretch of a replay.
type TracePoint struct {
	// StartS is the stretch's start, seconds of run time.
	StartS float64 `json:"start_s"`
	// Requests were due in the stretch; RatePerS is that over its width.
	Requests int64   `json:"requests"`
	RatePerS float64 `json:"rate_per_s"`
	// Completed of them, and their mean and largest TTFT.
	Completed  int64   `json:"completed"`
	TTFTMeanMs float64 `json:"ttft_mean_ms,omitempty"`
	TTFTMaxMs  float64 `json:"ttft_max_ms,omitempty"`
}

// TurnTTFT is the TTFT of a session's turn index (0: the first).
type TurnTTFT struct {
	Turn     int     `json:"turn"`
	Requests int64   `json:"requests"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Mean     float64 `json:"mean_ms"`
}

// PrefixCache is what a simulated device's prefix cache served during a
// run.
type PrefixCache struct {
	// HitRate is the fraction of input tokens served from the cache (their
	// prefill skipped): HitTokens over InputTokens.
	HitRate     float64 `json:"hit_rate"`
	HitTokens   int64   `json:"hit_tokens"`
	InputTokens int64   `json:"input_tokens"`
	// Occupancy is the fraction of the cache's capacity (the device's KV
	// capacity, in tokens) its blocks held at the end of the run.
	Occupancy      float64 `json:"occupancy"`
	Blocks         int64   `json:"blocks"`
	Tokens         int64   `json:"tokens"`
	CapacityTokens int64   `json:"capacity_tokens"`
	BlockTokens    int     `json:"block_tokens"`
}

func traceOf(r *bench.Result) *TraceRun {
	c := r.Config
	if c.Trace == nil {
		return nil
	}
	t := &TraceRun{Name: c.Trace.Name, Attribution: c.Trace.Attribution, Speedup: c.Speedup}
	if tl := r.Timeline; tl != nil && len(tl.Buckets) > 0 {
		w := tl.Width.Seconds()
		t.BucketS = w
		for i, b := range tl.Buckets {
			p := TracePoint{StartS: float64(i) * w, Requests: b.Requests, RatePerS: float64(b.Requests) / w, Completed: b.Completed}
			if b.Completed > 0 {
				p.TTFTMeanMs = b.TTFTSum.Seconds() / float64(b.Completed) * 1e3
				p.TTFTMaxMs = b.TTFTMax.Seconds() * 1e3
			}
			t.Timeline = append(t.Timeline, p)
		}
	}
	return t
}

func turnsOf(r *bench.Result) []TurnTTFT {
	if r.Recorder == nil {
		return nil
	}
	var out []TurnTTFT
	for k, h := range r.TurnTTFT {
		if h.TotalCount() == 0 {
			continue
		}
		out = append(out, TurnTTFT{
			Turn: k, Requests: h.TotalCount(),
			P50: float64(h.ValueAtQuantile(50)) / 1e6, P90: float64(h.ValueAtQuantile(90)) / 1e6,
			P99: float64(h.ValueAtQuantile(99)) / 1e6, Mean: h.Mean() / 1e6,
		})
	}
	return out
}

// turnHist names a turn's TTFT histogram in a run's Histograms.
func turnHist(turn int) string { return fmt.Sprintf("ttft_turn_%d", turn) }

// mergeReplay fills a merged run's trace timeline, TTFT by turn and prefix
// cache from its shards': shards replay disjoint records of one trace over
// the same trace time, so timeline buckets add; per-turn percentiles come
// from the merged per-turn histograms (hists); cache counts add.
func mergeReplay(m *Run, shards []*Run, hists map[string]*hdrhistogram.Histogram) {
	m.TTFTByTurn = nil
	last := -1
	for _, s := range shards {
		for _, t := range s.TTFTByTurn {
			last = max(last, t.Turn)
		}
	}
	for k := 0; k <= last; k++ {
		h, ok := hists[turnHist(k)]
		if !ok {
			continue
		}
		m.TTFTByTurn = append(m.TTFTByTurn, TurnTTFT{Turn: k, Requests: h.TotalCount(),
			P50: float64(h.ValueAtQuantile(50)) / 1e6, P90: float64(h.ValueAtQuantile(90)) / 1e6,
			P99: float64(h.ValueAtQuantile(99)) / 1e6, Mean: h.Mean() / 1e6})
	}
	m.PrefixCache = nil
	for _, s := range shards {
		c := s.PrefixCache
		if c == nil {
			continue
		}
		if m.PrefixCache == nil {
			m.PrefixCache = &PrefixCache{BlockTokens: c.BlockTokens}
		}
		p := m.PrefixCache
		p.HitTokens += c.HitTokens
		p.InputTokens += c.InputTokens
		p.Blocks += c.Blocks
		p.Tokens += c.Tokens
		p.CapacityTokens += c.CapacityTokens
	}
	if p := m.PrefixCache; p != nil {
		if p.InputTokens > 0 {
			p.HitRate = float64(p.HitTokens) / float64(p.InputTokens)
		}
		if p.CapacityTokens > 0 {
			p.Occupancy = float64(p.Tokens) / float64(p.CapacityTokens)
		}
	}
	if shards[0].Trace == nil {
		return
	}
	t := *shards[0].Trace
	t.Timeline = nil
	for _, s := range shards {
		if s.Trace == nil {
			continue
		}
		for i, b := range s.Trace.Timeline {
			for len(t.Timeline) <= i {
				t.Timeline = append(t.Timeline, TracePoint{StartS: float64(len(t.Timeline)) * t.BucketS})
			}
			p := &t.Timeline[i]
			sum := p.TTFTMeanMs*float64(p.Completed) + b.TTFTMeanMs*float64(b.Completed)
			p.Requests += b.Requests
			p.Completed += b.Completed
			if p.Completed > 0 {
				p.TTFTMeanMs = sum / float64(p.Completed)
			}
			p.TTFTMaxMs = max(p.TTFTMaxMs, b.TTFTMaxMs)
		}
	}
	for i := range t.Timeline {
		if t.BucketS > 0 {
			t.Timeline[i].RatePerS = float64(t.Timeline[i].Requests) / t.BucketS
		}
	}
	m.Trace = &t
}

func prefixCacheOf(r *bench.Result) *PrefixCache {
	s := r.PrefixCache
	if s == nil {
		return nil
	}
	p := &PrefixCache{HitTokens: s.HitTokens, InputTokens: s.InputTokens, Blocks: s.Blocks, Tokens: s.Tokens, CapacityTokens: s.CapacityTokens, BlockTokens: s.BlockTokens}
	if s.InputTokens > 0 {
		p.HitRate = float64(s.HitTokens) / float64(s.InputTokens)
	}
	if s.CapacityTokens > 0 {
		p.Occupancy = float64(s.Tokens) / float64(s.CapacityTokens)
	}
	return p
}

// ReplayLines are what a report's text says of production traffic, a line
// each: a session workload's TTFT by turn, what a prefix cache served, and
// the credit a replayed trace's licence asks for.
func ReplayLines(r *Report) []string {
	var out []string
	credited := map[string]bool{}
	for i := range r.Runs {
		run := &r.Runs[i]
		if len(run.TTFTByTurn) > 0 {
			s := run.Backend.ID + " TTFT p50 by turn (ms):"
			for _, t := range run.TTFTByTurn {
				s += " " + Num(t.P50)
			}
			out = append(out, s)
		}
		if c := run.PrefixCache; c != nil && c.HitTokens > 0 {
			out = append(out, fmt.Sprintf("%s prefix cache: %.1f%% of prompt tokens served from it; %.1f%% full at the end", run.Backend.ID, 100*c.HitRate, 100*c.Occupancy))
		}
		if t := run.Trace; t != nil && t.Attribution != "" && !credited[t.Name] {
			credited[t.Name] = true
			out = append(out, "trace "+t.Name+": "+t.Attribution)
		}
	}
	return out
}

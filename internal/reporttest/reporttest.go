// Package reporttest builds small, deterministic reports for tests of the
// packages that read reports (compare, plot, gobench, html, the CLI): runs
// whose histograms hold known samples, without running a benchmark.
//
// It is a test kit under internal/ rather than beside report so that no
// public package is a test helper. Test kits are the one kind of internal
// package allowed to import the layers above internal (here accel and
// report): they help test those layers and their callers, and only _test
// files may import them. internal/layers enforces both halves of that rule.
package reporttest

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/report"
)

// Spec describes a synthetic run.
type Spec struct {
	Backend  string  // backend id, e.g. "sim:h100-sxm"
	Profile  string  // profile id, for prices
	Chips    int     // 0 means 1
	N        int     // completed requests
	MedianMS float64 // median end-to-end latency; TTFT is a tenth, TPOT a hundredth
	Sigma    float64 // lognormal spread of latency (0 means 0.5)
	Seed     uint64
	Rate     float64 // open-loop rate (poisson); 0 means closed loop at concurrency 8
	Tokens   float64 // output tokens per request (0 means 200)
	Joules   float64 // energy per output token (0 means no energy)
}

// Samples returns the spec's latency samples, in nanoseconds, in the order
// they are recorded.
func (s Spec) Samples() []int64 {
	sigma := s.Sigma
	if sigma == 0 {
		sigma = 0.5
	}
	rng := rand.New(rand.NewPCG(s.Seed, 42))
	out := make([]int64, s.N)
	for i := range out {
		ms := s.MedianMS * math.Exp(sigma*rng.NormFloat64())
		out[i] = int64(ms * 1e6)
	}
	return out
}

// NewHist returns an empty histogram with the range the load generator uses.
func NewHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, int64(time.Hour), 3) }

// Run builds the run a spec describes: its histograms (latency, TTFT, TPOT),
// summaries, counts and throughput over a 60 s window, and energy if asked.
func Run(s Spec) report.Run {
	lat, ttft, tpot := NewHist(), NewHist(), NewHist()
	for _, v := range s.Samples() {
		_ = lat.RecordValue(v)
		_ = ttft.RecordValue(v / 10)
		_ = tpot.RecordValue(v / 100)
	}
	tokens := s.Tokens
	if tokens == 0 {
		tokens = 200
	}
	chips := s.Chips
	if chips == 0 {
		chips = 1
	}
	const window = 60.0
	r := report.Run{
		Backend: report.Backend{ID: s.Backend, Kind: accel.KindSimulated,
			Info: report.Info{ID: s.Backend, Kind: accel.KindSimulated, Profile: s.Profile, Chips: chips, Precision: "bf16"}},
		Workload:  report.Workload{Name: "chat", Model: "llama-3.1-8b", Precision: "bf16", MeanInputTokens: 500, MeanOutputTokens: tokens},
		Scenario:  report.Scenario{Name: "closed", Concurrency: 8, Virtual: true},
		Counts:    report.Counts{Requests: int64(s.N), Completed: int64(s.N)},
		DurationS: window,
		Throughput: report.Throughput{RequestsPerS: float64(s.N) / window, OutputTokensPerS: float64(s.N) * tokens / window,
			InputTokensPerS: float64(s.N) * 500 / window},
		Latency: report.Summarize(lat), TTFT: report.Summarize(ttft), TPOT: report.Summarize(tpot),
		Histograms: map[string]string{},
		Valid:      true,
	}
	if s.Rate > 0 {
		r.Scenario = report.Scenario{Name: "poisson", Rate: s.Rate, Virtual: true}
	}
	for name, h := range map[string]*hdrhistogram.Histogram{"latency": lat, "ttft": ttft, "tpot": tpot} {
		enc, err := report.EncodeHist(h)
		if err != nil {
			panic("reporttest: " + err.Error()) // a programming error: the histogram is ours
		}
		r.Histograms[name] = enc
	}
	if s.Joules > 0 {
		j := s.Joules * float64(s.N) * tokens
		r.Energy = &report.Energy{Joules: j, JoulesPerRequest: j / float64(s.N), JoulesPerOutputToken: s.Joules,
			AvgPowerW: j / window, PeakPowerW: 1.2 * j / window, Source: "simulated"}
	}
	return r
}

// Report wraps runs in a report with a fixed header (created 2026-01-02).
func Report(runs ...report.Run) *report.Report {
	return &report.Report{
		Schema: report.Schema, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Tool:   report.Tool{Version: "test", Go: "go1.26"},
		Config: report.Config{Model: "llama-3.1-8b", Scenario: "closed", Seed: 1},
		Runs:   runs,
	}
}

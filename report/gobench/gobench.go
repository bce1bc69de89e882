// Package gobench writes reports in the Go benchmark text format, so
// benchstat (golang.org/x/perf/cmd/benchstat) compares inferbench numbers
// unchanged:
//
//	inferbench report last-night.json --format gobench > old.txt
//	inferbench report tonight.json --format gobench > new.txt
//	benchstat old.txt new.txt
//
// Each run is a benchmark named for what it measured, not for the hardware:
//
//	BenchmarkInference/model=llama-3.1-8b/workload=chat/precision=bf16/scenario=poisson/rate=5
//
// so that a report from one machine lines up with a report from another. Where
// a report holds several backends, a backend=ID key is added to keep them
// apart. The backend, its chips and precision are written as comment lines
// above (benchstat ignores them).
//
// Units, each declared with a "Unit ... better=..." line so benchstat knows
// their direction: req/s and tok/s (higher is better); p50-sec, p90-sec,
// p99-sec, ttft-p50-sec, ttft-p99-sec, tpot-p50-sec, tpot-p99-sec in seconds,
// J/tok and USD/Mtok (lower is better). Energy and cost appear where the run
// has them.
//
// Samples: benchstat wants repeated measurements. Where a report repeats a run
// (several runs with one key), each run is one line. A single run is written as
// Options.Samples lines: the first holds the run's own figures, the others are
// seeded bootstrap replicates — percentiles of resamples (with replacement) of
// the run's latency histograms, and throughput, J/tok and USD/Mtok from a
// Poisson draw of its completed-request count — so benchstat's confidence
// intervals and U test see the run's sampling spread rather than one number.
package gobench

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/inferbench/inferbench/report"
)

// Options tune the output. The zero value is 10 samples, seed 1.
type Options struct {
	// Samples is the lines per single run (the run's figures and Samples-1
	// bootstrap replicates); benchstat wants 6 for a confidence interval.
	Samples int
	// Seed seeds the bootstrap: the same report and seed give the same text.
	Seed uint64
	// SampleLimit bounds the values drawn from each histogram (report.Values).
	SampleLimit int
}

// Unit is one unit this package writes.
type Unit struct {
	Name   string
	Better string // "higher" or "lower"
}

// Units lists the units, in the order they appear on a line.
func Units() []Unit {
	return []Unit{
		{"req/s", "higher"}, {"tok/s", "higher"},
		{"p50-sec", "lower"}, {"p90-sec", "lower"}, {"p99-sec", "lower"},
		{"ttft-p50-sec", "lower"}, {"ttft-p99-sec", "lower"},
		{"tpot-p50-sec", "lower"}, {"tpot-p99-sec", "lower"},
		{"J/tok", "lower"}, {"USD/Mtok", "lower"},
	}
}

// quantiles are the latency units' histograms and percentiles, in Units order.
var quantiles = [...]struct {
	hist string
	q    float64
}{{"latency", 50}, {"latency", 90}, {"latency", 99}, {"ttft", 50}, {"ttft", 99}, {"tpot", 50}, {"tpot", 99}}

// Write writes r in the Go benchmark format.
func Write(w io.Writer, r *report.Report, opt Options) error {
	if opt.Samples < 1 {
		opt.Samples = 10
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.SampleLimit < 1 {
		opt.SampleLimit = 5000
	}
	backends := map[string]bool{}
	count := map[string]int{}
	for i := range r.Runs {
		backends[r.Runs[i].Backend.ID] = true
		count[report.RunKey(&r.Runs[i])]++
	}
	fmt.Fprintf(w, "# inferbench report %s, created %s by inferbench %s\n", r.Schema, r.Created.Format("2006-01-02T15:04:05Z07:00"), r.Tool.Version)
	fmt.Fprintf(w, "# single runs: line 1 is the run's figures, the rest seeded bootstrap replicates (see 'go doc github.com/inferbench/inferbench/report/gobench')\n")
	for _, u := range Units() {
		fmt.Fprintf(w, "Unit %s better=%s\n", u.Name, u.Better)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x1f2e3d4c))
	for i := range r.Runs {
		run := &r.Runs[i]
		name := Name(run, len(backends) > 1)
		chips := run.Backend.Info.Chips
		if chips < 1 {
			chips = 1
		}
		fmt.Fprintf(w, "\n# %s: %s (%s, %d chip(s), %s)", name, run.Backend.ID, run.Backend.Info.Name, chips, run.Workload.Precision)
		if run.Label != "" {
			fmt.Fprintf(w, " %s", run.Label)
		}
		fmt.Fprintln(w)
		if run.Counts.Completed == 0 {
			fmt.Fprintf(w, "# %s completed no requests: no figures\n", run.Backend.ID)
			continue
		}
		lines := opt.Samples
		if count[report.RunKey(run)] > 1 {
			lines = 1
		}
		s, err := newSampler(run, opt.SampleLimit)
		if err != nil {
			return fmt.Errorf("%s: %w", run.Backend.ID, err)
		}
		for k := 0; k < lines; k++ {
			var vals []float64
			if k == 0 {
				vals = s.exact()
			} else {
				vals = s.replicate(rng)
			}
			fmt.Fprintf(w, "Benchmark%s %d", name, run.Counts.Completed)
			for j, u := range Units() {
				if math.IsNaN(vals[j]) {
					continue
				}
				fmt.Fprintf(w, " %s %s", formatValue(vals[j]), u.Name)
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

// formatValue writes v with six significant digits, in plain notation.
func formatValue(v float64) string {
	if v == 0 || math.IsInf(v, 0) {
		return "0"
	}
	p := math.Pow10(5 - int(math.Floor(math.Log10(math.Abs(v)))))
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

// Name is a run's benchmark name (without the "Benchmark" prefix): its model,
// workload, precision and load, and its backend when withBackend is set.
func Name(run *report.Run, withBackend bool) string {
	parts := []string{"Inference"}
	add := func(k, v string) {
		if v == "" {
			return
		}
		v = strings.Map(func(r rune) rune {
			if r == '/' || r == ' ' || r == '\t' {
				return '_'
			}
			return r
		}, v)
		parts = append(parts, k+"="+v)
	}
	if withBackend {
		add("backend", run.Backend.ID)
	}
	add("model", run.Workload.Model)
	add("workload", run.Workload.Name)
	add("precision", run.Workload.Precision)
	add("scenario", run.Scenario.Name)
	if run.Scenario.Rate > 0 {
		add("rate", fmt.Sprint(run.Scenario.Rate))
	} else if run.Scenario.Concurrency > 0 {
		add("concurrency", fmt.Sprint(run.Scenario.Concurrency))
	}
	return strings.Join(parts, "/")
}

// sampler draws a run's figures and bootstrap replicates of them.
type sampler struct {
	run  *report.Run
	vals map[string][]float64 // ms, ascending
}

func newSampler(run *report.Run, limit int) (*sampler, error) {
	s := &sampler{run: run, vals: map[string][]float64{}}
	for _, q := range quantiles {
		if _, ok := s.vals[q.hist]; ok {
			continue
		}
		enc, ok := run.Histograms[q.hist]
		if !ok {
			s.vals[q.hist] = nil
			continue
		}
		h, err := report.DecodeHist(enc)
		if err != nil {
			return nil, err
		}
		s.vals[q.hist] = report.Values(h, limit)
	}
	return s, nil
}

// figures lays out one line's values in Units order; NaN marks a missing one.
func (s *sampler) figures(scale float64, pct func(hist string, q float64) float64) []float64 {
	r := s.run
	out := []float64{r.Throughput.RequestsPerS * scale, r.Throughput.OutputTokensPerS * scale}
	for _, q := range quantiles {
		out = append(out, pct(q.hist, q.q))
	}
	jpt, usd := math.NaN(), math.NaN()
	if r.Energy != nil && r.Energy.JoulesPerOutputToken > 0 {
		jpt = r.Energy.JoulesPerOutputToken / scale
	}
	if r.Cost != nil && r.Cost.USDPerMillionOutputTokens > 0 {
		usd = r.Cost.USDPerMillionOutputTokens / scale
	}
	return append(out, jpt, usd)
}

// exact is the run's own figures: the report's percentiles, in seconds.
func (s *sampler) exact() []float64 {
	sums := map[string]report.Summary{"latency": s.run.Latency, "ttft": s.run.TTFT, "tpot": s.run.TPOT}
	return s.figures(1, func(hist string, q float64) float64 {
		if len(s.vals[hist]) == 0 {
			return math.NaN()
		}
		sm := sums[hist]
		switch q {
		case 50:
			return sm.P50 / 1e3
		case 90:
			return sm.P90 / 1e3
		default:
			return sm.P99 / 1e3
		}
	})
}

// replicate is one bootstrap replicate: percentiles of a resample of each
// histogram's values, rates from a Poisson draw of the completed count.
func (s *sampler) replicate(rng *rand.Rand) []float64 {
	n := float64(s.run.Counts.Completed)
	draw := distuv.Poisson{Lambda: n, Src: rng}.Rand()
	scale := math.Max(draw, 1) / n
	resampled := map[string][]float64{}
	return s.figures(scale, func(hist string, q float64) float64 {
		vs := s.vals[hist]
		if len(vs) == 0 {
			return math.NaN()
		}
		b, ok := resampled[hist]
		if !ok {
			b = make([]float64, len(vs))
			for i := range b {
				b[i] = vs[rng.IntN(len(vs))]
			}
			sort.Float64s(b)
			resampled[hist] = b
		}
		// The value at rank ⌈q·n⌉, as HDR histograms read percentiles.
		i := int(math.Ceil(q/100*float64(len(b)))) - 1
		i = max(0, min(i, len(b)-1))
		return b[i] / 1e3
	})
}

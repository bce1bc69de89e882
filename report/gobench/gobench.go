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
// Samples: one line per independent run, nothing synthetic. Repetitions of
// one configuration (runs with one key, e.g. a suite's "repetitions") share a
// benchmark name, so benchstat sees them as its samples; a single run is one
// line, and benchstat says it has too few to judge rather than inventing a
// spread (replicates drawn from one run made it call 8 of 10 metrics
// significant between two seeds of one configuration). For benchstat to find a
// difference at α 0.05, run 4 or more repetitions a side (6 for its intervals).
//
// Failed and invalid runs are not written: their figures do not describe the
// backend, and benchstat has no way to show that. A comment says which and why.
package gobench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/report"
)

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

// Write writes r in the Go benchmark format: one line per run.
func Write(w io.Writer, r *report.Report) error {
	backends := map[string]bool{}
	count, said := map[string]int{}, map[string]bool{}
	for i := range r.Runs {
		run := &r.Runs[i]
		backends[run.Backend.ID] = true
		if written(run) {
			count[report.RunKey(run)]++ // the lines benchstat will see
		}
	}
	fmt.Fprintf(w, "# inferbench report %s, created %s by inferbench %s\n", r.Schema, r.Created.Format("2006-01-02T15:04:05Z07:00"), r.Tool.Version)
	fmt.Fprintf(w, "# one line per run; repetitions share a name (see 'go doc github.com/inferbench/inferbench/report/gobench')\n")
	for _, u := range Units() {
		fmt.Fprintf(w, "Unit %s better=%s\n", u.Name, u.Better)
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		name := Name(run, len(backends) > 1)
		chips := max(run.Backend.Info.Chips, 1)
		about := fmt.Sprintf("%d chip(s), %s", chips, run.Workload.Precision)
		if n := run.Backend.Info.Name; n != "" {
			about = n + ", " + about
		}
		fmt.Fprintf(w, "\n# %s: %s (%s)", name, run.Backend.ID, about)
		if run.Label != "" {
			fmt.Fprintf(w, " %s", run.Label)
		}
		fmt.Fprintln(w)
		switch {
		case run.Failed:
			fmt.Fprintf(w, "# %s FAILED (%s): not written\n", run.Backend.ID, oneLine(run.FailReason))
			continue
		case !run.Valid:
			fmt.Fprintf(w, "# %s INVALID (%s): not written\n", run.Backend.ID, oneLine(strings.Join(run.InvalidReasons, "; ")))
			continue
		case run.Counts.Completed == 0:
			fmt.Fprintf(w, "# %s completed no requests: no figures\n", run.Backend.ID)
			continue
		}
		if k := report.RunKey(run); count[k] < 4 && !said[k] {
			said[k] = true
			fmt.Fprintf(w, "# %d run(s) of this configuration: benchstat needs 4 or more a side to find a difference\n", count[k])
		}
		fmt.Fprintf(w, "Benchmark%s %d", name, run.Counts.Completed)
		for j, v := range figures(run) {
			if math.IsNaN(v) {
				continue
			}
			fmt.Fprintf(w, " %s %s", formatValue(v), Units()[j].Name)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// written says whether a run gets a benchmark line: failed, invalid and
// empty runs are comments, so they are no samples.
func written(run *report.Run) bool {
	return !run.Failed && run.Valid && run.Counts.Completed > 0
}

func oneLine(s string) string {
	if s == "" {
		return "no reason recorded"
	}
	return strings.Join(strings.Fields(s), " ")
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

// figures lays out a run's own figures in Units order, latencies in
// seconds; NaN marks one the run lacks.
func figures(r *report.Run) []float64 {
	out := []float64{r.Throughput.RequestsPerS, r.Throughput.OutputTokensPerS}
	sums := map[string]report.Summary{"latency": r.Latency, "ttft": r.TTFT, "tpot": r.TPOT}
	for _, q := range quantiles {
		sm, v := sums[q.hist], math.NaN()
		switch q.q {
		case 50:
			v = sm.P50
		case 90:
			v = sm.P90
		default:
			v = sm.P99
		}
		if sm.Count == 0 || v <= 0 {
			v = math.NaN()
		}
		out = append(out, v/1e3)
	}
	jpt, usd := math.NaN(), math.NaN()
	if r.Energy != nil && r.Energy.JoulesPerOutputToken > 0 {
		jpt = r.Energy.JoulesPerOutputToken
	}
	if r.Cost != nil && r.Cost.USDPerMillionOutputTokens > 0 {
		usd = r.Cost.USDPerMillionOutputTokens
	}
	return append(out, jpt, usd)
}

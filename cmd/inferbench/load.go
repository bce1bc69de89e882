package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/bench"
)

// loadFlags are the load generator's settings beyond the basic ones in
// runFlags: scenario shapes, stopping rules, validity budgets and sharding.
type loadFlags struct {
	burstiness    float64
	rates         []float64
	concurrencies []int
	slo           []string
	earlyStop     bool
	confidence    float64
	ciWidth       float64
	ciOf          string
	minDuration   time.Duration
	minRequests   int64
	lagBudget     time.Duration
	lagShare      float64
	maxLag        time.Duration
	workers       int
	maxWorkers    int
	shard         string
}

func (l *loadFlags) add(fs *pflag.FlagSet) {
	fs.Float64Var(&l.burstiness, "burstiness", 0, "gamma (and rate sweeps): gap shape; 1 = Poisson, below 1 burstier, above 1 more regular")
	fs.Float64SliceVar(&l.rates, "rates", nil, "sweep: rates in requests/s, e.g. 10,20,40 (one open-loop run each)")
	fs.IntSliceVar(&l.concurrencies, "concurrencies", nil, "sweep: concurrencies, e.g. 1,2,4,8 (one closed-loop run each)")
	fs.StringArrayVar(&l.slo, "slo", nil, "objective METRIC-pPCT=DURATION, repeatable or comma-separated: latency|ttft|tpot|itl|service, e.g. latency-p99=500ms")
	fs.BoolVar(&l.earlyStop, "early-stop", false, "stop once the binomial rule (MLPerf early stopping) decides every --slo, after the minimums")
	fs.Float64Var(&l.confidence, "confidence", 0.99, "confidence of early stopping and SLO verdicts")
	fs.Float64Var(&l.ciWidth, "ci-width", 0, "adaptive: stop once the 95% CI of --ci-of is narrower than this fraction of it (0.05 = ±2.5%)")
	fs.StringVar(&l.ciOf, "ci-of", "latency-p99", "the percentile --ci-width watches: METRIC-pPCT")
	fs.DurationVar(&l.minDuration, "min-duration", 0, "floor: no stopping rule ends the run earlier; alone, run until it and --min-requests are met")
	fs.Int64Var(&l.minRequests, "min-requests", 0, "floor: no stopping rule ends the run with fewer requests")
	fs.DurationVar(&l.lagBudget, "lag-budget", time.Millisecond, "open loop: the run is invalid (the harness was late) when schedule lag p99 exceeds both this and --lag-share of latency p50")
	fs.Float64Var(&l.lagShare, "lag-share", bench.DefaultLagShare, "open loop: the fraction of latency p50 that schedule lag p99 may also reach before the run is invalid (see --lag-budget)")
	fs.DurationVar(&l.maxLag, "max-lag", 0, "open loop: drop (count, never send) a request not sent within this of its schedule; 0 sends late")
	fs.IntVar(&l.workers, "workers", 0, "open loop: starting worker pool (default: one per CPU; grows by Little's law)")
	fs.IntVar(&l.maxWorkers, "max-workers", 4096, "open loop: the most workers the pool grows to")
	fs.StringVar(&l.shard, "shard", "", "run the i-th of N equal parts of the plan, e.g. 0/4 (merge the reports with inferbench merge)")
}

// apply fills cfg's load settings from the flags; errors are usage errors.
func (l *loadFlags) apply(cfg *bench.Config) error {
	cfg.Burstiness = l.burstiness
	cfg.Rates = l.rates
	cfg.Concurrencies = l.concurrencies
	for _, arg := range l.slo {
		for _, s := range strings.Split(arg, ",") {
			slo, err := bench.ParseSLO(strings.TrimSpace(s))
			if err != nil {
				return usageError{err}
			}
			cfg.SLO = append(cfg.SLO, slo)
		}
	}
	cfg.EarlyStop = l.earlyStop
	cfg.Confidence = l.confidence
	cfg.CIWidth = l.ciWidth
	if l.ciWidth > 0 {
		s, err := bench.ParseSLO(l.ciOf + "=1ns")
		if err != nil {
			return usagef("--ci-of %q: want METRIC-pPCT, e.g. latency-p99 or ttft-p90", l.ciOf)
		}
		cfg.CIOf = s
	}
	cfg.MinDuration = l.minDuration
	cfg.MinRequests = l.minRequests
	cfg.LagBudget = l.lagBudget
	cfg.LagShare = l.lagShare
	cfg.MaxLag = l.maxLag
	cfg.Workers = l.workers
	cfg.MaxWorkers = l.maxWorkers
	if l.shard != "" {
		sh, err := bench.ParseShard(l.shard)
		if err != nil {
			return usageError{err}
		}
		cfg.Shard = sh
	}
	return nil
}

// progressTo returns a progress printer for w when w is a terminal, nil
// otherwise: progress is for people watching, not for logs.
func progressTo(w io.Writer) func(bench.Progress) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(p bench.Progress) {
		fmt.Fprintf(f, "\r\033[K%8v  %10d req  %10.0f req/s  p99 %v", p.Elapsed.Round(time.Second), p.Requests, p.Rate, p.P99.Round(time.Microsecond))
	}
}

// endProgress ends a progress line, if one was printed.
func endProgress(w io.Writer, progress func(bench.Progress)) {
	if progress != nil {
		fmt.Fprint(w, "\r\033[K")
	}
}

func (l *loadFlags) sloText(slos []bench.SLO) string {
	var s []string
	for _, o := range slos {
		s = append(s, o.String())
	}
	return strings.Join(s, ", ")
}

func scenarioNames() string {
	var s []string
	for _, sc := range bench.Scenarios() {
		s = append(s, string(sc))
	}
	return strings.Join(s, ", ")
}

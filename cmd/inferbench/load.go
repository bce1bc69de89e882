package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/suggest"
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
	failWindow    time.Duration
	failRequests  int
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
	fs.DurationVar(&l.failWindow, "fail-fast-window", bench.DefaultFailFastWindow, "stop issuing and fail the run (exit 1, report kept) once every request for this long failed; 0 turns it off")
	fs.IntVar(&l.failRequests, "fail-fast-requests", bench.DefaultFailFastRequests, "stop issuing and fail the run (exit 1, report kept) once this many requests in a row failed; 0 turns it off")
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
	if l.failWindow < 0 {
		return usagef("--fail-fast-window %v: want a positive duration, or 0 to turn the rule off", l.failWindow)
	}
	if l.failRequests < 0 {
		return usagef("--fail-fast-requests %d: want a positive count, or 0 to turn the rule off", l.failRequests)
	}
	// bench reads 0 as "the default" and a negative value as "off".
	cfg.FailFastWindow, cfg.FailFastRequests = l.failWindow, l.failRequests
	if l.failWindow == 0 {
		cfg.FailFastWindow = -1
	}
	if l.failRequests == 0 {
		cfg.FailFastRequests = -1
	}
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

// parseScenario reads --scenario, ignoring case; the error suggests the
// nearest scenario beside the list.
func parseScenario(name string) (bench.Scenario, error) {
	var names []string
	for _, sc := range bench.Scenarios() {
		if strings.EqualFold(string(sc), name) {
			return sc, nil
		}
		names = append(names, string(sc))
	}
	return "", usagef("unknown scenario %q%s; valid: %s", name, suggest.Hint(name, names), strings.Join(names, ", "))
}

// scenarioDoes says what a scenario does, for errors about flags it ignores.
func scenarioDoes(sc bench.Scenario) string {
	switch sc {
	case bench.SingleStream:
		return "sends one request at a time, the next when the last completes"
	case bench.Closed:
		return "keeps --concurrency requests in flight, each sent when one completes"
	case bench.Constant, bench.Poisson, bench.Gamma:
		return "sends on a schedule at --rate"
	case bench.Offline:
		return "makes all --requests available at t=0"
	case bench.SweepScenario:
		return "runs one point per value of --rates or --concurrencies"
	case bench.MaxRate:
		return "searches for the highest rate that meets --slo"
	}
	return "issues requests its own way"
}

// checkScenarioFlags refuses every load flag the user set that the scenario
// would ignore: a --rate given to a closed loop used to vanish, and the
// report then described a run nobody asked for.
func checkScenarioFlags(fs *pflag.FlagSet, sc bench.Scenario, l *loadFlags) error {
	rateSweep := sc == bench.SweepScenario && len(l.rates) > 0
	open := sc.Open() || rateSweep
	rules := []struct {
		flags   []string
		applies bool
		instead string
	}{
		{[]string{"rate"}, sc.Open(), map[bool]string{
			false: "a rate is for --scenario constant, poisson, gamma or max-rate",
			true:  "a sweep takes its rates from --rates",
		}[sc == bench.SweepScenario]},
		{[]string{"rates", "concurrencies"}, sc == bench.SweepScenario, "a list of points is for --scenario sweep (one run each)"},
		{[]string{"concurrency"}, sc == bench.Closed || sc == bench.Offline, map[bench.Scenario]string{
			bench.SingleStream:  "single-stream is a closed loop of one: for more in flight use --scenario closed",
			bench.SweepScenario: "a sweep takes its concurrencies from --concurrencies",
		}[sc]},
		{[]string{"burstiness"}, sc == bench.Gamma || sc == bench.MaxRate || rateSweep,
			"burstiness shapes the gaps of --scenario gamma, max-rate and rate sweeps (poisson's gaps have burstiness 1)"},
		{[]string{"lag-budget", "lag-share", "max-lag", "workers", "max-workers"}, open,
			"only an open loop (constant, poisson, gamma, max-rate, a sweep of --rates) has a schedule and a worker pool"},
	}
	for _, r := range rules {
		for _, name := range r.flags {
			if !fs.Changed(name) || r.applies {
				continue
			}
			instead := r.instead
			if instead == "" { // --concurrency in an open loop
				instead = "an open loop's workers grow as needed, up to --max-workers"
			}
			return usagef("--%s does not apply to --scenario %s, which %s; %s", name, sc, scenarioDoes(sc), instead)
		}
	}
	return nil
}

// checkBackendFlags refuses flags that no chosen backend reads: endpoint
// flags (--prompts, --header...) when no backend is an endpoint, --realtime
// when none is simulated, --telemetry-interval with nothing to watch.
// which names the backends in the errors ("" to list specs).
func checkBackendFlags(fs *pflag.FlagSet, specs []string, which string, endpointFlags []string, telemetry bool) error {
	var endpoint, simulated, nvmlGPU bool
	for _, s := range specs {
		sp, err := accel.ParseSpec(s)
		if err != nil {
			continue // the registry will say what is wrong with it
		}
		switch sp.Scheme {
		case "http", "https":
			endpoint = true
		case "nvml": // its load goes to --endpoint
			endpoint, nvmlGPU = true, true
		case "sim":
			simulated = true
		}
	}
	if which == "" {
		which = "backend " + strings.Join(redactSpecs(specs), ", ")
		if len(specs) > 3 {
			which = fmt.Sprintf("backends %s and %d more", strings.Join(redactSpecs(specs[:2]), ", "), len(specs)-2)
		} else if len(specs) > 1 {
			which = "backends " + strings.Join(redactSpecs(specs), ", ")
		}
	}
	if !endpoint {
		for _, name := range endpointFlags {
			if !fs.Changed(name) {
				continue
			}
			why := "only endpoints (http(s)://HOST:PORT/v1, or nvml:N with --endpoint) take it"
			if name == "prompts" {
				why = "only endpoints (http(s)://HOST:PORT/v1) are sent prompt text; simulated and noop backends take lengths (--input-tokens, --workload)"
			}
			return usagef("--%s does not apply to %s: %s", name, which, why)
		}
	}
	if fs.Changed("realtime") && !simulated {
		return usagef("--realtime does not apply to %s: only simulated (sim:) backends run in virtual time to begin with", which)
	}
	if fs.Changed("telemetry-interval") && !telemetry && !nvmlGPU {
		return usagef("--telemetry-interval does not apply without --telemetry nvml:N or an nvml:N backend: there is no GPU to read")
	}
	return nil
}

// planLengths turns --workload, --input-tokens and --output-tokens into the
// workload a run draws its lengths from, and checks them against the model
// (when it is one of the fixtures; an endpoint may serve any): a decoder
// makes at least one token, an encoder none, and prompt plus completion fit
// the model's context. One length given alone fixes that side; the other keeps
// the workload's distribution, and a note says which.
func planLengths(fs *pflag.FlagSet, wl fixtures.Workload, model string, in, out int) (fixtures.Workload, []string, error) {
	setIn, setOut := fs.Changed("input-tokens"), fs.Changed("output-tokens")
	if setIn && in < 1 {
		return wl, nil, usagef("--input-tokens %d: want at least 1 prompt token", in)
	}
	if setOut && out < 0 {
		return wl, nil, usagef("--output-tokens %d: want 0 (encoders) or more", out)
	}
	if setIn && fs.Changed("prompts") {
		return wl, nil, usagef("--input-tokens does not apply with --prompts: the prompts' text sets their length")
	}
	m, err := fixtures.LookupModel(model)
	known := err == nil
	encoder := known && m.Encoder
	switch {
	case encoder && setOut && out > 0:
		return wl, nil, usagef("--output-tokens %d does not apply to %s: an encoder makes one pass and no tokens (drop the flag)", out, m.ID)
	case !encoder && setOut && out == 0 && known:
		return wl, nil, usagef("--output-tokens 0: %s is a decoder and makes at least 1 token (0 is for encoders such as bert-base)", m.ID)
	case !encoder && setOut && out == 0:
		return wl, nil, usagef("--output-tokens 0: want at least 1 completion token (0 is for encoder models)")
	}
	var notes []string
	from := wl.ID // the workload named, before a fixed length renames it
	fixed := func(n int) fixtures.Dist {
		return fixtures.Dist{Kind: "fixed", Median: float64(n), Min: n, Max: n}
	}
	switch {
	case setIn && (setOut || encoder):
		wl = fixtures.FixedWorkload(wl.Model, in, out)
	case setIn:
		notes = append(notes, fmt.Sprintf("--input-tokens %d alone: completion lengths still come from workload %s (%s); give --output-tokens too for a fixed one",
			in, wl.ID, describeDist(wl.Output)))
		wl.ID, wl.About, wl.Input = fmt.Sprintf("%s-in-%d", wl.ID, in), wl.About+" Prompt length fixed by --input-tokens.", fixed(in)
	case setOut:
		notes = append(notes, fmt.Sprintf("--output-tokens %d alone: prompt lengths still come from workload %s (%s); give --input-tokens too for a fixed one",
			out, wl.ID, describeDist(wl.Input)))
		wl.ID, wl.About, wl.Output = fmt.Sprintf("%s-out-%d", wl.ID, out), wl.About+" Completion length fixed by --output-tokens.", fixed(out)
	case encoder:
		wl.Output = fixed(0) // an encoder makes no tokens, whatever the workload's completions
	}
	if known && m.Context > 0 && wl.Input.Max+wl.Output.Max > m.Context {
		side := func(flag string, set bool, d fixtures.Dist, what string) string {
			if set {
				return fmt.Sprintf("%s %d", flag, d.Max)
			}
			return fmt.Sprintf("%s up to %d tokens (workload %s)", what, d.Max, from)
		}
		if encoder {
			return wl, nil, usagef("%s: %s takes at most %d (its context); give --input-tokens up to %d",
				side("--input-tokens", setIn, wl.Input, "prompts"), m.ID, m.Context, m.Context)
		}
		return wl, nil, usagef("%s + %s = %d tokens: %s takes at most %d (its context, prompt and completion together); give --input-tokens and --output-tokens that fit",
			side("--input-tokens", setIn, wl.Input, "prompts"), side("--output-tokens", setOut, wl.Output, "completions"),
			wl.Input.Max+wl.Output.Max, m.ID, m.Context)
	}
	return wl, notes, nil
}

// describeDist says what a length distribution draws, in words.
func describeDist(d fixtures.Dist) string {
	if d.Kind == "fixed" {
		return fmt.Sprintf("always %d tokens", d.Min)
	}
	kind := d.Kind
	if kind == "lognormal" {
		kind = "log-normal"
	}
	return fmt.Sprintf("%s, median %g, %d to %d tokens", kind, d.Median, d.Min, d.Max)
}

// checkRunFlags refuses the run flags the user set that the scenario or
// every chosen backend would ignore (exit 2, one line naming the flag).
func checkRunFlags(fs *pflag.FlagSet, f *runFlags, sc bench.Scenario, ep *endpointFlags, tf *telemetryFlags) error {
	if err := checkScenarioFlags(fs, sc, &f.load); err != nil {
		return err
	}
	if len(f.backends) == 0 {
		return checkBackendFlags(fs, []string{"sim:"}, "the default backends (every simulated profile)", ep.names, len(tf.specs) > 0)
	}
	return checkBackendFlags(fs, f.backends, "", ep.names, len(tf.specs) > 0)
}

// canonicalModel returns the fixture id of model ("Llama-3-8B" →
// llama-3.1-8b) when no backend is an endpoint, so reports of one model pair
// up whatever its spelling; an endpoint is sent the model as written (a server
// may name its models in any case), and an unknown model is left for the
// backends to refuse.
func canonicalModel(model string, specs []string) string {
	for _, s := range specs {
		if sp, err := accel.ParseSpec(s); err == nil && (sp.Scheme == "http" || sp.Scheme == "https" || sp.Scheme == "nvml") {
			return model
		}
	}
	if m, err := fixtures.LookupModel(model); err == nil {
		return m.ID
	}
	return model
}

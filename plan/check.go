package plan

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/suggest"
	"github.com/inferbench/inferbench/report"
)

// InputError is an error in the plan itself, found before any load is sent:
// the command line exits 2 on it. Its message names the field as its flag.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputf(format string, args ...any) error {
	return &InputError{fmt.Errorf(format, args...)}
}

// DefaultDuration is how long a run issues requests when neither a duration
// nor a request count is given.
const DefaultDuration = 60 * time.Second

// DefaultConcurrency is the closed loop's requests in flight by default.
const DefaultConcurrency = 8

// checked is a Plan validated and turned into what the layers below take.
type checked struct {
	p        Plan // with defaults filled
	scenario bench.Scenario
	workload fixtures.Workload
	cfg      bench.Config // per backend, its Precision is set
	prices   report.Prices
	notes    []string // worth saying before the run (a length fixed alone)
}

// Validate checks the plan without opening anything: every field's value,
// fields the scenario or every backend would ignore (a --rate given to a
// closed loop used to vanish, and the report then described a run nobody
// asked for), and the lengths against the model. Errors are *InputError.
func (p Plan) Validate() error {
	_, err := p.check()
	return err
}

func (p Plan) check() (*checked, error) {
	c := &checked{prices: report.DefaultPrices()}
	for id, usd := range p.Prices {
		if id == "" || !(usd >= 0) {
			return nil, inputf("--price %s=%g: want ID=USD_PER_CHIP_HOUR with a price of 0 or more, e.g. h100-sxm=4.92", id, usd)
		}
	}
	c.prices.Overrides = p.Prices
	if r := p.MaxErrorRate; r != nil && !(*r >= 0 && *r <= 1) {
		return nil, inputf("--max-error-rate %g: want a fraction from 0 to 1", *r)
	}
	if p.Grace < 0 {
		return nil, inputf("--grace %v: want a positive duration", p.Grace)
	}
	if p.Workload == "" {
		p.Workload = fixtures.DefaultWorkload
	}
	wl, err := fixtures.LookupWorkload(p.Workload)
	if err != nil {
		return nil, &InputError{err}
	}
	if p.Model == "" {
		p.Model = wl.Model
	}
	p.Model = canonicalModel(p.Model, p.Backends)
	if p.Scenario == "" {
		p.Scenario = string(bench.Closed)
	}
	if c.scenario, err = parseScenario(p.Scenario); err != nil {
		return nil, err
	}
	p.Scenario = string(c.scenario)
	if err := p.checkApplies(c.scenario); err != nil {
		return nil, err
	}
	if c.workload, c.notes, err = p.lengths(p.traceWorkload(wl)); err != nil {
		return nil, err
	}
	if p.Concurrency == 0 {
		p.Concurrency = DefaultConcurrency
	}
	if p.Duration == 0 && p.Requests == 0 && c.scenario != bench.Replay { // replay: the whole trace
		p.Duration = Duration(DefaultDuration) // a request count alone is the limit
	}
	if c.cfg, err = p.benchConfig(c.scenario, c.workload); err != nil {
		return nil, err
	}
	if len(p.Backends) == 0 {
		for _, id := range sim.ProfileIDs() {
			p.Backends = append(p.Backends, "sim:"+id)
		}
	}
	if err := p.checkEndpoint(); err != nil {
		return nil, err
	}
	if p.Interval < 0 {
		return nil, inputf("--telemetry-interval %v: want a positive duration, e.g. 100ms", p.Interval)
	}
	c.p = p
	return c, nil
}

// benchConfig is the load generator's configuration.
func (p *Plan) benchConfig(sc bench.Scenario, wl fixtures.Workload) (bench.Config, error) {
	cfg := bench.Config{
		Scenario: sc, Concurrency: p.Concurrency, Rate: p.Rate, Burstiness: p.Burstiness,
		Rates: p.Rates, Concurrencies: p.Concurrencies,
		Duration: p.Duration.Std(), Requests: p.Requests, Warmup: p.Warmup.Std(),
		MinDuration: p.MinDuration.Std(), MinRequests: p.MinRequests,
		EarlyStop: p.EarlyStop, Confidence: p.Confidence, CIWidth: p.CIWidth,
		LagBudget: p.LagBudget.Std(), LagShare: p.LagShare, MaxLag: p.MaxLag.Std(),
		Workers: p.Workers, MaxWorkers: p.MaxWorkers, Grace: p.Grace.Std(),
		Seed: p.Seed, Model: p.Model, Precision: p.Precision, Lengths: bench.FromWorkload(p.Seed, wl),
	}
	if cfg.Precision == "" {
		cfg.Precision = "bf16"
	}
	for _, arg := range p.SLO {
		for _, s := range strings.Split(arg, ",") {
			slo, err := bench.ParseSLO(strings.TrimSpace(s))
			if err != nil {
				return cfg, &InputError{err}
			}
			cfg.SLO = append(cfg.SLO, slo)
		}
	}
	if p.CIWidth > 0 {
		of := p.CIOf
		if of == "" {
			of = "latency-p99"
		}
		s, err := bench.ParseSLO(of + "=1ns")
		if err != nil {
			return cfg, inputf("--ci-of %q: want METRIC-pPCT, e.g. latency-p99 or ttft-p90", of)
		}
		cfg.CIOf = s
	}
	// bench reads 0 as "the default" and a negative value as "off"; here nil
	// is the default and 0 is off.
	if w := p.FailFastWindow; w != nil {
		if *w < 0 {
			return cfg, inputf("--fail-fast-window %v: want a positive duration, or 0 to turn the rule off", *w)
		}
		cfg.FailFastWindow = w.Std()
		if *w == 0 {
			cfg.FailFastWindow = -1
		}
	}
	if n := p.FailFastRequests; n != nil {
		if *n < 0 {
			return cfg, inputf("--fail-fast-requests %d: want a positive count, or 0 to turn the rule off", *n)
		}
		cfg.FailFastRequests = *n
		if *n == 0 {
			cfg.FailFastRequests = -1
		}
	}
	if r := p.MaxErrorRate; r != nil {
		cfg.MaxErrorRate = *r
		if *r == 0 {
			cfg.MaxErrorRate = bench.NoErrorsAllowed // bench's 0 is the default
		}
	}
	if p.Shard != "" {
		sh, err := bench.ParseShard(p.Shard)
		if err != nil {
			return cfg, &InputError{err}
		}
		cfg.Shard = sh
	}
	if err := p.replayConfig(&cfg); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &InputError{err}
	}
	return cfg, nil
}

// parseScenario reads a scenario name, ignoring case; the error suggests the
// nearest scenario beside the list.
func parseScenario(name string) (bench.Scenario, error) {
	var names []string
	for _, sc := range bench.Scenarios() {
		if strings.EqualFold(string(sc), name) {
			return sc, nil
		}
		names = append(names, string(sc))
	}
	return "", inputf("unknown scenario %q%s; valid: %s", name, suggest.Hint(name, names), strings.Join(names, ", "))
}

// scenarioDoes says what a scenario does, for errors about fields it ignores.
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
	case bench.Replay:
		return "issues a trace's requests at its times"
	}
	return "issues requests its own way"
}

// field is one plan field, by its flag name, and whether it was given.
type field struct {
	name  string
	given bool
}

// remoteFields are the fields only endpoints read.
func (p *Plan) remoteFields() []field {
	r := p.Remote
	return []field{
		{"api", r.API != ""}, {"dialect", r.Dialect != ""}, {"api-key-env", r.APIKeyEnv != ""},
		{"header", len(r.Headers) > 0}, {"ca-cert", r.CACert != ""}, {"connect-timeout", r.ConnectTimeout != 0},
		{"first-token-timeout", r.FirstTokenTimeout != 0}, {"request-timeout", r.RequestTimeout != 0},
		{"prompts", r.Prompts != ""}, {"length-hints", r.LengthHints != nil}, {"stream", r.Stream != nil},
		{"transport", r.Transport != ""}, {"sagemaker-body", r.SageMakerBody != ""},
	}
}

// checkApplies refuses every field given that the scenario or every backend
// would ignore.
func (p *Plan) checkApplies(sc bench.Scenario) error {
	rateSweep := sc == bench.SweepScenario && len(p.Rates) > 0
	open := sc.Open() || rateSweep
	rules := []struct {
		fields  []field
		applies bool
		instead string
	}{
		{[]field{{"rate", p.Rate != 0}}, sc.Open() && sc != bench.Replay, map[bool]string{
			false: "a rate is for --scenario constant, poisson, gamma or max-rate",
			true:  "a sweep takes its rates from --rates",
		}[sc == bench.SweepScenario]},
		{[]field{{"rates", len(p.Rates) > 0}, {"concurrencies", len(p.Concurrencies) > 0}}, sc == bench.SweepScenario,
			"a list of points is for --scenario sweep (one run each)"},
		{[]field{{"concurrency", p.Concurrency != 0}}, sc == bench.Closed || sc == bench.Offline, map[bench.Scenario]string{
			bench.SingleStream:  "single-stream is a closed loop of one: for more in flight use --scenario closed",
			bench.SweepScenario: "a sweep takes its concurrencies from --concurrencies",
		}[sc]},
		{[]field{{"burstiness", p.Burstiness != 0}}, sc == bench.Gamma || sc == bench.MaxRate || rateSweep,
			"burstiness shapes the gaps of --scenario gamma, max-rate and rate sweeps (poisson's gaps have burstiness 1)"},
		{[]field{{"lag-budget", p.LagBudget != 0}, {"lag-share", p.LagShare != 0}, {"max-lag", p.MaxLag != 0},
			{"workers", p.Workers != 0}, {"max-workers", p.MaxWorkers != 0}}, open,
			"only an open loop (constant, poisson, gamma, max-rate, a sweep of --rates) has a schedule and a worker pool"},
	}
	for _, r := range rules {
		for _, f := range r.fields {
			if !f.given || r.applies {
				continue
			}
			instead := r.instead
			if instead == "" { // --concurrency in an open loop
				instead = "an open loop's workers grow as needed, up to --max-workers"
			}
			return inputf("--%s does not apply to --scenario %s, which %s; %s", f.name, sc, scenarioDoes(sc), instead)
		}
	}
	return p.checkBackendFields()
}

// checkBackendFields refuses fields no chosen backend reads: endpoint
// settings when no backend is an endpoint, Realtime when none is simulated,
// a telemetry interval with nothing to watch.
func (p *Plan) checkBackendFields() error {
	specs, which := p.Backends, ""
	if len(specs) == 0 {
		specs, which = []string{"sim:"}, "the default backends (every simulated profile)"
	}
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
		which = "backend " + strings.Join(RedactSpecs(specs), ", ")
		if len(specs) > 3 {
			which = fmt.Sprintf("backends %s and %d more", strings.Join(RedactSpecs(specs[:2]), ", "), len(specs)-2)
		} else if len(specs) > 1 {
			which = "backends " + strings.Join(RedactSpecs(specs), ", ")
		}
	}
	if !endpoint {
		for _, f := range p.remoteFields() {
			if !f.given {
				continue
			}
			why := "only endpoints (http(s)://HOST:PORT/v1, or nvml:N with --endpoint) take it"
			if f.name == "prompts" {
				why = "only endpoints (http(s)://HOST:PORT/v1) are sent prompt text; simulated and noop backends take lengths (--input-tokens, --workload)"
			}
			return inputf("--%s does not apply to %s: %s", f.name, which, why)
		}
	}
	if p.KVPrecision != "" && !simulated {
		return inputf("--kv-precision does not apply to %s: only simulated (sim:) backends model their KV cache; an endpoint's is its server's", which)
	}
	if p.Realtime && !simulated {
		return inputf("--realtime does not apply to %s: only simulated (sim:) backends run in virtual time to begin with", which)
	}
	if p.PrefixCache != nil && !simulated {
		return inputf("--prefix-cache does not apply to %s: only simulated (sim:) backends keep a prefix cache", which)
	}
	if p.Interval != 0 && len(p.GPUs) == 0 && !nvmlGPU && p.Scrape == "" {
		return inputf("--telemetry-interval does not apply without --telemetry nvml:N, an nvml:N backend or --scrape: there is nothing to read")
	}
	return nil
}

// checkEndpoint checks Endpoint against the backends: it is for nvml:N
// backends, which need it.
func (p *Plan) checkEndpoint() error {
	hasNVML, hasHTTP := false, false
	for _, b := range p.Backends {
		sp, err := accel.ParseSpec(b)
		if err != nil {
			continue // the registry will say what is wrong with it
		}
		hasNVML = hasNVML || sp.Scheme == "nvml"
		hasHTTP = hasHTTP || sp.Scheme == "http" || sp.Scheme == "https"
	}
	switch {
	case p.Endpoint == "":
		return nil
	case !hasNVML:
		return inputf("--endpoint %q: only nvml:N backends take an endpoint (an http backend is its own URL); drop it or add --backend nvml:0", p.Endpoint)
	case hasHTTP:
		return inputf("--endpoint %q with an http(s) backend: run the nvml:N backend and the http one in separate invocations", p.Endpoint)
	}
	return nil
}

// lengths turns Workload, InputTokens and OutputTokens into the workload a
// run draws its lengths from, and checks them against the model (when it is
// one of the fixtures; an endpoint may serve any): a decoder makes at least
// one token, an encoder none, and prompt plus completion fit the model's
// context. One length given alone fixes that side; the other keeps the
// workload's distribution, and a note says which.
func (p *Plan) lengths(wl fixtures.Workload) (fixtures.Workload, []string, error) {
	in, setIn, setOut := p.InputTokens, p.InputTokens != 0, p.OutputTokens != nil
	out := 0
	if setOut {
		out = *p.OutputTokens
	}
	if setIn && in < 1 {
		return wl, nil, inputf("--input-tokens %d: want at least 1 prompt token", in)
	}
	if setOut && out < 0 {
		return wl, nil, inputf("--output-tokens %d: want 0 (encoders) or more", out)
	}
	if setIn && p.Prompts != "" {
		return wl, nil, inputf("--input-tokens does not apply with --prompts: the prompts' text sets their length")
	}
	m, err := fixtures.LookupModel(p.Model)
	known := err == nil
	encoder := known && m.Encoder
	switch {
	case encoder && setOut && out > 0:
		return wl, nil, inputf("--output-tokens %d does not apply to %s: an encoder makes one pass and no tokens (drop the flag)", out, m.ID)
	case !encoder && setOut && out == 0 && known:
		return wl, nil, inputf("--output-tokens 0: %s is a decoder and makes at least 1 token (0 is for encoders such as bert-base)", m.ID)
	case !encoder && setOut && out == 0:
		return wl, nil, inputf("--output-tokens 0: want at least 1 completion token (0 is for encoder models)")
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
			return wl, nil, inputf("%s: %s takes at most %d (its context); give --input-tokens up to %d",
				side("--input-tokens", setIn, wl.Input, "prompts"), m.ID, m.Context, m.Context)
		}
		return wl, nil, inputf("%s + %s = %d tokens: %s takes at most %d (its context, prompt and completion together); give --input-tokens and --output-tokens that fit",
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

// RedactSpecs returns the specs with any password in a URL replaced: a
// report records the configuration, never a secret.
func RedactSpecs(specs []string) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = remote.RedactURL(s)
	}
	return out
}

// IsInput reports whether err is an error in the plan (bad input).
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

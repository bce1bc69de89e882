package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/report"
)

// runFlags are `inferbench run`'s settings.
type runFlags struct {
	backends     []string
	model        string
	precision    string
	workload     string
	inputTokens  int
	outputTokens int
	scenario     string
	concurrency  int
	rate         float64
	duration     time.Duration
	requests     int64
	warmup       time.Duration
	seed         uint64
	out          string
	format       string
	realtime     bool
	load         loadFlags
}

const runExamples = `  inferbench run                                   # every simulated profile, chat workload
  inferbench run --backend sim:h100-sxm --backend sim:l4 -o r.json
  inferbench run --backend sim:inf2?chips=12 --model llama-2-7b --input-tokens 128 --output-tokens 256
  inferbench run --backend noop --concurrency 2 --duration 5s
  inferbench run --backend noop --scenario poisson --rate 2000000 --duration 10s -o r.json
  inferbench run --backend sim:h100-sxm --scenario gamma --rate 4 --burstiness 0.5
  inferbench run --backend sim:h100-sxm --scenario sweep --rates 1,2,4,8
  inferbench run --backend sim:l4 --scenario max-rate --slo latency-p99=20s,ttft-p99=2s
  inferbench run --backend sim:h100-sxm --scenario poisson --rate 2 --requests 400 --shard 0/4 -o s0.json
  inferbench run --backend http://127.0.0.1:8000/v1 --telemetry nvml:0      # watch the GPU under the server
  inferbench run --backend nvml:0 --endpoint http://127.0.0.1:8000/v1       # the same, the report named for the GPU
`

func runCmd(ctx context.Context, e *env, args []string) error {
	var f runFlags
	fs := newFlags(e, "run", "[flags]", runExamples+endpointExamples)
	fs.StringArrayVar(&f.backends, "backend", nil, "backend spec, repeatable: noop, sim:PROFILE[?chips=N], http(s)://HOST:PORT/v1, nvml:N with --endpoint (default: every simulated profile)")
	priceFlags := fs.StringArray("price", nil, "price the runs: ID=USD_PER_CHIP_HOUR, ID a profile or backend id (repeatable; default fixtures/prices.json)")
	fs.StringVar(&f.model, "model", "", "model id (default: the workload's model, llama-3.1-8b)")
	fs.StringVar(&f.precision, "precision", "bf16", "numeric format: fp16, bf16, fp8, int8, w4a16 (NPUs default to w4a16 unless set)")
	fs.StringVar(&f.workload, "workload", fixtures.DefaultWorkload, "embedded workload: prompt and completion length distributions")
	fs.IntVar(&f.inputTokens, "input-tokens", 0, "fixed prompt length instead of the workload's distribution")
	fs.IntVar(&f.outputTokens, "output-tokens", 0, "fixed completion length instead of the workload's distribution")
	fs.StringVar(&f.scenario, "scenario", string(bench.Closed), "how requests are issued: "+scenarioNames())
	fs.IntVar(&f.concurrency, "concurrency", 8, "closed loop: requests in flight")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: requests per second")
	fs.DurationVar(&f.duration, "duration", 60*time.Second, "stop issuing after this long (virtual time on sim: backends; no limit when --requests is given alone)")
	fs.Int64Var(&f.requests, "requests", 0, "stop after this many requests (0: no limit)")
	fs.DurationVar(&f.warmup, "warmup", 0, "exclude requests sent during this first stretch")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for every random choice; same seed, same plan")
	fs.StringVarP(&f.out, "output", "o", "inferbench-report.json", "write the JSON report here")
	fs.StringVar(&f.format, "format", "text", "what to print on stdout: text or json")
	fs.BoolVar(&f.realtime, "realtime", false, "simulated devices sleep in wall-clock time instead of running in virtual time")
	f.load.add(fs)
	ep := addEndpointFlags(fs)  // http(s):// backends: endpoint.go
	tf := addTelemetryFlags(fs) // GPU telemetry and nvml:N backends: telemetry.go
	ff := addFaultFlags(fs)     // --max-error-rate, --grace: reliability.go
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	prices, err := pricesFromFlags(*priceFlags)
	if err != nil {
		return err
	}
	if err := ff.validate(); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run takes no arguments, got %s", quoted(fs.Args()))
	}
	if err := report.CheckOutput(f.out); err != nil {
		return usagef("-o: %v", err) // before the run, not after it
	}
	if err := checkFormat(f.format, "text", "json"); err != nil {
		return err
	}
	wl, err := fixtures.LookupWorkload(f.workload)
	if err != nil {
		return usageError{err}
	}
	if f.model == "" {
		f.model = wl.Model
	}
	f.model = canonicalModel(f.model, f.backends) // ids ignore case: load.go
	sc, err := parseScenario(f.scenario)
	if err != nil {
		return err
	}
	if err := checkRunFlags(fs, &f, sc, ep, tf); err != nil { // flags that would be ignored: load.go
		return err
	}
	wl, lengthNotes, err := planLengths(fs, wl, f.model, f.inputTokens, f.outputTokens) // against the model: load.go
	if err != nil {
		return err
	}
	lengths := bench.FromWorkload(f.seed, wl)
	if fs.Changed("requests") && !fs.Changed("duration") {
		f.duration = 0 // a request count alone is the limit
	}
	cfg := bench.Config{
		Scenario: sc, Concurrency: f.concurrency, Rate: f.rate, Duration: f.duration,
		Requests: f.requests, Warmup: f.warmup, Seed: f.seed, Model: f.model,
		Precision: f.precision, Lengths: lengths, Progress: progressTo(e.stderr),
	}
	if err := f.load.apply(&cfg); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	if len(f.backends) == 0 {
		for _, id := range sim.ProfileIDs() {
			f.backends = append(f.backends, "sim:"+id)
		}
	}
	precision := ""
	if fs.Changed("precision") {
		precision = f.precision
	}

	endpoints, err := ep.opener(e, f.concurrency) // remote.Config from the flags, checked once: endpoint.go
	if err != nil {
		return err
	}
	if err := tf.checkEndpoint(f.backends); err != nil {
		return err
	}
	watch, err := tf.start(cfg) // NVML and --telemetry GPUs, before any load
	if err != nil {
		return err
	}
	defer watch.close()
	// Open every backend before sending any load: a bad spec fails fast.
	reg := newRegistry(endpoints, tf.endpoint)
	var backends []accel.Backend
	defer func() {
		for _, b := range backends {
			b.Close()
		}
	}()
	for _, spec := range f.backends {
		b, err := reg.Open(spec, accel.Options{Model: f.model, Precision: precision, Realtime: f.realtime, Seed: f.seed})
		if err != nil {
			return openError(err)
		}
		backends = append(backends, b)
	}

	printNotes(e.stderr, lengthNotes)
	rep := report.New(version, report.Config{
		Backends: redactSpecs(f.backends), Model: f.model, Precision: f.precision, Workload: wl.ID,
		InputTokens: f.inputTokens, OutputTokens: f.outputTokens, Scenario: string(sc),
		Concurrency: f.concurrency, Rate: f.rate, Duration: f.duration.String(), Requests: f.requests,
		Warmup: f.warmup.String(), Realtime: f.realtime, Seed: f.seed,
	})
	fp := machineFingerprint()
	rep.Fingerprint = &fp
	if t, ok, err := sourceDate(e.getenv); err != nil {
		return usageError{err}
	} else if ok {
		rep.Created = t
	}
	for _, b := range backends {
		if ctx.Err() != nil {
			break // interrupted: the remaining backends are not run
		}
		c := cfg
		c.Precision = b.Info().Precision
		ff.apply(&c)
		if err := watch.begin(b); err != nil {
			return err
		}
		res, runs, maxRate, err := measure(ctx, b, c, wl.ID)
		endProgress(e.stderr, cfg.Progress)
		if err != nil {
			return fmt.Errorf("%s: %w", b.Info().ID, err)
		}
		watch.end(b, res, runs, e.stderr)
		rep.Runs = append(rep.Runs, runs...)
		if sc == bench.MaxRate {
			fmt.Fprintf(e.stderr, "%s: max rate %.4g req/s meets %s\n", b.Info().ID, maxRate, f.load.sloText(cfg.SLO))
		}
	}
	printNotes(e.stderr, prices.AddCosts(rep))
	in, wasInterrupted := interrupted(ctx)
	rep.Interrupted = wasInterrupted
	rep.Redact(e.secrets) // what it writes and prints from here on: secrets.go
	if err := report.WriteFileAtomic(f.out, rep.Encode); err != nil {
		return err
	}
	var w io.Writer = e.stdout
	if f.format == "json" {
		if err := rep.Encode(w); err != nil {
			return err
		}
	} else if err := report.WriteText(w, rep); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%d runs)\n", f.out, len(rep.Runs))
	verdict := ff.verdict(e.stderr, rep)
	if wasInterrupted {
		return exitError{code: in.exitCode(), err: fmt.Errorf("%v: wrote the %d run(s) completed so far to %s, marked interrupted", in, len(rep.Runs), f.out)}
	}
	if verdict != nil {
		return keptError{verdict, f.out}
	}
	return nil
}

// keptError is a run's failure after its report was written: the message
// says where the report is; suite, which writes the runs elsewhere, reads
// the failure alone.
type keptError struct {
	err  error
	path string
}

func (e keptError) Error() string { return fmt.Sprintf("%v (report kept in %s)", e.err, e.path) }
func (e keptError) Unwrap() error { return e.err }

// redactSpecs returns the specs with any password in a URL replaced: the
// report records the configuration, never a secret.
func redactSpecs(specs []string) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = remote.RedactURL(s)
	}
	return out
}

// sourceDate reads SOURCE_DATE_EPOCH (reproducible-builds.org): when set, it
// is the report's creation time, so two runs of a simulated plan with the same
// seed write byte-identical reports on one machine.
func sourceDate(getenv func(string) string) (time.Time, bool, error) {
	v := getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Time{}, false, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, false, fmt.Errorf("SOURCE_DATE_EPOCH %q: want whole seconds since 1970", v)
	}
	return time.Unix(sec, 0).UTC(), true, nil
}

package plan

import (
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/report"
)

// Flags are `inferbench run`'s flags, bound to a Plan's fields. A
// flag given sets its field; one not given leaves the field as it was, which
// for run is zero: the plan's default, which the help text names. (A flag's
// zero default would otherwise be indistinguishable from "not given", and the
// plan refuses fields given that the scenario or backends ignore.) The few
// fields whose zero means something are set by Finish, only when given.
type Flags struct {
	fs           *pflag.FlagSet
	p            *Plan
	precision    string
	outputTokens int
	prices       []string
	failWindow   time.Duration
	failRequests int
	maxErrorRate float64
	lengthHints  bool
	stream       bool
}

// BindFlags registers the plan's flags on fs, bound to p, in the order
// the help lists them; extra, when set, registers flags of the command's own
// after --seed.
func BindFlags(fs *pflag.FlagSet, p *Plan, extra func(*pflag.FlagSet)) *Flags {
	f := &Flags{fs: fs, p: p, precision: "bf16", failWindow: bench.DefaultFailFastWindow,
		failRequests: bench.DefaultFailFastRequests, maxErrorRate: bench.DefaultMaxErrorRate, lengthHints: true, stream: true}
	d := func(v *Duration) *time.Duration { return (*time.Duration)(v) }
	fs.StringArrayVar(&p.Backends, "backend", p.Backends, "backend spec, repeatable: noop, sim:PROFILE[?chips=N], http(s)://HOST:PORT/v1, nvml:N with --endpoint (default: every simulated profile)")
	fs.StringArrayVar(&f.prices, "price", nil, "price the runs: ID=USD_PER_CHIP_HOUR, ID a profile or backend id (repeatable; default fixtures/prices.json)")
	fs.StringVar(&p.Model, "model", p.Model, "model id (default: the workload's model, llama-3.1-8b)")
	fs.StringVar(&f.precision, "precision", f.precision, "numeric format: fp16, bf16, fp8, int8, w4a16, mxfp4, nvfp4 (FP4 chips) (NPUs default to w4a16 unless set)")
	fs.StringVar(&p.KVPrecision, "kv-precision", p.KVPrecision, "simulated devices: KV-cache format bf16, fp16, fp8 or int8 (default: fp8 with fp8 and nvfp4 weights on FP8 chips, else 16-bit)")
	fs.StringVar(&p.Workload, "workload", p.Workload, "embedded workload: prompt and completion length distributions")
	fs.IntVar(&p.InputTokens, "input-tokens", p.InputTokens, "fixed prompt length instead of the workload's distribution")
	fs.IntVar(&f.outputTokens, "output-tokens", 0, "fixed completion length instead of the workload's distribution")
	fs.StringVar(&p.Scenario, "scenario", p.Scenario, "how requests are issued: "+scenarioNames())
	fs.IntVar(&p.Concurrency, "concurrency", p.Concurrency, "closed loop: requests in flight (default 8)")
	fs.Float64Var(&p.Rate, "rate", p.Rate, "open loop: requests per second")
	fs.DurationVar(d(&p.Duration), "duration", p.Duration.Std(), "stop issuing after this long (virtual time on sim: backends; no limit when --requests is given alone) (default 1m0s)")
	fs.Int64Var(&p.Requests, "requests", p.Requests, "stop after this many requests (0: no limit)")
	fs.DurationVar(d(&p.Warmup), "warmup", p.Warmup.Std(), "exclude requests sent during this first stretch")
	fs.Uint64Var(&p.Seed, "seed", p.Seed, "seed for every random choice; same seed, same plan")
	if extra != nil {
		extra(fs)
	}
	fs.BoolVar(&p.Realtime, "realtime", p.Realtime, "simulated devices sleep in wall-clock time instead of running in virtual time")
	fs.Float64Var(&p.Burstiness, "burstiness", p.Burstiness, "gamma (and rate sweeps): gap shape; 1 = Poisson, below 1 burstier, above 1 more regular")
	fs.Float64SliceVar(&p.Rates, "rates", p.Rates, "sweep: rates in requests/s, e.g. 10,20,40 (one open-loop run each)")
	fs.IntSliceVar(&p.Concurrencies, "concurrencies", p.Concurrencies, "sweep: concurrencies, e.g. 1,2,4,8 (one closed-loop run each)")
	fs.StringArrayVar(&p.SLO, "slo", p.SLO, "objective METRIC-pPCT=DURATION, repeatable or comma-separated: latency|ttft|ttfo|tpot|itl|service (ttfo: the first answer token, after reasoning), e.g. latency-p99=500ms")
	fs.BoolVar(&p.EarlyStop, "early-stop", p.EarlyStop, "stop once the binomial rule (MLPerf early stopping) decides every --slo, after the minimums")
	fs.Float64Var(&p.Confidence, "confidence", p.Confidence, "confidence of early stopping and SLO verdicts (default 0.99)")
	fs.Float64Var(&p.CIWidth, "ci-width", p.CIWidth, "adaptive: stop once the 95% CI of --ci-of is narrower than this fraction of it (0.05 = ±2.5%)")
	fs.StringVar(&p.CIOf, "ci-of", p.CIOf, `the percentile --ci-width watches: METRIC-pPCT (default "latency-p99")`)
	fs.DurationVar(d(&p.MinDuration), "min-duration", p.MinDuration.Std(), "floor: no stopping rule ends the run earlier; alone, run until it and --min-requests are met")
	fs.Int64Var(&p.MinRequests, "min-requests", p.MinRequests, "floor: no stopping rule ends the run with fewer requests")
	fs.DurationVar(d(&p.LagBudget), "lag-budget", p.LagBudget.Std(), "open loop: the run is invalid (the harness was late) when schedule lag p99 exceeds both this and --lag-share of latency p50 (default 1ms)")
	fs.Float64Var(&p.LagShare, "lag-share", p.LagShare, "open loop: the fraction of latency p50 that schedule lag p99 may also reach before the run is invalid (see --lag-budget) (default 0.05)")
	fs.DurationVar(d(&p.MaxLag), "max-lag", p.MaxLag.Std(), "open loop: drop (count, never send) a request not sent within this of its schedule; 0 sends late")
	fs.DurationVar(&f.failWindow, "fail-fast-window", f.failWindow, "stop issuing and fail the run (exit 1, report kept) once every request for this long failed; 0 turns it off")
	fs.IntVar(&f.failRequests, "fail-fast-requests", f.failRequests, "stop issuing and fail the run (exit 1, report kept) once this many requests in a row failed; 0 turns it off")
	fs.IntVar(&p.Workers, "workers", p.Workers, "open loop: starting worker pool (default: one per CPU; grows by Little's law)")
	fs.IntVar(&p.MaxWorkers, "max-workers", p.MaxWorkers, "open loop: the most workers the pool grows to (default 4096)")
	fs.StringVar(&p.Shard, "shard", p.Shard, "run the i-th of N equal parts of the plan, e.g. 0/4 (merge the reports with inferbench merge)")
	bindReplayFlags(fs, p)
	r := &p.Remote
	fs.StringVar(&r.API, "api", r.API, `endpoints: chat (/chat/completions), completions (/completions) or responses (/responses) (default "chat")`)
	fs.StringVar(&r.Dialect, "dialect", r.Dialect, `endpoints: openai (Bearer token), azure (api-key header, api-version URL), anthropic (/messages, x-api-key), bedrock (ConverseStream, SigV4 from the AWS default chain), sagemaker (--model the endpoint name; TGI or LMI containers) or auto (from the URL) (default "auto")`)
	fs.StringVar(&r.Region, "region", r.Region, "endpoints: the AWS region the bedrock and sagemaker dialects sign for (default: $AWS_REGION)")
	fs.StringVar(&r.SageMakerBody, "sagemaker-body", r.SageMakerBody, `endpoints: the body the sagemaker dialect sends: tgi (inputs and parameters, TGI's generate schema, which LMI also reads) or chat (messages, the chat-completions schema TGI, vLLM and LMI read); every stream the container answers in is read (default "tgi")`)
	fs.StringVar(&r.APIKeyEnv, "api-key-env", r.APIKeyEnv, `endpoints: environment variable holding the API key (never reported) (default "OPENAI_API_KEY"; ANTHROPIC_API_KEY for anthropic)`)
	fs.StringArrayVar(&r.Headers, "header", r.Headers, "endpoints: extra request header K=V, repeatable")
	fs.StringVar(&r.CACert, "ca-cert", r.CACert, "endpoints: PEM file of CAs to trust for https")
	fs.DurationVar(d(&r.ConnectTimeout), "connect-timeout", r.ConnectTimeout.Std(), "endpoints: TCP and TLS connect timeout (default "+remote.DefaultConnectTimeout.String()+")")
	fs.DurationVar(d(&r.FirstTokenTimeout), "first-token-timeout", r.FirstTokenTimeout.Std(), "endpoints: give up on a request with no token after this long (default "+remote.DefaultFirstTokenTimeout.String()+")")
	fs.DurationVar(d(&r.RequestTimeout), "request-timeout", r.RequestTimeout.Std(), "endpoints: give up on a request after this long (default "+remote.DefaultRequestTimeout.String()+")")
	fs.StringVar(&r.Prompts, "prompts", r.Prompts, `endpoints: JSONL file of prompts ({"prompt": "..."} per line) instead of synthetic ones`)
	fs.BoolVar(&f.lengthHints, "length-hints", true, "endpoints: send ignore_eos and min_tokens so lengths are exact (default off for azure)")
	fs.BoolVar(&f.stream, "stream", true, "endpoints: stream tokens (--stream=false: whole responses)")
	fs.StringVar(&r.Transport, "transport", r.Transport, `endpoints: auto (h1 for http and https, net/http through a proxy), h1 or net/http (HTTP/2 where offered) (default "auto")`)
	fs.StringSliceVar(&p.GPUs, "telemetry", p.GPUs, "watch these GPUs through NVML during each run, e.g. nvml:0 or nvml:0,nvml:1 (index or UUID; see 'inferbench devices')")
	fs.DurationVar(d(&p.Interval), "telemetry-interval", p.Interval.Std(), "time between GPU telemetry readings (default "+nvml.DefaultInterval.String()+")")
	fs.StringVar(&p.Scrape, "scrape", p.Scrape, "sample this Prometheus /metrics URL during each run (vLLM, SGLang, TensorRT-LLM's /prometheus/metrics, TGI, Dynamo, inferbench serve): running and waiting requests, KV-cache use, prefix-cache hits, into the report's server_metrics (every --telemetry-interval, default 1s)")
	fs.StringVar(&p.Endpoint, "endpoint", p.Endpoint, "nvml:N backends: the inference server on that GPU that takes the load, e.g. http://localhost:8000/v1")
	fs.Float64Var(&f.maxErrorRate, "max-error-rate", f.maxErrorRate, "fail a run (exit 1, report still written) when more than this fraction of its requests fail; 0 fails on any error, 1 never")
	fs.BoolVar(&p.AllowInvalid, "allow-invalid", p.AllowInvalid, "exit 0 even when a run is invalid (its figures describe the harness, or it missed a floor); it stays marked invalid in every format")
	fs.DurationVar(d(&p.Grace), "grace", p.Grace.Std(), "after an interrupt (SIGINT/SIGTERM), let in-flight requests finish this long before writing the report (default 10s)")
	return f
}

// Finish sets the fields whose zero means something, when their flags were
// given, and refuses an explicit zero where the plan would read it as "the
// default": --concurrency 0 is a mistake, not a request for 8.
func (f *Flags) Finish() error {
	fs, p := f.fs, f.p
	for _, z := range []struct{ name, want string }{
		{"concurrency", "want at least 1"}, {"rate", "want a positive rate in requests/s"},
		{"input-tokens", "want at least 1 prompt token"}, {"grace", "want a positive duration"},
		{"telemetry-interval", "want a positive duration, e.g. 100ms"},
		{"connect-timeout", "want a positive duration like 5s or 2m"},
		{"first-token-timeout", "want a positive duration like 5s or 2m"},
		{"request-timeout", "want a positive duration like 5s or 2m"},
	} {
		if v := fs.Lookup(z.name).Value.String(); fs.Changed(z.name) && (v == "0" || v == "0s") {
			return inputf("--%s %s: %s", z.name, v, z.want)
		}
	}
	if fs.Changed("duration") && p.Duration == 0 && p.Requests == 0 {
		return inputf("--duration 0s: no limit: give a duration or a request count (--requests)")
	}
	if fs.Changed("api-key-env") && p.APIKeyEnv == "" {
		p.APIKeyEnv = NoAPIKey // --api-key-env "": send no key
	}
	if fs.Changed("precision") {
		p.Precision = f.precision
	}
	if fs.Changed("output-tokens") {
		p.OutputTokens = &f.outputTokens
	}
	if fs.Changed("fail-fast-window") {
		w := Duration(f.failWindow)
		p.FailFastWindow = &w
	}
	if fs.Changed("fail-fast-requests") {
		p.FailFastRequests = &f.failRequests
	}
	if fs.Changed("max-error-rate") {
		p.MaxErrorRate = &f.maxErrorRate
	}
	if fs.Changed("length-hints") {
		p.LengthHints = &f.lengthHints
	}
	if fs.Changed("stream") {
		p.Stream = &f.stream
	}
	if len(f.prices) > 0 {
		var pr report.Prices
		if err := pr.ParsePriceFlags(f.prices); err != nil {
			return &InputError{err}
		}
		if p.Prices == nil {
			p.Prices = map[string]float64{}
		}
		for id, usd := range pr.Overrides {
			p.Prices[id] = usd
		}
	}
	return nil
}

func scenarioNames() string {
	var s []string
	for _, sc := range bench.Scenarios() {
		s = append(s, string(sc))
	}
	return strings.Join(s, ", ")
}

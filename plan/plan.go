// Package plan is inferbench's library entry point: a Plan says what to
// measure (backends, workload, scenario, limits, endpoint settings,
// telemetry, pricing and how to judge the result) and Execute runs it into a
// report. `inferbench run` maps its flags to a Plan, a suite is Plans in JSON,
// and a user's `go test -bench` can execute one: they all measure alike.
//
// A Plan's JSON keys are the names of `inferbench run`'s flags, and its zero
// fields take the flags' defaults. An error about a field names it as the
// flag (--rate), which is also its key in a suite file.
package plan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Plan is one benchmark: every backend in Backends runs the same workload
// and scenario, one after another, into one report. Its groups are embedded,
// so their fields read as the Plan's own (p.Concurrency) and their JSON keys
// sit at the top level, as the flags do.
type Plan struct {
	// Backends are backend specs: noop, sim:PROFILE[?chips=N],
	// http(s)://HOST:PORT/v1, nvml:N (with Endpoint), oracle?ttft=...
	// None: every simulated profile.
	Backends []string `json:"backends,omitempty"`
	Work
	Load
	Limits
	Judgement
	Remote
	Telemetry
	Pricing
	Replay
	// Seed seeds every random choice: same seed, same plan. It is used as
	// given (the command line's default is 1).
	Seed uint64 `json:"seed,omitempty"`
	// Realtime makes simulated devices sleep in wall-clock time instead of
	// running in virtual time.
	Realtime bool `json:"realtime,omitempty"`
}

// Work is what each request asks for.
type Work struct {
	// Model is the model id; default the workload's (llama-3.1-8b for chat).
	// Without an endpoint among the backends its case is normalized to the
	// fixture id, so reports of one model pair up.
	Model string `json:"model,omitempty"`
	// Precision is the numeric format (fp16, bf16, fp8, int8, w4a16); ""
	// lets each backend choose (bf16, w4a16 on NPUs).
	Precision string `json:"precision,omitempty"`
	// KVPrecision is the KV cache's format on simulated devices (bf16, fp16,
	// fp8, int8); "": the precision's reference stack's.
	KVPrecision string `json:"kv-precision,omitempty"`
	// Workload is an embedded workload id: prompt and completion length
	// distributions (default chat).
	Workload string `json:"workload,omitempty"`
	// InputTokens fixes the prompt length (0: the workload's distribution).
	InputTokens int `json:"input-tokens,omitempty"`
	// OutputTokens fixes the completion length; nil keeps the workload's,
	// 0 is for encoders.
	OutputTokens *int `json:"output-tokens,omitempty"`
}

// Load is how requests are issued.
type Load struct {
	// Scenario is one of bench.Scenarios (default closed).
	Scenario string `json:"scenario,omitempty"`
	// Concurrency is the closed loop's requests in flight (default 8).
	Concurrency int `json:"concurrency,omitempty"`
	// Rate is an open loop's requests per second (max-rate: the first probe).
	Rate float64 `json:"rate,omitempty"`
	// Burstiness is the gamma gaps' shape: 1 = Poisson, below 1 burstier.
	Burstiness float64 `json:"burstiness,omitempty"`
	// Rates and Concurrencies are a sweep's points (one of them).
	Rates         []float64 `json:"rates,omitempty"`
	Concurrencies []int     `json:"concurrencies,omitempty"`
	// Workers and MaxWorkers size an open loop's pool (default one per CPU,
	// growing to 4096).
	Workers    int `json:"workers,omitempty"`
	MaxWorkers int `json:"max-workers,omitempty"`
	// MaxLag drops a request not sent within this of its schedule (0 sends
	// late).
	MaxLag Duration `json:"max-lag,omitempty"`
	// Shard runs the i-th of N equal parts of the plan ("0/4").
	Shard string `json:"shard,omitempty"`
}

// Limits say when a run stops.
type Limits struct {
	// Duration stops issuing after this long (virtual time on sim:); 0 is
	// 60s, or no limit when Requests is given.
	Duration Duration `json:"duration,omitempty"`
	// Requests stops after this many requests, warm-up included (0: none).
	Requests int64 `json:"requests,omitempty"`
	// Warmup excludes the requests sent during this first stretch.
	Warmup Duration `json:"warmup,omitempty"`
	// MinDuration and MinRequests are floors no stopping rule ends a run
	// before; alone, the run lasts until both are met.
	MinDuration Duration `json:"min-duration,omitempty"`
	MinRequests int64    `json:"min-requests,omitempty"`
	// EarlyStop stops once the binomial rule decides every SLO.
	EarlyStop bool `json:"early-stop,omitempty"`
	// CIWidth stops once the 95% CI of CIOf (default latency-p99) is narrower
	// than this fraction of it.
	CIWidth float64 `json:"ci-width,omitempty"`
	CIOf    string  `json:"ci-of,omitempty"`
	// FailFastWindow and FailFastRequests stop and fail a run once every
	// request for this long, or this many in a row, failed. nil takes the
	// defaults (bench.DefaultFailFastWindow, DefaultFailFastRequests); 0
	// turns that half of the rule off.
	FailFastWindow   *Duration `json:"fail-fast-window,omitempty"`
	FailFastRequests *int      `json:"fail-fast-requests,omitempty"`
	// Grace is how long in-flight requests may finish after an interrupt
	// (default 10s).
	Grace Duration `json:"grace,omitempty"`
}

// Judgement is what makes a run failed or invalid, and what it is held to.
type Judgement struct {
	// SLO are objectives METRIC-pPCT=DURATION (latency-p99=500ms): max-rate
	// searches against them, early stopping decides them.
	SLO []string `json:"slo,omitempty"`
	// Confidence of early stopping and SLO verdicts (default 0.99).
	Confidence float64 `json:"confidence,omitempty"`
	// LagBudget and LagShare: an open loop is invalid when its schedule lag
	// p99 exceeds both LagBudget (default 1ms) and LagShare (default 5%) of
	// latency p50.
	LagBudget Duration `json:"lag-budget,omitempty"`
	LagShare  float64  `json:"lag-share,omitempty"`
	// MaxErrorRate fails a run when more than this fraction of its requests
	// fail; nil is bench.DefaultMaxErrorRate (5%), 0 fails on any error.
	MaxErrorRate *float64 `json:"max-error-rate,omitempty"`
	// AllowInvalid accepts invalid runs (Judge returns no error for them);
	// they stay marked invalid.
	AllowInvalid bool `json:"allow-invalid,omitempty"`
}

// Remote are the settings of http(s):// backends (accel/remote.Config).
type Remote struct {
	API     string `json:"api,omitempty"`     // chat (default), completions or responses
	Dialect string `json:"dialect,omitempty"` // openai, azure, anthropic, bedrock, sagemaker or auto (default)
	// Region is the AWS region the bedrock and sagemaker dialects sign for (default
	// AWS_REGION); credentials come from the AWS default chain.
	Region string `json:"region,omitempty"`
	// SageMakerBody is the body the sagemaker dialect sends: tgi (inputs and
	// parameters, the default) or chat (messages).
	SageMakerBody string `json:"sagemaker-body,omitempty"`
	// APIKeyEnv names the variable holding the API key (default
	// OPENAI_API_KEY; AZURE_OPENAI_API_KEY for the azure dialect when that
	// one is empty; ANTHROPIC_API_KEY for anthropic). Given, it must be set;
	// NoAPIKey sends none.
	APIKeyEnv         string   `json:"api-key-env,omitempty"`
	Headers           []string `json:"header,omitempty"` // NAME=VALUE
	CACert            string   `json:"ca-cert,omitempty"`
	ConnectTimeout    Duration `json:"connect-timeout,omitempty"`
	FirstTokenTimeout Duration `json:"first-token-timeout,omitempty"`
	RequestTimeout    Duration `json:"request-timeout,omitempty"`
	// Prompts is a JSONL file of prompts instead of synthetic ones.
	Prompts string `json:"prompts,omitempty"`
	// LengthHints sends ignore_eos and min_tokens (nil: yes, except to
	// azure); Stream streams tokens (nil: yes).
	LengthHints *bool  `json:"length-hints,omitempty"`
	Stream      *bool  `json:"stream,omitempty"`
	Transport   string `json:"transport,omitempty"` // auto (default), h1 or net/http
}

// Telemetry is what real GPUs are watched during each run.
type Telemetry struct {
	// GPUs are nvml:INDEX or nvml:UUID specs read through NVML.
	GPUs []string `json:"telemetry,omitempty"`
	// Interval is the time between readings (default nvml.DefaultInterval).
	Interval Duration `json:"telemetry-interval,omitempty"`
	// Endpoint is the inference server that nvml:N backends send load to.
	Endpoint string `json:"endpoint,omitempty"`
	// Scrape is an inference server's Prometheus /metrics URL, sampled
	// during each run (every Interval, default 1s) into the report's
	// server_metrics.
	Scrape string `json:"scrape,omitempty"`
}

// Pricing prices the runs: USD per chip-hour by profile or backend id, over
// the embedded table (fixtures/prices.json).
type Pricing struct {
	Prices map[string]float64 `json:"price,omitempty"`
}

// Duration is a time.Duration that reads and writes as text ("60s") in
// JSON, as the flags take it.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration ("1m30s", "500ms").
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want a number with a unit, e.g. 500ms, 60s or 2m", b)
	}
	*d = Duration(v)
	return nil
}

// Decode reads a Plan from JSON, refusing unknown keys (a typo in a nightly
// plan must not be ignored). It decodes onto p, so keys absent from data
// keep p's values: a suite entry overlays its base this way. A list may be
// written as the flag takes it, comma-separated ("rates": "1,2,4").
func (p *Plan) Decode(data []byte) error {
	data, err := flagForms(data)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	return nil
}

// listKey says whether key's flag takes a list, and whether its string form
// is comma-separated (header values and backend URLs may hold commas: one
// string is one element).
func listKey(key string) (list, split bool) {
	switch key {
	case "rates", "concurrencies", "slo", "telemetry":
		return true, true
	case "header", "backends":
		return true, false
	}
	return false, false
}

// flagForms rewrites the flag forms of list values into JSON arrays.
func flagForms(data []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	changed := false
	for k, raw := range m {
		var s string
		list, split := listKey(k)
		if !list || json.Unmarshal(raw, &s) != nil {
			continue
		}
		parts := []string{s}
		if split {
			parts = strings.Split(s, ",")
		}
		elems := make([]any, len(parts))
		for i, e := range parts {
			elems[i] = strings.TrimSpace(e)
			if k == "rates" || k == "concurrencies" {
				f, err := strconv.ParseFloat(strings.TrimSpace(e), 64)
				if err != nil {
					return nil, fmt.Errorf("plan: --%s %q: want numbers separated by commas, e.g. 1,2,4", k, s)
				}
				elems[i] = f
			}
		}
		m[k], _ = json.Marshal(elems)
		changed = true
	}
	if !changed {
		return data, nil
	}
	return json.Marshal(m)
}

// Args returns the plan as `inferbench run` flags, in the plan's field
// order: what a suite's --list prints, and what runs the same plan from a
// shell. Lists are comma-separated, except backends, headers and SLOs
// (repeated flags, as they are given); prices are one --price ID=USD each.
func (p Plan) Args() []string {
	b, _ := json.Marshal(p)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.Token() // {
	var args []string
	for dec.More() {
		tok, _ := dec.Token()
		key := tok.(string)
		var raw json.RawMessage
		dec.Decode(&raw)
		switch key {
		case "backends", "header", "slo":
			var vs []string
			json.Unmarshal(raw, &vs)
			for _, v := range vs {
				args = append(args, "--"+strings.TrimSuffix(key, "s")+"="+v)
			}
		case "price":
			var m map[string]float64
			json.Unmarshal(raw, &m)
			ids := make([]string, 0, len(m))
			for id := range m {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				args = append(args, "--price="+id+"="+strconv.FormatFloat(m[id], 'f', -1, 64))
			}
		default:
			args = append(args, "--"+key+"="+flagValue(raw))
		}
	}
	return args
}

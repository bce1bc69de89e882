package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Schema is the schema id this package writes. Readers accept any minor change
// of major version 1 and ignore fields they do not know.
const Schema = "inferbench.report/v1"

// Report is one invocation's results.
type Report struct {
	Schema  string    `json:"schema"`
	Created time.Time `json:"created"`
	Tool    Tool      `json:"tool"`
	Host    Host      `json:"host"`
	Config  Config    `json:"config"`
	// Fingerprint identifies the machine and software (see Fingerprint).
	Fingerprint *Fingerprint `json:"fingerprint,omitempty"`
	Runs        []Run        `json:"runs"`
	Interrupted bool         `json:"interrupted,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Version string `json:"version"`
	Go      string `json:"go"`
}

// Host describes the machine the harness ran on.
type Host struct {
	OS    string `json:"os"`
	Arch  string `json:"arch"`
	CPU   string `json:"cpu"`
	Cores int    `json:"cores"`
}

// Config is the exact configuration of the invocation (secrets redacted).
type Config struct {
	Backends     []string `json:"backends"`
	Model        string   `json:"model"`
	Precision    string   `json:"precision,omitempty"`
	Workload     string   `json:"workload,omitempty"`
	InputTokens  int      `json:"input_tokens,omitempty"`
	OutputTokens int      `json:"output_tokens,omitempty"`
	Scenario     string   `json:"scenario"`
	Concurrency  int      `json:"concurrency,omitempty"`
	Rate         float64  `json:"rate,omitempty"`
	Duration     string   `json:"duration,omitempty"`
	Requests     int64    `json:"requests,omitempty"`
	Warmup       string   `json:"warmup,omitempty"`
	Realtime     bool     `json:"realtime,omitempty"`
	Seed         uint64   `json:"seed"`
}

// Run is one backend's results.
type Run struct {
	// Label names the run within a suite (workload/scenario/repetition).
	Label      string     `json:"label,omitempty"`
	Backend    Backend    `json:"backend"`
	Workload   Workload   `json:"workload"`
	Scenario   Scenario   `json:"scenario"`
	Counts     Counts     `json:"counts"`
	DurationS  float64    `json:"duration_s"`
	Throughput Throughput `json:"throughput"`
	Latency    Summary    `json:"latency_ms"`
	// TTFO is the time to the first output-text token, after any
	// reasoning; present when a run's answers had reasoning.
	TTFO    *Summary `json:"ttfo_ms,omitempty"`
	TTFT    Summary  `json:"ttft_ms"`
	TPOT    Summary  `json:"tpot_ms"`
	ITL     Summary  `json:"itl_ms"`
	Service *Summary `json:"service_ms,omitempty"`
	Lag     *Summary `json:"schedule_lag_ms,omitempty"`
	// Histograms holds each summary's HDR histogram (nanoseconds), compressed
	// and base64-encoded, so reports can be merged and re-queried exactly.
	Histograms map[string]string `json:"histograms"`
	Energy     *Energy           `json:"energy,omitempty"`
	// Telemetry is what the hardware did during the run (see telemetry.go).
	Telemetry *Telemetry `json:"telemetry,omitempty"`
	// ServerMetrics is what the server's /metrics said during the run
	// (--scrape; see servermetrics.go).
	ServerMetrics *ServerMetrics `json:"server_metrics,omitempty"`
	// Cost is what the run's hardware costs to rent (see cost.go).
	Cost *Cost `json:"cost,omitempty"`
	// Trace, TTFTByTurn and PrefixCache are production traffic's: the
	// trace replayed, TTFT by a session's turn, what a simulated device's
	// prefix cache served (see replay.go).
	Trace       *TraceRun    `json:"trace,omitempty"`
	TTFTByTurn  []TurnTTFT   `json:"ttft_by_turn,omitempty"`
	PrefixCache *PrefixCache `json:"prefix_cache,omitempty"`
	// Valid is false when the numbers describe the harness rather than the
	// backend (late or dropped sends, a full worker pool) or the run missed
	// its floors; InvalidReasons says why.
	Valid          bool     `json:"valid"`
	InvalidReasons []string `json:"invalid_reasons,omitempty"`
	// ValidityRule states the rule Valid was judged by, in words (e.g. how
	// much schedule lag an open loop may have), so a reader can check it.
	ValidityRule string `json:"validity_rule,omitempty"`
	// Failed says the system under test failed the run: no request completed,
	// or its error rate was above --max-error-rate (FailReason says by how
	// much). The numbers stand, but no regression gate or baseline takes them.
	Failed     bool   `json:"failed,omitempty"`
	FailReason string `json:"fail_reason,omitempty"`
	// Interrupted says the run was stopped by a signal before its limits; it
	// holds what completed until then.
	Interrupted bool `json:"interrupted,omitempty"`
	// Warnings are facts that do not invalidate the numbers but change what
	// they mean, e.g. a workload not served as labelled (short outputs, a
	// served prompt length far from the requested one). One line each.
	Warnings []string `json:"warnings,omitempty"`
}

// Backend identifies what was measured.
type Backend struct {
	ID   string     `json:"id"`
	Kind accel.Kind `json:"kind"`
	Info Info       `json:"info"`
}

// Info is what a backend said about itself (accel.Info), as the report
// writes it. It is the schema's own type, not accel.Info embedded, so that a
// field or tag changed in accel does not change the wire format: FromBench
// copies the fields across (infoOf), and a new accel field reaches reports
// only when it is added here.
type Info struct {
	ID      string     `json:"id"`                // the canonical spec, e.g. "sim:inf2?chips=12"
	Kind    accel.Kind `json:"kind"`              // simulated, nvml, remote, noop
	Name    string     `json:"name,omitempty"`    // human name, e.g. "NVIDIA H100 SXM5 80GB"
	Vendor  string     `json:"vendor,omitempty"`  // NVIDIA, AWS, Qualcomm...
	Profile string     `json:"profile,omitempty"` // simulated profile id, or the one a real device matches
	Chips   int        `json:"chips,omitempty"`   // chips the model is split over (tensor parallel)
	// Precision is the numeric format the backend serves the model in.
	Precision string `json:"precision,omitempty"`
	// Per-chip peak figures (dense).
	PeakTFLOPS16     float64 `json:"peak_tflops_16bit,omitempty"`
	PeakTFLOPS8      float64 `json:"peak_tflops_8bit,omitempty"`
	MemoryBytes      int64   `json:"memory_bytes,omitempty"`
	MemBandwidthGBps float64 `json:"mem_bandwidth_gbps,omitempty"`
	TDPWatts         float64 `json:"tdp_watts,omitempty"`
	// Extra holds backend-specific facts (driver version, endpoint dialect...).
	Extra map[string]string `json:"extra,omitempty"`
}

// InfoOf is the report's copy of what a backend says about itself.
func InfoOf(i accel.Info) Info {
	return Info{
		ID: i.ID, Kind: i.Kind, Name: i.Name, Vendor: i.Vendor, Profile: i.Profile, Chips: i.Chips,
		Precision: i.Precision, PeakTFLOPS16: i.PeakTFLOPS16, PeakTFLOPS8: i.PeakTFLOPS8,
		MemoryBytes: i.MemoryBytes, MemBandwidthGBps: i.MemBandwidthGBps, TDPWatts: i.TDPWatts,
		Extra: maps.Clone(i.Extra),
	}
}

// Workload is the request mix.
type Workload struct {
	Name             string  `json:"name,omitempty"`
	Model            string  `json:"model"`
	Precision        string  `json:"precision"`
	MeanInputTokens  float64 `json:"mean_input_tokens"`
	MeanOutputTokens float64 `json:"mean_output_tokens"`
	// MeanReasoningTokens is the part of MeanOutputTokens that was a
	// reasoning model's thinking; absent for none.
	MeanReasoningTokens float64 `json:"mean_reasoning_tokens,omitempty"`
	// OutputTokensCounted says how output tokens were counted: exact, usage or chunks.
	OutputTokensCounted accel.TokenCount `json:"output_tokens_counted,omitempty"`
	// MeanInputTokens is what the server says it read where it says
	// (InputTokensCounted: usage, requested or mixed); the requested means
	// are what the workload asked for, so a run whose server read another
	// prompt length or stopped early shows against its label.
	InputTokensCounted        accel.TokenCount `json:"input_tokens_counted,omitempty"`
	RequestedMeanInputTokens  float64          `json:"requested_mean_input_tokens,omitempty"`
	RequestedMeanOutputTokens float64          `json:"requested_mean_output_tokens,omitempty"`
}

// Scenario is how the load was issued.
type Scenario struct {
	Name        string  `json:"name"`
	Concurrency int     `json:"concurrency,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	Virtual     bool    `json:"virtual_time"`
	// Load generator details (bench.Config and bench.Result).
	Burstiness float64  `json:"burstiness,omitempty"`
	Shard      string   `json:"shard,omitempty"`   // "i/N" of a sharded plan
	Workers    int      `json:"workers,omitempty"` // the pool the run ended with
	Stopped    string   `json:"stopped,omitempty"` // why a stopping rule ended it
	SLO        []SLO    `json:"slo,omitempty"`
	MaxRate    *float64 `json:"max_rate,omitempty"` // max-rate: the highest passing rate (on the search's chosen run)
}

// SLO is one objective's outcome on a run.
type SLO struct {
	Objective  string  `json:"objective"` // e.g. latency-p99=500ms
	ObservedMS float64 `json:"observed_ms"`
	Met        bool    `json:"met"`
	// Verdict is MLPerf's early-stopping rule at the run's confidence:
	// met, missed, or undecided (too few requests to say).
	Verdict string `json:"verdict"`
}

// Counts are the request tallies after warm-up.
type Counts struct {
	Requests      int64             `json:"requests"`
	Completed     int64             `json:"completed"`
	Errors        int64             `json:"errors"`
	Dropped       int64             `json:"dropped"`
	Late          int64             `json:"late,omitempty"` // sent later than the lag budget
	ErrorsByClass map[string]int64  `json:"errors_by_class,omitempty"`
	ErrorExamples map[string]string `json:"error_examples,omitempty"`
	// Clamped counts values outside the histogram range, recorded at its bounds.
	Clamped int64 `json:"clamped,omitempty"`
	// FinishReasons counts completed requests by why generation stopped
	// (stop, length, content_filter, tool_calls, other), where the backend
	// said; ShortOutputs counts completed requests that returned fewer
	// output tokens than they asked for.
	FinishReasons map[string]int64 `json:"finish_reasons,omitempty"`
	ShortOutputs  int64            `json:"short_outputs,omitempty"`
}

// Throughput is completed work per second of the measurement window.
type Throughput struct {
	RequestsPerS     float64 `json:"requests_per_s"`
	OutputTokensPerS float64 `json:"output_tokens_per_s"`
	InputTokensPerS  float64 `json:"input_tokens_per_s"`
}

// Energy is what the device used during the run.
type Energy struct {
	Joules               float64 `json:"joules"`
	JoulesPerRequest     float64 `json:"joules_per_request"`
	JoulesPerOutputToken float64 `json:"joules_per_output_token"`
	AvgPowerW            float64 `json:"avg_power_w"`
	PeakPowerW           float64 `json:"peak_power_w"`
	// Source says where the figures came from: "simulated" (power model) or
	// "nvml" (the GPU's counters).
	Source string `json:"source"`
	// Devices and Basis say what a merged run's figures add up (set by Merge,
	// empty on a single run): how many distinct devices its shards ran on, and
	// in words what was summed, what was counted once (a device shared by
	// shards) and whether peak_power_w is exact or an upper bound.
	Devices int    `json:"devices,omitempty"`
	Basis   string `json:"basis,omitempty"`
}

// ErrSchema is wrapped by every error about a document that is not a readable
// report: corrupt JSON, a missing or unknown schema.
var ErrSchema = errors.New("not a readable inferbench report")

// Decode reads a report, tolerating unknown fields. A document that is not JSON,
// has no schema, or has a major version other than 1 is an error wrapping
// ErrSchema.
func Decode(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	if rep.Schema == "" {
		return nil, fmt.Errorf("%w: no \"schema\" field (want %q)", ErrSchema, Schema)
	}
	if !strings.HasPrefix(rep.Schema, "inferbench.report/v1") || (len(rep.Schema) > len(Schema) && rep.Schema[len(Schema)] != '.') {
		return nil, fmt.Errorf("%w: schema %q: this build reads %s", ErrSchema, rep.Schema, Schema)
	}
	return &rep, nil
}

// ReadFile decodes the report in a file; the error names the file.
func ReadFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// Encode writes r as indented JSON.
func (r *Report) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// New starts a report for this host and tool.
func New(version string, cfg Config) *Report {
	return &Report{
		Schema: Schema, Created: time.Now().UTC().Truncate(time.Second),
		Tool: Tool{Version: version, Go: runtime.Version()},
		Host: ThisHost(), Config: cfg,
	}
}

// ThisHost describes the machine the program runs on.
func ThisHost() Host {
	h := Host{OS: runtime.GOOS, Arch: runtime.GOARCH, Cores: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return h
}

package plan

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/trace"
)

// Replay is production traffic: a trace file replayed at its timestamps
// (--scenario replay), or read as a length distribution by any other
// scenario, and the simulator's prefix cache.
type Replay struct {
	// Trace is a trace file (Azure CSV, Mooncake JSONL or BurstGPT CSV)
	// instead of the workload's distributions; a trace workload (azure-conv)
	// brings its own.
	Trace string `json:"trace,omitempty"`
	// TraceFormat is azure, mooncake or burstgpt ("" or auto: detected).
	TraceFormat string `json:"trace-format,omitempty"`
	// Speedup compresses a replay's time: 10 issues an hour's trace in six
	// minutes (0: 1, as recorded).
	Speedup float64 `json:"speedup,omitempty"`
	// PrefixCache keeps simulated devices' prefix cache (nil: on); false
	// runs them without, for comparison.
	PrefixCache *bool `json:"prefix-cache,omitempty"`
}

// bindReplayFlags registers Replay's flags on fs, bound to p.
func bindReplayFlags(fs *pflag.FlagSet, p *Plan) {
	r := &p.Replay
	fs.StringVar(&r.Trace, "trace", r.Trace, "trace file to replay (--scenario replay) or draw lengths from: Azure CSV, Mooncake JSONL or BurstGPT CSV, streamed")
	fs.StringVar(&r.TraceFormat, "trace-format", r.TraceFormat, `--trace's format: azure, mooncake or burstgpt (default "auto": detected)`)
	fs.Float64Var(&r.Speedup, "speedup", r.Speedup, "replay: compress trace time by this factor; --duration counts after it (default 1)")
	fs.Var(optBool{&r.PrefixCache}, "prefix-cache", "simulated devices keep a prefix cache of KV blocks; --prefix-cache=false runs without, for comparison (default true)")
	fs.Lookup("prefix-cache").NoOptDefVal = "true"
}

// optBool is a bool flag whose field stays nil until the flag is given, so
// the plan's default (on) is not written over by the flag's.
type optBool struct{ p **bool }

func (o optBool) String() string {
	if o.p == nil || *o.p == nil {
		return "" // not given: the usage text names the default
	}
	return strconv.FormatBool(**o.p)
}

func (o optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*o.p = &v
	return nil
}

func (o optBool) Type() string     { return "bool" }
func (o optBool) IsBoolFlag() bool { return true }

// traceWorkload names the workload of a plan with --trace after the file,
// so a report says its mix was the trace's, not the workload's.
func (p *Plan) traceWorkload(wl fixtures.Workload) fixtures.Workload {
	if p.Trace == "" {
		return wl
	}
	return fixtures.Workload{
		ID: "trace:" + filepath.Base(p.Trace), About: "the requests of trace " + p.Trace,
		Model: wl.Model, Input: wl.Input, Output: wl.Output,
	}
}

// replayConfig gives the load generator the plan's trace, from --trace or
// a trace workload, and refuses replay fields that would be ignored.
func (p *Plan) replayConfig(cfg *bench.Config) error {
	if p.Speedup != 0 && cfg.Scenario != bench.Replay {
		return inputf("--speedup does not apply to --scenario %s; it compresses a trace's time in --scenario replay", cfg.Scenario)
	}
	if !(p.Speedup >= 0) {
		return inputf("--speedup %v: want a positive factor, e.g. 10 to replay an hour in six minutes", p.Speedup)
	}
	cfg.Speedup = p.Speedup
	format, err := trace.ParseFormat(p.TraceFormat)
	if err != nil {
		return &InputError{err}
	}
	wl, err := fixtures.LookupWorkload(p.Workload)
	if err != nil {
		return &InputError{err}
	}
	switch {
	case p.Trace != "":
		if _, err := os.Stat(p.Trace); err != nil {
			return inputf("--trace %s: %v", p.Trace, err)
		}
		path := p.Trace
		cfg.Trace = &bench.Trace{Name: path, Format: format, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	case p.TraceFormat != "":
		return inputf("--trace-format %s without --trace: the format is of a trace file", p.TraceFormat)
	case wl.Trace != "":
		cfg.Trace = &bench.Trace{Name: wl.ID, Format: trace.Azure, Open: wl.OpenTrace, Attribution: wl.Attribution}
	}
	if p.Trace == "" {
		if err := shapeConfig(cfg, wl); err != nil {
			return err
		}
	}
	if cfg.Trace != nil && (p.InputTokens != 0 || p.OutputTokens != nil) {
		return inputf("--input-tokens and --output-tokens do not apply to a trace (%s): it gives every request's lengths", cfg.Trace.Name)
	}
	if cfg.Scenario == bench.Replay && cfg.Trace == nil {
		return inputf("--scenario replay needs a trace: --workload azure-conv or azure-code, or --trace FILE (valid formats: %s)", strings.Join(formatNames(), ", "))
	}
	return nil
}

func formatNames() []string {
	var s []string
	for _, f := range trace.Formats() {
		s = append(s, string(f))
	}
	return s
}

// shapeConfig gives the load generator a workload kind's shape: shared
// prefixes or sessions.
func shapeConfig(cfg *bench.Config, wl fixtures.Workload) error {
	switch wl.Kind {
	case fixtures.SharedPrefixKind:
		cfg.SharedPrefix = bench.SharedPrefix{Groups: wl.Groups, Tokens: wl.PrefixTokens}
	case fixtures.SessionsKind:
		think, err := time.ParseDuration(wl.ThinkTime)
		if err != nil {
			return inputf("workload %s: think_time %q: want a duration, e.g. 5s", wl.ID, wl.ThinkTime)
		}
		cfg.Sessions = bench.Sessions{Turns: wl.Turns, Think: think, TurnTokens: wl.TurnTokens}
	}
	return nil
}

package plan

import (
	"strconv"

	"github.com/spf13/pflag"
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
		return "true"
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

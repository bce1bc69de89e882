// Package accel defines one accelerator, real or simulated, that serves inference
// requests, behind one interface: a Backend.
//
// The load generator (package bench) owns the request and result objects and reuses
// them for every call, so a Backend must not keep a reference to either after Infer
// returns and must not allocate per call on its fast path.
//
// Backends that can run in virtual time (simulated devices) also implement Virtual:
// the load generator then hands them its arrival plan and they serve it without
// sleeping, so a simulated hour takes milliseconds and is byte-identical for a seed.
// One opened for wall-clock time (Options.Realtime) says so (Clock), and AsVirtual,
// which the load generator asks, is then false. Other capabilities are declared the
// same way, as interfaces a caller asks for: EnergyMeter, Telemetry, Observer.
package accel

import (
	"context"
	"time"
)

// Kind says what sort of thing answers a backend's requests.
type Kind string

// The kinds of backend.
const (
	KindSimulated Kind = "simulated" // a performance model of a device (accel/sim)
	KindNVML      Kind = "nvml"      // a real NVIDIA GPU watched through NVML (accel/nvml)
	KindRemote    Kind = "remote"    // an inference endpoint over HTTP (accel/remote)
	KindNoop      Kind = "noop"      // returns at once: the harness's own overhead
)

// Backend is one accelerator that serves inference requests.
type Backend interface {
	// Info describes the backend: identity, kind and peak specs.
	Info() Info
	// Infer serves one request and fills res. The caller owns req and res and reuses
	// them; an implementation must not retain them. An error is also classified in
	// res.Class so the load generator can count it without inspecting the error.
	Infer(ctx context.Context, req *Request, res *Result) error
	// Close releases what the backend holds. It is safe to call once.
	Close() error
}

// Request is one inference request. Its fields are plain values so the load
// generator can refill one preallocated Request per worker without allocating.
type Request struct {
	// Seq is the request's place in the run's arrival plan. Backends that
	// synthesise prompts derive them from it, so prompts are deterministic for a seed.
	Seq uint64
	// Model and Precision name the model fixture and the numeric format.
	Model     string
	Precision string
	// Batch is the number of identical sequences in the request (0 means 1). The
	// load generator sends batch 1; `inferbench simulate --batch` uses more.
	Batch int
	// InputTokens and OutputTokens are the requested prompt and completion lengths.
	InputTokens  int
	OutputTokens int
	// Prompt, when not empty, is sent as is instead of a synthetic prompt.
	Prompt string
	// Prefix names the prompt's leading blocks of PrefixBlock tokens each
	// (a trace's hash_ids, a shared-prefix group's, a session's history):
	// requests with equal ids there have byte-identical prompts there, so a
	// prefix cache, a server's or the simulator's, sees their reuse. The
	// rest of the prompt is the request's own. The load generator reuses
	// the slice after Infer returns (or the request is done in virtual time).
	Prefix      []uint64
	PrefixBlock int
	// Turn is the request's turn in a multi-turn session (0: the first, or
	// no session).
	Turn int
	// OnToken, when set, is called as each output token is produced, with the
	// token's index (0-based). Serving paths (inferbench serve) stream with it; the
	// load generator leaves it nil.
	OnToken func(index int)
}

// Result is what one request measured. Durations are from the moment the request
// was sent to the backend (service time); the load generator adds the schedule lag
// for open-loop latency.
type Result struct {
	// TTFT is the time to the first output token (an encoder: the whole pass).
	TTFT time.Duration
	// TTFO is the time to the first token of the answer itself, after any
	// reasoning (a reasoning model thinks first: TTFT is its first token of
	// any kind). 0 means the backend does not tell reasoning from answer, so
	// TTFO is TTFT.
	TTFO time.Duration
	// Latency is the time to the last token: the request's service time.
	Latency time.Duration
	// OutputTokens is how many tokens came back.
	OutputTokens int
	// Counted says where OutputTokens came from.
	Counted TokenCount
	// ReasoningTokens is how many of OutputTokens were reasoning (the
	// server's usage where it says, else one per reasoning chunk); 0 for
	// none or a model that does not reason.
	ReasoningTokens int
	// InputTokens is the prompt length the server says it served (an OpenAI
	// server's usage.prompt_tokens, chat template included), 0 when the
	// backend does not know it; the load generator then counts the requested
	// length.
	InputTokens int
	// FinishReason is why generation stopped, one of the Finish constants
	// (never text from the wire, so setting it allocates nothing), or "" when
	// the backend does not say.
	FinishReason string
	// NoTokenTimes says the output tokens were not timed one by one: the answer
	// came whole (a non-streamed response, or a stream whose text came in one
	// chunk), so TTFT is the time to all of it, and TPOT and inter-token gaps
	// are unknown rather than zero.
	NoTokenTimes bool
	// NoTTFT says the first token was not timed either: the answer was not
	// streamed, so the time to it is the time to all of it, which is no
	// time to first token (a server's TTFT may be a tenth of it). TTFT is
	// then left out of the figures, not recorded as the latency.
	NoTTFT bool
	// Gaps, set by the caller, receives every inter-token gap. It may be nil.
	Gaps GapRecorder
	// Class is the error class when the request failed, ClassNone otherwise.
	Class ErrClass
}

// Reset clears a result for reuse, keeping its Gaps recorder.
func (r *Result) Reset() {
	g := r.Gaps
	*r = Result{Gaps: g}
}

// TokenCount says how a result's tokens were counted.
type TokenCount string

// The ways tokens are counted.
const (
	CountedExact  TokenCount = "exact"  // the backend produced exactly these (simulated, noop)
	CountedUsage  TokenCount = "usage"  // the server's final usage block
	CountedChunks TokenCount = "chunks" // one per streamed content chunk
	// Input tokens are counted from usage when the server reports them, and
	// otherwise are the requested length.
	CountedRequested TokenCount = "requested" // as asked: the backend did not say what it served
	CountedMixed     TokenCount = "mixed"     // some requests' counts came one way, some another
)

// The reasons a backend stops generating, as OpenAI names them. A Result
// holds one of these constants, so a backend sets FinishReason without
// allocating; a reason the backend's protocol names otherwise maps to the
// nearest (TGI's eos_token is stop) or to FinishOther.
const (
	FinishStop          = "stop"           // the model ended: end-of-sequence or a stop string
	FinishLength        = "length"         // the token limit (max_tokens) was reached
	FinishContentFilter = "content_filter" // a filter cut the answer
	FinishToolCalls     = "tool_calls"     // the model called a tool
	FinishOther         = "other"          // a reason not listed here
)

// GapRecorder receives inter-token gaps. The load generator passes its per-worker
// histogram so gaps are recorded without a slice that grows.
type GapRecorder interface {
	RecordGap(d time.Duration)
}

// Info describes a backend: who it is and what its hardware can do at peak.
type Info struct {
	ID      string `json:"id"`                // the canonical spec, e.g. "sim:inf2?chips=12"
	Kind    Kind   `json:"kind"`              // simulated, nvml, remote, noop
	Name    string `json:"name,omitempty"`    // human name, e.g. "NVIDIA H100 SXM5 80GB"
	Vendor  string `json:"vendor,omitempty"`  // NVIDIA, AWS, Qualcomm...
	Profile string `json:"profile,omitempty"` // simulated profile id, or the one a real device matches
	Chips   int    `json:"chips,omitempty"`   // chips the model is split over (tensor parallel)
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

// Energy is cumulative energy accounting since a backend was opened.
type Energy struct {
	Joules  float64       // energy used
	Elapsed time.Duration // over this much (device) time
	PeakW   float64       // highest power seen
}

// EnergyMeter is implemented by backends that account their own energy, as a
// simulated device's power model does. Real GPUs report through Telemetry instead.
type EnergyMeter interface {
	Energy() Energy
}

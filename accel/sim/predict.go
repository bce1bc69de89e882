package sim

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Scenario is one configuration for Predict: no load generator, every request
// arriving at t=0, for capacity planning and calibration.
type Scenario struct {
	Profile   string
	Chips     int // 0: the fewest chips that hold the model
	Model     string
	Precision string // "": the profile's usual precision
	// KVPrecision is the KV cache's format ("": the precision's usual one).
	KVPrecision string
	// Batch is a static batch: Batch identical requests starting together.
	// Ignored when Requests is set.
	Batch int
	// Requests, when positive, is an offline run: that many requests at t=0,
	// served with continuous batching up to memory capacity.
	Requests     int
	InputTokens  int
	OutputTokens int
}

// Validate checks a scenario's numbers; the errors name the bad value and the
// valid range. Profile, model and precision are checked by Predict, whose
// errors list the valid names.
func (s Scenario) Validate() error {
	switch {
	case s.Chips < 0 || s.Chips > 64:
		return fmt.Errorf("chips %d: want 1 to 64, or 0 for the fewest that hold the model", s.Chips)
	case s.Requests < 0:
		return fmt.Errorf("requests %d: want a positive count (or none for a static batch)", s.Requests)
	case s.Requests == 0 && s.Batch < 1:
		return fmt.Errorf("batch %d: want at least 1", s.Batch)
	case s.InputTokens < 1:
		return fmt.Errorf("input tokens %d: want at least 1", s.InputTokens)
	case s.OutputTokens < 0:
		return fmt.Errorf("output tokens %d: want 0 (encoders) or more", s.OutputTokens)
	}
	return nil
}

// Prediction is what the model predicts for a Scenario. Times are means over
// requests, in milliseconds; rates are aggregates over the whole run.
type Prediction struct {
	Profile      string `json:"profile"`
	Chips        int    `json:"chips"`
	Model        string `json:"model"`
	Precision    string `json:"precision"`
	Mode         string `json:"mode"` // "latency" (static batch) or "offline"
	Requests     int    `json:"requests"`
	InputTokens  int    `json:"input_tokens"`
	OutputTokens int    `json:"output_tokens"`

	TTFTms float64 `json:"ttft_ms"` // mean time to first token (an encoder: the whole pass)
	// TPOTms is the mean decode step a request saw: (e2e − TTFT) / (output − 1).
	TPOTms  float64 `json:"tpot_ms"`
	E2Ems   float64 `json:"e2e_ms"`
	TTFTP99 float64 `json:"ttft_p99_ms"`
	E2EP99  float64 `json:"e2e_p99_ms"`

	OutputTokensPerS float64 `json:"output_tokens_per_s"`
	RequestsPerS     float64 `json:"requests_per_s"`
	MakespanMs       float64 `json:"makespan_ms"`
	MaxBatch         int     `json:"max_batch"` // most sequences on the device at once
	// Bound says what limits each phase: "compute" or "memory".
	Bound map[string]string `json:"bound"`

	JoulesPerOutputToken float64 `json:"joules_per_output_token"`
	JoulesPerRequest     float64 `json:"joules_per_request"`
	AvgPowerW            float64 `json:"avg_power_w"`

	WeightsGB        float64 `json:"weights_gb"`
	KVCapacityTokens float64 `json:"kv_capacity_tokens"`
	Rejected         int     `json:"rejected"`

	// KVBytes is the KV cache's element size; Ranks the tensor-parallel
	// degree in execution units; KVReplication the copies of each KV head
	// the ranks hold.
	KVBytes       float64 `json:"kv_bytes"`
	Ranks         int     `json:"ranks"`
	KVReplication float64 `json:"kv_replication"`
	// Parameters are the figures of the model that are not datasheet
	// numbers (efficiencies, overheads, power), each with its source.
	Parameters map[string]Parameter `json:"parameters"`
}

// Parameter is one model figure and where it comes from.
type Parameter struct {
	Value  float64 `json:"value"`
	Source string  `json:"source"`
}

// Parameters returns a profile's model figures that are not datasheet
// numbers, each with its source: the efficiencies per class of operation,
// the fixed costs, and the power model's figures (power.*).
func Parameters(p Profile) map[string]Parameter {
	e := ProfileEfficiencies(p)
	src := func(field string) string { return p.Sources[field] }
	out := map[string]Parameter{
		"eff_prefill_matmul":      {p.EffPrefillMatmul, src("eff_prefill_matmul")},
		"eff_prefill_matmul_tp":   {max(p.EffPrefillMatmulTP, 0), src("eff_prefill_matmul_tp")},
		"eff_decode_matmul":       {p.EffDecodeMatmul, src("eff_decode_matmul")},
		"eff_attention":           {p.EffAttention, src("eff_attention")},
		"eff_kv":                  {e.KV, src("eff_kv")},
		"eff_elementwise":         {p.EffElementwise, src("eff_elementwise")},
		"step_overhead_us":        {p.StepOverheadUS, src("step_overhead_us")},
		"first_token_overhead_us": {p.FirstTokenOverheadUS, src("first_token_overhead_us")},
		"link_latency_us":         {p.LinkLatencyUS, src("link_latency_us")},
		"cores":                   {float64(max(p.Cores, 1)), src("cores")},
	}
	pm := PowerModel(p)
	for name, v := range map[string]float64{"idle_w": pm.IdleW, "compute_w": pm.ComputeW, "memory_w": pm.MemoryW, "wait_w": pm.WaitW} {
		s := pm.Sources[name]
		if s == "" {
			s = pm.Basis
		}
		out["power."+name] = Parameter{v, s}
	}
	return out
}

// Metric returns a prediction's value by its JSON name, for calibration files.
func (p *Prediction) Metric(name string) (float64, error) {
	switch name {
	case "ttft_ms":
		return p.TTFTms, nil
	case "tpot_ms":
		return p.TPOTms, nil
	case "e2e_ms":
		return p.E2Ems, nil
	case "output_tokens_per_s":
		return p.OutputTokensPerS, nil
	case "requests_per_s":
		return p.RequestsPerS, nil
	case "joules_per_output_token":
		return p.JoulesPerOutputToken, nil
	}
	return 0, fmt.Errorf("unknown metric %q; valid: %s", name, "ttft_ms, tpot_ms, e2e_ms, output_tokens_per_s, requests_per_s, joules_per_output_token")
}

// Predict runs a scenario through the virtual engine.
func Predict(ctx context.Context, s Scenario) (*Prediction, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b, err := Config{Profile: s.Profile, Chips: s.Chips, Model: s.Model, Precision: s.Precision, KVPrecision: s.KVPrecision}.New()
	if err != nil {
		return nil, err
	}
	defer b.Close()
	dev := b.Device()
	p := &Prediction{
		Profile: dev.Profile.ID, Chips: dev.Chips, Model: dev.Model.ID, Precision: dev.Precision.Name,
		Mode: "latency", Requests: s.Batch, InputTokens: s.InputTokens, OutputTokens: s.OutputTokens,
		WeightsGB: dev.WeightBytes() / 1e9, KVCapacityTokens: dev.KVCapacityTokens(),
		KVBytes: dev.kvElem, Ranks: dev.ranks, KVReplication: dev.kvRepl, Parameters: Parameters(dev.Profile),
	}
	if s.Requests > 0 {
		p.Mode, p.Requests = "offline", s.Requests
	}
	if dev.Model.Encoder {
		p.OutputTokens = 0
	}
	d := &burst{n: p.Requests, in: s.InputTokens, out: p.OutputTokens, model: dev.Model.ID, prec: dev.Precision.Name,
		ttft: make([]time.Duration, 0, p.Requests), e2e: make([]time.Duration, 0, p.Requests)}
	if err := b.Drive(ctx, d); err != nil {
		return nil, err
	}
	st := b.LastDrive()
	p.Rejected = d.rejected
	done := len(d.e2e)
	if done == 0 {
		return nil, accel.Errorf(accel.ClassRejected, "no request fits: %d prompt + %d output tokens need more KV cache than %s holds (%.0f tokens); use more chips or shorter requests",
			s.InputTokens, p.OutputTokens, dev.describe(), dev.KVCapacityTokens())
	}
	p.TTFTms, p.TTFTP99 = meanP99(d.ttft)
	p.E2Ems, p.E2EP99 = meanP99(d.e2e)
	if p.OutputTokens > 1 {
		p.TPOTms = d.tpotSum / float64(done)
	}
	sec := st.Elapsed.Seconds()
	p.MakespanMs = sec * 1e3
	p.RequestsPerS = float64(done) / sec
	p.OutputTokensPerS = float64(d.tokens) / sec
	p.MaxBatch = st.PeakBatch
	p.JoulesPerRequest = st.Joules / float64(done)
	if d.tokens > 0 {
		p.JoulesPerOutputToken = st.Joules / float64(d.tokens)
	}
	p.AvgPowerW = st.Joules / sec
	p.Bound = phaseBounds(dev, s.InputTokens, p.OutputTokens, st.PeakBatch)
	return p, nil
}

// phaseBounds prices one representative step of each phase at the run's peak
// batch: a full prompt chunk, and a decode step at mid-generation context.
func phaseBounds(dev *Device, in, out, batch int) map[string]string {
	batch = max(batch, 1)
	n := min(batch*in, max(MaxStepTokens, in))
	seqs := max(n/in, 1)
	pairs := float64(in) * float64(in+1) / 2
	if dev.Model.Encoder {
		pairs = float64(in) * float64(in)
	}
	pre := dev.Cost(Step{PrefillTokens: seqs * in, PrefillPairs: float64(seqs) * pairs, PromptsDone: seqs})
	bounds := map[string]string{"prefill": pre.Bound()}
	if out > 0 {
		ctx := float64(in) + float64(out)/2
		dec := dev.Cost(Step{DecodeSeqs: batch, DecodeCtx: float64(batch) * ctx})
		bounds["decode"] = dec.Bound()
	}
	return bounds
}

func meanP99(ds []time.Duration) (mean, p99 float64) {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	mean = float64(sum) / float64(len(ds)) / 1e6
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	i := min(len(sorted)-1, int(float64(len(sorted))*0.99))
	return mean, float64(sorted[i]) / 1e6
}

// burst is a driver that sends n identical requests at t=0.
type burst struct {
	n, in, out  int
	model, prec string
	sent        int
	rejected    int
	ttft, e2e   []time.Duration
	tpotSum     float64 // ms
	tokens      int64
}

func (d *burst) Next(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	if d.sent >= d.n {
		return 0, accel.NextEnd
	}
	*req = accel.Request{Seq: uint64(d.sent), Model: d.model, Precision: d.prec, Batch: 1, InputTokens: d.in, OutputTokens: d.out}
	d.sent++
	return 0, accel.NextReady
}

func (d *burst) Done(req *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	if res.Class != accel.ClassNone {
		d.rejected++
		return
	}
	d.ttft = append(d.ttft, res.TTFT)
	d.e2e = append(d.e2e, res.Latency)
	d.tokens += int64(res.OutputTokens)
	if res.OutputTokens > 1 {
		d.tpotSum += float64(res.Latency-res.TTFT) / 1e6 / float64(res.OutputTokens-1)
	}
}

package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/inferbench/inferbench/fixtures"
)

// Efficiencies are the fractions of peak a real software stack reaches, and the
// fixed costs it adds. They are not datasheet figures: each profile carries its
// own with a source (profiles.json), and the calibration test checks them
// against published measurements.
type Efficiencies struct {
	Compute float64 // η_c: fraction of peak FLOPS reached by matmuls and attention
	Memory  float64 // η_m: fraction of peak bandwidth reached streaming weights and KV cache
	// StepOverhead is the fixed cost of one model iteration (launches,
	// scheduling, sampling), independent of its size.
	StepOverhead time.Duration
	// FirstTokenOverhead is added to an iteration in which a decoder request
	// finishes its prompt: host-side setup of its first token, where a stack has it.
	FirstTokenOverhead time.Duration
}

// ProfileEfficiencies returns a profile's efficiencies.
func ProfileEfficiencies(p Profile) Efficiencies {
	return Efficiencies{
		Compute:            p.EffCompute,
		Memory:             p.EffMemory,
		StepOverhead:       time.Duration(p.StepOverheadUS * float64(time.Microsecond)),
		FirstTokenOverhead: time.Duration(p.FirstTokenOverheadUS * float64(time.Microsecond)),
	}
}

// Device is one simulated configuration: a profile's chips serving one model at
// one precision with tensor parallelism over Chips.
type Device struct {
	Profile   Profile
	Chips     int
	Model     fixtures.Model
	Precision Precision
	Eff       Efficiencies

	weightBytes   float64 // whole model, as stored
	layerParams   float64 // parameters multiplied by every token (the transformer layers)
	headParams    float64 // the output head, multiplied only by tokens that need logits
	kvBytesPerTok float64 // KV cache per token of context, whole model
	kvCapacity    float64 // tokens of KV cache that fit beside the weights
}

// MemoryFraction is the share of device memory the runtime can use; the rest is
// activations, fragmentation and the runtime itself (DESIGN.md: memory·0.9).
const MemoryFraction = 0.9

// ActivationBytes is the size of one activation element exchanged by
// tensor-parallel all-reduces: 16-bit in every precision here (w4a16, int8
// weight-only and fp8 serving stacks all reduce in 16 bits).
const ActivationBytes = 2

// NewDevice sizes a configuration. It fails when the chips cannot split the
// model's attention heads (unless the profile pads them) or the weights do
// not fit.
func NewDevice(p Profile, chips int, m fixtures.Model, prec Precision) (*Device, error) {
	if chips < 1 {
		return nil, fmt.Errorf("chips %d: want at least 1", chips)
	}
	if !p.PadsHeads {
		if err := m.TPDegreeError(chips, MaxChips); err != nil {
			return nil, fmt.Errorf("chips=%d on %s: %w", chips, p.ID, err)
		}
	}
	d := &Device{Profile: p, Chips: chips, Model: m, Precision: prec, Eff: ProfileEfficiencies(p)}
	d.weightBytes = m.Params() * prec.WeightBytes
	emb := float64(m.Vocab) * float64(m.DModel)
	switch {
	case m.Encoder: // one embedding table, looked up; no output head
		d.layerParams = m.Params() - emb
	case m.TiedEmbeddings: // the one table is also the output head
		d.layerParams, d.headParams = m.Params()-emb, emb
	default: // input table (looked up) and output head
		d.layerParams, d.headParams = m.Params()-2*emb, emb
	}
	d.kvBytesPerTok = float64(2*m.Layers*m.KVHeads*m.HeadDim()) * KVBytes
	usable := float64(p.MemoryBytes) * float64(chips) * MemoryFraction
	free := usable - d.weightBytes
	if free <= 0 {
		return nil, fmt.Errorf("%s at %s needs %.1f GB of weights; %d× %s holds %.1f GB usable (try chips=%d)",
			m.ID, prec.Name, d.weightBytes/1e9, chips, p.ID, usable/1e9, MinChips(p, m, prec))
	}
	d.kvCapacity = free / d.kvBytesPerTok
	return d, nil
}

// MinKVTokens is the KV cache MinChips leaves room for beside the weights: one
// sequence of a common 4k context window.
const MinKVTokens = 4096

// MaxChips is the most chips one simulated configuration spans.
const MaxChips = 64

// MinChips is the fewest chips whose usable memory holds the weights with room
// for MinKVTokens of KV cache and that can split the model's heads (any count
// on a profile that pads them): 70B on L4s needs the memory of 7 but runs on
// 8. When no valid count up to MaxChips holds it, the largest valid count.
func MinChips(p Profile, m fixtures.Model, prec Precision) int {
	w := m.Params() * prec.WeightBytes
	kv := float64(2*m.Layers*m.KVHeads*m.HeadDim()) * KVBytes * MinKVTokens
	largest := 1
	for n := 1; n <= MaxChips; n++ {
		if !p.PadsHeads && !m.TPDegreeOK(n) {
			continue
		}
		largest = n
		if float64(p.MemoryBytes)*float64(n)*MemoryFraction >= w+kv {
			return n
		}
	}
	return largest
}

// KVCapacityTokens is how many tokens of context fit in the KV cache.
func (d *Device) KVCapacityTokens() float64 { return d.kvCapacity }

// WeightBytes is the size of the model's weights at its precision.
func (d *Device) WeightBytes() float64 { return d.weightBytes }

// KVBytesPerToken is the KV cache one token of context takes, whole model.
func (d *Device) KVBytesPerToken() float64 { return d.kvBytesPerTok }

// matmulFLOPS is the whole configuration's dense rate for the weight matmuls:
// the 8-bit rate only when the precision computes in 8 bits and the chip has
// FP8; weight-only formats (int8, w4a16) dequantize and compute in 16 bits.
func (d *Device) matmulFLOPS() float64 {
	t := d.Profile.TFLOPS16
	if d.Precision.Math8 && d.Profile.FP8 {
		t = d.Profile.TFLOPS8
	}
	return t * 1e12 * float64(d.Chips)
}

// attnFLOPS is the rate for attention, which reads a 16-bit KV cache and so
// computes in 16 bits in every precision.
func (d *Device) attnFLOPS() float64 { return d.Profile.TFLOPS16 * 1e12 * float64(d.Chips) }

// Step is the work of one model iteration over the running batch: some
// sequences decode one token each, others process a chunk of their prompt.
type Step struct {
	PrefillTokens int // prompt tokens processed this step, over all sequences
	// PrefillPairs is Σ query–key pairs the prompt tokens attend to: a causal
	// chunk of c tokens after p cached ones has c·p + c(c+1)/2; an encoder's
	// bidirectional pass over S tokens has S².
	PrefillPairs float64
	// PrefillCtx is Σ prompt tokens already cached that this step's chunks read.
	PrefillCtx  float64
	PromptsDone int     // sequences whose prompt completes this step: each needs logits
	DecodeSeqs  int     // sequences producing one token each
	DecodeCtx   float64 // Σ context length over decoding sequences
}

// StepCost is what one step takes and why.
type StepCost struct {
	Time time.Duration
	// ComputeTime and MemoryTime are the step's compute and memory roofline
	// times, summed over its operator groups; the larger is what bounds it.
	ComputeTime time.Duration
	MemoryTime  time.Duration
	// CommTime is the tensor-parallel all-reduce time; OverheadTime the fixed costs.
	CommTime     time.Duration
	OverheadTime time.Duration
	// Utilization is the share of the step the chips spend bound by compute or
	// memory (not waiting on overheads and collectives): it drives the power model.
	Utilization float64
}

// Bound names what limits the step: "compute" or "memory".
func (c StepCost) Bound() string {
	if c.ComputeTime > c.MemoryTime {
		return "compute"
	}
	return "memory"
}

// Cost prices one step with a roofline per operator group, per layer:
//
//   - the weight matmuls (QKV, O, MLP, output head): 2 FLOPs per parameter per
//     token against streaming every weight once per step;
//   - attention: 4·d FLOPs per query–key pair per layer (QKᵀ and AV) against
//     reading the KV cache of the context and writing the new tokens' K and V.
//
// Each group takes max(FLOPs / (η_c·peak), bytes / (η_m·bandwidth)); the two
// run as separate kernels, so their times add. Fixed per-step overheads and,
// over several chips, two all-reduces per layer (latency + bytes over the link)
// come on top.
func (d *Device) Cost(s Step) StepCost {
	m := d.Model
	L, dm := float64(m.Layers), float64(m.DModel)
	tokens := float64(s.PrefillTokens + s.DecodeSeqs)
	logits := 0.0
	if !m.Encoder {
		logits = float64(s.PromptsDone + s.DecodeSeqs)
	}
	wb := d.Precision.WeightBytes
	var mmF, mmB float64
	if tokens > 0 {
		mmF += 2 * d.layerParams * tokens
		mmB += d.layerParams * wb
	}
	if logits > 0 {
		mmF += 2 * d.headParams * logits
		mmB += d.headParams * wb
	}
	atF := 4 * L * dm * (s.PrefillPairs + s.DecodeCtx)
	atB := d.kvBytesPerTok * (s.PrefillCtx + s.DecodeCtx + tokens)

	bw := d.Eff.Memory * d.Profile.BandwidthGBps * 1e9 * float64(d.Chips)
	mmC, mmM := mmF/(d.Eff.Compute*d.matmulFLOPS()), mmB/bw
	atC, atM := atF/(d.Eff.Compute*d.attnFLOPS()), atB/bw
	busy := math.Max(mmC, mmM) + math.Max(atC, atM)

	over := d.Eff.StepOverhead.Seconds()
	if s.PromptsDone > 0 && !m.Encoder {
		over += d.Eff.FirstTokenOverhead.Seconds()
	}
	comm := 0.0
	if d.Chips > 1 && tokens > 0 {
		n := float64(d.Chips)
		ring := tokens * dm * ActivationBytes * 2 * (n - 1) / n // bytes each chip sends in a ring all-reduce
		comm = 2 * L * (d.Profile.LinkLatencyUS*1e-6 + ring/(d.Profile.LinkGBps*1e9))
	}
	t := busy + over + comm
	util := 0.0
	if t > 0 {
		util = busy / t
	}
	return StepCost{
		Time:         seconds(t),
		ComputeTime:  seconds(mmC + atC),
		MemoryTime:   seconds(mmM + atM),
		CommTime:     seconds(comm),
		OverheadTime: seconds(over),
		Utilization:  util,
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * 1e9) }

package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/inferbench/inferbench/fixtures"
)

// Efficiencies are the fractions of peak a real software stack reaches. They are
// not datasheet figures: DESIGN.md gives the typical ranges (η_m 0.75–0.9 in
// decode, η_c 0.5–0.7 in prefill), and the calibration test checks them against
// published measurements.
type Efficiencies struct {
	Compute float64 // η_c: fraction of peak FLOPS reached by large matmuls
	Memory  float64 // η_m: fraction of peak bandwidth reached streaming weights
	// StepOverhead is the fixed cost of one model step (kernel launches,
	// scheduling, sampling), independent of size.
	StepOverhead time.Duration
}

// DefaultEfficiencies are mid-range values from DESIGN.md's typical ranges.
func DefaultEfficiencies() Efficiencies {
	return Efficiencies{Compute: 0.6, Memory: 0.8, StepOverhead: 300 * time.Microsecond}
}

// Device is one simulated configuration: a profile's chips serving one model at
// one precision with tensor parallelism over Chips.
type Device struct {
	Profile   Profile
	Chips     int
	Model     fixtures.Model
	Precision Precision
	Eff       Efficiencies

	weightBytes   float64 // whole model
	kvBytesPerTok float64 // KV cache per token of context, whole model
	kvCapacity    float64 // tokens of KV cache that fit beside the weights
}

// MemoryFraction is the share of device memory the runtime can use; the rest is
// activations, fragmentation and the runtime itself (DESIGN.md: memory·0.9).
const MemoryFraction = 0.9

// NewDevice sizes a configuration. It fails when the weights do not fit.
func NewDevice(p Profile, chips int, m fixtures.Model, prec Precision) (*Device, error) {
	if chips < 1 {
		return nil, fmt.Errorf("chips %d: want at least 1", chips)
	}
	d := &Device{Profile: p, Chips: chips, Model: m, Precision: prec, Eff: DefaultEfficiencies()}
	d.weightBytes = m.Params() * prec.WeightBytes
	d.kvBytesPerTok = float64(2*m.Layers*m.KVHeads*m.HeadDim()) * KVBytes
	free := float64(p.MemoryBytes)*float64(chips)*MemoryFraction - d.weightBytes
	if free <= 0 {
		return nil, fmt.Errorf("%s at %s needs %.1f GB of weights; %d× %s holds %.1f GB usable (try ?chips=%d)",
			m.ID, prec.Name, d.weightBytes/1e9, chips, p.ID, float64(p.MemoryBytes)*float64(chips)*MemoryFraction/1e9, MinChips(p, m, prec))
	}
	d.kvCapacity = free / d.kvBytesPerTok
	return d, nil
}

// MinChips is the fewest chips whose usable memory holds the weights with room
// for at least a few thousand tokens of KV cache.
func MinChips(p Profile, m fixtures.Model, prec Precision) int {
	w := m.Params() * prec.WeightBytes
	kv := float64(2*m.Layers*m.KVHeads*m.HeadDim()) * KVBytes * 4096
	for n := 1; n <= 64; n++ {
		if float64(p.MemoryBytes)*float64(n)*MemoryFraction >= w+kv {
			return n
		}
	}
	return 64
}

// KVCapacityTokens is how many tokens of context fit in the KV cache.
func (d *Device) KVCapacityTokens() float64 { return d.kvCapacity }

// peakFLOPS is the whole configuration's dense math rate for its precision.
func (d *Device) peakFLOPS() float64 {
	t := d.Profile.TFLOPS16
	if d.Precision.Math8 && d.Profile.FP8 {
		t = d.Profile.TFLOPS8
	}
	return t * 1e12 * float64(d.Chips)
}

// Step is the work of one model iteration.
type Step struct {
	PrefillTokens int     // new prompt tokens processed
	PrefillSeqs   int     // sequences those tokens belong to
	PrefillAttn   float64 // Σ S² over prefilled sequences (causal attention)
	DecodeSeqs    int     // sequences producing one token each
	DecodeCtx     float64 // Σ context length over decoding sequences
}

// StepCost is what one step takes and why.
type StepCost struct {
	Time        time.Duration
	ComputeTime time.Duration
	MemoryTime  time.Duration
	// Utilization is the busier of compute and memory as a fraction of the
	// step: it drives the power model.
	Utilization float64
}

// Cost returns the time of one step: max(compute, memory) + fixed overhead +
// tensor-parallel all-reduces.
func (d *Device) Cost(s Step) StepCost {
	m := d.Model
	L, dm := float64(m.Layers), float64(m.DModel)
	// Weights multiplied per token: every parameter but the input embedding
	// table, which is a lookup. A tied table is also the output head, so it counts.
	lin := m.Params()
	if !m.TiedEmbeddings {
		lin -= float64(m.Vocab) * dm
	}
	tokens := float64(s.PrefillTokens + s.DecodeSeqs)
	flops := 2 * lin * tokens
	flops += 2 * L * dm * s.PrefillAttn // causal: half of 4·L·S²·d
	flops += 4 * L * dm * s.DecodeCtx
	bytes := d.weightBytes
	bytes += d.kvBytesPerTok * (s.DecodeCtx + float64(s.PrefillTokens+s.DecodeSeqs))

	ct := flops / (d.Eff.Compute * d.peakFLOPS())
	mt := bytes / (d.Eff.Memory * d.Profile.BandwidthGBps * 1e9 * float64(d.Chips))
	t := math.Max(ct, mt) + d.Eff.StepOverhead.Seconds()
	if d.Chips > 1 {
		n := float64(d.Chips)
		arBytes := tokens * dm * 2 * 2 * (n - 1) / n // 16-bit activations, ring all-reduce
		t += 2 * L * (d.Profile.LinkLatencyUS*1e-6 + arBytes/(d.Profile.LinkGBps*1e9))
	}
	util := math.Max(ct, mt) / t
	return StepCost{
		Time:        time.Duration(t * 1e9),
		ComputeTime: time.Duration(ct * 1e9),
		MemoryTime:  time.Duration(mt * 1e9),
		Utilization: util,
	}
}

// Power is the whole configuration's draw at a utilization:
// idle + (TDP − idle) · utilization, per chip.
func (d *Device) Power(util float64) float64 {
	p := d.Profile
	return float64(d.Chips) * (p.IdleW + (p.TDPW-p.IdleW)*util)
}

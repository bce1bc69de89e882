package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/inferbench/inferbench/fixtures"
)

// Efficiencies are the shares of peak a real software stack reaches, per
// class of operation, and the fixed costs it adds. They are not datasheet
// figures: each profile carries its own with a source (profiles.json), set by
// a fit over named public measurements (Fit) or stated as an assumption.
type Efficiencies struct {
	// PrefillMatmul is the weight matmuls' share of peak FLOPS, reached in
	// the compute-bound regime (prefill); DecodeMatmul their share of peak
	// bandwidth streaming weights, the memory-bound regime (decode).
	PrefillMatmul float64
	// PrefillMatmulTP replaces PrefillMatmul over more than one rank.
	PrefillMatmulTP float64
	DecodeMatmul    float64
	// Attention is attention's share of peak FLOPS (query-key pairs), and KV
	// its share of peak bandwidth reading the KV cache.
	Attention float64
	KV        float64
	// Elementwise is the bandwidth share of element-wise kernels.
	Elementwise float64
	// MoEMatmul is the routed experts' matmuls' share of peak FLOPS (a
	// mixture of experts' grouped GEMMs); 0: as the other matmuls.
	// MoEMatmulWeightOnly replaces it where the experts' format is
	// weight-only on the chip (dequantized inside the GEMM: MXFP4 on Hopper).
	MoEMatmul, MoEMatmulWeightOnly float64
	// StepOverhead is the fixed cost of one model iteration (launches,
	// scheduling, sampling), independent of its size.
	StepOverhead time.Duration
	// FirstTokenOverhead is added to an iteration in which requests get their
	// first token: host-side setup of the first token, where a stack has it.
	FirstTokenOverhead time.Duration
	// AllReduceLatency is the fixed cost of one tensor-parallel all-reduce
	// (the profile's link latency).
	AllReduceLatency time.Duration
}

// ProfileEfficiencies returns a profile's efficiencies.
func ProfileEfficiencies(p Profile) Efficiencies {
	us := func(v float64) time.Duration { return time.Duration(v * float64(time.Microsecond)) }
	if p.EffKV == 0 {
		p.EffKV = p.EffAttention
	}
	return Efficiencies{
		PrefillMatmul: p.EffPrefillMatmul, PrefillMatmulTP: p.EffPrefillMatmulTP, DecodeMatmul: p.EffDecodeMatmul,
		Attention: p.EffAttention, KV: p.EffKV, Elementwise: p.EffElementwise,
		MoEMatmul: p.EffMoEMatmul, MoEMatmulWeightOnly: p.EffMoEMatmulWeightOnly,
		StepOverhead: us(p.StepOverheadUS), FirstTokenOverhead: us(p.FirstTokenOverheadUS),
		AllReduceLatency: us(p.LinkLatencyUS),
	}
}

// Device is one simulated configuration: a profile's chips serving one model
// at one precision, tensor-parallel over Ranks() execution units.
type Device struct {
	Profile   Profile
	Chips     int
	Model     fixtures.Model
	Precision Precision
	Eff       Efficiencies

	ranks    int     // tensor-parallel ranks: chips × cores, or 1 for a copy per core
	share    float64 // the share of the chips' peak rates the model runs on: 1, or 1/cores for a copy per core
	kvElem   float64 // bytes per KV-cache element
	kvRepl   float64 // KV-cache copies: ranks beyond the KV heads hold replicas
	attnPad  float64 // attention work over the model's own: query heads padded to a multiple of the ranks
	matmulTF float64 // the weight matmuls' peak rate per chip, TFLOPS

	weightBytes   float64   // whole model in memory, as stored
	layerParams   float64   // parameters multiplied by every token (the transformer layers)
	headParams    float64   // the output head, multiplied only by tokens that need logits
	layerStream   float64   // bytes per layer weight streamed: the stored size, or 16 bits where the stack upcasts
	kvBytesPerTok float64   // KV cache per token of context, whole model, replicas included
	ewBytesPerTok float64   // element-wise traffic per token, whole model
	kvCapacity    float64   // tokens of KV cache that fit beside the weights
	moe           *moeShape // experts, windows, latent attention (moe.go); nil for a plain dense model
}

// MemoryFraction is the share of device memory the runtime can use; the rest is
// activations, fragmentation and the runtime itself (DESIGN.md: memory·0.9).
const MemoryFraction = 0.9

// ActivationBytes is the size of one activation element: exchanged by
// tensor-parallel all-reduces and read and written by element-wise kernels,
// 16-bit in every precision here (w4a16, int8 weight-only, FP8 and FP4
// serving stacks all keep activations between kernels in 16 bits).
const ActivationBytes = 2

// NewDevice sizes a configuration with its precision's usual KV cache. It
// fails when the chips cannot split the model's attention heads (unless the
// profile pads them), the chip cannot run the precision, or the weights do
// not fit.
func NewDevice(p Profile, chips int, m fixtures.Model, prec Precision) (*Device, error) {
	return NewDeviceKV(p, chips, m, prec, "")
}

// NewDeviceKV is NewDevice with the KV cache at kv (bf16, fp16, fp8, int8;
// "" for the precision's usual one).
func NewDeviceKV(p Profile, chips int, m fixtures.Model, prec Precision, kv string) (*Device, error) {
	if chips < 1 {
		return nil, fmt.Errorf("chips %d: want at least 1", chips)
	}
	if !p.PadsHeads {
		if err := m.TPDegreeError(chips, MaxChips); err != nil {
			return nil, fmt.Errorf("chips=%d on %s: %w", chips, p.ID, err)
		}
	}
	if err := checkPrecision(p, prec); err != nil {
		return nil, err
	}
	d := &Device{Profile: p, Chips: chips, Model: m, Precision: prec, Eff: ProfileEfficiencies(p), share: 1}
	var err error
	if d.kvElem, err = kvBytes(p, prec, kv); err != nil {
		return nil, err
	}
	d.layout()
	d.sizeWeights()
	usable := float64(p.MemoryBytes) * float64(chips) * MemoryFraction
	free := usable - d.weightBytes
	if free <= 0 {
		return nil, fmt.Errorf("%s at %s needs %.1f GB of weights; %d× %s holds %.1f GB usable (try chips=%d)",
			m.ID, prec.Name, d.weightBytes/1e9, chips, p.ID, usable/1e9, MinChips(p, m, prec))
	}
	d.kvCapacity = free / d.kvBytesPerTok
	return d, nil
}

// layout places the model on the chips' execution units. Tensor parallelism
// spans chips × cores ranks. A rank holds at least one KV head, so ranks
// beyond the model's KV heads hold replicas (8 KV heads on 24 NeuronCores:
// three copies of each), and a stack that pads heads pads them to a multiple
// of the ranks (32 on 24: 48). An encoder on one chip of several cores runs
// a copy per core instead (the Neuron encoder tables' "Data Parallel" mode):
// a request's latency is one core's.
func (d *Device) layout() {
	p, m := d.Profile, d.Model
	cores := max(p.Cores, 1)
	d.ranks = d.Chips * cores
	if m.Encoder && d.Chips == 1 && cores > 1 {
		d.ranks, d.share = 1, 1/float64(cores)
	}
	r := d.ranks
	kvStored := max(ceilDiv(m.KVHeads, r)*r, r)
	if m.KVHeads >= r && m.KVHeads%r == 0 {
		kvStored = m.KVHeads
	}
	d.kvRepl = float64(kvStored) / float64(m.KVHeads)
	d.attnPad = 1
	if p.PadsHeads && m.Heads%r != 0 {
		d.attnPad = float64(ceilDiv(m.Heads, r)*r) / float64(m.Heads)
	}
	d.kvBytesPerTok = float64(2*m.Layers*m.KVHeads*m.HeadDim()) * d.kvElem * d.kvRepl
	ff := m.DFF
	if !plainModel(m) { // moe.go: MLA's latent, windows; the experts a token runs
		d.kvBytesPerTok = kvChargePerToken(m, d.kvElem, d.kvRepl)
		if m.MoE() {
			ff = (m.ExpertsPerToken + m.SharedExperts) * m.ExpertFF
		}
	}
	ffn := 2 * float64(ff) // read the up projection's output, write the activation
	if m.Gated {
		ffn = 3 * float64(ff) // read gate and up, write their product
	}
	// Per layer and token: two norms (read, write), two residual adds (read
	// two, write one), rotary on Q and K (read, write), the MLP activation.
	kvw := float64(m.KVHeads * m.HeadDim())
	d.ewBytesPerTok = float64(m.Layers) * ActivationBytes * (2*2*float64(m.DModel) + 2*3*float64(m.DModel) + 2*(float64(m.DModel)+kvw) + ffn)
	d.matmulTF = p.TFLOPS16
	switch {
	case d.Precision.MathBits == 8 && p.FP8:
		d.matmulTF = p.TFLOPS8
	case d.Precision.MathBits == 4 && p.FP4:
		d.matmulTF = p.TFLOPS4
	case d.Precision.MathBits == 4 && p.FP8 && !d.Precision.WeightOnly:
		d.matmulTF = p.TFLOPS8
	}
}

// sizeWeights splits the parameters into the layers (at the format's
// bytes), the output head and the embedding tables (at 16 bits).
func (d *Device) sizeWeights() {
	d.layerParams, d.headParams, d.weightBytes = weights(d.Model, d.Precision)
	d.layerStream = d.Precision.WeightBytes
	nativeFP4 := d.Precision.MathBits == 4 && d.Profile.FP4 // MXFP4 on Trainium3's MX units: not upcast
	if d.Profile.UpcastsWeightOnly && d.Precision.WeightOnly && d.Precision.WeightBytes < 2 && !nativeFP4 {
		d.layerStream = 2
	}
	d.moe = newMoEShape(d)
}

// weights returns a model's layer and output-head parameters, and the bytes
// the whole model takes stored at prec.
func weights(m fixtures.Model, prec Precision) (layer, head, bytes float64) {
	emb := float64(m.Vocab) * float64(m.DModel)
	tables := emb // the input table, looked up, never streamed whole
	switch {
	case m.Encoder: // one embedding table; no output head
		layer = m.Params() - emb
	case m.TiedEmbeddings: // the one table is also the output head
		layer, head, tables = m.Params()-emb, emb, 0
	default: // input table and output head
		layer, head = m.Params()-2*emb, emb
	}
	return layer, head, moeBytes(m, prec, layer) + (head+tables)*prec.HeadBytes
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

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
	_, _, w := weights(m, prec)
	kvb, _ := kvBytes(p, prec, "")
	kv := float64(2*m.Layers*m.KVHeads*m.HeadDim()) * kvb * MinKVTokens
	if !plainModel(m) {
		kv = kvChargePerToken(m, kvb, 1) * MinKVTokens
	}
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

// Ranks is the tensor-parallel degree in execution units (chips × cores).
func (d *Device) Ranks() int { return d.ranks }

// KVReplication is how many copies of each KV head the ranks hold.
func (d *Device) KVReplication() float64 { return d.kvRepl }

// KVBytesPerElement is the KV cache's element size.
func (d *Device) KVBytesPerElement() float64 { return d.kvElem }

// matmulFLOPS is the weight matmuls' peak rate over the configuration: the
// 8- or 4-bit rate where the format computes at it and the chip has it;
// weight-only formats dequantize and compute in 16 bits.
func (d *Device) matmulFLOPS() float64 { return d.matmulTF * 1e12 * float64(d.Chips) * d.share }

// attnFLOPS is the rate for attention, computed in 16 bits in every format.
func (d *Device) attnFLOPS() float64 {
	return d.Profile.TFLOPS16 * 1e12 * float64(d.Chips) * d.share
}

// bandwidth is the peak memory bandwidth the model runs on.
func (d *Device) bandwidth() float64 {
	return d.Profile.BandwidthGBps * 1e9 * float64(d.Chips) * d.share
}

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
	PromptsDone int // sequences whose prompt completes this step: each needs logits
	// FirstTokens counts sequences whose first token comes out at the end of
	// this step: PromptsDone with continuous batching; under static batching
	// every request of the batch at once, when its last prompt is encoded.
	FirstTokens int
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

// Cost prices one step with a roofline per class of operation, each at its
// own efficiency (Efficiencies):
//
//   - the weight matmuls (QKV, O, MLP, output head): 2 FLOPs per parameter
//     per token at PrefillMatmul of the format's peak rate, against
//     streaming every weight once per step at DecodeMatmul of peak bandwidth
//     (the output head and embeddings at 16 bits);
//   - attention: 4·d FLOPs per query–key pair per layer (QKᵀ and AV), padded
//     heads included, against reading the KV cache of the context and writing
//     the new tokens' K and V (replicas included), both at Attention;
//   - element-wise kernels (norms, residual adds, rotary, the MLP
//     activation): their activation traffic at Elementwise of peak bandwidth.
//
// The matmuls and attention each take max(compute, memory); the classes run
// as separate kernels, so their times add. Fixed per-step overheads (and the
// first-token overhead in a step that yields first tokens) and, over several
// ranks, two all-reduces per layer (latency + bytes over the link) come on
// top. Mixture-of-experts models multiply only their active parameters and
// stream only the experts a step touches, sliding-window layers read at
// most a window, and MLA reads its compressed latent (moe.go).
func (d *Device) Cost(s Step) StepCost {
	c := d.parts(s)
	busy := c.mm + math.Max(c.atC, c.atM) + c.ewM
	t := busy + c.over + c.comm
	util := 0.0
	if t > 0 {
		util = busy / t
	}
	return StepCost{
		Time:         seconds(t),
		ComputeTime:  seconds(c.mmC + c.atC),
		MemoryTime:   seconds(c.mmM + c.atM + c.ewM),
		CommTime:     seconds(c.comm),
		OverheadTime: seconds(c.over),
		Utilization:  util,
	}
}

// costParts are a step's times by class, in seconds: mm = max(mmC, mmM).
type costParts struct {
	mm, mmC, mmM, atC, atM, ewM, over, comm float64
}

// parts prices a step's classes (see Cost).
func (d *Device) parts(s Step) costParts {
	m, e := d.Model, d.Eff
	L, dm := float64(m.Layers), float64(m.DModel)
	tokens := float64(s.PrefillTokens + s.DecodeSeqs)
	logits := 0.0
	if !m.Encoder {
		logits = float64(s.PromptsDone + s.DecodeSeqs)
	}
	var mmF, mmB, expF float64 // expF: the routed experts' share of mmF
	switch {
	case tokens > 0 && d.moe != nil:
		mmF, expF, mmB = d.moe.matmul(tokens)
	case tokens > 0:
		mmF += 2 * d.layerParams * tokens
		mmB += d.layerParams * d.layerStream
	}
	if logits > 0 {
		mmF += 2 * d.headParams * logits
		mmB += d.headParams * d.Precision.HeadBytes
	}
	atF := 4 * L * dm * d.attnPad * (s.PrefillPairs + s.DecodeCtx)
	atB := d.kvBytesPerTok * (s.PrefillCtx + s.DecodeCtx + tokens)
	if d.moe != nil {
		atF, atB = d.moe.attention(s, tokens)
	}
	ewB := d.ewBytesPerTok * tokens

	bw := d.bandwidth()
	pm := e.PrefillMatmul
	if d.ranks > 1 && e.PrefillMatmulTP > 0 {
		pm = e.PrefillMatmulTP
	}
	var c costParts
	c.mmC, c.mmM = mmF/(pm*d.matmulFLOPS()), mmB/(e.DecodeMatmul*bw)
	if d.moe != nil {
		c.mmC = d.moe.computeTime(mmF, expF, tokens, pm, e, d)
	}
	c.mm = math.Max(c.mmC, c.mmM)
	c.atC, c.atM = atF/(e.Attention*d.attnFLOPS()), atB/(e.KV*bw)
	c.ewM = ewB / (e.Elementwise * bw)
	c.over = e.StepOverhead.Seconds()
	if s.FirstTokens > 0 && !m.Encoder {
		c.over += e.FirstTokenOverhead.Seconds()
	}
	if d.ranks > 1 && tokens > 0 {
		n := float64(d.ranks)
		ring := tokens * dm * ActivationBytes * 2 * (n - 1) / n // bytes each rank sends in a ring all-reduce
		c.comm = 2 * L * (e.AllReduceLatency.Seconds() + ring/(d.Profile.LinkGBps*1e9))
	}
	if d.moe != nil {
		c.comm += d.moe.allToAll(tokens, dm, e.AllReduceLatency.Seconds(), d.Profile.LinkGBps*1e9)
	}
	return c
}

// decodeRunTime is the time of the first k of a run of decode steps like
// s whose context grows by dctx each step, in seconds: Σ Cost(step j).Time
// in closed form. Only attention changes along the run, linearly, so each
// step is a constant plus the larger of two lines in j.
func (d *Device) decodeRunTime(s Step, dctx float64, k int) float64 {
	if k <= 0 {
		return 0
	}
	c0 := d.parts(s)
	s1 := s
	s1.DecodeCtx += dctx
	c1 := d.parts(s1)
	base := c0.mm + c0.ewM + c0.over + c0.comm
	ac, bc := c0.atC, c1.atC-c0.atC
	am, bm := c0.atM, c1.atM-c0.atM
	sum := func(a, b float64, p, q int) float64 { // Σ_{j=p}^{q-1} a + b·j
		if q <= p {
			return 0
		}
		n := float64(q - p)
		return n*a + b*float64(p+q-1)*n/2
	}
	total := float64(k) * base
	if bc == bm {
		return total + sum(math.Max(ac, am), bc, 0, k)
	}
	// compute ≥ memory for j ≥ x when bc > bm (for j ≤ x otherwise).
	x := (am - ac) / (bc - bm)
	split := int(math.Min(math.Max(math.Ceil(x), 0), float64(k)))
	if bc > bm {
		return total + sum(am, bm, 0, split) + sum(ac, bc, split, k)
	}
	return total + sum(ac, bc, 0, split) + sum(am, bm, split, k)
}

func seconds(s float64) time.Duration { return time.Duration(s * 1e9) }

package sim

import (
	"math"

	"github.com/inferbench/inferbench/fixtures"
)

// This file holds the physics of models that are not plain dense
// transformers: mixtures of experts (gpt-oss, Mixtral, DeepSeek-R1,
// Qwen3-MoE), sliding-window attention (gpt-oss) and multi-head latent
// attention (DeepSeek). perf.go calls in at three places: weights() for the
// stored size, layout() for the KV cache and the shape below, parts() for a
// step's matmul and attention work. A plain dense model never reaches any
// of it, so its figures are what they were.

// moeShape is what a non-plain model's layers hold, stream and attend to.
type moeShape struct {
	// Matmuls. activeParams are the layer weights one token multiplies
	// (attention, dense MLPs, routers, k routed and the shared experts);
	// fixedBytes the layer weights every step streams whole (all but the
	// routed experts); expertBytes one routed expert's weights as streamed.
	activeParams float64
	fixedBytes   float64
	expertBytes  float64
	expertParams float64 // one routed expert's parameters
	experts, k   float64
	moeLayers    float64
	chips        float64 // expert parallelism: routed experts spread over the chips

	// Attention. kvFull and kvWin are the KV bytes one token of context
	// takes in the full-attention and the windowed layers (replicas
	// included); window the windowed layers' span; pairFLOPs the FLOPs of one
	// query–key pair over every layer: 2·H·(d_qk + d_v) per layer (QKᵀ and
	// AV), which is 4·d_model for a plain model.
	kvFull, kvWin float64
	window        float64
	pairFLOPs     float64
}

// plainModel says the model is a dense transformer with head_dim =
// d_model/heads, full attention everywhere and a standard KV cache: the
// shape perf.go prices on its own.
func plainModel(m fixtures.Model) bool {
	return !m.MoE() && !m.MLA() && m.SlidingLayers == 0 && m.HeadDimension == 0
}

// DistinctExperts is how many of E experts a step of B tokens, each routed
// to k of them, touches in one MoE layer, in expectation under uniform
// routing: an expert is missed by one token with probability 1 − k/E, by
// all B with (1 − k/E)^B, so
//
//	E · (1 − (1 − k/E)^B)
//
// One token touches k; a large decode batch or a prompt chunk touches
// nearly all E (gpt-oss-120b, E 128, k 4: 4 at B = 1, 111 at B = 64, 127.99
// at B = 512), which is why an MoE model's decode step grows with its batch
// far more than a dense model's, whose weights are read whole at any batch.
func DistinctExperts(e, k, b float64) float64 {
	if e <= 0 || b <= 0 {
		return 0
	}
	return e * (1 - math.Pow(1-k/e, b))
}

// kvPerToken is the KV cache one token of context takes per layer, in
// elements: K and V of every KV head (2·kv_heads·head_dim), or under MLA
// the compressed latent and the shared RoPE key (kv_lora_rank +
// rope_head_dim: 576 for DeepSeek-R1 against 2·128·128 = 32,768 for its
// 128 heads uncompressed).
func kvPerToken(m fixtures.Model) float64 {
	if m.MLA() {
		return float64(m.KVLoRARank + m.RopeHeadDim)
	}
	return float64(2 * m.KVHeads * m.HeadDim())
}

// kvSplit is the KV bytes per token of context in the full-attention and in
// the windowed layers, at elem bytes an element and repl copies.
func kvSplit(m fixtures.Model, elem, repl float64) (full, win float64) {
	per := kvPerToken(m) * elem * repl
	return float64(m.Layers-m.SlidingLayers) * per, float64(m.SlidingLayers) * per
}

// kvChargePerToken is the KV cache admission charges per token of context:
// the full layers' bytes, plus the windowed layers', which hold at most a
// window per sequence, spread over MinKVTokens (the 4k-token reference
// sequence): gpt-oss-120b's 18 windowed layers add 128/4096 of their
// uncapped size. Sequences much shorter than 4k under-charge the windows;
// admission reserves whole contexts, so this errs small only there.
func kvChargePerToken(m fixtures.Model, elem, repl float64) float64 {
	full, win := kvSplit(m, elem, repl)
	if m.SlidingLayers == 0 {
		return full
	}
	return full + win*math.Min(1, float64(m.SlidingWindow)/MinKVTokens)
}

// moeBytes is the bytes the layers take stored at prec, where the
// checkpoint quantizes only its experts (gpt-oss: MXFP4 experts, bf16
// attention and routers): below 16 bits the rest stays at the head's 16.
// layer is all the layers' parameters.
func moeBytes(m fixtures.Model, prec Precision, layer float64) float64 {
	if !m.QuantizedExpertsOnly || prec.WeightBytes >= prec.HeadBytes {
		return layer * prec.WeightBytes
	}
	experts := float64(m.MoELayers()) * float64(m.Experts+m.SharedExperts) * m.ExpertParams()
	return experts*prec.WeightBytes + (layer-experts)*prec.HeadBytes
}

// newMoEShape sizes a non-plain model on d (its precision, KV element,
// replicas and the stream width of its layer weights already set); nil for
// a plain model.
func newMoEShape(d *Device) *moeShape {
	m := d.Model
	if plainModel(m) {
		return nil
	}
	s := &moeShape{chips: float64(d.Chips)}
	emb := m.Params() - d.layerParams // the embedding tables
	s.activeParams = m.ActiveParams() - emb
	// A stack that upcasts weight-only formats (Neuron) streams every layer
	// weight at layerStream (16 bits); otherwise each at its stored size.
	upcast := d.layerStream != d.Precision.WeightBytes
	routed := 0.0
	if m.MoE() {
		s.experts, s.k = float64(m.Experts), float64(m.ExpertsPerToken)
		s.moeLayers = float64(m.MoELayers())
		routed = s.moeLayers * s.experts * m.ExpertParams()
		s.expertParams = m.ExpertParams()
		s.expertBytes = m.ExpertParams() * d.Precision.WeightBytes
		if upcast {
			s.expertBytes = m.ExpertParams() * d.layerStream
		}
	}
	s.fixedBytes = moeBytes(m, d.Precision, d.layerParams) - routed*d.Precision.WeightBytes
	if upcast {
		s.fixedBytes = (d.layerParams - routed) * d.layerStream
	}
	s.kvFull, s.kvWin = kvSplit(m, d.kvElem, d.kvRepl)
	s.window = float64(m.SlidingWindow)
	h, hd := float64(m.Heads), float64(m.HeadDim())
	qk := hd + float64(m.RopeHeadDim) // MLA: nope + rope; else head_dim
	s.pairFLOPs = float64(m.Layers) * 2 * h * (qk + hd) * d.attnPad
	return s
}

// matmul is a step's weight-matmul FLOPs (of them the routed experts'),
// and bytes, over tokens tokens:
//
//	FLOPs = 2 · active parameters · tokens
//	bytes = fixed weights + MoE layers · experts read · one expert's bytes
//
// where experts read is DistinctExperts(E, k, tokens), and under expert
// parallelism over n chips at least one expert on the busiest chip: the
// step waits for the chip that reads the most, max(distinct/n, 1) experts,
// which at the aggregate bandwidth the roofline divides by costs as n ·
// max(distinct/n, 1) = max(distinct, n) experts (batch 1 on 8 chips: each
// of 4 chips reads one of the 4 experts, in one expert's time).
func (s *moeShape) matmul(tokens float64) (flops, expertFLOPs, bytes float64) {
	flops = 2 * s.activeParams * tokens
	bytes = s.fixedBytes
	if s.moeLayers > 0 {
		expertFLOPs = 2 * s.moeLayers * s.k * s.expertParams * tokens
		read := DistinctExperts(s.experts, s.k, tokens)
		if s.chips > 1 {
			read = math.Max(read, math.Min(s.chips, s.experts))
		}
		bytes += s.moeLayers * read * s.expertBytes
	}
	return flops, expertFLOPs, bytes
}

// computeTime is the matmuls' compute time of a step, in seconds: mmF
// FLOPs, expF of them the routed experts', over tokens tokens. The experts
// run as grouped GEMMs at their own share of peak (Efficiencies.MoEMatmul,
// or MoEMatmulWeightOnly where the chip dequantizes their format in the
// kernel), lower when each expert gets few rows; the rest at pm. A checkpoint that quantizes only its experts
// (gpt-oss: MXFP4 experts, bf16 attention) runs the rest at the chip's
// 16-bit rate, whatever the experts' format computes at.
func (s *moeShape) computeTime(mmF, expF, tokens, pm float64, e Efficiencies, d *Device) float64 {
	rest := d.matmulFLOPS()
	if d.Model.QuantizedExpertsOnly && d.Precision.WeightBytes < d.Precision.HeadBytes {
		rest = d.attnFLOPS() // the 16-bit rate
	}
	eff := pm
	switch {
	case d.Precision.WeightOnly && d.matmulTF == d.Profile.TFLOPS16 && e.MoEMatmulWeightOnly > 0:
		eff = e.MoEMatmulWeightOnly
	case e.MoEMatmul > 0:
		eff = e.MoEMatmul
	}
	// Each expert a step touches gets m = tokens·k / DistinctExperts rows
	// (1 at batch 1, tokens·k/E at a large one): a few rows leave most of a
	// tile (and of the chip) idle, so the experts' share of peak rises with
	// m, halfway at MoEHalfRows (eff · m/(m + h)).
	if h := d.Profile.MoEHalfRows; h > 0 && s.experts > 0 && tokens > 0 {
		m := tokens * s.k / DistinctExperts(s.experts, s.k, tokens)
		eff *= m / (m + h)
	}
	return (mmF-expF)/(pm*rest) + expF/(eff*d.matmulFLOPS())
}

// attention is a step's attention FLOPs and KV bytes. Full-attention
// layers read every cached token; a windowed layer reads at most a window
// per decoding sequence, so decode's context there is min(Σ ctx, W·seqs)
// (prompt chunks are charged their full context: a windowed prefill's
// saving is not modelled).
func (s *moeShape) attention(st Step, tokens float64) (flops, bytes float64) {
	pairs := st.PrefillPairs + st.DecodeCtx
	winCtx := st.DecodeCtx
	if s.kvWin > 0 {
		winCtx = math.Min(st.DecodeCtx, s.window*float64(st.DecodeSeqs))
	}
	full := s.kvFull / (s.kvFull + s.kvWin) // share of layers with full attention
	flops = s.pairFLOPs * (full*pairs + (1-full)*(st.PrefillPairs+winCtx))
	bytes = s.kvFull*(st.PrefillCtx+st.DecodeCtx+tokens) + s.kvWin*(st.PrefillCtx+winCtx+tokens)
	return flops, bytes
}

// allToAll is expert parallelism's exchange over n chips, in seconds: per
// MoE layer a dispatch and a combine, each sending every token's
// activations to its k experts; each chip sends its 1/n of the tokens' k
// copies, (n−1)/n of them to other chips:
//
//	2 · MoE layers · (latency + tokens·k·d_model·2 B·(n−1)/n² / link)
//
// on top of tensor parallelism's all-reduces (kept for attention and the
// combine's sum).
func (s *moeShape) allToAll(tokens, dModel, latency, linkBps float64) float64 {
	n := s.chips
	if s.moeLayers == 0 || n <= 1 || tokens <= 0 || linkBps <= 0 {
		return 0
	}
	b := tokens * s.k * dModel * ActivationBytes * (n - 1) / (n * n)
	return 2 * s.moeLayers * (latency + b/linkBps)
}

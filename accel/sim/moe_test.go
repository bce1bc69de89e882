package sim_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
)

// DistinctExperts against answers worked by hand.
func TestDistinctExperts(t *testing.T) {
	for _, c := range []struct {
		e, k, b, want float64
	}{
		{128, 4, 0, 0},
		{128, 4, 1, 4},       // one token reads its k
		{8, 2, 1, 2},         // Mixtral at batch 1
		{2, 1, 2, 1.5},       // two tokens, two experts: the same one half the time
		{4, 2, 2, 3.0},       // each expert missed by both with (1/2)², so 4·(3/4)
		{128, 4, 64, 111.22}, // 128·(1 − 0.96875^64), 0.96875^64 = e^(64·ln 0.96875) = 0.13108
		{128, 4, 8192, 128},  // a prompt chunk reads them all
	} {
		if got := sim.DistinctExperts(c.e, c.k, c.b); math.Abs(got-c.want) > 0.01 {
			t.Errorf("DistinctExperts(%v, %v, %v) = %.4f, want %.2f", c.e, c.k, c.b, got, c.want)
		}
	}
}

// An MoE model's matmuls cost its active parameters: gpt-oss-120b's
// layers multiply, per token, 36 × (attention 2·2880·64·64 + 2·2880·8·64 =
// 26,542,080; router 2880·128 = 368,640; 4 experts of 3·2880·2880 =
// 99,532,800) = 4,551,966,720 weights, not the 114.7 B of all its experts.
// MXFP4 on an H100 (no FP4 units) computes at the 16-bit rate: the
// attention and router weights at the matmuls' share of peak, the
// 3,583,180,800 expert weights at the experts' weight-only share, lowered
// by the rows each touched expert gets against the profile's
// half-efficiency rows: 1 at batch 1 (4 experts touched, a row each), 128
// in a 4096-token prefill (4096·4 rows over all 128).
func TestMoEActiveParamFLOPs(t *testing.T) {
	d := device(t, "h100-sxm", 1, "gpt-oss-120b", "mxfp4")
	const active, experts = 4_551_966_720.0, 36 * 99_532_800.0
	peak := d.Profile.TFLOPS16 * 1e12
	if !(d.Eff.MoEMatmulWeightOnly > 0 && d.Profile.MoEHalfRows > 0) {
		t.Fatalf("h100-sxm: weight-only expert share %v, half rows %v: want both fitted", d.Eff.MoEMatmulWeightOnly, d.Profile.MoEHalfRows)
	}
	for _, c := range []struct {
		step   sim.Step
		tokens float64
		rows   float64
	}{
		{sim.Step{PrefillTokens: 4096}, 4096, 128},
		{sim.Step{DecodeSeqs: 1}, 1, 1},
	} {
		expEff := d.Eff.MoEMatmulWeightOnly * c.rows / (c.rows + d.Profile.MoEHalfRows)
		want := 2*(active-experts)*c.tokens/(d.Eff.PrefillMatmul*peak) + 2*experts*c.tokens/(expEff*peak)
		if c.step.DecodeSeqs > 0 { // a decoded token also needs logits: the 201,088 × 2880 output head, at 16 bits
			want += 2 * 201088 * 2880 * c.tokens / (d.Eff.PrefillMatmul * peak)
		}
		got := d.Cost(c.step).ComputeTime.Seconds()
		if math.Abs(got/want-1) > 1e-5 { // the step's whole nanoseconds: 1e-6 of a millisecond

			t.Errorf("gpt-oss-120b, %v tokens: matmul compute %.6g s, want %.6g s (experts at %.3f·%.0f/(%.0f + %.1f), the rest at %.3f, of %v TFLOPS)",
				c.tokens, got, want, d.Eff.MoEMatmulWeightOnly, c.rows, c.rows, d.Profile.MoEHalfRows, d.Eff.PrefillMatmul, d.Profile.TFLOPS16)
		}
	}
}

// Weights as stored: gpt-oss-120b keeps MXFP4 experts and bf16 elsewhere;
// sliding windows and MLA size the KV cache.
func TestMoEMemory(t *testing.T) {
	d := device(t, "h100-sxm", 1, "gpt-oss-120b", "mxfp4")
	// experts 36·128·24,883,200 = 114,661,785,600 at 4.25 bits; attention and
	// routers 36·(26,542,080 + 368,640) = 968,785,920 and the two
	// 201,088·2880 tables at 16 bits.
	wantW := 114_661_785_600*(0.5+1.0/32) + 968_785_920*2 + 2*201_088*2880*2
	if got := d.WeightBytes(); math.Abs(got/wantW-1) > 1e-9 {
		t.Errorf("gpt-oss-120b mxfp4 weights %.4g B, want %.4g", got, wantW)
	}
	// KV per token: 18 full layers of 2·8·64 16-bit elements (36,864 B) and
	// 18 windowed ones holding 128 tokens, charged over a 4k sequence
	// (36,864 · 128/4096 = 1,152 B).
	if got := d.KVBytesPerToken(); got != 36864+1152 {
		t.Errorf("gpt-oss-120b KV %v B/token, want 38016", got)
	}
	// DeepSeek-R1 on 8 H200 at fp8: 61 layers of a 512 + 64 latent, one
	// byte each, held by all 8 ranks.
	r1 := device(t, "h200", 8, "deepseek-r1", "fp8")
	if got := r1.KVBytesPerToken(); got != 61*576*8 {
		t.Errorf("deepseek-r1 KV %v B/token on 8 ranks, want %d", got, 61*576*8)
	}
}

// decodeTPOT is the mean decode step of a static batch.
func decodeTPOT(t *testing.T, profile, model, prec string, batch int) (time.Duration, int) {
	t.Helper()
	p, err := sim.Predict(context.Background(), sim.Scenario{Profile: profile, Model: model, Precision: prec,
		Batch: batch, InputTokens: 1024, OutputTokens: 128})
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(p.TPOTms * float64(time.Millisecond)), p.Chips
}

// The physics: gpt-oss-120b (5 B active) decodes one sequence faster
// than a dense 70B on the same chips, and its step grows with the batch far
// more, since a big batch reads nearly all 128 experts where a dense model
// reads its weights once at any batch.
func TestMoEPhysics(t *testing.T) {
	for _, c := range []struct{ profile, prec70 string }{{"h100-sxm", "fp8"}, {"h200", "fp8"}, {"b200", "fp8"}, {"mi300x", "fp8"}} {
		moe1, n1 := decodeTPOT(t, c.profile, "gpt-oss-120b", "mxfp4", 1)
		moe64, _ := decodeTPOT(t, c.profile, "gpt-oss-120b", "mxfp4", 64)
		d1, n2 := decodeTPOT(t, c.profile, "llama-3.1-70b", c.prec70, 1)
		d64, _ := decodeTPOT(t, c.profile, "llama-3.1-70b", c.prec70, 64)
		if moe1 >= d1 {
			t.Errorf("%s: gpt-oss-120b batch-1 TPOT %v (%d chips) not below llama-3.1-70b's %v (%d chips)", c.profile, moe1, n1, d1, n2)
		}
		gm, gd := moe64.Seconds()/moe1.Seconds(), d64.Seconds()/d1.Seconds()
		if gm < 3*gd {
			t.Errorf("%s: TPOT growth batch 1→64: gpt-oss-120b %.2f×, llama-3.1-70b %.2f×; want the MoE's at least 3× the dense one's", c.profile, gm, gd)
		}
		t.Logf("%s: gpt-oss-120b %v → %v (%.1f×, %d chips); llama-3.1-70b %v → %v (%.1f×, %d chips)", c.profile, moe1, moe64, gm, n1, d1, d64, gd, n2)
	}
}

// Expert parallelism: over several chips a step pays the all-to-all, and at
// batch 1 the busiest chip still reads a whole expert.
func TestMoEExpertParallel(t *testing.T) {
	one := device(t, "h200", 1, "gpt-oss-120b", "mxfp4")
	two := device(t, "h200", 2, "gpt-oss-120b", "mxfp4")
	s := sim.Step{DecodeSeqs: 1, DecodeCtx: 1024}
	if c := one.Cost(s); c.CommTime != 0 {
		t.Errorf("one chip: comm %v, want 0", c.CommTime)
	}
	c1, c2 := two.Cost(s), two.Cost(sim.Step{DecodeSeqs: 64, DecodeCtx: 64 * 1024})
	if c1.CommTime <= 0 || c2.CommTime <= c1.CommTime {
		t.Errorf("two chips: comm %v at batch 1, %v at 64; want positive and growing", c1.CommTime, c2.CommTime)
	}
}

// NVFP4 needs NVIDIA's FP4 units: Hopper has none, and chips whose 4-bit
// units run only MXFP4 (MI355X, Trainium3) refuse it too, naming mxfp4
// among the formats they run; Blackwell runs it.
func TestNVFP4NeedsNVIDIAFP4(t *testing.T) {
	nv, _ := sim.LookupPrecision("nvfp4")
	for _, c := range []struct {
		profile string
		ok      bool
	}{{"h100-sxm", false}, {"mi300x", false}, {"mi355x", false}, {"trn3", false}, {"maia-200", false}, {"b200", true}, {"gb200", true}, {"b300", true}} {
		p, _ := sim.LookupProfile(c.profile)
		m, _ := fixtures.LookupModel("llama-3.1-8b")
		_, err := sim.NewDevice(p, 1, m, nv)
		if (err == nil) != c.ok || (err != nil && !strings.Contains(err.Error(), "mxfp4")) {
			t.Errorf("nvfp4 on %s: %v, want ok=%v (an error naming the valid formats)", c.profile, err, c.ok)
		}
	}
}

// gpt-oss-120b's 18 windowed layers read at most 128 cached tokens a
// sequence: past the window, one more token of context costs only the 18
// full layers' KV (18·2·8·64 elements of 2 bytes = 36,864 B at eff_kv of the
// bandwidth) and their attention (18 layers · 2·64·(64 + 64) FLOPs a pair at
// eff_attention of the 16-bit rate), half of what all 36 layers would.
func TestSlidingWindowCapsDecode(t *testing.T) {
	d := device(t, "h100-sxm", 1, "gpt-oss-120b", "mxfp4")
	// 100,000 more tokens, so that the step times' rounding to whole
	// nanoseconds is far below the tolerance.
	a := d.Cost(sim.Step{DecodeSeqs: 1, DecodeCtx: 5000})
	b := d.Cost(sim.Step{DecodeSeqs: 1, DecodeCtx: 105000})
	wantM := 36864 * 100000 / (d.Eff.KV * d.Profile.BandwidthGBps * 1e9)
	wantC := 18 * 2 * 64 * (64 + 64) * 100000 / (d.Eff.Attention * d.Profile.TFLOPS16 * 1e12)
	if got := (b.MemoryTime - a.MemoryTime).Seconds(); math.Abs(got/wantM-1) > 1e-3 {
		t.Errorf("100,000 more tokens of context: memory +%.3g s, want %.3g", got, wantM)
	}
	if got := (b.ComputeTime - a.ComputeTime).Seconds(); math.Abs(got/wantC-1) > 1e-3 {
		t.Errorf("100,000 more tokens of context: compute +%.3g s, want %.3g", got, wantC)
	}
}

// Trainium2 upcasts weight-only formats: gpt-oss-120b's MXFP4 experts and
// its bf16 attention all stream at 16 bits, so a batch-1 decode step reads
// the active layer weights at 2 bytes each (4.55 G weights: 9.1 GB), not
// the bf16 part at more than 2 bytes.
func TestMoEUpcastStreams16Bits(t *testing.T) {
	d := device(t, "trn2", 1, "gpt-oss-120b", "mxfp4")
	s := sim.Step{DecodeSeqs: 1, DecodeCtx: 1}
	head := 201_088.0 * 2880 * 2 // the output head, 16-bit
	want := (4_551_966_720*2 + head) / (d.Eff.DecodeMatmul * d.Profile.BandwidthGBps * 1e9)
	c := d.Cost(s)
	// MemoryTime also holds the KV and element-wise traffic: a few MB.
	if got := c.MemoryTime.Seconds(); got < want || got > want*1.01 {
		t.Errorf("trn2 gpt-oss-120b batch-1 memory time %.4g s, want %.4g s (+ <1%% KV and element-wise)", got, want)
	}
}

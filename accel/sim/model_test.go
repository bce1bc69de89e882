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

func device(t *testing.T, profile string, chips int, model, prec string) *sim.Device {
	t.Helper()
	p, err := sim.LookupProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	m, err := fixtures.LookupModel(model)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := sim.LookupPrecision(prec)
	if err != nil {
		t.Fatal(err)
	}
	d, err := sim.NewDevice(p, chips, m, pr)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Abs(b) }

// The pieces of the model, each checked against the arithmetic it claims.
func TestCostModel(t *testing.T) {
	t.Parallel()
	decode := sim.Step{DecodeSeqs: 1, DecodeCtx: 512}
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"weights by precision: layers at the format with its scales, head and tables at 16 bits", func(t *testing.T) {
			m, _ := fixtures.LookupModel("llama-3.1-8b")
			emb := float64(m.Vocab * m.DModel)
			layers := m.Params() - 2*emb // untied: input table and output head
			for prec, bits := range map[string]float64{"bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "w4a16": 4 + 16.0/128, "mxfp4": 4 + 8.0/32, "nvfp4": 4 + 8.0/16} {
				want := layers*bits/8 + 2*emb*2
				if got := device(t, "b200", 1, "llama-3.1-8b", prec).WeightBytes(); !near(got, want, 1e-9) {
					t.Errorf("%s weights %.4g, want %.4g", prec, got, want)
				}
			}
		}},
		{"nvfp4 needs FP4 units; mxfp4 runs anywhere", func(t *testing.T) {
			p, _ := sim.LookupProfile("h100-sxm")
			m, _ := fixtures.LookupModel("llama-3.1-8b")
			nv, _ := sim.LookupPrecision("nvfp4")
			if _, err := sim.NewDevice(p, 1, m, nv); err == nil || !strings.Contains(err.Error(), "needs FP4") || !strings.Contains(err.Error(), "mxfp4") {
				t.Errorf("nvfp4 on H100: %v", err)
			}
			big := sim.Step{PrefillTokens: 8192, PromptsDone: 16}
			b16 := device(t, "b200", 1, "llama-3.1-8b", "bf16").Cost(big).ComputeTime
			b4 := device(t, "b200", 1, "llama-3.1-8b", "nvfp4").Cost(big).ComputeTime
			h4 := device(t, "h100-sxm", 1, "llama-3.1-8b", "mxfp4").Cost(big).ComputeTime
			h16 := device(t, "h100-sxm", 1, "llama-3.1-8b", "bf16").Cost(big).ComputeTime
			if b4 >= b16/3 || h4 != h16 {
				t.Errorf("B200 nvfp4 %v vs bf16 %v (FP4 rate 4×); H100 mxfp4 %v vs bf16 %v (16-bit math)", b4, b16, h4, h16)
			}
		}},
		{"KV cache: fp8 with fp8 weights on FP8 chips, 16-bit otherwise, or as told", func(t *testing.T) {
			for _, tc := range []struct {
				profile, prec, kv string
				want              float64
			}{{"h100-sxm", "fp8", "", 1}, {"h100-sxm", "bf16", "", 2}, {"a100-80gb", "fp8", "", 2}, {"h100-sxm", "bf16", "fp8", 1}, {"h100-sxm", "fp8", "bf16", 2}, {"b200", "nvfp4", "", 1}} {
				p, _ := sim.LookupProfile(tc.profile)
				m, _ := fixtures.LookupModel("llama-3.1-8b")
				prec, _ := sim.LookupPrecision(tc.prec)
				d, err := sim.NewDeviceKV(p, 1, m, prec, tc.kv)
				if err != nil || d.KVBytesPerElement() != tc.want {
					t.Errorf("%s %s kv=%q: %v bytes, %v; want %v", tc.profile, tc.prec, tc.kv, d.KVBytesPerElement(), err, tc.want)
				}
			}
			p, _ := sim.LookupProfile("h100-sxm")
			m, _ := fixtures.LookupModel("llama-3.1-8b")
			bf, _ := sim.LookupPrecision("bf16")
			if _, err := sim.NewDeviceKV(p, 1, m, bf, "fp4"); err == nil || !strings.Contains(err.Error(), "valid: bf16, fp16, fp8, int8") {
				t.Errorf("kv=fp4: %v", err)
			}
		}},
		{"ranks beyond the KV heads hold replicas; padded heads cost attention", func(t *testing.T) {
			for _, tc := range []struct {
				profile string
				chips   int
				model   string
				ranks   int
				repl    float64
			}{{"inf2", 12, "llama-3.1-8b", 24, 3}, {"trn1", 16, "llama-3.1-8b", 32, 4}, {"inf2", 12, "llama-2-7b", 24, 1.5}, {"trn1", 16, "llama-2-7b", 32, 1}, {"h100-sxm", 2, "llama-3.1-70b", 2, 1}, {"h100-sxm", 1, "llama-3.1-8b", 1, 1}} {
				d := device(t, tc.profile, tc.chips, tc.model, "bf16")
				if d.Ranks() != tc.ranks || d.KVReplication() != tc.repl {
					t.Errorf("%s×%d %s: %d ranks, KV ×%v; want %d, ×%v", tc.profile, tc.chips, tc.model, d.Ranks(), d.KVReplication(), tc.ranks, tc.repl)
				}
				m := d.Model
				if want := float64(2*m.Layers*m.KVHeads*m.HeadDim()) * 2 * tc.repl; !near(d.KVBytesPerToken(), want, 1e-12) {
					t.Errorf("%s: KV bytes per token %.0f, want %.0f", tc.model, d.KVBytesPerToken(), want)
				}
			}
		}},
		{"an encoder on one multi-core chip runs a copy per core", func(t *testing.T) {
			one := device(t, "inf2", 1, "bert-base", "bf16")
			gpu := device(t, "l4", 1, "bert-base", "bf16")
			if one.Ranks() != 1 || gpu.Ranks() != 1 {
				t.Errorf("ranks %d, %d", one.Ranks(), gpu.Ranks())
			}
			step := sim.Step{PrefillTokens: 128 * 16, PrefillPairs: 16 * 128 * 128, PromptsDone: 16}
			half := one.Cost(step).ComputeTime
			p := one.Profile
			p.Cores = 1 // the same chip with one core: twice the rate
			m, _ := fixtures.LookupModel("bert-base")
			prec, _ := sim.LookupPrecision("bf16")
			whole, _ := sim.NewDevice(p, 1, m, prec)
			if !near(half.Seconds(), 2*whole.Cost(step).ComputeTime.Seconds(), 1e-6) {
				t.Errorf("one core %v, whole chip %v", half, whole.Cost(step).ComputeTime)
			}
		}},
		{"where the stack upcasts weight-only int8, it streams like bf16", func(t *testing.T) {
			mm := func(profile, prec string) time.Duration {
				d := device(t, profile, 12, "llama-3.1-8b", prec)
				return d.Cost(sim.Step{DecodeSeqs: 1}).MemoryTime
			}
			if mm("inf2", "int8") != mm("inf2", "bf16") {
				t.Errorf("inf2 int8 %v vs bf16 %v", mm("inf2", "int8"), mm("inf2", "bf16"))
			}
			h8 := device(t, "h100-sxm", 1, "llama-3.1-8b", "int8").Cost(sim.Step{DecodeSeqs: 1}).MemoryTime
			h16 := device(t, "h100-sxm", 1, "llama-3.1-8b", "bf16").Cost(sim.Step{DecodeSeqs: 1}).MemoryTime
			if !(h8 < h16*7/10) {
				t.Errorf("h100 int8 %v vs bf16 %v: int8 streams half the layer bytes", h8, h16)
			}
		}},
		{"grouped-query KV heads shrink the cache", func(t *testing.T) {
			// llama-2-7b: 32 KV heads; llama-3.1-8b: 8, same layers and width.
			mha := device(t, "h100-sxm", 1, "llama-2-7b", "bf16").KVBytesPerToken()
			gqa := device(t, "h100-sxm", 1, "llama-3.1-8b", "bf16").KVBytesPerToken()
			if !near(mha, 2*32*4096*2, 1e-9) || !near(gqa, mha/4, 1e-9) {
				t.Errorf("KV bytes per token: MHA %.0f, GQA %.0f", mha, gqa)
			}
		}},
		{"batch-1 decode is memory-bound: weights, KV and activations at their efficiencies", func(t *testing.T) {
			d := device(t, "a100-40gb", 1, "llama-2-13b", "fp16")
			c := d.Cost(decode)
			if c.Bound() != "memory" {
				t.Errorf("bound %s", c.Bound())
			}
			// Streams the weights less the input-embedding table; reads the KV
			// cache of 512 tokens and writes one; element-wise traffic of one token.
			m, e, bw := d.Model, d.Eff, d.Profile.BandwidthGBps*1e9
			weights := d.WeightBytes() - float64(m.Vocab*m.DModel)*2
			kv := d.KVBytesPerToken() * 513
			ffn := 3 * float64(m.DFF)
			ew := float64(m.Layers) * 2 * (10*float64(m.DModel) + 2*float64(m.DModel+m.KVHeads*m.HeadDim()) + ffn)
			want := weights/(e.DecodeMatmul*bw) + kv/(e.Attention*bw) + ew/(e.Elementwise*bw)
			if !near(c.MemoryTime.Seconds(), want, 0.01) {
				t.Errorf("memory time %v, want %.4gs", c.MemoryTime, want)
			}
			if !near((c.Time - c.OverheadTime).Seconds(), want, 0.02) {
				t.Errorf("step %v = memory + overhead %v?", c.Time, c.OverheadTime)
			}
		}},
		{"long prefill is compute-bound", func(t *testing.T) {
			c := device(t, "h100-sxm", 1, "llama-3.1-8b", "bf16").Cost(sim.Step{PrefillTokens: 4096, PrefillPairs: 4096 * 4097 / 2, PromptsDone: 1})
			if c.Bound() != "compute" {
				t.Errorf("bound %s", c.Bound())
			}
		}},
		{"fp8 math doubles the matmul rate only on FP8 chips", func(t *testing.T) {
			big := sim.Step{PrefillTokens: 8192, PromptsDone: 16}
			h16 := device(t, "h100-sxm", 1, "llama-3.1-8b", "bf16").Cost(big).ComputeTime
			h8 := device(t, "h100-sxm", 1, "llama-3.1-8b", "fp8").Cost(big).ComputeTime
			a16 := device(t, "a100-80gb", 1, "llama-3.1-8b", "bf16").Cost(big).ComputeTime
			a8 := device(t, "a100-80gb", 1, "llama-3.1-8b", "fp8").Cost(big).ComputeTime
			if !near(h8.Seconds(), h16.Seconds()/2, 0.01) || a8 != a16 {
				t.Errorf("H100 %v→%v, A100 %v→%v", h16, h8, a16, a8)
			}
		}},
		{"tensor parallelism adds two all-reduces per layer", func(t *testing.T) {
			d := device(t, "inf2", 12, "llama-2-7b", "bf16")
			c := d.Cost(decode)
			p := d.Profile
			ring := 4096.0 * sim.ActivationBytes * 2 * 23 / 24 // 24 NeuronCores
			want := 2 * 32 * (p.LinkLatencyUS*1e-6 + ring/(p.LinkGBps*1e9))
			if !near(c.CommTime.Seconds(), want, 1e-6) {
				t.Errorf("all-reduce time %v, want %.4gs", c.CommTime, want)
			}
			if one := device(t, "l4", 1, "llama-3.2-1b", "bf16").Cost(decode); one.CommTime != 0 {
				t.Errorf("one single-core chip has collectives: %v", one.CommTime)
			}
			// One inf2 chip is two NeuronCores: a decoder is split over both.
			if two := device(t, "inf2", 1, "llama-3.2-1b", "bf16"); two.Ranks() != 2 || two.Cost(decode).CommTime == 0 {
				t.Errorf("one inf2 chip: %d ranks, collectives %v", two.Ranks(), two.Cost(decode).CommTime)
			}
		}},
		{"first-token overhead only where a decoder's first tokens come out", func(t *testing.T) {
			d := device(t, "inf2", 1, "llama-3.2-1b", "bf16")
			with := d.Cost(sim.Step{PrefillTokens: 128, PrefillPairs: 128 * 129 / 2, PromptsDone: 1, FirstTokens: 1}).OverheadTime
			chunk := d.Cost(sim.Step{PrefillTokens: 128, PrefillPairs: 128 * 129 / 2}).OverheadTime
			if with-chunk != d.Eff.FirstTokenOverhead || chunk != d.Eff.StepOverhead {
				t.Errorf("overheads %v (prompt done) and %v (mid-prompt chunk)", with, chunk)
			}
			bert := device(t, "inf2", 1, "bert-base", "bf16")
			if o := bert.Cost(sim.Step{PrefillTokens: 128, PrefillPairs: 128 * 128, PromptsDone: 1, FirstTokens: 1}).OverheadTime; o != bert.Eff.StepOverhead {
				t.Errorf("encoder pays a first-token overhead: %v", o)
			}
		}},
		{"gated MLPs have a third projection", func(t *testing.T) {
			gated, _ := fixtures.LookupModel("llama-2-7b")
			plain := gated
			plain.Gated = false
			diff := gated.Params() - plain.Params()
			if !near(diff, float64(gated.Layers*gated.DModel*gated.DFF), 1e-9) {
				t.Errorf("gated − plain = %.3g parameters", diff)
			}
		}},
		{"power is idle plus utilization share of TDP−idle", func(t *testing.T) {
			d := device(t, "h100-sxm", 2, "llama-3.1-8b", "bf16")
			p := d.Profile
			if d.Power(0) != 2*p.IdleW || d.Power(1) != 2*p.TDPW || !near(d.Power(0.5), p.IdleW+p.TDPW, 1e-12) {
				t.Errorf("power %v %v %v", d.Power(0), d.Power(0.5), d.Power(1))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

// Every efficiency and overhead in profiles.json is in a plausible range and
// has a source; Neuron's collective latency is tens of microseconds.
func TestProfileEfficiencies(t *testing.T) {
	t.Parallel()
	for _, p := range sim.Profiles() {
		for name, e := range map[string]float64{"eff_prefill_matmul": p.EffPrefillMatmul, "eff_decode_matmul": p.EffDecodeMatmul, "eff_attention": p.EffAttention, "eff_elementwise": p.EffElementwise} {
			if !(e > 0.02 && e <= 1) {
				t.Errorf("%s: %s %v outside (0.02, 1]", p.ID, name, e)
			}
		}
		if p.StepOverheadUS < 0 || p.StepOverheadUS > 2000 || p.FirstTokenOverheadUS < 0 {
			t.Errorf("%s: overheads %v / %v µs", p.ID, p.StepOverheadUS, p.FirstTokenOverheadUS)
		}
		for _, f := range []string{"eff_prefill_matmul", "eff_decode_matmul", "eff_attention", "eff_elementwise", "step_overhead_us", "first_token_overhead_us", "platform"} {
			if p.Sources[f] == "" {
				t.Errorf("%s: no source for %s", p.ID, f)
			}
		}
		if p.Vendor == "AWS" && (p.LinkLatencyUS < 10 || p.LinkLatencyUS >= 100) {
			t.Errorf("%s: collective latency %v µs, want tens of µs", p.ID, p.LinkLatencyUS)
		}
		if strings.HasPrefix(p.ID, "npu-") && p.EffDecodeMatmul > 0.5 {
			t.Errorf("%s: an NPU reaching %.0f%% of SoC bandwidth in decode", p.ID, p.EffDecodeMatmul*100)
		}
	}
}

// Predict fills every field the CLI prints, in both modes.
func TestPredict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		s     sim.Scenario
		check func(t *testing.T, p *sim.Prediction)
	}{
		{"inf2 latency", sim.Scenario{Profile: "inf2", Chips: 12, Model: "llama-2-7b", Precision: "bf16", Batch: 1, InputTokens: 128, OutputTokens: 3968},
			func(t *testing.T, p *sim.Prediction) {
				if p.MaxBatch != 1 || p.Bound["decode"] != "memory" || p.TPOTms <= 0 || p.JoulesPerOutputToken <= 0 {
					t.Errorf("%+v", p)
				}
				if e2e := p.TTFTms + p.TPOTms*3967; !near(p.E2Ems, e2e, 1e-6) {
					t.Errorf("e2e %v ≠ TTFT + 3967·TPOT = %v", p.E2Ems, e2e)
				}
			}},
		{"static batch shares the steps", sim.Scenario{Profile: "h100-sxm", Model: "llama-3.1-8b", Batch: 32, InputTokens: 256, OutputTokens: 64},
			func(t *testing.T, p *sim.Prediction) {
				if p.MaxBatch != 32 || p.Requests != 32 || p.TTFTms >= p.E2Ems {
					t.Errorf("%+v", p)
				}
			}},
		{"offline is bounded by KV capacity", sim.Scenario{Profile: "l4", Model: "llama-3.1-8b", Requests: 2000, InputTokens: 1024, OutputTokens: 512},
			func(t *testing.T, p *sim.Prediction) {
				if float64(p.MaxBatch*1536) > p.KVCapacityTokens || p.MaxBatch < 10 || p.Mode != "offline" {
					t.Errorf("max batch %d with %.0f KV tokens", p.MaxBatch, p.KVCapacityTokens)
				}
			}},
		{"encoder has no decode", sim.Scenario{Profile: "inf2", Model: "bert-base", Batch: 1, InputTokens: 128, OutputTokens: 50},
			func(t *testing.T, p *sim.Prediction) {
				if p.OutputTokens != 0 || p.TTFTms != p.E2Ems || p.Bound["decode"] != "" || p.JoulesPerRequest <= 0 {
					t.Errorf("%+v", p)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := sim.Predict(context.Background(), tt.s)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestPredictErrors(t *testing.T) {
	t.Parallel()
	base := sim.Scenario{Profile: "h100-sxm", Model: "llama-3.1-8b", Batch: 1, InputTokens: 128, OutputTokens: 128}
	tests := []struct {
		mod  func(*sim.Scenario)
		want string
	}{
		{func(s *sim.Scenario) { s.Profile = "tpu" }, "h100-sxm"},
		{func(s *sim.Scenario) { s.Model = "gpt-5" }, "llama-3.1-8b"},
		{func(s *sim.Scenario) { s.Precision = "fp4" }, "w4a16"},
		{func(s *sim.Scenario) { s.Batch = 0 }, "batch 0"},
		{func(s *sim.Scenario) { s.Chips = 65 }, "1 to 64"},
		{func(s *sim.Scenario) { s.InputTokens = 0 }, "input tokens 0"},
		{func(s *sim.Scenario) { s.Profile, s.Model, s.Chips = "l4", "llama-3.1-70b", 1 }, "chips="},
		{func(s *sim.Scenario) { s.InputTokens = 10_000_000 }, "KV cache"},
	}
	for _, tt := range tests {
		s := base
		tt.mod(&s)
		if _, err := sim.Predict(context.Background(), s); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want an error mentioning %q", s, err, tt.want)
		}
	}
}

func TestParseCalibrationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ doc, want string }{
		{`{`, "calibration file"},
		{`{"cases":[]}`, "no cases"},
		{`{"cases":[{"id":"x","mode":"burst","metric":"ttft_ms","value":1}]}`, "latency, offline"},
		{`{"cases":[{"id":"x","mode":"latency","batch":1,"metric":"speed","value":1}]}`, "tpot_ms"},
		{`{"cases":[{"id":"x","mode":"offline","metric":"ttft_ms","value":1}]}`, "requests 0"},
		{`{"cases":[{"id":"x","mode":"latency","batch":1,"metric":"ttft_ms","value":0}]}`, "positive"},
	}
	for _, tt := range tests {
		if _, err := sim.ParseCalibration([]byte(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.doc, err, tt.want)
		}
	}
}

func FuzzParseCalibration(f *testing.F) {
	f.Add(fixtures.Calibration())
	f.Add([]byte(`{"cases":[{"id":"x","mode":"latency","batch":1,"metric":"ttft_ms","value":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, err := sim.ParseCalibration(data)
		if err == nil && len(cf.Cases) == 0 {
			t.Error("accepted a file with no cases")
		}
	})
}

// Energy accounting in virtual time: the joules of a drive equal its power
// integrated over its steps, so idle periods at idle power bound it below.
func TestDriveEnergy(t *testing.T) {
	t.Parallel()
	b, err := sim.New("h100-sxm", 1, "llama-3.1-8b", "bf16", false)
	if err != nil {
		t.Fatal(err)
	}
	d := newPoisson(1, 2, 200, 256, 64)
	drive(t, b, d)
	st, e := b.LastDrive(), b.Energy()
	dev := b.Device()
	lo, hi := dev.Power(0)*st.Elapsed.Seconds(), dev.Power(1)*st.Elapsed.Seconds()
	if e.Joules != st.Joules || e.Joules <= lo || e.Joules >= hi || e.Elapsed != st.Elapsed {
		t.Errorf("energy %.0f J over %v, want between idle %.0f and TDP %.0f", e.Joules, st.Elapsed, lo, hi)
	}
	if st.Busy >= st.Elapsed || st.Busy <= 0 || st.MeanDecodeStep <= 0 || st.MeanDecodeStep > time.Second {
		t.Errorf("stats %+v", st)
	}
}

// Static batching (Neuron), a known answer: a batch of 4 encodes its
// prompts one request per step, and every request's first token comes out
// when the last is encoded, the first-token overhead paid once; the batch
// then decodes together. So every TTFT is the sum of the four encode steps,
// worked out here from Cost, and the decode steps follow.
func TestStaticBatchingKnownAnswer(t *testing.T) {
	t.Parallel()
	const batch, in, out = 4, 128, 16
	d := device(t, "inf2", 12, "llama-3.1-8b", "int8")
	var ttft time.Duration
	for i := 1; i <= batch; i++ {
		st := sim.Step{PrefillTokens: in, PrefillPairs: in * (in + 1) / 2, PromptsDone: 1}
		if i == batch {
			st.FirstTokens = batch
		}
		ttft += d.Cost(st).Time
	}
	e2e := ttft
	for j := 1; j < out; j++ { // decode step j: each sequence holds its prompt and j tokens
		e2e += d.Cost(sim.Step{DecodeSeqs: batch, DecodeCtx: batch * float64(in+j)}).Time
	}
	p, err := sim.Predict(context.Background(), sim.Scenario{Profile: "inf2", Chips: 12, Model: "llama-3.1-8b", Precision: "int8", Batch: batch, InputTokens: in, OutputTokens: out})
	if err != nil {
		t.Fatal(err)
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	if !near(p.TTFTms, ms(ttft), 1e-9) || p.TTFTP99 != p.TTFTms {
		t.Errorf("TTFT mean %.6f ms, p99 %.6f ms: want every request at %.6f ms", p.TTFTms, p.TTFTP99, ms(ttft))
	}
	if !near(p.E2Ems, ms(e2e), 1e-9) {
		t.Errorf("end to end %.6f ms, want %.6f ms", p.E2Ems, ms(e2e))
	}
	// Continuous batching (an H100) gives the batch's prompts one step, no wait.
	h, err := sim.Predict(context.Background(), sim.Scenario{Profile: "h100-sxm", Model: "llama-3.1-8b", Batch: batch, InputTokens: in, OutputTokens: out})
	if err != nil {
		t.Fatal(err)
	}
	hd := device(t, "h100-sxm", 1, "llama-3.1-8b", "bf16")
	one := hd.Cost(sim.Step{PrefillTokens: batch * in, PrefillPairs: batch * in * (in + 1) / 2, PromptsDone: batch, FirstTokens: batch}).Time
	if !near(h.TTFTms, ms(one), 1e-9) {
		t.Errorf("h100 TTFT %.6f ms, want one prefill step of the whole batch, %.6f ms", h.TTFTms, ms(one))
	}
}

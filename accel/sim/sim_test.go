package sim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
)

// Every profile in the data file carries a source for every figure it uses.
func TestProfilesHaveSources(t *testing.T) {
	t.Parallel()
	want := strings.Fields("a100-40gb a100-80gb h100-sxm h100-pcie h200 b200 l4 l40s inf1 inf2 trn1 trn2 " +
		"mi300x mi325x mi355x tpu-v5e tpu-v6e tpu-v7 maia-100 maia-200 trn3 gb200 b300 cloud-ai-100 " +
		"npu-x-elite npu-m4 npu-lunar-lake npu-xdna2")
	ps := sim.Profiles()
	if len(ps) != len(want) {
		t.Fatalf("%d profiles, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if p.ID != want[i] {
			t.Errorf("profile %d is %q, want %q", i, p.ID, want[i])
		}
		fields := []string{"tflops16", "tflops8", "memory_bytes", "bandwidth_gbps", "tdp_w", "idle_w", "link_gbps", "link_latency_us",
			"eff_prefill_matmul", "eff_decode_matmul", "eff_attention", "eff_elementwise", "step_overhead_us", "platform"}
		if p.FP4 {
			fields = append(fields, "tflops4")
		}
		if p.Cores > 1 {
			fields = append(fields, "cores")
		}
		for _, field := range fields {
			if p.Sources[field] == "" {
				t.Errorf("%s: no source for %s", p.ID, field)
			}
		}
		if p.TFLOPS16 <= 0 || p.BandwidthGBps <= 0 || p.MemoryBytes <= 0 || p.TDPW <= p.IdleW {
			t.Errorf("%s: implausible figures %+v", p.ID, p)
		}
	}
}

// The default model fits every profile on some number of chips.
func TestDefaultModelFitsEveryProfile(t *testing.T) {
	t.Parallel()
	for _, id := range sim.ProfileIDs() {
		b, err := sim.New(id, 0, "llama-3.1-8b", "", false)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		info := b.Info()
		if strings.HasPrefix(id, "npu-") && info.Precision != "w4a16" {
			t.Errorf("%s: precision %s, want w4a16", id, info.Precision)
		}
		if id == "inf1" && info.Chips < 2 {
			t.Errorf("inf1 holds 16 GB of bf16 weights on %d chip(s) of 8 GiB", info.Chips)
		}
	}
}

func TestOpenerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ spec, want string }{
		{"sim:nonesuch", "h100-sxm"},
		{"sim:l4?chips=0", "chips"},
		{"sim:l4?chips=x", "chips"},
		{"sim:l4?color=red", "unknown option"},
	}
	wantSpecErrors(t, tests)
	if _, err := sim.New("l4", 1, "llama-3.1-70b", "bf16", false); err == nil || !strings.Contains(err.Error(), "chips=") {
		t.Errorf("70B on one L4: %v, want an error suggesting chips", err)
	}
}

// Decode is memory-bound and prefill of a long prompt compute-bound, as on real
// hardware.
func TestRoofline(t *testing.T) {
	t.Parallel()
	p, _ := sim.LookupProfile("h100-sxm")
	m, _ := fixtures.LookupModel("llama-3.1-8b")
	prec, _ := sim.LookupPrecision("bf16")
	d, err := sim.NewDevice(p, 1, m, prec)
	if err != nil {
		t.Fatal(err)
	}
	dec := d.Cost(sim.Step{DecodeSeqs: 1, DecodeCtx: 512})
	if dec.MemoryTime <= dec.ComputeTime {
		t.Errorf("batch-1 decode: memory %v <= compute %v", dec.MemoryTime, dec.ComputeTime)
	}
	pre := d.Cost(sim.Step{PrefillTokens: 4096, PromptsDone: 1, PrefillPairs: 4096 * 4097 / 2})
	if pre.ComputeTime <= pre.MemoryTime {
		t.Errorf("4k prefill: compute %v <= memory %v", pre.ComputeTime, pre.MemoryTime)
	}
	if dec.Utilization <= 0 || dec.Utilization > 1 {
		t.Errorf("utilization %v outside (0, 1]", dec.Utilization)
	}
}

// Real-time mode sleeps through the predicted times and streams tokens.
func TestRealtimeInfer(t *testing.T) {
	t.Parallel()
	b, err := sim.New("h100-sxm", 1, "llama-3.2-1b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	var tokens int
	req := accel.Request{Model: "llama-3.2-1b", InputTokens: 64, OutputTokens: 8, OnToken: func(int) { tokens++ }}
	var res accel.Result
	start := time.Now()
	if err := b.Infer(context.Background(), &req, &res); err != nil {
		t.Fatal(err)
	}
	if tokens != 8 || res.OutputTokens != 8 || res.TTFT <= 0 || res.Latency < res.TTFT {
		t.Errorf("tokens %d, result %+v", tokens, res)
	}
	if time.Since(start) < res.Latency {
		t.Errorf("returned before its own latency: real time did not pass")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req.OutputTokens = 1000
	if err := b.Infer(ctx, &req, &res); accel.ClassOf(err) != accel.ClassCanceled {
		t.Errorf("canceled Infer: %v", err)
	}
}

// wantSpecErrors opens each spec for llama-3.1-8b and wants a spec error
// (accel.ErrBadSpec) whose message holds want.
func wantSpecErrors(t *testing.T, tests []struct{ spec, want string }) {
	t.Helper()
	for _, tt := range tests {
		sp, err := accel.ParseSpec(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sim.Opener{}.Open(sp, accel.Options{Model: "llama-3.1-8b"})
		if !errors.Is(err, accel.ErrBadSpec) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%s) = %v, want a spec error mentioning %q", tt.spec, err, tt.want)
		}
	}
}

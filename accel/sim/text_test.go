package sim_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/sim"
)

// WritePrediction shows TPOT only for more than one token, "offline" for an
// offline run, and rejected requests only when there are some.
func TestWritePrediction(t *testing.T) {
	t.Parallel()
	base := sim.Prediction{Profile: "h100-sxm", Chips: 1, Model: "llama-3.1-8b", Precision: "bf16", Mode: "latency", Requests: 8,
		InputTokens: 512, OutputTokens: 128, TTFTms: 41.5, TTFTP99: 42.25, TPOTms: 7.125, E2Ems: 946.4, E2EP99: 950,
		OutputTokensPerS: 1082.2, RequestsPerS: 8.455, MaxBatch: 8, KVCapacityTokens: 462000, WeightsGB: 16.06,
		Bound: map[string]string{"prefill": "compute", "decode": "memory"}, JoulesPerOutputToken: 0.5123, JoulesPerRequest: 65.57, AvgPowerW: 554.6}
	offline, encoder := base, base
	offline.Mode, offline.Requests, offline.Rejected = "offline", 3000, 2
	encoder.OutputTokens, encoder.Bound = 0, map[string]string{"prefill": "compute"}
	for _, tt := range []struct {
		name      string
		p         sim.Prediction
		want, not []string
	}{
		{"static", base, []string{
			"configuration  1× h100-sxm, llama-3.1-8b at bf16\n",
			"requests       static batch of 8, 512 prompt + 128 output tokens each\n",
			"TTFT           41.500 ms mean, 42.250 ms p99\n",
			"TPOT           7.125 ms (mean decode step)\n",
			"end to end     946.400 ms mean, 950.000 ms p99\n",
			"throughput     1082.2 output tokens/s, 8.455 requests/s\n",
			"max batch      8 sequences (KV cache holds 462000 tokens; weights 16.1 GB)\n",
			"bound          decode memory, prefill compute\n",
			"energy         0.5123 J/output token, 65.57 J/request, 555 W average\n",
		}, []string{"rejected"}},
		{"offline", offline, []string{"offline: 3000 requests at t=0", "rejected       2 requests can never fit the KV cache\n"}, nil},
		{"encoder", encoder, []string{"0 output tokens each", "bound          prefill compute\n"}, []string{"TPOT"}},
	} {
		var b strings.Builder
		if err := sim.WritePrediction(&b, &tt.p); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: lacks %q:\n%s", tt.name, w, b.String())
			}
		}
		// The table's rows stay together, so tabwriter aligns them all:
		// sources come after it.
		if table, _, _ := strings.Cut(b.String(), "\nSources:"); strings.Contains(table, "  eff_") {
			t.Errorf("%s: a source line inside the table, breaking its alignment", tt.name)
		}
		for _, n := range tt.not {
			if strings.Contains(b.String(), n) {
				t.Errorf("%s: has %q:\n%s", tt.name, n, b.String())
			}
		}
	}
}

// The profile tables list every profile; the full one its efficiencies,
// and with sources where each figure comes from.
func TestWriteProfiles(t *testing.T) {
	t.Parallel()
	ps := sim.Profiles()
	for _, tt := range []struct {
		name      string
		write     func(*strings.Builder) error
		want, not []string
	}{
		{"profiles", func(b *strings.Builder) error { return sim.WriteProfiles(b, ps, false) },
			[]string{"η prefill mm", "η decode mm", "η attention", "cores", "default precision", "'inferbench calibrate' checks them."}, []string{"eff_decode_matmul: "}},
		{"sources", func(b *strings.Builder) error { return sim.WriteProfiles(b, ps, true) },
			[]string{"\nSources:\n", "  eff_decode_matmul:           derived", "  eff_kv:                      fit: aws-neuron.eff_kv",
				"  first_token_overhead_us:     assumption: no measurement of this chip",
				"NVIDIA H100 datasheet † (3.35 TB/s) <https://www.nvidia.com/en-us/data-center/h100/>", "<https://awsdocs-neuron.readthedocs-hosted.com/>"}, nil},
		{"summary", func(b *strings.Builder) error { return sim.WriteProfileSummary(b, ps) },
			[]string{"id  ", "16-bit TFLOPS", "TDP W\n"}, []string{"η prefill"}},
	} {
		var b strings.Builder
		if err := tt.write(&b); err != nil {
			t.Fatal(err)
		}
		for _, id := range sim.ProfileIDs() {
			tt.want = append(tt.want, "\n"+id+" ")
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: lacks %q", tt.name, w)
			}
		}
		// The table's rows stay together, so tabwriter aligns them all:
		// sources come after it.
		if table, _, _ := strings.Cut(b.String(), "\nSources:"); strings.Contains(table, "  eff_") {
			t.Errorf("%s: a source line inside the table, breaking its alignment", tt.name)
		}
		for _, n := range tt.not {
			if strings.Contains(b.String(), n) {
				t.Errorf("%s: has %q", tt.name, n)
			}
		}
	}
}

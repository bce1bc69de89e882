package sim_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/sim"
)

// Tensor parallelism must split the heads: chips=3 for a 32-head model is
// refused with the valid counts, an automatic count picks the fewest valid
// chips that hold the model, and a profile that pads heads (Neuron) takes any.
func TestChipsSplitTheHeads(t *testing.T) {
	t.Parallel()
	refused := []struct {
		profile string
		chips   int
		model   string
		want    string
	}{
		{"h100-sxm", 3, "llama-3.1-8b", "valid chip counts: 1, 2, 4, 8, 16, 32"},
		{"h100-sxm", 64, "llama-3.1-8b", "chips=64"},
		{"a100-80gb", 6, "llama-3.2-3b", "valid chip counts: 1, 2, 4, 8, 24"},
		{"trn2", 3, "llama-3.1-8b", "32 attention heads"},
	}
	for _, tt := range refused {
		if _, err := sim.New(tt.profile, tt.chips, tt.model, "", false); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%d× %s, %s: %v, want an error naming %q", tt.chips, tt.profile, tt.model, err, tt.want)
		}
	}
	auto := []struct {
		profile, model, precision string
		chips                     int
	}{
		{"l4", "llama-3.1-70b", "bf16", 8},   // memory for 7; 7 does not split 64 heads
		{"h100-sxm", "llama-3.1-8b", "", 1},  // fits one
		{"h100-sxm", "llama-3.1-70b", "", 2}, // 141 GB of weights on 2× 72 GB usable
		{"inf2", "llama-3.1-70b", "bf16", 5}, // Neuron pads heads: the fewest that hold it
	}
	for _, tt := range auto {
		b, err := sim.New(tt.profile, 0, tt.model, tt.precision, false)
		if err != nil {
			t.Errorf("%s, %s: %v", tt.profile, tt.model, err)
			continue
		}
		if got := b.Info().Chips; got != tt.chips {
			t.Errorf("%s, %s: automatic chips %d, want %d", tt.profile, tt.model, got, tt.chips)
		}
	}
	if _, err := sim.New("inf2", 12, "llama-2-7b", "bf16", false); err != nil {
		t.Errorf("inf2 TP12 for 32 heads (Neuron pads heads; published at TP24): %v", err)
	}
	// Every profile's automatic count for every model is one it accepts.
	for _, id := range sim.ProfileIDs() {
		for _, m := range []string{"llama-3.1-8b", "llama-3.2-3b", "llama-2-13b", "llama-3.1-70b"} {
			if _, err := sim.New(id, 0, m, "", false); err != nil && !strings.Contains(err.Error(), "GB usable") {
				t.Errorf("%s, %s, automatic chips: %v", id, m, err)
			}
		}
	}
}

// Profile and precision ids ignore case, and a near miss is suggested.
func TestProfileIDsIgnoreCase(t *testing.T) {
	t.Parallel()
	b, err := sim.New("H100-SXM", 0, "LLAMA-3.1-8B", "BF16", false)
	if err != nil {
		t.Fatal(err)
	}
	if info := b.Info(); info.ID != "sim:h100-sxm" || info.Profile != "h100-sxm" || info.Precision != "bf16" || info.Extra["model"] != "llama-3.1-8b" {
		t.Errorf("info %+v, want the canonical ids", info)
	}
	tests := []struct{ spec, want string }{
		{"sim:h100", `unknown profile "h100" (did you mean sim:h100-sxm or sim:h100-pcie?)`},
		{"sim:H100-SMX", "(did you mean sim:h100-sxm?)"},
		{"sim:l4?chip=2", `unknown option "chip" (did you mean chips?)`},
	}
	wantSpecErrors(t, tests)
	if _, err := sim.LookupPrecision("fp9"); err == nil || !strings.Contains(err.Error(), "(did you mean fp8?)") {
		t.Errorf("LookupPrecision(fp9) = %v", err)
	}
}

package nvml

import (
	"testing"

	"github.com/inferbench/inferbench/fixtures"
)

// nvmlNames are names real NVML reports (nvidia-smi --query-gpu=name), and the
// profile each should match.
var nvmlNames = []struct {
	name    string
	memGiB  uint64
	profile string
	exact   bool
}{
	{"NVIDIA A100-SXM4-40GB", 40, "a100-40gb", true},
	{"NVIDIA A100-SXM4-80GB", 80, "a100-80gb", true},
	{"NVIDIA A100-PCIE-40GB", 40, "a100-40gb", false},
	{"NVIDIA A100 80GB PCIe", 80, "a100-80gb", false},
	{"NVIDIA A100-SXM-80GB", 80, "a100-80gb", true},
	{"Mock NVIDIA A100-SXM4-40GB", 40, "a100-40gb", true},
	{"NVIDIA H100 80GB HBM3", 80, "h100-sxm", true},
	{"NVIDIA H100 SXM5 80GB", 80, "h100-sxm", true},
	{"NVIDIA H100 PCIe", 80, "h100-pcie", true},
	{"NVIDIA H200", 141, "h200", true},
	{"NVIDIA H200 141GB HBM3e", 141, "h200", true},
	{"NVIDIA B200", 180, "b200", true},
	{"NVIDIA B200 180GB HBM3e", 180, "b200", true},
	{"NVIDIA L4", 24, "l4", true},
	{"NVIDIA L40S", 48, "l40s", true},
	// Boards no profile models: no match rather than a wrong one.
	{"NVIDIA H100 NVL", 94, "", false},
	{"NVIDIA H200 NVL", 141, "", false},
	{"NVIDIA GH200 480GB", 96, "", false},
	{"NVIDIA GB200", 186, "gb200", true},
	{"NVIDIA B300 SXM6 AC", 275, "b300", true},
	{"NVIDIA L40", 48, "", false},
	{"NVIDIA GeForce RTX 4090", 24, "", false},
	{"Tesla T4", 16, "", false},
	{"", 0, "", false},
}

func TestMatchProfile(t *testing.T) {
	t.Parallel()
	for _, tc := range nvmlNames {
		id, exact := MatchProfile(tc.name, tc.memGiB<<30)
		if id != tc.profile || exact != tc.exact {
			t.Errorf("MatchProfile(%q) = %q, %v; want %q, %v", tc.name, id, exact, tc.profile, tc.exact)
		}
		if id != "" {
			if _, err := fixtures.LookupProfile(id); err != nil {
				t.Errorf("%q matches %q, which is not a profile: %v", tc.name, id, err)
			}
		}
	}
}

// TestEveryNVIDIAProfileMatched keeps matching in step with the simulated profiles: each
// NVIDIA profile must be what some real NVML name matches.
func TestEveryNVIDIAProfileMatched(t *testing.T) {
	t.Parallel()
	matched := map[string]bool{}
	for _, tc := range nvmlNames {
		if tc.exact {
			matched[tc.profile] = true
		}
	}
	for _, p := range fixtures.Profiles() {
		if p.Vendor == "NVIDIA" && !matched[p.ID] {
			t.Errorf("simulated profile %s (%s): no NVML name matches it exactly; add one to MatchProfile", p.ID, p.Name)
		}
	}
}

func TestDerivedFigures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		clockMHz, bits uint32
		want           float64
	}{
		{1215, 5120, 1555.2},  // A100 40GB, datasheet 1555 GB/s
		{2619, 5120, 3352.32}, // H100 SXM, datasheet 3.35 TB/s
		{6251, 192, 300.048},  // L4, datasheet 300 GB/s
		{0, 5120, 0},
	}
	for _, tc := range tests {
		if got := bandwidthGBps(tc.clockMHz, tc.bits); got < tc.want-1e-6 || got > tc.want+1e-6 {
			t.Errorf("bandwidthGBps(%d, %d) = %v, want %v", tc.clockMHz, tc.bits, got, tc.want)
		}
	}
	for _, tc := range []struct{ major, minor, want int }{{8, 0, 64}, {8, 6, 128}, {8, 9, 128}, {9, 0, 128}, {10, 0, 128}, {7, 0, 64}, {5, 2, 0}} {
		if got := coresPerSM(tc.major, tc.minor); got != tc.want {
			t.Errorf("coresPerSM(%d.%d) = %d, want %d", tc.major, tc.minor, got, tc.want)
		}
	}
}

func FuzzMatchProfile(f *testing.F) {
	for _, tc := range nvmlNames {
		f.Add(tc.name, tc.memGiB<<30)
	}
	f.Fuzz(func(t *testing.T, name string, mem uint64) {
		id, exact := MatchProfile(name, mem)
		if id == "" && exact {
			t.Errorf("MatchProfile(%q) = no profile, exact", name)
		}
		if id != "" {
			if _, ok := profileByID(id); !ok {
				t.Errorf("MatchProfile(%q) = %q, not a profile", name, id)
			}
		}
	})
}

package report_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
)

func TestFingerprintKeysOnHardwareOnly(t *testing.T) {
	t.Parallel()
	h := report.Host{OS: "linux", Arch: "amd64", CPU: "Xeon", Cores: 16}
	a := report.NewFingerprint(h, "v1", "abc", "550.54", []string{"NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"})
	b := report.NewFingerprint(h, "v2", "def", "560.10", []string{"NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"})
	if a.ID != b.ID {
		t.Errorf("a new tool, driver or profile data changed the id: %s vs %s", a.ID, b.ID)
	}
	if d := a.Differences(b); len(d) != 3 || !strings.Contains(strings.Join(d, ";"), "driver") {
		t.Errorf("differences %v, want driver, tool and sim_profiles", d)
	}
	one := report.NewFingerprint(h, "v1", "abc", "550.54", []string{"NVIDIA H100 80GB HBM3"})
	if one.ID == a.ID {
		t.Error("one GPU and two GPUs share an id")
	}
	h2 := h
	h2.Cores = 2
	if report.NewFingerprint(h2, "v1", "abc", "", nil).ID == report.NewFingerprint(h, "v1", "abc", "", nil).ID {
		t.Error("different core counts share an id")
	}
	if len(a.ID) != 12 {
		t.Errorf("id %q: want 12 hex digits", a.ID)
	}
}

package report_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
)

// A fingerprint's text is one field a line, in a fixed order; no GPUs reads
// as none seen, with no driver.
func TestFingerprintText(t *testing.T) {
	t.Parallel()
	h := report.Host{CPU: "AMD EPYC 9654", Cores: 192, OS: "linux", Arch: "amd64"}
	for _, tt := range []struct {
		name         string
		f            report.Fingerprint
		gpus, driver string
	}{
		{"gpus", report.NewFingerprint(h, "v1.2.3", "abc", "550.54.15", []string{"NVIDIA H100 80GB HBM3", "NVIDIA A100"}), "NVIDIA A100, NVIDIA H100 80GB HBM3", "550.54.15"},
		{"none", report.NewFingerprint(h, "dev", "abc", "", nil), "none seen (no NVML)", "-"},
	} {
		var b strings.Builder
		if err := tt.f.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		want := "id      " + tt.f.ID + "\ngpus    " + tt.gpus + "\ndriver  " + tt.driver + "\ncpu     AMD EPYC 9654\ncores   192\nos      linux/amd64\ntool    " + tt.f.Tool + "\nsim     abc\n"
		if b.String() != want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, b.String(), want)
		}
	}
}

package compare_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
)

// A different machine is noted; for runs in real time it says that nothing
// gates without --cross-hardware, and the runs' groups carry the difference;
// runs simulated in virtual time do not depend on the host, and still gate.
func TestCompareWarnsAboutMachines(t *testing.T) {
	t.Parallel()
	host := report.Host{OS: "linux", Arch: "amd64", CPU: "Xeon", Cores: 16}
	withPrint := func(f report.Fingerprint, virtual bool) *report.Report {
		run := reporttest.Run(h100)
		run.Scenario.Virtual = virtual
		r := reporttest.Report(run)
		r.Fingerprint = &f
		return r
	}
	here := report.NewFingerprint(host, "v1", "abc", "550", []string{"NVIDIA H100 80GB HBM3"})
	newDriver := report.NewFingerprint(host, "v1", "abc", "560", []string{"NVIDIA H100 80GB HBM3"})
	elsewhere := report.NewFingerprint(host, "v1", "abc", "550", []string{"NVIDIA L4"})
	tests := []struct {
		name    string
		next    report.Fingerprint
		virtual bool
		cross   bool
		want    string // "" means no fingerprint warning
		other   bool   // the group's partner is on other hardware
	}{
		{"same machine", here, false, false, "", false},
		{"new driver", newDriver, false, false, "same machine", false},
		{"other machine", elsewhere, false, false, "--cross-hardware", true},
		{"other machine on purpose", elsewhere, false, true, "", true},
		{"other machine, virtual time", elsewhere, true, false, "gated as usual", false},
	}
	for _, tt := range tests {
		res, err := compare.Compare(compare.Input{Name: "base", Report: withPrint(here, tt.virtual)},
			[]compare.Input{{Name: "new", Report: withPrint(tt.next, tt.virtual)}}, compare.Options{CrossHardware: tt.cross})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, w := range res.Warnings {
			if strings.Contains(w, "machine") && !strings.Contains(w, "other hardware") {
				got = w
			}
		}
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: warning %q, want one containing %q", tt.name, got, tt.want)
		}
		if other := res.Groups[0].OtherHardware[0]; (other != "") != tt.other {
			t.Errorf("%s: other hardware %q, want it %v", tt.name, other, tt.other)
		}
	}
}

package compare_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
	"github.com/inferbench/inferbench/report/reporttest"
)

func TestCompareWarnsAboutMachines(t *testing.T) {
	t.Parallel()
	host := report.Host{OS: "linux", Arch: "amd64", CPU: "Xeon", Cores: 16}
	withPrint := func(f report.Fingerprint) *report.Report {
		r := reporttest.Report(reporttest.Run(h100))
		r.Fingerprint = &f
		return r
	}
	here := report.NewFingerprint(host, "v1", "abc", "550", []string{"NVIDIA H100 80GB HBM3"})
	newDriver := report.NewFingerprint(host, "v1", "abc", "560", []string{"NVIDIA H100 80GB HBM3"})
	elsewhere := report.NewFingerprint(host, "v1", "abc", "550", []string{"NVIDIA L4"})
	tests := []struct {
		name  string
		next  report.Fingerprint
		cross bool
		want  string // "" means no fingerprint warning
	}{
		{"same machine", here, false, ""},
		{"new driver", newDriver, false, "same machine"},
		{"other machine", elsewhere, false, "--cross-hardware"},
		{"other machine on purpose", elsewhere, true, ""},
	}
	for _, tt := range tests {
		res, err := compare.Compare(compare.Input{Name: "base", Report: withPrint(here)},
			[]compare.Input{{Name: "new", Report: withPrint(tt.next)}}, compare.Options{CrossHardware: tt.cross})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, w := range res.Warnings {
			if strings.Contains(w, "machine") {
				got = w
			}
		}
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: warning %q, want one containing %q", tt.name, got, tt.want)
		}
	}
}

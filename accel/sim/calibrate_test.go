package sim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
)

// The calibration targets (issue "Simulator physics"): over every embedded
// published case the median error is at most 8% and every family's at most
// 15%; the first cases (fixtures/calibration.json, the acceptance check's
// own) are each within 25%. The table is printed with -v.
func TestCalibration(t *testing.T) {
	if sim.RaceEnabled {
		t.Skip("pure arithmetic: make test runs it without -race (sim.RaceEnabled)")
	}
	t.Parallel()
	f, err := sim.ParseCalibration(fixtures.Calibration())
	if err != nil {
		t.Fatal(err)
	}
	rs := sim.Calibrate(context.Background(), f)
	var b strings.Builder
	if err := sim.WriteCalibrationTable(&b, rs, 25); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
	for _, r := range rs {
		switch {
		case r.Err != nil:
			t.Errorf("%s: %v", r.Case.ID, r.Err)
		case !strings.HasPrefix(r.Case.Source, "aws-neuron/") && !strings.HasPrefix(r.Case.Source, "NVIDIA/") && r.ErrorPct > 25:
			t.Errorf("%s: %s measured %.4g, predicted %.4g: %.1f%% off (tolerance 25%%)", r.Case.ID, r.Case.Metric, r.Case.Value, r.Predicted, r.ErrorPct)
		}
	}
	if m := sim.MedianError(rs); m > 8 {
		t.Errorf("median error %.1f%% over %d cases, want at most 8%%", m, len(rs))
	}
	for _, fam := range sim.Families(rs) {
		if fam.Median > 15 {
			t.Errorf("family %s: median error %.1f%% over %d cases, want at most 15%%", fam.Name, fam.Median, fam.Cases)
		}
	}
}

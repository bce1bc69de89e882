package sim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
)

// Tolerance is the calibration bar from the issue: every published case within 25%.
const tolerance = 25

// The model predicts every published measurement in fixtures/calibration.json
// within 25%. The table and the median error are printed with -v.
func TestCalibration(t *testing.T) {
	t.Parallel()
	f, err := sim.ParseCalibration(fixtures.Calibration())
	if err != nil {
		t.Fatal(err)
	}
	rs := sim.Calibrate(context.Background(), f)
	var b strings.Builder
	if err := sim.WriteCalibrationTable(&b, rs, tolerance); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
	for _, r := range rs {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Case.ID, r.Err)
		} else if r.ErrorPct > tolerance {
			t.Errorf("%s: %s measured %.4g, predicted %.4g: %.1f%% off (tolerance %d%%)",
				r.Case.ID, r.Case.Metric, r.Case.Value, r.Predicted, r.ErrorPct, tolerance)
		}
	}
}

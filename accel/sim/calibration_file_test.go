package sim_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/sim"
)

// ReadCalibration reads the embedded file by default, and names a missing
// or malformed file in its error.
func TestReadCalibration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"cases": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path, wantName, wantErr string
	}{
		{"", "embedded fixtures/calibration.json", ""},
		{filepath.Join(dir, "none.json"), filepath.Join(dir, "none.json"), "calibration file: open " + filepath.Join(dir, "none.json")},
		{bad, bad, bad + ": "},
	} {
		f, name, err := sim.ReadCalibration(tt.path)
		if name != tt.wantName {
			t.Errorf("%q: name %q, want %q", tt.path, name, tt.wantName)
		}
		switch {
		case tt.wantErr == "" && (err != nil || len(f.Cases) == 0):
			t.Errorf("%q: %v, want the embedded cases", tt.path, err)
		case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
			t.Errorf("%q: %v, want %q...", tt.path, err, tt.wantErr)
		}
	}
}

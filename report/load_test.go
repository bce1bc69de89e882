package report_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
)

// Load names a missing file in one line, refuses a corrupt one, and masks a
// secret that a report holds in plain text.
func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 50, MedianMS: 40, Seed: 1})
	run.Label = "http://user:pw-Secret-1@10.0.0.9/v1"
	good := filepath.Join(dir, "good.json")
	if err := report.WriteFileAtomic(good, reporttest.Report(run).Encode); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")
	for _, tt := range []struct {
		path, wantErr string
		notExist      bool
	}{
		{good, "", false},
		{missing, "report " + missing + ": no such file", true},
		{corrupt, corrupt, false},
	} {
		rep, err := report.Load(tt.path)
		if tt.wantErr == "" {
			if err != nil || len(rep.Runs) != 1 || strings.Contains(rep.Runs[0].Label, "pw-Secret-1") {
				t.Errorf("%s: %v, label %q: want the report, masked", tt.path, err, rep.Runs[0].Label)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, fs.ErrNotExist) != tt.notExist {
			t.Errorf("%s: %v, want %q (not exist: %v)", tt.path, err, tt.wantErr, tt.notExist)
		}
	}
}

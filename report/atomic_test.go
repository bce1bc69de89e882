package report_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferbench/inferbench/report"
)

func TestWriteFileAtomicKeepsOldOnFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := report.WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := report.WriteFileAtomic(path, func(w io.Writer) error { io.WriteString(w, "half"); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "old" {
		t.Errorf("file holds %q after a failed write, want the old content", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// CheckOutput refuses, before any work, what WriteFileAtomic would refuse
// after it: a folder, or a file in a folder that does not exist.
func TestCheckOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{filepath.Join(dir, "r.json"), true},
		{"r.json", true},
		{dir, false},
		{filepath.Join(dir, "missing", "r.json"), false},
		{"", false},
	} {
		if err := report.CheckOutput(tc.path); (err == nil) != tc.ok {
			t.Errorf("CheckOutput(%q) = %v, want ok %v", tc.path, err, tc.ok)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// badInputFiles are the files the README's bad-input table names.
var badInputFiles = map[string]string{
	"trunc.json":        `{"schema":"inferbench.report/v1","runs":[{"backend":`,
	"future.json":       `{"schema":"inferbench.report/v9","runs":[]}`,
	"garbage.json":      "not json at all\n",
	"bad-prompts.jsonl": "{\"prompt\": \"hello\"}\nnot json\n",
	"empty-suite.json":  `{"name":"e","backends":["noop"],"workloads":[],"scenarios":[]}`,
}

// TestBadInputTable runs every row of the README's bad-input table as a new
// user would: each must exit 2 with one line, and no panic or stack trace.
func TestBadInputTable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## Bad input")
	if start < 0 {
		t.Fatal("README has no \"## Bad input\" section")
	}
	section := s[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	dir := t.TempDir()
	for name, body := range badInputFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	row := regexp.MustCompile("(?m)^\\| [^|]+ \\| `inferbench ([^`]+)` \\|")
	rows := row.FindAllStringSubmatch(section, -1)
	if len(rows) < 20 {
		t.Fatalf("found %d rows in the bad-input table, want at least 20", len(rows))
	}
	for _, r := range rows {
		args := strings.Fields(r[1])
		for i, a := range args {
			if _, ok := badInputFiles[a]; ok || a == "nonexistent.json" {
				args[i] = filepath.Join(dir, a)
			}
		}
		t.Run(r[1], func(t *testing.T) {
			t.Parallel()
			wantUsageError(t, "", args...)
		})
	}
}

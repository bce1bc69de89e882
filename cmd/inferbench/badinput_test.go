package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// badInputFiles are the files the bad-input table of docs/reliability.md names.
var badInputFiles = map[string]string{
	"trunc.json":        `{"schema":"inferbench.report/v1","runs":[{"backend":`,
	"future.json":       `{"schema":"inferbench.report/v9","runs":[]}`,
	"garbage.json":      "not json at all\n",
	"bad-prompts.jsonl": "{\"prompt\": \"hello\"}\nnot json\n",
	"empty-suite.json":  `{"name":"e","backends":["noop"],"workloads":[],"scenarios":[]}`,
}

// badInputRow is one row of the bad-input table of docs/reliability.md: the
// command, the exit code and the fragments its one line must hold.
type badInputRow struct {
	args  []string
	code  int
	wants []string
}

// readBadInputTable reads the rows of the "## Bad input" section of docs/reliability.md:
// | what | `inferbench ARGS` | EXIT | prose with `fragments` |.
func readBadInputTable(t *testing.T) []badInputRow {
	t.Helper()
	readme, err := os.ReadFile("../../docs/reliability.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## Bad input")
	if start < 0 {
		t.Fatal("docs/reliability.md has no \"## Bad input\" section")
	}
	section := s[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	row := regexp.MustCompile("(?m)^\\| [^|]+ \\| `inferbench ([^`]+)` \\| (\\d) \\| (.+) \\|$")
	fragment := regexp.MustCompile("`([^`]+)`")
	var rows []badInputRow
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		code, _ := strconv.Atoi(m[2])
		r := badInputRow{args: strings.Fields(m[1]), code: code}
		for _, f := range fragment.FindAllStringSubmatch(m[3], -1) {
			r.wants = append(r.wants, f[1])
		}
		rows = append(rows, r)
	}
	// A row the pattern misses (a column lost, a typo in the exit code) would
	// be skipped silently: every row that tries a command must be read.
	if tries := strings.Count(section, "| `inferbench "); tries != len(rows) {
		t.Fatalf("%d rows try a command but %d read as | what | `inferbench ARGS` | EXIT | names |", tries, len(rows))
	}
	return rows
}

// TestBadInputTable runs every row of the bad-input table of
// docs/reliability.md as a new user would: each must exit with its code (2
// bad input, 1 an endpoint that cannot be reached), with one line naming
// every fragment of its last column, and no panic, stack trace or formatting
// slip.
func TestBadInputTable(t *testing.T) {
	t.Parallel()
	rows := readBadInputTable(t)
	if len(rows) < 40 {
		t.Fatalf("found %d rows in the bad-input table, want at least 40", len(rows))
	}
	dir := t.TempDir()
	for name, body := range badInputFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rows {
		name := strings.Join(r.args, " ")
		args := append([]string(nil), r.args...)
		hasOut := false
		for j, a := range args {
			if _, ok := badInputFiles[a]; ok || a == "nonexistent.json" {
				args[j] = filepath.Join(dir, a)
			}
			hasOut = hasOut || a == "-o" || a == "--output"
		}
		if len(args) > 0 && args[0] == "run" && !hasOut {
			// A row that wrongly succeeded must not leave a report here.
			args = append(args, "-o", filepath.Join(dir, "run"+strconv.Itoa(i)+".json"))
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, _, errs := invoke(t, args...)
			line := strings.TrimSpace(errs)
			if code != r.code || line == "" || strings.Contains(line, "\n") {
				t.Errorf("exit %d, stderr %q; want exit %d and one line", code, errs, r.code)
			}
			for _, bad := range []string{"panic", "goroutine ", "%!"} {
				if strings.Contains(errs, bad) {
					t.Errorf("stderr %q holds %q", errs, bad)
				}
			}
			for _, w := range r.wants {
				if strings.HasPrefix(w, "%!") {
					continue // what must not appear, checked above
				}
				if !strings.Contains(line, w) {
					t.Errorf("stderr %q does not name %q", line, w)
				}
			}
		})
	}
}

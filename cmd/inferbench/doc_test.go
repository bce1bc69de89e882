package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/suggest"
)

// The command reference (docs/commands.md) is checked against the CLI, as
// benchstat's TestDoc checks its documentation against what it does: a flag
// added, renamed or dropped in the code fails here until the reference says
// so. The verbatim help blocks are generated (-update rewrites them); the
// hand-written table of run's flags and the README's tour are checked, not
// generated, because their prose is the point.

const (
	commandsDoc = "../../docs/commands.md"
	readmeDoc   = "../../README.md"
	// readmeMax is issue 19's limit on the README: what it is, the two
	// commands and a tour; the rest lives in docs/.
	readmeMax = 20_000
)

func init() {
	// -update is shared with any golden-file test of this package: the first
	// to define it wins (package variables, such as another file's
	// flag.Bool, are set before any init runs).
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite generated files (golden files, the help blocks of docs/commands.md)")
	}
}

// updating reports whether the test binary was run with -update.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// helpText returns what `inferbench ARGS` prints on stdout; it must exit 0.
func helpText(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := invoke(t, args...)
	if code != exitOK || out == "" {
		t.Fatalf("inferbench %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// commandNames reads the command names from `inferbench help`'s Commands block.
func commandNames(t *testing.T, help string) []string {
	t.Helper()
	_, block, ok := strings.Cut(help, "\nCommands:\n")
	if !ok {
		t.Fatalf("inferbench help has no Commands: block:\n%s", help)
	}
	block, _, _ = strings.Cut(block, "\n\n")
	var names []string
	for line := range strings.SplitSeq(block, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	if len(names) == 0 {
		t.Fatal("inferbench help lists no commands")
	}
	return names
}

// synopsis returns "inferbench NAME ARGS" from a command's help, whose first
// line is "Usage: inferbench NAME ARGS".
func synopsis(t *testing.T, name, help string) string {
	t.Helper()
	first, _, _ := strings.Cut(help, "\n")
	s, ok := strings.CutPrefix(first, "Usage: ")
	if !ok || !strings.HasPrefix(s, "inferbench "+name) {
		t.Fatalf("inferbench %s --help starts %q, want \"Usage: inferbench %s ...\"", name, first, name)
	}
	return strings.TrimSpace(s)
}

// helpBlock is what a generated block of docs/commands.md holds for a help text.
func helpBlock(help string) string { return "```text\n" + help + "```\n" }

// A generated block is the text between
//
//	<!-- BEGIN KEY: generated ... -->
//	<!-- END KEY -->
//
// where KEY is "inferbench help" or "inferbench NAME --help".
var beginRe = regexp.MustCompile(`<!-- BEGIN (inferbench [^:]+): generated[^\n]*-->\n`)

type genBlock struct {
	key        string
	start, end int // the content, doc[start:end]
}

func genBlocks(t *testing.T, doc string) []genBlock {
	t.Helper()
	var bs []genBlock
	for _, m := range beginRe.FindAllStringSubmatchIndex(doc, -1) {
		key := doc[m[2]:m[3]]
		endMark := "<!-- END " + key + " -->"
		n := strings.Index(doc[m[1]:], endMark)
		if n < 0 {
			t.Fatalf("%s: %q has no %q", commandsDoc, doc[m[0]:m[1]-1], endMark)
		}
		bs = append(bs, genBlock{key: key, start: m[1], end: m[1] + n})
	}
	return bs
}

// TestDoc checks docs/commands.md and the README's tour against the CLI:
// every command has a section whose generated block is its --help verbatim,
// no section names a command the CLI lacks, the README shows every command
// with its synopsis, and the README stays within its size.
func TestDoc(t *testing.T) {
	raw, err := os.ReadFile(commandsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	help := helpText(t, "help")
	names := commandNames(t, help)

	want := map[string]string{"inferbench help": help} // block key → help text
	for _, n := range names {
		want["inferbench "+n+" --help"] = helpText(t, n, "--help")
	}

	// The generated blocks: compare, or rewrite with -update.
	var b strings.Builder
	last := 0
	seen := map[string]bool{}
	for _, g := range genBlocks(t, doc) {
		h, ok := want[g.key]
		if !ok {
			t.Errorf("%s has a block for %q, which the CLI does not have (commands: %s)", commandsDoc, g.key, strings.Join(names, ", "))
			continue
		}
		if seen[g.key] {
			t.Errorf("%s has two blocks for %q", commandsDoc, g.key)
		}
		seen[g.key] = true
		if got := doc[g.start:g.end]; got != helpBlock(h) && !updating() {
			t.Errorf("%s: the block for %q differs from what the CLI prints; run go test ./cmd/inferbench -run TestDoc -update\n%s",
				commandsDoc, g.key, lineDiff(got, helpBlock(h)))
		}
		b.WriteString(doc[last:g.start])
		b.WriteString(helpBlock(h))
		last = g.end
	}
	b.WriteString(doc[last:])
	for _, n := range names {
		key := "inferbench " + n + " --help"
		if seen[key] {
			continue
		}
		if !updating() {
			t.Errorf("%s has no section for %q; run go test ./cmd/inferbench -run TestDoc -update to add one, then describe it", commandsDoc, "inferbench "+n)
			continue
		}
		fmt.Fprintf(&b, "\n## inferbench %s\n\n<!-- BEGIN %s: generated by `go test ./cmd/inferbench -run TestDoc -update`; edit the flags in the code, not here -->\n%s<!-- END %s -->\n",
			n, key, helpBlock(want[key]), key)
	}
	if !seen["inferbench help"] {
		t.Errorf("%s has no generated block for \"inferbench help\"", commandsDoc)
	}
	if updating() && b.String() != doc {
		if err := os.WriteFile(commandsDoc, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", commandsDoc)
	}

	// Each command has its own heading, so the README can link to it.
	for _, n := range names {
		if !strings.Contains(doc, "\n## inferbench "+n+"\n") && !updating() {
			t.Errorf("%s has no heading \"## inferbench %s\"", commandsDoc, n)
		}
	}

	// The README's tour: every command with its synopsis, none the CLI lacks.
	rawReadme, err := os.ReadFile(readmeDoc)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(rawReadme)
	if len(rawReadme) > readmeMax {
		t.Errorf("README.md is %d bytes, over %d: move detail to docs/", len(rawReadme), readmeMax)
	}
	for _, n := range names {
		if syn := synopsis(t, n, want["inferbench "+n+" --help"]); !strings.Contains(readme, "`"+syn+"`") {
			t.Errorf("README.md's tour does not show %q with its synopsis `%s`", n, syn)
		}
	}
	for _, m := range regexp.MustCompile("\\[`inferbench ([a-z-]+)").FindAllStringSubmatch(readme, -1) {
		if !slices.Contains(names, m[1]) {
			t.Errorf("README.md's tour shows %q, which the CLI does not have (commands: %s)", m[1], strings.Join(names, ", "))
		}
	}
}

// TestDocRunFlags checks the hand-written table of docs/commands.md's run
// section against `inferbench run --help`: every flag of run has a row, and no
// row names a flag run lacks.
func TestDocRunFlags(t *testing.T) {
	raw, err := os.ReadFile(commandsDoc)
	if err != nil {
		t.Fatal(err)
	}
	section := sectionOf(string(raw), "## inferbench run\n")
	if section == "" {
		t.Fatalf("%s has no \"## inferbench run\" section", commandsDoc)
	}
	// The flags run has, by long name, and the shorthands that stand for them.
	long := map[string]bool{}
	short := map[string]string{}
	flagLine := regexp.MustCompile(`(?m)^\s+(?:-([A-Za-z]), )?--([a-z0-9][a-z0-9-]*)`)
	for _, m := range flagLine.FindAllStringSubmatch(helpText(t, "run", "--help"), -1) {
		long[m[2]] = true
		if m[1] != "" {
			short[m[1]] = m[2]
		}
	}
	if len(long) < 40 {
		t.Fatalf("read %d flags from inferbench run --help, want at least 40: has its format changed?", len(long))
	}

	// The flags the table names: the first word of each code span in a
	// row's first cell.
	documented := map[string]bool{}
	rows := 0
	span := regexp.MustCompile("`(-{1,2}[A-Za-z0-9][A-Za-z0-9-]*)")
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| `-") {
			continue
		}
		rows++
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " | ")
		for _, m := range span.FindAllStringSubmatch(first, -1) {
			name := m[1]
			switch {
			case strings.HasPrefix(name, "--"):
				name = name[2:]
			case short[name[1:]] != "":
				name = short[name[1:]]
			default:
				t.Errorf("%s: run's table names %s, which is no shorthand of run", commandsDoc, name)
				continue
			}
			if !long[name] {
				t.Errorf("%s: run's table names --%s, which run does not have%s", commandsDoc, name, suggest.HintPrefixed(name, slices.Collect(maps.Keys(long)), "--"))
			}
			documented[name] = true
		}
	}
	if rows == 0 {
		t.Fatalf("%s: the run section has no table rows starting \"| `-\"", commandsDoc)
	}
	var missing []string
	for name := range long {
		if !documented[name] && name != "help" {
			missing = append(missing, "--"+name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%s: run's flags table has no row for %s", commandsDoc, strings.Join(missing, ", "))
	}
}

// TestDocLinks checks every relative link of the README and docs/: the file
// must exist and, when the link names a heading (#anchor), the heading too.
func TestDocLinks(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, readmeDoc)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(raw), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			file := f
			if path != "" {
				file = filepath.Join(filepath.Dir(f), path)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				if info, serr := os.Stat(file); serr == nil && info.IsDir() && anchor == "" {
					continue
				}
				t.Errorf("%s: link %s: %v", f, target, err)
				continue
			}
			if anchor != "" && !slices.Contains(anchors(string(body)), anchor) {
				t.Errorf("%s: link %s: %s has no heading with anchor #%s", f, target, file, anchor)
			}
		}
	}
}

// anchors returns the anchors GitHub gives a markdown file's headings:
// lower case, spaces to hyphens, punctuation other than hyphens and
// underscores dropped.
func anchors(md string) []string {
	var as []string
	inCode := false
	for line := range strings.SplitSeq(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteByte('-')
			case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r > 127:
				b.WriteRune(r)
			}
		}
		as = append(as, b.String())
	}
	return as
}

// sectionOf returns md from the heading line to the next heading of level 2
// or above; "" when there is no such heading.
func sectionOf(md, heading string) string {
	i := strings.Index(md, "\n"+heading)
	if i < 0 {
		return ""
	}
	s := md[i+1+len(heading):]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	if j := strings.Index(s, "\n# "); j >= 0 {
		s = s[:j]
	}
	return heading + s
}

// lineDiff shows the first line where got and want differ, for an error.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d of the block:\n  doc: %q\n  cli: %q", i+1, gl, wl)
		}
	}
	return ""
}

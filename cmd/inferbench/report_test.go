package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/inferbench/inferbench/report"
)

// runReports runs sim:h100-sxm and sim:l4 on one workload into dir, as the
// acceptance check does (shorter).
func runReports(t *testing.T, dir string) (h100, l4 string) {
	t.Helper()
	for _, p := range []string{"h100-sxm", "l4"} {
		path := filepath.Join(dir, p+".json")
		if code, _, errs := invoke(t, "run", "--backend", "sim:"+p, "--scenario", "poisson", "--rate", "5", "--duration", "60s", "--seed", "7", "-o", path); code != 0 {
			t.Fatalf("run sim:%s: exit %d: %s", p, code, errs)
		}
	}
	return filepath.Join(dir, "h100-sxm.json"), filepath.Join(dir, "l4.json")
}

func TestCompareExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h100, l4 := runReports(t, dir)
	code, out, errs := invoke(t, "compare", h100, h100)
	if code != exitOK || strings.Contains(out, "REGRESSION") || !strings.Contains(out, "~") {
		t.Errorf("compare with itself: exit %d\n%s%s", code, out, errs)
	}
	// Other hardware is compared and shown, but a slower device is not a
	// regression: exit 0, saying why (see TestCompareCrossHardware).
	code, out, errs = invoke(t, "compare", h100, l4)
	if code != exitOK || strings.Contains(out, "REGRESSION") || !strings.Contains(errs, "--cross-hardware") {
		t.Errorf("compare h100 → l4: exit %d, want 0 and a note naming --cross-hardware\n%s%s", code, out, errs)
	}
	code, out, errs = invoke(t, "compare", h100, l4, "--cross-hardware")
	if code != exitRegression || !strings.Contains(errs, "latency p99") || !strings.Contains(errs, "sim:l4") || !strings.Contains(out, "REGRESSION") {
		t.Errorf("compare h100 → l4 --cross-hardware: exit %d, want 3 naming the metrics\n%s%s", code, out, errs)
	}
	if strings.Count(strings.TrimSpace(errs), "\n") > 0 {
		t.Errorf("regression message is more than one line: %q", errs)
	}
	// The gate can be loosened per metric or switched off.
	if code, _, errs := invoke(t, "compare", h100, l4, "--cross-hardware", "--threshold", "off"); code != exitOK {
		t.Errorf("--threshold off: exit %d %s", code, errs)
	}
	// Every format renders; markdown and csv carry the regressed rows.
	for _, f := range []string{"markdown", "json", "csv", "html"} {
		out := filepath.Join(dir, "cmp."+f)
		if code, _, errs := invoke(t, "compare", h100, l4, "--cross-hardware", "--format", f, "-o", out); code != exitRegression {
			t.Errorf("--format %s: exit %d %s", f, code, errs)
		}
		if b, err := os.ReadFile(out); err != nil || !bytes.Contains(b, []byte("sim:l4")) {
			t.Errorf("--format %s: %v, output lacks sim:l4", f, err)
		}
	}
}

func TestBadReportsExit2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	rep := report.New("test", report.Config{Model: "m", Scenario: "closed"})
	if err := report.WriteFileAtomic(good, rep.Encode); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := write("corrupt.json", `{"schema":"inferbench.report/v1","runs":[{"backend":`)
	future := write("future.json", `{"schema":"inferbench.report/v2","runs":[]}`)
	badHist := write("badhist.json", `{"schema":"inferbench.report/v1","runs":[{"backend":{"id":"noop"},"counts":{"completed":3},"histograms":{"latency":"AAAA"}}]}`)
	missing := filepath.Join(dir, "nonesuch.json")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"compare", good, missing}, "nonesuch.json"},
		{[]string{"compare", good, corrupt}, "corrupt.json"},
		{[]string{"compare", future, good}, "inferbench.report/v2"},
		{[]string{"compare", good}, "BASE"},
		{[]string{"compare", good, good, "--threshold", "p98=5%"}, "p99"},
		{[]string{"compare", good, good, "--format", "yaml"}, "markdown"},
		{[]string{"report", corrupt}, "corrupt.json"},
		{[]string{"report", good, "--format", "yaml"}, "gobench"},
		{[]string{"report", good, "--price", "h100-sxm"}, "ID=USD"},
		{[]string{"plot", good, "-o", filepath.Join(dir, "p.gif")}, "png or svg"},
		{[]string{"plot", future, "-o", filepath.Join(dir, "p.png")}, "v2"},
		{[]string{"plot", badHist, "-o", filepath.Join(dir, "p.png")}, "histogram"},
		{[]string{"merge", good, good}, "-o"},
		{[]string{"merge", missing, "-o", filepath.Join(dir, "m.json")}, "nonesuch.json"},
		{[]string{"merge", badHist, badHist, "-o", filepath.Join(dir, "m.json")}, "histogram"},
	}
	for _, tt := range tests {
		wantUsageError(t, tt.want, tt.args...)
	}
}

func TestReportFormatsMergeAndPlot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h100, l4 := runReports(t, dir)
	rep, err := report.ReadFile(h100)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if r.Cost == nil || r.Cost.USDPerMillionOutputTokens <= 0 || r.Energy == nil || r.Energy.JoulesPerOutputToken <= 0 {
		t.Fatalf("run wrote no cost or energy: %+v %+v", r.Cost, r.Energy)
	}
	// gobench output is read by benchfmt with no syntax errors.
	code, out, errs := invoke(t, "report", h100, "--format", "gobench")
	if code != 0 {
		t.Fatalf("gobench: exit %d %s", code, errs)
	}
	br := benchfmt.NewReader(strings.NewReader(out), "a.txt")
	n := 0
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt: %v", rec)
		case *benchfmt.Result:
			n++
		}
	}
	// One line per run, its own figures: nothing synthetic.
	if n != len(rep.Runs) {
		t.Errorf("%d benchmark lines, want one per run (%d)", n, len(rep.Runs))
	}
	for _, f := range []string{"text", "markdown", "csv", "json"} {
		code, out, errs := invoke(t, "report", h100, "--format", f)
		if code != 0 || !strings.Contains(out, "sim:h100-sxm") {
			t.Errorf("report --format %s: exit %d %s\n%s", f, code, errs, out)
		}
	}
	// --price reprices a saved report.
	code, out, _ = invoke(t, "report", h100, "--price", "h100-sxm=1", "--format", "json")
	back, err := report.Decode(strings.NewReader(out))
	if code != 0 || err != nil || back.Runs[0].Cost.USDPerHour != 1 || back.Runs[0].Cost.Source != "--price" {
		t.Errorf("--price: exit %d %v %+v", code, err, back)
	}
	// merge with itself: counts double, p99 stays (HDR reads a percentile at
	// rank ⌊q·n+½⌋, so with duplicated samples it can move by one rank: 1%).
	m := filepath.Join(dir, "m.json")
	if code, _, errs := invoke(t, "merge", h100, h100, "-o", m); code != 0 {
		t.Fatalf("merge: exit %d %s", code, errs)
	}
	merged, err := report.ReadFile(m)
	if err != nil {
		t.Fatal(err)
	}
	if g := merged.Runs[0]; g.Counts.Requests != 2*r.Counts.Requests || math.Abs(g.Latency.P99-r.Latency.P99) > 0.01*r.Latency.P99 {
		t.Errorf("merged: requests %d p99 %v; want %d and %v", g.Counts.Requests, g.Latency.P99, 2*r.Counts.Requests, r.Latency.P99)
	}
	for _, ext := range []string{"png", "svg"} {
		p := filepath.Join(dir, "p."+ext)
		if code, _, errs := invoke(t, "plot", h100, l4, "-o", p); code != 0 {
			t.Fatalf("plot %s: exit %d %s", ext, code, errs)
		}
		b, _ := os.ReadFile(p)
		if magic := map[string]string{"png": "\x89PNG", "svg": "<?xml"}[ext]; !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf("%s starts %q", p, b[:min(8, len(b))])
		}
	}
}

// A report that holds a secret (written before redaction, or by hand) is
// shown and written masked by every command that reads reports.
func TestReadReportsMasked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "old.json")
	const secret = "hunter2-pass"
	rep := report.New("test", report.Config{Backends: []string{"http://u:" + secret + "@127.0.0.1:1/v1"}, Model: "llama-3.1-8b", Scenario: "closed"})
	rep.Runs = []report.Run{{
		Backend: report.Backend{ID: "http://u:" + secret + "@127.0.0.1:1/v1", Kind: "remote"}, Valid: true,
		Counts: report.Counts{Requests: 1, Completed: 1, ErrorExamples: map[string]string{"connect": "dial http://u:" + secret + "@127.0.0.1:1/v1"}},
	}}
	if err := report.WriteFileAtomic(path, rep.Encode); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"report", path, "--format", "json"}, {"report", path, "--format", "text"},
		{"compare", path, path}, {"merge", path, path, "-o", filepath.Join(dir, "m.json")},
	} {
		_, out, errs := invoke(t, args...)
		if strings.Contains(out+errs, secret) {
			t.Errorf("%v shows the secret:\n%s\n%s", args, out, errs)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "m.json")); err == nil && bytes.Contains(b, []byte(secret)) {
		t.Error("merge wrote the secret")
	}
}

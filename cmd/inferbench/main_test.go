package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/report"
)

// invoke runs the CLI in-process and returns its exit code and output.
func invoke(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = mainWithEnv(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestRunDefaultEveryProfile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.json")
	code, out, errs := invoke(t, "run", "-o", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != len(sim.ProfileIDs()) {
		t.Fatalf("%d runs, want one per profile (%d)", len(rep.Runs), len(sim.ProfileIDs()))
	}
	for _, r := range rep.Runs {
		l := r.Latency
		if r.Throughput.RequestsPerS <= 0 || !(0 < l.P50 && l.P50 <= l.P99 && l.P99 <= l.Max) {
			t.Errorf("%s: throughput %v, latency %+v", r.Backend.ID, r.Throughput, l)
		}
		if !strings.Contains(out, r.Backend.ID) {
			t.Errorf("table lacks %s", r.Backend.ID)
		}
	}
	if rep.Config.Seed != 1 || rep.Schema != report.Schema {
		t.Errorf("config %+v schema %q", rep.Config, rep.Schema)
	}
}

func TestRunSameSeedSameNumbers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var reps []*report.Report
	for _, name := range []string{"a.json", "b.json"} {
		path := filepath.Join(dir, name)
		if code, _, errs := invoke(t, "run", "--backend", "sim:h100-sxm", "--seed", "9", "-o", path); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		rep, err := report.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	a, b := reps[0].Runs[0], reps[1].Runs[0]
	if a.Histograms["latency"] != b.Histograms["latency"] || a.Throughput != b.Throughput {
		t.Error("two runs with the same seed differ")
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--backend", "sim:nonesuch"}, "h100-sxm"},
		{[]string{"run", "--backend", "ftp://example/v1"}, "unknown scheme"},
		{[]string{"run", "--backend", "sim:h100-sxm", "--model", "nonesuch"}, "llama-3.1-8b"},
		{[]string{"run", "--backend", "noop", "--concurrency", "0"}, "concurrency"},
		{[]string{"run", "--backend", "noop", "--scenario", "nonesuch"}, "closed"},
		{[]string{"run", "--nonesuch"}, "unknown flag"},
		{[]string{"run", "--format", "yaml"}, "text, json"},
		{[]string{"profiles", "--format", "yaml"}, "text, json"},
		{[]string{"nonesuch"}, "run"},
	}
	for _, tt := range tests {
		wantUsageError(t, tt.want, tt.args...)
	}
}

// wantUsageError checks what every bad input must give: exit 2 and one line
// on stderr that names want, with no panic or stack trace.
func wantUsageError(t *testing.T, want string, args ...string) {
	t.Helper()
	code, _, errs := invoke(t, args...)
	line := strings.TrimSpace(errs)
	if code != exitUsage || line == "" || strings.Contains(line, "\n") || !strings.Contains(errs, want) ||
		strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine ") {
		t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %q", args, code, errs, want)
	}
}

func TestHelpHasExamples(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		code, out, _ := invoke(t, c.name, "--help")
		if code != exitOK || !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help: exit %d, no examples:\n%s", c.name, code, out)
		}
	}
}

func TestProfilesListsEverySource(t *testing.T) {
	t.Parallel()
	code, out, _ := invoke(t, "profiles", "--sources")
	if code != 0 || !strings.Contains(out, "inf2") || !strings.Contains(out, "AWS Neuron docs") {
		t.Errorf("profiles --sources: exit %d\n%s", code, out)
	}
}

// Same seed, simulated devices, SOURCE_DATE_EPOCH set: byte-identical reports.
func TestRunByteIdenticalWithSourceDate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1764115200"
		}
		return ""
	}
	var docs [][]byte
	for _, name := range []string{"a.json", "b.json"} {
		path := filepath.Join(dir, name)
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: getenv}
		if code := mainWithEnv(context.Background(), e, []string{"run", "--backend", "sim:h100-sxm", "--backend", "sim:inf2?chips=2",
			"--scenario", "poisson", "--rate", "3", "--duration", "30s", "--seed", "5", "-o", path}); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	if !bytes.Equal(docs[0], docs[1]) {
		t.Error("two runs with the same seed and SOURCE_DATE_EPOCH wrote different reports")
	}
	if !bytes.Contains(docs[0], []byte(`"created": "2025-11-26T00:00:00Z"`)) {
		t.Errorf("created is not SOURCE_DATE_EPOCH")
	}
}

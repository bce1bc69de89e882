package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
)

// runReport runs `inferbench run ARGS -o TMP` and returns the report and stderr.
func runReport(t *testing.T, args ...string) (*report.Report, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.json")
	code, _, errs := invoke(t, append(append([]string{"run"}, args...), "-o", path)...)
	if code != exitOK {
		t.Fatalf("run %v: exit %d: %s", args, code, errs)
	}
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(rep.Runs))
	}
	return rep, errs
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	code, out, errs := invoke(t, "--version")
	if code != exitOK || !strings.HasPrefix(out, "inferbench "+version+" (") || errs != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// Ids are case-insensitive; the report records the canonical ones.
func TestRunIDsIgnoreCase(t *testing.T) {
	t.Parallel()
	rep, _ := runReport(t, "--backend", "SIM:H100-SXM", "--model", "Llama-3.1-8B", "--workload", "Chat",
		"--scenario", "Closed", "--precision", "BF16", "--requests", "20")
	r := rep.Runs[0]
	if r.Backend.ID != "sim:h100-sxm" || r.Workload.Model != "llama-3.1-8b" || r.Workload.Precision != "bf16" || rep.Config.Scenario != "closed" {
		t.Errorf("backend %q, model %q, precision %q, scenario %q: want the canonical ids", r.Backend.ID, r.Workload.Model, r.Workload.Precision, rep.Config.Scenario)
	}
}

// One length alone fixes that side only: the other keeps the workload's
// distribution, a note says so, and the report's workload is named for it.
// Hand-computed: every completion is 16 tokens; prompts are chat's
// log-normal (median 256, clipped to 16..4096), so their mean is neither 16
// nor the old hidden 256 exactly, and is above the median (a right tail).
func TestOneLengthAloneKeepsTheWorkloadsOther(t *testing.T) {
	t.Parallel()
	rep, errs := runReport(t, "--backend", "sim:h100-sxm", "--output-tokens", "16", "--requests", "400")
	w := rep.Runs[0].Workload
	if w.Name != "chat-out-16" || w.MeanOutputTokens != 16 {
		t.Errorf("workload %q, mean output %v: want chat-out-16 with 16 tokens each", w.Name, w.MeanOutputTokens)
	}
	if !(w.MeanInputTokens > 256 && w.MeanInputTokens < 600) || math.Trunc(w.MeanInputTokens) == w.MeanInputTokens {
		t.Errorf("mean input %v: want chat's log-normal prompts (mean above the 256 median)", w.MeanInputTokens)
	}
	if !strings.Contains(errs, "note: --output-tokens 16 alone: prompt lengths still come from workload chat (log-normal, median 256, 16 to 4096 tokens)") {
		t.Errorf("stderr %q: want a note naming the prompts' distribution", errs)
	}
	if rep.Config.InputTokens != 0 || rep.Config.OutputTokens != 16 {
		t.Errorf("config input %d output %d: want 0 (the workload's) and 16", rep.Config.InputTokens, rep.Config.OutputTokens)
	}

	rep, _ = runReport(t, "--backend", "sim:h100-sxm", "--input-tokens", "100", "--requests", "400")
	if w := rep.Runs[0].Workload; w.Name != "chat-in-100" || w.MeanInputTokens != 100 || w.MeanOutputTokens == 192 {
		t.Errorf("workload %q, mean input %v, output %v: want chat-in-100, 100-token prompts, chat's completions", w.Name, w.MeanInputTokens, w.MeanOutputTokens)
	}
	rep, _ = runReport(t, "--backend", "sim:h100-sxm", "--input-tokens", "100", "--output-tokens", "10", "--requests", "40")
	if w := rep.Runs[0].Workload; w.Name != "fixed-100-10" || w.MeanInputTokens != 100 || w.MeanOutputTokens != 10 {
		t.Errorf("workload %q, means %v/%v: want fixed-100-10", w.Name, w.MeanInputTokens, w.MeanOutputTokens)
	}
}

// An encoder makes no tokens, whatever the workload's completions.
func TestEncoderRunsWithoutCompletions(t *testing.T) {
	t.Parallel()
	rep, _ := runReport(t, "--backend", "sim:h100-sxm", "--model", "bert-base", "--input-tokens", "128", "--requests", "40")
	if w := rep.Runs[0].Workload; w.Name != "fixed-128-0" || w.MeanOutputTokens != 0 {
		t.Errorf("workload %q, mean output %v: want fixed-128-0", w.Name, w.MeanOutputTokens)
	}
}

// The automatic chip count splits the heads: 70B needs the memory of 7 L4s
// but runs on 8; an explicit count that splits them is taken as given.
func TestAutomaticChipsSplitTheHeads(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		spec  string
		chips int
	}{{"sim:l4", 8}, {"sim:l4?chips=16", 16}} {
		rep, _ := runReport(t, "--backend", tt.spec, "--model", "llama-3.1-70b", "--input-tokens", "128", "--output-tokens", "16", "--requests", "8")
		if b := rep.Runs[0].Backend; b.Info.Chips != tt.chips {
			t.Errorf("%s: %d chips (%s), want %d", tt.spec, b.Info.Chips, b.ID, tt.chips)
		}
	}
}

// The flags that apply are still taken: each scenario with its own flags.
func TestFlagsThatApplyAreTaken(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--scenario", "closed", "--concurrency", "4", "--requests", "40"},
		{"--scenario", "offline", "--concurrency", "4", "--requests", "40"},
		{"--scenario", "poisson", "--rate", "5", "--workers", "2", "--max-lag", "1s", "--duration", "10s"},
		{"--scenario", "gamma", "--rate", "5", "--burstiness", "0.5", "--duration", "10s"},
		{"--scenario", "sweep", "--rates", "2,4", "--burstiness", "0.5", "--lag-budget", "2ms", "--duration", "10s"},
		{"--scenario", "sweep", "--concurrencies", "1,2", "--requests", "20"},
		{"--realtime", "--scenario", "closed", "--concurrency", "2", "--requests", "2", "--input-tokens", "8", "--output-tokens", "2"},
	} {
		path := filepath.Join(t.TempDir(), "r.json")
		code, _, errs := invoke(t, append(append([]string{"run", "--backend", "sim:h100-sxm"}, args...), "-o", path, "--allow-invalid")...)
		if code != exitOK {
			t.Errorf("%v: exit %d: %s", args, code, errs)
		}
	}
}

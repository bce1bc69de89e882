package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The inf2 command prints every field it promises.
func TestSimulateInf2JSON(t *testing.T) {
	t.Parallel()
	code, out, errs := invoke(t, "simulate", "--profile", "inf2", "--chips", "12", "--model", "llama-2-7b",
		"--precision", "bf16", "--batch", "1", "--input-tokens", "128", "--output-tokens", "3968", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ttft_ms", "tpot_ms", "e2e_ms", "output_tokens_per_s", "requests_per_s", "max_batch", "joules_per_output_token"} {
		if v, ok := got[f].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", f, got[f])
		}
	}
	bound, _ := got["bound"].(map[string]any)
	if bound["prefill"] == nil || bound["decode"] != "memory" {
		t.Errorf("bound = %v", got["bound"])
	}
}

// Two runs print byte-identical output.
func TestSimulateDeterministic(t *testing.T) {
	t.Parallel()
	args := []string{"simulate", "--profile", "h100-sxm", "--model", "llama-3.1-8b", "--precision", "fp8",
		"--requests", "500", "--input-tokens", "128", "--output-tokens", "128", "--format", "json"}
	_, a, _ := invoke(t, args...)
	_, b, _ := invoke(t, args...)
	if a != b || a == "" {
		t.Error("two simulate runs differ")
	}
	if code, text, _ := invoke(t, args[:len(args)-2]...); code != 0 || !strings.Contains(text, "bound") {
		t.Errorf("text output: exit %d\n%s", code, text)
	}
}

func TestSimulateAndCalibrateUsageErrors(t *testing.T) {
	t.Parallel()
	sim := []string{"simulate", "--profile", "h100-sxm", "--model", "llama-3.1-8b"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--model", "llama-3.1-8b"}, "inf2"},
		{[]string{"simulate", "--profile", "tpu", "--model", "llama-3.1-8b"}, "h100-sxm"},
		{[]string{"simulate", "--profile", "h100-sxm"}, "--model"},
		{append(sim, "--precision", "fp4"), "w4a16"},
		{append(sim, "--batch", "0"), "batch 0"},
		{append(sim, "--requests", "0"), "--requests 0"},
		{append(sim, "--chips", "-1"), "chips -1"},
		{append(sim, "--format", "yaml"), "text, json"},
		{[]string{"simulate", "--profile", "l4", "--model", "llama-3.1-70b", "--chips", "1"}, "chips="},
		{[]string{"calibrate", "--tolerance", "0"}, "positive"},
		{[]string{"calibrate", "/nonexistent/cal.json"}, "nonexistent"},
	}
	for _, tt := range tests {
		wantUsageError(t, tt.want, tt.args...)
	}
}

// calibrate prints the table, the families and the median; a median above
// the tolerance exits 1.
func TestCalibrate(t *testing.T) {
	t.Parallel()
	// The embedded set's medians are accel/sim's TestCalibration; here, two
	// of its cases in two families, through the command.
	good := filepath.Join(t.TempDir(), "good.json")
	if err := os.WriteFile(good, []byte(`{"cases":[
		{"id":"a100-40gb/13b-fp16/bs1/decode","profile":"a100-40gb","chips":1,"model":"llama-2-13b","precision":"fp16","mode":"latency","batch":1,"input_tokens":512,"output_tokens":128,"metric":"tpot_ms","value":22.0,"source":"kipply","family":"ft-13b"},
		{"id":"inf2.48xlarge/llama-2-7b-bf16/bs1","profile":"inf2","chips":12,"model":"llama-2-7b","precision":"bf16","mode":"latency","batch":1,"input_tokens":128,"output_tokens":3968,"metric":"tpot_ms","value":6.47,"source":"aws-neuron-sdk","family":"neuron-tpot"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := invoke(t, "calibrate", good)
	if code != exitOK || !strings.Contains(out, "median error") || !strings.Contains(out, "inf2.48xlarge/llama-2-7b-bf16/bs1") || !strings.Contains(out, "neuron-tpot") {
		t.Fatalf("calibrate: exit %d, %s\n%s", code, errs, out)
	}
	path := filepath.Join(t.TempDir(), "mine.json")
	doc := `{"cases":[{"id":"too-fast","profile":"h100-sxm","chips":1,"model":"llama-3.1-8b","precision":"bf16",
		"mode":"latency","batch":1,"input_tokens":128,"output_tokens":128,"metric":"tpot_ms","value":0.5,"source":"test"}]}`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = invoke(t, "calibrate", path)
	if code != exitRuntime || !strings.Contains(out, "OUTSIDE") || !strings.Contains(errs, "above --tolerance 15%") {
		t.Errorf("calibrate with a bad case: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestProfilesShowsEfficiencies(t *testing.T) {
	t.Parallel()
	code, out, _ := invoke(t, "profiles", "--sources")
	for _, want := range []string{"η decode mm", "\nSources:\n", "  eff_decode_matmul:", "<https://www.nvidia.com/en-us/data-center/h100/>"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("profiles --sources: exit %d, lacks %q\n%s", code, want, out)
		}
	}
}

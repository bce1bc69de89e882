package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/sim"
)

// These tests run on machines without an NVIDIA driver (CI, laptops); on a
// GPU machine the listing has devices instead of a reason, so they skip.
func skipWithGPU(t *testing.T) {
	t.Helper()
	if lib, err := nvml.Open(); err == nil {
		lib.Close()
		t.Skip("an NVIDIA driver is present: this test is about machines without one")
	}
}

func TestDevicesWithoutDriver(t *testing.T) {
	t.Parallel()
	skipWithGPU(t)
	code, out, errs := invoke(t, "devices")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	first, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(first, "No real GPUs: NVML unavailable: ") || !(strings.Contains(first, "libnvidia-ml.so.1") || strings.Contains(first, "not compiled in")) {
		t.Errorf("first line %q: want the one-line reason", first)
	}
	for _, id := range sim.ProfileIDs() {
		if !strings.Contains(out, id) {
			t.Errorf("listing lacks simulated profile %s", id)
		}
	}

	code, out, errs = invoke(t, "devices", "--format", "json")
	if code != exitOK {
		t.Fatalf("json: exit %d: %s", code, errs)
	}
	var rep devicesReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.NVML.Available || rep.NVML.Reason == "" || rep.NVML.Devices == nil || len(rep.Simulated) != len(sim.ProfileIDs()) {
		t.Errorf("json listing %+v", rep.NVML)
	}
}

func TestDevicesUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"devices", "--format", "yaml"}, {"devices", "extra"}, {"devices", "--gpu"}} {
		code, _, errs := invoke(t, args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, errs)
		}
	}
	if code, out, _ := invoke(t, "devices", "--help"); code != exitOK || !strings.Contains(out, "Examples:") {
		t.Errorf("--help: exit %d: %s", code, out)
	}
}

// TestTelemetryWithoutGPUFailsFast: --telemetry on a machine without a GPU is
// bad input for this machine (exit 2), reported before any load and without a
// report file.
func TestTelemetryWithoutGPUFailsFast(t *testing.T) {
	t.Parallel()
	skipWithGPU(t)
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "sim:h100-sxm", "--telemetry", "nvml:0"}, "--telemetry nvml:0: NVML unavailable"},
		{[]string{"--backend", "sim:h100-sxm", "--telemetry", "gpu0"}, "want nvml:INDEX"},
		{[]string{"--backend", "sim:h100-sxm", "--telemetry", "nvml:0", "--telemetry-interval", "0s"}, "--telemetry-interval 0s"},
		{[]string{"--backend", "nvml:0"}, "give --endpoint URL"},
		{[]string{"--backend", "nvml:0", "--endpoint", "noop"}, "NVML unavailable"},
		{[]string{"--backend", "sim:l4", "--endpoint", "http://127.0.0.1:1/v1"}, "only nvml:N backends take an endpoint"},
	}
	for i, tc := range tests {
		path := filepath.Join(dir, "r.json")
		args := append([]string{"run", "-o", path, "--duration", "1h"}, tc.args...)
		code, out, errs := invoke(t, args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%d %v: exit %d, stderr %q; want 2 and one line with %q", i, tc.args, code, errs, tc.want)
		}
		if out != "" {
			t.Errorf("%v: wrote results %q", tc.args, out)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%v: a report was written", tc.args)
		}
	}
}

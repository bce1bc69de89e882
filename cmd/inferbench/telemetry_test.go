//go:build linux && cgo

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/internal/gpumock"
)

func TestDevicesListsMockGPUs(t *testing.T) {
	t.Parallel()
	srv := gpumock.H100s()
	open := func() (*nvml.Lib, error) { return nvml.OpenWith(srv) }
	var text, js bytes.Buffer
	if err := listDevices(&text, "text", open); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Real GPUs (NVML; driver 550.54.15, CUDA 12.4)", "nvml:7", "NVIDIA H100 80GB HBM3", "h100-sxm", "3352", "3350", "Simulated profiles", "inf2"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text listing lacks %q:\n%s", want, text.String())
		}
	}
	if err := listDevices(&js, "json", open); err != nil {
		t.Fatal(err)
	}
	var rep devicesReport
	if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.NVML.Available || len(rep.NVML.Devices) != 8 || rep.NVML.Devices[0].SMCount != 132 || rep.NVML.DriverVersion != "550.54.15" {
		t.Errorf("json listing %+v", rep.NVML)
	}
}

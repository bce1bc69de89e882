//go:build linux && cgo

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	mockserver "github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/report"
)

// mockH100s is go-nvml's mock DGX H100 with the discovery and telemetry calls
// it leaves empty filled in: each GPU at a steady 350 W (the energy counter
// advancing to match in wall-clock time), power-capped, 90% busy.
func mockH100s() *mockserver.Server {
	srv := dgxh100.New()
	start := time.Now()
	for _, d := range srv.Devices {
		d := d.(*mockserver.Device)
		d.GetNumGpuCoresFunc = func() (int, gonvml.Return) { return 16896, gonvml.SUCCESS }
		d.GetAttributesFunc = func() (gonvml.DeviceAttributes, gonvml.Return) {
			return gonvml.DeviceAttributes{}, gonvml.ERROR_NOT_SUPPORTED
		}
		d.GetMaxClockInfoFunc = func(c gonvml.ClockType) (uint32, gonvml.Return) {
			if c == gonvml.CLOCK_MEM {
				return 2619, gonvml.SUCCESS
			}
			return 1980, gonvml.SUCCESS
		}
		d.GetMemoryBusWidthFunc = func() (uint32, gonvml.Return) { return 5120, gonvml.SUCCESS }
		d.GetEnforcedPowerLimitFunc = func() (uint32, gonvml.Return) { return 700000, gonvml.SUCCESS }
		d.GetPowerManagementDefaultLimitFunc = func() (uint32, gonvml.Return) { return 700000, gonvml.SUCCESS }
		d.GetPowerUsageFunc = func() (uint32, gonvml.Return) { return 350000, gonvml.SUCCESS }
		d.GetTotalEnergyConsumptionFunc = func() (uint64, gonvml.Return) {
			return 9_000_000 + uint64(time.Since(start).Seconds()*350_000), gonvml.SUCCESS
		}
		d.GetUtilizationRatesFunc = func() (gonvml.Utilization, gonvml.Return) {
			return gonvml.Utilization{Gpu: 90, Memory: 40}, gonvml.SUCCESS
		}
		d.GetClockInfoFunc = func(gonvml.ClockType) (uint32, gonvml.Return) { return 1755, gonvml.SUCCESS }
		d.GetTemperatureFunc = func(gonvml.TemperatureSensors) (uint32, gonvml.Return) { return 66, gonvml.SUCCESS }
		d.GetCurrentClocksEventReasonsFunc = func() (uint64, gonvml.Return) {
			return gonvml.ClocksEventReasonSwPowerCap, gonvml.SUCCESS
		}
	}
	return srv
}

func TestDevicesListsMockGPUs(t *testing.T) {
	t.Parallel()
	srv := mockH100s()
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

// TestRunWatchesMockGPUs drives a real (no-op) load through bench with two
// mock GPUs watched, and checks what lands in the report run.
func TestRunWatchesMockGPUs(t *testing.T) {
	t.Parallel()
	srv := mockH100s()
	tf := &telemetryFlags{specs: []string{"nvml:0", "nvml:1", "nvml:" + srv.Devices[0].(*mockserver.Device).UUID}, interval: 5 * time.Millisecond,
		openLib: func() (*nvml.Lib, error) { return nvml.OpenWith(srv) }}
	cfg := bench.Config{Scenario: bench.Closed, Concurrency: 2, Duration: 300 * time.Millisecond, Lengths: bench.Fixed(1, 16, 32)}
	var log bytes.Buffer
	runs := watchedRun(t, tf, cfg, noop.Backend{}, &log)
	tel := runs[0].Telemetry
	if tel == nil || len(tel.Devices) != 2 || !tel.Throttled || tel.Source != "nvml" {
		t.Fatalf("telemetry %+v (the UUID names GPU 0 again: two devices)", tel)
	}
	for _, d := range tel.Devices {
		s := d.Summary
		if d.Samples < 10 || s.EnergySource != "counter" || s.AvgPowerW < 300 || s.AvgPowerW > 400 || s.PeakPowerW != 350 ||
			s.AvgGPUUtilPct != 90 || s.MaxTempC != 66 || d.Profile != "h100-sxm" || len(d.Series.PowerW) != d.Samples {
			t.Errorf("%s: %d samples, summary %+v", d.Device, d.Samples, s)
		}
	}
	e := runs[0].Energy
	if e == nil || e.Source != "nvml" || e.PeakPowerW != 700 || e.JoulesPerRequest <= 0 {
		t.Errorf("run energy %+v", e)
	}
	if !strings.Contains(log.String(), "telemetry nvml:0 (NVIDIA H100 80GB HBM3)") || !strings.Contains(log.String(), "throttled for power or heat") {
		t.Errorf("log: %s", log.String())
	}
}

func TestTelemetryUnknownGPU(t *testing.T) {
	t.Parallel()
	srv := mockH100s()
	tf := &telemetryFlags{specs: []string{"nvml:8"}, interval: time.Second, openLib: func() (*nvml.Lib, error) { return nvml.OpenWith(srv) }}
	_, err := tf.start(bench.Config{})
	if code := exitCode(&env{stderr: &bytes.Buffer{}}, err); code != exitUsage || !strings.Contains(err.Error(), "no such GPU; valid: nvml:0 (NVIDIA H100 80GB HBM3)") {
		t.Errorf("exit %d: %v", code, err)
	}
}

// TestNVMLBackendOverEndpoint is the whole path of `--backend nvml:0
// --endpoint URL`: the load goes over HTTP to an OpenAI-compatible server
// (accel/remote's test server on a no-op device), the GPU under it is a mock
// H100 read through NVML, and the report run is named for the GPU and carries
// its telemetry and energy.
func TestNVMLBackendOverEndpoint(t *testing.T) {
	t.Parallel()
	ts := servertest.Start(t, server.Config{})
	gpus := mockH100s()
	tf := &telemetryFlags{interval: 5 * time.Millisecond, endpoint: ts.URL + "/v1"}
	if err := tf.checkEndpoint([]string{"nvml:0"}); err != nil {
		t.Fatal(err)
	}
	// As newRegistry composes it: nvml:N over the registry of endpoint kinds.
	endpoints := accel.NewRegistry(remote.Opener{})
	reg := endpoints.With(nvml.Opener{
		Endpoint:     tf.endpoint,
		OpenLib:      func() (*nvml.Lib, error) { return nvml.OpenWith(gpus) },
		OpenEndpoint: endpoints.Open,
	})
	b, err := reg.Open("nvml:0", accel.Options{Model: "llama-3.1-8b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if info := b.Info(); info.ID != "nvml:0" || info.Kind != accel.KindNVML || info.Profile != "h100-sxm" || info.Extra["endpoint"] != ts.URL+"/v1" {
		t.Errorf("info %+v", info)
	}
	cfg := bench.Config{Scenario: bench.Closed, Concurrency: 2, Duration: 300 * time.Millisecond, Lengths: bench.Fixed(1, 16, 8), Model: "llama-3.1-8b"}
	runs := watchedRun(t, tf, cfg, b, io.Discard)
	r := runs[0]
	if r.Counts.Completed == 0 || r.Counts.Errors != 0 {
		t.Fatalf("counts %+v", r.Counts)
	}
	if r.Telemetry == nil || len(r.Telemetry.Devices) != 1 || r.Telemetry.Devices[0].Device != "nvml:0" || r.Telemetry.Devices[0].Samples < 10 {
		t.Fatalf("telemetry %+v", r.Telemetry)
	}
	if r.Energy == nil || r.Energy.Source != "nvml" || r.Energy.JoulesPerRequest <= 0 {
		t.Errorf("energy %+v", r.Energy)
	}
}

// watchedRun does what run does for one backend under --telemetry: start the
// watch, run the load, build the report runs, attach what the GPUs saw.
func watchedRun(t *testing.T, tf *telemetryFlags, cfg bench.Config, b accel.Backend, log io.Writer) []report.Run {
	t.Helper()
	w, err := tf.start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if err := w.begin(b); err != nil {
		t.Fatal(err)
	}
	res, runs, _, err := measure(context.Background(), b, cfg, "chat")
	if err != nil {
		t.Fatal(err)
	}
	w.end(b, res, runs, log)
	return runs
}

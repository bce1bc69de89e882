//go:build linux && cgo

package plan_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	mockserver "github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/gpumock"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/plan"
)

// A real (no-op) load with two mock GPUs watched: each at a steady 350 W,
// 90% busy, power-capped, so every figure that lands in the report is known.
// The third spec names GPU 0 again by UUID: two devices, not three.
func TestExecuteWatchesMockGPUs(t *testing.T) {
	t.Parallel()
	srv := gpumock.H100s()
	uuid := srv.Devices[0].(*mockserver.Device).UUID
	var log bytes.Buffer
	p := plan.Plan{
		Backends:  []string{"noop"},
		Work:      plan.Work{InputTokens: 16, OutputTokens: intp(32)},
		Load:      plan.Load{Concurrency: 2},
		Limits:    plan.Limits{Duration: plan.Duration(300 * time.Millisecond)},
		Telemetry: plan.Telemetry{GPUs: []string{"nvml:0", "nvml:1", "nvml:" + uuid}, Interval: plan.Duration(5 * time.Millisecond)},
	}
	rep, err := plan.Execute(context.Background(), p, plan.Options{Log: &log, OpenNVML: func() (*nvml.Lib, error) { return nvml.OpenWith(srv) }})
	if err != nil {
		t.Fatal(err)
	}
	tel := rep.Runs[0].Telemetry
	if tel == nil || len(tel.Devices) != 2 || !tel.Throttled || tel.Source != "nvml" {
		t.Fatalf("telemetry %+v", tel)
	}
	for _, d := range tel.Devices {
		s := d.Summary
		if d.Samples < 10 || s.EnergySource != "counter" || s.AvgPowerW < 300 || s.AvgPowerW > 400 || s.PeakPowerW != 350 ||
			s.AvgGPUUtilPct != 90 || s.MaxTempC != 66 || d.Profile != "h100-sxm" || len(d.Series.PowerW) != d.Samples {
			t.Errorf("%s: %d samples, summary %+v", d.Device, d.Samples, s)
		}
	}
	if e := rep.Runs[0].Energy; e == nil || e.Source != "nvml" || e.PeakPowerW != 700 || e.JoulesPerRequest <= 0 {
		t.Errorf("run energy %+v", e)
	}
	if !strings.Contains(log.String(), "telemetry nvml:0 (NVIDIA H100 80GB HBM3)") || !strings.Contains(log.String(), "throttled for power or heat") {
		t.Errorf("log: %s", log.String())
	}
}

// A GPU that does not exist is an error about the plan, before any load,
// naming the ones that do.
func TestExecuteUnknownGPU(t *testing.T) {
	t.Parallel()
	srv := gpumock.H100s()
	p := plan.Plan{Backends: []string{"noop"}, Limits: plan.Limits{Requests: 1}, Telemetry: plan.Telemetry{GPUs: []string{"nvml:8"}}}
	_, err := plan.Execute(context.Background(), p, plan.Options{OpenNVML: func() (*nvml.Lib, error) { return nvml.OpenWith(srv) }})
	if !plan.IsInput(err) || !strings.Contains(err.Error(), "no such GPU; valid: nvml:0 (NVIDIA H100 80GB HBM3)") {
		t.Errorf("error %v", err)
	}
}

// The whole path of an nvml:N backend with an Endpoint: the load goes over
// HTTP to an OpenAI-compatible server (a no-op device behind accel/remote's
// test server), the GPU under it is a mock H100 read through NVML, and the
// report run is named for the GPU and carries its telemetry and energy.
func TestExecuteNVMLBackendOverEndpoint(t *testing.T) {
	t.Parallel()
	ts := servertest.Start(t, server.Config{})
	gpus := gpumock.H100s()
	p := plan.Plan{
		Backends:  []string{"nvml:0"},
		Work:      plan.Work{Model: "llama-3.1-8b", InputTokens: 16, OutputTokens: intp(8)},
		Load:      plan.Load{Concurrency: 2},
		Limits:    plan.Limits{Duration: plan.Duration(300 * time.Millisecond)},
		Telemetry: plan.Telemetry{Interval: plan.Duration(5 * time.Millisecond), Endpoint: ts.URL + "/v1"},
	}
	rep, err := plan.Execute(context.Background(), p, plan.Options{OpenNVML: func() (*nvml.Lib, error) { return nvml.OpenWith(gpus) }})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if r.Backend.ID != "nvml:0" || r.Backend.Kind != accel.KindNVML || r.Backend.Info.Profile != "h100-sxm" {
		t.Errorf("backend %+v", r.Backend)
	}
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

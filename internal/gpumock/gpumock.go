//go:build linux && cgo

// Package gpumock is a test kit: go-nvml's mock machines with the telemetry
// a test can know the answer of, for tests that watch GPUs through NVML
// without one.
package gpumock

import (
	"time"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	mockserver "github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// H100s is go-nvml's mock DGX H100 with the discovery and telemetry calls
// it leaves empty filled in: each GPU at a steady 350 W (the energy counter
// advancing to match in wall-clock time), power-capped, 90% busy.
func H100s() *mockserver.Server {
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

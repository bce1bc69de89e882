package nvml

import (
	"errors"
	"strings"
	"testing"
)

// An inventory is written as one line when NVML is away or sees nothing,
// else as a table whose profile columns are the matched profile's datasheet
// figures, with the figures NVML would not give named under it.
func TestInventoryText(t *testing.T) {
	t.Parallel()
	h100 := Device{Index: 0, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-1", MemoryBytes: 80 << 30, ComputeCapability: "9.0",
		SMCount: 132, MaxSMClockMHz: 1980, MemBandwidthGBps: 3352.32, PowerLimitW: 700, MIGMode: "disabled", Profile: "h100-sxm"}
	odd := Device{Index: 1, Name: "NVIDIA Odd", UUID: "GPU-2", Profile: "l4", ProfileNote: "by memory", Unreadable: []string{"power limit", "clocks"}}
	bare := Device{Index: 2, Name: "NVIDIA Bare", UUID: "GPU-3"}
	sys := System{DriverVersion: "550.54.15", CUDADriverVersion: "12.4"}
	for _, tt := range []struct {
		name string
		inv  Inventory
		want []string // lines, or the start of lines, in order
	}{
		{"unavailable", Inventory{Reason: "NVML unavailable: libnvidia-ml.so.1 not found"},
			[]string{"No real GPUs: NVML unavailable: libnvidia-ml.so.1 not found"}},
		{"no devices", Inventory{Available: true, System: sys}, []string{"NVML answers (driver 550.54.15) but sees no GPUs."}},
		{"devices", Inventory{Available: true, System: sys, Devices: []Device{h100, odd, bare}}, []string{
			"Real GPUs (NVML; driver 550.54.15, CUDA 12.4):",
			"spec    name                   memory GiB  CC   SMs  max SM MHz  bandwidth GB/s  power limit W  MIG       profile       profile GB/s  profile TFLOPS16  uuid",
			"nvml:0  NVIDIA H100 80GB HBM3  80.0        9.0  132  1980        3352            700            disabled  h100-sxm      3350          989               GPU-1",
			"nvml:1  NVIDIA Odd             0.0              0    0           0               0              -         l4 (nearest)  300           121               GPU-2",
			"nvml:2  NVIDIA Bare            0.0              0    0           0               0              -         -             -             -                 GPU-3",
			"  nvml:1: NVML would not give power limit; clocks",
			"  bandwidth is derived from NVML",
		}},
	} {
		if names := tt.inv.GPUNames(); len(names) != len(tt.inv.Devices) || len(names) > 0 && names[0] != tt.inv.Devices[0].Name {
			t.Errorf("%s: GPU names %q", tt.name, names)
		}
		var b strings.Builder
		if err := tt.inv.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d lines, want %d:\n%s", tt.name, len(got), len(tt.want), b.String())
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("%s: line %d\n%q, want\n%q", tt.name, i, got[i], w)
			}
		}
	}
}

// TakeInventory turns a failed open into a reason, and lists no devices as
// an empty list, not null.
func TestTakeInventoryUnavailable(t *testing.T) {
	t.Parallel()
	inv := TakeInventory(func() (*Lib, error) { return nil, &UnavailableError{Reason: "no driver"} })
	if inv.Available || inv.Reason != "NVML unavailable: no driver" || inv.Devices == nil || len(inv.Devices) != 0 {
		t.Errorf("%+v", inv)
	}
	if _, err := Open(); err != nil && !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open: %v, want ErrUnavailable or a library", err)
	}
}

package nvml

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/inferbench/inferbench/accel"
)

// System describes the NVIDIA software stack on the machine.
type System struct {
	DriverVersion string `json:"driver_version,omitempty"`
	// CUDADriverVersion is the newest CUDA version the driver supports, "12.4".
	CUDADriverVersion string `json:"cuda_driver_version,omitempty"`
	NVMLVersion       string `json:"nvml_version,omitempty"`
}

// Device is one GPU as discovery found it. Figures NVML could not give are
// zero and named in Unreadable; none of them is guessed.
type Device struct {
	Index        int    `json:"index"`
	UUID         string `json:"uuid"`
	Name         string `json:"name"`
	PCIBusID     string `json:"pci_bus_id,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	// ComputeCapability is the CUDA compute capability, "9.0".
	ComputeCapability string `json:"compute_capability,omitempty"`
	MemoryBytes       uint64 `json:"memory_bytes"`
	// SMCount is the number of streaming multiprocessors: from the device's
	// attributes where NVML gives them (MIG devices), otherwise CUDA cores over
	// the cores per SM of its compute capability.
	SMCount            int    `json:"sm_count,omitempty"`
	CUDACores          int    `json:"cuda_cores,omitempty"`
	MaxSMClockMHz      uint32 `json:"max_sm_clock_mhz,omitempty"`
	MaxMemClockMHz     uint32 `json:"max_mem_clock_mhz,omitempty"`
	MemoryBusWidthBits uint32 `json:"memory_bus_width_bits,omitempty"`
	// PowerLimitW is the enforced power limit now; DefaultPowerLimitW is the
	// board's default (its TDP).
	PowerLimitW        float64 `json:"power_limit_w,omitempty"`
	DefaultPowerLimitW float64 `json:"default_power_limit_w,omitempty"`
	// MIGMode is "enabled", "disabled", or "" where the GPU has no MIG.
	MIGMode string `json:"mig_mode,omitempty"`
	// MemBandwidthGBps is derived: 2 transfers per memory clock × bus width.
	// It matches the datasheet for HBM2/2e/3/3e and GDDR6/6X boards.
	MemBandwidthGBps float64 `json:"mem_bandwidth_gbps,omitempty"`
	// Profile is the simulated profile this card matches by name ("" when none
	// does), so a report can put measured next to predicted.
	Profile string `json:"profile,omitempty"`
	// ProfileNote qualifies the match, when the profile is only the nearest one.
	ProfileNote string `json:"profile_note,omitempty"`
	// Unreadable names the figures NVML would not give for this device.
	Unreadable []string `json:"unreadable,omitempty"`
}

// Spec is the backend spec that names this device: "nvml:0".
func (d Device) Spec() string { return "nvml:" + strconv.Itoa(d.Index) }

// SensorInfo identifies the device to a run that samples it.
func (d Device) SensorInfo() accel.SensorInfo {
	return accel.SensorInfo{Spec: d.Spec(), Name: d.Name, UUID: d.UUID, Profile: d.Profile}
}

// coresPerSM is the number of FP32 CUDA cores in one SM for a compute
// capability (CUDA C Programming Guide, "Compute Capabilities"), or 0 when not
// known. NVML gives cores, not SMs, for a whole GPU.
func coresPerSM(major, minor int) int {
	switch {
	case major == 6 && minor == 0, major == 7, major == 8 && minor == 0:
		return 64
	case major == 6, major == 8, major == 9, major == 10, major == 12:
		return 128
	}
	return 0
}

// bandwidthGBps derives peak memory bandwidth from the memory clock and bus
// width: NVML reports the clock at which data moves twice per cycle.
func bandwidthGBps(memClockMHz, busWidthBits uint32) float64 {
	return 2 * float64(memClockMHz) * 1e6 * float64(busWidthBits) / 8 / 1e9
}

// ErrUnavailable is wrapped by every error saying NVML cannot be used on this
// machine: no driver, no permission, or a build without NVML support.
var ErrUnavailable = errors.New("NVML unavailable")

// UnavailableError says why NVML cannot be used, in one line.
type UnavailableError struct {
	Reason string
}

func (e *UnavailableError) Error() string { return "NVML unavailable: " + e.Reason }

// Is makes every UnavailableError match ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// ErrGPULost is wrapped by the error a GPU's Sample returns once the GPU has
// stopped answering (fallen off the bus, needs a reset): its series ends there.
var ErrGPULost = errors.New("GPU stopped answering")

// notFound is the error for a device target that names no GPU; it lists the
// ones that exist.
func notFound(target string, devs []Device) error {
	valid := make([]string, 0, 2*len(devs))
	for _, d := range devs {
		valid = append(valid, fmt.Sprintf("%s (%s)", d.Spec(), d.Name), "nvml:"+d.UUID)
	}
	reason := "no such GPU"
	if len(devs) == 0 {
		reason = "no such GPU: NVML sees no GPUs on this machine"
	}
	return &accel.SpecError{Spec: "nvml:" + target, Reason: reason, Valid: valid}
}

// Info describes the device as a backend: the GPU's identity and peak specs.
// Peak TFLOPS are not something NVML reports, so they come from the matched
// simulated profile's datasheet figures (Extra["peak_tflops_from"] says so).
func (d Device) Info(sys System) accel.Info {
	info := accel.Info{
		ID: d.Spec(), Kind: accel.KindNVML, Name: d.Name, Vendor: "NVIDIA", Profile: d.Profile, Chips: 1,
		MemoryBytes: int64(d.MemoryBytes), MemBandwidthGBps: d.MemBandwidthGBps, TDPWatts: d.DefaultPowerLimitW,
		Extra: map[string]string{"uuid": d.UUID},
	}
	if p, ok := profileByID(d.Profile); ok {
		info.PeakTFLOPS16, info.PeakTFLOPS8 = p.TFLOPS16, p.TFLOPS8
		info.Extra["peak_tflops_from"] = "profile " + p.ID + " (datasheet)"
	}
	put := func(k, v string) {
		if v != "" && v != "0" {
			info.Extra[k] = v
		}
	}
	put("driver_version", sys.DriverVersion)
	put("cuda_driver_version", sys.CUDADriverVersion)
	put("compute_capability", d.ComputeCapability)
	put("architecture", d.Architecture)
	put("sm_count", strconv.Itoa(d.SMCount))
	put("max_sm_clock_mhz", strconv.FormatUint(uint64(d.MaxSMClockMHz), 10))
	put("max_mem_clock_mhz", strconv.FormatUint(uint64(d.MaxMemClockMHz), 10))
	put("power_limit_w", strconv.FormatFloat(d.PowerLimitW, 'g', -1, 64))
	put("mig_mode", d.MIGMode)
	return info
}

//go:build linux && cgo

package nvml

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/inferbench/inferbench/accel"
)

// Compiled says whether this build can talk to NVML (linux and cgo).
const Compiled = true

// Lib is an initialised NVML library. Close shuts it down; go-nvml counts
// Init and Shutdown calls, so several Libs in one process are fine.
type Lib struct {
	lib nvml.Interface
	// eventReasons says the driver has nvmlDeviceGetCurrentClocksEventReasons
	// (r535 and later); older ones only have the ...ThrottleReasons name, and
	// calling a symbol the library lacks would crash the process.
	eventReasons bool
	closeOnce    sync.Once
}

// Open loads the system's NVML (libnvidia-ml.so.1) and initialises it. The
// error, when NVML cannot be used, wraps ErrUnavailable and says why in one
// line: the library is missing, the driver is not loaded, no permission.
func Open() (*Lib, error) { return OpenWith(nvml.New()) }

// OpenWith initialises lib and uses it: the system library (nvml.New()) or a
// mock such as go-nvml's pkg/nvml/mock/dgxh100.New().
func OpenWith(lib nvml.Interface) (*Lib, error) {
	if ret := lib.Init(); ret != nvml.SUCCESS {
		return nil, &UnavailableError{Reason: initReason(ret)}
	}
	l := &Lib{lib: lib}
	if ext := lib.Extensions(); ext != nil {
		l.eventReasons = ext.LookupSymbol("nvmlDeviceGetCurrentClocksEventReasons") == nil
	}
	return l, nil
}

// initReason says in one line why nvmlInit failed.
func initReason(ret nvml.Return) string {
	switch ret {
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return "libnvidia-ml.so.1 not found: no NVIDIA driver installed on this machine"
	case nvml.ERROR_DRIVER_NOT_LOADED:
		return "NVIDIA driver not loaded (is the kernel module loaded? try nvidia-smi)"
	case nvml.ERROR_NO_PERMISSION:
		return "no permission to use the GPU (check access to /dev/nvidia*)"
	case nvml.ERROR_LIB_RM_VERSION_MISMATCH:
		return "driver/library version mismatch: the NVIDIA kernel module and libnvidia-ml.so.1 differ (reboot or reload the driver)"
	}
	return "nvmlInit failed: " + nvml.ErrorString(ret)
}

// Close shuts NVML down. It is safe to call more than once.
func (l *Lib) Close() error {
	var err error
	l.closeOnce.Do(func() {
		if ret := l.lib.Shutdown(); ret != nvml.SUCCESS {
			err = fmt.Errorf("nvml shutdown: %s", nvml.ErrorString(ret))
		}
	})
	return err
}

// System describes the driver.
func (l *Lib) System() System {
	var s System
	if v, ret := l.lib.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		s.DriverVersion = v
	}
	if v, ret := l.lib.SystemGetNVMLVersion(); ret == nvml.SUCCESS {
		s.NVMLVersion = v
	}
	if v, ret := l.lib.SystemGetCudaDriverVersion(); ret == nvml.SUCCESS && v > 0 {
		s.CUDADriverVersion = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
	}
	return s
}

// Devices lists every GPU NVML sees, by index.
func (l *Lib) Devices() ([]Device, error) {
	n, ret := l.lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("nvml: counting devices: %s", nvml.ErrorString(ret))
	}
	devs := make([]Device, 0, n)
	for i := 0; i < n; i++ {
		h, ret := l.lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			return nil, fmt.Errorf("nvml: device %d: %s", i, nvml.ErrorString(ret))
		}
		devs = append(devs, describe(i, h))
	}
	return devs, nil
}

// GPU opens the device a target names: its index ("0") or UUID ("GPU-…").
// An unknown target is an accel.SpecError listing the GPUs there are.
func (l *Lib) GPU(target string) (*GPU, error) {
	var (
		h   nvml.Device
		ret = nvml.ERROR_NOT_FOUND
	)
	idx := -1
	if i, err := strconv.Atoi(target); err == nil && i >= 0 {
		idx = i
		if n, r := l.lib.DeviceGetCount(); r == nvml.SUCCESS && i < n {
			h, ret = l.lib.DeviceGetHandleByIndex(i)
		}
	} else if strings.HasPrefix(target, "GPU-") || strings.HasPrefix(target, "MIG-") {
		h, ret = l.lib.DeviceGetHandleByUUID(target)
	}
	if ret != nvml.SUCCESS {
		devs, _ := l.Devices()
		return nil, notFound(target, devs)
	}
	if idx < 0 {
		if i, r := h.GetIndex(); r == nvml.SUCCESS {
			idx = i
		}
	}
	return &GPU{dev: h, desc: describe(idx, h), eventReasons: l.eventReasons}, nil
}

// describe reads everything discovery reports about one device. A figure NVML
// refuses is left zero and named in Unreadable; ERROR_NOT_SUPPORTED for MIG
// mode just means the board has none. A partial nvml.Interface whose missing
// methods panic, as go-nvml's generated mocks do, gets the same treatment, so
// discovery works on any test double.
func describe(index int, h nvml.Device) Device {
	d := Device{Index: index}
	// read runs one query; what names it in Unreadable when it fails. optional
	// queries (PCI bus id, architecture, SM attributes) fail quietly.
	read := func(what string, optional bool, query func() nvml.Return) {
		ret := nvml.ERROR_FUNCTION_NOT_FOUND
		func() {
			defer func() {
				if recover() != nil {
					ret = nvml.ERROR_FUNCTION_NOT_FOUND
				}
			}()
			ret = query()
		}()
		if ret != nvml.SUCCESS && !optional {
			d.Unreadable = append(d.Unreadable, what+": "+nvml.ErrorString(ret))
		}
	}
	var major, minor int
	read("uuid", false, func() (r nvml.Return) { d.UUID, r = h.GetUUID(); return })
	read("name", false, func() (r nvml.Return) { d.Name, r = h.GetName(); return })
	read("pci_bus_id", true, func() nvml.Return {
		pci, r := h.GetPciInfo()
		if r == nvml.SUCCESS {
			d.PCIBusID = cString(pci.BusId[:])
		}
		return r
	})
	read("architecture", true, func() nvml.Return {
		a, r := h.GetArchitecture()
		d.Architecture = archName(a)
		return r
	})
	read("compute_capability", false, func() nvml.Return {
		var r nvml.Return
		if major, minor, r = h.GetCudaComputeCapability(); r == nvml.SUCCESS {
			d.ComputeCapability = fmt.Sprintf("%d.%d", major, minor)
		}
		return r
	})
	read("memory", false, func() nvml.Return {
		m, r := h.GetMemoryInfo()
		d.MemoryBytes = m.Total
		return r
	})
	read("cuda_cores", false, func() (r nvml.Return) { d.CUDACores, r = h.GetNumGpuCores(); return })
	read("sm_count", true, func() nvml.Return {
		a, r := h.GetAttributes()
		d.SMCount = int(a.MultiprocessorCount)
		return r
	})
	if per := coresPerSM(major, minor); d.SMCount == 0 && per > 0 && d.CUDACores > 0 {
		d.SMCount = d.CUDACores / per
	}
	read("max_sm_clock", false, func() (r nvml.Return) { d.MaxSMClockMHz, r = h.GetMaxClockInfo(nvml.CLOCK_SM); return })
	read("max_mem_clock", false, func() (r nvml.Return) { d.MaxMemClockMHz, r = h.GetMaxClockInfo(nvml.CLOCK_MEM); return })
	read("memory_bus_width", false, func() (r nvml.Return) { d.MemoryBusWidthBits, r = h.GetMemoryBusWidth(); return })
	read("power_limit", false, func() nvml.Return {
		mw, r := h.GetEnforcedPowerLimit()
		d.PowerLimitW = float64(mw) / 1000
		return r
	})
	read("default_power_limit", false, func() nvml.Return {
		mw, r := h.GetPowerManagementDefaultLimit()
		d.DefaultPowerLimitW = float64(mw) / 1000
		return r
	})
	read("mig_mode", false, func() nvml.Return {
		cur, _, r := h.GetMigMode()
		switch {
		case r == nvml.SUCCESS && cur == nvml.DEVICE_MIG_ENABLE:
			d.MIGMode = "enabled"
		case r == nvml.SUCCESS:
			d.MIGMode = "disabled"
		case r == nvml.ERROR_NOT_SUPPORTED:
			return nvml.SUCCESS // no MIG on this board: nothing missing
		}
		return r
	})
	if d.MaxMemClockMHz > 0 && d.MemoryBusWidthBits > 0 {
		d.MemBandwidthGBps = bandwidthGBps(d.MaxMemClockMHz, d.MemoryBusWidthBits)
	}
	var exact bool
	d.Profile, exact = MatchProfile(d.Name, d.MemoryBytes)
	if d.Profile != "" && !exact {
		d.ProfileNote = "nearest profile, not the same board"
	}
	return d
}

// cString turns a NUL-terminated C char array into a string.
func cString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

func archName(a nvml.DeviceArchitecture) string {
	switch a {
	case nvml.DEVICE_ARCH_KEPLER:
		return "Kepler"
	case nvml.DEVICE_ARCH_MAXWELL:
		return "Maxwell"
	case nvml.DEVICE_ARCH_PASCAL:
		return "Pascal"
	case nvml.DEVICE_ARCH_VOLTA:
		return "Volta"
	case nvml.DEVICE_ARCH_TURING:
		return "Turing"
	case nvml.DEVICE_ARCH_AMPERE:
		return "Ampere"
	case nvml.DEVICE_ARCH_ADA:
		return "Ada"
	case nvml.DEVICE_ARCH_HOPPER:
		return "Hopper"
	case nvml.DEVICE_ARCH_BLACKWELL:
		return "Blackwell"
	}
	return ""
}

// GPU is one opened device: its description and its telemetry. Its Sample is
// meant for one goroutine (a Sampler's).
type GPU struct {
	dev          nvml.Device
	desc         Device
	eventReasons bool
	// skip holds the readings NVML answered ERROR_NOT_SUPPORTED for: they are
	// not asked for again.
	skip accel.SampleFields
	// errs counts readings that failed for other reasons (left out of their
	// sample, asked for again next time).
	errs int
	lost error
}

var _ accel.Sensor = (*GPU)(nil)

// Device describes the GPU as discovery found it.
func (g *GPU) Device() Device { return g.desc }

// Describe identifies the GPU to a run that samples it.
func (g *GPU) Describe() accel.SensorInfo { return g.desc.SensorInfo() }

// Unsupported names the readings this GPU does not support.
func (g *GPU) Unsupported() accel.SampleFields { return g.skip }

// ReadErrors counts readings that failed for a reason other than not being
// supported; such a reading is missing from its sample only.
func (g *GPU) ReadErrors() int { return g.errs }

// Sample reads the GPU into s, setting s.Valid for each reading it got. It
// allocates nothing. Once the GPU stops answering (lost, needs a reset, NVML
// shut down) it returns an error wrapping ErrGPULost, now and on every later
// call.
func (g *GPU) Sample(s *accel.Sample) error {
	if g.lost != nil {
		return g.lost
	}
	if !g.skipped(accel.FieldPower) {
		mw, ret := g.dev.GetPowerUsage()
		if g.ok(accel.FieldPower, ret) {
			s.PowerW = float64(mw) / 1000
			s.Valid |= accel.FieldPower
		}
	}
	if !g.skipped(accel.FieldEnergy) {
		mj, ret := g.dev.GetTotalEnergyConsumption()
		if g.ok(accel.FieldEnergy, ret) {
			s.EnergyMJ = mj
			s.Valid |= accel.FieldEnergy
		}
	}
	if !g.skipped(accel.FieldGPUUtil | accel.FieldMemUtil) {
		u, ret := g.dev.GetUtilizationRates()
		if g.ok(accel.FieldGPUUtil|accel.FieldMemUtil, ret) {
			s.GPUUtilPct, s.MemUtilPct = float64(u.Gpu), float64(u.Memory)
			s.Valid |= accel.FieldGPUUtil | accel.FieldMemUtil
		}
	}
	if !g.skipped(accel.FieldMemUsed) {
		m, ret := g.dev.GetMemoryInfo()
		if g.ok(accel.FieldMemUsed, ret) {
			s.MemUsedBytes = m.Used
			s.Valid |= accel.FieldMemUsed
		}
	}
	if !g.skipped(accel.FieldSMClock) {
		c, ret := g.dev.GetClockInfo(nvml.CLOCK_SM)
		if g.ok(accel.FieldSMClock, ret) {
			s.SMClockMHz = c
			s.Valid |= accel.FieldSMClock
		}
	}
	if !g.skipped(accel.FieldMemClock) {
		c, ret := g.dev.GetClockInfo(nvml.CLOCK_MEM)
		if g.ok(accel.FieldMemClock, ret) {
			s.MemClockMHz = c
			s.Valid |= accel.FieldMemClock
		}
	}
	if !g.skipped(accel.FieldTemp) {
		c, ret := g.dev.GetTemperature(nvml.TEMPERATURE_GPU)
		if g.ok(accel.FieldTemp, ret) {
			s.TempC = float64(c)
			s.Valid |= accel.FieldTemp
		}
	}
	if !g.skipped(accel.FieldThrottle) {
		var (
			r   uint64
			ret nvml.Return
		)
		if g.eventReasons {
			r, ret = g.dev.GetCurrentClocksEventReasons()
		} else {
			r, ret = g.dev.GetCurrentClocksThrottleReasons()
		}
		if g.ok(accel.FieldThrottle, ret) {
			s.ThrottleReasons = r
			s.Valid |= accel.FieldThrottle
		}
	}
	if g.lost != nil {
		s.Valid = 0
		return g.lost
	}
	return nil
}

func (g *GPU) skipped(f accel.SampleFields) bool { return g.skip&f == f || g.lost != nil }

// ok sorts a reading's return code: success, not supported (skip it from now
// on), the GPU gone (end the series), or a one-off failure.
func (g *GPU) ok(f accel.SampleFields, ret nvml.Return) bool {
	switch ret {
	case nvml.SUCCESS:
		return true
	case nvml.ERROR_NOT_SUPPORTED:
		g.skip |= f
	case nvml.ERROR_GPU_IS_LOST, nvml.ERROR_RESET_REQUIRED, nvml.ERROR_UNINITIALIZED:
		g.lost = fmt.Errorf("%s (%s): %w: %s", g.desc.Spec(), g.desc.Name, ErrGPULost, nvml.ErrorString(ret))
	default:
		g.errs++
	}
	return false
}

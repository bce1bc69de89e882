//go:build !(linux && cgo)

package nvml

import (
	"runtime"

	"github.com/inferbench/inferbench/accel"
)

// Compiled says whether this build can talk to NVML (linux and cgo).
const Compiled = false

// Lib stands in for NVML in builds without it: Open always fails, so no Lib
// exists and its methods are never reached.
type Lib struct{}

// Open says that NVML support was not compiled in.
func Open() (*Lib, error) {
	reason := "NVML support was not compiled in (this binary was built with CGO_ENABLED=0; rebuild with cgo on linux)"
	if runtime.GOOS != "linux" {
		reason = "NVML support was not compiled in (NVML is read on linux only; this binary is for " + runtime.GOOS + ")"
	}
	return nil, &UnavailableError{Reason: reason}
}

// Close does nothing.
func (l *Lib) Close() error { return nil }

// System returns nothing.
func (l *Lib) System() System { return System{} }

// Devices returns no devices.
func (l *Lib) Devices() ([]Device, error) { return nil, nil }

// GPU finds no GPU.
func (l *Lib) GPU(target string) (*GPU, error) { return nil, notFound(target, nil) }

// GPU stands in for an NVML device in builds without NVML.
type GPU struct{ desc Device }

var _ accel.Sensor = (*GPU)(nil)

// Device returns the (empty) description.
func (g *GPU) Device() Device { return g.desc }

// Describe identifies the GPU to a run that samples it.
func (g *GPU) Describe() accel.SensorInfo { return g.desc.SensorInfo() }

// Unsupported says every reading is unsupported.
func (g *GPU) Unsupported() accel.SampleFields { return ^accel.SampleFields(0) }

// ReadErrors is always 0.
func (g *GPU) ReadErrors() int { return 0 }

// Sample always fails: there is no GPU to read.
func (g *GPU) Sample(*accel.Sample) error { return ErrGPULost }

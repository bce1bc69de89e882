// Package nvml reads real NVIDIA GPUs through NVML (github.com/NVIDIA/go-nvml):
// which cards there are and what they can do (discovery and peak specs), and
// what they did during a run (telemetry: power, the total-energy counter,
// utilization, memory, clocks, temperature and clock-event, or throttle,
// reasons).
//
// # Building
//
// go-nvml is a cgo binding that opens libnvidia-ml.so.1 at run time, so the
// binary builds on machines without a driver. The NVML half of this package is
// compiled under `linux && cgo`; elsewhere (CGO_ENABLED=0, macOS) Open returns
// an error saying NVML support was not compiled in, and everything that does
// not touch the library (profile matching, the sampler, the types) still works.
//
// # Opening
//
// Open loads the system library; OpenWith takes any nvml.Interface, which is
// how the tests run on go-nvml's mock DGX machines (pkg/nvml/mock/dgxh100 and
// friends). A Lib lists Devices and opens a GPU by index or UUID; a GPU is an
// accel.Sensor.
//
// # Sampling
//
// A Sampler polls its sources from one goroutine into buffers allocated when it
// is made, so a sample allocates nothing. One goroutine matters beyond
// allocation: go-nvml's GetFieldValues and GPM calls are not safe to call
// concurrently, so a process watches all its GPUs from a single sampler.
// A reading NVML answers with ERROR_NOT_SUPPORTED is not asked for again for
// the rest of the run; a GPU that falls off the bus (ERROR_GPU_IS_LOST) ends its
// own series, not the run.
//
// # Backend
//
// The spec `nvml:<index|uuid>` opens a Backend that sends its load to an
// inference endpoint running on that GPU (Opener.Endpoint, opened through
// Opener.OpenEndpoint) and samples the GPU itself (an accel.Observer whose
// sensor is the GPU), so its report names the card and carries what the card
// did. Nothing here changes a GPU's state: no clocks, power limits, persistence,
// MIG mode or resets.
package nvml

package accel

import "time"

// Telemetry is implemented by backends that can observe the hardware under them
// (a real GPU through NVML). A sampler calls Sample at a fixed interval into a
// preallocated ring, so Sample must not allocate.
type Telemetry interface {
	Sample(s *Sample) error
}

// Sensor is a device a run can watch: it reads itself (Telemetry) and says
// which device it is, so the caller that samples it (inferbench run) needs
// to know no concrete type. A real GPU opened through NVML is one.
type Sensor interface {
	Telemetry
	// Describe identifies the device.
	Describe() SensorInfo
	// Unsupported names the readings the device has declined so far, which
	// are not asked for again.
	Unsupported() SampleFields
}

// SensorInfo identifies a device a Sensor reads.
type SensorInfo struct {
	Spec    string // how a spec names it, e.g. nvml:0
	Name    string // e.g. NVIDIA H100 80GB HBM3
	UUID    string // stable across renumbering: two Sensors of one UUID are one device
	Profile string // the simulated profile that models it, "" when none does
}

// Observer is implemented by backends that watch the hardware serving their
// load (an nvml:N backend watches its GPU): a run that samples telemetry
// samples these sensors as well, without being asked to.
type Observer interface {
	Sensors() []Sensor
}

// Sample is one reading of a device. Fields a device cannot report are left zero
// and their bit in Valid is clear.
type Sample struct {
	At              time.Duration // since the start of the run
	PowerW          float64       // instantaneous board power
	EnergyMJ        uint64        // total-energy counter, millijoules since driver load
	GPUUtilPct      float64       // percent of time a kernel ran
	MemUtilPct      float64       // percent of time memory was read or written
	MemUsedBytes    uint64        // device memory in use
	SMClockMHz      uint32        // current SM clock
	MemClockMHz     uint32        // current memory clock
	TempC           float64       // GPU temperature
	ThrottleReasons uint64        // NVML clock-event reason bits
	Valid           SampleFields  // which fields were read
}

// SampleFields is a bit set naming the fields of a Sample that hold readings.
type SampleFields uint32

// The fields of a Sample.
const (
	FieldPower SampleFields = 1 << iota
	FieldEnergy
	FieldGPUUtil
	FieldMemUtil
	FieldMemUsed
	FieldSMClock
	FieldMemClock
	FieldTemp
	FieldThrottle
)

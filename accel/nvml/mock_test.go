//go:build linux && cgo

package nvml

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxa100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxb200"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh200"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
)

// board holds the figures go-nvml's mock machines leave out of discovery
// (their GPU configs carry name, memory and compute capability only), taken
// from the boards' datasheets and nvidia-smi -q on real cards.
type board struct {
	cores             int
	maxSM, maxMem     uint32 // MHz
	busWidth          uint32 // bits
	limitMW, defaultW uint32
}

var (
	a100 = board{cores: 6912, maxSM: 1410, maxMem: 1215, busWidth: 5120, limitMW: 400000, defaultW: 400000}
	h100 = board{cores: 16896, maxSM: 1980, maxMem: 2619, busWidth: 5120, limitMW: 700000, defaultW: 700000}
	h200 = board{cores: 16896, maxSM: 1980, maxMem: 3201, busWidth: 6144, limitMW: 700000, defaultW: 700000}
	b200 = board{cores: 18944, maxSM: 1965, maxMem: 3996, busWidth: 8192, limitMW: 1000000, defaultW: 1000000}
)

// withBoard fills a mock machine's missing discovery calls with b's figures.
// openLib opens NVML over a mock machine for a test or benchmark, and closes
// it when that ends.
func openLib(tb testing.TB, srv nvml.Interface) *Lib {
	tb.Helper()
	lib, err := OpenWith(srv)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lib.Close() })
	return lib
}

func withBoard(s *server.Server, b board) *server.Server {
	for _, d := range s.Devices {
		d := d.(*server.Device)
		d.GetNumGpuCoresFunc = func() (int, nvml.Return) { return b.cores, nvml.SUCCESS }
		d.GetAttributesFunc = func() (nvml.DeviceAttributes, nvml.Return) {
			return nvml.DeviceAttributes{}, nvml.ERROR_NOT_SUPPORTED // a whole GPU, not a MIG device
		}
		d.GetMaxClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
			if c == nvml.CLOCK_MEM {
				return b.maxMem, nvml.SUCCESS
			}
			return b.maxSM, nvml.SUCCESS
		}
		d.GetMemoryBusWidthFunc = func() (uint32, nvml.Return) { return b.busWidth, nvml.SUCCESS }
		d.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return b.limitMW, nvml.SUCCESS }
		d.GetPowerManagementDefaultLimitFunc = func() (uint32, nvml.Return) { return b.defaultW, nvml.SUCCESS }
	}
	return s
}

// script sets the telemetry calls the mocks leave empty to scripted series:
// reading i of each call returns a value that is a simple function of i, so a
// test can check what the sampler stored. From reading lostAt on (if > 0) every
// call answers ERROR_GPU_IS_LOST; calls in unsupported answer
// ERROR_NOT_SUPPORTED. Each call keeps its own reading count, in calls.
type script struct {
	lostAt      int
	unsupported map[string]bool
	calls       map[string]*atomic.Int64
}

func (sc *script) install(d *server.Device) {
	sc.calls = map[string]*atomic.Int64{}
	for _, k := range []string{"power", "energy", "util", "mem", "smclock", "memclock", "temp", "reasons"} {
		sc.calls[k] = new(atomic.Int64)
	}
	// next counts a call and says which reading it is and how it answers.
	next := func(k string) (int, nvml.Return) {
		i := int(sc.calls[k].Add(1)) - 1
		switch {
		case sc.unsupported[k]:
			return i, nvml.ERROR_NOT_SUPPORTED
		case sc.lostAt > 0 && i >= sc.lostAt:
			return i, nvml.ERROR_GPU_IS_LOST
		}
		return i, nvml.SUCCESS
	}
	d.GetPowerUsageFunc = func() (uint32, nvml.Return) {
		i, r := next("power")
		return uint32(300000 + 1000*i), r
	}
	d.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) {
		i, r := next("energy")
		return uint64(5_000_000 + 30_000*i), r
	}
	d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		i, r := next("util")
		return nvml.Utilization{Gpu: uint32(50 + i%50), Memory: 20}, r
	}
	d.GetMemoryInfoFunc = func() (nvml.Memory, nvml.Return) {
		i, r := next("mem")
		return nvml.Memory{Total: d.MemoryInfo.Total, Used: uint64(i) << 30}, r
	}
	d.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
		if c == nvml.CLOCK_MEM {
			_, r := next("memclock")
			return 2619, r
		}
		i, r := next("smclock")
		return uint32(1980 - i), r
	}
	d.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) {
		i, r := next("temp")
		return uint32(40 + i), r
	}
	d.GetCurrentClocksEventReasonsFunc = func() (uint64, nvml.Return) {
		i, r := next("reasons")
		if i%4 == 3 {
			return nvml.ClocksEventReasonSwPowerCap, r
		}
		return 0, r
	}
}

func (sc *script) n(k string) int { return int(sc.calls[k].Load()) }

func TestDevicesOnMockMachines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		machine      string
		srv          *server.Server
		name         string
		profile      string
		memGiB       uint64
		cc           string
		sms          int
		arch         string
		bandwidthGBs float64 // derived: 2 × max memory clock × bus width
	}{
		{"dgxa100", withBoard(dgxa100.New(), a100), "Mock NVIDIA A100-SXM4-40GB", "a100-40gb", 40, "8.0", 108, "Ampere", 1555.2},
		{"dgxh100", withBoard(dgxh100.New(), h100), "NVIDIA H100 80GB HBM3", "h100-sxm", 80, "9.0", 132, "Hopper", 3352.32},
		{"dgxh200", withBoard(dgxh200.New(), h200), "NVIDIA H200 141GB HBM3e", "h200", 141, "9.0", 132, "Hopper", 4916.736},
		{"dgxb200", withBoard(dgxb200.New(), b200), "NVIDIA B200 180GB HBM3e", "b200", 180, "10.0", 148, "Blackwell", 8183.808},
	}
	for _, tc := range tests {
		t.Run(tc.machine, func(t *testing.T) {
			t.Parallel()
			lib, err := OpenWith(tc.srv)
			if err != nil {
				t.Fatal(err)
			}
			defer lib.Close()
			if sys := lib.System(); sys.DriverVersion != tc.srv.DriverVersion || sys.NVMLVersion != tc.srv.NvmlVersion ||
				sys.CUDADriverVersion != fmt.Sprintf("%d.%d", tc.srv.CudaDriverVersion/1000, tc.srv.CudaDriverVersion%1000/10) ||
				!strings.HasPrefix(sys.CUDADriverVersion, "12.") {
				t.Errorf("system %+v", sys)
			}
			devs, err := lib.Devices()
			if err != nil {
				t.Fatal(err)
			}
			if len(devs) != 8 {
				t.Fatalf("%d devices, want 8", len(devs))
			}
			uuids := map[string]bool{}
			for i, d := range devs {
				if d.Index != i || d.Name != tc.name || d.Profile != tc.profile || d.ComputeCapability != tc.cc ||
					d.MemoryBytes != tc.memGiB<<30 || d.SMCount != tc.sms || d.Architecture != tc.arch || d.MIGMode != "disabled" {
					t.Errorf("device %d: %+v", i, d)
				}
				if d.MemBandwidthGBps < tc.bandwidthGBs-0.01 || d.MemBandwidthGBps > tc.bandwidthGBs+0.01 {
					t.Errorf("device %d: derived bandwidth %.3f GB/s, want %.3f", i, d.MemBandwidthGBps, tc.bandwidthGBs)
				}
				if d.PowerLimitW <= 0 || d.DefaultPowerLimitW != d.PowerLimitW || d.MaxSMClockMHz == 0 || d.MemoryBusWidthBits == 0 {
					t.Errorf("device %d: limits %+v", i, d)
				}
				if len(d.Unreadable) > 0 {
					t.Errorf("device %d unreadable: %v", i, d.Unreadable)
				}
				if !strings.HasPrefix(d.UUID, "GPU-") || uuids[d.UUID] {
					t.Errorf("device %d: uuid %q", i, d.UUID)
				}
				uuids[d.UUID] = true
				if d.PCIBusID != "" {
					t.Errorf("device %d: the mock sets no bus id, got %q", i, d.PCIBusID)
				}
			}
		})
	}
}

// TestDiscoveryUnreadable checks that a figure NVML refuses is named, not
// guessed, and that a MIG-capable board in MIG mode says so.
func TestDiscoveryUnreadable(t *testing.T) {
	t.Parallel()
	srv := withBoard(dgxh100.New(), h100)
	d0 := srv.Devices[0].(*server.Device)
	d0.GetMemoryBusWidthFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	d0.SetMigMode(nvml.DEVICE_MIG_ENABLE)
	lib := openLib(t, srv)
	devs, err := lib.Devices()
	if err != nil {
		t.Fatal(err)
	}
	d := devs[0]
	if d.MemoryBusWidthBits != 0 || d.MemBandwidthGBps != 0 || len(d.Unreadable) != 1 || !strings.Contains(d.Unreadable[0], "memory_bus_width") {
		t.Errorf("bus width refused: %+v", d)
	}
	if d.MIGMode != "enabled" || devs[1].MIGMode != "disabled" {
		t.Errorf("mig modes %q, %q", d.MIGMode, devs[1].MIGMode)
	}
}

// TestDiscoveryOnBareMock: go-nvml's mocks panic on calls nobody filled in;
// discovery names those figures as unreadable instead of crashing.
func TestDiscoveryOnBareMock(t *testing.T) {
	t.Parallel()
	lib, err := OpenWith(dgxb200.New())
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	devs, err := lib.Devices()
	if err != nil || len(devs) != 8 {
		t.Fatalf("%d devices, %v", len(devs), err)
	}
	d := devs[0]
	got := strings.Join(d.Unreadable, "; ")
	for _, want := range []string{"cuda_cores", "max_sm_clock", "max_mem_clock", "memory_bus_width", "power_limit", "default_power_limit"} {
		if !strings.Contains(got, want+": ") {
			t.Errorf("unreadable %q lacks %s", got, want)
		}
	}
	if d.Name != "NVIDIA B200 180GB HBM3e" || d.Profile != "b200" || d.ComputeCapability != "10.0" || d.SMCount != 0 || d.MemBandwidthGBps != 0 {
		t.Errorf("device %+v", d)
	}
}

func TestOpenFailsWithOneLineReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ret  nvml.Return
		want string
	}{
		{nvml.ERROR_LIBRARY_NOT_FOUND, "libnvidia-ml.so.1 not found"},
		{nvml.ERROR_DRIVER_NOT_LOADED, "driver not loaded"},
		{nvml.ERROR_NO_PERMISSION, "no permission"},
		{nvml.ERROR_LIB_RM_VERSION_MISMATCH, "version mismatch"},
		{nvml.ERROR_UNKNOWN, "nvmlInit failed"},
	}
	for _, tc := range tests {
		srv := dgxh100.New()
		srv.InitFunc = func() nvml.Return { return tc.ret }
		_, err := OpenWith(srv)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("init %v: error %v, want one line with %q", tc.ret, err, tc.want)
		}
	}
}

func TestGPUByIndexAndUUID(t *testing.T) {
	t.Parallel()
	srv := withBoard(dgxh100.New(), h100)
	lib := openLib(t, srv)
	uuid3 := srv.Devices[3].(*server.Device).UUID
	for _, tc := range []struct {
		target string
		index  int
	}{{"0", 0}, {"7", 7}, {uuid3, 3}} {
		g, err := lib.GPU(tc.target)
		if err != nil {
			t.Errorf("GPU(%q): %v", tc.target, err)
			continue
		}
		if g.Device().Index != tc.index || g.Device().Spec() != "nvml:"+string(rune('0'+tc.index)) {
			t.Errorf("GPU(%q) = %+v", tc.target, g.Device())
		}
	}
	for _, bad := range []string{"8", "-1", "GPU-00000000-0000-0000-0000-000000000000", "first"} {
		_, err := lib.GPU(bad)
		if !errors.Is(err, accel.ErrBadSpec) || !strings.Contains(err.Error(), "nvml:0 (NVIDIA H100 80GB HBM3)") || !strings.Contains(err.Error(), bad) {
			t.Errorf("GPU(%q): %v, want a spec error naming it and listing the GPUs", bad, err)
		}
	}
}

// TestSamplerOnMockMachine runs the real sampler against a mock H100 machine
// with scripted telemetry and checks every reading lands where it should.
func TestSamplerOnMockMachine(t *testing.T) {
	t.Parallel()
	srv := withBoard(dgxh100.New(), h100)
	lib := openLib(t, srv)
	var srcs []Source
	for _, target := range []string{"0", "1"} {
		g, err := lib.GPU(target)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, Source{Name: g.Device().Spec(), T: g})
	}
	// Scripts go in after discovery, so their reading counts are the sampler's.
	scripts := []*script{{}, {}}
	for i, sc := range scripts {
		sc.install(srv.Devices[i].(*server.Device))
	}
	s, err := NewSampler(time.Millisecond, 0, srcs...)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	waitReads(t, scripts[0], 10)
	series := s.Stop()
	for i, sr := range series {
		if sr.Ended != nil || sr.Stride != 1 || len(sr.Samples) != sr.Reads || sr.Reads < 11 {
			t.Fatalf("series %d: ended %v, stride %d, %d samples of %d reads", i, sr.Ended, sr.Stride, len(sr.Samples), sr.Reads)
		}
		for k, smp := range sr.Samples {
			want := accel.Sample{
				At: smp.At, PowerW: 300 + float64(k), EnergyMJ: uint64(5_000_000 + 30_000*k),
				GPUUtilPct: float64(50 + k%50), MemUtilPct: 20, MemUsedBytes: uint64(k) << 30,
				SMClockMHz: uint32(1980 - k), MemClockMHz: 2619, TempC: float64(40 + k),
				Valid: accel.FieldPower | accel.FieldEnergy | accel.FieldGPUUtil | accel.FieldMemUtil | accel.FieldMemUsed |
					accel.FieldSMClock | accel.FieldMemClock | accel.FieldTemp | accel.FieldThrottle,
			}
			if k%4 == 3 {
				want.ThrottleReasons = nvml.ClocksEventReasonSwPowerCap
			}
			if smp != want {
				t.Fatalf("series %d sample %d:\n got %+v\nwant %+v", i, k, smp, want)
			}
			if k > 0 && smp.At <= sr.Samples[k-1].At {
				t.Fatalf("series %d: sample %d at %v, not after %v", i, k, smp.At, sr.Samples[k-1].At)
			}
		}
	}
}

// waitReads waits until the script has served n power readings.
func waitReads(t *testing.T, sc *script, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for sc.n("power") < n {
		if time.Now().After(deadline) {
			t.Fatalf("sampler made %d readings in 10s, want %d", sc.n("power"), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGPULostMidRun has GPU 1 fall off the bus at its sixth reading: its series
// ends there with ErrGPULost, GPU 0 goes on to the end of the run, and the lost
// GPU is not asked again.
func TestGPULostMidRun(t *testing.T) {
	t.Parallel()
	srv := withBoard(dgxh100.New(), h100)
	lib := openLib(t, srv)
	g0, _ := lib.GPU("0")
	g1, _ := lib.GPU("1")
	ok, lost := &script{}, &script{lostAt: 5}
	ok.install(srv.Devices[0].(*server.Device))
	lost.install(srv.Devices[1].(*server.Device))
	s, err := NewSampler(time.Millisecond, 0, Source{"nvml:0", g0}, Source{"nvml:1", g1})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	waitReads(t, ok, 20)
	series := s.Stop()
	if series[0].Ended != nil || len(series[0].Samples) < 21 {
		t.Errorf("healthy GPU: ended %v after %d samples", series[0].Ended, len(series[0].Samples))
	}
	got := series[1]
	if !errors.Is(got.Ended, ErrGPULost) || !strings.Contains(got.Ended.Error(), "nvml:1") || !strings.Contains(got.Ended.Error(), "ERROR_GPU_IS_LOST") {
		t.Errorf("lost GPU: ended %v", got.Ended)
	}
	if len(got.Samples) != 5 || got.Samples[4].PowerW != 304 {
		t.Errorf("lost GPU kept %d samples (%+v), want its 5 good ones", len(got.Samples), got.Samples)
	}
	if n := lost.n("power"); n != 6 {
		t.Errorf("lost GPU asked for power %d times, want 6 (5 good, 1 lost, then never again)", n)
	}
}

// TestNotSupportedAskedOnce: a reading NVML does not support is asked for once
// per run, not at every tick, and the rest of the sample is still read.
func TestNotSupportedAskedOnce(t *testing.T) {
	t.Parallel()
	srv := withBoard(dgxa100.New(), a100)
	lib := openLib(t, srv)
	g, _ := lib.GPU("0")
	sc := &script{unsupported: map[string]bool{"energy": true, "reasons": true}}
	sc.install(srv.Devices[0].(*server.Device))
	s, _ := NewSampler(time.Millisecond, 0, Source{"nvml:0", g})
	s.Start()
	waitReads(t, sc, 10)
	sr := s.Stop()[0]
	if sc.n("energy") != 1 || sc.n("reasons") != 1 {
		t.Errorf("unsupported readings asked %d and %d times, want once each", sc.n("energy"), sc.n("reasons"))
	}
	if g.Unsupported() != accel.FieldEnergy|accel.FieldThrottle {
		t.Errorf("unsupported %b", g.Unsupported())
	}
	for k, smp := range sr.Samples {
		if smp.Valid&(accel.FieldEnergy|accel.FieldThrottle) != 0 || smp.Valid&accel.FieldPower == 0 || smp.PowerW != 300+float64(k) {
			t.Fatalf("sample %d: %+v", k, smp)
		}
	}
}

// TestOldDriverThrottleReasons: a driver without the clock-event symbol is read
// through the older throttle-reasons call instead of crashing on a missing one.
func TestOldDriverThrottleReasons(t *testing.T) {
	t.Parallel()
	srv := withBoard(dgxh100.New(), h100)
	srv.LookupSymbolFunc = func(string) error { return errors.New("undefined symbol") }
	d := srv.Devices[0].(*server.Device)
	(&script{}).install(d)
	d.GetCurrentClocksEventReasonsFunc = nil // would panic if called
	d.GetCurrentClocksThrottleReasonsFunc = func() (uint64, nvml.Return) {
		return nvml.ClocksThrottleReasonHwThermalSlowdown, nvml.SUCCESS
	}
	lib := openLib(t, srv)
	g, _ := lib.GPU("0")
	var smp accel.Sample
	if err := g.Sample(&smp); err != nil || smp.ThrottleReasons != nvml.ClocksThrottleReasonHwThermalSlowdown {
		t.Errorf("sample %+v, err %v", smp, err)
	}
}

// TestBackendWatchesGPUUnderEndpoint opens `nvml:0` on a mock machine with a
// no-op endpoint: the load goes to the endpoint, Info names the GPU, and the
// backend samples the GPU.
func TestBackendWatchesGPUUnderEndpoint(t *testing.T) {
	t.Parallel()
	srv := withBoard(dgxh100.New(), h100)
	(&script{}).install(srv.Devices[0].(*server.Device))
	var opened string
	op := Opener{
		Endpoint: "noop",
		OpenLib:  func() (*Lib, error) { return OpenWith(srv) },
		OpenEndpoint: func(spec string, o accel.Options) (accel.Backend, error) {
			opened = spec
			if o.Model != "m" || o.Seed != 7 {
				t.Errorf("endpoint opened with %+v: want the run's options", o)
			}
			return noop.Backend{}, nil
		},
	}
	spec, _ := accel.ParseSpec("nvml:0")
	b, err := op.Open(spec, accel.Options{Model: "m", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	info := b.Info()
	if opened != "noop" || info.ID != "nvml:0" || info.Kind != accel.KindNVML || info.Name != "NVIDIA H100 80GB HBM3" ||
		info.Profile != "h100-sxm" || info.PeakTFLOPS16 == 0 || info.TDPWatts != 700 || info.Extra["endpoint"] != "noop" ||
		info.Extra["driver_version"] != "550.54.15" {
		t.Errorf("info %+v", info)
	}
	req, res := &accel.Request{InputTokens: 8, OutputTokens: 4}, &accel.Result{}
	if err := b.Infer(context.Background(), req, res); err != nil {
		t.Errorf("infer: %v", err)
	}
	var smp accel.Sample
	if err := b.(accel.Telemetry).Sample(&smp); err != nil || smp.PowerW != 300 {
		t.Errorf("sample %+v, %v", smp, err)
	}
	// The GPU is the backend's declared sensor: a run samples it unasked.
	sensors := b.(accel.Observer).Sensors()
	if len(sensors) != 1 || sensors[0].Describe() != (accel.SensorInfo{Spec: "nvml:0", Name: "NVIDIA H100 80GB HBM3", UUID: info.Extra["uuid"], Profile: "h100-sxm"}) {
		t.Errorf("sensors %v", sensors)
	} else if err := sensors[0].Sample(&smp); err != nil || smp.Valid&accel.FieldPower == 0 {
		t.Errorf("sensor sample %+v, %v", smp, err)
	}

	for _, tc := range []struct {
		spec     string
		endpoint string
		want     string
	}{
		{"nvml:0", "", "--endpoint"},
		{"nvml:9", "noop", "no such GPU"},
		{"nvml:", "noop", "no device"},
		{"nvml:0", "nvml:1", "itself an nvml spec"},
	} {
		sp, _ := accel.ParseSpec(tc.spec)
		o := op
		o.Endpoint = tc.endpoint
		_, err := o.Open(sp, accel.Options{Model: "m", Seed: 7})
		if !errors.Is(err, accel.ErrBadSpec) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s --endpoint %q: %v, want a spec error with %q", tc.spec, tc.endpoint, err, tc.want)
		}
	}
	noDriver := Opener{
		Endpoint:     "noop",
		OpenLib:      func() (*Lib, error) { return nil, &UnavailableError{Reason: "libnvidia-ml.so.1 not found"} },
		OpenEndpoint: op.OpenEndpoint,
	}
	if _, err := noDriver.Open(spec, accel.Options{Model: "m", Seed: 7}); !errors.Is(err, accel.ErrBadSpec) || !strings.Contains(err.Error(), "libnvidia-ml.so.1") {
		t.Errorf("no driver: %v", err)
	}
}

// quietDevice is a mock H100 whose telemetry calls answer without go-nvml's
// mock bookkeeping: the generated mocks append every call to a slice, which
// allocates, so counting allocations through them would count the mock's.
// Discovery still goes through the mock machine.
type quietDevice struct {
	*server.Device
	i uint32
}

func (d *quietDevice) GetPowerUsage() (uint32, nvml.Return) { d.i++; return 300000 + d.i, nvml.SUCCESS }
func (d *quietDevice) GetTotalEnergyConsumption() (uint64, nvml.Return) {
	return 1_000_000 + uint64(d.i)*30, nvml.SUCCESS
}
func (d *quietDevice) GetUtilizationRates() (nvml.Utilization, nvml.Return) {
	return nvml.Utilization{Gpu: 90, Memory: 40}, nvml.SUCCESS
}
func (d *quietDevice) GetMemoryInfo() (nvml.Memory, nvml.Return) {
	return nvml.Memory{Total: 80 << 30, Used: 60 << 30}, nvml.SUCCESS
}
func (d *quietDevice) GetClockInfo(nvml.ClockType) (uint32, nvml.Return) { return 1980, nvml.SUCCESS }
func (d *quietDevice) GetTemperature(nvml.TemperatureSensors) (uint32, nvml.Return) {
	return 61, nvml.SUCCESS
}
func (d *quietDevice) GetCurrentClocksEventReasons() (uint64, nvml.Return) { return 4, nvml.SUCCESS }

// TestSampleAllocatesNothing counts allocations per sampler tick over two GPUs
// of a mock H100 machine, with a buffer small enough that thinning happens
// during the count.
func TestSampleAllocatesNothing(t *testing.T) {
	srv := withBoard(dgxh100.New(), h100)
	for i := range srv.Devices[:2] {
		srv.Devices[i] = &quietDevice{Device: srv.Devices[i].(*server.Device)}
	}
	lib := openLib(t, srv)
	g0, _ := lib.GPU("0")
	g1, _ := lib.GPU("1")
	s, err := NewSampler(time.Hour, 64, Source{"nvml:0", g0}, Source{"nvml:1", g1})
	if err != nil {
		t.Fatal(err)
	}
	s.start = time.Now()
	for i := range s.series {
		s.series[i].stride = 1
	}
	if allocs := testing.AllocsPerRun(1000, func() { s.tick(false) }); allocs != 0 {
		t.Errorf("%v allocations per tick, want 0", allocs)
	}
	sr := &s.series[0]
	// 1001 readings into 64 slots: every 16th is kept, 0 to 992.
	if sr.reads != 1001 || sr.stride != 16 || sr.n != 63 || sr.buf[sr.n-1].PowerW != 300+float64(993)/1000 {
		t.Errorf("after 1001 ticks: %d reads, stride %d, %d kept", sr.reads, sr.stride, sr.n)
	}
}

// BenchmarkSample measures one GPU reading through the sampler's path on a
// mock device (NVML's own cost on real hardware is a few µs per call on top).
func BenchmarkSample(b *testing.B) {
	srv := withBoard(dgxh100.New(), h100)
	srv.Devices[0] = &quietDevice{Device: srv.Devices[0].(*server.Device)}
	lib := openLib(b, srv)
	g, _ := lib.GPU("0")
	var smp accel.Sample
	b.ReportAllocs()
	for b.Loop() {
		smp = accel.Sample{}
		if err := g.Sample(&smp); err != nil {
			b.Fatal(err)
		}
	}
}

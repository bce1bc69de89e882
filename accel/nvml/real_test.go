//go:build linux && cgo

package nvml

import (
	"testing"

	"github.com/inferbench/inferbench/accel"
)

// These tests read the machine's real GPUs and skip where there are none (CI,
// this repository's build machine). scripts/gpu-check.sh runs them on a GPU
// machine from a test binary built here.

func openReal(tb testing.TB) *Lib {
	tb.Helper()
	lib, err := Open()
	if err != nil {
		tb.Skipf("no GPU to read: %v", err)
	}
	tb.Cleanup(func() { lib.Close() })
	return lib
}

func TestRealGPUs(t *testing.T) {
	lib := openReal(t)
	sys := lib.System()
	if sys.DriverVersion == "" || sys.CUDADriverVersion == "" {
		t.Errorf("system %+v", sys)
	}
	devs, err := lib.Devices()
	if err != nil || len(devs) == 0 {
		t.Fatalf("devices %v, %v", devs, err)
	}
	for _, d := range devs {
		t.Logf("%s: %+v", d.Spec(), d)
		if d.Name == "" || d.UUID == "" || d.MemoryBytes == 0 || d.ComputeCapability == "" {
			t.Errorf("%s: missing identity: %+v", d.Spec(), d)
		}
		g, err := lib.GPU(d.UUID)
		if err != nil || g.Device().Index != d.Index {
			t.Fatalf("GPU(%s): %v", d.UUID, err)
		}
		var s accel.Sample
		if err := g.Sample(&s); err != nil {
			t.Fatalf("%s: sample: %v", d.Spec(), err)
		}
		t.Logf("%s: sample %+v, unsupported %b", d.Spec(), s, g.Unsupported())
		if s.Valid&accel.FieldPower == 0 || s.PowerW <= 0 || s.Valid&accel.FieldMemUsed == 0 {
			t.Errorf("%s: no power or memory reading: %+v", d.Spec(), s)
		}
	}
}

// TestRealSampleAllocs measures allocations per reading of a real GPU.
// go-nvml's cgo bindings move each call's out-parameter to the heap (go build
// -gcflags=-m: "moved to heap: power"), so a reading costs at most one small
// allocation per NVML call, eight in all; the sampler's own path adds none
// (TestSampleAllocatesNothing).
func TestRealSampleAllocs(t *testing.T) {
	lib := openReal(t)
	g, err := lib.GPU("0")
	if err != nil {
		t.Fatal(err)
	}
	var s accel.Sample
	allocs := testing.AllocsPerRun(200, func() {
		s = accel.Sample{}
		if err := g.Sample(&s); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%s (%s): %v allocations per reading", g.Device().Spec(), g.Device().Name, allocs)
	if allocs > 8 {
		t.Errorf("%v allocations per reading, want at most 8 (one per NVML call)", allocs)
	}
}

// BenchmarkRealSample is the cost of one full reading of GPU 0.
func BenchmarkRealSample(b *testing.B) {
	lib := openReal(b)
	g, err := lib.GPU("0")
	if err != nil {
		b.Fatal(err)
	}
	var s accel.Sample
	b.ReportAllocs()
	for b.Loop() {
		s = accel.Sample{}
		if err := g.Sample(&s); err != nil {
			b.Fatal(err)
		}
	}
}

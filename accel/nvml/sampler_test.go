package nvml

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// counter is a source whose reading k has PowerW k; it fails from failAt on.
type counter struct {
	k      int
	failAt int
	calls  atomic.Int64 // Sample calls, read by tests while the sampler runs
}

func (c *counter) Sample(s *accel.Sample) error {
	c.calls.Add(1)
	if c.failAt > 0 && c.k >= c.failAt {
		return ErrGPULost
	}
	s.PowerW = float64(c.k)
	s.Valid = accel.FieldPower
	c.k++
	return nil
}

func TestNewSamplerRejects(t *testing.T) {
	t.Parallel()
	src := Source{"x", &counter{}}
	tests := []struct {
		interval time.Duration
		capacity int
		sources  []Source
		want     string
	}{
		{0, 0, []Source{src}, "interval 0s"},
		{-time.Second, 0, []Source{src}, "want a positive duration"},
		{time.Second, 1, []Source{src}, "capacity 1"},
		{time.Second, 0, nil, "no sources"},
		{time.Second, 0, []Source{{"nil", nil}}, `"nil"`},
	}
	for _, tc := range tests {
		if _, err := NewSampler(tc.interval, tc.capacity, tc.sources...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSampler(%v, %d, %d sources): %v, want %q", tc.interval, tc.capacity, len(tc.sources), err, tc.want)
		}
	}
}

// TestThinningKeepsTheWholeRun drives ticks by hand: 100 readings into 16
// slots keep every 8th reading from the first, plus the last.
func TestThinningKeepsTheWholeRun(t *testing.T) {
	t.Parallel()
	c := &counter{}
	s, err := NewSampler(time.Hour, 16, Source{"c", c})
	if err != nil {
		t.Fatal(err)
	}
	s.start = time.Now()
	s.series[0].stride = 1
	for range 99 {
		s.tick(false)
	}
	s.tick(true)
	sr := s.series[0]
	if sr.stride != 8 || sr.reads != 100 {
		t.Fatalf("stride %d, reads %d", sr.stride, sr.reads)
	}
	var got []float64
	for _, smp := range sr.buf[:sr.n] {
		got = append(got, smp.PowerW)
	}
	want := []float64{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 99}
	if len(got) != len(want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kept %v, want %v", got, want)
		}
	}
}

func TestSamplerStartStopReuse(t *testing.T) {
	t.Parallel()
	ok, failing := &counter{}, &counter{failAt: 3}
	s, err := NewSampler(time.Millisecond, 0, Source{"ok", ok}, Source{"bad", failing})
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		// Wait for the reads the test is about, not a fixed time: on a
		// busy machine 10 ms held as few as 3 of the 1 ms ticks.
		// The failing source answers failAt−k more reads, then fails one.
		okFrom, badFrom := ok.calls.Load(), failing.calls.Load()
		badNeed := badFrom + int64(max(failing.failAt-failing.k, 0)) + 1
		s.Start()
		waitFor(t, func() bool { return ok.calls.Load() >= okFrom+2 && failing.calls.Load() >= badNeed })
		series := s.Stop()
		if len(series) != 2 || series[0].Name != "ok" || series[1].Name != "bad" {
			t.Fatalf("run %d: series %+v", run, series)
		}
		if series[0].Ended != nil || len(series[0].Samples) < 2 || series[0].Samples[0].At > time.Second {
			t.Errorf("run %d: healthy series %d samples, ended %v", run, len(series[0].Samples), series[0].Ended)
		}
		bad := series[1]
		wantKept := 3
		if run == 1 {
			wantKept = 0 // it never recovers: still failing from the start
		}
		if !errors.Is(bad.Ended, ErrGPULost) || len(bad.Samples) != wantKept {
			t.Errorf("run %d: failing series kept %d (want %d), ended %v", run, len(bad.Samples), wantKept, bad.Ended)
		}
	}
}

func TestStartStopMisuse(t *testing.T) {
	t.Parallel()
	s, _ := NewSampler(time.Hour, 0, Source{"c", &counter{}})
	mustPanic(t, "Stop before Start", func() { s.Stop() })
	s.Start()
	mustPanic(t, "Start twice", s.Start)
	s.Stop()
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

func BenchmarkTick(b *testing.B) {
	s, _ := NewSampler(time.Hour, 1<<10, Source{"a", &counter{}}, Source{"b", &counter{}})
	s.start = time.Now()
	for i := range s.series {
		s.series[i].stride = 1
	}
	b.ReportAllocs()
	for b.Loop() {
		s.tick(false)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the sampler's reads")
		}
	}
}

//go:build unix

package sleep

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWait compares ways to wait 1 ms: the CPU each costs (cpu-µs/op,
// user+system time of the process) and how late each ends (late-µs/op).
func BenchmarkWait(b *testing.B) {
	for _, bc := range []struct {
		name string
		wait func(due time.Time)
	}{
		{"time.Sleep", func(due time.Time) { time.Sleep(time.Until(due)) }},
		{"yield", func(due time.Time) {
			for time.Now().Before(due) {
				runtime.Gosched()
			}
		}},
		{"Sleeper", func() func(time.Time) {
			s := New(NewTimers(1))
			return func(due time.Time) { s.Until(context.Background(), due) }
		}()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var late time.Duration
			cpu0 := cpuTime()
			for b.Loop() {
				due := time.Now().Add(time.Millisecond)
				bc.wait(due)
				late += time.Since(due)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(late)/float64(time.Microsecond)/float64(b.N), "late-µs/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

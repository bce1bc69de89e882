package bench

import (
	"context"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel"
)

// Benchmark drives backend through c's scenario inside a Go benchmark: the
// plan is b.N requests (so `-benchtime 1000x` is a 1000-request run), and
// the run's figures are reported with b.ReportMetric in benchstat's format:
// latency percentiles as p50-ns/op, p99-ns/op, ttft-p50-ns/op and
// ttft-p99-ns/op, throughput as req/s and tok/s, energy as J/tok where the
// backend accounts it. ns/op itself is the harness's wall-clock time per
// request (for virtual-time backends, the simulator's cost). It fails the
// benchmark on a configuration error (b.Fatal), and on a run that failed or
// is invalid (b.Error, with the reasons, after reporting its figures: a
// number from such a run must not pass for a measurement), and returns the
// result for more checks.
//
// Closed loops keep their concurrency at any b.N: the first rounds of a
// benchmark are a handful of requests, and the workers share them.
//
//	func BenchmarkH100(b *testing.B) {
//		backend, _ := sim.New("h100-sxm", 0, "llama-3.1-8b", "", false)
//		bench.Benchmark(b, backend, bench.Config{Scenario: bench.Closed, Concurrency: 8, ...})
//	}
func Benchmark(b *testing.B, backend accel.Backend, c Config) *Result {
	b.Helper()
	c.Requests = int64(b.N)
	c.Duration = 0
	b.ResetTimer()
	res, err := Run(context.Background(), backend, c)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	ReportMetrics(b, res)
	Check(b, res)
	return res
}

// Check fails t when res failed (the backend did not answer) or is invalid
// (the harness did not measure it), with the reasons; it reports nothing on
// a run that is neither.
func Check(t testing.TB, res *Result) {
	t.Helper()
	if res.Failed {
		t.Errorf("run failed: %s", res.FailReason)
	}
	if !res.Valid {
		t.Errorf("run invalid (%s): %s", res.ValidityRule, strings.Join(res.InvalidReasons, "; "))
	}
}

// ReportMetrics reports a result's percentiles, throughput and energy on b.
func ReportMetrics(b *testing.B, res *Result) {
	b.Helper()
	if res.Latency.TotalCount() > 0 {
		b.ReportMetric(float64(res.Latency.ValueAtQuantile(50)), "p50-ns/op")
		b.ReportMetric(float64(res.Latency.ValueAtQuantile(99)), "p99-ns/op")
	}
	if res.TTFT.TotalCount() > 0 {
		b.ReportMetric(float64(res.TTFT.ValueAtQuantile(50)), "ttft-p50-ns/op")
		b.ReportMetric(float64(res.TTFT.ValueAtQuantile(99)), "ttft-p99-ns/op")
	}
	b.ReportMetric(res.RequestsPerSecond(), "req/s")
	b.ReportMetric(res.OutputTokensPerSecond(), "tok/s")
	if res.HasEnergy && res.OutputTokens > 0 {
		b.ReportMetric(res.Energy.Joules/float64(res.OutputTokens), "J/tok")
	}
	if res.Errors > 0 {
		b.ReportMetric(float64(res.Errors)/float64(max(res.Requests, 1)), "errors/op")
	}
}

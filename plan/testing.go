package plan

import (
	"context"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
)

// Benchmark executes p inside a Go benchmark, as `inferbench run` would: the
// plan is b.N requests (so `-benchtime 1000x` is a 1000-request run) on p's
// one backend, checked, priced and judged as run does it. The run's figures
// are reported with b.ReportMetric in benchstat's units (p50-ns/op,
// p99-ns/op, ttft-p50-ns/op, ttft-p99-ns/op, req/s, tok/s, and J/tok and
// USD/Mtok where the run has them). A bad plan is b.Fatal; a run that failed
// or is invalid is b.Error with the reasons, after its figures are reported:
// a number from such a run must not pass for a measurement. It returns the
// report for more checks.
//
// bench.Benchmark is the same for a backend already opened and a
// bench.Config; this is the way to benchmark what the command line runs.
func Benchmark(b *testing.B, p Plan) *report.Report {
	b.Helper()
	if len(p.Backends) != 1 {
		b.Fatalf("plan.Benchmark: %d backends: want one (b.Run a sub-benchmark per backend)", len(p.Backends))
	}
	p.Requests, p.Duration = int64(b.N), 0
	b.ResetTimer()
	rep, err := Execute(context.Background(), p, Options{})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if len(rep.Runs) == 0 {
		b.Fatal("plan.Benchmark: the run was interrupted before it began")
	}
	ReportMetrics(b, &rep.Runs[0])
	var why strings.Builder
	if err := Judge(&why, rep, p.Judgement); err != nil {
		b.Errorf("%v\n%s", err, why.String())
	}
	return rep
}

// ReportMetrics reports a report run's figures on b (see Benchmark).
func ReportMetrics(b *testing.B, r *report.Run) {
	b.Helper()
	const ns = 1e6 // per ms: report latencies are in milliseconds
	if r.Latency.Count > 0 {
		b.ReportMetric(r.Latency.P50*ns, "p50-ns/op")
		b.ReportMetric(r.Latency.P99*ns, "p99-ns/op")
	}
	if r.TTFT.Count > 0 {
		b.ReportMetric(r.TTFT.P50*ns, "ttft-p50-ns/op")
		b.ReportMetric(r.TTFT.P99*ns, "ttft-p99-ns/op")
	}
	b.ReportMetric(r.Throughput.RequestsPerS, "req/s")
	b.ReportMetric(r.Throughput.OutputTokensPerS, "tok/s")
	if r.Energy != nil && r.Energy.JoulesPerOutputToken > 0 {
		b.ReportMetric(r.Energy.JoulesPerOutputToken, "J/tok")
	}
	if r.Cost != nil && r.Cost.USDPerMillionOutputTokens > 0 {
		b.ReportMetric(r.Cost.USDPerMillionOutputTokens, "USD/Mtok")
	}
	if r.Counts.Errors > 0 {
		b.ReportMetric(float64(r.Counts.Errors)/float64(max(r.Counts.Requests, 1)), "errors/op")
	}
}

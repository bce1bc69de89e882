package bench_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/bench"
)

// A benchmark of an inference backend is a Go benchmark: bench.Benchmark
// runs b.N requests through the scenario, reports the latency percentiles,
// throughput and energy as benchmark metrics, and fails the benchmark on a
// run that failed or is invalid. In a _test.go file,
//
//	func BenchmarkEndpoint(b *testing.B) {
//		backend := ... // remote.New, sim.New, oracle.New: any accel.Backend
//		bench.Benchmark(b, backend, bench.Config{Scenario: bench.Closed, Concurrency: 4, ...})
//	}
//
// and then
//
//	go test -bench Endpoint -count 6 > new.txt
//	benchstat old.txt new.txt
//
// Here testing.Benchmark runs that function against an oracle whose answer
// is known: 20 ms to the first token and 5 ms per token after it, so a
// request of 3 output tokens takes 30 ms, and 4 of them at a time serve
// 4 / 30 ms = 133 requests per second (Little's law). The oracle serves in
// virtual time, so b.N requests take no sleeping and the figures are exact.
func ExampleBenchmark() {
	backend, err := oracle.New(oracle.Config{TTFT: 20 * time.Millisecond, TPOT: 5 * time.Millisecond, Slots: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	var requests int64
	r := testing.Benchmark(func(b *testing.B) {
		res := bench.Benchmark(b, backend, bench.Config{
			Scenario: bench.Closed, Concurrency: 4, Seed: 1, Model: "llama-3.1-8b", Lengths: bench.Fixed(1, 128, 3),
		})
		requests = res.Requests
	})
	fmt.Println("requests = b.N:", requests == int64(r.N))
	fmt.Println("latency p50:", time.Duration(r.Extra["p50-ns/op"]).Round(time.Millisecond))
	fmt.Println("TTFT p50:", time.Duration(r.Extra["ttft-p50-ns/op"]).Round(time.Millisecond))
	fmt.Printf("throughput: %.0f req/s\n", r.Extra["req/s"])
	// Output:
	// requests = b.N: true
	// latency p50: 30ms
	// TTFT p50: 20ms
	// throughput: 133 req/s
}

// Run drives a backend through one scenario and returns what it measured.
// An open loop at 50 requests per second against an oracle that takes
// 10 ms a request: below saturation, latency is the service time, and the
// run serves what it was offered.
func ExampleRun() {
	backend, err := oracle.New(oracle.Config{TTFT: 10 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := bench.Run(context.Background(), backend, bench.Config{
		Scenario: bench.Poisson, Rate: 50, Requests: 500, Seed: 1, Lengths: bench.Fixed(1, 128, 1),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("virtual:", res.Virtual, "valid:", res.Valid, "failed:", res.Failed)
	fmt.Println("completed:", res.Completed, "errors:", res.Errors)
	fmt.Println("latency p99:", time.Duration(res.Latency.ValueAtQuantile(99)).Round(time.Millisecond))
	// Output:
	// virtual: true valid: true failed: false
	// completed: 500 errors: 0
	// latency p99: 10ms
}

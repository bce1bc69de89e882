package reporttest_test

import (
	"fmt"

	"github.com/inferbench/inferbench/internal/reporttest"
)

// A synthetic run: its histograms hold the spec's samples, so a test knows
// the figures a reader of the report must find.
func ExampleRun() {
	run := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 1000, MedianMS: 100, Seed: 1})
	fmt.Println(run.Backend.ID, run.Scenario.Name, run.Counts.Completed, run.Status())
	fmt.Printf("throughput %.2f req/s, latency p50 within 10%% of 100 ms: %v\n",
		run.Throughput.RequestsPerS, run.Latency.P50 > 90 && run.Latency.P50 < 110)
	// Output:
	// sim:h100-sxm closed 1000 ok
	// throughput 16.67 req/s, latency p50 within 10% of 100 ms: true
}

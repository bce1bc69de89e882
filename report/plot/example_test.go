package plot_test

import (
	"fmt"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report/plot"
)

// Compute works out what the plots show, one panel each, before anything
// is drawn; Data.Render draws them as PNG or SVG.
func ExampleCompute() {
	runs := reporttest.Report(
		reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 500, MedianMS: 100, Seed: 1, Rate: 2}),
		reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 1000, MedianMS: 150, Seed: 2, Rate: 4}),
	)
	d, err := plot.Compute([]plot.Input{{Name: "sweep.json", Report: runs}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range d.Panels {
		fmt.Printf("%s: %d series\n", p.Title, len(p.Series))
	}
	// Output:
	// Latency distribution: chat (llama-3.1-8b), 2 loads: 2 series
	// Throughput vs interactivity frontier: chat (llama-3.1-8b), 2 loads (up and right is better): 1 series
	// Latency p99 vs throughput across loads: chat (llama-3.1-8b), 2 loads: 1 series
	// TTFT p99 vs throughput across loads: chat (llama-3.1-8b), 2 loads: 1 series
	// TPOT p99 vs throughput across loads: chat (llama-3.1-8b), 2 loads: 1 series
}

package compare_test

import (
	"fmt"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report/compare"
)

// A comparison of a report with one whose latencies are twice as long, on
// the same hardware: every latency row is a significant change for the
// worse beyond the 5% threshold, so each is a regression (the CLI exits 3).
func ExampleCompare() {
	spec := reporttest.Spec{Backend: "sim:h100-sxm", N: 2000, MedianMS: 100, Seed: 1, Rate: 5}
	base := reporttest.Report(reporttest.Run(spec))
	spec.MedianMS, spec.Seed = 200, 2
	slow := reporttest.Report(reporttest.Run(spec))
	res, err := compare.Compare(compare.Input{Name: "base.json", Report: base},
		[]compare.Input{{Name: "new.json", Report: slow}}, compare.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Regressions() {
		fmt.Println(r)
	}
	// Output:
	// sim:h100-sxm latency p50 +99.1%
	// sim:h100-sxm latency p90 +99.7%
	// sim:h100-sxm latency p99 +128.7%
	// sim:h100-sxm TTFT p50 +99.2%
	// sim:h100-sxm TTFT p99 +128.8%
	// sim:h100-sxm TPOT p50 +99.2%
	// sim:h100-sxm TPOT p99 +128.7%
}

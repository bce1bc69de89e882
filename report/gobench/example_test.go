package gobench_test

import (
	"fmt"
	"os"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report/gobench"
)

// A run's benchmark name says what it measured, not on what: reports from
// two machines line up in benchstat.
func ExampleName() {
	run := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 10, MedianMS: 100, Rate: 5})
	fmt.Println(gobench.Name(&run, false))
	fmt.Println(gobench.Name(&run, true))
	// Output:
	// Inference/model=llama-3.1-8b/workload=chat/precision=bf16/scenario=poisson/rate=5
	// Inference/backend=sim:h100-sxm/model=llama-3.1-8b/workload=chat/precision=bf16/scenario=poisson/rate=5
}

// Write gives benchstat one line per run, its units declared above.
func ExampleWrite() {
	run := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 1000, MedianMS: 100, Seed: 1, Rate: 5})
	run.Backend.Info.Name = "NVIDIA H100 SXM5 80GB"
	if err := gobench.Write(os.Stdout, reporttest.Report(run)); err != nil {
		fmt.Println(err)
	}
	// Output:
	// # inferbench report inferbench.report/v1, created 2026-01-02T03:04:05Z by inferbench test
	// # one line per run; repetitions share a name (see 'go doc github.com/inferbench/inferbench/report/gobench')
	// Unit req/s better=higher
	// Unit tok/s better=higher
	// Unit p50-sec better=lower
	// Unit p90-sec better=lower
	// Unit p99-sec better=lower
	// Unit ttft-p50-sec better=lower
	// Unit ttft-p99-sec better=lower
	// Unit tpot-p50-sec better=lower
	// Unit tpot-p99-sec better=lower
	// Unit J/tok better=lower
	// Unit USD/Mtok better=lower
	//
	// # Inference/model=llama-3.1-8b/workload=chat/precision=bf16/scenario=poisson/rate=5: sim:h100-sxm (NVIDIA H100 SXM5 80GB, 1 chip(s), bf16)
	// # 1 run(s) of this configuration: benchstat needs 4 or more a side to find a difference
	// BenchmarkInference/model=llama-3.1-8b/workload=chat/precision=bf16/scenario=poisson/rate=5 1000 16.6667 req/s 3333.33 tok/s 0.0980419 p50-sec 0.183239 p90-sec 0.325321 p99-sec 0.00980582 ttft-p50-sec 0.0325386 ttft-p99-sec 0.000980479 tpot-p50-sec 0.00325427 tpot-p99-sec
}

package plan_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/plan"
)

// Execute runs a plan into a report. The oracle backend's answers are known
// in advance: 11 output tokens take 20 ms + 10 × 1 ms = 30 ms, so 30
// requests four at a time take 8 waves, 240 ms, in virtual time: 125 req/s.
func ExampleExecute() {
	out := 11
	p := plan.Plan{
		Backends: []string{"oracle?ttft=20ms&tpot=1ms"},
		Work:     plan.Work{InputTokens: 10, OutputTokens: &out},
		Load:     plan.Load{Concurrency: 4},
		Limits:   plan.Limits{Requests: 30},
	}
	rep, err := plan.Execute(context.Background(), p, plan.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := rep.Runs[0]
	fmt.Printf("%s: %d completed, %.0f req/s, latency p99 %.0f ms\n", r.Backend.ID, r.Counts.Completed, r.Throughput.RequestsPerS, r.Latency.P99)
	fmt.Println("verdict:", plan.Judge(os.Stdout, rep, p.Judgement))
	// Output:
	// oracle?ttft=20ms&tpot=1ms: 30 completed, 125 req/s, latency p99 30 ms
	// verdict: <nil>
}

// A plan in JSON has the run flags' names as keys; Args gives it back as the
// command line that runs it.
func ExamplePlan_Decode() {
	var p plan.Plan
	err := p.Decode([]byte(`{"backends": ["sim:h100-sxm"], "scenario": "sweep", "rates": "1,2,4", "duration": "30s", "slo": ["ttft-p99=2s"]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Rates, p.Duration)
	fmt.Println(strings.Join(p.Args(), " "))
	fmt.Println(p.Validate())
	// Output:
	// [1 2 4] 30s
	// --backend=sim:h100-sxm --scenario=sweep --rates=1,2,4 --duration=30s --slo=ttft-p99=2s
	// <nil>
}

// A plan's fields that its scenario would ignore are refused, naming the
// flag: a rate given to a closed loop used to vanish.
func ExamplePlan_Validate() {
	p := plan.Plan{Load: plan.Load{Scenario: "closed", Rate: 5}}
	fmt.Println(p.Validate())
	// Output:
	// --rate does not apply to --scenario closed, which keeps --concurrency requests in flight, each sent when one completes; a rate is for --scenario constant, poisson, gamma or max-rate
}

// Benchmark executes a plan inside `go test -bench`: b.N requests, its
// figures reported in benchstat's units. Here through testing.Benchmark, as
// `go test -bench` calls it: 30 ms requests, four in flight.
func ExampleBenchmark() {
	out := 3
	r := testing.Benchmark(func(b *testing.B) {
		plan.Benchmark(b, plan.Plan{
			Backends: []string{"oracle?ttft=20ms&tpot=5ms"},
			Work:     plan.Work{InputTokens: 128, OutputTokens: &out},
			Load:     plan.Load{Concurrency: 4},
		})
	})
	fmt.Println("latency p50:", time.Duration(r.Extra["p50-ns/op"]).Round(time.Millisecond))
	fmt.Println("TTFT p50:", time.Duration(r.Extra["ttft-p50-ns/op"]).Round(time.Millisecond))
	fmt.Printf("throughput: %.0f req/s\n", r.Extra["req/s"])
	// Output:
	// latency p50: 30ms
	// TTFT p50: 20ms
	// throughput: 133 req/s
}

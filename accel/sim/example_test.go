package sim_test

import (
	"context"
	"fmt"

	"github.com/inferbench/inferbench/accel/sim"
)

// Predict sizes one configuration without a load generator. One request at
// a time on an H100 reads the 8B model's weights for every token it decodes:
// the decode is memory-bound, the prompt's prefill compute-bound.
func ExamplePredict() {
	p, err := sim.Predict(context.Background(), sim.Scenario{
		Profile: "h100-sxm", Model: "llama-3.1-8b", Batch: 1, InputTokens: 2048, OutputTokens: 256,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Mode, p.Chips, "chip(s),", p.Precision)
	fmt.Println("prefill:", p.Bound["prefill"], "decode:", p.Bound["decode"])
	fmt.Println("first token before the last:", p.TTFTms < p.E2Ems, "per token under 20 ms:", p.TPOTms < 20)
	// Output:
	// latency 1 chip(s), bf16
	// prefill: compute decode: memory
	// first token before the last: true per token under 20 ms: true
}

package noop_test

import (
	"context"
	"fmt"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
)

// The noop backend answers at once with the output length asked for: what
// a run against it measures is the harness.
func ExampleBackend() {
	var b accel.Backend = noop.Backend{}
	req := accel.Request{InputTokens: 128, OutputTokens: 64}
	var res accel.Result
	err := b.Infer(context.Background(), &req, &res)
	fmt.Println(b.Info().ID, b.Info().Kind, res.OutputTokens, err)
	// Output:
	// noop noop 64 <nil>
}

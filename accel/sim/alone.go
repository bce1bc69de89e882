package sim

import (
	"context"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Alone predicts one request of in prompt and out output tokens alone on
// the configuration s names (its batch, requests and token counts are
// ignored): its time to first token, and its time per output token when it
// makes more than one (one token has none). A request that can never fit the
// KV cache is an accel.ClassRejected error. It is the timing a server that
// serves each request as if alone (server.Paced) asks for.
func Alone(ctx context.Context, s Scenario, in, out int) (ttft, tpot time.Duration, err error) {
	s.Batch, s.Requests, s.InputTokens, s.OutputTokens = 1, 0, in, out
	p, err := Predict(ctx, s)
	if err != nil {
		return 0, 0, err
	}
	if p.Rejected > 0 {
		return 0, 0, accel.Errorf(accel.ClassRejected, "%d prompt + %d output tokens do not fit the KV cache (%.0f tokens)", in, out, p.KVCapacityTokens)
	}
	if out > 1 && p.TPOTms > 0 {
		tpot = time.Duration(p.TPOTms * 1e6)
	}
	return time.Duration(p.TTFTms * 1e6), tpot, nil
}

package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/sim"
)

// Alone is Predict's batch of one: the same TTFT and TPOT, no TPOT for one
// token, and a request too long for the cache is rejected, not timed.
func TestAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h100 := sim.Scenario{Profile: "h100-sxm", Model: "llama-3.1-8b", Batch: 64, Requests: 9, InputTokens: 1, OutputTokens: 1}
	for _, tt := range []struct {
		name    string
		s       sim.Scenario
		in, out int
		tpot    bool
		class   accel.ErrClass
	}{
		{"decoder", h100, 512, 128, true, ""},
		{"one token", h100, 512, 1, false, ""},
		{"encoder", sim.Scenario{Profile: "inf2", Model: "bert-base"}, 128, 0, false, ""},
		{"too long", sim.Scenario{Profile: "l4", Model: "llama-3.1-70b", Precision: "w4a16"}, 100000, 100000, false, accel.ClassRejected},
		{"bad profile", sim.Scenario{Profile: "h999", Model: "llama-3.1-8b"}, 1, 1, false, "any"},
	} {
		ttft, tpot, err := sim.Alone(ctx, tt.s, tt.in, tt.out)
		if tt.class != "" {
			if err == nil || tt.class != "any" && accel.ClassOf(err) != tt.class {
				t.Errorf("%s: err %v, want class %s", tt.name, err, tt.class)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		s := tt.s
		s.Batch, s.Requests, s.InputTokens, s.OutputTokens = 1, 0, tt.in, tt.out
		p, err := sim.Predict(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if ttft != time.Duration(p.TTFTms*1e6) || ttft <= 0 || (tpot > 0) != tt.tpot || tt.tpot && tpot != time.Duration(p.TPOTms*1e6) {
			t.Errorf("%s: ttft %v tpot %v; Predict %v ms, %v ms", tt.name, ttft, tpot, p.TTFTms, p.TPOTms)
		}
	}
}

package sim_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/sim"
)

// FitModel zeroes an encoder's output unless asked for some, wants a token
// from a decoder, and keeps a request within the model's context.
func TestFitModel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		s       sim.Scenario
		given   bool
		wantOut int
		wantErr string
	}{
		{"decoder", sim.Scenario{Model: "llama-2-7b", InputTokens: 512, OutputTokens: 128}, true, 128, ""},
		{"whole context", sim.Scenario{Model: "llama-2-7b", InputTokens: 128, OutputTokens: 3968}, true, 3968, ""},
		{"encoder, default output", sim.Scenario{Model: "bert-base", InputTokens: 128, OutputTokens: 128}, false, 0, ""},
		{"encoder, output 0", sim.Scenario{Model: "bert-base", InputTokens: 128}, true, 0, ""},
		{"encoder, output asked", sim.Scenario{Model: "bert-base", InputTokens: 128, OutputTokens: 5}, true, 5,
			"--output-tokens 5 does not apply to bert-base: an encoder makes one pass and no tokens (drop the flag)"},
		{"decoder without tokens", sim.Scenario{Model: "llama-2-7b", InputTokens: 128}, true, 0,
			"--output-tokens 0: llama-2-7b is a decoder and makes at least 1 token (0 is for encoders such as bert-base)"},
		{"over the context", sim.Scenario{Model: "llama-2-7b", InputTokens: 4000, OutputTokens: 128}, true, 128,
			"--input-tokens 4000 + --output-tokens 128 = 4128 tokens: llama-2-7b takes at most 4096 (its context, prompt and completion together)"},
		{"unknown model", sim.Scenario{Model: "llama-9", InputTokens: 1, OutputTokens: 1}, true, 1, "llama-2-7b"},
	} {
		s := tt.s
		err := s.FitModel(tt.given)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.wantErr)
		}
		if s.OutputTokens != tt.wantOut {
			t.Errorf("%s: output tokens %d, want %d", tt.name, s.OutputTokens, tt.wantOut)
		}
	}
}

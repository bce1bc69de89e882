package remote_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
)

// finishChunk is a finishing chunk with the given finish_reason.
func finishChunk(reason string) string {
	return `data: {"choices":[{"index":0,"delta":{},"finish_reason":"` + reason + `"}]}` + "\n\n"
}

// usageOf is a usage-only chunk.
func usageOf(prompt, completion string) string {
	return `data: {"choices":[],"usage":{"prompt_tokens":` + prompt + `,"completion_tokens":` + completion + `}}` + "\n\n"
}

// Known answers: what the server says it served (usage.prompt_tokens), why
// it stopped (finish_reason, mapped to the accel constants) and whether the
// tokens were timed one by one, from canned streams and a whole response.
func TestServedTokensAndFinish(t *testing.T) {
	t.Parallel()
	tokens := func(n int) []string { return strings.Split(strings.Repeat(tokChunk, n), "\n\n")[:n] }
	events := func(parts ...any) []string {
		var out []string
		for _, p := range parts {
			switch p := p.(type) {
			case string:
				out = append(out, p)
			case []string:
				for _, e := range p {
					out = append(out, e+"\n\n")
				}
			}
		}
		return out
	}
	whole := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"a b c"},"finish_reason":"stop"}],"usage":{"prompt_tokens":37,"completion_tokens":3,"total_tokens":40}}`)
	}
	tests := []struct {
		name     string
		h        http.HandlerFunc
		stream   bool
		in, out  int
		finish   string
		untimed  bool
		gapsWant int
	}{
		{"served prompt differs from the requested", sseHandler(events(roleChunk, tokens(9), finishChunk("length"), usageOf("137", "9"), done)...), true, 137, 9, accel.FinishLength, false, 8},
		{"early stop after 10 of 64", sseHandler(events(roleChunk, tokens(10), finishChunk("stop"), usageOf("64", "10"), done)...), true, 64, 10, accel.FinishStop, false, 9},
		{"TGI eos_token is stop", sseHandler(events(tokens(3), finishChunk("eos_token"), done)...), true, 0, 3, accel.FinishStop, false, 2},
		{"unknown reason is other", sseHandler(events(tokens(2), finishChunk("abort"), done)...), true, 0, 2, accel.FinishOther, false, 1},
		{"no reason, no usage", sseHandler(events(tokens(2), done)...), true, 0, 2, "", false, 1},
		{"usage but no prompt_tokens", sseHandler(events(tokens(2), finishChunk("length"), `data: {"choices":[],"usage":{"completion_tokens":2}}`+"\n\n", done)...), true, 0, 2, accel.FinishLength, false, 1},
		{"all text in one chunk", sseHandler(events(tokChunk, finishChunk("length"), usageOf("4", "5"), done)...), true, 4, 5, accel.FinishLength, true, 0},
		{"usage and no text chunk", sseHandler(events(roleChunk, finishChunk("length"), usageOf("4", "5"), done)...), true, 4, 5, accel.FinishLength, true, 0},
		{"one token in one chunk is timed", sseHandler(events(tokChunk, finishChunk("length"), usageOf("4", "1"), done)...), true, 4, 1, accel.FinishLength, false, 0},
		{"not streamed", whole, false, 37, 3, accel.FinishStop, true, 0},
	}
	for _, tt := range tests {
		for _, tr := range transports {
			t.Run(tt.name+"/"+tr, func(t *testing.T) {
				t.Parallel()
				cfg := remote.Config{Transport: tr}
				if !tt.stream {
					cfg.NoStream = true
				}
				b := open(t, handlerServer(t, tt.h).URL+"/v1", cfg)
				var g gaps
				res := accel.Result{Gaps: &g}
				if err := b.Infer(context.Background(), &accel.Request{InputTokens: 4, OutputTokens: 64}, &res); err != nil {
					t.Fatal(err)
				}
				if res.InputTokens != tt.in || res.OutputTokens != tt.out || res.FinishReason != tt.finish || res.NoTokenTimes != tt.untimed || len(g.d) != tt.gapsWant {
					t.Errorf("input %d, output %d, finish %q, untimed %v, %d gaps; want %d, %d, %q, %v, %d",
						res.InputTokens, res.OutputTokens, res.FinishReason, res.NoTokenTimes, len(g.d),
						tt.in, tt.out, tt.finish, tt.untimed, tt.gapsWant)
				}
				// Only an answer not streamed has no first token: a stream's
				// first chunk is its first token's time, even when it holds all.
				if res.NoTTFT != !tt.stream {
					t.Errorf("NoTTFT %v for stream=%v", res.NoTTFT, tt.stream)
				}
			})
		}
	}
}

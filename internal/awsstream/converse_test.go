package awsstream

import (
	"errors"
	"testing"

	"github.com/inferbench/inferbench/internal/jsonscan"
)

// TestParseEvent reads ConverseStream events' payloads in the shapes of the
// Bedrock API reference (ContentBlockDeltaEvent, MessageStopEvent,
// ConverseStreamMetadataEvent, the exceptions), padding field "p" included.
func TestParseEvent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in string
		want     Event
	}{
		{"messageStart", `{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0","role":"assistant"}`, Event{LatencyMs: -1}},
		{"text delta", `{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefghijk"}`, Event{Text: 5, LatencyMs: -1}},
		{"reasoning delta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Let me think"}},"p":"ab"}`, Event{Reasoning: 12, LatencyMs: -1}},
		{"reasoning signature", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"EqQBCgIYAh"}}}`, Event{LatencyMs: -1}},
		{"tool use delta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}`, Event{Text: len(`{\"city\":`), LatencyMs: -1}},
		{"messageStop", `{"p":"abcd","stopReason":"max_tokens"}`, Event{StopReason: []byte("max_tokens"), LatencyMs: -1}},
		{"metadata", `{"metrics":{"latencyMs":1012},"p":"abcdefghijklmnopqrstu","usage":{"inputTokens":25,"outputTokens":64,"totalTokens":89}}`,
			Event{HasUsage: true, InputTokens: 25, OutputTokens: 64, LatencyMs: 1012}},
		{"exception", `{"message":"Too many requests, please wait before trying again."}`,
			Event{Message: []byte("Too many requests, please wait before trying again."), LatencyMs: -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e Event
			if err := ParseEvent([]byte(tt.in), &e); err != nil {
				t.Fatal(err)
			}
			if e.Text != tt.want.Text || e.Reasoning != tt.want.Reasoning || string(e.StopReason) != string(tt.want.StopReason) ||
				e.HasUsage != tt.want.HasUsage || e.InputTokens != tt.want.InputTokens || e.OutputTokens != tt.want.OutputTokens ||
				e.LatencyMs != tt.want.LatencyMs || string(e.Message) != string(tt.want.Message) {
				t.Errorf("got %+v, want %+v", e, tt.want)
			}
		})
	}
	for _, in := range []string{``, `[]`, `{"delta":{"text":1`, `{"usage":{"inputTokens":"7"}}`, `{} x`} {
		var e Event
		if err := ParseEvent([]byte(in), &e); !errors.Is(err, jsonscan.ErrSyntax) {
			t.Errorf("%q: err %v, want ErrSyntax", in, err)
		}
	}
}

func TestAppendConverseRequest(t *testing.T) {
	t.Parallel()
	got := string(AppendConverseRequest(nil, `say "hi"`, nil, 64))
	want := `{"messages":[{"role":"user","content":[{"text":"say \"hi\""}]}],"inferenceConfig":{"maxTokens":64}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := string(AppendConverseRequest(nil, "", []byte("a b"), 0)); got != `{"messages":[{"role":"user","content":[{"text":"a b"}]}]}` {
		t.Errorf("no max tokens: %s", got)
	}
}

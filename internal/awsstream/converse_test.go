package awsstream

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

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

// TestParseTokenLine reads TGI's and LMI's token lines, as their
// containers stream them (TGI's generate_stream, DJL Serving's jsonlines).
func TestParseTokenLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in string
		want     TokenLine
	}{
		{"tgi token", `{"index":1,"token":{"id":578,"text":" The","logprob":-0.47,"special":false},"generated_text":null,"details":null,"top_tokens":null}`,
			TokenLine{Token: true, Text: 4, GeneratedTokens: -1}},
		{"tgi special end token", `{"token":{"id":2,"text":"</s>","logprob":-0.01,"special":true},"generated_text":"x","details":{"finish_reason":"eos_token","generated_tokens":20,"seed":null}}`,
			TokenLine{Token: true, FinishReason: []byte("eos_token"), GeneratedTokens: 20}},
		{"lmi token", `{"token":{"id":[13],"text":"ok","log_prob":-0.3},"generated_text":null,"details":null}`,
			TokenLine{Token: true, Text: 2, GeneratedTokens: -1}},
		{"tgi error", `{"error":"Input validation error: max_new_tokens must be <= 1024","error_type":"validation"}`,
			TokenLine{Error: true, ErrorMessage: []byte("Input validation error: max_new_tokens must be <= 1024"), GeneratedTokens: -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e TokenLine
			if err := ParseTokenLine([]byte(tt.in), &e); err != nil {
				t.Fatal(err)
			}
			if e.Token != tt.want.Token || e.Text != tt.want.Text || string(e.FinishReason) != string(tt.want.FinishReason) ||
				e.GeneratedTokens != tt.want.GeneratedTokens || e.Error != tt.want.Error || string(e.ErrorMessage) != string(tt.want.ErrorMessage) {
				t.Errorf("got %+v, want %+v", e, tt.want)
			}
		})
	}
	if got := string(AppendTGIRequest(nil, "hi", nil, 8)); got != `{"inputs":"hi","parameters":{"details":true,"max_new_tokens":8},"stream":true}` {
		t.Errorf("request %s", got)
	}
}

// converseFrames is frames contentBlockDelta events of one short token each,
// as Bedrock streams them, encoded by aws-sdk-go-v2.
func converseFrames(tb testing.TB, frames int) []byte {
	tb.Helper()
	var hs eventstream.Headers
	hs.Set(HeaderEventType, eventstream.StringValue("contentBlockDelta"))
	hs.Set(HeaderContentType, eventstream.StringValue("application/json"))
	hs.Set(HeaderMessageType, eventstream.StringValue("event"))
	m := eventstream.Message{Headers: hs, Payload: []byte(`{"contentBlockIndex":0,"delta":{"text":" tok"}}`)}
	var b bytes.Buffer
	enc := eventstream.NewEncoder()
	for range frames {
		if err := enc.Encode(&b, m); err != nil {
			tb.Fatal(err)
		}
	}
	return b.Bytes()
}

// BenchmarkConverseFrames splits the event-stream path's cost per frame
// (one frame is one token) between aws-sdk-go-v2's decoder and our side,
// read as the client reads them: through a bufio.Reader, the payload
// buffer reused. "decode" is the SDK's Decoder.Decode alone; "client" adds
// what readEventStream does with each message (the :message-type check and
// ParseEvent). Their difference is ours; "parse" is ParseEvent alone.
func BenchmarkConverseFrames(b *testing.B) {
	const frames = 512
	stream := converseFrames(b, frames)
	for _, step := range []string{"decode", "client", "parse"} {
		b.Run("step="+step, func(b *testing.B) {
			dec := eventstream.NewDecoder()
			src := bytes.NewReader(stream)
			br := bufio.NewReaderSize(src, 16<<10)
			payload := make([]byte, 0, 1024)
			msg, _ := dec.Decode(bytes.NewReader(stream), payload)
			one := msg.Payload
			var ev Event
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				if step == "parse" {
					for range frames {
						if err := ParseEvent(one, &ev); err != nil || ev.Text != 4 {
							b.Fatal(err, ev)
						}
					}
					continue
				}
				src.Reset(stream)
				br.Reset(src)
				for {
					msg, err := dec.Decode(br, payload[:0])
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if step == "client" {
						if mt := msg.Headers.Get(HeaderMessageType); mt == nil || mt.String() != "event" {
							b.Fatalf("message type %v", mt)
						}
						if err := ParseEvent(msg.Payload, &ev); err != nil || ev.Text != 4 {
							b.Fatal(err, ev)
						}
					}
				}
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*frames), "allocs/frame")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N*frames), "B/frame")
		})
	}
}

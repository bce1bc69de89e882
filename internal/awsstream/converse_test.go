package awsstream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/inferbench/inferbench/internal/jsonscan"
)

// converseEvents are ConverseStream event payloads, one per event type the
// client reads, as Bedrock sends them in an event-stream message whose
// :event-type (or :exception-type) header names it: the member's own JSON
// object, keys in the order Bedrock writes them, padded with a "p" field of
// random length.
//
// They are not copies: AWS publishes no example payload for these events.
// The API reference's response syntax
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html#API_runtime_ConverseStream_ResponseSyntax)
// names each event's members with type placeholders ("text": "string",
// "latencyMs": number), and the member names below are those of
// aws-sdk-go-v2's bedrockruntime (v1.63.13, schemas/schemas.go), generated
// from the same Smithy model. So TestConverseEventsSDK has the provider's
// own client read each payload, and it must find what ParseEvent finds.
var converseEvents = []struct {
	name, typ, exception, payload string
	want                          Event
	sdk                           sdkEvent // what aws-sdk-go-v2 decodes
}{
	{"messageStart", "messageStart", "", `{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0","role":"assistant"}`,
		Event{LatencyMs: -1}, sdkEvent{role: "assistant"}},
	{"contentBlockStart toolUse", "contentBlockStart", "", `{"contentBlockIndex":1,"p":"abcdefghijklmnop","start":{"toolUse":{"name":"get_weather","toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"}}}`,
		Event{LatencyMs: -1}, sdkEvent{}},
	{"text delta", "contentBlockDelta", "", `{"contentBlockIndex":0,"delta":{"text":"Hello"},"p":"abcdefghijk"}`,
		Event{Text: 5, LatencyMs: -1}, sdkEvent{text: "Hello"}},
	{"reasoning delta", "contentBlockDelta", "", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Let me think"}},"p":"ab"}`,
		Event{Reasoning: 12, LatencyMs: -1}, sdkEvent{reasoning: "Let me think"}},
	{"reasoning signature", "contentBlockDelta", "", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"EqQBCgIYAh"}},"p":"abcd"}`,
		Event{LatencyMs: -1}, sdkEvent{}},
	{"reasoning redacted", "contentBlockDelta", "", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"ZW5jcnlwdGVk"}},"p":"abc"}`,
		Event{LatencyMs: -1}, sdkEvent{}},
	// A tool call's arguments are output too; lengths are of the JSON text
	// as sent, escapes in place (the SDK decodes them: 8 bytes, not 10).
	{"tool use delta", "contentBlockDelta", "", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}},"p":"abcdefgh"}`,
		Event{Text: len(`{\"city\":`), LatencyMs: -1}, sdkEvent{text: `{"city":`}},
	{"contentBlockStop", "contentBlockStop", "", `{"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"}`,
		Event{LatencyMs: -1}, sdkEvent{}},
	{"messageStop", "messageStop", "", `{"p":"abcd","stopReason":"max_tokens"}`,
		Event{StopReason: []byte("max_tokens"), LatencyMs: -1}, sdkEvent{stop: "max_tokens"}},
	{"metadata", "metadata", "", `{"metrics":{"latencyMs":1012},"p":"abcdefghijklmnopqrstu","usage":{"inputTokens":25,"outputTokens":64,"totalTokens":89}}`,
		Event{HasUsage: true, InputTokens: 25, OutputTokens: 64, LatencyMs: 1012}, sdkEvent{usage: true, in: 25, out: 64, latency: 1012}},
	// With prompt caching, inputTokens leaves out the cached prompt, which
	// Bedrock counts apart (the SDK's InputTokens is 25); ParseEvent sums
	// them, the prompt the model served, as for Anthropic's usage.
	{"metadata with cache", "metadata", "", `{"metrics":{"latencyMs":320},"p":"ab","usage":{"cacheReadInputTokens":1024,"cacheWriteInputTokens":0,"inputTokens":25,"outputTokens":64,"totalTokens":1113}}`,
		Event{HasUsage: true, InputTokens: 1049, OutputTokens: 64, LatencyMs: 320}, sdkEvent{usage: true, in: 25, out: 64, latency: 320}},
	{"throttlingException", "", "throttlingException", `{"message":"Too many requests, please wait before trying again."}`,
		Event{Message: []byte("Too many requests, please wait before trying again."), LatencyMs: -1},
		sdkEvent{err: "ThrottlingException: Too many requests, please wait before trying again."}},
	{"modelStreamErrorException", "", "modelStreamErrorException", `{"message":"Model stream error","originalMessage":"upstream reset","originalStatusCode":500}`,
		Event{Message: []byte("Model stream error"), LatencyMs: -1}, sdkEvent{err: "ModelStreamErrorException: Model stream error"}},
}

// TestParseEvent reads each ConverseStream payload above.
func TestParseEvent(t *testing.T) {
	t.Parallel()
	for _, tt := range converseEvents {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e Event
			if err := ParseEvent([]byte(tt.payload), &e); err != nil {
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

// sdkEvent is what aws-sdk-go-v2's bedrockruntime decoded from one event.
type sdkEvent struct {
	role, text, reasoning, stop string
	usage                       bool
	in, out                     int32
	latency                     int64
	err                         string // the stream's error, for an exception
}

// TestConverseEventsSDK streams each payload to aws-sdk-go-v2's
// bedrockruntime client, framed as Bedrock frames it, and checks the SDK
// decodes what ParseEvent read: the samples are the shape the provider's
// own client expects.
func TestConverseEventsSDK(t *testing.T) {
	t.Parallel()
	for _, tt := range converseEvents {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hs eventstream.Headers
			if tt.exception != "" {
				hs.Set(HeaderMessageType, eventstream.StringValue("exception"))
				hs.Set(HeaderExceptionType, eventstream.StringValue(tt.exception))
			} else {
				hs.Set(HeaderMessageType, eventstream.StringValue("event"))
				hs.Set(HeaderEventType, eventstream.StringValue(tt.typ))
			}
			hs.Set(HeaderContentType, eventstream.StringValue("application/json"))
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ContentType)
				if err := eventstream.NewEncoder().Encode(w, eventstream.Message{Headers: hs, Payload: []byte(tt.payload)}); err != nil {
					t.Error(err)
				}
			}))
			defer ts.Close()
			c := bedrockruntime.New(bedrockruntime.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1,
				Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
			out, err := c.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String("m")})
			if err != nil {
				t.Fatal(err)
			}
			stream := out.GetStream()
			defer stream.Close()
			var got sdkEvent
			for ev := range stream.Events() {
				switch v := ev.(type) {
				case *types.ConverseStreamOutputMemberMessageStart:
					got.role = string(v.Value.Role)
				case *types.ConverseStreamOutputMemberContentBlockDelta:
					switch d := v.Value.Delta.(type) {
					case *types.ContentBlockDeltaMemberText:
						got.text = d.Value
					case *types.ContentBlockDeltaMemberToolUse:
						got.text = aws.ToString(d.Value.Input)
					case *types.ContentBlockDeltaMemberReasoningContent:
						if r, ok := d.Value.(*types.ReasoningContentBlockDeltaMemberText); ok {
							got.reasoning = r.Value
						}
					}
				case *types.ConverseStreamOutputMemberMessageStop:
					got.stop = string(v.Value.StopReason)
				case *types.ConverseStreamOutputMemberMetadata:
					if u := v.Value.Usage; u != nil {
						got.usage, got.in, got.out = true, aws.ToInt32(u.InputTokens), aws.ToInt32(u.OutputTokens)
					}
					if m := v.Value.Metrics; m != nil {
						got.latency = aws.ToInt64(m.LatencyMs)
					}
				case *types.ConverseStreamOutputMemberContentBlockStart, *types.ConverseStreamOutputMemberContentBlockStop:
				default:
					t.Errorf("the SDK read %T", ev)
				}
			}
			if err := stream.Err(); err != nil {
				var ae smithy.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("stream error %v", err)
				}
				got.err = ae.ErrorCode() + ": " + ae.ErrorMessage()
			}
			if got != tt.sdk {
				t.Errorf("the SDK read %+v, want %+v", got, tt.sdk)
			}
		})
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

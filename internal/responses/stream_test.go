package responses

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/inferbench/inferbench/internal/jsonscan"
	"github.com/inferbench/inferbench/internal/sse"
)

type sum struct {
	events, text, reasoning, textEvents, reasoningEvents int
	usage                                                bool
	input, output, reasoningTokens                       int
	status, incomplete                                   string
	terminal, failed                                     bool
	errMsg                                               string
}

func readStream(t *testing.T, data []byte) sum {
	t.Helper()
	r := sse.NewReader(1 << 16)
	r.Reset(bytes.NewReader(data))
	var s sum
	var ev sse.Event
	var e Event
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			return s
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := ParseEvent(ev.Data, &e); err != nil {
			t.Fatalf("%s: %v", ev.Data, err)
		}
		if len(ev.Type) > 0 && string(e.Type) != string(ev.Type) {
			t.Errorf("event %q has type %q", ev.Type, e.Type)
		}
		s.events++
		s.text += e.Text
		s.reasoning += e.Reasoning
		if e.Text > 0 {
			s.textEvents++
		}
		if e.Reasoning > 0 {
			s.reasoningEvents++
		}
		if e.HasUsage {
			s.usage, s.input, s.output, s.reasoningTokens = true, e.InputTokens, e.OutputTokens, e.ReasoningTokens
		}
		if e.Terminal {
			s.terminal, s.status, s.incomplete = true, string(e.Status), string(e.Incomplete)
		}
		if e.Error {
			s.failed, s.errMsg = true, string(e.ErrorMessage)
		}
	}
}

// TestDocumentedStream reads the streaming example of the OpenAI API
// reference ("Create a model response", stream: true), copied into testdata
// with its "..." between the text deltas left out.
func TestDocumentedStream(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/basic.sse")
	if err != nil {
		t.Fatal(err)
	}
	want := sum{events: 9, text: 2, textEvents: 1, usage: true, input: 37, output: 11, reasoningTokens: 0,
		status: "completed", terminal: true}
	if got := readStream(t, data); got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestDocumentedEvents reads single events as the API reference shows them.
func TestDocumentedEvents(t *testing.T) {
	t.Parallel()
	summary := `**Responding to a greeting**\n\nThe user just said, \"Hello!\" So, it seems I need to engage.`
	for _, tt := range []struct {
		name, in string
		want     sum
	}{
		{"reasoning text delta", `{"type":"response.reasoning_text.delta","item_id":"rs_123","output_index":0,"content_index":0,"delta":"The","sequence_number":1}`,
			sum{events: 1, reasoning: 3, reasoningEvents: 1}},
		{"reasoning summary delta", `{"type": "response.reasoning_summary_text.delta","item_id": "rs_6806bfca0b2481918a5748308061a2600d3ce51bdffd5476","output_index": 0,"summary_index": 0,"delta": "` + summary + `","sequence_number": 1}`,
			sum{events: 1, reasoning: len(summary), reasoningEvents: 1}},
		{"error", `{"type": "error","code": "ERR_SOMETHING","message": "Something went wrong","param": null,"sequence_number": 1}`,
			sum{events: 1, failed: true, errMsg: "Something went wrong"}},
		{"failed", `{"type":"response.failed","sequence_number":1,"response":{"id":"resp_123","object":"response","created_at":1740855869,"status":"failed","error":{"code":"server_error","message":"The model failed to generate a response."},"incomplete_details":null,"output":[],"usage":null}}`,
			sum{events: 1, terminal: true, status: "failed", failed: true, errMsg: "The model failed to generate a response."}},
		{"incomplete", `{"type":"response.incomplete","response":{"id":"resp_123","object":"response","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":9,"output_tokens":64,"output_tokens_details":{"reasoning_tokens":48},"total_tokens":73}},"sequence_number":7}`,
			sum{events: 1, terminal: true, status: "incomplete", incomplete: "max_output_tokens", usage: true, input: 9, output: 64, reasoningTokens: 48}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := readStream(t, []byte("data: "+tt.in+"\n\n")); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestWriterRoundTrip(t *testing.T) {
	t.Parallel()
	w := Writer{ID: "resp_1", ItemID: "msg_1", Model: "m", Created: 1}
	b := w.AppendStart(nil)
	for _, tok := range []string{"a", " \"b\""} {
		b = w.AppendTextDelta(b, tok)
	}
	b = w.AppendEnd(b, true, Usage{InputTokens: 5, OutputTokens: 2})
	want := sum{events: 7, text: len(`a \"b\"`), textEvents: 2, usage: true, input: 5, output: 2, status: "incomplete",
		incomplete: "max_output_tokens", terminal: true}
	if got := readStream(t, b); got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if w.Seq != 7 {
		t.Errorf("sequence_number reached %d, want 7", w.Seq)
	}
}

func TestParseEventErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `[]`, `{"type":`, `{"type":"x"} y`, `{"response":{"usage":{"input_tokens":"7"}}}`} {
		var e Event
		if err := ParseEvent([]byte(in), &e); !errors.Is(err, jsonscan.ErrSyntax) {
			t.Errorf("%q: err %v, want ErrSyntax", in, err)
		}
	}
}

func TestParseEventAllocs(t *testing.T) {
	data := []byte(`{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}`)
	var e Event
	if n := testing.AllocsPerRun(100, func() { ParseEvent(data, &e) }); n != 0 {
		t.Errorf("%v allocations per event, want 0", n)
	}
}

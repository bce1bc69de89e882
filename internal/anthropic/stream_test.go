package anthropic

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/inferbench/inferbench/internal/jsonscan"
	"github.com/inferbench/inferbench/internal/sse"
)

// sum is what a whole stream adds up to.
type sum struct {
	events, text, thinking, textEvents, thinkingEvents int
	input, output                                      int
	stop                                               string
	stopped, failed                                    bool
	errType, errMsg                                    string
}

func readStream(t *testing.T, data []byte) sum {
	t.Helper()
	r := sse.NewReader(1 << 16)
	r.Reset(bytes.NewReader(data))
	s := sum{input: -1, output: -1}
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
		if string(e.Type) != string(ev.Type) {
			t.Errorf("event %q has type %q", ev.Type, e.Type)
		}
		s.events++
		s.text += e.Text
		s.thinking += e.Thinking
		if e.Text > 0 {
			s.textEvents++
		}
		if e.Thinking > 0 {
			s.thinkingEvents++
		}
		if e.InputTokens >= 0 {
			s.input = e.InputTokens
		}
		if e.OutputTokens >= 0 {
			s.output = e.OutputTokens
		}
		if e.StopReason != nil {
			s.stop = string(e.StopReason)
		}
		s.stopped = s.stopped || e.Stop
		if e.Error {
			s.failed, s.errType, s.errMsg = true, string(e.ErrorType), string(e.ErrorMessage)
		}
	}
}

// TestDocumentedStreams reads the streams of Anthropic's streaming guide
// (docs.anthropic.com, "Streaming Messages": the basic request, extended
// thinking, an error event), copied into testdata with the guide's
// "// Additional ... deltas" elisions left out.
func TestDocumentedStreams(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file string
		want sum
	}{
		{"basic.sse", sum{events: 8, text: len("Hello!"), textEvents: 2, input: 25, output: 15, stop: "end_turn", stopped: true}},
		{"thinking.sse", sum{events: 11, text: len("The greatest common divisor of 1071 and 462 is **21**."), textEvents: 1,
			thinking: len(`I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147`) +
				len(`\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21`),
			thinkingEvents: 2, input: -1, output: -1, stop: "end_turn", stopped: true}},
		{"error.sse", sum{events: 2, input: 25, output: 1, failed: true, errType: "overloaded_error", errMsg: "Overloaded"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := readStream(t, data); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestWriterRoundTrip: what the appenders write reads back as written.
func TestWriterRoundTrip(t *testing.T) {
	t.Parallel()
	var b []byte
	b = AppendMessageStart(b, "msg_7", "llama \"3\"", 128)
	b = AppendBlockStart(b, 0)
	b = AppendPing(b)
	for _, tok := range []string{"a", " b", "\n"} {
		b = AppendTextDelta(b, 0, tok)
	}
	b = AppendBlockStop(b, 0)
	b = AppendMessageDelta(b, "max_tokens", 3)
	b = AppendMessageStop(b)
	want := sum{events: 9, text: len(`a b\n`), textEvents: 3, input: 128, output: 3, stop: "max_tokens", stopped: true}
	if got := readStream(t, b); got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	e := readStream(t, AppendError(nil, "overloaded_error", "busy"))
	if !e.failed || e.errType != "overloaded_error" || e.errMsg != "busy" {
		t.Errorf("error event read as %+v", e)
	}
}

func TestParseEventErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `[]`, `{"type":`, `{"type":"x"} y`, `{"delta":{"text":"x}}`, `{"usage":{"output_tokens":"7"}}`} {
		var e Event
		if err := ParseEvent([]byte(in), &e); !errors.Is(err, jsonscan.ErrSyntax) {
			t.Errorf("%q: err %v, want ErrSyntax", in, err)
		}
	}
}

func TestParseEventAllocs(t *testing.T) {
	data := []byte(`{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}`)
	var e Event
	if n := testing.AllocsPerRun(100, func() { ParseEvent(data, &e) }); n != 0 {
		t.Errorf("%v allocations per event, want 0", n)
	}
}

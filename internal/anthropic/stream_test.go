package anthropic

import (
	"bytes"
	"errors"
	"github.com/inferbench/inferbench/internal/golden"
	"io"
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

// got is what ParseEvent made of one event, for a per-event check; bad is
// set when it refused the event as malformed.
type got struct {
	typ            string
	text, thinking int
	in, out        int // -1: the event has no such usage
	stop           string
	stopped        bool
	failed         bool
	errType        string
	errMsg         string
	bad            bool
}

// readEvents reads a whole stream with the client's SSE reader and
// ParseEvent, returning each event and the reader's last error (io.EOF
// for a stream that ended cleanly).
func readEvents(t *testing.T, data []byte) ([]got, error) {
	t.Helper()
	r := sse.NewReader(1 << 16)
	r.Reset(bytes.NewReader(data))
	var evs []got
	var ev sse.Event
	var e Event
	for {
		if err := r.Next(&ev); err != nil {
			return evs, err
		}
		if err := ParseEvent(ev.Data, &e); err != nil {
			if !errors.Is(err, jsonscan.ErrSyntax) {
				t.Errorf("%s: %v, want ErrSyntax", ev.Data, err)
			}
			evs = append(evs, got{in: -1, out: -1, bad: true})
			continue
		}
		if string(e.Type) != string(ev.Type) {
			t.Errorf("event %q has type %q", ev.Type, e.Type)
		}
		evs = append(evs, got{typ: string(e.Type), text: e.Text, thinking: e.Thinking, in: e.InputTokens, out: e.OutputTokens,
			stop: string(e.StopReason), stopped: e.Stop, failed: e.Error, errType: string(e.ErrorType), errMsg: string(e.ErrorMessage)})
	}
}

func readStream(t *testing.T, data []byte) sum {
	t.Helper()
	evs, err := readEvents(t, data)
	if err != io.EOF {
		t.Fatal(err)
	}
	s := sum{input: -1, output: -1}
	for _, e := range evs {
		if e.bad {
			t.Fatalf("malformed event in %q", data)
		}
		s.events++
		s.text += e.text
		s.thinking += e.thinking
		if e.text > 0 {
			s.textEvents++
		}
		if e.thinking > 0 {
			s.thinkingEvents++
		}
		if e.in >= 0 {
			s.input = e.in
		}
		if e.out >= 0 {
			s.output = e.out
		}
		if e.stop != "" {
			s.stop = e.stop
		}
		s.stopped = s.stopped || e.stopped
		if e.failed {
			s.failed, s.errType, s.errMsg = true, e.errType, e.errMsg
		}
	}
	return s
}

// documented reads a testdata file copied byte for byte
// (testdata/README.md names each source; golden.Upstream checks it still
// is). A stream cut before the blank line added after its last event is
// incomplete as published: that event is not dispatched (the SSE
// standard), which the reader reports as io.ErrUnexpectedEOF.
func documented(t *testing.T, file, sha string, added int) []byte {
	t.Helper()
	data, up := golden.Upstream(t, "testdata/"+file, sha, added)
	if added > 0 {
		if _, err := readEvents(t, up); err != io.ErrUnexpectedEOF {
			t.Errorf("%s as published (no final blank line): err %v, want io.ErrUnexpectedEOF", file, err)
		}
	}
	return data
}

// Events as the documented streams show them: n is no usage (-1).
const n = -1

var (
	ping      = got{typ: "ping", in: n, out: n}
	blockStop = got{typ: "content_block_stop", in: n, out: n}
	textStart = got{typ: "content_block_start", in: n, out: n} // "text": ""
	msgStop   = got{typ: "message_stop", in: n, out: n, stopped: true}
)

func text(s string) got     { return got{typ: "content_block_delta", text: len(s), in: n, out: n} }
func thinking(s string) got { return got{typ: "content_block_delta", thinking: len(s), in: n, out: n} }

// TestDocumentedStreams reads, byte for byte, the streams of Anthropic's
// "Streaming messages" and "Building with extended thinking" pages and two
// streams the Python SDK's tests replay, and checks every event. Delta
// lengths are of the JSON text as sent (escapes in place), which is what
// ParseEvent measures.
func TestDocumentedStreams(t *testing.T) {
	t.Parallel()
	sig := got{typ: "content_block_delta", in: n, out: n} // signature_delta: neither text nor thinking
	for _, tt := range []struct {
		file, sha string
		added     int
		want      []got
	}{
		{"basic.sse", "e85d8db086af362ee327f8c60b602321c6e08cd21aa248facd0de59cf253445f", 1, []got{
			{typ: "message_start", in: 25, out: 1}, textStart, ping, text("Hello"), text("!"), blockStop,
			{typ: "message_delta", in: n, out: 15, stop: "end_turn"}, msgStop}},
		{"tool-use.sse", "e936b349b3255dabfcacdc887af49d9eec08e56e42b267173bd85be4d9b02cca", 1, []got{
			{typ: "message_start", in: 472, out: 2}, textStart, ping,
			text("Okay"), text(","), text(" let"), text("'s"), text(" check"), text(" the"), text(" weather"),
			text(" for"), text(" San"), text(" Francisco"), text(","), text(" CA"), text(":"), blockStop,
			{typ: "content_block_start", in: n, out: n}, // tool_use, "input": {}
			text(``), text(`{\"location\":`), text(` \"San`), text(` Francisc`), text(`o,`), text(` CA\"}`), blockStop,
			{typ: "message_delta", in: n, out: 89, stop: "tool_use"}, msgStop}},
		// The extended-thinking page's stream: its "// Additional ..."
		// lines have no colon, fields the SSE standard ignores. No usage.
		{"thinking.sse", "d5099259cb4a56d94a927604a9c9f195d9e9a6cdf334c99a7457b3a7c45b69ed", 1, []got{
			{typ: "message_start", in: n, out: n}, {typ: "content_block_start", in: n, out: n}, // "thinking": "", "signature": ""
			thinking(`I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147`),
			thinking(`\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21`),
			sig, blockStop, textStart, text("The greatest common divisor of 1071 and 462 is **21**."), blockStop,
			{typ: "message_delta", in: n, out: n, stop: "end_turn"}, msgStop}},
		{"streaming-thinking.sse", "6ae81dc8dfa89d45f968ffa2e441aa0e49c1f5afdf17cc1b5d901086cc391a57", 1, []got{
			{typ: "message_start", in: n, out: n}, {typ: "content_block_start", in: n, out: n},
			thinking(`I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147`),
			thinking(`\n462 = 3 × 147 + 21`), thinking(`\n147 = 7 × 21 + 0`), thinking(`\nThe remainder is 0, so GCD(1071, 462) = 21.`),
			sig, blockStop, textStart, text("The greatest common divisor of 1071 and 462 is **21**."), blockStop,
			{typ: "message_delta", in: n, out: n, stop: "end_turn"}, msgStop}},
		// Partial as published: a "..." line stands for blocks 4 to 17, and
		// block 2's content_block_start elides its search results as
		// ",...]", which is not JSON; ParseEvent skips content_block's
		// "content" by matching brackets without validating what it skips
		// (the price of not parsing what the client does not read), so the
		// event reads as a start with no text. message_delta's usage is
		// cumulative and includes input_tokens.
		{"web-search.sse", "a20408dc0a7f9d4a12883c3d1d34e020145e3c130c9bac4e5442356855ed904d", 1, []got{
			{typ: "message_start", in: 2679, out: 3}, textStart,
			text("I'll check"), text(" the current weather in New York City for you"), ping, text("."), blockStop,
			{typ: "content_block_start", in: n, out: n}, // server_tool_use
			text(``), text(`{\"query`), text(`\":`), text(` \"weather`), text(` NY`), text(`C to`), text(`day\"}`), blockStop,
			{typ: "content_block_start", in: n, out: n}, blockStop, textStart, // web_search_tool_result
			text("Here's the current weather information for New York"), text(` City:\n\n# Weather`), text(" in New York City"), text(`\n\n`),
			blockStop, {typ: "message_delta", in: 10682, out: 510, stop: "end_turn"}, msgStop}},
		{"error.sse", "6df6672b97a98a7d93928f6420f75841fcda5b8d8543cbaee068611911cda3f1", 1, []got{
			{typ: "error", in: n, out: n, failed: true, errType: "overloaded_error", errMsg: "Overloaded"}}},
		{"delta-text.sse", "457c322ef71d609e101236cb7417d7a3680ba54e8252bf5aa4248b497ade3445", 1, []got{text("ello frien")}},
		// The guide's input_json_delta example closes its object once too
		// often ("}}}"): trailing data, refused as malformed.
		{"delta-input-json.sse", "93714d69bb09192288c3d37a202285704cab4a19e01434d1f93465e88f7290aa", 1, []got{{in: n, out: n, bad: true}}},
		{"delta-thinking.sse", "b2a3ac15e289306d375f90606b9eb48f4a635accecdf5be633990da7e52bbdc3", 1, []got{
			thinking(`I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147`)}},
		{"delta-signature.sse", "b55123e761ba434b39234966e5333bb326f4016d0502d2bd0129a07f7eda2d57", 1, []got{sig}},
		// Recorded API streams the Python SDK's tests replay. They end
		// without a newline; cache counts in usage are summed into input.
		{"sdk-python-basic_response.txt", "4cef9a87292eb74b7c282f7de5a2b407160d36a9dfed25be05f59047a59033bd", 2, []got{
			{typ: "message_start", in: 11, out: 1}, textStart, ping, text("Hello"), text(" there"), text("!"), blockStop,
			{typ: "message_delta", in: n, out: 6, stop: "end_turn"}, msgStop}},
		{"sdk-python-tool_use_response.txt", "53787cbf836155a1f5dffb60cde0cf0fa42e21db2dbed0aa76f51c76a70b02f6", 2, []got{
			{typ: "message_start", in: 377 + 0 + 0, out: 1}, textStart, ping,
			text("I"), text("'ll check the current weather in Paris for you."), blockStop,
			{typ: "content_block_start", in: n, out: n}, // tool_use
			text(``), text(`{\"locati`), text(`on\": \"P`), text(`ar`), text(`is\"}`), blockStop,
			{typ: "message_delta", in: n, out: 65, stop: "tool_use"}, msgStop}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			evs, err := readEvents(t, documented(t, tt.file, tt.sha, tt.added))
			if err != io.EOF {
				t.Fatal(err)
			}
			if len(evs) != len(tt.want) {
				t.Fatalf("%d events, want %d: %+v", len(evs), len(tt.want), evs)
			}
			for i := range evs {
				if evs[i] != tt.want[i] {
					t.Errorf("event %d: got  %+v\nwant %+v", i, evs[i], tt.want[i])
				}
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

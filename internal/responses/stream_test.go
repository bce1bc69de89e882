package responses

import (
	"bytes"
	"errors"
	"github.com/inferbench/inferbench/internal/golden"
	"io"
	"strings"
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

// got is what ParseEvent made of one event, for a per-event check.
type got struct {
	typ             string
	text, reasoning int
	status          string
	incomplete      string
	terminal        bool
	usage           bool
	in, out, reason int // usage, when usage is set
	failed          bool
	errMsg          string
}

func (e *Event) got() got {
	g := got{typ: string(e.Type), text: e.Text, reasoning: e.Reasoning, status: string(e.Status),
		incomplete: string(e.Incomplete), terminal: e.Terminal, usage: e.HasUsage, failed: e.Error, errMsg: string(e.ErrorMessage)}
	if e.HasUsage {
		g.in, g.out, g.reason = e.InputTokens, e.OutputTokens, e.ReasoningTokens
	}
	return g
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
			t.Fatalf("%s: %v", ev.Data, err)
		}
		if len(ev.Type) > 0 && string(e.Type) != string(ev.Type) {
			t.Errorf("event %q has type %q", ev.Type, e.Type)
		}
		evs = append(evs, e.got())
	}
}

func readStream(t *testing.T, data []byte) sum {
	t.Helper()
	evs, err := readEvents(t, data)
	if err != io.EOF {
		t.Fatal(err)
	}
	var s sum
	for _, e := range evs {
		s.events++
		s.text += e.text
		s.reasoning += e.reasoning
		if e.text > 0 {
			s.textEvents++
		}
		if e.reasoning > 0 {
			s.reasoningEvents++
		}
		if e.usage {
			s.usage, s.input, s.output, s.reasoningTokens = true, e.in, e.out, e.reason
		}
		if e.terminal {
			s.terminal, s.status, s.incomplete = true, e.status, e.incomplete
		}
		if e.failed {
			s.failed, s.errMsg = true, e.errMsg
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

// TestDocumentedStream reads the streaming example of the OpenAI API
// reference ("Create a model response", stream: true) byte for byte, its
// "..." line between the deltas included (a line without a colon is a
// field the SSE standard ignores), and checks every event.
func TestDocumentedStream(t *testing.T) {
	t.Parallel()
	data := documented(t, "basic.sse", "58e7bb8546a4c2bd8a3f9d15f01f6d76c866f287253b745d46c36096edf03bf3", 1)
	evs, err := readEvents(t, data)
	if err != io.EOF {
		t.Fatal(err)
	}
	want := []got{
		{typ: "response.created", status: "in_progress"},
		{typ: "response.in_progress", status: "in_progress"},
		{typ: "response.output_item.added"},
		{typ: "response.content_part.added"},
		{typ: "response.output_text.delta", text: len("Hi")},
		{typ: "response.output_text.done"}, // the whole text again: not counted twice
		{typ: "response.content_part.done"},
		{typ: "response.output_item.done"},
		{typ: "response.completed", status: "completed", terminal: true, usage: true, in: 37, out: 11, reason: 0},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: got  %+v\nwant %+v", i, evs[i], want[i])
		}
	}
}

// TestDocumentedEvents reads each event as the OpenAI API reference's
// streaming-events section shows it (components.schemas.*.x-oaiMeta.example
// in openai/openai-openapi), pretty-printed over several lines as there.
func TestDocumentedEvents(t *testing.T) {
	t.Parallel()
	summary := `**Responding to a greeting**\n\nThe user just said, \"Hello!\" So, it seems I need to engage. I'll greet them back and offer help since they're looking to chat. I could say something like, \"Hello! How can I assist you today?\" That feels friendly and open. They didn't ask a specific question, so this approach will work well for starting a conversation. Let's see where it goes from there!`
	for _, tt := range []struct {
		file, sha string
		want      got
	}{
		{"response.created.json", "f17964dd521c09ef4218fb6cc8eb232a9ea80dfc641ee47fd114196a447ac692",
			got{typ: "response.created", status: "in_progress"}},
		{"response.in_progress.json", "b03e156b6d9b9b023b36a4c80c34d60eaab5f4e9f869f65314ccb02609e156cc",
			got{typ: "response.in_progress", status: "in_progress"}},
		{"response.output_item.added.json", "46578c53ff06877722db3ef7855efb3de454a0a5418e8fbd1938a07495ffb873",
			got{typ: "response.output_item.added"}},
		{"response.content_part.added.json", "ae2e22051dfa24b7b07c3d610623fecbc28b6f2f1aad351ec6e962e02611fc18",
			got{typ: "response.content_part.added"}},
		{"response.output_text.delta.json", "85280882752a1741e9ac6ef81d992074185999f087657149a7fa0b7f031997c8",
			got{typ: "response.output_text.delta", text: len("In")}},
		{"response.output_text.done.json", "4ec14ab4a56313be12cc86fecd4a109a6385b3f3cb914137d9b9c5ed3e10d95b",
			got{typ: "response.output_text.done"}},
		{"response.refusal.delta.json", "5db94e11489857c2785bcdd449a2456f7ae0f8afa1bbfff7971c88ab957e60dc",
			got{typ: "response.refusal.delta", text: len("refusal text so far")}},
		{"response.reasoning_text.delta.json", "42eebea106496e1560666875afb714e25d2924ab30fdfadc4eed9710f08fd8d1",
			got{typ: "response.reasoning_text.delta", reasoning: len("The")}},
		{"response.reasoning_text.done.json", "271acd35ed82f1d498b960eca1e4bfc15d8ab084d6540508f92781fb12d97b8d",
			got{typ: "response.reasoning_text.done"}},
		{"response.reasoning_summary_text.delta.json", "5be31d2af617aac0ade3d76134111b3d639a48781d572a9fd6ba5ae0edda02b5",
			got{typ: "response.reasoning_summary_text.delta", reasoning: len(summary)}},
		{"response.reasoning_summary_text.done.json", "31abace5f7264e6593ec47efaaeb96d3d320719fb73f25faf9218953a017a8cc",
			got{typ: "response.reasoning_summary_text.done"}},
		{"response.completed.json", "f4a3484707b265d78a5997532225f048700bf27787770d5d97b9292ef70cee3b",
			got{typ: "response.completed", status: "completed", terminal: true, usage: true, in: 0, out: 0, reason: 0}},
		// The reference's example says "max_tokens"; the API's enum (and
		// what the client maps to a length stop) is max_output_tokens.
		{"response.incomplete.json", "e6f3e5b8461dc632bf6d860c8cd46c803dd3bca22e0eb19c0c429b02b394004b",
			got{typ: "response.incomplete", status: "incomplete", incomplete: "max_tokens", terminal: true}},
		{"response.failed.json", "31e9e4535c972d345fdb28a30953a7d0a445cc0079f2b79be9d238ff31bd2746",
			got{typ: "response.failed", status: "failed", terminal: true, failed: true, errMsg: "The model failed to generate a response."}},
		{"error.json", "02f2b80bdcd3cb094494529c2ae3308ccd02d51ee8efc9fc569c63fce15ded26",
			got{typ: "error", failed: true, errMsg: "Something went wrong"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data := documented(t, "events/"+tt.file, tt.sha, 0)
			var e Event
			if err := ParseEvent(data, &e); err != nil {
				t.Fatal(err)
			}
			if g := e.got(); g != tt.want {
				t.Errorf("got  %+v\nwant %+v", g, tt.want)
			}
			// As a server sends it: one data: line per line of the object.
			lines := "data: " + strings.ReplaceAll(strings.TrimSuffix(string(data), "\n"), "\n", "\ndata: ") + "\n\n"
			if evs, err := readEvents(t, []byte(lines)); err != io.EOF || len(evs) != 1 || evs[0] != tt.want {
				t.Errorf("as server-sent lines: %+v, %v", evs, err)
			}
		})
	}
	// The reference's function_call_arguments.delta example is not JSON
	// (no comma after "delta"): the parser says so rather than guess.
	data := documented(t, "events/response.function_call_arguments.delta.json", "12a344f2e579f112b2bc980c0e1a6f85805619db5371f88e75fcdc45dd8faa2b", 0)
	var e Event
	if err := ParseEvent(data, &e); !errors.Is(err, jsonscan.ErrSyntax) {
		t.Errorf("function_call_arguments.delta example: err %v, want ErrSyntax", err)
	}
}

// TestDocumentedReasoningUsage: the API reference shows no streamed event
// whose usage has reasoning tokens, but its "Reasoning" example response
// (o1, reasoning effort high) does, and response.completed carries that
// object as its "response". The test wraps the documented object so, byte
// for byte inside, and reads its usage.
func TestDocumentedReasoningUsage(t *testing.T) {
	t.Parallel()
	obj := documented(t, "reasoning-response.json", "e19608746c319fd5488c2e6bc980f4abc14d7982dd01f40131f089189625dff5", 0)
	ev := append(append([]byte(`{"type":"response.completed","response":`), obj...), '}')
	var e Event
	if err := ParseEvent(ev, &e); err != nil {
		t.Fatal(err)
	}
	want := got{typ: "response.completed", status: "completed", terminal: true, usage: true, in: 81, out: 1035, reason: 832}
	if g := e.got(); g != want {
		t.Errorf("got  %+v\nwant %+v", g, want)
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

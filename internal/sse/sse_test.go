package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type ev struct {
	typ, data, id string
	comments      int
}

func readAll(t *testing.T, r *Reader, src io.Reader) ([]ev, error) {
	t.Helper()
	r.Reset(src)
	var out []ev
	var e Event
	for {
		err := r.Next(&e)
		if err != nil {
			return out, err
		}
		out = append(out, ev{string(e.Type), string(e.Data), string(e.ID), e.Comments})
	}
}

// Payload shapes as real servers send them (vLLM, OpenAI, TGI, llama.cpp).
func TestReaderRealWorldShapes(t *testing.T) {
	t.Parallel()
	const roleOnly = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`
	const content = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" Hi"},"logprobs":null,"finish_reason":null}]}`
	const empty = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}`
	const usage = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`
	tests := []struct {
		name string
		in   string
		want []ev
		err  error
	}{
		{
			name: "openai LF stream",
			in:   "data: " + roleOnly + "\n\ndata: " + content + "\n\ndata: " + empty + "\n\ndata: " + usage + "\n\ndata: [DONE]\n\n",
			want: []ev{{data: roleOnly}, {data: content}, {data: empty}, {data: usage}, {data: "[DONE]"}},
			err:  io.EOF,
		},
		{
			name: "CRLF line ends",
			in:   "data: " + content + "\r\n\r\ndata: [DONE]\r\n\r\n",
			want: []ev{{data: content}, {data: "[DONE]"}},
			err:  io.EOF,
		},
		{
			name: "bare CR line ends",
			in:   "data: a\r\rdata: b\r\r",
			want: []ev{{data: "a"}, {data: "b"}},
			err:  io.EOF,
		},
		{
			name: "keep-alive comments between events",
			in:   ": ping\n\n: keep-alive\ndata: x\n\n:\n\ndata: [DONE]\n\n",
			want: []ev{{data: "x", comments: 2}, {data: "[DONE]", comments: 1}},
			err:  io.EOF,
		},
		{
			name: "no space after colon, multi-line data, event and id",
			in:   "event: message\nid: 7\ndata:one\ndata: two\n\nevent: ping\ndata: {}\n\n",
			want: []ev{{typ: "message", data: "one\ntwo", id: "7"}, {typ: "ping", data: "{}", id: "7"}},
			err:  io.EOF,
		},
		{
			name: "retry and unknown fields ignored; field with no colon",
			in:   "retry: 1000\nfoo: bar\ndata\n\n",
			want: []ev{{data: ""}},
			err:  io.EOF,
		},
		{
			name: "blank lines with no data dispatch nothing",
			in:   "\n\n\nevent: x\n\ndata: y\n\n",
			want: []ev{{data: "y"}},
			err:  io.EOF,
		},
		{
			name: "stream cut inside an event",
			in:   "data: a\n\ndata: {\"choices\":[",
			want: []ev{{data: "a"}},
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "stream cut after a line, before the blank",
			in:   "data: a\n",
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "empty stream",
			in:   "",
			err:  io.EOF,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Whole, one byte per read, and through a tiny buffer that must grow.
			sources := map[string]func() io.Reader{
				"whole":   func() io.Reader { return strings.NewReader(tt.in) },
				"onebyte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(tt.in)) },
				"half":    func() io.Reader { return iotest.HalfReader(strings.NewReader(tt.in)) },
			}
			for name, src := range sources {
				for _, size := range []int{64, 4096} {
					got, err := readAll(t, NewReader(size), src())
					if !errors.Is(err, tt.err) {
						t.Errorf("%s/%d: err %v, want %v", name, size, err, tt.err)
					}
					if len(got) != len(tt.want) {
						t.Fatalf("%s/%d: got %d events %+v, want %d %+v", name, size, len(got), got, len(tt.want), tt.want)
					}
					for i := range got {
						if got[i] != tt.want[i] {
							t.Errorf("%s/%d: event %d = %+v, want %+v", name, size, i, got[i], tt.want[i])
						}
					}
				}
			}
		})
	}
}

func TestReaderReuseAcrossStreams(t *testing.T) {
	t.Parallel()
	r := NewReader(64)
	for i, in := range []string{"data: " + strings.Repeat("x", 500) + "\n\n", "data: short\n\n", "data: a\r"} {
		got, err := readAll(t, r, strings.NewReader(in))
		if i < 2 && (err != io.EOF || len(got) != 1) {
			t.Fatalf("stream %d: %v, %d events", i, err, len(got))
		}
		if i == 1 && got[0].data != "short" {
			t.Errorf("stream 1 data %q: state leaked from stream 0", got[0].data)
		}
	}
	// A CR at the end of one stream must not eat an LF at the start of the next.
	got, err := readAll(t, r, strings.NewReader("\ndata: b\n\n"))
	if err != io.EOF || len(got) != 1 || got[0].data != "b" {
		t.Errorf("after CR-terminated stream: %v %+v", err, got)
	}
}

func TestReaderLineTooLong(t *testing.T) {
	t.Parallel()
	r := NewReader(64)
	r.MaxLine = 128
	_, err := readAll(t, r, strings.NewReader("data: "+strings.Repeat("x", 1000)+"\n\n"))
	if !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err %v, want ErrLineTooLong", err)
	}
}

func TestReaderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	_, err := readAll(t, NewReader(64), io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want %v", err, boom)
	}
}

func TestReaderAllocatesNothing(t *testing.T) {
	stream := strings.Repeat("data: {\"choices\":[{\"delta\":{\"content\":\" tok\"}}]}\r\n\r\n: ping\n\n", 64) + "data: [DONE]\n\n"
	r := NewReader(4096)
	var src strings.Reader
	var e Event
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(stream)
		r.Reset(&src)
		for r.Next(&e) == nil {
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per stream, want 0", allocs)
	}
}

func BenchmarkReader(b *testing.B) {
	const chunk = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":null}]}`
	stream := strings.Repeat("data: "+chunk+"\n\n", 256) + "data: [DONE]\n\n"
	r := NewReader(16 << 10)
	var src strings.Reader
	var e Event
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(stream)
		r.Reset(&src)
		for r.Next(&e) == nil {
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add("data: a\n\n")
	f.Add("data: a\r\n\r\ndata: [DONE]\r\n\r\n")
	f.Add(": ping\r\revent: x\rdata: y\r\r")
	f.Add("id: 1\ndata\ndata:\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		small, big := NewReader(64), NewReader(1<<16)
		small.MaxLine, big.MaxLine = 1<<16, 1<<16
		a, errA := readAll(t, small, iotest.OneByteReader(strings.NewReader(in)))
		b, errB := readAll(t, big, strings.NewReader(in))
		// Splitting the input differently must not change what is parsed.
		if (errA == nil) != (errB == nil) || len(a) != len(b) {
			t.Fatalf("one-byte reads: %d events (%v); whole: %d events (%v)", len(a), errA, len(b), errB)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("event %d differs: %+v vs %+v", i, a[i], b[i])
			}
			if strings.ContainsAny(a[i].typ, "\r\n") || strings.ContainsAny(a[i].data, "\r") {
				t.Fatalf("event %d keeps a line end: %+v", i, a[i])
			}
		}
	})
}

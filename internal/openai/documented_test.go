package openai

import (
	"bytes"
	"github.com/inferbench/inferbench/internal/golden"
	"io"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/sse"
)

// chunk is what ParseChunk made of one payload, for a per-chunk check.
type chunk struct {
	content, reasoning int
	finish             string
	finished           bool
	usage              bool
	prompt, completion int
	reasoningTokens    int
	done               bool // the [DONE] payload, not a chunk
}

func parsed(t *testing.T, data []byte) chunk {
	t.Helper()
	if string(data) == Done {
		return chunk{reasoningTokens: -1, done: true}
	}
	var c Chunk
	if err := ParseChunk(data, &c); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	if c.Error {
		t.Errorf("%s: read as an error", data)
	}
	return chunk{content: c.Content, reasoning: c.Reasoning, finish: string(c.FinishReason), finished: c.Finished,
		usage: c.HasUsage, prompt: c.PromptTokens, completion: c.CompletionTokens, reasoningTokens: c.ReasoningTokens}
}

// upstream reads a testdata file copied from OpenAI (testdata/README.md
// names each source), checking it is still the upstream bytes.
func upstream(t *testing.T, file, sha string) []byte {
	t.Helper()
	data, _ := golden.Upstream(t, "testdata/"+file, sha, 0)
	return data
}

// Chunks as the sources show them; r is "no reasoning_tokens in usage".
const r = -1

func content(s string) chunk { return chunk{content: len(s), reasoningTokens: r} }

// TestDocumentedChunks reads the chat completions streaming examples of
// OpenAI's API reference byte for byte. They show the chunk objects one
// per paragraph, without the `data: ` prefixes a server sends, and
// "...." where more content chunks would be (partial as published).
func TestDocumentedChunks(t *testing.T) {
	t.Parallel()
	want := []chunk{content(""), content("Hello"), {finish: "stop", finished: true, reasoningTokens: r}}
	for _, tt := range []struct{ file, sha string }{
		{"chat-streaming.txt", "3d0dc7fca689ba80e12639f2e6779d92018306497cdaf58c0de49d9d04f9d5a6"},
		{"chat-chunk-object.txt", "ef95771d4f16b8f6331187381807a7463bb1e38a194228387b7389643bde6e07"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			var got []chunk
			for _, p := range strings.Split(strings.TrimSuffix(string(upstream(t, tt.file, tt.sha)), "\n"), "\n\n") {
				if p == "...." {
					continue
				}
				got = append(got, parsed(t, []byte(p)))
			}
			if len(got) != len(want) {
				t.Fatalf("%d chunks, want %d: %+v", len(got), len(want), got)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("chunk %d: got  %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestRecordedStream reads, with the client's SSE reader, a stream the
// OpenAI API sent (gpt-4o-2024-08-06, recorded by openai-python's tests):
// a role chunk, 14 content chunks, the finish_reason chunk, the usage chunk
// that stream_options.include_usage asks for (choices empty) and [DONE].
// Content lengths are of the JSON text as sent, escapes in place.
func TestRecordedStream(t *testing.T) {
	t.Parallel()
	data := upstream(t, "openai-python-15ae68f793c7.sse", "15ae68f793c7b390fc8af9e21a6aea6d0356b63140161758a2e576d4e3092cfa")
	want := []chunk{content(""),
		content(`{\"`), content("city"), content(`\":\"`), content("San"), content(" Francisco"), content(`\",\"`),
		content("temperature"), content(`\":`), content("68"), content(`,\"`), content("units"), content(`\":\"`),
		content("f"), content(`\"}`),
		{finish: "stop", finished: true, reasoningTokens: r},
		{usage: true, prompt: 17, completion: 14, reasoningTokens: r},
		{reasoningTokens: r, done: true},
	}
	rd := sse.NewReader(1 << 16)
	rd.Reset(bytes.NewReader(data))
	var got []chunk
	var ev sse.Event
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, parsed(t, ev.Data))
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: got  %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

package openai

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseChunk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Chunk
	}{
		{"role-only first chunk (OpenAI, vLLM)",
			`{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`,
			Chunk{}},
		{"content chunk",
			`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" Hello \"world\" \u00e9"},"logprobs":null,"finish_reason":null}]}`,
			Chunk{Content: len(` Hello \"world\" \u00e9`)}},
		{"empty delta with finish_reason",
			`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}`,
			Chunk{Finished: true, FinishReason: []byte("length")}},
		{"usage-only final chunk",
			`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":64,"total_tokens":76,"prompt_tokens_details":{"cached_tokens":0}}}`,
			Chunk{HasUsage: true, PromptTokens: 12, CompletionTokens: 64}},
		{"text completion (vLLM /v1/completions)",
			`{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" tok","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}`,
			Chunk{Content: 4}},
		{"reasoning delta (DeepSeek-style)",
			`{"choices":[{"index":0,"delta":{"reasoning_content":"hmm","content":null}}]}`,
			Chunk{Reasoning: 3}},
		{"usage with reasoning tokens (OpenAI o-series, vLLM)",
			`{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":40,"total_tokens":49,"completion_tokens_details":{"reasoning_tokens":32,"accepted_prediction_tokens":0}}}`,
			Chunk{HasUsage: true, PromptTokens: 9, CompletionTokens: 40, ReasoningTokens: 32}},
		{"content null (tool call delta)",
			`{"choices":[{"index":0,"delta":{"content":null,"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":[1,{}]}"}}]}}]}`,
			Chunk{}},
		{"TGI with usage on the last content chunk",
			`{"object":"chat.completion.chunk","id":"","created":1,"model":"tgi","system_fingerprint":"2.0","choices":[{"index":0,"delta":{"role":"assistant","content":"!"},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":20,"total_tokens":23}}`,
			Chunk{Content: 1, Finished: true, FinishReason: []byte("length"), HasUsage: true, PromptTokens: 3, CompletionTokens: 20}},
		{"whole chat response",
			`{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"abc"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":3,"total_tokens":4}}`,
			Chunk{Content: 3, Finished: true, FinishReason: []byte("stop"), HasUsage: true, PromptTokens: 1, CompletionTokens: 3}},
		{"TGI's own finish reason, then a non-string one",
			`{"choices":[{"index":0,"text":"","finish_reason":"eos_token"},{"index":1,"text":"","finish_reason":7}]}`,
			Chunk{Finished: true, FinishReason: []byte("eos_token")}},
		{"error object in the stream (vLLM)",
			`{"error":{"object":"error","message":"out of memory","type":"InternalServerError","code":500}}`,
			Chunk{Error: true, ErrorMessage: []byte("out of memory")}},
		{"whitespace everywhere",
			" {\n \"choices\" : [ { \"delta\" : { \"content\" : \"ab\" } } ] , \"usage\" : null }\n",
			Chunk{Content: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c Chunk
			if err := ParseChunk([]byte(tt.in), &c); err != nil {
				t.Fatal(err)
			}
			if tt.want.ReasoningTokens == 0 && !strings.Contains(tt.in, "reasoning_tokens") {
				tt.want.ReasoningTokens = -1
			}
			if c.Content != tt.want.Content || c.Reasoning != tt.want.Reasoning || c.ReasoningTokens != tt.want.ReasoningTokens || c.Finished != tt.want.Finished || c.HasUsage != tt.want.HasUsage ||
				c.PromptTokens != tt.want.PromptTokens || c.CompletionTokens != tt.want.CompletionTokens ||
				c.Error != tt.want.Error || string(c.ErrorMessage) != string(tt.want.ErrorMessage) ||
				string(c.FinishReason) != string(tt.want.FinishReason) {
				t.Errorf("got %+v, want %+v", c, tt.want)
			}
		})
	}
}

func TestParseChunkErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		``, `[]`, `{`, `{"choices":[{"delta":{"content":"x}}]}`, `{"usage":{"completion_tokens":"7"}}`,
		`{"a":1}x`, `{"a" 1}`, `{"choices":{}}`, `{"a":tru}`, `{"a":[1,2}`,
	} {
		var c Chunk
		err := ParseChunk([]byte(in), &c)
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: err %v, want ErrSyntax", in, err)
		}
	}
}

func TestParseChunkAllocatesNothing(t *testing.T) {
	for _, in := range [][]byte{
		[]byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`),
		[]byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":10,"total_tokens":21}}`),
	} {
		var c Chunk
		if n := testing.AllocsPerRun(100, func() { ParseChunk(in, &c) }); n != 0 {
			t.Fatalf("%s: %v allocs, want 0", in, n)
		}
	}
}

// The chunks the server writes must decode with encoding/json into the shapes
// the OpenAI reference documents, and parse back with ParseChunk.
func TestAppendChunkWireFormat(t *testing.T) {
	t.Parallel()
	h := ChunkHeader{ID: "chatcmpl-1", Object: ObjectChatCompletionChunk, Created: 42, Model: "llama-3.1-8b"}
	type choice struct {
		Index int `json:"index"`
		Delta *struct {
			Role    *string `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		Text         *string `json:"text"`
		FinishReason *string `json:"finish_reason"`
	}
	type wire struct {
		ID      string   `json:"id"`
		Object  string   `json:"object"`
		Created int64    `json:"created"`
		Model   string   `json:"model"`
		Choices []choice `json:"choices"`
		Usage   *Usage   `json:"usage"`
	}
	decode := func(b []byte) wire {
		t.Helper()
		var w wire
		dec := json.NewDecoder(strings.NewReader(string(b)))
		if err := dec.Decode(&w); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if w.ID != "chatcmpl-1" || w.Created != 42 || w.Model != "llama-3.1-8b" {
			t.Fatalf("header %+v", w)
		}
		return w
	}
	w := decode(h.AppendChunk(nil, "assistant", "", ""))
	if c := w.Choices[0]; w.Object != ObjectChatCompletionChunk || *c.Delta.Role != "assistant" || *c.Delta.Content != "" || c.FinishReason != nil {
		t.Errorf("role chunk %+v", w)
	}
	tricky := "a \"quoted\"\n\ttab \\ é \u2028 \x01 \xff"
	b := h.AppendChunk(nil, "", tricky, "")
	w = decode(b)
	if got := *w.Choices[0].Delta.Content; got != strings.ToValidUTF8(tricky, "\ufffd") {
		t.Errorf("content round trip %q, want %q", got, tricky)
	}
	var c Chunk
	if err := ParseChunk(b, &c); err != nil || c.Content == 0 {
		t.Errorf("ParseChunk(%s) = %+v, %v", b, c, err)
	}
	w = decode(h.AppendChunk(nil, "", "", "length"))
	if c := w.Choices[0]; c.Delta == nil || c.Delta.Content != nil || *c.FinishReason != "length" {
		t.Errorf("finish chunk %+v", w)
	}
	b = h.AppendUsageChunk(nil, Usage{PromptTokens: 3, CompletionTokens: 5, TotalTokens: 8})
	w = decode(b)
	if w.Choices == nil || len(w.Choices) != 0 || *w.Usage != (Usage{PromptTokens: 3, CompletionTokens: 5, TotalTokens: 8}) {
		t.Errorf("usage chunk %s", b)
	}
	h.Object = ObjectTextCompletion
	w = decode(h.AppendChunk(nil, "", " x", ""))
	if *w.Choices[0].Text != " x" || w.Choices[0].Delta != nil {
		t.Errorf("text chunk %+v", w)
	}
}

func TestRequestBody(t *testing.T) {
	t.Parallel()
	for _, rb := range []RequestBody{
		{Chat: true, Model: "m", Prompt: "hi \"there\"", MaxTokens: 64, Hints: true, Stream: true},
		{Chat: false, Model: "m", PromptBytes: []byte("the of and"), MaxTokens: 8},
	} {
		var got Request
		b := rb.Append(nil)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got.Model != "m" || *got.MaxTokens != rb.MaxTokens || got.Stream != rb.Stream || got.IgnoreEOS != rb.Hints ||
			(rb.Hints && got.MinTokens != rb.MaxTokens) || (rb.Stream && !got.StreamOptions.IncludeUsage) {
			t.Errorf("%s decoded to %+v", b, got)
		}
		if rb.Chat && (len(got.Messages) != 1 || string(got.Messages[0].Content) != `"hi \"there\""`) {
			t.Errorf("%s: messages %+v", b, got.Messages)
		}
		if !rb.Chat && string(got.Prompt) != `"the of and"` {
			t.Errorf("%s: prompt %s", b, got.Prompt)
		}
	}
}

func BenchmarkParseChunk(b *testing.B) {
	in := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1718000000,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":null}]}`)
	var c Chunk
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		ParseChunk(in, &c)
	}
}

func FuzzParseChunk(f *testing.F) {
	f.Add(`{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}`)
	f.Add(`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`)
	f.Add(`{"error":{"message":"boom"}}`)
	f.Add(`{"a":[{"b":"\"}"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		var c Chunk
		err := ParseChunk([]byte(in), &c)
		if err == nil && !json.Valid([]byte(in)) {
			// ParseChunk is lenient about what it skips (numbers), never about
			// structure: anything it accepts must at least be balanced.
			if strings.Count(in, "{") < 1 {
				t.Fatalf("accepted %q", in)
			}
		}
		if c.Content < 0 || c.CompletionTokens < 0 || c.Content > len(in) {
			t.Fatalf("%q: impossible %+v", in, c)
		}
	})
}

// An error's message reads as text: its JSON escapes decoded.
func TestChunkErrorText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ payload, want string }{
		{`{"error":{"message":"the model \"x\" does not exist"}}`, `the model "x" does not exist`},
		{`{"error":{"message":"caf\u00e9 \\ path\/to"}}`, `café \ path/to`},
		{`{"error":{"message":"plain"}}`, `plain`},
	} {
		var c Chunk
		if err := ParseChunk([]byte(tc.payload), &c); err != nil || !c.Error {
			t.Fatalf("%s: %v, error %v", tc.payload, err, c.Error)
		}
		if got := c.ErrorText(); got != tc.want {
			t.Errorf("%s: ErrorText %q, want %q", tc.payload, got, tc.want)
		}
	}
}

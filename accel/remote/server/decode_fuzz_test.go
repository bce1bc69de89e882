package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/noop"
)

// The server the decoder is fuzzed for: small limits, so that short inputs
// reach them.
const (
	fuzzModel      = "llama-3.1-8b"
	fuzzBodyLimit  = 512
	fuzzCap        = 4096
	fuzzDefaultMax = 16
	fuzzContext    = fuzzCap + 4 // a prompt of 5 words and the cap are over it
)

func fuzzServer(tb testing.TB) *Server {
	s, err := New(Config{Backend: noop.Backend{}, Model: fuzzModel, MaxBodyBytes: fuzzBodyLimit, MaxTokensCap: fuzzCap, DefaultMaxTokens: fuzzDefaultMax, ContextTokens: fuzzContext})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// FuzzDecodeRequest feeds the request decoder arbitrary bodies for either
// route, with and without Azure's deployment path. It must never panic,
// must refuse with a 4xx status and a message, and must never accept a
// request that oracle, written apart from it, finds invalid, nor accept one
// with other settings than oracle reads from it. Seeds: f.Add below and
// testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range []string{
		`{"model":"llama-3.1-8b","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"hello"}]}`,
		`{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"a b c"}]}],"max_completion_tokens":4}`,
		`{"messages":[{"role":"assistant","content":null},{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"prompt":"a b","max_tokens":2,"min_tokens":2,"ignore_eos":true}`,
		`{"prompt":["a b","c"],"max_tokens":null}`,
		`{"prompt":"x","max_tokens":4097}`,
		`{"prompt":"x","max_tokens":0}`,
		`{"prompt":"x","min_tokens":-1}`,
		`{"prompt":null}`,
		`{"prompt":[]}`,
		`{"prompt":[null]}`,
		`{"model":"gpt-4","prompt":"x"}`,
		`{"prompt":"x"} {"prompt":"y"}`,
		`{"prompt":"x"}]`,
		`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text"}]}]}`,
		`{"messages":[{"role":"wizard","content":"x"}]}`,
		`{"messages":[null]}`,
		`{"MAX_TOKENS":3,"prompt":"x"}`,
		`{"prompt":"x","max_tokens":1e3}`,
		`null`,
		`[]`,
		``,
		`{"prompt":"` + strings.Repeat("a ", 300) + `"}`,
	} {
		for _, chat := range []bool{true, false} {
			f.Add([]byte(body), chat, false)
		}
	}
	f.Add([]byte(`{"model":"other","messages":[{"role":"user","content":"x"}]}`), true, true)
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte, chat, deployment bool) {
		q, e := s.decode(http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(body)), fuzzBodyLimit), chat, deployment)
		want, reason := oracle(body, chat, deployment)
		if e != nil {
			if e.status < 400 || e.status > 499 || e.msg == "" || e.typ == "" {
				t.Fatalf("refusal %+v: want a 4xx status, a type and a message", e)
			}
			if e.status == http.StatusNotFound && (deployment || want.model == fuzzModel) {
				t.Fatalf("404 %q for model %q (deployment %v)", e.msg, want.model, deployment)
			}
			return
		}
		if reason != "" {
			t.Fatalf("accepted an invalid request (%s): %q", reason, body)
		}
		q.seq, q.arrived = 0, want.arrived
		if q != want {
			t.Fatalf("decoded %+v, oracle reads %+v from %q", q, want, body)
		}
	})
}

// TestDecode is the decoder's known answers: each body's status, and the
// parameter a refusal names; the oracle agrees on every one, so that the
// fuzz target's oracle is known to tell valid from invalid.
func TestDecode(t *testing.T) {
	t.Parallel()
	s := fuzzServer(t)
	for _, tt := range []struct {
		body       string
		chat       bool
		code       int
		param, msg string
		prompt     int
	}{
		{`{"messages":[{"role":"user","content":"a b c"}]}`, true, 0, "", "", 3},
		{`{"messages":[{"role":"assistant","content":null},{"role":"user","content":[{"type":"text","text":"a b"}]}]}`, true, 0, "", "", 2},
		{`{"prompt":["a b","c"],"max_tokens":4096,"min_tokens":4096}`, false, 0, "", "", 3},
		{`{"prompt":"a","max_tokens":null,"stream":null,"model":null}` + "\n\t ", false, 0, "", "", 1},
		{`{"prompt":"x"} {"prompt":"y"}`, false, 400, "", "nothing after it", 0},
		{`{"prompt":"x"}]`, false, 400, "", "nothing after it", 0},
		{`{"prompt":`, false, 400, "", "request body", 0},
		{``, false, 400, "", "request body", 0},
		{`null`, false, 400, "prompt", "want a prompt string", 0},
		{`{"prompt":null}`, false, 400, "prompt", "want a prompt string", 0},
		{`{"prompt":[]}`, false, 400, "prompt", "at least one string", 0},
		{`{"prompt":["a",null]}`, false, 400, "prompt", "[1]: want a string", 0},
		{`{"prompt":"x","max_tokens":4097}`, false, 400, "max_tokens", "cap of 4096", 0},
		{`{"prompt":"a b c d","max_tokens":4096}`, false, 0, "", "", 4},
		{`{"prompt":"a b c d e","max_tokens":4096}`, false, 400, "", "maximum context length is 4100 tokens; this request asks for 4101 (5 of prompt, 4096 of completion)", 0},
		{`{"messages":[{"role":"user","content":"a b c d e"}],"max_completion_tokens":4096}`, true, 400, "", "or max_completion_tokens", 0},
		{`{"prompt":"x","max_completion_tokens":0}`, false, 400, "max_completion_tokens", "max_completion_tokens 0", 0},
		{`{"prompt":"x","max_tokens":1e3}`, false, 400, "", "request body", 0},
		{`{"prompt":"x","min_tokens":-1}`, false, 400, "min_tokens", "min_tokens -1", 0},
		{`{"model":"gpt-4","prompt":"x"}`, false, 404, "model", `"gpt-4" does not exist`, 0},
		{`{"messages":[]}`, true, 400, "messages", "at least one message", 0},
		{`{"messages":[null]}`, true, 400, "messages", `role ""`, 0},
		{`{"messages":[{"role":"wizard","content":"x"}]}`, true, 400, "messages", `role "wizard"`, 0},
		{`{"messages":[{"role":"user"}]}`, true, 400, "messages", "content", 0},
		{`{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, true, 400, "messages", `type "image_url"`, 0},
		{`{"messages":[{"role":"user","content":[{"type":"text"}]}]}`, true, 400, "messages", "want a text string", 0},
		{`{"prompt":"` + strings.Repeat("a ", 300) + `"}`, false, 413, "", "limit of 512 bytes", 0},
	} {
		q, e := s.decode(http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(tt.body)), fuzzBodyLimit), tt.chat, false)
		_, reason := oracle([]byte(tt.body), tt.chat, false)
		switch {
		case tt.code == 0 && (e != nil || q.promptTokens != tt.prompt):
			t.Errorf("%s: %v, %d prompt tokens; want accepted with %d", tt.body, e, q.promptTokens, tt.prompt)
		case tt.code != 0 && (e == nil || e.status != tt.code || e.param != tt.param || !strings.Contains(e.msg, tt.msg)):
			t.Errorf("%s: %+v; want %d naming %q with %q", tt.body, e, tt.code, tt.param, tt.msg)
		case (reason == "") != (tt.code == 0):
			t.Errorf("%s: the oracle says %q", tt.body, reason)
		}
	}
}

// oracle is what a request body asks for, read without the decoder's code:
// json.Valid for the whole body (one value, nothing after it), then loosely
// typed fields (any, or raw JSON for what nests), each checked by hand. It
// returns why the body is invalid, or "". Field names match as
// encoding/json matches a struct's (case-insensitively, the last match
// winning), which is not what is under test here.
func oracle(body []byte, chat, deployment bool) (request, string) {
	q := request{chat: chat, model: fuzzModel, maxTokens: fuzzDefaultMax}
	if len(body) > fuzzBodyLimit {
		return q, "over the body limit"
	}
	if !json.Valid(body) {
		return q, "not one JSON value"
	}
	if !isObject(body) {
		return q, "not a JSON object"
	}
	var v struct {
		Model               any             `json:"model"`
		Messages            json.RawMessage `json:"messages"`
		Prompt              any             `json:"prompt"`
		MaxTokens           any             `json:"max_tokens"`
		MaxCompletionTokens any             `json:"max_completion_tokens"`
		MinTokens           any             `json:"min_tokens"`
		IgnoreEOS           any             `json:"ignore_eos"`
		Stream              any             `json:"stream"`
		StreamOptions       json.RawMessage `json:"stream_options"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return q, "undecodable"
	}
	var ok bool
	if v.Model != nil {
		if q.model, ok = v.Model.(string); !ok {
			return q, "model is not a string"
		}
		if q.model != "" && q.model != fuzzModel && !deployment {
			return q, "another model"
		}
		if q.model == "" || deployment {
			q.model = fuzzModel
		}
	}
	if v.Stream != nil {
		if q.stream, ok = v.Stream.(bool); !ok {
			return q, "stream is not a boolean"
		}
	}
	if v.IgnoreEOS != nil {
		if _, ok := v.IgnoreEOS.(bool); !ok {
			return q, "ignore_eos is not a boolean"
		}
	}
	if !isNull(v.StreamOptions) {
		var o struct {
			IncludeUsage any `json:"include_usage"`
		}
		if !isObject(v.StreamOptions) || json.Unmarshal(v.StreamOptions, &o) != nil {
			return q, "stream_options is not an object"
		}
		if o.IncludeUsage != nil {
			if q.usage, ok = o.IncludeUsage.(bool); !ok {
				return q, "include_usage is not a boolean"
			}
		}
	}
	asInt := func(x any) (int, bool) {
		n, ok := x.(json.Number)
		if !ok {
			return 0, false
		}
		i, err := strconv.Atoi(string(n))
		return i, err == nil
	}
	if v.MaxTokens != nil {
		if q.maxTokens, ok = asInt(v.MaxTokens); !ok {
			return q, "max_tokens is not an integer"
		}
	}
	if v.MaxCompletionTokens != nil {
		if q.maxTokens, ok = asInt(v.MaxCompletionTokens); !ok {
			return q, "max_completion_tokens is not an integer"
		}
	}
	if q.maxTokens < 1 || q.maxTokens > fuzzCap {
		return q, "max tokens outside 1 to the cap"
	}
	if v.MinTokens != nil {
		m, ok := asInt(v.MinTokens)
		if !ok || m < 0 || m > q.maxTokens {
			return q, "min_tokens not from 0 to max tokens"
		}
	}
	words := func(s string) int {
		return len(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }))
	}
	if !chat {
		switch p := v.Prompt.(type) {
		case string:
			q.promptTokens = words(p)
		case []any:
			if len(p) == 0 {
				return q, "an empty prompt array"
			}
			for _, x := range p {
				s, ok := x.(string)
				if !ok {
					return q, "a prompt that is not a string"
				}
				q.promptTokens += words(s)
			}
		default:
			return q, "no prompt"
		}
		return q, overContext(q)
	}
	var msgs []json.RawMessage
	if isNull(v.Messages) || json.Unmarshal(v.Messages, &msgs) != nil || len(msgs) == 0 {
		return q, "no messages"
	}
	for _, raw := range msgs {
		var m struct {
			Role    any             `json:"role"`
			Content json.RawMessage `json:"content"`
		}
		if !isObject(raw) || json.Unmarshal(raw, &m) != nil {
			return q, "a message is not an object"
		}
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool", "function":
		default:
			return q, "unknown role"
		}
		var content any
		if !isNull(m.Content) {
			json.Unmarshal(m.Content, &content)
		}
		switch c := content.(type) {
		case nil:
			if m.Role != "assistant" {
				return q, "no content"
			}
		case string:
			q.promptTokens += words(c)
		case []any:
			var parts []json.RawMessage
			json.Unmarshal(m.Content, &parts)
			for _, raw := range parts {
				var p struct {
					Type any `json:"type"`
					Text any `json:"text"`
				}
				if !isObject(raw) || json.Unmarshal(raw, &p) != nil || p.Type != "text" {
					return q, "a content part is not text"
				}
				text, ok := p.Text.(string)
				if !ok {
					return q, "a text part has no text"
				}
				q.promptTokens += words(text)
			}
		default:
			return q, "content is neither a string nor parts"
		}
	}
	return q, overContext(q)
}

// overContext says why q is longer than the model's context, or "".
func overContext(q request) string {
	if q.promptTokens+q.maxTokens > fuzzContext {
		return "prompt and completion over the context"
	}
	return ""
}

// isObject reports whether raw JSON is an object.
func isObject(raw []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{"))
}

// BenchmarkDecode is the decoder's cost for the body inferbench run sends
// (chat, streamed, 128 prompt words): part of every request's time to first
// token as served.
func BenchmarkDecode(b *testing.B) {
	s := fuzzServer(b)
	s.cfg.MaxBodyBytes = DefaultMaxBodyBytes
	body := []byte(`{"model":"llama-3.1-8b","messages":[{"role":"user","content":"` + strings.Repeat("w ", 128) +
		`"}],"max_tokens":64,"min_tokens":64,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`)
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		if _, e := s.decode(io.NopCloser(rd), true, false); e != nil {
			b.Fatal(e)
		}
	}
}

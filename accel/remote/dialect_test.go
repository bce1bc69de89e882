package remote_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
)

// TestDocumentedStreams: inferbench's client reads the streams the
// providers' documentation shows, byte for byte (internal/anthropic and
// internal/responses keep them), into the right counts, and sends what
// each API asks for.
func TestDocumentedStreams(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, file, path string
		cfg              remote.Config
		wantHeader       map[string]string
		wantBody         []string // keys the request body must have
		want             accel.Result
		wantText         bool // an answer text came after reasoning
	}{
		{"anthropic basic", "../../internal/anthropic/testdata/basic.sse", "/v1/messages",
			remote.Config{Dialect: remote.DialectAnthropic, APIKey: "sk-ant-test"},
			map[string]string{"X-Api-Key": "sk-ant-test", "Anthropic-Version": "2023-06-01", "Authorization": ""},
			[]string{"model", "max_tokens", "messages", "stream"},
			accel.Result{OutputTokens: 15, Counted: accel.CountedUsage, InputTokens: 25, FinishReason: accel.FinishStop}, false},
		{"anthropic thinking", "../../internal/anthropic/testdata/thinking.sse", "/v1/messages",
			remote.Config{Dialect: remote.DialectAnthropic},
			map[string]string{"Anthropic-Version": "2023-06-01"}, nil,
			// No usage in the guide's thinking example: one token per chunk.
			accel.Result{OutputTokens: 3, Counted: accel.CountedChunks, ReasoningTokens: 2, FinishReason: accel.FinishStop}, true},
		{"responses basic", "../../internal/responses/testdata/basic.sse", "/v1/responses",
			remote.Config{API: remote.APIResponses, APIKey: "sk-test"},
			map[string]string{"Authorization": "Bearer sk-test"},
			[]string{"model", "input", "max_output_tokens", "stream"},
			accel.Result{OutputTokens: 11, Counted: accel.CountedUsage, InputTokens: 37, FinishReason: accel.FinishStop, NoTokenTimes: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			ts := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tt.path {
					http.Error(w, "wrong path "+r.URL.Path, http.StatusNotFound)
					return
				}
				for k, v := range tt.wantHeader {
					if got := r.Header.Get(k); got != v {
						t.Errorf("header %s %q, want %q", k, got, v)
					}
				}
				var body map[string]any
				if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
					t.Errorf("request body: %v", err)
				}
				for _, k := range tt.wantBody {
					if _, ok := body[k]; !ok {
						t.Errorf("request body %v has no %q", body, k)
					}
				}
				w.Header().Set("Content-Type", "text/event-stream")
				w.Write(stream)
			})
			b := open(t, ts.URL+"/v1", tt.cfg)
			res := accel.Result{}
			req := accel.Request{Seq: 1, InputTokens: 16, OutputTokens: 64}
			if err := b.Infer(context.Background(), &req, &res); err != nil {
				t.Fatal(err)
			}
			got := res
			got.TTFT, got.TTFO, got.Latency = 0, 0, 0
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if tt.wantText && !(res.TTFT <= res.TTFO && res.TTFO <= res.Latency && res.TTFO > 0) {
				t.Errorf("TTFT %v, TTFO %v, latency %v: want TTFT <= TTFO <= latency", res.TTFT, res.TTFO, res.Latency)
			}
			if b.Info().Extra["dialect"] != string(tt.cfg.Dialect) && tt.cfg.Dialect != "" {
				t.Errorf("info dialect %q", b.Info().Extra["dialect"])
			}
		})
	}
}

// TestReasoningTimes knows the answer: each wire format's server sends 4
// reasoning chunks, waits 30 ms, then 4 answer chunks, so the first output
// text comes at least 30 ms after the first token, reasoning is counted
// apart (from usage where the format reports it), and every chunk's gap is
// recorded.
func TestReasoningTimes(t *testing.T) {
	t.Parallel()
	const pause = 30 * time.Millisecond
	type wire struct {
		path          string
		cfg           remote.Config
		head          string
		reason, text  func(i int) string
		tail          string
		wantReasoning int
	}
	for name, wf := range map[string]wire{
		"chat": {"/v1/chat/completions", remote.Config{},
			`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}` + "\n\n",
			func(int) string { return `data: {"choices":[{"index":0,"delta":{"reasoning_content":"hm"}}]}` + "\n\n" },
			func(int) string { return `data: {"choices":[{"index":0,"delta":{"content":"ok"}}]}` + "\n\n" },
			`data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}` + "\n\n" +
				`data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":8,"completion_tokens_details":{"reasoning_tokens":4}}}` + "\n\ndata: [DONE]\n\n", 4},
		"responses": {"/v1/responses", remote.Config{API: remote.APIResponses},
			"event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"status\":\"in_progress\",\"usage\":null}}\n\n",
			func(int) string {
				return "event: response.reasoning_text.delta\ndata: {\"type\":\"response.reasoning_text.delta\",\"delta\":\"hm\"}\n\n"
			},
			func(int) string {
				return "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"ok\"}\n\n"
			},
			"event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":{\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"usage\":{\"input_tokens\":5,\"output_tokens\":8,\"output_tokens_details\":{\"reasoning_tokens\":4}}}}\n\n", 4},
		"anthropic": {"/v1/messages", remote.Config{Dialect: remote.DialectAnthropic},
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n",
			func(int) string {
				return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}\n\n"
			},
			func(int) string {
				return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\n"
			},
			"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":8}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", 4},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != wf.path {
					http.Error(w, "wrong path", http.StatusNotFound)
					return
				}
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "text/event-stream")
				rc := http.NewResponseController(w)
				io.WriteString(w, wf.head)
				for i := range 4 {
					io.WriteString(w, wf.reason(i))
					rc.Flush()
					time.Sleep(time.Millisecond)
				}
				time.Sleep(pause)
				for i := range 4 {
					io.WriteString(w, wf.text(i))
					rc.Flush()
					time.Sleep(time.Millisecond)
				}
				io.WriteString(w, wf.tail)
			})
			b := open(t, ts.URL+"/v1", wf.cfg)
			var g gaps
			res := accel.Result{Gaps: &g}
			req := accel.Request{Seq: 1, InputTokens: 5, OutputTokens: 8}
			if err := b.Infer(context.Background(), &req, &res); err != nil {
				t.Fatal(err)
			}
			if res.TTFO-res.TTFT < pause {
				t.Errorf("TTFT %v, TTFO %v: want TTFO at least %v later", res.TTFT, res.TTFO, pause)
			}
			if res.OutputTokens != 8 || res.Counted != accel.CountedUsage || res.ReasoningTokens != wf.wantReasoning ||
				res.InputTokens != 5 || res.FinishReason != accel.FinishLength || len(g.d) != 7 {
				t.Errorf("got %+v with %d gaps; want 8 tokens from usage, %d reasoning, 5 in, length, 7 gaps", res, len(g.d), wf.wantReasoning)
			}
		})
	}
}

// TestDialectErrors: an error event mid-stream is the server's error
// (http_5xx) with its message, and a refused combination names the flag.
func TestDialectErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, stream, want string }{
		{"anthropic", "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\nevent: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n", "overloaded_error: Overloaded"},
		{"responses", "data: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"The model failed\"}}}\n\n", "The model failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, tc.stream)
			})
			cfg := remote.Config{Dialect: remote.DialectAnthropic}
			if tc.name == "responses" {
				cfg = remote.Config{API: remote.APIResponses}
			}
			b := open(t, ts.URL+"/v1", cfg)
			var res accel.Result
			err := b.Infer(context.Background(), &accel.Request{OutputTokens: 4}, &res)
			if accel.ClassOf(err) != accel.ClassHTTP5xx || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v (class %s), want http_5xx with %q", err, accel.ClassOf(err), tc.want)
			}
		})
	}
	for _, tc := range []struct {
		cfg  remote.Config
		want string
	}{
		{remote.Config{Dialect: remote.DialectAnthropic, API: remote.APICompletions}, `api "completions": the anthropic dialect has one API`},
		{remote.Config{API: remote.APIResponses, NoStream: true}, "stream false: the responses API"},
		{remote.Config{API: "embeddings"}, `api "embeddings": want chat, completions or responses`},
		{remote.Config{Dialect: "vertex"}, `dialect "vertex": want openai, azure, anthropic, bedrock, sagemaker or auto`},
	} {
		c := tc.cfg.WithDefaults()
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// TestServeDialects: the client and `inferbench serve` agree on every wire
// format, key included: the tokens asked for come back, counted from usage,
// with the prompt's length and the stop reason.
func TestServeDialects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dialect string
		cfg     remote.Config
	}{
		{server.DialectOpenAI, remote.Config{}},
		{server.DialectResponses, remote.Config{API: remote.APIResponses}},
		{server.DialectAnthropic, remote.Config{Dialect: remote.DialectAnthropic}},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			t.Parallel()
			ts := servertest.Start(t, server.Config{Dialect: tc.dialect, APIKey: "sk-serve-1234"})
			tc.cfg.APIKey = "sk-serve-1234"
			for _, tr := range transports {
				b := open(t, ts.URL, with(tc.cfg, tr))
				var g gaps
				res := accel.Result{Gaps: &g}
				req := accel.Request{Seq: 2, InputTokens: 24, OutputTokens: 16}
				if err := b.Infer(context.Background(), &req, &res); err != nil {
					t.Fatalf("%s: %v", tr, err)
				}
				if res.OutputTokens != 16 || res.Counted != accel.CountedUsage || res.InputTokens < 24 ||
					res.FinishReason != accel.FinishLength || len(g.d) != 15 || res.TTFO != res.TTFT || res.ReasoningTokens != 0 {
					t.Errorf("%s: %+v with %d gaps; want 16 tokens from usage, at least 24 in, length, 15 gaps, TTFO = TTFT", tr, res, len(g.d))
				}
			}
			// A wrong key is http_4xx with the server's message, the key masked.
			bad := tc.cfg
			bad.APIKey = "sk-wrong-9876"
			b := open(t, ts.URL, bad)
			var res accel.Result
			err := b.Infer(context.Background(), &accel.Request{InputTokens: 4, OutputTokens: 2}, &res)
			if accel.ClassOf(err) != accel.ClassHTTP4xx || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "sk-wrong-9876") {
				t.Errorf("wrong key: %v (class %s), want http_4xx naming 401 without the key", err, accel.ClassOf(err))
			}
		})
	}
}

// TestWrongKeyNoRetryStorm: once the endpoint refuses the credentials, the
// backend sends nothing more: each later request fails at once with the
// same message (which names the key's variable, not the key), so a wrong
// key costs one request, and the run's fail-fast rule ends it (exit 1).
func TestWrongKeyNoRetryStorm(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	ts := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key sk-ant-wrong-5555"}}`)
	})
	b := open(t, ts.URL, remote.Config{Dialect: remote.DialectAnthropic, APIKey: "sk-ant-wrong-5555", APIKeyEnv: "ANTHROPIC_API_KEY"})
	for i := range 10 {
		var res accel.Result
		err := b.Infer(context.Background(), &accel.Request{Seq: uint64(i), InputTokens: 4, OutputTokens: 2}, &res)
		if accel.ClassOf(err) != accel.ClassHTTP4xx || !strings.Contains(err.Error(), "credentials refused: HTTP 401") ||
			!strings.Contains(err.Error(), "$ANTHROPIC_API_KEY") || strings.Contains(err.Error(), "sk-ant-wrong-5555") {
			t.Fatalf("request %d: %v (class %s)", i, err, accel.ClassOf(err))
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests reached the server, want 1", n)
	}
}

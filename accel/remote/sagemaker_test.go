package remote_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
)

// sageMakerServer answers InvokeEndpointWithResponseStream with the
// container stream cut into PayloadPart frames every cut bytes (so pieces
// split lines, as SageMaker's do), after checking the request is signed for
// sagemaker and shaped as TGI and LMI take it: a generate body, or with
// chat a chat-completions one.
func sageMakerServer(t *testing.T, container string, cut int) string {
	return sageMakerServerFor(t, container, cut, false)
}

func sageMakerServerFor(t *testing.T, container string, cut int, chat bool) string {
	t.Helper()
	ts := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/endpoints/my-llama/invocations-response-stream" {
			http.Error(w, "wrong path "+r.URL.Path, http.StatusNotFound)
			return
		}
		if a := r.Header.Get("Authorization"); !strings.Contains(a, "/us-west-2/sagemaker/aws4_request") {
			t.Errorf("Authorization %q: want SigV4 for sagemaker in us-west-2", a)
		}
		var body struct {
			Inputs     string `json:"inputs"`
			Parameters struct {
				MaxNewTokens int  `json:"max_new_tokens"`
				Details      bool `json:"details"`
			} `json:"parameters"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
			Model         *string `json:"model"`
			MaxTokens     int     `json:"max_tokens"`
			StreamOptions struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
			Stream bool `json:"stream"`
		}
		err := json.NewDecoder(r.Body).Decode(&body)
		switch {
		case chat && (err != nil || len(body.Messages) != 1 || body.Messages[0].Role != "user" || body.Messages[0].Content == "" ||
			body.Model != nil || body.MaxTokens != 4 || !body.StreamOptions.IncludeUsage || !body.Stream || body.Inputs != ""):
			t.Errorf("chat request body %+v, %v: want one user message, max_tokens 4, the usage asked for, no model", body, err)
		case !chat && (err != nil || body.Inputs == "" || body.Parameters.MaxNewTokens != 4 || !body.Parameters.Details || !body.Stream || body.Messages != nil):
			t.Errorf("generate request body %+v, %v", body, err)
		}
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		enc := eventstream.NewEncoder()
		for i := 0; i < len(container); i += cut {
			var hs eventstream.Headers
			hs.Set(":event-type", eventstream.StringValue("PayloadPart"))
			hs.Set(":content-type", eventstream.StringValue("application/octet-stream"))
			hs.Set(":message-type", eventstream.StringValue("event"))
			var b bytes.Buffer
			enc.Encode(&b, eventstream.Message{Headers: hs, Payload: []byte(container[i:min(i+cut, len(container))])})
			w.Write(b.Bytes())
			w.(http.Flusher).Flush()
		}
	})
	return ts.URL
}

// TestSageMakerContainers: TGI's server-sent events and LMI's JSON lines,
// cut anywhere, read into the same counts; TGI's final details give the
// generated tokens and why it stopped, and its special end token is no
// output text.
func TestSageMakerContainers(t *testing.T) {
	t.Parallel()
	tok := func(i int, text string, special bool) string {
		return fmt.Sprintf(`{"token":{"id":%d,"text":%q,"logprob":-0.5,"special":%v},"generated_text":null,"details":null}`, i, text, special)
	}
	tgi := "data:" + tok(1, " The", false) + "\n\n" + "data:" + tok(2, " quick", false) + "\n\n" + "data:" + tok(3, " brown", false) + "\n\n" +
		`data:{"token":{"id":4,"text":" fox","logprob":-0.1,"special":false},"generated_text":" The quick brown fox","details":{"finish_reason":"length","generated_tokens":4,"seed":null}}` + "\n\n"
	lmi := `{"token":{"id":1,"text":" The","log_prob":-0.5},"generated_text":null,"details":null}` + "\n" +
		`{"token":{"id":2,"text":" quick","log_prob":-0.5},"generated_text":null,"details":null}` + "\n" +
		`{"token":{"id":3,"text":" brown","log_prob":-0.5},"generated_text":null,"details":null}` + "\n" +
		`{"token":{"id":4,"text":" fox","log_prob":-0.5},"generated_text":" The quick brown fox","details":{"finish_reason":"length","generated_tokens":4,"inputs":"x"}}` + "\n"
	tgiEOS := "data:" + tok(1, " The", false) + "\n\n" + "data:" + tok(2, " end", false) + "\n\n" +
		`data:{"token":{"id":2,"text":"</s>","logprob":0,"special":true},"generated_text":" The end","details":{"finish_reason":"eos_token","generated_tokens":3,"seed":null}}` + "\n\n"
	for _, tc := range []struct {
		name, stream string
		cut          int
		want         accel.Result
		gaps         int
	}{
		{"tgi whole lines", tgi, 1 << 20, accel.Result{OutputTokens: 4, Counted: accel.CountedUsage, FinishReason: accel.FinishLength}, 3},
		{"tgi cut every 7 bytes", tgi, 7, accel.Result{OutputTokens: 4, Counted: accel.CountedUsage, FinishReason: accel.FinishLength}, 3},
		{"lmi cut every 13 bytes", lmi, 13, accel.Result{OutputTokens: 4, Counted: accel.CountedUsage, FinishReason: accel.FinishLength}, 3},
		{"tgi end of sequence", tgiEOS, 50, accel.Result{OutputTokens: 3, Counted: accel.CountedUsage, FinishReason: accel.FinishStop}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := sageMakerServer(t, tc.stream, tc.cut)
			cfg := bedrockConfig(testAKID)
			cfg.Dialect, cfg.Region = remote.DialectSageMaker, "us-west-2"
			spec := cfg
			b := openModel(t, url, spec, "my-llama")
			var g gaps
			res := accel.Result{Gaps: &g}
			if err := b.Infer(context.Background(), &accel.Request{InputTokens: 8, OutputTokens: 4}, &res); err != nil {
				t.Fatal(err)
			}
			got := res
			got.TTFT, got.TTFO, got.Latency, got.Gaps = 0, 0, 0, nil
			if got != tc.want || len(g.d) != tc.gaps || res.TTFO != res.TTFT {
				t.Errorf("got %+v with %d gaps, want %+v with %d", got, len(g.d), tc.want, tc.gaps)
			}
		})
	}
}

// openModel is open with a model (a SageMaker endpoint name) of its own.
func openModel(t *testing.T, url string, cfg remote.Config, model string) *remote.Backend {
	t.Helper()
	spec, err := accel.ParseSpec(url)
	if err != nil {
		t.Fatal(err)
	}
	b, err := remote.Opener{Config: cfg}.Open(spec, accel.Options{Model: model, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.(*remote.Backend)
}

func sageMakerConfig() remote.Config {
	cfg := bedrockConfig(testAKID)
	cfg.Dialect = remote.DialectSageMaker
	return cfg
}

// TestSageMakerFromServe: serve's sagemaker dialect and the client agree:
// TGI's lines in PayloadPart frames, the count from its details, a wrong
// access key refused once.
func TestSageMakerFromServe(t *testing.T) {
	t.Parallel()
	ts := servertest.Start(t, server.Config{Dialect: server.DialectSageMaker, APIKey: testAKID})
	b := open(t, ts.URL, sageMakerConfig())
	var g gaps
	res := accel.Result{Gaps: &g}
	if err := b.Infer(context.Background(), &accel.Request{InputTokens: 12, OutputTokens: 9}, &res); err != nil {
		t.Fatal(err)
	}
	if res.OutputTokens != 9 || res.Counted != accel.CountedUsage || res.FinishReason != accel.FinishLength || len(g.d) != 8 {
		t.Errorf("%+v with %d gaps; want 9 tokens from details, length, 8 gaps", res, len(g.d))
	}
	cfg := sageMakerConfig()
	cfg.AWSCredentials = credentials.NewStaticCredentialsProvider("AKIDOTHER", testSecret, "")
	bad := open(t, ts.URL, cfg)
	err := bad.Infer(context.Background(), &accel.Request{InputTokens: 2, OutputTokens: 2}, &res)
	if accel.ClassOf(err) != accel.ClassHTTP4xx || !strings.Contains(err.Error(), "credentials refused: HTTP 403") {
		t.Errorf("wrong key: %v", err)
	}
}

// The containers' documented streams (see internal/awsstream's tests for
// where each line is from and which are verbatim): LMI's JSON lines, its
// SSE form, and its chat chunks as bare lines.
const (
	lmiDocLines = `{"token": {"id": 304, "text": "Deep ", "log_prob": -0.052432529628276825}}` + "\n" +
		`{"token": {"id": 11157, "text": " Learning", "log_prob": -1.2865009307861328}}` + "\n" +
		`{"token": {"id": 278, "text": " is", "log_prob": -0.007458459585905075}}` + "\n" +
		`{"token": {"id": 5972, "text": " field.", "log_prob": -0.6950479745864868}, "generated_text": "Deep Learning is a really cool field.", "details": {"finish_reason": "length", "generated_tokens": 100, "inputs": "What is Deep Learning?"}}` + "\n"
	lmiDocSSE = `data:{"token": {"id": 304, "text": "Deep ", "log_prob": -0.052432529628276825}}` + "\n" +
		`data:{"token": {"id": 11157, "text": " Learning", "log_prob": -1.2865009307861328}}` + "\n" +
		`data:{"token": {"id": 278, "text": " is", "log_prob": -0.007458459585905075}}` + "\n"
	lmiDocChat = `{"id": "chatcmpl-0", "object": "chat.completion.chunk", "created": 1712792433, "choices": [{"index": 0, "delta": {"content": " Oh", "role": "assistant"}, "logprobs": [{"content": [{"token": " Oh", "logprob": -4.499478340148926, "bytes": [32, 79, 104], "top_logprobs": [{"token": -4.499478340148926, "logprob": -4.499478340148926, "bytes": [32, 79, 104]}]}]}], "finish_reason": null}]}` + "\n" +
		`{"id": "chatcmpl-0", "object": "chat.completion.chunk", "created": 1712792436, "choices": [{"index": 0, "delta": {"content": " assist"}, "logprobs": [{"content": [{"token": " assist", "logprob": -1.019672155380249, "bytes": [32, 97, 115, 115, 105, 115, 116], "top_logprobs": [{"token": -1.019672155380249, "logprob": -1.019672155380249, "bytes": [32, 97, 115, 115, 105, 115, 116]}]}]}], "finish_reason": "length"}]}` + "\n"
	// vLLM's chat stream as vllm/entrypoints/openai/serving_chat.py (at
	// 99c5632fc2d252a6f25afa76347df392eb898c42) frames it, `data: ` and a
	// blank line, then `data: [DONE]`; the chunks written from its
	// protocol, not verbatim: the role, a reasoning delta, the answer with
	// its finish reason, the usage stream_options asks for.
	vllmChat = `data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		`data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"Hmm"},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		`data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[{"index":0,"delta":{"content":" Hi"},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}` + "\n\n" +
		`data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[],"usage":{"prompt_tokens":9,"total_tokens":12,"completion_tokens":3}}` + "\n\n" +
		"data: [DONE]\n\n"
	// The same with the usage's reasoning count (vLLM's
	// completion_tokens_details when its reasoning parser is on): 2 of the
	// 3 tokens were reasoning, though one reasoning chunk came.
	vllmChatReasoningUsage = `data: {"id":"chatcmpl-8","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"Hmm, ok"},"logprobs":null,"finish_reason":null}]}` + "\n\n" +
		`data: {"id":"chatcmpl-8","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[{"index":0,"delta":{"content":" Hi"},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}` + "\n\n" +
		`data: {"id":"chatcmpl-8","object":"chat.completion.chunk","created":1733000000,"model":"m","choices":[],"usage":{"prompt_tokens":9,"total_tokens":12,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":2}}}` + "\n\n" +
		"data: [DONE]\n\n"
	lmiDocError = `{"token": {"id": 304, "text": "Deep ", "log_prob": -0.052432529628276825}}` + "\n" +
		`{"token": {"id": -1, "text": "", "log_prob": -1, "special_token": true}, "generated_text": "", "details": {"finish_reason": "error", "generated_tokens": null, "inputs": null}}` + "\n"
)

// TestSageMakerDocumentedStreams: the LMI container's streams as its
// documentation prints them, and vLLM's chat stream, cut anywhere, read by
// the client with either body: the count from details or the usage where
// the container sends them (100, LMI's example's, though 4 lines came),
// else the chunks; the prompt count from the usage; reasoning counted
// apart; a failure line is a failed request, not a short answer.
func TestSageMakerDocumentedStreams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stream string
		chat         bool
		want         accel.Result
		gaps         int
		err          string
	}{
		{"lmi json lines", lmiDocLines, false, accel.Result{OutputTokens: 100, Counted: accel.CountedUsage, FinishReason: accel.FinishLength}, 3, ""},
		{"lmi sse, no details", lmiDocSSE, false, accel.Result{OutputTokens: 3, Counted: accel.CountedChunks}, 2, ""},
		{"lmi chat lines", lmiDocChat, true, accel.Result{OutputTokens: 2, Counted: accel.CountedChunks, FinishReason: accel.FinishLength}, 1, ""},
		{"vllm chat sse", vllmChat, true, accel.Result{OutputTokens: 3, Counted: accel.CountedUsage, InputTokens: 9, FinishReason: accel.FinishStop, ReasoningTokens: 1}, 1, ""},
		{"vllm chat sse, reasoning in usage", vllmChatReasoningUsage, true, accel.Result{OutputTokens: 3, Counted: accel.CountedUsage, InputTokens: 9, FinishReason: accel.FinishStop, ReasoningTokens: 2}, 1, ""},
		{"lmi error line", lmiDocError, false, accel.Result{}, 0, `container error in stream: generation failed: details.finish_reason "error"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := sageMakerServerFor(t, tc.stream, 11, tc.chat)
			cfg := sageMakerConfig()
			cfg.Region = "us-west-2"
			if tc.chat {
				cfg.SageMakerBody = remote.SageMakerBodyChat
			}
			b := openModel(t, url, cfg, "my-llama")
			var g gaps
			res := accel.Result{Gaps: &g}
			err := b.Infer(context.Background(), &accel.Request{InputTokens: 8, OutputTokens: 4}, &res)
			if tc.err != "" {
				if err == nil || accel.ClassOf(err) != accel.ClassHTTP5xx || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want http_5xx %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := res
			got.TTFT, got.TTFO, got.Latency, got.Gaps, got.NoTokenTimes = 0, 0, 0, nil, false
			if got != tc.want || len(g.d) != tc.gaps {
				t.Errorf("got %+v with %d gaps, want %+v with %d", got, len(g.d), tc.want, tc.gaps)
			}
		})
	}
}

// TestSageMakerServeContainers is the single-stream known answer for every
// container and body serve's sagemaker dialect answers in: with a fixed
// 40 ms first token and 8 ms per token, TTFT p50 reads 40 ms and TPOT p50
// 8 ms (within 2 ms and 1 ms, late by a busy machine's scheduling at most,
// as in TestKnownAnswerEveryDialect), 16 tokens with 15 gaps, the length
// finish, and the counts from where each stream reports them: TGI's
// details (with input_length) and its chat usage, LMI's details, and LMI's
// chat chunks, which carry no usage.
func TestSageMakerServeContainers(t *testing.T) {
	if testing.Short() {
		t.Skip("about 1.5 s of paced streams")
	}
	const (
		ttft, tpot = 40 * time.Millisecond, 8 * time.Millisecond
		out, in    = 16, 12
	)
	for _, tc := range []struct {
		container, body string
		counted         accel.TokenCount
		input           int
	}{
		{server.SageMakerTGI, remote.SageMakerBodyTGI, accel.CountedUsage, in},
		{server.SageMakerTGI, remote.SageMakerBodyChat, accel.CountedUsage, in},
		{server.SageMakerLMI, remote.SageMakerBodyTGI, accel.CountedUsage, 0},
		{server.SageMakerLMI, remote.SageMakerBodyChat, accel.CountedChunks, 0},
	} {
		t.Run(tc.container+" "+tc.body, func(t *testing.T) {
			t.Parallel()
			paced := server.NewPaced(accel.Info{ID: "fixed"}, func(in, out int) (server.Timing, error) {
				return server.Timing{TTFT: ttft, TPOT: tpot}, nil
			})
			t.Cleanup(func() { paced.Close() })
			ts := servertest.Start(t, server.Config{Backend: paced, Dialect: server.DialectSageMaker, SageMakerContainer: tc.container})
			cfg := sageMakerConfig()
			cfg.SageMakerBody = tc.body
			b := open(t, ts.URL, cfg)
			var ttfts, tpots []time.Duration
			for i := range 5 {
				var g gaps
				res := accel.Result{Gaps: &g}
				if err := b.Infer(context.Background(), &accel.Request{Seq: uint64(i), InputTokens: in, OutputTokens: out}, &res); err != nil {
					t.Fatal(err)
				}
				if res.OutputTokens != out || res.Counted != tc.counted || res.InputTokens != tc.input || res.FinishReason != accel.FinishLength ||
					len(g.d) != out-1 || res.TTFO != res.TTFT {
					t.Fatalf("%+v with %d gaps; want %d tokens (%s), %d in, length, %d gaps", res, len(g.d), out, tc.counted, tc.input, out-1)
				}
				ttfts, tpots = append(ttfts, res.TTFT), append(tpots, (res.Latency-res.TTFT)/(out-1))
			}
			slices.Sort(ttfts)
			slices.Sort(tpots)
			t.Logf("TTFT p50 %v (all %v), TPOT p50 %v", ttfts[2], ttfts, tpots[2])
			if d := ttfts[2] - ttft; d < -2*time.Millisecond || d > 2*time.Millisecond+busy {
				t.Errorf("TTFT p50 %v, want %v", ttfts[2], ttft)
			}
			if d := tpots[2] - tpot; d < -time.Millisecond || d > time.Millisecond+busy/10 {
				t.Errorf("TPOT p50 %v, want %v", tpots[2], tpot)
			}
		})
	}
}

// TestSageMakerServeReasoning: serve's reasoning tokens come through TGI's
// chat stream as reasoning_content, counted apart, and the answer's first
// token (TTFO) comes after them: 40 + 6·8 = 88 ms.
func TestSageMakerServeReasoning(t *testing.T) {
	if testing.Short() {
		t.Skip("paced streams")
	}
	paced := server.NewPaced(accel.Info{ID: "fixed"}, func(in, out int) (server.Timing, error) {
		return server.Timing{TTFT: 40 * time.Millisecond, TPOT: 8 * time.Millisecond}, nil
	})
	t.Cleanup(func() { paced.Close() })
	ts := servertest.Start(t, server.Config{Backend: paced, Dialect: server.DialectSageMaker, ReasoningTokens: 6})
	cfg := sageMakerConfig()
	cfg.SageMakerBody = remote.SageMakerBodyChat
	b := open(t, ts.URL, cfg)
	var res accel.Result
	if err := b.Infer(context.Background(), &accel.Request{InputTokens: 8, OutputTokens: 16}, &res); err != nil {
		t.Fatal(err)
	}
	if d := res.TTFO - res.TTFT - 6*8*time.Millisecond; res.OutputTokens != 16 || res.ReasoningTokens != 6 || d < -time.Millisecond || d > time.Millisecond+busy {
		t.Errorf("%+v: want 16 tokens, 6 reasoning, TTFO 48 ms after TTFT", res)
	}
}

// TestSageMakerBodySetting: the body setting is checked, naming the valid
// values, and only the sagemaker dialect takes it; serve's container
// likewise.
func TestSageMakerBodySetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  remote.Config
		want string
	}{
		{remote.Config{Dialect: remote.DialectSageMaker, SageMakerBody: "lmi"}, `sagemaker-body "lmi": want tgi (inputs and parameters) or chat (messages)`},
		{remote.Config{Dialect: remote.DialectOpenAI, SageMakerBody: "chat"}, `sagemaker-body "chat": only the sagemaker dialect sends it`},
	} {
		c := tc.cfg.WithDefaults()
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	for _, tc := range []struct {
		cfg  server.Config
		want string
	}{
		{server.Config{Backend: noop.Backend{}, Dialect: server.DialectSageMaker, SageMakerContainer: "vllm"}, `sagemaker container "vllm": want tgi or lmi`},
		{server.Config{Backend: noop.Backend{}, Dialect: server.DialectBedrock, SageMakerContainer: "lmi"}, `only the sagemaker dialect`},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	o := server.Options{Batching: server.BatchingIsolated, Dialect: server.DialectSageMaker, SageMakerContainer: server.SageMakerLMI,
		DefaultMaxTokens: 16, MaxBodyBytes: 1 << 20, MaxStreams: 8}
	if c, err := o.Config(noop.Backend{}); err != nil || c.SageMakerContainer != server.SageMakerLMI {
		t.Errorf("serve's options: %+v, %v; want the lmi container", c, err)
	}
}

// TestSageMakerServeBytes: what serve's sagemaker dialect writes inside its
// PayloadPart frames, byte for byte, for each container and body (3 tokens
// of the noop backend, whose text is serve's " The quick brown").
func TestSageMakerServeBytes(t *testing.T) {
	t.Parallel()
	const gen, chat = `{"inputs":"a b c d","parameters":{"max_new_tokens":3,"details":true},"stream":true}`,
		`{"messages":[{"role":"user","content":"a b c d"}],"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}`
	hdr := func(n int) string {
		return `{"id":"chatcmpl-` + fmt.Sprint(n) + `","object":"chat.completion.chunk","created":`
	}
	for _, tc := range []struct {
		container, body string
		want            []string // each PayloadPart, the chat chunks' created times cut out
	}{
		{server.SageMakerTGI, gen, []string{
			`data:{"index":1,"token":{"id":1,"text":" The","logprob":-0.5,"special":false},"generated_text":null,"details":null}` + "\n\n",
			`data:{"index":2,"token":{"id":2,"text":" quick","logprob":-0.5,"special":false},"generated_text":null,"details":null}` + "\n\n",
			`data:{"index":3,"token":{"id":3,"text":" brown","logprob":-0.5,"special":false},"generated_text":null,"details":null}` + "\n\n",
			`data:{"index":4,"token":{"id":0,"text":"","logprob":0,"special":true},"generated_text":"","details":{"finish_reason":"length","generated_tokens":3,"seed":null,"input_length":4}}` + "\n\n",
		}},
		{server.SageMakerLMI, gen, []string{
			`{"token": {"id": 1, "text": " The", "log_prob": -0.5}}` + "\n",
			`{"token": {"id": 2, "text": " quick", "log_prob": -0.5}}` + "\n",
			`{"token": {"id": 3, "text": " brown", "log_prob": -0.5}, "generated_text": " The quick brown", "details": {"finish_reason": "length", "generated_tokens": 3, "inputs": "a b c d"}}` + "\n",
		}},
		{server.SageMakerTGI, chat, []string{
			"data:" + hdr(1) + `,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}` + "\n\n",
			"data:" + hdr(1) + `,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" The"},"logprobs":null,"finish_reason":null}]}` + "\n\n",
			"data:" + hdr(1) + `,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" quick"},"logprobs":null,"finish_reason":null}]}` + "\n\n",
			"data:" + hdr(1) + `,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" brown"},"logprobs":null,"finish_reason":null}]}` + "\n\n",
			"data:" + hdr(1) + `,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}` + "\n\n",
			"data:" + hdr(1) + `,"model":"llama-3.1-8b","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7}}` + "\n\n",
			"data:[DONE]\n\n",
		}},
		{server.SageMakerLMI, chat, []string{
			hdr(1) + `,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"role":"assistant","content":" The"},"logprobs":null,"finish_reason":null}]}` + "\n",
			hdr(1) + `,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" quick"},"logprobs":null,"finish_reason":null}]}` + "\n",
			hdr(1) + `,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" brown"},"logprobs":null,"finish_reason":"length"}]}` + "\n",
		}},
	} {
		t.Run(tc.container+" "+tc.body[2:8], func(t *testing.T) {
			t.Parallel()
			ts := servertest.Start(t, server.Config{Backend: noop.Backend{}, Dialect: server.DialectSageMaker, SageMakerContainer: tc.container})
			resp, err := http.Post(ts.URL+"/endpoints/e/invocations-response-stream", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			dec := eventstream.NewDecoder()
			var got []string
			for {
				m, err := dec.Decode(resp.Body, nil)
				if err != nil {
					break
				}
				if h := m.Headers.Get(":event-type"); h == nil || h.String() != "PayloadPart" {
					t.Fatalf("frame %v: want PayloadPart", m.Headers)
				}
				p := string(m.Payload)
				if i := strings.Index(p, `"created":`); i >= 0 { // the clock's
					j := strings.Index(p[i:], ",")
					p = p[:i+len(`"created":`)] + p[i+j:]
				}
				got = append(got, p)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "|"), strings.Join(tc.want, "|"))
			}
		})
	}
}

package awsstream

import (
	"bytes"
	"strings"
	"testing"
)

// The containers' own lines, byte for byte where the documentation prints
// them on one line.
const (
	// DJL Serving's LMI schema, "Rolling Batch/Continuous Batch Schema",
	// the streaming example (application/jsonlines), verbatim:
	// https://github.com/deepjavalibrary/djl-serving/blob/0971984022bfc5e09bddfbef8e312f90345ae1bf/serving/docs/lmi/user_guides/lmi_input_output_schema.md
	lmiToken1 = `{"token": {"id": 304, "text": "Deep ", "log_prob": -0.052432529628276825}}`
	lmiToken2 = `{"token": {"id": 11157, "text": " Learning", "log_prob": -1.2865009307861328}}`
	lmiToken3 = `{"token": {"id": 278, "text": " is", "log_prob": -0.007458459585905075}}`
	// The same page's SSE form (option.output_formatter=sse), verbatim.
	lmiSSEToken1 = `data:{"token": {"id": 304, "text": "Deep ", "log_prob": -0.052432529628276825}}`
	// The page prints the last line over five lines; here it is on one, as
	// the formatter's json.dumps writes it (djl_python/output_formatter.py,
	// _jsonlines_output_formatter, at 1567ff1f7665461b5ce4920e317c7391b77e7b1f):
	// not verbatim.
	lmiLast = `{"token": {"id": 5972, "text": " field.", "log_prob": -0.6950479745864868}, "generated_text": "Deep Learning is a really cool field.", "details": {"finish_reason": "length", "generated_tokens": 100, "inputs": "What is Deep Learning?"}}`
	// The page's streaming error line, on one line and without the page's
	// stray closing brace: not verbatim.
	lmiError = `{"token": {"id": -1, "text": "", "log_prob": -1, "special_token": true}, "generated_text": "", "details": {"finish_reason": "error", "generated_tokens": null, "inputs": null}}`

	// DJL Serving's chat-completions schema, the streaming example
	// (application/jsonlines: bare chunks, LMI's logprobs a list), verbatim:
	// https://github.com/deepjavalibrary/djl-serving/blob/2924b70311d51316700240a8c318a766aad8c9b4/serving/docs/lmi/user_guides/chat_input_output_schema.md
	lmiChatFirst = `{"id": "chatcmpl-0", "object": "chat.completion.chunk", "created": 1712792433, "choices": [{"index": 0, "delta": {"content": " Oh", "role": "assistant"}, "logprobs": [{"content": [{"token": " Oh", "logprob": -4.499478340148926, "bytes": [32, 79, 104], "top_logprobs": [{"token": -4.499478340148926, "logprob": -4.499478340148926, "bytes": [32, 79, 104]}]}]}], "finish_reason": null}]}`
	lmiChatLast  = `{"id": "chatcmpl-0", "object": "chat.completion.chunk", "created": 1712792436, "choices": [{"index": 0, "delta": {"content": " assist"}, "logprobs": [{"content": [{"token": " assist", "logprob": -1.019672155380249, "bytes": [32, 97, 115, 115, 105, 115, 116], "top_logprobs": [{"token": -1.019672155380249, "logprob": -1.019672155380249, "bytes": [32, 97, 115, 115, 105, 115, 116]}]}]}], "finish_reason": "length"}]}`

	// TGI's own documentation prints one line of generate_stream,
	// verbatim (the last of 16, without details: none were asked for):
	// https://github.com/huggingface/text-generation-inference/blob/db931fcf42da018a3657580c64bf2720f167f9ab/docs/source/basic_tutorials/visual_language_models.md
	tgiDoc = `data:{"index":16,"token":{"id":28723,"text":".","logprob":-0.6196289,"special":false},"generated_text":"This is a picture of an anthropomorphic rabbit in a space suit.","details":null}`
	// A TGI-shaped stream line as DeepInfra's documentation prints one,
	// verbatim (https://deepinfra.com/docs/advanced/log_probs).
	tgiDeepInfra = `data: {"token": {"id": 29892, "text": ",", "logprob": -2.65625, "special": false}, "generated_text": null, "details": null}`
	// TGI's last line, written from its StreamResponse and StreamDetails
	// (huggingface/text-generation-inference router/src/lib.rs; the fields
	// in their serialization order at
	// db931fcf42da018a3657580c64bf2720f167f9ab): not verbatim.
	tgiLast = `{"index":20,"token":{"id":2,"text":"</s>","logprob":-0.01,"special":true},"generated_text":"Deep learning is a subset of machine learning.","details":{"finish_reason":"eos_token","generated_tokens":20,"seed":null,"input_length":6}}`

	// vLLM's chat stream (TGI's and LMI's vLLM async mode write the same
	// chunks): `data: ` and the chunk's model_dump_json(exclude_unset=True),
	// then `data: [DONE]` (vllm/entrypoints/openai/serving_chat.py at
	// 99c5632fc2d252a6f25afa76347df392eb898c42). Written from that code, not
	// verbatim: the role chunk, a reasoning delta, a text delta with the
	// finish reason, the usage chunk stream_options.include_usage asks for.
	vllmRole      = `{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733000000,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`
	vllmReasoning = `{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733000000,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"reasoning_content":"Hmm"},"logprobs":null,"finish_reason":null}]}`
	vllmText      = `{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733000000,"model":"Qwen/Qwen3-8B","choices":[{"index":0,"delta":{"content":" Hi"},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}`
	vllmUsage     = `{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733000000,"model":"Qwen/Qwen3-8B","choices":[],"usage":{"prompt_tokens":9,"total_tokens":21,"completion_tokens":12,"completion_tokens_details":{"reasoning_tokens":10}}}`
	vllmError     = `{"error":{"message":"The engine died","type":"InternalServerError","param":null,"code":500}}`
)

// TestParseTokenLineContainers reads every line the containers stream, as
// their documentation and code write them.
func TestParseTokenLineContainers(t *testing.T) {
	t.Parallel()
	none := TokenLine{GeneratedTokens: -1, InputTokens: -1, ReasoningTokens: -1}
	with := func(f func(*TokenLine)) TokenLine { e := none; f(&e); return e }
	for _, tt := range []struct {
		name, in string
		want     TokenLine
	}{
		{"lmi token", lmiToken1, with(func(e *TokenLine) { e.Token, e.Text = true, 5 })},
		{"lmi token 2", lmiToken2, with(func(e *TokenLine) { e.Token, e.Text = true, 9 })},
		{"lmi token 3", lmiToken3, with(func(e *TokenLine) { e.Token, e.Text = true, 3 })},
		{"lmi last", lmiLast, with(func(e *TokenLine) {
			e.Token, e.Text, e.FinishReason, e.GeneratedTokens = true, 7, []byte("length"), 100
		})},
		{"lmi error", lmiError, with(func(e *TokenLine) {
			e.Token, e.FinishReason, e.Error, e.ErrorMessage = true, []byte("error"), true, []byte(`generation failed: details.finish_reason "error"`)
		})},
		{"lmi chat first", lmiChatFirst, with(func(e *TokenLine) { e.Token, e.Chat, e.Text = true, true, 3 })},
		{"lmi chat last", lmiChatLast, with(func(e *TokenLine) { e.Token, e.Chat, e.Text, e.FinishReason = true, true, 7, []byte("length") })},
		{"tgi documented", strings.TrimPrefix(tgiDoc, "data:"), with(func(e *TokenLine) { e.Token, e.Text = true, 1 })},
		{"tgi deepinfra", strings.TrimPrefix(tgiDeepInfra, "data: "), with(func(e *TokenLine) { e.Token, e.Text = true, 1 })},
		{"tgi last, end token", tgiLast, with(func(e *TokenLine) {
			e.Token, e.FinishReason, e.GeneratedTokens, e.InputTokens = true, []byte("eos_token"), 20, 6
		})},
		{"vllm role", vllmRole, with(func(e *TokenLine) { e.Token, e.Chat = true, true })},
		{"vllm reasoning", vllmReasoning, with(func(e *TokenLine) { e.Token, e.Chat, e.Reasoning = true, true, 3 })},
		{"vllm text", vllmText, with(func(e *TokenLine) { e.Token, e.Chat, e.Text, e.FinishReason = true, true, 3, []byte("stop") })},
		{"vllm usage", vllmUsage, with(func(e *TokenLine) {
			e.Token, e.Chat, e.GeneratedTokens, e.InputTokens, e.ReasoningTokens = true, true, 12, 9, 10
		})},
		{"vllm error", vllmError, with(func(e *TokenLine) { e.Error, e.ErrorMessage = true, []byte("The engine died") })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e TokenLine
			if err := ParseTokenLine([]byte(tt.in), &e); err != nil {
				t.Fatal(err)
			}
			if !same(e, tt.want) {
				t.Errorf("got  %+v\nwant %+v", e, tt.want)
			}
		})
	}
	// The SSE form is the same line behind `data:`, which the reader strips.
	if !strings.HasSuffix(lmiSSEToken1, lmiToken1) {
		t.Error("the LMI SSE line is not the JSON line behind data:")
	}
	for _, bad := range []string{`{"token": {"text": 3`, `{"choices": [{"delta": {"content": 7}]}`, `{"token": {}} trailing`} {
		var e TokenLine
		if err := ParseTokenLine([]byte(bad), &e); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}

func same(a, b TokenLine) bool {
	return a.Text == b.Text && a.Reasoning == b.Reasoning && a.Token == b.Token && a.Chat == b.Chat &&
		bytes.Equal(a.FinishReason, b.FinishReason) && a.GeneratedTokens == b.GeneratedTokens &&
		a.InputTokens == b.InputTokens && a.ReasoningTokens == b.ReasoningTokens &&
		a.Error == b.Error && bytes.Equal(a.ErrorMessage, b.ErrorMessage)
}

// TestParseTokenLineAllocs: a token line of each format costs no
// allocation.
func TestParseTokenLineAllocs(t *testing.T) {
	for _, in := range []string{lmiToken1, lmiLast, lmiChatFirst, vllmText, vllmUsage, tgiLast} {
		b := []byte(in)
		var e TokenLine
		if n := testing.AllocsPerRun(100, func() { ParseTokenLine(b, &e) }); n != 0 {
			t.Errorf("%.60s...: %v allocs", in, n)
		}
	}
}

// TestAppendRequests: the generate and chat bodies, byte for byte.
func TestAppendRequests(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{string(AppendTGIRequest(nil, "", []byte(`a "b"`), 8)), `{"inputs":"a \"b\"","parameters":{"details":true,"max_new_tokens":8},"stream":true}`},
		{string(AppendChatRequest(nil, "hi", nil, 8, false)), `{"messages":[{"role":"user","content":"hi"}],"max_tokens":8,"stream":true,"stream_options":{"include_usage":true}}`},
		{string(AppendChatRequest(nil, "hi", nil, 8, true)), `{"messages":[{"role":"user","content":"hi"}],"max_tokens":8,"min_tokens":8,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`},
		{string(AppendChatRequest(nil, "", []byte("x"), 0, true)), `{"messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}`},
	} {
		if tt.got != tt.want {
			t.Errorf("got  %s\nwant %s", tt.got, tt.want)
		}
	}
}

package awsstream

import (
	"strconv"

	"github.com/inferbench/inferbench/internal/jsonscan"
	"github.com/inferbench/inferbench/internal/openai"
)

// SageMaker Runtime's InvokeEndpointWithResponseStream answers in the same
// event-stream frames as Bedrock, each PayloadPart's payload a piece of the
// container's own stream. Pieces do not align with lines, so the client
// joins them and reads whole lines with ParseTokenLine. What the stream
// looks like depends on the container and on the request body:
//
//   - Text Generation Inference, a generate body (inputs, parameters):
//     server-sent events, `data:{"index":1,"token":{"id":..,"text":..,
//     "logprob":..,"special":false},"generated_text":null,"details":null}`,
//     the last with generated_text and details (finish_reason,
//     generated_tokens, input_length).
//   - The LMI container (DJL Serving with lmi-dist, vLLM, TensorRT-LLM or
//     Neuron's transformers-neuronx and NxD backends), the same body: JSON
//     lines, `{"token": {"id": .., "text": .., "log_prob": ..}}`, the last
//     with generated_text and, when parameters.details is set, details
//     (finish_reason, generated_tokens, inputs). A failure mid-stream is a
//     line whose details.finish_reason is "error"; an end token carries
//     special_token. With option.output_formatter=sse or tgi_compat the same
//     lines come as `data:` events.
//   - Either container given a chat-completions body (messages): OpenAI's
//     chat.completion.chunk objects, as `data: ` events ending in
//     `data: [DONE]` (TGI, vLLM, LMI's vLLM async mode) or as bare JSON
//     lines (LMI's rolling-batch handlers), finish_reason on the last
//     choice and usage in a last chunk where the server reports it.
//
// Sources: TGI at huggingface/text-generation-inference
// db931fcf42da018a3657580c64bf2720f167f9ab (router/src/lib.rs
// StreamResponse, router/src/server.rs, router/src/sagemaker.rs, which
// hands a generate, chat or completions body to its handler); LMI at
// deepjavalibrary/djl-serving: serving/docs/lmi/user_guides/
// lmi_input_output_schema.md (0971984022bfc5e09bddfbef8e312f90345ae1bf),
// chat_input_output_schema.md (2924b70311d51316700240a8c318a766aad8c9b4:
// "If the request contains the messages field, LMI will treat the request
// as a chat completions style request") and
// engines/python/setup/djl_python/output_formatter.py
// (1567ff1f7665461b5ce4920e317c7391b77e7b1f), which every rolling-batch
// backend writes through (vLLM, lmi-dist, TensorRT-LLM and Neuron's
// NeuronRollingBatch all subclass RollingBatch); vLLM's chat framing at
// vllm-project/vllm vllm/entrypoints/openai/serving_chat.py
// (99c5632fc2d252a6f25afa76347df392eb898c42).
//
// ParseTokenLine reads a line of any of them.

// EventPayloadPart is the :event-type of a piece of the container's stream.
const EventPayloadPart = "PayloadPart"

// TokenLine is what the client needs from one line of a TGI, LMI or
// chat-completions stream.
type TokenLine struct {
	// Text is the length in bytes of the token's text (token.text, or the
	// chunk's delta.content), 0 for a special token (TGI's token.special,
	// LMI's token.special_token: end of sequence), which is no output.
	Text int
	// Reasoning is the length in bytes of a chat chunk's reasoning text
	// (delta.reasoning_content or delta.reasoning).
	Reasoning int
	// Token is set when the line carries a token (or is a chat chunk).
	Token bool
	// Chat is set when the line is a chat.completion.chunk.
	Chat bool
	// FinishReason is details.finish_reason (length, eos_token,
	// stop_sequence) or the chunk's choices[].finish_reason (stop, length
	// and LMI's own values), nil when absent.
	FinishReason []byte
	// GeneratedTokens is details.generated_tokens or the chunk's
	// usage.completion_tokens, -1 when absent.
	GeneratedTokens int
	// InputTokens is details.input_length (TGI) or the chunk's
	// usage.prompt_tokens, -1 when absent.
	InputTokens int
	// ReasoningTokens is the chunk's
	// usage.completion_tokens_details.reasoning_tokens, -1 when absent.
	ReasoningTokens int
	// Error is set for an error line: TGI's {"error": "...", "error_type":
	// ...}, an OpenAI-style {"error": {"message": ...}}, or an LMI line
	// whose details.finish_reason is "error". ErrorMessage points into the
	// line, or says what LMI's line said.
	Error        bool
	ErrorMessage []byte
}

// ParseTokenLine reads one line of a TGI, LMI or chat-completions stream
// (its `data:` prefix, if any, already removed) into e without allocating.
func ParseTokenLine(b []byte, e *TokenLine) error {
	*e = TokenLine{GeneratedTokens: -1, InputTokens: -1, ReasoningTokens: -1}
	var text int
	var special, chat bool
	err := jsonscan.Object(b, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "token":
			if jsonscan.IsNull(b, v) {
				break
			}
			e.Token = true
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "text":
					return jsonscan.StringLen(b, v, &text)
				case "special", "special_token": // TGI's, LMI's
					special = special || v+4 <= len(b) && string(b[v:v+4]) == "true"
				}
				return jsonscan.SkipValue(b, v)
			})
		case "details":
			if jsonscan.IsNull(b, v) {
				break
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "finish_reason":
					return jsonscan.String(b, v, &e.FinishReason)
				case "generated_tokens":
					return readCount(b, v, &e.GeneratedTokens)
				case "input_length":
					return readCount(b, v, &e.InputTokens)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "choices", "usage":
			chat = chat || !jsonscan.IsNull(b, v)
		case "error":
			if jsonscan.IsNull(b, v) {
				break
			}
			e.Error = true
			if v < len(b) && b[v] == '"' {
				s, end, err := jsonscan.ReadString(b, v)
				e.ErrorMessage = s
				return end, err
			}
			return jsonscan.StringField(b, v, "message", &e.ErrorMessage)
		}
		return jsonscan.SkipValue(b, v)
	})
	if err != nil {
		return err
	}
	if chat && !e.Error {
		return e.chunk(b)
	}
	if !special {
		e.Text = text
	}
	if !e.Error && string(e.FinishReason) == "error" {
		// LMI reports a failure during generation as a last line whose
		// details say so (the HTTP status, 200, was sent with the first
		// token).
		e.Error, e.ErrorMessage = true, []byte(`generation failed: details.finish_reason "error"`)
	}
	return nil
}

// chunk reads a chat.completion.chunk with the OpenAI parser (a second pass
// over the line: chunks are short).
func (e *TokenLine) chunk(b []byte) error {
	var c openai.Chunk
	if err := openai.ParseChunk(b, &c); err != nil {
		return err
	}
	e.Chat, e.Token = true, true
	e.Text, e.Reasoning = c.Content, c.Reasoning
	if len(c.FinishReason) > 0 {
		e.FinishReason = c.FinishReason
	}
	if c.HasUsage {
		e.GeneratedTokens, e.InputTokens, e.ReasoningTokens = c.CompletionTokens, c.PromptTokens, c.ReasoningTokens
	}
	return nil
}

// readCount reads a count that may be null (LMI's error line), which leaves
// *n as it was (-1: not said).
func readCount(b []byte, v int, n *int) (int, error) {
	if jsonscan.IsNull(b, v) {
		return jsonscan.SkipValue(b, v)
	}
	return jsonscan.ReadInt(b, v, n)
}

// AppendTGIRequest appends the generate body TGI and the LMI container
// take: inputs, parameters.max_new_tokens, stream. details asks for the
// final counts (generated_tokens, finish_reason), which LMI sends only when
// asked.
func AppendTGIRequest(dst []byte, prompt string, promptBytes []byte, maxTokens int) []byte {
	dst = append(dst, `{"inputs":`...)
	if prompt != "" {
		dst = openai.AppendString(dst, prompt)
	} else {
		dst = openai.AppendBytes(dst, promptBytes)
	}
	dst = append(dst, `,"parameters":{"details":true`...)
	if maxTokens > 0 {
		dst = append(dst, `,"max_new_tokens":`...)
		dst = strconv.AppendInt(dst, int64(maxTokens), 10)
	}
	return append(dst, `},"stream":true}`...)
}

// AppendChatRequest appends the chat-completions body TGI, vLLM and the LMI
// container take on a SageMaker endpoint (a body with messages is read as
// chat): one user message, max_tokens, stream, and stream_options asking
// for the usage in a last chunk (TGI and vLLM send it; LMI's rolling-batch
// handlers ignore the option). There is no model: the endpoint serves one,
// and its name is not the model's. hints adds min_tokens and ignore_eos,
// which vLLM and LMI read, so the server generates exactly maxTokens.
func AppendChatRequest(dst []byte, prompt string, promptBytes []byte, maxTokens int, hints bool) []byte {
	dst = append(dst, `{"messages":[{"role":"user","content":`...)
	if prompt != "" {
		dst = openai.AppendString(dst, prompt)
	} else {
		dst = openai.AppendBytes(dst, promptBytes)
	}
	dst = append(dst, `}]`...)
	if maxTokens > 0 {
		dst = append(dst, `,"max_tokens":`...)
		dst = strconv.AppendInt(dst, int64(maxTokens), 10)
		if hints {
			dst = append(dst, `,"min_tokens":`...)
			dst = strconv.AppendInt(dst, int64(maxTokens), 10)
			dst = append(dst, `,"ignore_eos":true`...)
		}
	}
	return append(dst, `,"stream":true,"stream_options":{"include_usage":true}}`...)
}

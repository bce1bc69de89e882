package openai

import (
	"encoding/json"

	"github.com/inferbench/inferbench/internal/jsonscan"
)

// Chunk is what the client needs from one streamed chunk (a chat.completion.chunk
// or a text_completion object). ParseChunk fills it without allocating: the
// client reads the payload's shape, not its text.
type Chunk struct {
	// Content is the length in bytes of the chunk's generated answer text,
	// summed over choices: delta.content for chat, text for completions. A
	// role-only first chunk, an empty delta and a usage-only final chunk all
	// have Content 0.
	Content int
	// Reasoning is the length in bytes of the chunk's reasoning text
	// (delta.reasoning_content, as DeepSeek and vLLM's reasoning parsers send
	// it, or delta.reasoning): tokens that come before the answer and count
	// towards time to first token but not to first output.
	Reasoning int
	// Finished is set when a choice carries a non-null finish_reason, and
	// FinishReason is its raw text (escapes left in place; the last choice's
	// when several carry one), pointing into the payload.
	Finished     bool
	FinishReason []byte
	// HasUsage is set when the chunk carries a non-null usage object; its
	// counts are 0 when absent. PromptTokens is what the server says it read,
	// chat template included.
	HasUsage         bool
	PromptTokens     int
	CompletionTokens int
	// ReasoningTokens is usage.completion_tokens_details.reasoning_tokens
	// (part of CompletionTokens), -1 when the usage does not say.
	ReasoningTokens int
	// Error is set when the payload is an error object ({"error": {...}}), which
	// some servers send inside the stream; ErrorMessage points into the payload.
	Error        bool
	ErrorMessage []byte
}

// ErrorText is ErrorMessage as text: the JSON string's escapes decoded, so
// a message that quotes a model name reads `the model "x"`, not
// `the model \"x\"`. It allocates: for error paths only.
func (c *Chunk) ErrorText() string {
	var s string
	q := make([]byte, 0, len(c.ErrorMessage)+2)
	q = append(append(append(q, '"'), c.ErrorMessage...), '"')
	if json.Unmarshal(q, &s) != nil {
		return string(c.ErrorMessage) // not a valid JSON string: as it came
	}
	return s
}

// ErrSyntax is wrapped by every ParseChunk error.
var ErrSyntax = jsonscan.ErrSyntax

// ParseChunk reads one streamed payload (the text after `data: `) into c. It
// allocates nothing on well-formed input. Unknown keys are skipped, so newer
// servers' extra fields (system_fingerprint, logprobs, service_tier...) are fine.
func ParseChunk(b []byte, c *Chunk) error {
	*c = Chunk{ReasoningTokens: -1}
	err := jsonscan.Object(b, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "choices":
			return jsonscan.EachElem(b, v, func(e int) (int, error) { return c.choice(b, e) })
		case "usage":
			if jsonscan.IsNull(b, v) {
				return jsonscan.SkipValue(b, v)
			}
			c.HasUsage = true
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "completion_tokens":
					return jsonscan.ReadInt(b, v, &c.CompletionTokens)
				case "prompt_tokens":
					return jsonscan.ReadInt(b, v, &c.PromptTokens)
				case "completion_tokens_details":
					if jsonscan.IsNull(b, v) {
						break
					}
					return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
						if string(key) == "reasoning_tokens" {
							return jsonscan.ReadInt(b, v, &c.ReasoningTokens)
						}
						return jsonscan.SkipValue(b, v)
					})
				}
				return jsonscan.SkipValue(b, v)
			})
		case "error":
			if jsonscan.IsNull(b, v) {
				return jsonscan.SkipValue(b, v)
			}
			c.Error = true
			if v < len(b) && b[v] == '"' {
				s, end, err := jsonscan.ReadString(b, v)
				c.ErrorMessage = s
				return end, err
			}
			return jsonscan.StringField(b, v, "message", &c.ErrorMessage)
		}
		return jsonscan.SkipValue(b, v)
	})
	if err != nil {
		return err
	}
	return nil
}

// choice reads one element of choices.
func (c *Chunk) choice(b []byte, i int) (int, error) {
	return jsonscan.EachKey(b, i, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "delta", "message":
			if jsonscan.IsNull(b, v) {
				return jsonscan.SkipValue(b, v)
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "content":
					return jsonscan.StringLen(b, v, &c.Content)
				case "reasoning_content", "reasoning":
					return jsonscan.StringLen(b, v, &c.Reasoning)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "text":
			return jsonscan.StringLen(b, v, &c.Content)
		case "finish_reason":
			if jsonscan.IsNull(b, v) {
				break
			}
			c.Finished = true
			return jsonscan.String(b, v, &c.FinishReason)
		}
		return jsonscan.SkipValue(b, v)
	})
}

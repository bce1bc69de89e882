package anthropic

import (
	"encoding/json"
	"strconv"

	"github.com/inferbench/inferbench/internal/openai"
)

// Request is a /v1/messages request body as a server reads it.
type Request struct {
	Model     string           `json:"model"`
	MaxTokens *int             `json:"max_tokens"`
	Messages  []openai.Message `json:"messages"`
	// System is a string or an array of text blocks.
	System json.RawMessage `json:"system,omitempty"`
	Stream bool            `json:"stream,omitempty"`
}

// ErrorBody is an error response: {"type":"error","error":{...}}.
type ErrorBody struct {
	Type  string      `json:"type"`
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's type and message.
type ErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func appendString(dst []byte, s string) []byte { return openai.AppendString(dst, s) }
func appendInt(dst []byte, n int) []byte       { return strconv.AppendInt(dst, int64(n), 10) }

// RequestBody is the body a client sends to /v1/messages: one user message
// and max_tokens (which the Messages API requires).
type RequestBody struct {
	Model  string
	Prompt string
	// PromptBytes is used instead of Prompt when Prompt is empty.
	PromptBytes []byte
	MaxTokens   int
	Stream      bool
}

// DefaultMaxTokens is the max_tokens sent when none is asked for: the
// Messages API has no default.
const DefaultMaxTokens = 4096

// Append appends the JSON body to dst.
func (r *RequestBody) Append(dst []byte) []byte {
	dst = append(dst, `{"model":`...)
	dst = openai.AppendString(dst, r.Model)
	dst = append(dst, `,"max_tokens":`...)
	n := r.MaxTokens
	if n <= 0 {
		n = DefaultMaxTokens
	}
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, `,"messages":[{"role":"user","content":`...)
	if r.Prompt != "" {
		dst = openai.AppendString(dst, r.Prompt)
	} else {
		dst = openai.AppendBytes(dst, r.PromptBytes)
	}
	dst = append(dst, `}]`...)
	if r.Stream {
		dst = append(dst, `,"stream":true`...)
	}
	return append(dst, '}')
}

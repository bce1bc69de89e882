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

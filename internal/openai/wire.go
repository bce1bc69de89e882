// Package openai holds the OpenAI-compatible wire format, both ways: the request
// body a client sends, the streamed chunks and whole responses a server writes,
// and a parser that reads a streamed chunk without allocating.
//
// The hot paths (a client building a request body, a server writing a chunk, a
// client reading one) append to caller-owned buffers instead of going through
// encoding/json, because they run once per token. The rarer objects — whole
// non-streamed responses, model lists, error bodies — are plain structs with
// JSON tags.
//
// The format follows the OpenAI API reference for /v1/chat/completions and
// /v1/completions with stream: true: `data: {chunk}` events, a role-only first
// chat chunk, one chunk per token, a chunk carrying finish_reason, then (when
// stream_options.include_usage is set) a chunk with empty choices and a usage
// object, then `data: [DONE]`.
package openai

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The object types on the wire.
const (
	ObjectChatCompletion      = "chat.completion"
	ObjectChatCompletionChunk = "chat.completion.chunk"
	ObjectTextCompletion      = "text_completion"
)

// Done is the payload of the last event of a stream.
const Done = "[DONE]"

// RequestBody is the part of a request body the client writes. Hints adds the
// length controls that vLLM, SGLang and TGI-compatible servers honour
// (ignore_eos, min_tokens) so a completion has exactly MaxTokens tokens; the
// hosted OpenAI and Azure APIs reject unknown parameters, so they go without.
type RequestBody struct {
	Chat   bool // /v1/chat/completions (messages) rather than /v1/completions (prompt)
	Model  string
	Prompt string
	// PromptBytes is used instead of Prompt when Prompt is empty.
	PromptBytes []byte
	MaxTokens   int
	Hints       bool
	Stream      bool
}

// Append appends the JSON body to dst.
func (r *RequestBody) Append(dst []byte) []byte {
	dst = append(dst, `{"model":`...)
	dst = AppendString(dst, r.Model)
	if r.Chat {
		dst = append(dst, `,"messages":[{"role":"user","content":`...)
		dst = r.appendPrompt(dst)
		dst = append(dst, `}]`...)
	} else {
		dst = append(dst, `,"prompt":`...)
		dst = r.appendPrompt(dst)
	}
	if r.MaxTokens > 0 {
		dst = append(dst, `,"max_tokens":`...)
		dst = strconv.AppendInt(dst, int64(r.MaxTokens), 10)
		if r.Hints {
			dst = append(dst, `,"min_tokens":`...)
			dst = strconv.AppendInt(dst, int64(r.MaxTokens), 10)
			dst = append(dst, `,"ignore_eos":true`...)
		}
	}
	if r.Stream {
		dst = append(dst, `,"stream":true,"stream_options":{"include_usage":true}`...)
	} else {
		dst = append(dst, `,"stream":false`...)
	}
	return append(dst, '}')
}

func (r *RequestBody) appendPrompt(dst []byte) []byte {
	if r.Prompt != "" {
		return AppendString(dst, r.Prompt)
	}
	return AppendBytes(dst, r.PromptBytes)
}

// Request is a request body as a server reads it: the union of the chat and
// completions forms and the length hints servers commonly accept.
type Request struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages,omitempty"`
	// Prompt is a string or an array of strings (/v1/completions).
	Prompt              json.RawMessage `json:"prompt,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	MinTokens           int             `json:"min_tokens,omitempty"`
	IgnoreEOS           bool            `json:"ignore_eos,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
}

// StreamOptions asks for a final usage chunk.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one chat message. Content is a string or an array of parts
// ({"type":"text","text":"..."}).
type Message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// Usage counts a completion's tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// ReasoningTokens, the part of CompletionTokens that was reasoning, is
	// written by AppendUsageChunk as completion_tokens_details when not 0.
	ReasoningTokens int `json:"-"`
}

// ChatCompletion is a whole (non-streamed) chat response.
type ChatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
}

// ChatChoice is one choice of a whole chat response.
type ChatChoice struct {
	Index        int         `json:"index"`
	Message      ChatMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

// ChatMessage is the assistant's message in a whole chat response.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Completion is a whole (non-streamed) text completion.
type Completion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []TextChoice `json:"choices"`
	Usage   Usage        `json:"usage"`
}

// TextChoice is one choice of a text completion.
type TextChoice struct {
	Index        int     `json:"index"`
	Text         string  `json:"text"`
	Logprobs     *string `json:"logprobs"`
	FinishReason string  `json:"finish_reason"`
}

// Model is one entry of /v1/models.
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// ModelList is the /v1/models response.
type ModelList struct {
	Object string  `json:"object"`
	Data   []Model `json:"data"`
}

// ErrorBody is an error response: {"error": {...}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes an error.
type ErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// ChunkHeader is what every streamed chunk of one response repeats.
type ChunkHeader struct {
	ID      string
	Object  string // ObjectChatCompletionChunk or ObjectTextCompletion
	Created int64
	Model   string
}

func (h *ChunkHeader) append(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = AppendString(dst, h.ID)
	dst = append(dst, `,"object":`...)
	dst = AppendString(dst, h.Object)
	dst = append(dst, `,"created":`...)
	dst = strconv.AppendInt(dst, h.Created, 10)
	dst = append(dst, `,"model":`...)
	return AppendString(dst, h.Model)
}

// AppendChunk appends one streamed chunk with a single choice. For chat, role
// (when not empty) and content go in the delta; for text completions content
// is the text. finish is the finish_reason, "" for null.
func (h *ChunkHeader) AppendChunk(dst []byte, role, content, finish string) []byte {
	dst = h.append(dst)
	dst = append(dst, `,"choices":[{"index":0,`...)
	if h.Object == ObjectTextCompletion {
		dst = append(dst, `"text":`...)
		dst = AppendString(dst, content)
	} else {
		dst = append(dst, `"delta":{`...)
		if role != "" {
			dst = append(dst, `"role":`...)
			dst = AppendString(dst, role)
			dst = append(dst, ',')
		}
		// The finishing chunk has an empty delta, {}, as OpenAI sends it.
		if finish == "" || content != "" || role != "" {
			dst = append(dst, `"content":`...)
			dst = AppendString(dst, content)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		dst = append(dst, "null"...)
	} else {
		dst = AppendString(dst, finish)
	}
	return append(dst, `}]}`...)
}

// AppendUsageChunk appends the final usage chunk: empty choices and a usage
// object, as sent when stream_options.include_usage is set.
func (h *ChunkHeader) AppendUsageChunk(dst []byte, u Usage) []byte {
	dst = h.append(dst)
	dst = append(dst, `,"choices":[],"usage":{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.PromptTokens), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CompletionTokens), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.TotalTokens), 10)
	if u.ReasoningTokens > 0 {
		dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
		dst = strconv.AppendInt(dst, int64(u.ReasoningTokens), 10)
		dst = append(dst, '}')
	}
	return append(dst, `}}`...)
}

// AppendReasoningChunk appends a chat chunk whose delta carries reasoning,
// as reasoning_content (vLLM's reasoning parsers, DeepSeek).
func (h *ChunkHeader) AppendReasoningChunk(dst []byte, text string) []byte {
	dst = h.append(dst)
	dst = append(dst, `,"choices":[{"index":0,"delta":{"reasoning_content":`...)
	dst = AppendString(dst, text)
	return append(dst, `},"logprobs":null,"finish_reason":null}]}`...)
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, escaping what JSON requires and
// replacing invalid UTF-8 with U+FFFD, as encoding/json does (without its
// HTML escaping, which the wire does not need).
func AppendString(dst []byte, s string) []byte {
	return appendJSONString(dst, s, utf8.DecodeRuneInString)
}

// AppendBytes is AppendString for a byte slice, so a prompt built in a reused
// buffer goes on the wire without becoming a string first.
func AppendBytes(dst []byte, s []byte) []byte {
	return appendJSONString(dst, s, utf8.DecodeRune)
}

func appendJSONString[T string | []byte](dst []byte, s T, decode func(T) (rune, int)) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := decode(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' { // valid JSON, but escaped for JavaScript readers
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Package awsstream holds AWS's streamed inference wire formats: Bedrock
// Runtime's ConverseStream, whose answer is AWS event-stream binary frames
// (decoded by aws-sdk-go-v2's aws/protocol/eventstream, not here), each
// carrying one JSON event named by its :event-type header. This package
// reads and writes those JSON events and the request body.
package awsstream

import (
	"strconv"

	"github.com/inferbench/inferbench/internal/jsonscan"
	"github.com/inferbench/inferbench/internal/openai"
)

// The event-stream headers that name a message.
const (
	HeaderMessageType   = ":message-type"   // event or exception
	HeaderEventType     = ":event-type"     // messageStart, contentBlockDelta...
	HeaderExceptionType = ":exception-type" // throttlingException...
	HeaderContentType   = ":content-type"
)

// ContentType is the Content-Type of an event-stream response.
const ContentType = "application/vnd.amazon.eventstream"

// Event is what the client needs from one ConverseStream event's payload.
type Event struct {
	// Text is the length in bytes of answer text (a contentBlockDelta's
	// delta.text, or a tool call's delta.toolUse.input); Reasoning of
	// reasoning text (delta.reasoningContent.text).
	Text, Reasoning int
	// StopReason is messageStop's stopReason (end_turn, max_tokens,
	// stop_sequence, tool_use, guardrail_intervened, content_filtered), nil
	// when absent.
	StopReason []byte
	// HasUsage is set by a metadata event with usage. InputTokens is the
	// prompt the model served: usage.inputTokens plus the prompt cache's
	// cacheReadInputTokens and cacheWriteInputTokens.
	HasUsage                  bool
	InputTokens, OutputTokens int
	// LatencyMs is metadata's metrics.latencyMs, the service's own figure;
	// -1 when absent.
	LatencyMs int
	// Message is an exception's message, pointing into the payload.
	Message []byte
}

// ParseEvent reads one event's JSON payload into e. It allocates nothing on
// well-formed input; unknown keys are skipped (the "p" padding included).
func ParseEvent(b []byte, e *Event) error {
	*e = Event{LatencyMs: -1}
	err := jsonscan.Object(b, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "delta":
			if jsonscan.IsNull(b, v) {
				break
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "text":
					return jsonscan.StringLen(b, v, &e.Text)
				case "reasoningContent":
					return inner(b, v, "text", &e.Reasoning)
				case "toolUse":
					return inner(b, v, "input", &e.Text)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "stopReason":
			return jsonscan.String(b, v, &e.StopReason)
		case "usage":
			if jsonscan.IsNull(b, v) {
				break
			}
			e.HasUsage = true
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "inputTokens", "cacheReadInputTokens", "cacheWriteInputTokens":
					// The prompt the model served: with prompt caching
					// inputTokens leaves out the cached part, counted
					// apart (as Anthropic's input_tokens does, summed there).
					var n int
					end, err := jsonscan.ReadInt(b, v, &n)
					e.InputTokens += n
					return end, err
				case "outputTokens":
					return jsonscan.ReadInt(b, v, &e.OutputTokens)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "metrics":
			if jsonscan.IsNull(b, v) {
				break
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				if string(key) == "latencyMs" {
					return jsonscan.ReadInt(b, v, &e.LatencyMs)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "message", "Message":
			return jsonscan.String(b, v, &e.Message)
		}
		return jsonscan.SkipValue(b, v)
	})
	if err != nil {
		return err
	}
	return nil
}

// inner adds the length of the string at key name inside the object at v.
func inner(b []byte, v int, name string, n *int) (int, error) {
	if jsonscan.IsNull(b, v) {
		return jsonscan.SkipValue(b, v)
	}
	return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
		if string(key) == name {
			return jsonscan.StringLen(b, v, n)
		}
		return jsonscan.SkipValue(b, v)
	})
}

// AppendConverseRequest appends a ConverseStream request body: one user
// message of text and inferenceConfig.maxTokens (left out when 0).
func AppendConverseRequest(dst []byte, prompt string, promptBytes []byte, maxTokens int) []byte {
	dst = append(dst, `{"messages":[{"role":"user","content":[{"text":`...)
	if prompt != "" {
		dst = openai.AppendString(dst, prompt)
	} else {
		dst = openai.AppendBytes(dst, promptBytes)
	}
	dst = append(dst, `}]}]`...)
	if maxTokens > 0 {
		dst = append(dst, `,"inferenceConfig":{"maxTokens":`...)
		dst = strconv.AppendInt(dst, int64(maxTokens), 10)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// ConverseRequest is a ConverseStream request body as a server reads it.
type ConverseRequest struct {
	Messages []struct {
		Role    string `json:"role"`
		Content []struct {
			Text *string `json:"text"`
		} `json:"content"`
	} `json:"messages"`
	System []struct {
		Text *string `json:"text"`
	} `json:"system"`
	InferenceConfig *struct {
		MaxTokens *int `json:"maxTokens"`
	} `json:"inferenceConfig"`
}

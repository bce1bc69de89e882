// Package anthropic holds the Anthropic Messages API's streamed wire format,
// both ways: a parser that reads one event of a /v1/messages stream without
// allocating (for the client) and the appenders that write them (for
// `inferbench serve --dialect anthropic`).
//
// A stream (stream: true) is named server-sent events: message_start
// (with the message's usage: input tokens), content_block_start, ping,
// content_block_delta (text_delta, thinking_delta, input_json_delta,
// signature_delta), content_block_stop, message_delta (stop_reason and the
// cumulative output_tokens), message_stop, and error at any point. Each
// event's data repeats its name in "type", which is what ParseEvent reads,
// so a stream whose event: lines were dropped by a proxy still parses.
package anthropic

import (
	"github.com/inferbench/inferbench/internal/jsonscan"
)

// Version is the anthropic-version header every request carries.
const Version = "2023-06-01"

// Event is what the client needs from one streamed event.
type Event struct {
	// Type is the event's "type" (message_start, content_block_delta...),
	// pointing into the payload.
	Type []byte
	// Text is the length in bytes of answer text the event carries (a
	// text_delta's text, an input_json_delta's partial_json: a tool call's
	// arguments are output too); Thinking the length of a thinking_delta's
	// thinking, the model's reasoning. A signature_delta carries neither.
	Text, Thinking int
	// InputTokens is the prompt the server says it read (input_tokens plus
	// the cache's cache_creation_input_tokens and cache_read_input_tokens),
	// -1 when the event has no usage with input_tokens; OutputTokens is the
	// cumulative output_tokens, -1 when absent.
	InputTokens, OutputTokens int
	// StopReason is message_delta's delta.stop_reason (end_turn, max_tokens,
	// stop_sequence, tool_use, refusal, pause_turn), nil when absent or null.
	StopReason []byte
	// Stop is set for message_stop, the stream's last event.
	Stop bool
	// Error is set for an error event; ErrorType and ErrorMessage point into
	// the payload (overloaded_error, "Overloaded").
	Error                   bool
	ErrorType, ErrorMessage []byte
}

// ParseEvent reads one event's data (the text after `data: `) into e. It
// allocates nothing on well-formed input; unknown keys and event types are
// skipped, so newer servers' additions are fine.
func ParseEvent(b []byte, e *Event) error {
	*e = Event{InputTokens: -1, OutputTokens: -1}
	var jsonLen int
	err := jsonscan.Object(b, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "type":
			s, end, err := jsonscan.ReadString(b, v)
			e.Type = s
			return end, err
		case "message": // message_start's message: its usage
			if jsonscan.IsNull(b, v) {
				break
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				if string(key) == "usage" {
					return e.usage(b, v)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "usage":
			return e.usage(b, v)
		case "content_block": // content_block_start: its initial text, usually ""
			if jsonscan.IsNull(b, v) {
				break
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "text":
					return jsonscan.StringLen(b, v, &e.Text)
				case "thinking":
					return jsonscan.StringLen(b, v, &e.Thinking)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "delta":
			if jsonscan.IsNull(b, v) {
				break
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "text":
					return jsonscan.StringLen(b, v, &e.Text)
				case "partial_json":
					return jsonscan.StringLen(b, v, &jsonLen)
				case "thinking":
					return jsonscan.StringLen(b, v, &e.Thinking)
				case "stop_reason":
					return jsonscan.String(b, v, &e.StopReason)
				}
				return jsonscan.SkipValue(b, v)
			})
		case "error":
			if jsonscan.IsNull(b, v) {
				break
			}
			e.Error = true
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
				if v < len(b) && b[v] == '"' {
					switch string(key) {
					case "type":
						s, end, err := jsonscan.ReadString(b, v)
						e.ErrorType = s
						return end, err
					case "message":
						s, end, err := jsonscan.ReadString(b, v)
						e.ErrorMessage = s
						return end, err
					}
				}
				return jsonscan.SkipValue(b, v)
			})
		}
		return jsonscan.SkipValue(b, v)
	})
	if err != nil {
		return err
	}
	e.Text += jsonLen
	e.Stop = string(e.Type) == "message_stop"
	e.Error = e.Error || string(e.Type) == "error"
	return nil
}

// usage reads a usage object: the input counts summed (the cache's are part
// of the prompt the model read), output_tokens as it is.
func (e *Event) usage(b []byte, v int) (int, error) {
	if jsonscan.IsNull(b, v) {
		return jsonscan.SkipValue(b, v)
	}
	return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
		var n int
		switch string(key) {
		case "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens":
			end, err := jsonscan.ReadInt(b, v, &n)
			if err == nil && !jsonscan.IsNull(b, v) {
				e.InputTokens = max(e.InputTokens, 0) + n
			}
			return end, err
		case "output_tokens":
			end, err := jsonscan.ReadInt(b, v, &n)
			if err == nil && !jsonscan.IsNull(b, v) {
				e.OutputTokens = n
			}
			return end, err
		}
		return jsonscan.SkipValue(b, v)
	})
}

// The appenders below write whole events (the event: line, the data: line
// and the blank line after) for a server. Their output parses with
// ParseEvent and with Anthropic's own SDKs.

// AppendMessageStart appends message_start: the message's id and model and
// the prompt's input_tokens (output_tokens 1, as Anthropic sends it).
func AppendMessageStart(dst []byte, id, model string, inputTokens int) []byte {
	dst = append(dst, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"...)
	dst = appendString(dst, id)
	dst = append(dst, `,"type":"message","role":"assistant","content":[],"model":`...)
	dst = appendString(dst, model)
	dst = append(dst, `,"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	dst = appendInt(dst, inputTokens)
	return append(dst, ",\"output_tokens\":1}}}\n\n"...)
}

// AppendBlockStart appends content_block_start for a text block.
func AppendBlockStart(dst []byte, index int) []byte {
	return appendBlockStart(dst, index, `{"type":"text","text":""}`)
}

// AppendThinkingBlockStart appends content_block_start for a thinking block.
func AppendThinkingBlockStart(dst []byte, index int) []byte {
	return appendBlockStart(dst, index, `{"type":"thinking","thinking":"","signature":""}`)
}

// appendBlockStart appends content_block_start with its index and block.
func appendBlockStart(dst []byte, index int, block string) []byte {
	dst = append(dst, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":"...)
	dst = appendInt(dst, index)
	dst = append(dst, `,"content_block":`...)
	dst = append(dst, block...)
	return append(dst, "}\n\n"...)
}

// AppendThinkingDelta appends content_block_delta with a thinking_delta.
func AppendThinkingDelta(dst []byte, index int, text string) []byte {
	return appendDelta(dst, index, `,"delta":{"type":"thinking_delta","thinking":`, text)
}

// appendDelta appends content_block_delta: its index, then delta (the
// delta object up to its text value's colon), then text as a JSON string.
func appendDelta(dst []byte, index int, delta, text string) []byte {
	dst = append(dst, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":"...)
	dst = appendInt(dst, index)
	dst = append(dst, delta...)
	dst = appendString(dst, text)
	return append(dst, "}}\n\n"...)
}

// AppendPing appends a ping.
func AppendPing(dst []byte) []byte {
	return append(dst, "event: ping\ndata: {\"type\":\"ping\"}\n\n"...)
}

// AppendTextDelta appends content_block_delta with a text_delta.
func AppendTextDelta(dst []byte, index int, text string) []byte {
	return appendDelta(dst, index, `,"delta":{"type":"text_delta","text":`, text)
}

// AppendBlockStop appends content_block_stop.
func AppendBlockStop(dst []byte, index int) []byte {
	dst = append(dst, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":"...)
	dst = appendInt(dst, index)
	return append(dst, "}\n\n"...)
}

// AppendMessageDelta appends message_delta: the stop reason and the
// cumulative output_tokens.
func AppendMessageDelta(dst []byte, stopReason string, outputTokens int) []byte {
	dst = append(dst, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"...)
	dst = appendString(dst, stopReason)
	dst = append(dst, `,"stop_sequence":null},"usage":{"output_tokens":`...)
	dst = appendInt(dst, outputTokens)
	return append(dst, "}}\n\n"...)
}

// AppendMessageStop appends message_stop, the last event.
func AppendMessageStop(dst []byte) []byte {
	return append(dst, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"...)
}

// AppendError appends an error event (typ e.g. api_error, overloaded_error).
func AppendError(dst []byte, typ, msg string) []byte {
	dst = append(dst, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"...)
	dst = appendString(dst, typ)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, msg)
	return append(dst, "}}\n\n"...)
}

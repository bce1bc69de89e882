// Package responses holds the OpenAI Responses API's streamed wire format
// (POST /v1/responses with stream: true), both ways: a parser that reads one
// event without allocating (for the client) and the appenders that write
// them (for `inferbench serve --dialect responses`).
//
// A stream is typed server-sent events, each data object naming its type:
// response.created, response.in_progress, response.output_item.added,
// response.content_part.added, response.output_text.delta (the answer),
// response.reasoning_text.delta and response.reasoning_summary_text.delta
// (a reasoning model's thinking), the .done events, and one terminal event:
// response.completed (with usage), response.incomplete (stopped at
// max_output_tokens) or response.failed; an error event may come at any
// point. There is no `data: [DONE]`.
package responses

import (
	"github.com/inferbench/inferbench/internal/jsonscan"
)

// Event is what the client needs from one streamed event.
type Event struct {
	// Type is the event's "type", pointing into the payload.
	Type []byte
	// Text is the length in bytes of answer text the event carries
	// (output_text, refusal and function-call argument deltas); Reasoning the
	// length of reasoning text (reasoning_text and reasoning_summary_text
	// deltas).
	Text, Reasoning int
	// Terminal is set for response.completed, response.incomplete and
	// response.failed: the stream's last event.
	Terminal bool
	// Status is the response's status in a terminal event (completed,
	// incomplete, failed); Incomplete is incomplete_details.reason
	// (max_output_tokens, content_filter).
	Status, Incomplete []byte
	// HasUsage is set when a terminal event's response carries usage;
	// OutputTokens includes ReasoningTokens (output_tokens_details), which
	// is -1 when the usage does not say.
	HasUsage                                   bool
	InputTokens, OutputTokens, ReasoningTokens int
	// Error is set for an error event and for response.failed;
	// ErrorMessage points into the payload.
	Error        bool
	ErrorMessage []byte
}

// ParseEvent reads one event's data (the text after `data: `) into e. It
// allocates nothing on well-formed input; unknown keys and types are skipped.
func ParseEvent(b []byte, e *Event) error {
	*e = Event{ReasoningTokens: -1}
	var delta int
	err := jsonscan.Object(b, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "type":
			s, end, err := jsonscan.ReadString(b, v)
			e.Type = s
			return end, err
		case "delta":
			if v < len(b) && b[v] == '"' {
				s, end, err := jsonscan.ReadString(b, v)
				delta = len(s)
				return end, err
			}
		case "message": // the error event's
			return jsonscan.String(b, v, &e.ErrorMessage)
		case "response":
			if jsonscan.IsNull(b, v) {
				break
			}
			return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) { return e.response(b, key, v) })
		}
		return jsonscan.SkipValue(b, v)
	})
	if err != nil {
		return err
	}
	switch string(e.Type) {
	case "response.output_text.delta", "response.refusal.delta", "response.function_call_arguments.delta":
		e.Text = delta
	case "response.reasoning_text.delta", "response.reasoning_summary_text.delta":
		e.Reasoning = delta
	case "response.completed", "response.incomplete":
		e.Terminal = true
	case "response.failed":
		e.Terminal, e.Error = true, true
	case "error":
		e.Error = true
	}
	return nil
}

// response reads one key of a terminal event's response object.
func (e *Event) response(b, key []byte, v int) (int, error) {
	switch string(key) {
	case "status":
		return jsonscan.String(b, v, &e.Status)
	case "incomplete_details":
		if jsonscan.IsNull(b, v) {
			break
		}
		return jsonscan.StringField(b, v, "reason", &e.Incomplete)
	case "error":
		if jsonscan.IsNull(b, v) {
			break
		}
		return jsonscan.StringField(b, v, "message", &e.ErrorMessage)
	case "usage":
		if jsonscan.IsNull(b, v) {
			break
		}
		e.HasUsage = true
		return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
			switch string(key) {
			case "input_tokens":
				return jsonscan.ReadInt(b, v, &e.InputTokens)
			case "output_tokens":
				return jsonscan.ReadInt(b, v, &e.OutputTokens)
			case "output_tokens_details":
				if jsonscan.IsNull(b, v) {
					break
				}
				return jsonscan.EachKey(b, v, func(key []byte, v int) (int, error) {
					if string(key) == "reasoning_tokens" {
						return jsonscan.ReadInt(b, v, &e.ReasoningTokens)
					}
					return jsonscan.SkipValue(b, v)
				})
			}
			return jsonscan.SkipValue(b, v)
		})
	}
	return jsonscan.SkipValue(b, v)
}

package remote

import (
	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/anthropic"
	"github.com/inferbench/inferbench/internal/awsstream"
	"github.com/inferbench/inferbench/internal/openai"
	"github.com/inferbench/inferbench/internal/responses"
	"github.com/inferbench/inferbench/internal/sse"
)

// wire is how a call's requests and streams are shaped: the wire format of
// the API and dialect, chosen once per backend.
type wire int

const (
	wireOpenAI    wire = iota // chat/completions and completions, Azure's included
	wireResponses             // OpenAI's Responses API
	wireAnthropic             // Anthropic's Messages API
	wireBedrock               // Bedrock's ConverseStream (event-stream frames)
	wireSageMaker             // SageMaker's response stream: TGI or LMI lines, or chat chunks, in event-stream frames
)

func (c *Config) wire() wire {
	switch {
	case c.Dialect == DialectAnthropic:
		return wireAnthropic
	case c.Dialect == DialectBedrock:
		return wireBedrock
	case c.Dialect == DialectSageMaker:
		return wireSageMaker
	case c.API == APIResponses:
		return wireResponses
	}
	return wireOpenAI
}

// streamEvent is one event of any wire format's stream, as the call counts
// it: the same measurements whoever sent it.
type streamEvent struct {
	text, reasoning int // bytes of answer and reasoning text
	// input is the prompt the server says it read, -1 when the event does
	// not say; output the completion's tokens (reasoning included) from the
	// server's usage, -1 when it does not say; reasoningTokens the part of
	// output that was reasoning, -1 when the usage does not say.
	input, output, reasoningTokens int
	finish                         string // an accel.Finish constant, "" for none
	finished                       bool   // a stop reason came: the stream may end without its last event
	done                           bool   // the stream's last event ([DONE], message_stop, response.completed...)
}

// appendBody appends the request body for the wire format.
func (c *call) appendBody(dst []byte, model string, maxTokens int) []byte {
	b := c.b
	switch b.wire {
	case wireBedrock:
		return awsstream.AppendConverseRequest(dst, c.spec.Prompt, c.spec.PromptBytes, maxTokens)
	case wireSageMaker:
		if b.cfg.SageMakerBody == SageMakerBodyChat {
			return awsstream.AppendChatRequest(dst, c.spec.Prompt, c.spec.PromptBytes, maxTokens, c.spec.Hints)
		}
		return awsstream.AppendTGIRequest(dst, c.spec.Prompt, c.spec.PromptBytes, maxTokens)
	case wireAnthropic:
		r := anthropic.RequestBody{Model: model, Prompt: c.spec.Prompt, PromptBytes: c.spec.PromptBytes, MaxTokens: maxTokens, Stream: true}
		return r.Append(dst)
	case wireResponses:
		r := responses.RequestBody{Model: model, Prompt: c.spec.Prompt, PromptBytes: c.spec.PromptBytes, MaxTokens: maxTokens, Stream: true}
		return r.Append(dst)
	}
	return c.spec.Append(dst)
}

// parse reads one server-sent event into out. A server's error event is an
// error of its class (http_5xx), its text redacted; a malformed one is
// bad_payload.
func (c *call) parse(ev *sse.Event, out *streamEvent) error {
	*out = streamEvent{input: -1, output: -1, reasoningTokens: -1}
	switch c.b.wire {
	case wireAnthropic:
		e := &c.anth
		if err := anthropic.ParseEvent(ev.Data, e); err != nil {
			return accel.Errorf(accel.ClassBadPayload, "%v in %s", err, c.b.redact(truncate(ev.Data)))
		}
		if e.Error {
			return accel.Errorf(accel.ClassHTTP5xx, "server error event: %s: %s", c.b.redact(string(e.ErrorType)), c.b.redact(truncate(e.ErrorMessage)))
		}
		out.text, out.reasoning, out.input, out.done = e.Text, e.Thinking, e.InputTokens, e.Stop
		if string(e.Type) == "message_delta" { // message_start's output_tokens is a placeholder
			out.output = e.OutputTokens
		}
		if e.StopReason != nil {
			out.finish, out.finished = anthropicStop(e.StopReason), true
		}
		return nil
	case wireResponses:
		e := &c.resp2
		if err := responses.ParseEvent(ev.Data, e); err != nil {
			return accel.Errorf(accel.ClassBadPayload, "%v in %s", err, c.b.redact(truncate(ev.Data)))
		}
		if e.Error {
			return accel.Errorf(accel.ClassHTTP5xx, "server error event (%s): %s", e.Type, c.b.redact(truncate(e.ErrorMessage)))
		}
		out.text, out.reasoning, out.done, out.finished = e.Text, e.Reasoning, e.Terminal, e.Terminal
		if e.HasUsage {
			out.input, out.output, out.reasoningTokens = e.InputTokens, e.OutputTokens, e.ReasoningTokens
		}
		if e.Terminal {
			out.finish = accel.FinishStop
			switch string(e.Incomplete) {
			case "":
			case "max_output_tokens":
				out.finish = accel.FinishLength
			case "content_filter":
				out.finish = accel.FinishContentFilter
			default:
				out.finish = accel.FinishOther
			}
		}
		return nil
	}
	if string(ev.Data) == openai.Done {
		out.done = true
		return nil
	}
	if len(ev.Type) > 0 && string(ev.Type) != "message" {
		if string(ev.Type) == "error" {
			return accel.Errorf(accel.ClassHTTP5xx, "server error event: %s", c.b.redact(truncate(ev.Data)))
		}
		return nil // ping and other named events carry no tokens
	}
	if err := openai.ParseChunk(ev.Data, &c.chunk); err != nil {
		return accel.Errorf(accel.ClassBadPayload, "%v in %s", err, c.b.redact(truncate(ev.Data)))
	}
	ch := &c.chunk
	if ch.Error {
		return accel.Errorf(accel.ClassHTTP5xx, "server error in stream: %s", c.b.redact(truncate([]byte(ch.ErrorText()))))
	}
	if ch.HasUsage {
		out.input, out.output, out.reasoningTokens = ch.PromptTokens, ch.CompletionTokens, ch.ReasoningTokens
	}
	if len(ch.FinishReason) > 0 {
		out.finish = finishReason(ch.FinishReason)
	}
	out.text, out.reasoning, out.finished = ch.Content, ch.Reasoning, ch.Finished
	return nil
}

// anthropicStop maps a Messages API stop_reason to an accel.Finish
// constant without allocating.
func anthropicStop(raw []byte) string {
	switch string(raw) {
	case "end_turn", "stop_sequence":
		return accel.FinishStop
	case "max_tokens":
		return accel.FinishLength
	case "tool_use":
		return accel.FinishToolCalls
	case "refusal":
		return accel.FinishContentFilter
	}
	return accel.FinishOther
}

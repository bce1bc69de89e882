package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	openaiopt "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/inferbench/inferbench/accel/remote/server"
)

// The official SDKs, which nobody here wrote, are clients of serve's
// dialects: each parses every event of a stream, and the text and usage
// they put together are what was served. A prompt of 5 words is 5 tokens
// (server.CountTokens); 7 tokens are asked for and served.

func TestOpenAISDKResponsesStream(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{Dialect: server.DialectResponses, APIKey: "sk-test"})
	client := openai.NewClient(openaiopt.WithBaseURL(ts.URL+"/v1"), openaiopt.WithAPIKey("sk-test"), openaiopt.WithMaxRetries(0))
	stream := client.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
		Model:           "llama-3.1-8b",
		Input:           responses.ResponseNewParamsInputUnion{OfString: openai.String("one two three four five")},
		MaxOutputTokens: openai.Int(7),
	})
	var text strings.Builder
	var deltas, seq int
	var final responses.Response
	types := map[string]int{}
	for stream.Next() {
		ev := stream.Current()
		types[ev.Type]++
		if int(ev.SequenceNumber) != seq {
			t.Errorf("event %s: sequence_number %d, want %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq++
		switch ev.Type {
		case "response.output_text.delta":
			deltas++
			text.WriteString(ev.Delta)
		case "response.completed", "response.incomplete":
			final = ev.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if deltas != 7 || text.String() != " The quick brown fox jumps over the" {
		t.Errorf("%d deltas, text %q; want 7 tokens of the pangram", deltas, text.String())
	}
	if final.Status != "incomplete" || final.IncompleteDetails.Reason != "max_output_tokens" ||
		final.Usage.InputTokens != 5 || final.Usage.OutputTokens != 7 || final.Usage.TotalTokens != 12 {
		t.Errorf("final response %s, incomplete %q, usage %+v; want incomplete at max_output_tokens, 5 in, 7 out",
			final.Status, final.IncompleteDetails.Reason, final.Usage)
	}
	if types["response.created"] != 1 || types["response.output_item.added"] != 1 || types["response.content_part.added"] != 1 {
		t.Errorf("events %v", types)
	}
}

func TestAnthropicSDKMessagesStream(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{Dialect: server.DialectAnthropic, APIKey: "sk-ant-test"})
	client := anthropic.NewClient(anthropicopt.WithBaseURL(ts.URL), anthropicopt.WithAPIKey("sk-ant-test"), anthropicopt.WithMaxRetries(0))
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
		Model:     "llama-3.1-8b",
		MaxTokens: 7,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("one two three four five"))},
	})
	var msg anthropic.Message
	types := map[string]int{}
	for stream.Next() {
		ev := stream.Current()
		types[ev.Type]++
		if err := msg.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != " The quick brown fox jumps over the" {
		t.Errorf("content %+v; want one text block of 7 tokens of the pangram", msg.Content)
	}
	if msg.StopReason != "max_tokens" || msg.Usage.InputTokens != 5 || msg.Usage.OutputTokens != 7 || msg.Model != "llama-3.1-8b" {
		t.Errorf("stop %q, usage %+v, model %q; want max_tokens, 5 in, 7 out", msg.StopReason, msg.Usage, msg.Model)
	}
	if types["content_block_delta"] != 7 || types["message_start"] != 1 || types["message_stop"] != 1 {
		t.Errorf("events %v", types)
	}

	// A wrong key is Anthropic's authentication error, which the SDK reads.
	bad := anthropic.NewClient(anthropicopt.WithBaseURL(ts.URL), anthropicopt.WithAPIKey("wrong"), anthropicopt.WithMaxRetries(0))
	_, err := bad.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model: "llama-3.1-8b", MaxTokens: 2,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	})
	var apiErr *anthropic.Error
	if !asError(err, &apiErr) || apiErr.StatusCode != 401 || !strings.Contains(err.Error(), "authentication_error") {
		t.Errorf("wrong key: %v; want a 401 authentication_error", err)
	}
}

// TestAnthropicSDKWhole: a message not streamed is whole, with usage.
func TestAnthropicSDKWhole(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{Dialect: server.DialectAnthropic})
	client := anthropic.NewClient(anthropicopt.WithBaseURL(ts.URL), anthropicopt.WithAPIKey("x"), anthropicopt.WithMaxRetries(0))
	msg, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model: "llama-3.1-8b", MaxTokens: 3,
		System:   []anthropic.TextBlockParam{{Text: "be brief"}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("one two three"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Content[0].Text != " The quick brown" || msg.Usage.InputTokens != 5 || msg.Usage.OutputTokens != 3 || msg.StopReason != "max_tokens" {
		t.Errorf("message %+v", msg)
	}
}

func asError[T error](err error, target *T) bool { return errors.As(err, target) }

// TestSDKsReadReasoning: with --reasoning-tokens, anthropic-sdk-go puts
// together a thinking block then a text block, and openai-go sees the
// reasoning deltas and the usage's reasoning_tokens.
func TestSDKsReadReasoning(t *testing.T) {
	t.Parallel()
	ta := start(t, server.Config{Dialect: server.DialectAnthropic, ReasoningTokens: 3})
	ac := anthropic.NewClient(anthropicopt.WithBaseURL(ta.URL), anthropicopt.WithAPIKey("x"), anthropicopt.WithMaxRetries(0))
	stream := ac.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
		Model: "llama-3.1-8b", MaxTokens: 7,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("one two"))},
	})
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 2 || msg.Content[0].Type != "thinking" || msg.Content[0].Thinking != " The quick brown" ||
		msg.Content[1].Type != "text" || msg.Content[1].Text != " fox jumps over the" || msg.Usage.OutputTokens != 7 {
		t.Errorf("content %+v, usage %+v; want 3 tokens of thinking, then 4 of text", msg.Content, msg.Usage)
	}

	tr := start(t, server.Config{Dialect: server.DialectResponses, ReasoningTokens: 3})
	oc := openai.NewClient(openaiopt.WithBaseURL(tr.URL+"/v1"), openaiopt.WithAPIKey("x"), openaiopt.WithMaxRetries(0))
	rs := oc.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
		Model: "llama-3.1-8b", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("one two")}, MaxOutputTokens: openai.Int(7),
	})
	var reasoning, text int
	var final responses.Response
	for rs.Next() {
		switch ev := rs.Current(); ev.Type {
		case "response.reasoning_text.delta":
			reasoning++
		case "response.output_text.delta":
			text++
		case "response.incomplete":
			final = ev.Response
		}
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	if reasoning != 3 || text != 4 || final.Usage.OutputTokens != 7 || final.Usage.OutputTokensDetails.ReasoningTokens != 3 {
		t.Errorf("%d reasoning and %d text deltas, usage %+v; want 3, 4, 7 with 3 reasoning", reasoning, text, final.Usage)
	}
}

package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/inferbench/inferbench/accel/remote/server"
)

// TestBedrockSDKConverseStream: aws-sdk-go-v2's bedrockruntime client, as
// anyone calls Bedrock, streams from serve's bedrock dialect: it signs
// with SigV4, decodes every event-stream frame, and reads the text, stop
// reason and usage served. A client with another access key is refused
// with AWS's UnrecognizedClientException.
func TestBedrockSDKConverseStream(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{Dialect: server.DialectBedrock, APIKey: "AKIDSERVE"})
	client := func(akid string) *bedrockruntime.Client {
		return bedrockruntime.New(bedrockruntime.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(akid, "secret-key-not-checked", ""),
		})
	}
	in := &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("llama-3.1-8b"),
		Messages: []types.Message{{Role: types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "one two three four five"}}}},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(7)},
	}
	out, err := client("AKIDSERVE").ConverseStream(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var text strings.Builder
	var deltas int
	var stop types.StopReason
	var usage *types.TokenUsage
	var started bool
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			started = v.Value.Role == types.ConversationRoleAssistant
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			if d, ok := v.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				deltas++
				text.WriteString(d.Value)
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = v.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			usage = v.Value.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if !started || deltas != 7 || text.String() != " The quick brown fox jumps over the" || stop != types.StopReasonMaxTokens {
		t.Errorf("started %v, %d deltas, text %q, stop %q; want 7 tokens of the pangram, max_tokens", started, deltas, text.String(), stop)
	}
	if usage == nil || aws.ToInt32(usage.InputTokens) != 5 || aws.ToInt32(usage.OutputTokens) != 7 || aws.ToInt32(usage.TotalTokens) != 12 {
		t.Errorf("usage %+v, want 5 in, 7 out", usage)
	}

	_, err = client("AKIDWRONG").ConverseStream(context.Background(), in)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Errorf("wrong key: %v; want UnrecognizedClientException", err)
	}
}

package remote_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
)

const (
	testAKID   = "AKIDINFERBENCHTEST"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYINFERBENCH"
	testToken  = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN1234567890"
)

func bedrockConfig(akid string) remote.Config {
	return remote.Config{Dialect: remote.DialectBedrock, Region: "us-east-1",
		AWSCredentials: credentials.NewStaticCredentialsProvider(akid, testSecret, testToken)}
}

// TestBedrockFromServe: the client signs with SigV4, decodes serve's
// event-stream frames and counts from the metadata event's usage; where
// the credentials came from is in Info, never what they are.
func TestBedrockFromServe(t *testing.T) {
	t.Parallel()
	ts := servertest.Start(t, server.Config{Dialect: server.DialectBedrock, APIKey: testAKID})
	b := open(t, ts.URL, bedrockConfig(testAKID))
	var g gaps
	res := accel.Result{Gaps: &g}
	req := accel.Request{Seq: 1, InputTokens: 24, OutputTokens: 16}
	if err := b.Infer(context.Background(), &req, &res); err != nil {
		t.Fatal(err)
	}
	if res.OutputTokens != 16 || res.Counted != accel.CountedUsage || res.InputTokens != 24 ||
		res.FinishReason != accel.FinishLength || len(g.d) != 15 || res.TTFO != res.TTFT {
		t.Errorf("%+v with %d gaps; want 16 tokens from usage, 24 in, length, 15 gaps", res, len(g.d))
	}
	info := b.Info().Extra
	if info["dialect"] != "bedrock" || info["region"] != "us-east-1" || info["aws_credentials"] == "" {
		t.Errorf("info %v", info)
	}
	for k, v := range info {
		if strings.Contains(v, testSecret) || strings.Contains(v, testToken) {
			t.Errorf("info %s holds a secret: %q", k, v)
		}
	}
}

// TestBedrockWrongCredentials: a key the endpoint does not know is a
// classified refusal (http_4xx, AWS's message), sent once; the secret key
// and session token appear in no error.
func TestBedrockWrongCredentials(t *testing.T) {
	t.Parallel()
	ts := servertest.Start(t, server.Config{Dialect: server.DialectBedrock, APIKey: testAKID})
	b := open(t, ts.URL, bedrockConfig("AKIDSOMEONEELSE"))
	for i := range 3 {
		var res accel.Result
		err := b.Infer(context.Background(), &accel.Request{Seq: uint64(i), InputTokens: 4, OutputTokens: 2}, &res)
		if accel.ClassOf(err) != accel.ClassHTTP4xx || !strings.Contains(err.Error(), "credentials refused: HTTP 403") ||
			!strings.Contains(err.Error(), "security token included in the request is invalid") {
			t.Errorf("request %d: %v", i, err)
		}
		if err != nil && (strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testToken)) {
			t.Errorf("error holds a secret: %v", err)
		}
	}
}

// TestBedrockConfig: the region and model are required, each error naming
// its flag; h1 cannot carry signed requests.
func TestBedrockConfig(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	for _, tc := range []struct {
		cfg   remote.Config
		field string
	}{
		{remote.Config{URL: "http://127.0.0.1:1", Dialect: remote.DialectBedrock, Model: "m", AWSCredentials: credentials.NewStaticCredentialsProvider("a", "b", "")}, "region"},
		{remote.Config{URL: "http://127.0.0.1:1", Dialect: remote.DialectBedrock, Region: "us-east-1"}, "model"},
		{remote.Config{URL: "http://127.0.0.1:1", Dialect: remote.DialectBedrock, Model: "m", Region: "us-east-1", Transport: remote.TransportH1}, "transport"},
	} {
		_, err := remote.New(tc.cfg)
		var fe *remote.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: %v, want a FieldError naming %s", tc.cfg, err, tc.field)
		}
	}
}

package remote

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/awsstream"
)

// awsSigner signs each request with SigV4 (aws-sdk-go-v2's signer) for one
// service and region, with credentials from a provider (the default chain:
// environment, shared config and profiles, SSO, IMDS), cached by the SDK.
type awsSigner struct {
	creds   aws.CredentialsProvider
	signer  *v4.Signer
	service string // bedrock
	region  string
}

// newAWSSigner loads the default credential chain for region unless cfg
// gives a provider.
func newAWSSigner(cfg *Config, service string) (*awsSigner, error) {
	region := cfg.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		return nil, &FieldError{Field: "region", Msg: `"": the ` + string(cfg.Dialect) + ` dialect signs for a region: give --region (e.g. us-east-1) or set AWS_REGION`}
	}
	creds := cfg.AWSCredentials
	if creds == nil {
		ac, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(region))
		if err != nil {
			return nil, fmt.Errorf("AWS configuration: %w", err)
		}
		creds = ac.Credentials
	}
	if creds == nil {
		return nil, errors.New("AWS configuration: no credential provider")
	}
	return &awsSigner{creds: aws.NewCredentialsCache(creds), signer: v4.NewSigner(), service: service, region: region}, nil
}

// retrieve gets the credentials (from the cache while they are valid).
func (s *awsSigner) retrieve(ctx context.Context) (aws.Credentials, error) {
	return s.creds.Retrieve(ctx)
}

// sign signs r, whose body is body, as of now.
func (s *awsSigner) sign(ctx context.Context, r *http.Request, body []byte) error {
	cr, err := s.retrieve(ctx)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	return s.signer.SignHTTP(ctx, cr, r, hex.EncodeToString(sum[:]), s.service, s.region, time.Now())
}

// readEventStream reads a ConverseStream answer: AWS event-stream frames
// (aws-sdk-go-v2's decoder, CRCs checked), each a JSON event named by its
// :event-type header, until messageStop and metadata (usage, the service's
// latencyMs) or the body's end. An exception frame fails the request with
// the service's message: throttlingException as http_4xx, the rest http_5xx.
func (c *call) readEventStream(parent context.Context, body io.Reader, start time.Time, res *accel.Result) error {
	if c.dec == nil {
		c.dec = eventstream.NewDecoder()
		c.br = bufio.NewReaderSize(body, 16<<10)
	}
	// The decoder reads a frame in many small reads (prelude, each header,
	// the payload, the CRC); buffered, they cost a copy, not a trip through
	// the transport's body reader each.
	c.br.Reset(body)
	body = c.br
	var (
		last              time.Time
		chunks, reasoning int
		text, stopped     bool
		usage             = -1
		ev                awsstream.Event
	)
	for {
		msg, err := c.dec.Decode(body, c.payload[:0])
		if err != nil {
			if err == io.EOF && stopped {
				c.clean = true
				break
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return c.classify(parent, err, accel.ClassStreamBroken, "event stream ended before messageStop after "+strconv.Itoa(chunks)+" chunks")
		}
		if cap(msg.Payload) > cap(c.payload) {
			c.payload = msg.Payload[:0] // keep the larger buffer
		}
		mtype := msg.Headers.Get(awsstream.HeaderMessageType)
		if err := awsstream.ParseEvent(msg.Payload, &ev); err != nil {
			return accel.Errorf(accel.ClassBadPayload, "%v in %s", err, c.b.redact(truncate(msg.Payload)))
		}
		if mtype != nil && mtype.String() != "event" {
			name := "exception"
			if h := msg.Headers.Get(awsstream.HeaderExceptionType); h != nil {
				name = h.String()
			}
			class := accel.ClassHTTP5xx
			if name == "throttlingException" || name == "validationException" {
				class = accel.ClassHTTP4xx
			}
			return accel.Errorf(class, "%s in stream: %s", name, c.b.redact(truncate(ev.Message)))
		}
		if ev.HasUsage {
			usage, res.InputTokens = ev.OutputTokens, ev.InputTokens
		}
		if ev.StopReason != nil {
			res.FinishReason, stopped = bedrockStop(ev.StopReason), true
		}
		if ev.Text+ev.Reasoning == 0 {
			continue
		}
		now := c.ex.received(start)
		if chunks == 0 {
			res.TTFT = now.Sub(start)
			c.ex.firstToken()
		} else if res.Gaps != nil {
			res.Gaps.RecordGap(now.Sub(last))
		}
		if ev.Text > 0 && !text {
			text, res.TTFO = true, now.Sub(start)
		}
		if ev.Text == 0 {
			reasoning++
		}
		last = now
		chunks++
	}
	if chunks == 0 && usage <= 0 {
		return accel.Errorf(accel.ClassBadPayload, "stream had no content chunks and no usage")
	}
	res.Latency = last.Sub(start)
	if chunks == 0 {
		res.Latency = time.Since(start)
		res.TTFT = res.Latency
	}
	if !text && reasoning > 0 {
		res.TTFO = res.Latency
	}
	if usage >= 0 {
		res.OutputTokens, res.Counted = usage, accel.CountedUsage
	} else {
		res.OutputTokens, res.Counted = chunks, accel.CountedChunks
	}
	res.ReasoningTokens = reasoning
	res.NoTokenTimes = res.OutputTokens > 1 && chunks < 2
	return nil
}

// bedrockStop maps a Converse stopReason to an accel.Finish constant.
func bedrockStop(raw []byte) string {
	switch string(raw) {
	case "end_turn", "stop_sequence":
		return accel.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return accel.FinishLength
	case "tool_use":
		return accel.FinishToolCalls
	case "guardrail_intervened", "content_filtered":
		return accel.FinishContentFilter
	}
	return accel.FinishOther
}

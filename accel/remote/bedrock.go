package remote

import (
	"bufio"
	"bytes"
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

// readEventStream reads an answer in AWS event-stream frames (aws-sdk-go-v2's
// decoder, CRCs checked). Bedrock's ConverseStream frames are each a JSON
// event named by its :event-type header, until messageStop and metadata
// (usage, the service's latencyMs); SageMaker's PayloadPart frames carry
// pieces of the container's own stream (TGI's or LMI's token lines), read
// line by line. An exception frame fails the request with the service's
// message: throttlingException and validationException as http_4xx, the
// rest http_5xx.
//
// The decoder is where a frame's time goes: it allocates about 38 objects
// a frame (each header's name and value, a CRC hash, tee and limit
// readers), none of which its arguments can spare. What this adds per frame
// allocates nothing (TestEventStreamAllocsAreTheSDKs); keep it so.
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
	st := esState{c: c, res: res, start: start, usage: -1, usageReasoning: -1}
	c.lines = c.lines[:0]
	var ev awsstream.Event
	for {
		msg, err := c.dec.Decode(body, c.payload[:0])
		if err != nil {
			if err == io.EOF && (st.stopped || c.b.wire == wireSageMaker && st.chunks > 0) {
				c.clean = true
				break
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return c.classify(parent, err, accel.ClassStreamBroken, "event stream ended before its last event after "+strconv.Itoa(st.chunks)+" chunks")
		}
		if cap(msg.Payload) > cap(c.payload) {
			c.payload = msg.Payload[:0] // keep the larger buffer
		}
		if mtype := msg.Headers.Get(awsstream.HeaderMessageType); mtype != nil && mtype.String() != "event" {
			awsstream.ParseEvent(msg.Payload, &ev) // for its message; a malformed one has none
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
		if c.b.wire == wireSageMaker {
			if err := st.payloadPart(msg.Payload); err != nil {
				return err
			}
			continue
		}
		if err := awsstream.ParseEvent(msg.Payload, &ev); err != nil {
			return accel.Errorf(accel.ClassBadPayload, "%v in %s", err, c.b.redact(truncate(msg.Payload)))
		}
		if ev.HasUsage {
			st.usage, res.InputTokens = ev.OutputTokens, ev.InputTokens
		}
		if ev.StopReason != nil {
			res.FinishReason, st.stopped = bedrockStop(ev.StopReason), true
		}
		st.tokens(ev.Text, ev.Reasoning)
	}
	if c.b.wire == wireSageMaker && len(c.lines) > 0 { // a last line without its newline
		if err := st.line(c.lines); err != nil {
			return err
		}
	}
	return st.finish()
}

// esState is what an event stream has told so far.
type esState struct {
	c                 *call
	res               *accel.Result
	start, last       time.Time
	chunks, reasoning int
	text, stopped     bool
	usage             int // the server's output count, -1 until it says
	usageReasoning    int // the server's reasoning count (chat usage), -1 until it says
}

// tokens times an event carrying text bytes of answer and reasoning of
// reasoning.
func (s *esState) tokens(text, reasoning int) {
	if text+reasoning == 0 {
		return
	}
	res := s.res
	now := s.c.ex.received(s.start)
	if s.chunks == 0 {
		res.TTFT = now.Sub(s.start)
		s.c.ex.firstToken()
	} else if res.Gaps != nil {
		res.Gaps.RecordGap(now.Sub(s.last))
	}
	if text > 0 && !s.text {
		s.text, res.TTFO = true, now.Sub(s.start)
	}
	if text == 0 {
		s.reasoning++
	}
	s.last = now
	s.chunks++
}

// payloadPart adds a piece of a SageMaker container's stream and reads the
// whole lines it completes.
func (s *esState) payloadPart(p []byte) error {
	c := s.c
	c.lines = append(c.lines, p...)
	for {
		i := bytes.IndexByte(c.lines, '\n')
		if i < 0 {
			return nil
		}
		if err := s.line(c.lines[:i]); err != nil {
			return err
		}
		c.lines = c.lines[:copy(c.lines, c.lines[i+1:])]
	}
}

// line reads one line of a TGI (server-sent events), LMI (JSON lines) or
// chat-completions stream.
func (s *esState) line(l []byte) error {
	l = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(l), []byte("data:")))
	if len(l) == 0 || l[0] != '{' { // blank, an SSE comment or field, [DONE]
		return nil
	}
	var t awsstream.TokenLine
	if err := awsstream.ParseTokenLine(l, &t); err != nil {
		return accel.Errorf(accel.ClassBadPayload, "%v in %s", err, s.c.b.redact(truncate(l)))
	}
	if t.Error {
		return accel.Errorf(accel.ClassHTTP5xx, "container error in stream: %s", s.c.b.redact(truncate(t.ErrorMessage)))
	}
	if t.GeneratedTokens >= 0 {
		s.usage = t.GeneratedTokens
	}
	if t.InputTokens >= 0 {
		s.res.InputTokens = t.InputTokens
	}
	if t.ReasoningTokens >= 0 {
		s.usageReasoning = t.ReasoningTokens
	}
	if t.FinishReason != nil {
		s.res.FinishReason, s.stopped = finishReason(t.FinishReason), true
	}
	s.tokens(t.Text, t.Reasoning)
	return nil
}

// finish fills the result once the stream ended.
func (s *esState) finish() error {
	res := s.res
	if s.chunks == 0 && s.usage <= 0 {
		return accel.Errorf(accel.ClassBadPayload, "stream had no content chunks and no usage")
	}
	res.Latency = s.last.Sub(s.start)
	if s.chunks == 0 {
		res.Latency = time.Since(s.start)
		res.TTFT = res.Latency
	}
	if !s.text && s.reasoning > 0 {
		res.TTFO = res.Latency
	}
	if s.usage >= 0 {
		res.OutputTokens, res.Counted = s.usage, accel.CountedUsage
	} else {
		res.OutputTokens, res.Counted = s.chunks, accel.CountedChunks
	}
	res.ReasoningTokens = s.reasoning
	if s.usageReasoning > 0 { // the server's count, where its usage has one, as for chat
		res.ReasoningTokens = s.usageReasoning
	}
	res.NoTokenTimes = res.OutputTokens > 1 && s.chunks < 2
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

// Package remote measures an inference endpoint over HTTP: any server that speaks
// the OpenAI API (vLLM, TGI, SGLang, TensorRT-LLM, llama.cpp, Ollama, NIM, Azure
// OpenAI, vLLM on Neuron), which is how a model deployed anywhere is reached.
//
// A Backend sends each request with stream: true and reads the server-sent
// events as they arrive: time to first token is the first chunk that carries
// text (not the role-only chunk servers send first), each later text chunk adds
// an inter-token gap, and the output length comes from the final usage chunk
// (asked for with stream_options.include_usage) or, when a server sends none,
// from the number of text chunks; Result.Counted says which. The served prompt
// length (usage.prompt_tokens) goes in Result.InputTokens and the last
// finish_reason in Result.FinishReason, so a server that read a different
// prompt length or stopped early is seen. With stream: false (and for a
// stream whose text came in one chunk) the answer is untimed token by token:
// Result.NoTokenTimes.
//
// The client must not be the bottleneck. Each in-flight request borrows a call
// from a pool: its request body, SSE reader and response buffers are reused, so
// the body is built and the stream parsed without allocating; what remains is
// net/http's own per-request cost (see BenchmarkRemoteStream).
//
// Errors are classified for the report: connect (the endpoint cannot be
// reached), timeout (connect, first-token or whole-request deadline), http_4xx,
// http_5xx, stream_broken (the stream ended before [DONE]) and bad_payload.
package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/inferbench/inferbench/accel"

	"github.com/inferbench/inferbench/internal/anthropic"
	"github.com/inferbench/inferbench/internal/awsstream"
	"github.com/inferbench/inferbench/internal/h1"
	"github.com/inferbench/inferbench/internal/openai"
	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/internal/responses"
	"github.com/inferbench/inferbench/internal/rxtime"
	"github.com/inferbench/inferbench/internal/sse"
)

// Backend is an OpenAI-compatible endpoint.
type Backend struct {
	cfg      Config
	endpoint string
	header   http.Header // every request's headers, auth included; shared read-only
	client   *http.Client
	tr       *http.Transport
	gate     *h1.Gate  // net/http's dials: none per request to a refusing endpoint (h1's pool has its own)
	tp       transport // h1Transport or netTransport (see pickTransport)
	wire     wire      // the requests' and streams' format
	info     accel.Info
	callsMu  sync.Mutex
	calls    []*call // idle calls: a free list, not a sync.Pool, because each
	// call keeps a cancellation hook registered on the run's context, which a
	// pool's silent drops would leave behind

	red *redact.Redactor // masks cfg's secrets in error text; error paths only

	// refused is set by the first answer that refuses the credentials (401,
	// 403): later requests fail at once with it instead of being sent, so
	// a wrong key costs one request per connection in flight, not a retry
	// storm, and the load generator's fail-fast rule ends the run.
	refused atomic.Pointer[string]

	aws *awsSigner // the bedrock dialect's SigV4 signer, nil otherwise
}

var _ accel.Backend = (*Backend)(nil)

// New returns a backend for cfg, its zero fields given their defaults
// (Config.WithDefaults) and the whole checked once (Config.Validate). It
// reads cfg.PromptsFile when cfg.Prompts is nil. It does not contact the
// endpoint: Probe does.
func New(cfg Config) (*Backend, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Prompts == nil && cfg.PromptsFile != "" {
		ps, err := ReadPromptsFile(cfg.PromptsFile)
		if err != nil {
			return nil, fmt.Errorf("prompts: %w", err)
		}
		cfg.Prompts = ps
	}
	ep, err := cfg.endpoint()
	if err != nil {
		return nil, err
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("ca_cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_cert %q: no PEM certificates in the file", cfg.CACert)
		}
		tlsConf.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	gate := new(h1.Gate)
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         gate.DialContext(dialer.DialContext),
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: cfg.ConnectTimeout,
		// One keep-alive connection per request in flight: no request waits for a
		// connection and none is dialled mid-run once the pool is warm. The pool
		// never holds more connections than were ever in flight at once, so it is
		// sized generously: an open-loop run's in-flight count is not known ahead.
		MaxIdleConns:        max(cfg.MaxConns, DefaultMaxConns),
		MaxIdleConnsPerHost: max(cfg.MaxConns, DefaultMaxConns),
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		// Servers stream uncompressed; asking for gzip would make net/http buffer.
		DisableCompression: true,
		ForceAttemptHTTP2:  true,
		// Large enough that a chunk is read in one system call.
		ReadBufferSize:  32 << 10,
		WriteBufferSize: 16 << 10,
	}
	b := &Backend{cfg: cfg, endpoint: ep, tr: tr, client: &http.Client{Transport: tr}, red: cfg.Redactor(), gate: gate}
	b.header = http.Header{}
	for k, vs := range cfg.Headers {
		b.header[http.CanonicalHeaderKey(k)] = vs
	}
	b.header.Set("Content-Type", "application/json")
	if cfg.NoStream {
		b.header.Set("Accept", "application/json")
	} else {
		b.header.Set("Accept", "text/event-stream")
	}
	b.wire = cfg.wire()
	switch b.wire {
	case wireAnthropic:
		b.header.Set("Anthropic-Version", anthropic.Version)
	case wireBedrock, wireSageMaker:
		b.header.Set("Accept", awsstream.ContentType)
		service := "bedrock"
		if b.wire == wireSageMaker {
			service = "sagemaker"
		}
		if b.aws, err = newAWSSigner(&cfg, service); err != nil {
			return nil, err
		}
		cfg.APIKey = "" // a Bedrock API key goes with --dialect openai to its OpenAI-compatible endpoint
	}
	if cfg.APIKey != "" {
		switch cfg.Dialect {
		case DialectAzure:
			b.header.Set("api-key", cfg.APIKey)
		case DialectAnthropic:
			b.header.Set("X-Api-Key", cfg.APIKey)
		default:
			b.header.Set("Authorization", "Bearer "+cfg.APIKey)
		}
	}
	b.info = accel.Info{
		ID:   RedactURL(cfg.URL),
		Kind: accel.KindRemote,
		Name: "OpenAI-compatible endpoint",
		Extra: map[string]string{
			"dialect":  string(cfg.Dialect),
			"api":      string(cfg.API),
			"endpoint": RedactURL(ep),
			"stream":   strconv.FormatBool(!cfg.NoStream),
			"prompts":  "synthetic",
			"hints":    strconv.FormatBool(cfg.LengthHints),
			// token_times: when a token counts as received (see exchange.received).
			"token_times": "read",
		},
	}
	switch b.wire {
	case wireResponses:
		b.info.Name = "OpenAI Responses endpoint"
	case wireAnthropic:
		b.info.Name = "Anthropic Messages endpoint"
	case wireBedrock:
		b.info.Name = "AWS Bedrock Runtime (ConverseStream)"
	case wireSageMaker:
		b.info.Name = "AWS SageMaker endpoint (response stream)"
	}
	if cfg.Model != "" {
		b.info.Extra["model"] = cfg.Model
	}
	if cfg.PromptsFile != "" {
		b.info.Extra["prompts"] = cfg.PromptsFile
	}
	if cfg.APIKeyEnv != "" {
		b.info.Extra["api_key_env"] = cfg.APIKeyEnv // the name, never the value
	}
	if len(cfg.Headers) > 0 {
		names := make([]string, 0, len(cfg.Headers))
		for k := range cfg.Headers {
			names = append(names, http.CanonicalHeaderKey(k))
		}
		b.info.Extra["headers"] = strings.Join(names, ",") // names only: values may be secrets
	}
	if err := b.pickTransport(); err != nil {
		return nil, err
	}
	return b, nil
}

// pickTransport picks the transport: package h1 for http and https with no
// proxy in the way, unless the transport setting asks for net/http; net/http
// otherwise (through a proxy; HTTP/2 is then negotiated where the server
// offers it).
func (b *Backend) pickTransport() error {
	nt := &netTransport{client: b.client, tr: b.tr, endpoint: b.endpoint, header: b.header, cfg: &b.cfg}
	if b.aws != nil {
		nt.sign = b.aws.sign // each request signed: net/http carries per-request headers
		b.tp = nt
		return nil
	}
	switch b.cfg.Transport {
	case "", TransportAuto, TransportH1:
	case TransportNetHTTP:
		b.tp = nt
		return nil
	default:
		return fmt.Errorf("transport %q: want auto, h1 or net/http", b.cfg.Transport)
	}
	req, err := http.NewRequest(http.MethodPost, b.endpoint, nil)
	if err != nil {
		return err
	}
	proxy, _ := b.tr.Proxy(req)
	if proxy != nil {
		if b.cfg.Transport == TransportH1 {
			return fmt.Errorf("transport h1: not through a proxy (%s); unset HTTPS_PROXY/HTTP_PROXY or use --transport net/http", RedactURL(proxy.String()))
		}
		b.tp = nt
		return nil
	}
	var tlsConf *tls.Config
	if req.URL.Scheme == "https" {
		tlsConf = b.tr.TLSClientConfig.Clone() // --ca-cert's roots
		tlsConf.ServerName = req.URL.Hostname()
	}
	pool := h1.NewPool(hostPort(req.URL), b.cfg.ConnectTimeout, max(b.cfg.MaxConns, DefaultMaxConns), tlsConf)
	h := []byte("POST " + req.URL.RequestURI() + " HTTP/1.1\r\nHost: " + req.URL.Host + "\r\nUser-Agent: inferbench\r\n")
	if u := req.URL.User; u != nil && b.header.Get("Authorization") == "" {
		pw, _ := u.Password()
		h = append(h, "Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw))+"\r\n"...)
	}
	keys := make([]string, 0, len(b.header))
	for k := range b.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range b.header[k] {
			h = append(h, k+": "+v+"\r\n"...)
		}
	}
	b.tp = &h1Transport{pool: pool, head: h, cfg: &b.cfg}
	b.info.Extra["transport"] = TransportH1
	b.info.Extra["token_times"] = rxtime.Clock
	return nil
}

// RedactURL masks the user information of every URL in s, for display:
// http://user:pw@host/v1 becomes http://REDACTED@host/v1.
func RedactURL(s string) string { return redact.URL(s) }

// Info describes the endpoint; Extra["dialect"] records the dialect used.
func (b *Backend) Info() accel.Info { return b.info }

// Close drops the idle connections.
func (b *Backend) Close() error {
	b.callsMu.Lock()
	for _, c := range b.calls {
		c.ex.close()
	}
	b.calls = nil
	b.callsMu.Unlock()
	b.tp.close()
	b.tr.CloseIdleConnections() // net/http's, even when h1 sent the requests
	return nil
}

// Probe dials the endpoint's host once (over h1, with the TLS handshake), so
// that a wrong address or an untrusted certificate fails before any load is
// sent, with one clear message. On h1 the connection is kept for the first
// request.
func (b *Backend) Probe(ctx context.Context) error {
	if b.aws != nil {
		cr, err := b.aws.retrieve(ctx)
		if err != nil {
			return accel.Errorf(accel.ClassHTTP4xx, "no AWS credentials for %s: %s (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login)",
				b.aws.region, b.red.String(err.Error()))
		}
		b.red.Add(cr.SecretAccessKey, cr.SessionToken) // masked in every error from here on
		b.info.Extra["aws_credentials"] = cr.Source    // where they came from, never what
		b.info.Extra["region"] = b.aws.region
	}
	if err := b.tp.probe(ctx); err != nil {
		hint := "is the server running? check the host and port"
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) {
			hint = "this machine does not trust the server's certificate: give its CA with --ca-cert FILE"
		}
		return accel.Errorf(accel.ClassConnect, "cannot reach %s (%s)", b.red.String(RedactURL(b.cfg.URL)+": "+unwrapNet(err).Error()), hint)
	}
	return nil
}

// hostPort is u's host:port, with the scheme's default port when u has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// unwrapNet shortens "dial tcp 127.0.0.1:1: connect: connection refused" to its
// cause when there is one.
func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil && op.Addr != nil { // a DNS failure has no address: keep its own message
		return fmt.Errorf("%s %s: %w", op.Op, op.Addr, op.Err)
	}
	return err
}

// errFirstToken and errRequestTimeout are the causes a call's timer cancels
// its request with.
var (
	errFirstToken     = errors.New("first-token timeout")
	errRequestTimeout = errors.New("request timeout")
)

// transport is how a Backend's requests reach the endpoint: h1Transport
// (transport_h1.go: allocation-free, kernel-stamped token times) or
// netTransport (transport_nethttp.go: proxies, HTTP/2). The call path above
// it (the body, the stream's parsing, the classes of errors) is the same
// for both.
type transport interface {
	// exchange returns the state one call keeps for its requests, reused
	// request after request.
	exchange() exchange
	// probe reaches the endpoint once (the proxy, through one), so that a
	// wrong address fails before any load.
	probe(ctx context.Context) error
	// close drops the idle connections.
	close()
}

// exchange sends one call's requests, one at a time, and enforces the
// first-token and whole-request deadlines (Config) on each.
type exchange interface {
	// send sends the JSON body and returns the response, whose body the
	// caller reads; the response is the exchange's own until release.
	send(parent context.Context, body []byte, start time.Time) (*response, error)
	// received is when the bytes just read reached this machine: the
	// kernel's receive stamp where the transport has one, else the clock
	// now; never before start.
	received(start time.Time) time.Time
	// firstToken moves the deadline from the first token's to the request's.
	firstToken()
	// deadlineCause says which of our deadlines, if any, err comes from
	// (errFirstToken, errRequestTimeout), nil for none.
	deadlineCause(err error) error
	// release ends the request; clean says its body was read to the end, so
	// its connection may serve another.
	release(clean bool)
	// close drops what the exchange holds between requests.
	close()
}

// response is a response's status line, type and body.
type response struct {
	status     int
	statusText []byte
	ctype      []byte
	body       io.Reader
}

// call is one in-flight request's reusable state. Calls are pooled, so a run
// at concurrency N holds about N of them.
type call struct {
	b       *Backend
	ex      exchange
	body    []byte
	sse     *sse.Reader
	ev      sse.Event
	chunk   openai.Chunk
	anth    anthropic.Event
	resp2   responses.Event
	dec     *eventstream.Decoder // bedrock's frames
	payload []byte               // their payloads, reused
	br      *bufio.Reader        // the frames' reads, buffered
	lines   []byte               // sagemaker: the container's stream, up to a whole line
	sev     streamEvent
	whole   []byte // the non-streamed response body
	spec    openai.RequestBody

	resp  *response // the response in progress
	clean bool      // its body was read to the end: the connection may be reused
}

// release ends the request in progress.
func (c *call) release() {
	c.ex.release(c.clean)
	c.resp, c.clean = nil, false
}

func (b *Backend) newCall() *call {
	c := &call{b: b, ex: b.tp.exchange(), sse: sse.NewReader(16 << 10)}
	c.body = make([]byte, 0, 4096)
	return c
}

// Infer sends one request and reads its stream. See the package doc for what it
// measures and how errors are classified.
func (b *Backend) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	b.callsMu.Lock()
	var c *call
	if n := len(b.calls); n > 0 {
		c, b.calls = b.calls[n-1], b.calls[:n-1]
	}
	b.callsMu.Unlock()
	if c == nil {
		c = b.newCall()
	}
	err := c.do(ctx, req, res)
	if err != nil {
		res.Class = accel.ClassOf(err)
	}
	b.callsMu.Lock()
	b.calls = append(b.calls, c)
	b.callsMu.Unlock()
	return err
}

func (c *call) do(parent context.Context, req *accel.Request, res *accel.Result) error {
	b := c.b
	model := req.Model
	if model == "" {
		model = b.cfg.Model
	}
	c.spec = openai.RequestBody{
		Chat: b.cfg.API == APIChat, Model: model, MaxTokens: req.OutputTokens,
		Hints: b.cfg.LengthHints, Stream: !b.cfg.NoStream,
	}
	switch {
	case req.Prompt != "":
		c.spec.Prompt = req.Prompt
	case len(b.cfg.Prompts) > 0:
		c.spec.Prompt = b.cfg.Prompts[req.Seq%uint64(len(b.cfg.Prompts))]
	default:
		c.body = appendPrompt(c.body[:0], b.cfg.Seed, req)
		c.spec.PromptBytes = c.body
	}
	// The prompt was built at the start of body; the JSON goes after it and is
	// then moved down, so one buffer holds both.
	n := len(c.spec.PromptBytes)
	c.body = c.appendBody(c.body[:n], model, req.OutputTokens)
	c.body = append(c.body[:0], c.body[n:]...)
	c.spec.PromptBytes = nil

	if msg := b.refused.Load(); msg != nil {
		return accel.Errorf(accel.ClassHTTP4xx, "%s (not sent: an earlier request's credentials were refused)", *msg)
	}
	start := time.Now()
	resp, err := c.ex.send(parent, c.body, start)
	c.resp = resp
	defer c.release()
	if err != nil {
		return c.classify(parent, err, accel.ClassConnect, "send")
	}
	if resp.status != http.StatusOK {
		return c.statusError(resp)
	}
	if b.cfg.NoStream {
		return c.readWhole(parent, resp.body, start, res)
	}
	if b.wire == wireBedrock || b.wire == wireSageMaker {
		return c.readEventStream(parent, resp.body, start, res)
	}
	if !bytes.HasPrefix(resp.ctype, []byte("text/event-stream")) {
		return accel.Errorf(accel.ClassBadPayload, "response Content-Type %q: want text/event-stream (does the server support stream: true?)", resp.ctype)
	}

	c.sse.Reset(resp.body)
	var (
		last      time.Time
		chunks    int // token-carrying events: answer and reasoning
		text      bool
		reasoning int // reasoning events
		usage     = -1
		reasonTok = -1
		finished  bool
		ev        = &c.sev
	)
	for {
		err := c.sse.Next(&c.ev)
		if err != nil {
			if err == io.EOF && finished {
				c.clean = true
				break // some servers end with finish_reason and no [DONE]
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if errors.Is(err, sse.ErrLineTooLong) {
				return accel.Errorf(accel.ClassBadPayload, "%v", err)
			}
			return c.classify(parent, err, accel.ClassStreamBroken, "stream ended before "+c.b.lastEvent()+" after "+strconv.Itoa(chunks)+" chunks")
		}
		if err := c.parse(&c.ev, ev); err != nil {
			return err
		}
		if ev.output >= 0 {
			usage, reasonTok = ev.output, ev.reasoningTokens
		}
		if ev.input >= 0 {
			res.InputTokens = ev.input
		}
		if ev.finish != "" {
			res.FinishReason = ev.finish
		}
		finished = finished || ev.finished
		if ev.done {
			// Read to the end of the body so the connection goes back to the
			// keep-alive pool; servers close the response right after it.
			for c.sse.Next(&c.ev) == nil {
			}
			c.clean = true
			break
		}
		if ev.text+ev.reasoning == 0 {
			continue // role-only, empty delta, finish, usage or bookkeeping event
		}
		// A token's time is when its bytes arrived (exchange.received):
		// the kernel's stamp on h1, the clock on net/http.
		now := c.ex.received(start)
		if chunks == 0 {
			res.TTFT = now.Sub(start)
			c.ex.firstToken()
		} else if res.Gaps != nil {
			res.Gaps.RecordGap(now.Sub(last))
		}
		if ev.text > 0 && !text {
			text = true
			res.TTFO = now.Sub(start)
		}
		if ev.text == 0 {
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
		res.TTFO = res.Latency // all reasoning, no answer: the answer never began
	}
	if usage >= 0 {
		res.OutputTokens, res.Counted = usage, accel.CountedUsage
	} else {
		res.OutputTokens, res.Counted = chunks, accel.CountedChunks
	}
	res.ReasoningTokens = reasoning
	if usage >= 0 && reasonTok >= 0 {
		res.ReasoningTokens = reasonTok
	}
	// Several tokens in fewer than two text chunks: their times are unknown,
	// not equal, so they give no TPOT.
	res.NoTokenTimes = res.OutputTokens > 1 && chunks < 2
	return nil
}

// lastEvent names the event a stream of this backend's wire format ends
// with, for the error when it ends before it.
func (b *Backend) lastEvent() string {
	switch b.wire {
	case wireAnthropic:
		return "message_stop"
	case wireResponses:
		return "response.completed"
	}
	return "[DONE]"
}

// readWhole reads a non-streamed response: latency is the time to the whole
// answer, and no token is timed on its own, the first included
// (NoTokenTimes, NoTTFT).
func (c *call) readWhole(parent context.Context, body io.Reader, start time.Time, res *accel.Result) error {
	c.whole = c.whole[:0]
	for {
		if len(c.whole) == cap(c.whole) {
			c.whole = append(c.whole, 0)[:len(c.whole)]
		}
		n, err := body.Read(c.whole[len(c.whole):cap(c.whole)])
		c.whole = c.whole[:len(c.whole)+n]
		if err == io.EOF {
			c.clean = true
			break
		}
		if err != nil {
			return c.classify(parent, err, accel.ClassStreamBroken, "response body")
		}
		if len(c.whole) > sse.DefaultMaxLine*16 {
			return accel.Errorf(accel.ClassBadPayload, "response larger than %d bytes", sse.DefaultMaxLine*16)
		}
	}
	res.Latency = time.Since(start)
	res.TTFT = res.Latency
	res.NoTokenTimes, res.NoTTFT = true, true
	if err := openai.ParseChunk(c.whole, &c.chunk); err != nil {
		return accel.Errorf(accel.ClassBadPayload, "%v in %s", err, c.b.redact(truncate(c.whole)))
	}
	if c.chunk.Error {
		return accel.Errorf(accel.ClassHTTP5xx, "server error: %s", c.b.redact(truncate([]byte(c.chunk.ErrorText()))))
	}
	if len(c.chunk.FinishReason) > 0 {
		res.FinishReason = finishReason(c.chunk.FinishReason)
	}
	if c.chunk.HasUsage {
		res.OutputTokens, res.Counted = c.chunk.CompletionTokens, accel.CountedUsage
		res.InputTokens = c.chunk.PromptTokens
		return nil
	}
	return accel.Errorf(accel.ClassBadPayload, "response has no usage: cannot count its tokens")
}

// classify turns a transport or read error into a classified one: our own
// deadlines are timeouts, the run's cancellation is canceled, and anything else
// takes the class the caller gives.
func (c *call) classify(parent context.Context, err error, class accel.ErrClass, what string) error {
	if parent.Err() != nil {
		return accel.Errorf(accel.ClassCanceled, "%v", parent.Err())
	}
	msg := c.b.redact(unwrapNet(err).Error())
	cause := c.ex.deadlineCause(err)
	if cause == errFirstToken || cause == errRequestTimeout {
		d := c.b.cfg.RequestTimeout
		if cause == errFirstToken {
			d = c.b.cfg.FirstTokenTimeout
		}
		return accel.Errorf(accel.ClassTimeout, "%v after %v", cause, d)
	}
	var down *h1.DownError
	if errors.As(err, &down) {
		// Failed without a dial: the last one failed moments ago.
		return accel.Errorf(accel.ClassConnect, "%s: not dialled, the last dial %v ago failed (one dial at a time retries): %s",
			what, time.Since(down.At).Round(time.Millisecond), msg)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return accel.Errorf(accel.ClassConnect, "connect timeout after %v: %s", c.b.cfg.ConnectTimeout, msg)
		}
		return accel.Errorf(accel.ClassTimeout, "%s: %s", what, msg)
	}
	return accel.Errorf(class, "%s: %s", what, msg)
}

// statusError reads a little of an error response for the report's example.
func (c *call) statusError(resp *response) error {
	var buf [512]byte
	n, _ := io.ReadFull(resp.body, buf[:])
	msg := strings.TrimSpace(string(buf[:n]))
	var ch openai.Chunk
	if openai.ParseChunk(buf[:n], &ch) == nil && ch.Error && len(ch.ErrorMessage) > 0 {
		msg = ch.ErrorText()
	}
	class := accel.ClassBadPayload
	switch {
	case resp.status >= 500:
		class = accel.ClassHTTP5xx
	case resp.status >= 400:
		class = accel.ClassHTTP4xx
	}
	if resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden {
		hint := "check the key"
		if c.b.cfg.APIKeyEnv != "" {
			hint = "check the key in $" + c.b.cfg.APIKeyEnv
		} else if c.b.cfg.APIKey == "" {
			hint = "no key was sent: give --api-key-env"
		}
		refused := "credentials refused: HTTP " + c.b.redact(string(resp.statusText)+": "+msg) + " (" + hint + ")"
		c.b.refused.CompareAndSwap(nil, &refused)
		return accel.Errorf(class, "%s", refused)
	}
	return accel.Errorf(class, "HTTP %s", c.b.redact(string(resp.statusText)+": "+msg))
}

// redact masks the configuration's secrets (key, header values, URL user
// info) and package redact's patterns in text for an error: a server's
// answer (some echo the key) or a transport's message (which may quote the
// URL). Error paths only: it allocates.
func (b *Backend) redact(s string) string { return b.red.String(s) }

// finishReason maps a finish_reason from the wire to an accel.Finish
// constant without allocating: OpenAI's names as they are, TGI's
// (eos_token, stop_sequence) and the older function_call to their OpenAI
// equivalents, anything else (vLLM's abort...) to other.
func finishReason(raw []byte) string {
	switch string(raw) {
	case accel.FinishStop, "eos_token", "stop_sequence":
		return accel.FinishStop
	case accel.FinishLength:
		return accel.FinishLength
	case accel.FinishContentFilter:
		return accel.FinishContentFilter
	case accel.FinishToolCalls, "function_call":
		return accel.FinishToolCalls
	}
	return accel.FinishOther
}

// truncate returns at most 200 bytes of b as a string, for error messages.
func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// Opener opens http:// and https:// specs. Each is opened with Config, its
// URL the spec and its Model and Seed the Options'; a Dialect of auto (or "")
// is detected from each URL.
type Opener struct {
	// Config is every endpoint's configuration: the CLI builds it once from
	// its flags. Its zero fields take the defaults (Config.WithDefaults).
	Config Config
	// LengthHintsSet says Config.LengthHints was chosen (the CLI's
	// --length-hints); otherwise hints are sent, except to the azure dialect,
	// which rejects parameters it does not know.
	LengthHintsSet bool
}

var _ accel.Opener = Opener{}

// Schemes returns http and https.
func (Opener) Schemes() []string { return []string{"http", "https"} }

// Targets is nil: URLs are free-form.
func (Opener) Targets() []string { return nil }

// Open builds a backend from the spec URL and Config and probes the
// endpoint's address, so a closed port fails here with one clear message
// rather than as a run of connect errors. A bad Config is an error about the
// spec (accel.ErrBadSpec) naming the field, with its secrets masked.
func (o Opener) Open(s accel.Spec, opts accel.Options) (accel.Backend, error) {
	cfg := o.Config
	cfg.URL, cfg.Model, cfg.Seed = s.Target, opts.Model, opts.Seed
	cfg = cfg.WithDefaults()
	if !o.LengthHintsSet {
		cfg.LengthHints = cfg.Dialect != DialectAzure
	}
	b, err := New(cfg)
	if err != nil {
		// No backend yet: the configuration knows the secrets to mask.
		red := cfg.Redactor()
		return nil, &accel.SpecError{Spec: red.String(s.Raw), Reason: red.String(err.Error())}
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.ConnectTimeout+time.Second)
	defer cancel()
	if err := b.Probe(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

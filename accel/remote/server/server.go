// Package server is an OpenAI-compatible inference server whose timing comes
// from an accel.Backend — in `inferbench serve`, a simulated device running in
// real time. It is a stand-in for vLLM or TGI in anyone's tests and the
// harness's own test target: the client in accel/remote measures it like any
// real endpoint, and what it measures can be checked against the model.
//
// Routes: POST /v1/chat/completions and /v1/completions (streamed or not), the
// same under Azure's /openai/deployments/{name}/, GET /v1/models, /health and
// /metrics (Prometheus text format: requests, running batch, queue, KV-cache use).
//
// Concurrency scheme: each request's Infer runs on its own goroutine, and the
// backend calls OnToken from its engine's goroutine as each token is produced.
// OnToken must not block the engine (it would stall every other request in the
// batch), so it only stores the token count in an atomic and pokes a one-slot
// channel; the handler goroutine wakes, writes every token produced since it
// last looked, and flushes. A slow client therefore delays only itself.
//
// Faults for tests are deterministic, by request number: ErrorRate answers that
// fraction of requests with HTTP 500, StallEvery pauses every Nth stream before
// its first token, DropStreamEvery cuts every Nth stream half-way.
//
// Limits: people point tools at this server, so it is safe by default. A body
// over MaxBodyBytes gets 413; a max_tokens over MaxTokensCap, 400 naming the
// cap; a generation request beyond MaxStreams in flight, 429 with Retry-After;
// all in the OpenAI error shape. Served through Attach, a connection that
// takes longer than ReadHeaderTimeout to send its headers, or idles past
// IdleTimeout between requests, is closed, and a body must arrive within
// BodyTimeout. Every limit has a default (the Default* constants).
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/anthropic"
	"github.com/inferbench/inferbench/internal/awsstream"
	"github.com/inferbench/inferbench/internal/openai"
	"github.com/inferbench/inferbench/internal/responses"
	"github.com/inferbench/inferbench/internal/rxtime"
)

// Config is what a Server serves and how it misbehaves.
type Config struct {
	// Backend produces the tokens and their timing. It must be safe for
	// concurrent Infer calls.
	Backend accel.Backend
	// Model is the model id the server answers to; requests naming another are
	// refused with 404, as vLLM does. Empty accepts any.
	Model     string
	Precision string
	// KVCapacityTokens sizes the KV-cache gauge (tokens of context the device
	// holds); zero leaves the gauge at 0.
	KVCapacityTokens float64
	// DefaultMaxTokens is the completion length when a request gives none (16,
	// the OpenAI completions default, when zero).
	DefaultMaxTokens int
	// APIKey, when set, must come as "Authorization: Bearer KEY",
	// "api-key: KEY" or "x-api-key: KEY".
	APIKey string
	// Dialect is the wire format served (DialectOpenAI when empty): which
	// routes answer, and how their streams are written.
	Dialect string
	// SageMakerContainer is the container the sagemaker dialect answers as:
	// SageMakerTGI (the default, when empty) or SageMakerLMI.
	SageMakerContainer string
	// ReasoningTokens makes the first this many tokens of every streamed
	// chat answer reasoning, as a reasoning model's are (reasoning_content
	// in chat, reasoning_text deltas in Responses, a thinking block in
	// Messages, reasoningContent in Bedrock), counted apart in the usage
	// where the format has a place for it; the rest is the answer. Answers
	// shorter than this are all reasoning.
	ReasoningTokens int

	// MaxBodyBytes bounds a request body: a longer one is answered 413
	// without being read further (DefaultMaxBodyBytes when zero).
	MaxBodyBytes int64
	// MaxTokensCap bounds the completion length a request may ask for; above
	// it the request is answered 400 naming the cap (DefaultMaxTokensCap when
	// zero). It keeps one request from holding a stream for hours.
	MaxTokensCap int
	// ContextTokens is the model's context, prompt plus completion; a
	// request for more is answered 400, as vLLM answers it, rather than
	// timed as if a real server would run it (0: unchecked).
	ContextTokens int
	// MaxStreams bounds the generation requests in flight, streamed or not;
	// one more is answered 429 with a Retry-After header (DefaultMaxStreams
	// when zero).
	MaxStreams int
	// RetryAfter is the wait a 429 asks for, in whole seconds (1s when zero).
	RetryAfter time.Duration
	// ReadHeaderTimeout and IdleTimeout are set on the http.Server by Attach
	// when it has none (DefaultReadHeaderTimeout, DefaultIdleTimeout when
	// zero): a client that trickles its headers, or holds a kept-alive
	// connection idle, cannot hold a connection and its goroutine for ever.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// BodyTimeout bounds reading a request's body once its headers are in
	// (DefaultBodyTimeout when zero); past it the request is answered 408.
	BodyTimeout time.Duration

	ErrorRate       float64       // fraction of requests answered 500, 0..1
	StallEvery      int           // every Nth streamed request stalls before its first token
	StallDuration   time.Duration // for this long
	DropStreamEvery int           // every Nth stream is cut half-way, without [DONE]
}

// The dialects a server speaks (Config.Dialect, `serve --dialect`).
const (
	// DialectOpenAI serves /v1/chat/completions, /v1/completions and Azure's
	// deployment routes.
	DialectOpenAI = "openai"
	// DialectResponses serves OpenAI's Responses API, /v1/responses.
	DialectResponses = "responses"
	// DialectAnthropic serves Anthropic's Messages API, /v1/messages.
	DialectAnthropic = "anthropic"
	// DialectBedrock serves Bedrock Runtime's ConverseStream,
	// /model/{modelId}/converse-stream, in AWS event-stream frames. With an
	// APIKey, it is the access key id the SigV4 Authorization header must
	// name (the signature itself is not checked).
	DialectBedrock = "bedrock"
	// DialectSageMaker serves SageMaker Runtime's
	// /endpoints/{name}/invocations-response-stream: the container's stream
	// in PayloadPart frames, as Config.SageMakerContainer writes it (the
	// APIKey as for bedrock).
	DialectSageMaker = "sagemaker"
)

// The containers the sagemaker dialect answers as (Config.SageMakerContainer).
// Each reads a generate body (inputs, parameters) or a chat-completions
// body (messages), and answers in that body's stream, as the container's
// documentation and code write it.
const (
	// SageMakerTGI answers as Text Generation Inference: server-sent
	// events as axum writes them (no space after `data:`),
	// `data:{"index":..,"token":{..},"generated_text":..,"details":..}` for
	// a generate body (router/src/lib.rs StreamResponse) and
	// `data:{chat.completion.chunk}` ending in `data:[DONE]`, with the usage
	// chunk stream_options asks for, for a chat body (router/src/server.rs
	// chat_completions; router/src/sagemaker.rs sends either body to its
	// handler; huggingface/text-generation-inference at
	// db931fcf42da018a3657580c64bf2720f167f9ab).
	SageMakerTGI = "tgi"
	// SageMakerLMI answers as the LMI container's rolling-batch handlers
	// (DJL Serving: lmi-dist, vLLM, TensorRT-LLM, Neuron): JSON lines,
	// `{"token": {"id": .., "text": .., "log_prob": ..}}` with
	// generated_text and (parameters.details) details on the last, for a
	// generate body, and bare chat.completion.chunk lines, finish_reason on
	// the last and no usage, for a chat body (djl_python/output_formatter.py:
	// _jsonlines_output_formatter, _jsonlines_chat_output_formatter).
	SageMakerLMI = "lmi"
)

// The limits a zero Config field stands for.
const (
	// DefaultMaxBodyBytes is 1 MiB: about 200,000 words of prompt, more than
	// the context of the models served, and a bound on what a request costs
	// to decode.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxTokensCap is 32,768 output tokens: minutes of streaming on a
	// slow device, and no less than any benchmark here asks for.
	DefaultMaxTokensCap = 32768
	// DefaultMaxStreams is 1024 requests in flight: as many as the paced
	// backend times with a kernel timer each (see Paced).
	DefaultMaxStreams = 1024
	// DefaultReadHeaderTimeout gives a client 10 s to send a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout closes a kept-alive connection idle for 2 minutes:
	// longer than Go's client keeps one (90 s), so a Go client closes first
	// and never sends on a connection this server is closing.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultBodyTimeout gives a client 30 s to send a request's body.
	DefaultBodyTimeout = 30 * time.Second
	// maxHeaderBytes bounds a request's headers (Go's own default is 1 MiB);
	// an API request's are well under 8 KiB.
	maxHeaderBytes = 64 << 10
)

// Validate checks a Config; its errors name the bad value and the valid range.
func (c *Config) Validate() error {
	switch {
	case c.Backend == nil:
		return errors.New("server: no backend")
	case c.Dialect != "" && c.Dialect != DialectOpenAI && c.Dialect != DialectResponses && c.Dialect != DialectAnthropic && c.Dialect != DialectBedrock && c.Dialect != DialectSageMaker:
		return fmt.Errorf("dialect %q: want %s, %s, %s, %s or %s", c.Dialect, DialectOpenAI, DialectResponses, DialectAnthropic, DialectBedrock, DialectSageMaker)
	case c.SageMakerContainer != "" && c.SageMakerContainer != SageMakerTGI && c.SageMakerContainer != SageMakerLMI:
		return fmt.Errorf("sagemaker container %q: want %s or %s", c.SageMakerContainer, SageMakerTGI, SageMakerLMI)
	case c.SageMakerContainer != "" && c.Dialect != DialectSageMaker:
		return fmt.Errorf("sagemaker container %q: only the %s dialect answers as a container (dialect %q)", c.SageMakerContainer, DialectSageMaker, c.Dialect)
	case c.ErrorRate < 0 || c.ErrorRate > 1 || math.IsNaN(c.ErrorRate):
		return fmt.Errorf("error rate %v: want a fraction from 0 to 1", c.ErrorRate)
	case c.ReasoningTokens < 0:
		return fmt.Errorf("reasoning tokens %d: want 0 (none) or a positive count", c.ReasoningTokens)
	case c.StallEvery < 0:
		return fmt.Errorf("stall every %d: want 0 (never) or a positive count", c.StallEvery)
	case c.StallEvery > 0 && c.StallDuration <= 0:
		return fmt.Errorf("stall duration %v: want a positive duration with stall every %d", c.StallDuration, c.StallEvery)
	case c.DropStreamEvery < 0:
		return fmt.Errorf("drop stream every %d: want 0 (never) or a positive count", c.DropStreamEvery)
	case c.DefaultMaxTokens < 0:
		return fmt.Errorf("default max tokens %d: want a positive count", c.DefaultMaxTokens)
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("max body bytes %d: want a positive count (0: %d)", c.MaxBodyBytes, DefaultMaxBodyBytes)
	case c.MaxTokensCap < 0:
		return fmt.Errorf("max tokens cap %d: want a positive count (0: %d)", c.MaxTokensCap, DefaultMaxTokensCap)
	case c.ContextTokens < 0:
		return fmt.Errorf("context tokens %d: want the model's context, or 0 (unchecked)", c.ContextTokens)
	case c.MaxStreams < 0:
		return fmt.Errorf("max streams %d: want a positive count (0: %d)", c.MaxStreams, DefaultMaxStreams)
	case c.RetryAfter < 0 || c.ReadHeaderTimeout < 0 || c.IdleTimeout < 0 || c.BodyTimeout < 0:
		return fmt.Errorf("retry after %v, read header timeout %v, idle timeout %v, body timeout %v: want positive durations (0: the defaults)",
			c.RetryAfter, c.ReadHeaderTimeout, c.IdleTimeout, c.BodyTimeout)
	}
	if d := c.withDefaults(); d.DefaultMaxTokens > d.MaxTokensCap {
		return fmt.Errorf("default max tokens %d: above the max tokens cap %d", d.DefaultMaxTokens, d.MaxTokensCap)
	}
	return nil
}

// withDefaults returns c with its zero limits set to the defaults.
func (c Config) withDefaults() Config {
	set := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.DefaultMaxTokens == 0 {
		c.DefaultMaxTokens = 16
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxTokensCap == 0 {
		c.MaxTokensCap = DefaultMaxTokensCap
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	set(&c.RetryAfter, time.Second)
	set(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&c.IdleTimeout, DefaultIdleTimeout)
	set(&c.BodyTimeout, DefaultBodyTimeout)
	return c
}

// Server serves the OpenAI API from a backend.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	created int64

	seq     atomic.Uint64 // requests that reached generation
	streams atomic.Uint64 // streamed requests, for the stream faults

	waiting atomic.Int64 // admitted, before the first token
	running atomic.Int64 // producing tokens
	kvUsed  atomic.Int64 // tokens of context held by in-flight requests

	inflight   atomic.Int64 // generation requests in flight, for MaxStreams
	conns      atomic.Int64 // open connections (served through Attach)
	retryAfter string       // the Retry-After header of a 429, in seconds

	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	promptTokens prometheus.Counter
	genTokens    prometheus.Counter
	ttft         prometheus.Histogram
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, mux: http.NewServeMux(), created: time.Now().Unix(), reg: prometheus.NewRegistry()}
	s.retryAfter = strconv.FormatInt(int64(max(1, (cfg.RetryAfter+time.Second-1)/time.Second)), 10)
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "inferbench_serve_requests_total", Help: "Requests answered, by route and HTTP status.",
	}, []string{"route", "code"})
	s.promptTokens = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "inferbench_serve_prompt_tokens_total", Help: "Prompt tokens processed.",
	})
	s.genTokens = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "inferbench_serve_generation_tokens_total", Help: "Output tokens produced.",
	})
	s.ttft = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "inferbench_serve_time_to_first_token_seconds", Help: "Time from request to first token.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	})
	gauges := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "inferbench_serve_num_requests_running", Help: "Requests producing tokens (the running batch).",
		}, func() float64 { return float64(s.running.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "inferbench_serve_num_requests_waiting", Help: "Requests admitted and waiting for their first token (queue and prefill).",
		}, func() float64 { return float64(s.waiting.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "inferbench_serve_kv_cache_usage_ratio", Help: "Fraction of the KV cache reserved by in-flight requests (0 to 1).",
		}, func() float64 {
			if s.cfg.KVCapacityTokens <= 0 {
				return 0
			}
			return float64(s.kvUsed.Load()) / s.cfg.KVCapacityTokens
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "inferbench_serve_connections_open", Help: "Client connections open, busy or idle (when served through Attach).",
		}, func() float64 { return float64(s.conns.Load()) }),
	}
	for _, c := range append(gauges, s.requests, s.promptTokens, s.genTokens, s.ttft) {
		if err := s.reg.Register(c); err != nil {
			return nil, err
		}
	}

	switch cfg.Dialect {
	case DialectResponses:
		s.mux.HandleFunc("POST /v1/responses", s.generation(formatResponses, "/v1/responses"))
	case DialectAnthropic:
		s.mux.HandleFunc("POST /v1/messages", s.generation(formatAnthropic, "/v1/messages"))
	case DialectBedrock:
		s.mux.HandleFunc("POST /model/{modelId}/converse-stream", s.generation(formatBedrock, bedrockRoute))
	case DialectSageMaker:
		s.mux.HandleFunc("POST /endpoints/{name}/invocations-response-stream", s.generation(formatSageMaker, sageMakerRoute))
	default:
		s.mux.HandleFunc("POST /v1/chat/completions", s.completions(true, "/v1/chat/completions"))
		s.mux.HandleFunc("POST /v1/completions", s.completions(false, "/v1/completions"))
		s.mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.completions(true, "azure/chat/completions"))
		s.mux.HandleFunc("POST /openai/deployments/{deployment}/completions", s.completions(false, "azure/completions"))
	}
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	return s, nil
}

// Handler returns the server's routes. Served on their own, a request's
// arrival is when its handler ran; Attach makes it when the kernel received
// the request, as `inferbench serve` does.
func (s *Server) Handler() http.Handler { return s.mux }

// Attach makes hs serve s and returns ln wrapped to serve it on: requests
// then arrive when the kernel received their last bytes (rxtime's receive
// stamps, read back through hs.ConnContext), not when the Go runtime got their
// handler running. It sets the Config's ReadHeaderTimeout and IdleTimeout on
// hs where hs has none, bounds header size, and counts open connections
// (through hs.ConnState, calling any hook hs already had).
//
// Why: the simulated device's clock starts at the request's arrival, and on
// an idle virtual machine the Go runtime takes 0.3–2.5 ms to hand those bytes
// to the handler (measured on this project's 2-vCPU build machine). That
// wake-up belongs to this stand-in's process, not to the device it stands
// for; counted in, it made a served 5.9 ms time to first token read 6.7 ms.
func (s *Server) Attach(hs *http.Server, ln net.Listener) net.Listener {
	hs.Handler = s.mux
	hs.ConnContext = connContext
	if hs.ReadHeaderTimeout == 0 {
		hs.ReadHeaderTimeout = s.cfg.ReadHeaderTimeout
	}
	if hs.IdleTimeout == 0 {
		hs.IdleTimeout = s.cfg.IdleTimeout
	}
	if hs.MaxHeaderBytes == 0 {
		hs.MaxHeaderBytes = maxHeaderBytes
	}
	prev := hs.ConnState
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.conns.Add(-1)
		}
		if prev != nil {
			prev(c, st)
		}
	}
	return rxtime.Listen(ln)
}

// Registry returns the server's Prometheus registry, for tests and embedding.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, "/v1/models") {
		return
	}
	id := s.cfg.Model
	if id == "" {
		id = "default"
	}
	writeJSON(w, http.StatusOK, openai.ModelList{Object: "list", Data: []openai.Model{{ID: id, Object: "model", Created: s.created, OwnedBy: "inferbench"}}})
	s.requests.WithLabelValues("/v1/models", "200").Inc()
}

// authorized checks the API key, answering 401 when it is wrong.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, route string) bool {
	if s.cfg.APIKey == "" {
		return true
	}
	if route == bedrockRoute || route == sageMakerRoute {
		if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+s.cfg.APIKey+"/") {
			return true
		}
		w.Header().Set("X-Amzn-Errortype", "UnrecognizedClientException")
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "The security token included in the request is invalid."})
		s.requests.WithLabelValues(route, "403").Inc()
		return false
	}
	if r.Header.Get("Authorization") == "Bearer "+s.cfg.APIKey || r.Header.Get("api-key") == s.cfg.APIKey ||
		r.Header.Get("x-api-key") == s.cfg.APIKey {
		return true
	}
	typ := "invalid_request_error"
	if route == "/v1/messages" {
		typ = "authentication_error"
	}
	s.fail(w, route, http.StatusUnauthorized, typ, "missing or incorrect API key: send Authorization: Bearer KEY, api-key: KEY or x-api-key: KEY")
	return false
}

// fail writes an OpenAI-style error body.
func (s *Server) fail(w http.ResponseWriter, route string, code int, typ, msg string) {
	s.refuse(w, route, &apiError{status: code, typ: typ, msg: msg})
}

// apiError is a refusal in the OpenAI error shape: the HTTP status, the
// error's type, the request parameter at fault and OpenAI's error code when
// there is one, and a message naming the bad value and what is valid.
type apiError struct {
	status           int
	typ, param, code string
	msg              string
}

func (e *apiError) Error() string { return e.msg }

// invalid is a 400 for a bad request parameter.
func invalid(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, msg: fmt.Sprintf(format, args...)}
}

// refuse writes e as an OpenAI error body (Anthropic's on its route).
func (s *Server) refuse(w http.ResponseWriter, route string, e *apiError) {
	if route == bedrockRoute || route == sageMakerRoute { // AWS's shape: a message, the type in a header
		typ := "ValidationException"
		switch e.status {
		case http.StatusTooManyRequests:
			typ = "ThrottlingException"
		case http.StatusNotFound:
			typ = "ResourceNotFoundException"
		case http.StatusInternalServerError:
			typ = "InternalServerException"
		}
		w.Header().Set("X-Amzn-Errortype", typ)
		writeJSON(w, e.status, map[string]string{"message": e.msg})
		s.requests.WithLabelValues(route, strconv.Itoa(e.status)).Inc()
		return
	}
	if route == "/v1/messages" {
		typ := e.typ
		switch e.status {
		case http.StatusNotFound:
			typ = "not_found_error"
		case http.StatusTooManyRequests:
			typ = "rate_limit_error"
		case http.StatusRequestEntityTooLarge:
			typ = "request_too_large"
		case http.StatusInternalServerError:
			typ = "api_error"
		}
		writeJSON(w, e.status, anthropic.ErrorBody{Type: "error", Error: anthropic.ErrorDetail{Type: typ, Message: e.msg}})
		s.requests.WithLabelValues(route, strconv.Itoa(e.status)).Inc()
		return
	}
	d := openai.ErrorDetail{Message: e.msg, Type: e.typ}
	if e.param != "" {
		d.Param = &e.param
	}
	if e.code != "" {
		d.Code = &e.code
	}
	writeJSON(w, e.status, openai.ErrorBody{Error: d})
	s.requests.WithLabelValues(route, strconv.Itoa(e.status)).Inc()
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// connKey is the context key for the connection a request came on.
type connKey struct{}

// connContext lets a handler see its connection (see Attach).
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// arrivedAt is when the request's last bytes reached the server: the
// kernel's receive stamp of the connection's latest read (the handler has
// read the whole body by now), or, without a stamp, handlerStart.
func arrivedAt(ctx context.Context, handlerStart time.Time) time.Time {
	if c, ok := ctx.Value(connKey{}).(net.Conn); ok {
		if t, ok := rxtime.Received(c); ok {
			return t
		}
	}
	return handlerStart
}

// The wire formats a request can come in.
const (
	formatOpenAI    = iota // chat/completions or completions (request.chat says which)
	formatResponses        // /v1/responses
	formatAnthropic        // /v1/messages
	formatBedrock          // /model/{modelId}/converse-stream
	formatSageMaker        // /endpoints/{name}/invocations-response-stream
)

// bedrockRoute and sageMakerRoute are the metrics' names for AWS's routes.
const (
	bedrockRoute   = "bedrock/converse-stream"
	sageMakerRoute = "sagemaker/invocations-response-stream"
)

// request is one request's parsed settings.
type request struct {
	format       int
	chat         bool
	model        string
	promptTokens int
	maxTokens    int
	stream       bool
	usage        bool
	seq          uint64
	// details and inputs: a SageMaker generate body's parameters.details
	// and prompt, which LMI's last line repeats.
	details bool
	inputs  string
	arrived time.Time // when the request reached the server (see arrivedAt)

	// prefix names the prompt's blocks for a prefix-caching backend (prefix.go).
	prefix *blockChain
}

// parse reads and checks a request body: at most MaxBodyBytes of it, within
// BodyTimeout. rc is the request's response controller (the stream reuses it).
//
// The body's deadline is lifted once the body is read and good: net/http's
// background read, which watches for the client going away, would hit it and
// cancel the request. A refused request keeps it, because net/http reads
// what is left of a refused body before it replies, and a client that
// stopped sending would otherwise hold the connection for ever. (An
// unsupported controller, a test's recorder, just has no deadline.)
func (s *Server) parse(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, chat bool, format int) (request, *apiError) {
	deadline := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)) == nil
	if r.ContentLength > s.cfg.MaxBodyBytes { // refused unread
		w.Header().Set("Connection", "close")
		return request{}, s.tooLarge()
	}
	var q request
	var e *apiError
	switch body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes); format {
	case formatResponses:
		q, e = s.decodeResponses(body)
	case formatAnthropic:
		q, e = s.decodeMessages(body)
	case formatBedrock:
		q, e = s.decodeConverse(body, r.PathValue("modelId"))
	case formatSageMaker:
		q, e = s.decodeSageMaker(body)
	default:
		q, e = s.decode(body, chat, r.PathValue("deployment") != "")
	}
	switch {
	case e == nil && deadline:
		rc.SetReadDeadline(time.Time{})
	case e != nil && (e.status == http.StatusRequestEntityTooLarge || e.status == http.StatusRequestTimeout):
		w.Header().Set("Connection", "close")
	}
	return q, e
}

// tooLarge is the 413 for a body over MaxBodyBytes.
func (s *Server) tooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error",
		msg: fmt.Sprintf("request body: over this server's limit of %d bytes (inferbench serve --max-body)", s.cfg.MaxBodyBytes)}
}

// decode reads one request body from body and checks it for a chat or
// completions route (deployment: under Azure's deployment path, where the
// path names the model). It accepts only a request it can serve exactly as
// asked: one JSON object, nothing after it; messages (chat) with a known
// role and string or text-part content, or a prompt (completions) that is a
// string or strings; max_tokens from 1 to the cap; min_tokens from 0 to
// max_tokens; prompt and completion within the model's context. A missing or null optional field takes its default, as in
// OpenAI's API. Everything else is answered 400 (404 for another model, 413
// for a body over the limit, 408 for one too slow), naming the parameter.
func (s *Server) decode(body io.Reader, chat, deployment bool) (request, *apiError) {
	var in openai.Request
	if e := s.decodeJSON(body, &in); e != nil {
		return request{}, e
	}
	return s.check(&in, chat, deployment)
}

// decodeJSON reads one JSON object from body into v, and nothing after it.
func (s *Server) decodeJSON(body io.Reader, v any) *apiError {
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		return s.bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if e := s.bodyError(err); err != nil && e.status != http.StatusBadRequest {
			return e // over the limit or too slow
		}
		return invalid("", "request body: want one JSON object and nothing after it")
	}
	return nil
}

// decodeResponses reads a /v1/responses request: input a string or
// messages, instructions a system message, max_output_tokens the length.
// It is checked as the same chat request would be.
func (s *Server) decodeResponses(body io.Reader) (request, *apiError) {
	var in responses.Request
	if e := s.decodeJSON(body, &in); e != nil {
		return request{}, e
	}
	msgs, err := responsesInput(in.Input)
	if err != nil {
		return request{}, invalid("input", "input: %v", err)
	}
	if in.Instructions != "" {
		ins, _ := json.Marshal(in.Instructions)
		msgs = append([]openai.Message{{Role: "system", Content: ins}}, msgs...)
	}
	q, e := s.check(&openai.Request{Model: in.Model, Messages: msgs, MaxTokens: in.MaxOutputTokens, Stream: in.Stream}, true, false)
	q.format, q.usage = formatResponses, true
	return q, e
}

// responsesInput turns a Responses API input (a string, or items with a
// role and content: a string or input_text/output_text parts) into chat
// messages with the same text.
func responsesInput(raw json.RawMessage) ([]openai.Message, error) {
	if isNull(raw) {
		return nil, errors.New("want a string or an array of messages")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []openai.Message{{Role: "user", Content: raw}}, nil
	}
	var items []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("want a string or an array of messages")
	}
	msgs := make([]openai.Message, 0, len(items))
	for i, it := range items {
		content := it.Content
		var parts []struct {
			Type string  `json:"type"`
			Text *string `json:"text"`
		}
		if json.Unmarshal(it.Content, &parts) == nil {
			var text strings.Builder
			for j, p := range parts {
				if (p.Type != "input_text" && p.Type != "output_text" && p.Type != "text") || p.Text == nil {
					return nil, fmt.Errorf("[%d].content[%d]: type %q: this server takes text parts only", i, j, p.Type)
				}
				text.WriteString(*p.Text)
				text.WriteByte(' ')
			}
			content, _ = json.Marshal(text.String())
		}
		msgs = append(msgs, openai.Message{Role: it.Role, Content: content})
	}
	return msgs, nil
}

// decodeMessages reads a /v1/messages request: messages, system and the
// max_tokens the Messages API requires.
func (s *Server) decodeMessages(body io.Reader) (request, *apiError) {
	var in anthropic.Request
	if e := s.decodeJSON(body, &in); e != nil {
		return request{}, e
	}
	if in.MaxTokens == nil {
		return request{model: in.Model}, invalid("max_tokens", "max_tokens: Field required")
	}
	msgs := in.Messages
	if !isNull(in.System) {
		msgs = append([]openai.Message{{Role: "system", Content: in.System}}, msgs...)
	}
	q, e := s.check(&openai.Request{Model: in.Model, Messages: msgs, MaxTokens: in.MaxTokens, Stream: in.Stream}, true, false)
	q.format, q.usage = formatAnthropic, true
	return q, e
}

// decodeConverse reads a ConverseStream request: messages and system of
// text blocks, inferenceConfig.maxTokens; the model is the path's. It is
// always streamed.
func (s *Server) decodeConverse(body io.Reader, model string) (request, *apiError) {
	var in awsstream.ConverseRequest
	if e := s.decodeJSON(body, &in); e != nil {
		return request{}, e
	}
	var msgs []openai.Message
	text := func(role string, blocks []*string) *apiError {
		var b strings.Builder
		for i, t := range blocks {
			if t == nil {
				return invalid("messages", "%s content[%d]: this server takes text blocks only", role, i)
			}
			b.WriteString(*t)
			b.WriteByte(' ')
		}
		raw, _ := json.Marshal(b.String())
		msgs = append(msgs, openai.Message{Role: role, Content: raw})
		return nil
	}
	for _, sys := range in.System {
		if e := text("system", []*string{sys.Text}); e != nil {
			return request{}, e
		}
	}
	for _, m := range in.Messages {
		blocks := make([]*string, len(m.Content))
		for i, c := range m.Content {
			blocks[i] = c.Text
		}
		if e := text(m.Role, blocks); e != nil {
			return request{}, e
		}
	}
	var maxTokens *int
	if in.InferenceConfig != nil {
		maxTokens = in.InferenceConfig.MaxTokens
	}
	q, e := s.check(&openai.Request{Model: model, Messages: msgs, MaxTokens: maxTokens, Stream: true}, true, false)
	q.format, q.usage = formatBedrock, true
	return q, e
}

// decodeSageMaker reads a request as a SageMaker endpoint passes it to its
// container, which picks the schema from the body, as TGI and LMI do: with
// messages, a chat-completions request (max_tokens, stream_options); else
// a generate request (inputs, parameters.max_new_tokens and
// parameters.details). The model is the server's (the endpoint serves
// one); it is always streamed.
func (s *Server) decodeSageMaker(body io.Reader) (request, *apiError) {
	var in struct {
		openai.Request
		Inputs     *string `json:"inputs"`
		Parameters *struct {
			MaxNewTokens *int `json:"max_new_tokens"`
			Details      bool `json:"details"`
		} `json:"parameters"`
	}
	if e := s.decodeJSON(body, &in); e != nil {
		return request{}, e
	}
	if in.Messages != nil {
		in.Request.Stream = true
		q, e := s.check(&in.Request, true, false)
		q.format = formatSageMaker
		q.usage = q.usage && s.cfg.SageMakerContainer != SageMakerLMI // LMI's chat stream has no usage
		return q, e
	}
	if in.Inputs == nil {
		return request{}, invalid("inputs", "inputs: want the prompt string (or messages, for chat)")
	}
	var maxTokens *int
	if in.Parameters != nil {
		maxTokens = in.Parameters.MaxNewTokens
	}
	prompt, _ := json.Marshal(*in.Inputs)
	q, e := s.check(&openai.Request{Prompt: prompt, MaxTokens: maxTokens, Stream: true}, false, false)
	q.format, q.usage = formatSageMaker, true
	q.details, q.inputs = in.Parameters != nil && in.Parameters.Details, *in.Inputs
	return q, e
}

// check checks a decoded request for a chat or completions route; see
// decode.
func (s *Server) check(in *openai.Request, chat, deployment bool) (request, *apiError) {
	q := request{chat: chat, model: in.Model, stream: in.Stream}
	q.usage = in.StreamOptions != nil && in.StreamOptions.IncludeUsage
	if s.cfg.Model != "" && in.Model != "" && in.Model != s.cfg.Model && !deployment {
		return q, &apiError{status: http.StatusNotFound, typ: "NotFoundError", param: "model",
			msg: fmt.Sprintf("the model %q does not exist; this server serves %q", in.Model, s.cfg.Model)}
	}
	if q.model == "" || deployment {
		q.model = s.cfg.Model
	}
	if chat {
		if len(in.Messages) == 0 {
			return q, invalid("messages", "messages: want at least one message")
		}
		for i, m := range in.Messages {
			if !knownRole(m.Role) {
				return q, invalid("messages", "messages[%d].role %q: want system, developer, user, assistant, tool or function", i, m.Role)
			}
			n, err := countContent(m.Content, m.Role)
			if err != nil {
				return q, invalid("messages", "messages[%d].content: %v", i, err)
			}
			q.promptTokens += n
			s.chain(&q.prefix, m.Content)
		}
	} else {
		n, err := countPrompt(in.Prompt)
		if err != nil {
			return q, invalid("prompt", "prompt: %v", err)
		}
		q.promptTokens = n
		s.chain(&q.prefix, in.Prompt)
	}
	q.maxTokens = s.cfg.DefaultMaxTokens
	param := "max_tokens"
	switch {
	case in.MaxCompletionTokens != nil:
		q.maxTokens, param = *in.MaxCompletionTokens, "max_completion_tokens"
	case in.MaxTokens != nil:
		q.maxTokens = *in.MaxTokens
	}
	if q.maxTokens < 1 {
		return q, invalid(param, "%s %d: want at least 1", param, q.maxTokens)
	}
	if q.maxTokens > s.cfg.MaxTokensCap {
		return q, invalid(param, "%s %d: over this server's cap of %d (inferbench serve --max-tokens-cap)", param, q.maxTokens, s.cfg.MaxTokensCap)
	}
	if in.MinTokens < 0 || in.MinTokens > q.maxTokens {
		return q, invalid("min_tokens", "min_tokens %d: want 0 to %s (%d)", in.MinTokens, param, q.maxTokens)
	}
	if c := s.cfg.ContextTokens; c > 0 && q.promptTokens+q.maxTokens > c {
		return q, invalid("", "this model's maximum context length is %d tokens; this request asks for %d (%d of prompt, %d of completion): shorten the prompt or %s",
			c, q.promptTokens+q.maxTokens, q.promptTokens, q.maxTokens, param)
	}
	return q, nil
}

// bodyError is the refusal for an error reading or decoding the body.
func (s *Server) bodyError(err error) *apiError {
	var tooBig *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooBig):
		return s.tooLarge()
	case errors.As(err, &ne) && ne.Timeout():
		return &apiError{status: http.StatusRequestTimeout, typ: "invalid_request_error",
			msg: fmt.Sprintf("request body: not received within %v", s.cfg.BodyTimeout)}
	case err == nil:
		return invalid("", "request body: want a JSON object")
	}
	return invalid("", "request body: %v", err)
}

// knownRole reports whether role is a chat message role of OpenAI's API.
func knownRole(role string) bool {
	switch role {
	case "system", "developer", "user", "assistant", "tool", "function":
		return true
	}
	return false
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// countContent counts the tokens of a chat message's content: a string or an
// array of {"type":"text","text":...} parts, or none (null) for an assistant
// message, which may carry tool calls instead.
func countContent(raw json.RawMessage, role string) (int, error) {
	if isNull(raw) {
		if role == "assistant" {
			return 0, nil
		}
		return 0, errors.New("want a string or an array of text parts")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return CountTokens(s), nil
	}
	var parts []*struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return 0, errors.New("want a string or an array of text parts")
	}
	n := 0
	for i, p := range parts {
		switch {
		case p == nil || p.Type != "text":
			typ := ""
			if p != nil {
				typ = p.Type
			}
			return 0, fmt.Errorf("part %d: type %q: this server takes text parts only", i, typ)
		case p.Text == nil:
			return 0, fmt.Errorf("part %d: want a text string", i)
		}
		n += CountTokens(*p.Text)
	}
	return n, nil
}

// countPrompt counts the tokens of a completions prompt: a string or a
// non-empty array of strings.
func countPrompt(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return 0, errors.New("want a prompt string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return CountTokens(s), nil
	}
	var ss []*string
	if err := json.Unmarshal(raw, &ss); err != nil {
		return 0, errors.New("want a string or an array of strings")
	}
	if len(ss) == 0 {
		return 0, errors.New("want a string or at least one string in the array")
	}
	n := 0
	for i, s := range ss {
		if s == nil {
			return 0, fmt.Errorf("[%d]: want a string, not null", i)
		}
		n += CountTokens(*s)
	}
	return n, nil
}

// CountTokens is the server's tokenizer: one token per whitespace-separated
// word. It has no vocabulary to load, and it agrees with the client's synthetic
// prompts (one single-token word each), so a prompt of n requested tokens is
// priced as n tokens of prefill.
func CountTokens(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		space := c == ' ' || c == '\n' || c == '\t' || c == '\r'
		if !space && !in {
			n++
		}
		in = !space
	}
	return n
}

// tokenText is the i-th output token's text: the words of a pangram in turn.
func tokenText(i int) string {
	const text = " The quick brown fox jumps over the lazy dog."
	// Word starts in text; a constant table keeps this allocation-free.
	starts := [...]int{0, 4, 10, 16, 20, 26, 31, 35, 40, len(text)}
	k := i % (len(starts) - 1)
	return text[starts[k]:starts[k+1]]
}

// completions returns the handler for an OpenAI generation route.
func (s *Server) completions(chat bool, route string) http.HandlerFunc {
	return s.handler(chat, formatOpenAI, route)
}

// generation returns the handler for the Responses or Messages route.
func (s *Server) generation(format int, route string) http.HandlerFunc {
	return s.handler(true, format, route)
}

// handler returns the handler for a generation route.
func (s *Server) handler(chat bool, format int, route string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		if !s.authorized(w, r, route) {
			return
		}
		rc := http.NewResponseController(w)
		q, e := s.parse(w, r, rc, chat, format)
		if e != nil {
			s.refuse(w, route, e)
			return
		}
		// Admission comes after the body is checked (a bad request is told so
		// even when the server is full) and before the request number (the
		// faults count only the requests served).
		if s.inflight.Add(1) > int64(s.cfg.MaxStreams) {
			s.inflight.Add(-1)
			w.Header().Set("Retry-After", s.retryAfter)
			s.refuse(w, route, &apiError{status: http.StatusTooManyRequests, typ: "requests", code: "rate_limit_exceeded",
				msg: fmt.Sprintf("too many requests in flight: this server serves at most %d at once (inferbench serve --max-streams); retry after %ss", s.cfg.MaxStreams, s.retryAfter)})
			return
		}
		defer s.inflight.Add(-1)
		q.seq = s.seq.Add(1)
		if s.cfg.ErrorRate > 0 && math.Floor(float64(q.seq)*s.cfg.ErrorRate) > math.Floor(float64(q.seq-1)*s.cfg.ErrorRate) {
			s.fail(w, route, http.StatusInternalServerError, "server_error", "injected fault: --error-rate answers this request with 500")
			return
		}
		q.arrived = arrivedAt(r.Context(), arrived)
		s.generate(w, r, rc, route, &q)
	}
}

// Inline is implemented by backends whose Infer may block in OnToken because
// each call runs alone, sharing no engine goroutine with other requests (Paced).
// The server then calls Infer on the handler goroutine and writes each token
// from OnToken, saving a goroutine hand-off — tens of microseconds on a busy
// machine — per token.
type Inline interface {
	InlineOnToken() bool
}

// gen is one request's generation: the backend call and the hand-off from its
// engine goroutine to the handler.
type gen struct {
	req      accel.Request
	res      accel.Result
	err      error
	produced atomic.Int64  // tokens produced so far
	notify   chan struct{} // poked (never blocking) when produced grows
	done     chan struct{} // closed when Infer returned
}

func (s *Server) generate(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, route string, q *request) {
	ctx, cancel := context.WithCancel(accel.WithArrival(r.Context(), q.arrived))
	defer cancel()
	g := &gen{notify: make(chan struct{}, 1), done: make(chan struct{})}
	g.req = accel.Request{
		Seq: q.seq, Model: q.model, Precision: s.cfg.Precision, Batch: 1,
		InputTokens: q.promptTokens, OutputTokens: q.maxTokens,
		Prefix: q.prefix.blockIDs(), PrefixBlock: PromptBlock,
	}
	g.req.OnToken = func(i int) {
		g.produced.Store(int64(i + 1))
		select {
		case g.notify <- struct{}{}:
		default:
		}
	}
	kv := int64(q.promptTokens + q.maxTokens)
	s.kvUsed.Add(kv)
	s.waiting.Add(1)
	s.promptTokens.Add(float64(q.promptTokens))
	start := q.arrived
	// An inline backend streams from the handler goroutine (below); any other
	// runs on its own, starting now so its prefill overlaps our header write.
	il, _ := s.cfg.Backend.(Inline)
	inline := il != nil && il.InlineOnToken() && q.stream
	if !inline {
		go func() {
			g.err = s.cfg.Backend.Infer(ctx, &g.req, &g.res)
			close(g.done)
		}()
	}
	phase := &s.waiting // moves to running at the first token
	defer func() {
		cancel()
		<-g.done // never leave Infer running with our request
		phase.Add(-1)
		s.kvUsed.Add(-kv)
	}()
	firstToken := func() {
		s.ttft.Observe(time.Since(start).Seconds())
		s.waiting.Add(-1)
		s.running.Add(1)
		phase = &s.running
	}

	if !q.stream {
		<-g.done
		if g.err != nil {
			s.inferFailed(w, route, g.err)
			return
		}
		firstToken()
		s.writeWhole(w, route, q, g.res.OutputTokens)
		return
	}

	sn := s.streams.Add(1)
	stall := s.cfg.StallEvery > 0 && sn%uint64(s.cfg.StallEvery) == 0
	drop := s.cfg.DropStreamEvery > 0 && sn%uint64(s.cfg.DropStreamEvery) == 0
	st := stream{w: w, rc: rc, q: q, reasoning: s.cfg.ReasoningTokens, container: s.cfg.SageMakerContainer}
	st.hdr = openai.ChunkHeader{ID: idFor(q.chat, q.seq), Object: openai.ObjectChatCompletionChunk, Created: time.Now().Unix(), Model: q.model}
	if !q.chat {
		st.hdr.Object = openai.ObjectTextCompletion
	}
	if q.format == formatResponses {
		id := strconv.FormatUint(q.seq, 10)
		st.rw = responses.Writer{ID: "resp_" + id, ItemID: "msg_" + id, ReasoningID: "rs_" + id, Model: q.model, Created: st.hdr.Created}
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	if q.format == formatBedrock || q.format == formatSageMaker {
		h.Set("Content-Type", awsstream.ContentType)
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st.open()
	// Send the headers and role chunk now, as vLLM does: the client parses them
	// while the prompt is processed, off the first token's path.
	if st.flush() != nil {
		return
	}
	s.requests.WithLabelValues(route, "200").Inc()

	sent := 0
	cut := max(1, q.maxTokens/2)
	send := func(upto int) bool {
		if sent == 0 && upto > 0 {
			firstToken()
			if stall {
				t := time.NewTimer(s.cfg.StallDuration)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return false
				}
			}
		}
		for ; sent < upto; sent++ {
			if drop && sent == cut {
				st.flush()
				cancel()
				if !inline {
					<-g.done
				}
				// Cut the connection mid-stream, as a crashed worker would.
				panic(http.ErrAbortHandler)
			}
			st.token(sent, tokenText(sent))
			s.genTokens.Inc()
		}
		return st.flush() == nil
	}
	if inline {
		g.req.OnToken = func(i int) {
			if !send(i + 1) {
				cancel() // the client is gone: stop generating
			}
		}
		func() {
			defer close(g.done) // also when send panics to cut the stream
			g.err = s.cfg.Backend.Infer(ctx, &g.req, &g.res)
		}()
	}
	for !inline {
		select {
		case <-g.notify:
			if !send(int(g.produced.Load())) {
				return
			}
			continue
		case <-g.done:
		}
		break
	}
	if g.err != nil {
		// Headers are sent: report the failure in the stream, as vLLM does.
		st.fail(g.err.Error())
		st.flush()
		return
	}
	// Backends that do not call OnToken produce all their tokens at the end.
	if !send(max(int(g.produced.Load()), g.res.OutputTokens)) {
		return
	}
	st.close(sent)
	st.flush()
}

// idFor is a response id in OpenAI's style.
func idFor(chat bool, seq uint64) string {
	if chat {
		return "chatcmpl-" + strconv.FormatUint(seq, 10)
	}
	return "cmpl-" + strconv.FormatUint(seq, 10)
}

// stream batches events into one write and flush per wake-up, in the
// request's wire format.
type stream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	q   *request
	hdr openai.ChunkHeader // OpenAI's chunks
	rw  responses.Writer   // the Responses API's events
	buf []byte

	enc     *eventstream.Encoder // Bedrock's frames
	scratch []byte               // a frame's payload

	container string // the container a SageMaker answer is written as (Config.SageMakerContainer)
	reasoning int    // the answer's first tokens that are reasoning (Config.ReasoningTokens)
	block     int    // Messages' and Bedrock's content block in progress: 0, or 1 after reasoning
}

// isReasoning says whether token i is reasoning.
func (st *stream) isReasoning(i int) bool { return i < st.reasoning && st.q.chat }

// reasoned is how many of sent tokens were reasoning.
func (st *stream) reasoned(sent int) int {
	if !st.q.chat {
		return 0
	}
	return min(sent, st.reasoning)
}

// payloadPart appends one SageMaker PayloadPart frame carrying p.
func (st *stream) payloadPart(p []byte) {
	var hs eventstream.Headers
	hs.Set(awsstream.HeaderEventType, eventstream.StringValue(awsstream.EventPayloadPart))
	hs.Set(awsstream.HeaderContentType, eventstream.StringValue("application/octet-stream"))
	hs.Set(awsstream.HeaderMessageType, eventstream.StringValue("event"))
	st.encode(eventstream.Message{Headers: hs, Payload: p})
}

// sageMakerSSE says whether the container writes server-sent events (TGI)
// rather than JSON lines (LMI).
func (st *stream) sageMakerSSE() bool { return st.container != SageMakerLMI }

// sageMakerEvent appends one event of the container's stream, whose JSON
// f appends, in a PayloadPart of its own: `data:` and a blank line after
// it from TGI, a line from LMI.
func (st *stream) sageMakerEvent(f func([]byte) []byte) {
	sse := st.sageMakerSSE()
	st.scratch = st.scratch[:0]
	if sse {
		st.scratch = append(st.scratch, "data:"...)
	}
	st.scratch = f(st.scratch)
	if sse {
		st.scratch = append(st.scratch, '\n')
	}
	st.scratch = append(st.scratch, '\n')
	st.payloadPart(st.scratch)
}

// sageMakerToken appends token i of a SageMaker answer in the container's
// stream: a chat chunk (reasoning as vLLM's reasoning_content from TGI;
// LMI's handlers have none, and put the role and, on the last token, the
// finish reason in the token's own chunk), TGI's token event, or LMI's
// token line, the last with the whole text and (when asked) the details.
func (st *stream) sageMakerToken(i int, tok string, think bool) {
	q := st.q
	last := i == q.maxTokens-1
	switch {
	case q.chat && st.sageMakerSSE():
		if think {
			st.sageMakerEvent(func(b []byte) []byte { return st.hdr.AppendReasoningChunk(b, tok) })
		} else {
			st.sageMakerEvent(func(b []byte) []byte { return st.hdr.AppendChunk(b, "", tok, "") })
		}
	case q.chat:
		role, finish := "", ""
		if i == 0 {
			role = "assistant"
		}
		if last {
			finish = "length"
		}
		st.sageMakerEvent(func(b []byte) []byte { return st.hdr.AppendChunk(b, role, tok, finish) })
	case st.sageMakerSSE():
		st.scratch = append(st.scratch[:0], `data:{"index":`...)
		st.scratch = strconv.AppendInt(st.scratch, int64(i+1), 10)
		st.scratch = append(st.scratch, `,"token":{"id":`...)
		st.scratch = strconv.AppendInt(st.scratch, int64(i+1), 10)
		st.scratch = append(st.scratch, `,"text":`...)
		st.scratch = openai.AppendString(st.scratch, tok)
		st.scratch = append(st.scratch, `,"logprob":-0.5,"special":false},"generated_text":null,"details":null}`+"\n\n"...)
		st.payloadPart(st.scratch)
	default: // LMI writes Python's json.dumps: ", " and ": " between items
		st.scratch = append(st.scratch[:0], `{"token": {"id": `...)
		st.scratch = strconv.AppendInt(st.scratch, int64(i+1), 10)
		st.scratch = append(st.scratch, `, "text": `...)
		st.scratch = openai.AppendString(st.scratch, tok)
		st.scratch = append(st.scratch, `, "log_prob": -0.5}`...)
		if last {
			st.scratch = st.lmiEnd(st.scratch, i+1, "length")
		}
		st.scratch = append(st.scratch, "}\n"...)
		st.payloadPart(st.scratch)
	}
}

// lmiEnd appends what LMI's last line adds after its token: the whole
// text of n tokens and, when the request asked, the details.
func (st *stream) lmiEnd(dst []byte, n int, finish string) []byte {
	var text strings.Builder
	for i := range n {
		text.WriteString(tokenText(i))
	}
	dst = append(dst, `, "generated_text": `...)
	dst = openai.AppendString(dst, text.String())
	if st.q.details {
		dst = append(dst, `, "details": {"finish_reason": `...)
		dst = openai.AppendString(dst, finish)
		dst = append(dst, `, "generated_tokens": `...)
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, `, "inputs": `...)
		dst = openai.AppendString(dst, st.q.inputs)
		dst = append(dst, '}')
	}
	return dst
}

// sageMakerClose appends the end of a SageMaker answer of sent tokens.
// TGI ends a generate stream with a line of its own, whose details say
// why and how many; LMI's last token line said so already, unless the
// answer ended short, when an end-of-sequence line does; TGI's chat stream
// ends with a finish chunk, the usage and [DONE]; LMI's chat stream ends with
// its last token's chunk, or a finish chunk when short.
func (st *stream) sageMakerClose(sent int) {
	q := st.q
	short := sent < q.maxTokens
	switch {
	case q.chat && st.sageMakerSSE():
		st.sageMakerEvent(func(b []byte) []byte { return st.hdr.AppendChunk(b, "", "", "length") })
		if q.usage {
			st.sageMakerEvent(func(b []byte) []byte {
				return st.hdr.AppendUsageChunk(b, openai.Usage{PromptTokens: q.promptTokens, CompletionTokens: sent, TotalTokens: q.promptTokens + sent,
					ReasoningTokens: st.reasoned(sent)})
			})
		}
		st.payloadPart([]byte("data:[DONE]\n\n"))
	case q.chat:
		if short {
			st.sageMakerEvent(func(b []byte) []byte { return st.hdr.AppendChunk(b, "", "", "eos_token") })
		}
	case st.sageMakerSSE():
		st.payloadPart(fmt.Appendf(nil, `data:{"index":%d,"token":{"id":0,"text":"","logprob":0,"special":true},"generated_text":"","details":{"finish_reason":"length","generated_tokens":%d,"seed":null,"input_length":%d}}`+"\n\n",
			sent+1, sent, q.promptTokens))
	default:
		if short {
			st.scratch = append(st.scratch[:0], `{"token": {"id": 2, "text": "", "log_prob": 0.0, "special_token": true}`...)
			st.scratch = st.lmiEnd(st.scratch, sent, "eos_token")
			st.scratch = append(st.scratch, "}\n"...)
			st.payloadPart(st.scratch)
		}
	}
}

// frame appends one Bedrock event frame of the type with a JSON payload.
func (st *stream) frame(typ, payload string) { st.frameBytes(typ, []byte(payload)) }

func (st *stream) frameBytes(typ string, payload []byte) {
	var hs eventstream.Headers
	hs.Set(awsstream.HeaderEventType, eventstream.StringValue(typ))
	hs.Set(awsstream.HeaderContentType, eventstream.StringValue("application/json"))
	hs.Set(awsstream.HeaderMessageType, eventstream.StringValue("event"))
	st.encode(eventstream.Message{Headers: hs, Payload: payload})
}

// encode appends an event-stream message (aws-sdk-go-v2's encoder: the
// prelude, headers, payload and both CRCs).
func (st *stream) encode(m eventstream.Message) {
	if st.enc == nil {
		st.enc = eventstream.NewEncoder()
	}
	st.enc.Encode((*appender)(&st.buf), m)
}

// appender is an io.Writer that appends to a byte slice.
type appender []byte

func (a *appender) Write(p []byte) (int, error) {
	*a = append(*a, p...)
	return len(p), nil
}

// open appends what a stream starts with, before the first token: the
// role-only chunk (chat), response.created and the output item
// (Responses), message_start and the text block (Messages).
func (st *stream) open() {
	switch st.q.format {
	case formatResponses:
		st.buf = st.rw.AppendStart(st.buf)
	case formatBedrock:
		st.frame("messageStart", `{"role":"assistant"}`)
	case formatSageMaker: // TGI's and LMI's generate streams send tokens only
		if st.q.chat && st.sageMakerSSE() {
			st.sageMakerEvent(func(b []byte) []byte { return st.hdr.AppendChunk(b, "assistant", "", "") })
		}
	case formatAnthropic:
		st.buf = anthropic.AppendMessageStart(st.buf, st.hdr.ID, st.q.model, st.q.promptTokens)
		if st.reasoning > 0 {
			st.buf = anthropic.AppendThinkingBlockStart(st.buf, 0)
		} else {
			st.buf = anthropic.AppendBlockStart(st.buf, 0)
		}
		st.buf = anthropic.AppendPing(st.buf)
	default:
		if st.q.chat {
			st.event(func(b []byte) []byte { return st.hdr.AppendChunk(b, "assistant", "", "") })
		}
	}
}

// token appends token i's text: reasoning for the first Config.ReasoningTokens.
func (st *stream) token(i int, tok string) {
	think := st.isReasoning(i)
	if !think && i > 0 && i == st.reasoning && st.q.chat {
		// The answer begins: Messages and Bedrock close the thinking block
		// and open the text one.
		switch st.q.format {
		case formatAnthropic:
			st.buf = anthropic.AppendBlockStop(st.buf, 0)
			st.buf = anthropic.AppendBlockStart(st.buf, 1)
			st.block = 1
		case formatBedrock:
			st.frame("contentBlockStop", `{"contentBlockIndex":0}`)
			st.block = 1
		}
	}
	switch st.q.format {
	case formatSageMaker:
		st.sageMakerToken(i, tok, think)
	case formatResponses:
		if think {
			st.buf = st.rw.AppendReasoningDelta(st.buf, tok)
		} else {
			st.buf = st.rw.AppendTextDelta(st.buf, tok)
		}
	case formatBedrock:
		st.scratch = append(st.scratch[:0], `{"contentBlockIndex":`...)
		st.scratch = strconv.AppendInt(st.scratch, int64(st.block), 10)
		if think {
			st.scratch = append(st.scratch, `,"delta":{"reasoningContent":{"text":`...)
			st.scratch = openai.AppendString(st.scratch, tok)
			st.scratch = append(st.scratch, "}}}"...)
		} else {
			st.scratch = append(st.scratch, `,"delta":{"text":`...)
			st.scratch = openai.AppendString(st.scratch, tok)
			st.scratch = append(st.scratch, "}}"...)
		}
		st.frameBytes("contentBlockDelta", st.scratch)
	case formatAnthropic:
		if think {
			st.buf = anthropic.AppendThinkingDelta(st.buf, 0, tok)
		} else {
			st.buf = anthropic.AppendTextDelta(st.buf, st.block, tok)
		}
	default:
		if think {
			st.event(func(b []byte) []byte { return st.hdr.AppendReasoningChunk(b, tok) })
		} else {
			st.event(func(b []byte) []byte { return st.hdr.AppendChunk(b, "", tok, "") })
		}
	}
}

// close appends the end of a stream of sent tokens: why it stopped, the
// usage and the last event.
func (st *stream) close(sent int) {
	q := st.q
	switch q.format {
	case formatResponses:
		st.buf = st.rw.AppendEnd(st.buf, sent >= q.maxTokens, responses.Usage{InputTokens: q.promptTokens, OutputTokens: sent, ReasoningTokens: st.reasoned(sent)})
	case formatBedrock:
		stop := "end_turn"
		if sent >= q.maxTokens {
			stop = "max_tokens"
		}
		st.frame("contentBlockStop", `{"contentBlockIndex":`+strconv.Itoa(st.block)+`}`)
		st.frame("messageStop", `{"stopReason":"`+stop+`"}`)
		st.frame("metadata", fmt.Sprintf(`{"usage":{"inputTokens":%d,"outputTokens":%d,"totalTokens":%d},"metrics":{"latencyMs":%d}}`,
			q.promptTokens, sent, q.promptTokens+sent, time.Since(q.arrived).Milliseconds()))
	case formatSageMaker:
		st.sageMakerClose(sent)
	case formatAnthropic:
		stop := "end_turn"
		if sent >= q.maxTokens {
			stop = "max_tokens"
		}
		st.buf = anthropic.AppendBlockStop(st.buf, st.block)
		st.buf = anthropic.AppendMessageDelta(st.buf, stop, sent)
		st.buf = anthropic.AppendMessageStop(st.buf)
	default:
		st.event(func(b []byte) []byte { return st.hdr.AppendChunk(b, "", "", "length") })
		if q.usage {
			st.event(func(b []byte) []byte {
				return st.hdr.AppendUsageChunk(b, openai.Usage{PromptTokens: q.promptTokens, CompletionTokens: sent, TotalTokens: q.promptTokens + sent,
					ReasoningTokens: st.reasoned(sent)})
			})
		}
		st.buf = append(st.buf, "data: [DONE]\n\n"...)
	}
}

// fail appends a failure after the headers were sent, in the stream, as
// vLLM does (an error event for Responses and Messages).
func (st *stream) fail(msg string) {
	switch st.q.format {
	case formatResponses:
		st.buf = st.rw.AppendError(st.buf, "server_error", msg)
	case formatBedrock, formatSageMaker:
		raw, _ := json.Marshal(map[string]string{"message": msg})
		var hs eventstream.Headers
		hs.Set(awsstream.HeaderMessageType, eventstream.StringValue("exception"))
		name := "modelStreamErrorException"
		if st.q.format == formatSageMaker {
			name = "ModelStreamError"
		}
		hs.Set(awsstream.HeaderExceptionType, eventstream.StringValue(name))
		hs.Set(awsstream.HeaderContentType, eventstream.StringValue("application/json"))
		st.encode(eventstream.Message{Headers: hs, Payload: raw})
	case formatAnthropic:
		st.buf = anthropic.AppendError(st.buf, "api_error", msg)
	default:
		st.event(func(b []byte) []byte {
			b = append(b, `{"error":{"message":`...)
			b = openai.AppendString(b, msg)
			return append(b, `,"type":"server_error"}}`...)
		})
	}
}

// event appends one `data:` event whose payload f appends.
func (st *stream) event(f func([]byte) []byte) {
	st.buf = append(st.buf, "data: "...)
	st.buf = f(st.buf)
	st.buf = append(st.buf, '\n', '\n')
}

// flush writes the pending events and pushes them to the client.
func (st *stream) flush() error {
	if len(st.buf) > 0 {
		if _, err := st.w.Write(st.buf); err != nil {
			return err
		}
		st.buf = st.buf[:0]
	}
	return st.rc.Flush()
}

// inferFailed answers a backend failure before any byte was sent.
func (s *Server) inferFailed(w http.ResponseWriter, route string, err error) {
	code := http.StatusInternalServerError
	if accel.ClassOf(err) == accel.ClassRejected {
		code = http.StatusBadRequest
	}
	s.fail(w, route, code, "server_error", err.Error())
}

// writeWhole answers a non-streamed request.
func (s *Server) writeWhole(w http.ResponseWriter, route string, q *request, n int) {
	var text strings.Builder
	for i := 0; i < n; i++ {
		text.WriteString(tokenText(i))
	}
	u := openai.Usage{PromptTokens: q.promptTokens, CompletionTokens: n, TotalTokens: q.promptTokens + n}
	s.genTokens.Add(float64(n))
	id := strconv.FormatUint(q.seq, 10)
	switch {
	case q.format == formatResponses:
		status, incomplete := "completed", any(nil)
		if n >= q.maxTokens {
			status, incomplete = "incomplete", map[string]string{"reason": "max_output_tokens"}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "resp_" + id, "object": "response", "created_at": time.Now().Unix(), "status": status,
			"incomplete_details": incomplete, "model": q.model,
			"output": []any{map[string]any{"id": "msg_" + id, "type": "message", "status": "completed", "role": "assistant",
				"content": []any{map[string]any{"type": "output_text", "text": text.String(), "annotations": []any{}}}}},
			"usage": map[string]any{"input_tokens": q.promptTokens, "output_tokens": n, "total_tokens": q.promptTokens + n,
				"input_tokens_details": map[string]int{"cached_tokens": 0}, "output_tokens_details": map[string]int{"reasoning_tokens": 0}},
		})
	case q.format == formatAnthropic:
		stop := "end_turn"
		if n >= q.maxTokens {
			stop = "max_tokens"
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": idFor(true, q.seq), "type": "message", "role": "assistant", "model": q.model,
			"content":     []any{map[string]any{"type": "text", "text": text.String()}},
			"stop_reason": stop, "stop_sequence": nil,
			"usage": map[string]int{"input_tokens": q.promptTokens, "output_tokens": n},
		})
	case q.chat:
		writeJSON(w, http.StatusOK, openai.ChatCompletion{
			ID: idFor(true, q.seq), Object: openai.ObjectChatCompletion, Created: time.Now().Unix(), Model: q.model,
			Choices: []openai.ChatChoice{{Message: openai.ChatMessage{Role: "assistant", Content: text.String()}, FinishReason: "length"}},
			Usage:   u,
		})
	default:
		writeJSON(w, http.StatusOK, openai.Completion{
			ID: idFor(false, q.seq), Object: openai.ObjectTextCompletion, Created: time.Now().Unix(), Model: q.model,
			Choices: []openai.TextChoice{{Text: text.String(), FinishReason: "length"}},
			Usage:   u,
		})
	}
	s.requests.WithLabelValues(route, "200").Inc()
}

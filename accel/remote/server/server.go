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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote/openai"
	"github.com/inferbench/inferbench/accel/remote/rxtime"
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
	// APIKey, when set, must come as "Authorization: Bearer KEY" or "api-key: KEY".
	APIKey string

	ErrorRate       float64       // fraction of requests answered 500, 0..1
	StallEvery      int           // every Nth streamed request stalls before its first token
	StallDuration   time.Duration // for this long
	DropStreamEvery int           // every Nth stream is cut half-way, without [DONE]
}

// Validate checks a Config; its errors name the bad value and the valid range.
func (c *Config) Validate() error {
	switch {
	case c.Backend == nil:
		return errors.New("server: no backend")
	case c.ErrorRate < 0 || c.ErrorRate > 1 || math.IsNaN(c.ErrorRate):
		return fmt.Errorf("error rate %v: want a fraction from 0 to 1", c.ErrorRate)
	case c.StallEvery < 0:
		return fmt.Errorf("stall every %d: want 0 (never) or a positive count", c.StallEvery)
	case c.StallEvery > 0 && c.StallDuration <= 0:
		return fmt.Errorf("stall duration %v: want a positive duration with stall every %d", c.StallDuration, c.StallEvery)
	case c.DropStreamEvery < 0:
		return fmt.Errorf("drop stream every %d: want 0 (never) or a positive count", c.DropStreamEvery)
	case c.DefaultMaxTokens < 0:
		return fmt.Errorf("default max tokens %d: want a positive count", c.DefaultMaxTokens)
	}
	return nil
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
	if cfg.DefaultMaxTokens == 0 {
		cfg.DefaultMaxTokens = 16
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), created: time.Now().Unix(), reg: prometheus.NewRegistry()}
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
	}
	for _, c := range append(gauges, s.requests, s.promptTokens, s.genTokens, s.ttft) {
		if err := s.reg.Register(c); err != nil {
			return nil, err
		}
	}

	s.mux.HandleFunc("POST /v1/chat/completions", s.completions(true, "/v1/chat/completions"))
	s.mux.HandleFunc("POST /v1/completions", s.completions(false, "/v1/completions"))
	s.mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.completions(true, "azure/chat/completions"))
	s.mux.HandleFunc("POST /openai/deployments/{deployment}/completions", s.completions(false, "azure/completions"))
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
// handler running.
//
// Why: the simulated device's clock starts at the request's arrival, and on
// an idle virtual machine the Go runtime takes 0.3–2.5 ms to hand those bytes
// to the handler (measured on this project's 2-vCPU build machine). That
// wake-up belongs to this stand-in's process, not to the device it stands
// for; counted in, it made a served 5.9 ms time to first token read 6.7 ms.
func (s *Server) Attach(hs *http.Server, ln net.Listener) net.Listener {
	hs.Handler = s.mux
	hs.ConnContext = connContext
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
	if r.Header.Get("Authorization") == "Bearer "+s.cfg.APIKey || r.Header.Get("api-key") == s.cfg.APIKey {
		return true
	}
	s.fail(w, route, http.StatusUnauthorized, "invalid_request_error", "missing or incorrect API key: send Authorization: Bearer KEY or api-key: KEY")
	return false
}

// fail writes an OpenAI-style error body.
func (s *Server) fail(w http.ResponseWriter, route string, code int, typ, msg string) {
	writeJSON(w, code, openai.ErrorBody{Error: openai.ErrorDetail{Message: msg, Type: typ}})
	s.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
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

// request is one request's parsed settings.
type request struct {
	chat         bool
	model        string
	promptTokens int
	maxTokens    int
	stream       bool
	usage        bool
	seq          uint64
	arrived      time.Time // when the request reached the server (see arrivedAt)
}

// parse reads and checks a request body.
func (s *Server) parse(r *http.Request, chat bool) (request, int, error) {
	var body openai.Request
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 32<<20))
	if err := dec.Decode(&body); err != nil {
		return request{}, http.StatusBadRequest, fmt.Errorf("request body: %v", err)
	}
	q := request{chat: chat, model: body.Model, stream: body.Stream}
	q.usage = body.StreamOptions != nil && body.StreamOptions.IncludeUsage
	if s.cfg.Model != "" && body.Model != "" && body.Model != s.cfg.Model && r.PathValue("deployment") == "" {
		return q, http.StatusNotFound, fmt.Errorf("the model %q does not exist; this server serves %q", body.Model, s.cfg.Model)
	}
	if q.model == "" || r.PathValue("deployment") != "" {
		q.model = s.cfg.Model
	}
	var err error
	if chat {
		if len(body.Messages) == 0 {
			return q, http.StatusBadRequest, errors.New("messages: want at least one message")
		}
		for i, m := range body.Messages {
			n, err := countContent(m.Content)
			if err != nil {
				return q, http.StatusBadRequest, fmt.Errorf("messages[%d].content: %v", i, err)
			}
			q.promptTokens += n
		}
	} else if q.promptTokens, err = countPrompt(body.Prompt); err != nil {
		return q, http.StatusBadRequest, fmt.Errorf("prompt: %v", err)
	}
	q.maxTokens = s.cfg.DefaultMaxTokens
	switch {
	case body.MaxCompletionTokens != nil:
		q.maxTokens = *body.MaxCompletionTokens
	case body.MaxTokens != nil:
		q.maxTokens = *body.MaxTokens
	}
	if q.maxTokens < 1 {
		return q, http.StatusBadRequest, fmt.Errorf("max_tokens %d: want at least 1", q.maxTokens)
	}
	if body.MinTokens > q.maxTokens {
		return q, http.StatusBadRequest, fmt.Errorf("min_tokens %d: want at most max_tokens (%d)", body.MinTokens, q.maxTokens)
	}
	return q, 0, nil
}

// countContent counts the tokens of a chat message's content: a string or an
// array of {"type":"text","text":...} parts.
func countContent(raw json.RawMessage) (int, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return CountTokens(s), nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return 0, errors.New("want a string or an array of text parts")
	}
	n := 0
	for _, p := range parts {
		n += CountTokens(p.Text)
	}
	return n, nil
}

// countPrompt counts the tokens of a completions prompt: a string or an array of
// strings.
func countPrompt(raw json.RawMessage) (int, error) {
	if len(raw) == 0 {
		return 0, errors.New("want a prompt string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return CountTokens(s), nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		return 0, errors.New("want a string or an array of strings")
	}
	n := 0
	for _, s := range ss {
		n += CountTokens(s)
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

// completions returns the handler for a generation route.
func (s *Server) completions(chat bool, route string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		if !s.authorized(w, r, route) {
			return
		}
		q, code, err := s.parse(r, chat)
		if err != nil {
			typ := "invalid_request_error"
			if code == http.StatusNotFound {
				typ = "NotFoundError"
			}
			s.fail(w, route, code, typ, err.Error())
			return
		}
		q.seq = s.seq.Add(1)
		if s.cfg.ErrorRate > 0 && math.Floor(float64(q.seq)*s.cfg.ErrorRate) > math.Floor(float64(q.seq-1)*s.cfg.ErrorRate) {
			s.fail(w, route, http.StatusInternalServerError, "server_error", "injected fault: --error-rate answers this request with 500")
			return
		}
		q.arrived = arrivedAt(r.Context(), arrived)
		s.generate(w, r, route, &q)
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

func (s *Server) generate(w http.ResponseWriter, r *http.Request, route string, q *request) {
	ctx, cancel := context.WithCancel(accel.WithArrival(r.Context(), q.arrived))
	defer cancel()
	g := &gen{notify: make(chan struct{}, 1), done: make(chan struct{})}
	g.req = accel.Request{
		Seq: q.seq, Model: q.model, Precision: s.cfg.Precision, Batch: 1,
		InputTokens: q.promptTokens, OutputTokens: q.maxTokens,
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
	st := stream{w: w, rc: http.NewResponseController(w)}
	st.hdr = openai.ChunkHeader{ID: idFor(q.chat, q.seq), Object: openai.ObjectChatCompletionChunk, Created: time.Now().Unix(), Model: q.model}
	if !q.chat {
		st.hdr.Object = openai.ObjectTextCompletion
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if q.chat {
		st.event(func(b []byte) []byte { return st.hdr.AppendChunk(b, "assistant", "", "") })
	}
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
			tok := tokenText(sent)
			st.event(func(b []byte) []byte { return st.hdr.AppendChunk(b, "", tok, "") })
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
		st.event(func(b []byte) []byte {
			b = append(b, `{"error":{"message":`...)
			b = openai.AppendString(b, g.err.Error())
			return append(b, `,"type":"server_error"}}`...)
		})
		st.flush()
		return
	}
	// Backends that do not call OnToken produce all their tokens at the end.
	if !send(max(int(g.produced.Load()), g.res.OutputTokens)) {
		return
	}
	st.event(func(b []byte) []byte { return st.hdr.AppendChunk(b, "", "", "length") })
	if q.usage {
		st.event(func(b []byte) []byte {
			return st.hdr.AppendUsageChunk(b, openai.Usage{PromptTokens: q.promptTokens, CompletionTokens: sent, TotalTokens: q.promptTokens + sent})
		})
	}
	st.buf = append(st.buf, "data: [DONE]\n\n"...)
	st.flush()
}

// idFor is a response id in OpenAI's style.
func idFor(chat bool, seq uint64) string {
	if chat {
		return "chatcmpl-" + strconv.FormatUint(seq, 10)
	}
	return "cmpl-" + strconv.FormatUint(seq, 10)
}

// stream batches events into one write and flush per wake-up.
type stream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	hdr openai.ChunkHeader
	buf []byte
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
	if q.chat {
		writeJSON(w, http.StatusOK, openai.ChatCompletion{
			ID: idFor(true, q.seq), Object: openai.ObjectChatCompletion, Created: time.Now().Unix(), Model: q.model,
			Choices: []openai.ChatChoice{{Message: openai.ChatMessage{Role: "assistant", Content: text.String()}, FinishReason: "length"}},
			Usage:   u,
		})
	} else {
		writeJSON(w, http.StatusOK, openai.Completion{
			ID: idFor(false, q.seq), Object: openai.ObjectTextCompletion, Created: time.Now().Unix(), Model: q.model,
			Choices: []openai.TextChoice{{Text: text.String(), FinishReason: "length"}},
			Usage:   u,
		})
	}
	s.requests.WithLabelValues(route, "200").Inc()
}

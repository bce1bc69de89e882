package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/internal/rxtime"
	"github.com/inferbench/inferbench/internal/servertest"
)

func start(t *testing.T, cfg server.Config) *httptest.Server {
	t.Helper()
	return servertest.Start(t, cfg)
}

func post(t *testing.T, url, body string, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// events reads a whole SSE body: the data payloads, in order.
func events(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		} else if sc.Text() != "" {
			t.Fatalf("unexpected line %q", sc.Text())
		}
	}
	return out
}

// The stream is the OpenAI wire format: a role chunk, one chunk per token, a
// finish chunk with an empty delta, a usage chunk with empty choices, [DONE].
func TestChatStreamWireFormat(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{})
	resp := post(t, ts.URL+"/v1/chat/completions", `{"model":"llama-3.1-8b","stream":true,"max_tokens":3,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"one two three four"}]}`)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	evs := events(t, resp.Body)
	if len(evs) != 7 || evs[6] != "[DONE]" {
		t.Fatalf("%d events: %q", len(evs), evs)
	}
	type chunk struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		Model   string `json:"model"`
		Choices []struct {
			Index int `json:"index"`
			Delta struct {
				Role    *string `json:"role"`
				Content *string `json:"content"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			Prompt     int `json:"prompt_tokens"`
			Completion int `json:"completion_tokens"`
			Total      int `json:"total_tokens"`
		} `json:"usage"`
	}
	var cs []chunk
	for _, e := range evs[:6] {
		var c chunk
		if err := json.Unmarshal([]byte(e), &c); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if c.ID != "chatcmpl-1" || c.Object != "chat.completion.chunk" || c.Model != "llama-3.1-8b" || c.Created == 0 {
			t.Errorf("header of %s", e)
		}
		cs = append(cs, c)
	}
	if d := cs[0].Choices[0].Delta; *d.Role != "assistant" || *d.Content != "" {
		t.Errorf("first chunk %s", evs[0])
	}
	for i := 1; i <= 3; i++ {
		if d := cs[i].Choices[0]; d.Delta.Content == nil || *d.Delta.Content == "" || d.FinishReason != nil {
			t.Errorf("token chunk %s", evs[i])
		}
	}
	if c := cs[4].Choices[0]; *c.FinishReason != "length" || c.Delta.Content != nil {
		t.Errorf("finish chunk %s", evs[4])
	}
	if u := cs[5].Usage; len(cs[5].Choices) != 0 || u == nil || u.Prompt != 4 || u.Completion != 3 || u.Total != 7 {
		t.Errorf("usage chunk %s", evs[5])
	}
}

func TestCompletionsAndWholeResponses(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{})
	// Streamed completions: text chunks, no usage unless asked.
	evs := events(t, post(t, ts.URL+"/v1/completions", `{"model":"llama-3.1-8b","prompt":"a b","max_tokens":2,"stream":true}`).Body)
	if len(evs) != 4 || !strings.Contains(evs[0], `"object":"text_completion"`) || !strings.Contains(evs[0], `"text":" The"`) || evs[3] != "[DONE]" {
		t.Errorf("completions stream %q", evs)
	}
	var chat struct {
		Object  string
		Choices []struct {
			Message struct{ Role, Content string }
		}
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	resp := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"text","text":"x y z"}]}],"max_completion_tokens":4}`)
	if err := json.NewDecoder(resp.Body).Decode(&chat); err != nil {
		t.Fatal(err)
	}
	if chat.Object != "chat.completion" || chat.Choices[0].Message.Role != "assistant" || chat.Usage.CompletionTokens != 4 || chat.Usage.PromptTokens != 3 {
		t.Errorf("whole chat %+v", chat)
	}
	resp = post(t, ts.URL+"/v1/completions", `{"prompt":["a b","c"]}`)
	var comp struct {
		Object string
		Usage  struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&comp)
	if comp.Object != "text_completion" || comp.Usage.PromptTokens != 3 || comp.Usage.CompletionTokens != 16 {
		t.Errorf("whole completion %+v (default max_tokens 16)", comp)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{APIKey: "k1"})
	auth := []string{"Authorization", "Bearer k1"}
	for _, tt := range []struct {
		name, path, body string
		hdr              []string
		code             int
		msg              string
	}{
		{"no key", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil, 401, "API key"},
		{"wrong key", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, []string{"Authorization", "Bearer k2"}, 401, "API key"},
		{"other model", "/v1/chat/completions", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}]}`, auth, 404, `"gpt-4" does not exist`},
		{"no messages", "/v1/chat/completions", `{"messages":[]}`, auth, 400, "messages"},
		{"bad json", "/v1/completions", `{"prompt":`, auth, 400, "request body"},
		{"zero max_tokens", "/v1/completions", `{"prompt":"x","max_tokens":0}`, auth, 400, "max_tokens 0"},
		{"min above max", "/v1/completions", `{"prompt":"x","max_tokens":2,"min_tokens":5}`, auth, 400, "min_tokens 5"},
	} {
		resp := post(t, ts.URL+tt.path, tt.body, tt.hdr...)
		var e struct {
			Error struct{ Message, Type string }
		}
		json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != tt.code || !strings.Contains(e.Error.Message, tt.msg) || e.Error.Type == "" {
			t.Errorf("%s: %d %+v, want %d mentioning %q", tt.name, resp.StatusCode, e, tt.code, tt.msg)
		}
	}
	// Azure's header and deployment path work too.
	resp := post(t, ts.URL+"/openai/deployments/dep/chat/completions?api-version=2024-10-21", `{"messages":[{"role":"user","content":"x"}],"max_tokens":1}`, "api-key", "k1")
	if resp.StatusCode != 200 {
		t.Errorf("azure route: %d", resp.StatusCode)
	}
}

func TestModelsHealthMetrics(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{KVCapacityTokens: 1000})
	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/health"); code != 200 {
		t.Errorf("/health %d %q", code, body)
	}
	var models struct {
		Object string
		Data   []struct{ ID, Object string }
	}
	_, body := get("/v1/models")
	if json.Unmarshal([]byte(body), &models); models.Object != "list" || models.Data[0].ID != "llama-3.1-8b" || models.Data[0].Object != "model" {
		t.Errorf("/v1/models %s", body)
	}
	post(t, ts.URL+"/v1/completions", `{"prompt":"a b c","max_tokens":5}`)
	_, body = get("/metrics")
	for _, want := range []string{
		`inferbench_serve_requests_total{code="200",route="/v1/completions"} 1`,
		"inferbench_serve_num_requests_running 0",
		"inferbench_serve_num_requests_waiting 0",
		"inferbench_serve_kv_cache_usage_ratio 0",
		"inferbench_serve_prompt_tokens_total 3",
		"inferbench_serve_generation_tokens_total 5",
		"inferbench_serve_time_to_first_token_seconds_count 1",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// While a request runs, the gauges show it.
func TestMetricsWhileRunning(t *testing.T) {
	t.Parallel()
	dev, err := sim.New("h100-sxm", 1, "llama-3.1-8b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	ts := start(t, server.Config{Backend: dev, KVCapacityTokens: 1000})
	resp := post(t, ts.URL+"/v1/chat/completions", `{"stream":true,"max_tokens":200,"messages":[{"role":"user","content":"a b c d e f g h i j"}]}`)
	r := bufio.NewReader(resp.Body)
	for i := 0; i < 4; i++ { // the role chunk and the first token have arrived
		r.ReadString('\n')
	}
	m, _ := http.Get(ts.URL + "/metrics")
	b, _ := io.ReadAll(m.Body)
	m.Body.Close()
	for _, want := range []string{"inferbench_serve_num_requests_running 1\n", "inferbench_serve_kv_cache_usage_ratio 0.21\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("mid-stream /metrics lacks %q", want)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	body := `{"stream":true,"max_tokens":4,"messages":[{"role":"user","content":"x"}]}`
	t.Run("error rate", func(t *testing.T) {
		t.Parallel()
		ts := start(t, server.Config{ErrorRate: 0.25})
		fails := 0
		for range 8 {
			if resp := post(t, ts.URL+"/v1/chat/completions", body); resp.StatusCode == 500 {
				fails++
			}
		}
		if fails != 2 {
			t.Errorf("%d of 8 failed, want exactly 2 at rate 0.25", fails)
		}
	})
	t.Run("drop every 2nd stream", func(t *testing.T) {
		t.Parallel()
		ts := start(t, server.Config{DropStreamEvery: 2})
		for i := 1; i <= 2; i++ {
			resp := post(t, ts.URL+"/v1/chat/completions", body)
			b, err := io.ReadAll(resp.Body)
			done := strings.Contains(string(b), "[DONE]")
			if i == 1 && (!done || err != nil) || i == 2 && (done || err == nil) {
				t.Errorf("stream %d: [DONE] %v, read error %v", i, done, err)
			}
		}
	})
	t.Run("stall", func(t *testing.T) {
		t.Parallel()
		ts := start(t, server.Config{StallEvery: 1, StallDuration: 300 * time.Millisecond})
		begin := time.Now()
		io.ReadAll(post(t, ts.URL+"/v1/chat/completions", body).Body)
		if d := time.Since(begin); d < 300*time.Millisecond {
			t.Errorf("stalled stream took %v, want at least the 300ms stall", d)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg  server.Config
		want string
	}{
		{server.Config{}, "no backend"},
		{server.Config{Backend: noop.Backend{}, ErrorRate: 1.5}, "error rate 1.5"},
		{server.Config{Backend: noop.Backend{}, StallEvery: 2}, "stall duration"},
		{server.Config{Backend: noop.Backend{}, DropStreamEvery: -1}, "drop stream every -1"},
		{server.Config{Backend: noop.Backend{}, MaxBodyBytes: -1}, "max body bytes -1"},
		{server.Config{Backend: noop.Backend{}, MaxTokensCap: -5}, "max tokens cap -5"},
		{server.Config{Backend: noop.Backend{}, MaxStreams: -1}, "max streams -1"},
		{server.Config{Backend: noop.Backend{}, ContextTokens: -1}, "context tokens -1"},
		{server.Config{Backend: noop.Backend{}, IdleTimeout: -time.Second}, "idle timeout -1s"},
		{server.Config{Backend: noop.Backend{}, DefaultMaxTokens: 100, MaxTokensCap: 50}, "default max tokens 100: above the max tokens cap 50"},
		{server.Config{Backend: noop.Backend{}, DefaultMaxTokens: 40000}, "above the max tokens cap 32768"},
	} {
		if _, err := server.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestCountTokens(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"": 0, "  ": 0, "a": 1, " a b\n\tc ": 3, "hello, world!": 2} {
		if got := server.CountTokens(in); got != want {
			t.Errorf("CountTokens(%q) = %d, want %d", in, got, want)
		}
	}
}

// Attach times a request from when the kernel received it, not from when its
// handler ran. Two requests pipelined in one write arrive together; net/http
// runs the second's handler only after the first's answer, 500 ms later, yet
// the second's tokens were due 500 ms after the shared arrival, so its answer
// follows the first's at once. Timed from its handler it would come a whole
// 500 ms later (Paced never emits early).
func TestAttachTimesFromKernelArrival(t *testing.T) {
	t.Parallel()
	const ttft = 500 * time.Millisecond
	p := server.NewPaced(accel.Info{ID: "x"}, func(in, out int) (server.Timing, error) {
		return server.Timing{TTFT: ttft}, nil
	})
	defer p.Close()
	ts := start(t, server.Config{Backend: p})
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := `{"model":"llama-3.1-8b","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`
	req := fmt.Sprintf("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	// Round trips first, until stamping is on: the kernel turns it on for
	// every socket at once, from a work queue, some time after a socket asks
	// (package rxtime), and a packet before that carries no stamp, so the
	// server would fall back to its handler's clock. One round trip was not
	// always enough: with both cores busy (and this package's parallel tests
	// opening and closing stamped sockets) the second request still went
	// unstamped in 1 of 8 runs, failing with a 500 ms gap. The client's own
	// stamped read says when the switch is on; our open sockets keep it on.
	sc := rxtime.Wrap(c)
	if _, ok := sc.(rxtime.Stamped); !ok {
		t.Skip("this system gives no kernel receive stamps: Attach falls back to the handler's clock")
	}
	br := bufio.NewReader(sc)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		io.WriteString(sc, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if _, ok := rxtime.Received(sc); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no kernel receive stamp on loopback after 10 s of round trips")
		}
	}
	if _, err := io.WriteString(sc, req+req); err != nil {
		t.Fatal(err)
	}
	var done [2]time.Time
	for i := range done {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("response %d: %s", i, resp.Status)
		}
		done[i] = time.Now()
	}
	if gap := done[1].Sub(done[0]); gap >= ttft {
		t.Errorf("second answer %v after the first: timed from its handler, not from its arrival", gap)
	}
}

// Paced emits tokens on their schedule: never before the prediction.
func TestPacedSchedule(t *testing.T) {
	t.Parallel()
	p := server.NewPaced(accel.Info{ID: "x"}, func(in, out int) (server.Timing, error) {
		return server.Timing{TTFT: 3 * time.Millisecond, TPOT: time.Millisecond}, nil
	})
	var times []time.Duration
	start := time.Now()
	req := accel.Request{InputTokens: 10, OutputTokens: 5, OnToken: func(int) { times = append(times, time.Since(start)) }}
	var res accel.Result
	if err := p.Infer(context.Background(), &req, &res); err != nil {
		t.Fatal(err)
	}
	if res.OutputTokens != 5 || len(times) != 5 || res.Counted != accel.CountedExact {
		t.Fatalf("%+v, %d tokens", res, len(times))
	}
	for i, at := range times {
		if due := 3*time.Millisecond + time.Duration(i)*time.Millisecond; at < due {
			t.Errorf("token %d at %v, before its due time %v", i, at, due)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Infer(ctx, &req, &res); accel.ClassOf(err) != accel.ClassCanceled {
		t.Errorf("canceled: %v", err)
	}
}

func ExampleServer() {
	s, err := server.New(server.Config{Backend: noop.Backend{}, Model: "llama-3.1-8b"})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.Listener = s.Attach(ts.Config, ts.Listener)
	ts.Start()
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"llama-3.1-8b","stream":true,"max_tokens":2,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") {
			// Drop the volatile "created" field for a stable example.
			if i := strings.Index(line, `"created":`); i >= 0 {
				j := strings.Index(line[i:], ",")
				line = line[:i] + line[i+j+1:]
			}
			fmt.Println(line)
		}
	}
	// Output:
	// data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"llama-3.1-8b","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}
	// data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" The"},"logprobs":null,"finish_reason":null}]}
	// data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" quick"},"logprobs":null,"finish_reason":null}]}
	// data: {"id":"chatcmpl-1","object":"chat.completion.chunk","model":"llama-3.1-8b","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}
	// data: [DONE]
}

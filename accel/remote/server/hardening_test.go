package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote/server"
)

// apiErr is the OpenAI error body the server answers with.
type apiErr struct {
	Error struct {
		Message string
		Type    string
		Param   *string
		Code    *string
	}
}

func decodeErr(t *testing.T, resp *http.Response) apiErr {
	t.Helper()
	var e apiErr
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("status %d: error body is not OpenAI's error JSON: %v", resp.StatusCode, err)
	}
	return e
}

// A body over the limit is answered 413 whether it says its length up front
// or streams it chunked; a body of exactly the limit is served.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	const limit = 1000
	ts := start(t, server.Config{MaxBodyBytes: limit})
	// A valid request padded with spaces to n bytes.
	body := func(n int) string {
		b := `{"prompt":"a b c","max_tokens":2}`
		return b + strings.Repeat(" ", n-len(b))
	}
	for _, tt := range []struct {
		name    string
		n       int
		chunked bool
		code    int
	}{
		{"at the limit", limit, false, 200},
		{"at the limit, chunked", limit, true, 200},
		{"one over, with Content-Length", limit + 1, false, 413},
		{"one over, chunked", limit + 1, true, 413},
		{"4 MiB, with Content-Length", 4 << 20, false, 413},
		{"4 MiB, chunked", 4 << 20, true, 413},
	} {
		var rd io.Reader = strings.NewReader(body(tt.n))
		if tt.chunked {
			rd = struct{ io.Reader }{rd} // no length known: sent chunked
		}
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/completions", rd)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if resp.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.code)
		}
		if tt.code == 413 {
			e := decodeErr(t, resp)
			if !strings.Contains(e.Error.Message, "limit of 1000 bytes") || e.Error.Type != "invalid_request_error" || !resp.Close {
				t.Errorf("%s: %+v, close %v: want the limit named and the connection closed", tt.name, e, resp.Close)
			}
		}
		resp.Body.Close()
	}
}

// max_tokens (or max_completion_tokens) above the cap is answered 400 naming
// the cap and the parameter; at the cap it is served in full.
func TestMaxTokensCap(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{MaxTokensCap: 100})
	for _, tt := range []struct {
		body, param string
		code        int
	}{
		{`{"prompt":"x","max_tokens":101}`, "max_tokens", 400},
		{`{"prompt":"x","max_completion_tokens":101}`, "max_completion_tokens", 400},
		{`{"prompt":"x","max_tokens":5,"max_completion_tokens":1000000000}`, "max_completion_tokens", 400},
		{`{"prompt":"x","max_tokens":100}`, "", 200},
	} {
		resp := post(t, ts.URL+"/v1/completions", tt.body)
		if resp.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", tt.body, resp.StatusCode, tt.code)
			continue
		}
		if tt.code == 200 {
			var c struct {
				Usage struct {
					CompletionTokens int `json:"completion_tokens"`
				}
			}
			json.NewDecoder(resp.Body).Decode(&c)
			if c.Usage.CompletionTokens != 100 {
				t.Errorf("%s: %d tokens, want 100", tt.body, c.Usage.CompletionTokens)
			}
			continue
		}
		e := decodeErr(t, resp)
		if !strings.Contains(e.Error.Message, "cap of 100") || e.Error.Param == nil || *e.Error.Param != tt.param {
			t.Errorf("%s: %+v: want the cap of 100 and param %q", tt.body, e, tt.param)
		}
	}
}

// A client that sends its headers byte by byte, slower in all than
// ReadHeaderTimeout, is cut before it finishes; one that sends them at once
// on the same server is served.
func TestSlowHeadersAreCut(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	ts := start(t, server.Config{ReadHeaderTimeout: timeout})
	hdr := "GET /health HTTP/1.1\r\nHost: inferbench\r\nUser-Agent: slowloris\r\nAccept: */*\r\nX-Padding: abcdefghijklmnopqrstuvwxyz\r\n\r\n"
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// One byte per timeout/6: the whole header would take 17 timeouts.
	sent := make(chan int, 1)
	go func() {
		i := 0
		for ; i < len(hdr); i++ {
			if _, err := c.Write([]byte{hdr[i]}); err != nil {
				break
			}
			time.Sleep(timeout / 6)
		}
		sent <- i
	}()
	c.SetReadDeadline(time.Now().Add(time.Minute)) // a guard, far past the cut
	got, err := io.ReadAll(c)
	var ne net.Error
	// net/http closes the connection, answering nothing or (when the cut came
	// inside the request line) 400.
	if errors.As(err, &ne) && ne.Timeout() || len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 400 ") {
		t.Fatalf("read %q, %v: want the server to close the connection, answering nothing or 400", got, err)
	}
	c.Close() // stops the writer
	if i := <-sent; i >= len(hdr) {
		t.Errorf("the server let all %d header bytes in before closing", len(hdr))
	}
	resp, err := http.Get(ts.URL + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a prompt client: %v", err)
	}
	resp.Body.Close()
}

// A kept-alive connection idle past IdleTimeout is closed.
func TestIdleConnectionClosed(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{IdleTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 || resp.Close {
		t.Fatalf("%v %+v: want 200, kept alive", err, resp)
	}
	io.Copy(io.Discard, resp.Body)
	c.SetReadDeadline(time.Now().Add(time.Minute)) // a guard
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: %v, want closed by the server (EOF)", err)
	}
}

// A body that does not arrive within BodyTimeout is answered 408; one
// refused as too large, whose client then stops sending, is answered 413;
// either way the connection is closed, not held for the rest of the body.
func TestSlowBodyIsCut(t *testing.T) {
	t.Parallel()
	ts := start(t, server.Config{BodyTimeout: 300 * time.Millisecond, MaxBodyBytes: 1000})
	const head = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	for _, tt := range []struct {
		name, req string
		code      int
		msg       string
	}{
		{"part of the body", head + "Content-Length: 60\r\n\r\n{\"prompt\":", 408, "not received within 300ms"},
		{"Content-Length over the limit, no body", head + "Content-Length: 2000\r\n\r\n", 413, "limit of 1000 bytes"},
		{"chunks over the limit, then nothing", head + "Transfer-Encoding: chunked\r\n\r\n3e9\r\n{\"prompt\":\"" + strings.Repeat("a", 990) + "\r\n", 413, "limit of 1000 bytes"},
	} {
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, tt.req)
		c.SetReadDeadline(time.Now().Add(time.Minute)) // a guard
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if e := decodeErr(t, resp); resp.StatusCode != tt.code || !strings.Contains(e.Error.Message, tt.msg) || !resp.Close {
			t.Errorf("%s: status %d %+v, close %v: want %d with %q, closing", tt.name, resp.StatusCode, e, resp.Close, tt.code, tt.msg)
		}
		if _, err := io.Copy(io.Discard, br); err != nil {
			t.Errorf("%s: %v, want the server to close the connection", tt.name, err)
		}
	}
}

// gate is a backend whose requests wait until release is closed.
type gate struct{ release chan struct{} }

func (g gate) Info() accel.Info { return accel.Info{ID: "gate"} }
func (g gate) Close() error     { return nil }
func (g gate) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	res.OutputTokens = req.OutputTokens
	return nil
}

// metric reads one unlabelled value from /metrics.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// waitMetric polls name until ok(value), failing after a generous guard.
func waitMetric(t *testing.T, base, name string, ok func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		v := metric(t, base, name)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed at %v", name, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Beyond MaxStreams requests in flight (streamed or not), a request is
// answered 429 with Retry-After; once one finishes, the next is served.
func TestMaxStreams(t *testing.T) {
	t.Parallel()
	g := gate{release: make(chan struct{})}
	ts := start(t, server.Config{Backend: g, MaxStreams: 2, RetryAfter: 2500 * time.Millisecond})
	stream := post(t, ts.URL+"/v1/chat/completions", `{"stream":true,"max_tokens":3,"messages":[{"role":"user","content":"x"}]}`)
	if stream.StatusCode != 200 {
		t.Fatalf("first stream: %d", stream.StatusCode)
	}
	whole := make(chan int, 1)
	go func() {
		resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"x","max_tokens":3}`))
		if err != nil {
			whole <- 0
			return
		}
		resp.Body.Close()
		whole <- resp.StatusCode
	}()
	waitMetric(t, ts.URL, "inferbench_serve_num_requests_waiting", func(v float64) bool { return v == 2 })

	for _, body := range []string{
		`{"stream":true,"max_tokens":3,"messages":[{"role":"user","content":"x"}]}`,
		`{"max_tokens":3,"messages":[{"role":"user","content":"x"}]}`,
	} {
		resp := post(t, ts.URL+"/v1/chat/completions", body)
		e := decodeErr(t, resp)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || e.Error.Code == nil || *e.Error.Code != "rate_limit_exceeded" ||
			!strings.Contains(e.Error.Message, "at most 2 at once") {
			t.Errorf("%s over the cap: %d, Retry-After %q, %+v: want 429, Retry-After 3 (2.5s rounded up), the cap named",
				body, resp.StatusCode, resp.Header.Get("Retry-After"), e)
		}
	}
	// A bad request is told so even when the server is full.
	if resp := post(t, ts.URL+"/v1/completions", `{"prompt":"x","max_tokens":0}`); resp.StatusCode != 400 {
		t.Errorf("bad request at the cap: %d, want 400", resp.StatusCode)
	}

	close(g.release)
	if evs := events(t, stream.Body); len(evs) == 0 || evs[len(evs)-1] != "[DONE]" {
		t.Errorf("first stream: %q", evs)
	}
	if code := <-whole; code != 200 {
		t.Errorf("whole request: %d", code)
	}
	waitMetric(t, ts.URL, "inferbench_serve_num_requests_running", func(v float64) bool { return v == 0 })
	if resp := post(t, ts.URL+"/v1/completions", `{"prompt":"x","max_tokens":1}`); resp.StatusCode != 200 {
		t.Errorf("after the streams finished: %d, want 200", resp.StatusCode)
	}
	resp, _ := http.Get(ts.URL + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `inferbench_serve_requests_total{code="429",route="/v1/chat/completions"} 2`; !strings.Contains(string(b), want+"\n") {
		t.Errorf("/metrics lacks %q", want)
	}
}

// helperEnv makes TestServerProcess serve instead of skipping.
const helperEnv = "INFERBENCH_SERVER_HELPER"

// TestServerProcess is no test: TestIdleConnections runs this binary again
// with helperEnv set, so that the server has a process (and file descriptor
// limit) of its own. It serves on loopback, prints "addr HOST:PORT", and
// exits when its stdin closes.
func TestServerProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("the server process of TestIdleConnections")
	}
	raiseNoFile()
	s, err := server.New(server.Config{Backend: noop.Backend{}, Model: "llama-3.1-8b",
		// Long enough that every idle connection is still held when the test
		// sends its real request.
		ReadHeaderTimeout: 5 * time.Minute, IdleTimeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{}
	ln = s.Attach(hs, ln)
	go hs.Serve(ln)
	fmt.Printf("addr %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// raiseNoFile raises the soft limit on open files to the hard one and
// returns the hard limit.
func raiseNoFile() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return int(min(lim.Max, 1<<30))
}

// 10,000 connections that connect and send nothing do not take the server
// down: it holds them all (its gauge counts every one), answers a real
// request among them in full, and lets them go when they close.
func TestIdleConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 10,000 connections")
	}
	n := 10000
	if raceEnabled {
		// The race detector allows 8128 live goroutines, and the server has
		// one per connection.
		n = 2000
	}
	// Each process holds one end of every connection: the server runs in a
	// process of its own, so each needs n descriptors and a margin. Go raises
	// the soft limit to the hard one at start; raiseNoFile makes sure. Where
	// the hard limit is lower, the test scales down, and says so.
	const margin = 200
	if hard := raiseNoFile(); hard < n+margin {
		n = hard - margin
		t.Logf("RLIMIT_NOFILE hard limit %d: %d idle connections instead of 10,000", hard, n)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "addr ")
	if err != nil || !ok {
		t.Fatalf("server process: %q, %v", line, err)
	}
	base := "http://" + addr

	idle := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range n {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("after %d connections: %v", len(idle), err)
		}
		idle = append(idle, c)
	}
	// Every idle connection is open at the server, and so is the probe's own.
	waitMetric(t, base, "inferbench_serve_connections_open", func(v float64) bool { return v >= float64(n+1) })
	if rss := rssOf(cmd.Process.Pid); rss > 0 {
		t.Logf("server process with %d idle connections: %d MiB resident", n, rss>>20)
	}

	resp := post(t, base+"/v1/chat/completions", `{"model":"llama-3.1-8b","stream":true,"max_tokens":4,"messages":[{"role":"user","content":"hi"}]}`)
	if evs := events(t, resp.Body); resp.StatusCode != 200 || len(evs) != 7 || evs[6] != "[DONE]" {
		t.Fatalf("a real request among %d idle connections: %d, %q", n, resp.StatusCode, evs)
	}
	select {
	case err := <-exited:
		t.Fatalf("server process exited: %v", err)
	default:
	}

	for _, c := range idle {
		c.Close()
	}
	idle = idle[:0]
	// Only the probe's connection (and perhaps the real request's kept-alive
	// one) remains.
	waitMetric(t, base, "inferbench_serve_connections_open", func(v float64) bool { return v <= 2 })
}

// rssOf is a process's resident memory in bytes, or 0 where unknown.
func rssOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/internal/nettest"
	"github.com/inferbench/inferbench/report"
)

// syncBuffer is a bytes.Buffer safe for a command writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `inferbench serve` in-process on a free loopback port and
// returns its base URL and a function that stops it (as SIGTERM would) and
// returns its exit code.
func startServe(t *testing.T, getenv func(string) string, args ...string) (string, func() int) {
	t.Helper()
	url, _, stop := startServeArgs(t, getenv, append([]string{"--profile", "h100-sxm", "--model", "llama-3.1-8b", "--addr", "127.0.0.1:0"}, args...)...)
	return url, stop
}

// startServeArgs is startServe with serve's whole command line (less
// "serve"); it also returns serve's stderr so far.
func startServeArgs(t *testing.T, getenv func(string) string, args ...string) (string, string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	e := &env{stdout: &out, stderr: &errb, getenv: getenv}
	code := make(chan int, 1)
	go func() {
		code <- mainWithEnv(ctx, e, append([]string{"serve"}, args...))
	}()
	re := regexp.MustCompile(`at (http://(?:[0-9.]+|\[[0-9a-f:]+\]):\d+/v1)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			stopped := false
			stop := func() int {
				if !stopped {
					stopped = true
					cancel()
				}
				return <-code
			}
			t.Cleanup(func() {
				if !stopped {
					stop()
				}
			})
			return m[1], errb.String(), stop
		}
		select {
		case c := <-code:
			t.Fatalf("serve exited %d: %s", c, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not start: %s", errb.String())
	return "", "", nil
}

func invokeEnv(getenv func(string) string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: getenv}
	return mainWithEnv(context.Background(), e, args), out.String(), errb.String()
}

func TestRunAgainstServe(t *testing.T) {
	t.Parallel()
	const secret = "sk-inferbench-test-7f3a9c"
	getenv := func(k string) string {
		if k == "OPENAI_API_KEY" || k == "SERVE_KEY" {
			return secret
		}
		return ""
	}
	url, stop := startServe(t, getenv, "--api-key-env", "SERVE_KEY")
	path := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := invokeEnv(getenv, "run", "--backend", url, "--model", "llama-3.1-8b", "--concurrency", "2",
		"--requests", "6", "--input-tokens", "32", "--output-tokens", "8", "--header", "X-Team=infra", "-o", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if r.Counts.Completed != 6 || r.Counts.Errors != 0 || r.Backend.Kind != "remote" {
		t.Errorf("counts %+v, kind %q", r.Counts, r.Backend.Kind)
	}
	if r.Workload.OutputTokensCounted != "usage" || r.Backend.Info.Extra["dialect"] != "openai" || r.Backend.Info.Extra["api_key_env"] != "OPENAI_API_KEY" {
		t.Errorf("counted %q, extra %v", r.Workload.OutputTokensCounted, r.Backend.Info.Extra)
	}
	if !(r.TTFT.P50 > 0 && r.TPOT.P50 > 0) {
		t.Errorf("TTFT %+v TPOT %+v", r.TTFT, r.TPOT)
	}
	raw, _ := os.ReadFile(path)
	for name, s := range map[string]string{"report": string(raw), "stdout": stdout, "stderr": stderr} {
		if strings.Contains(s, secret) {
			t.Errorf("the API key appears in the %s", name)
		}
	}
	if code := stop(); code != exitOK {
		t.Errorf("serve exit %d after SIGTERM-style stop", code)
	}
}

func TestRunWrongKeyIsClassified(t *testing.T) {
	t.Parallel()
	url, _ := startServe(t, func(string) string { return "right" }, "--api-key-env", "K")
	path := filepath.Join(t.TempDir(), "r.json")
	wrongKey := func(k string) string { // only the API key variable is set
		if k == "OPENAI_API_KEY" {
			return "wrong-key-123"
		}
		return ""
	}
	code, _, stderr := invokeEnv(wrongKey, "run", "--backend", url,
		"--requests", "3", "--concurrency", "1", "--input-tokens", "8", "--output-tokens", "2", "-o", path)
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatalf("exit %d, %s: %v", code, stderr, err)
	}
	if c := rep.Runs[0].Counts; c.ErrorsByClass["http_4xx"] != 3 || !strings.Contains(c.ErrorExamples["http_4xx"], "401") {
		t.Errorf("counts %+v", c)
	}
}

func TestRunClosedPortFailsFast(t *testing.T) {
	t.Parallel()
	url := nettest.RefusedURL(t)
	begin := time.Now()
	code, _, stderr := invokeEnv(func(string) string { return "" }, "run", "--backend", url, "--duration", "3s", "-o", filepath.Join(t.TempDir(), "r.json"))
	if code != exitRuntime || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "cannot reach "+url) || strings.Contains(stderr, "panic") {
		t.Errorf("exit %d, stderr %q: want exit 1 and one line naming the URL", code, stderr)
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("took %v: a closed port should fail before the run", d)
	}
}

// Stopping the server mid-run ends the run with its errors classified and a
// valid report.
func TestServerKilledMidRun(t *testing.T) {
	t.Parallel()
	url, stop := startServe(t, func(string) string { return "" }, "--shutdown-grace", "1ms", "--batching", "continuous")
	go func() {
		time.Sleep(700 * time.Millisecond)
		stop()
	}()
	path := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := invokeEnv(func(string) string { return "" }, "run", "--backend", url, "--scenario", "closed", "--concurrency", "2",
		"--duration", "1500ms", "--input-tokens", "16", "--output-tokens", "400", "-o", path)
	rep, err := report.ReadFile(path)
	if err != nil {
		t.Fatalf("exit %d, %s: no valid report: %v", code, stderr, err)
	}
	c := rep.Runs[0].Counts
	if c.Errors == 0 {
		t.Fatalf("no errors after the server went away: %+v", c)
	}
	valid := map[string]bool{"connect": true, "stream_broken": true}
	for class, n := range c.ErrorsByClass {
		if !valid[class] || n == 0 || c.ErrorExamples[class] == "" {
			t.Errorf("class %q (%d, example %q): want connect or stream_broken with an example", class, n, c.ErrorExamples[class])
		}
	}
}

func TestEndpointFlagErrors(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--backend", "http://127.0.0.1:1/v1", "--header", "nocolon"}, `--header "nocolon": want NAME=VALUE`},
		{[]string{"run", "--backend", "http://127.0.0.1:1/v1", "--api-key-env", "NOPE"}, "--api-key-env NOPE: the variable is empty"},
		{[]string{"run", "--backend", "http://127.0.0.1:1/v1", "--api", "embeddings"}, `--api "embeddings": want chat, completions or responses`},
		{[]string{"run", "--backend", "http://127.0.0.1:1/v1", "--dialect", "x"}, `--dialect "x": want openai, azure, anthropic, bedrock, sagemaker or auto`},
		{[]string{"run", "--backend", "http://127.0.0.1:1/v1", "--request-timeout", "0s"}, "--request-timeout 0s: want a positive duration"},
		{[]string{"run", "--backend", "http://127.0.0.1:1/v1", "--prompts", "/nonexistent.jsonl"}, "/nonexistent.jsonl"},
		{[]string{"run", "--backend", "http://127.0.0.1:1", "--dialect", "sagemaker", "--model", "e", "--sagemaker-body", "lmi"}, `--sagemaker-body "lmi": want tgi (inputs and parameters) or chat (messages)`},
		{[]string{"run", "--backend", "http://127.0.0.1:1/v1", "--sagemaker-body", "chat"}, `--sagemaker-body "chat": only the sagemaker dialect sends it`},
		{[]string{"serve"}, "serve needs --profile, one of a100-40gb, a100-80gb, h100-sxm"},
		{[]string{"serve", "--profile", "h100-sxm", "--dialect", "sagemaker", "--sagemaker-container", "vllm"}, `--sagemaker-container "vllm": want tgi or lmi`},
		{[]string{"serve", "--profile", "h100-sxm", "--sagemaker-container", "lmi"}, `--sagemaker-container "lmi": only --dialect sagemaker answers as a container`},
		{[]string{"serve", "--profile", "h100-sxm", "--model", ""}, "--model is empty: want a model id, e.g. llama-3.1-8b"},
		{[]string{"serve", "--profile", "h100-sxm", "--max-body", "0"}, "--max-body 0: want a positive number of bytes"},
		{[]string{"serve", "--profile", "h100-sxm", "--max-tokens-cap", "-1"}, "--max-tokens-cap -1: want a positive number of tokens"},
		{[]string{"serve", "--profile", "h100-sxm", "--max-streams", "0"}, "--max-streams 0: want a positive number of requests"},
		{[]string{"serve", "--profile", "h100-sxm", "--max-tokens-cap", "8"}, "--default-max-tokens 16: above --max-tokens-cap 8"},
		{[]string{"serve", "--profile", "h100-sxm", "--model", "llama-3.1-8b", "--batching", "static"}, `--batching "static": want isolated or continuous`},
		{[]string{"serve", "--profile", "nope", "--model", "llama-3.1-8b"}, "nope"},
		{[]string{"serve", "--profile", "h100-sxm", "--model", "llama-3.1-8b", "--error-rate", "2"}, "error rate 2"},
		{[]string{"serve", "--profile", "h100-sxm", "--model", "llama-3.1-8b", "--api-key-env", "UNSET"}, "--api-key-env UNSET"},
	} {
		code, _, stderr := invokeEnv(none, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "[") {
			t.Errorf("%v: exit %d, %q; want exit 2 and one line with %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestServeHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := invoke(t, "serve", "--help")
	if code != exitOK || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--drop-stream-every") || !strings.Contains(out, "curl -N") {
		t.Errorf("exit %d: %s", code, out)
	}
}

// serve's --model defaults to run's: the default workload's model.
func TestServeDefaultModel(t *testing.T) {
	t.Parallel()
	url, stderr, _ := startServeArgs(t, func(string) string { return "" }, "--profile", "h100-sxm", "--addr", "127.0.0.1:0")
	resp, err := http.Get(url + "/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var models struct{ Data []struct{ ID string } }
	json.NewDecoder(resp.Body).Decode(&models)
	if len(models.Data) != 1 || models.Data[0].ID != "llama-3.1-8b" || !strings.HasPrefix(stderr, "serving llama-3.1-8b on sim:h100-sxm") {
		t.Errorf("models %+v, stderr %q: want llama-3.1-8b, the default workload's model", models, stderr)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("a warning on loopback: %q", stderr)
	}
}

// serve's limits reach its server: a body over --max-body is 413, a
// max_tokens over --max-tokens-cap is 400 naming the cap, and a request
// beyond --max-streams in flight is 429 with Retry-After until one ends.
// --stall-every 1 holds every stream before its first token, so the first
// stream stays in flight until its client leaves.
func TestServeLimits(t *testing.T) {
	t.Parallel()
	url, _, _ := startServeArgs(t, func(string) string { return "" }, "--profile", "h100-sxm", "--addr", "127.0.0.1:0",
		"--max-body", "300", "--max-tokens-cap", "64", "--max-streams", "1", "--stall-every", "1", "--stall-duration", "10m")
	do := func(body string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Post(url+"/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error struct{ Message string } }
		if resp.StatusCode != 200 {
			json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
		}
		return resp, e.Error.Message
	}
	chat := func(extra string) string {
		return `{"max_tokens":4,` + extra + `"messages":[{"role":"user","content":"hi"}]}`
	}
	if resp, msg := do(chat(`"user":"` + strings.Repeat("x", 300) + `",`)); resp.StatusCode != 413 || !strings.Contains(msg, "limit of 300 bytes") {
		t.Errorf("over --max-body: %d %q", resp.StatusCode, msg)
	}
	if resp, msg := do(`{"max_tokens":65,"messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != 400 || !strings.Contains(msg, "max_tokens 65: over this server's cap of 64") {
		t.Errorf("over --max-tokens-cap: %d %q", resp.StatusCode, msg)
	}
	held, _ := do(chat(`"stream":true,`))
	if held.StatusCode != 200 {
		t.Fatalf("first stream: %d", held.StatusCode)
	}
	if resp, msg := do(chat("")); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(msg, "at most 1 at once") {
		t.Errorf("beyond --max-streams: %d, Retry-After %q, %q", resp.StatusCode, resp.Header.Get("Retry-After"), msg)
	}
	held.Body.Close() // the client leaves: its stream ends and frees the slot
	deadline := time.Now().Add(time.Minute)
	for {
		resp, msg := do(chat(""))
		if resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if resp.StatusCode != 429 || time.Now().After(deadline) {
			t.Fatalf("after the stream ended: %d %q", resp.StatusCode, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serve warns, in one line, when it listens beyond loopback, and refuses
// nothing.
func TestExposedWarning(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr  string
		keyed bool
		want  string
	}{
		{"127.0.0.1:8000", false, ""},
		{"127.0.0.2:8000", false, ""},
		{"[::1]:8000", false, ""},
		{"0.0.0.0:8000", false, "warning: listening on 0.0.0.0:8000, not a loopback address: anyone who can reach this machine can send it requests (--api-key-env would require a key)"},
		{"[::]:8000", true, "warning: listening on [::]:8000, not a loopback address: anyone who can reach this machine can send it requests"},
		{"10.1.2.3:80", false, "warning: listening on 10.1.2.3:80"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		got := exposedWarning(a, tt.keyed)
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) || tt.keyed && strings.Contains(got, "--api-key-env") || strings.Contains(got, "\n") {
			t.Errorf("%s (key %v): %q, want %q", tt.addr, tt.keyed, got, tt.want)
		}
	}
	// End to end: all interfaces (Go listens on both IPv4 and IPv6 for
	// 0.0.0.0, and names it [::]), port 0; it serves, and says so once.
	_, stderr, _ := startServeArgs(t, func(string) string { return "" }, "--profile", "h100-sxm", "--addr", "0.0.0.0:0")
	if strings.Count(stderr, "warning: listening on ") != 1 || strings.Count(stderr, "\n") != 2 || !strings.Contains(stderr, "serving llama-3.1-8b") {
		t.Errorf("stderr %q: want one warning line and the serving line", stderr)
	}
}

// By default the max_tokens cap is the model's context (llama-2-7b: 4,096),
// and a request whose prompt and completion together exceed the context is
// refused, as vLLM refuses it, not timed as if it ran.
func TestServeCapIsTheModelsContext(t *testing.T) {
	t.Parallel()
	url, _, _ := startServeArgs(t, func(string) string { return "" }, "--profile", "h100-sxm", "--model", "llama-2-7b", "--addr", "127.0.0.1:0")
	for _, tt := range []struct{ body, want string }{
		{`{"prompt":"a","max_tokens":4097}`, "max_tokens 4097: over this server's cap of 4096"},
		{`{"prompt":"a b","max_tokens":4095}`, "maximum context length is 4096 tokens; this request asks for 4097 (2 of prompt, 4095 of completion)"},
	} {
		resp, err := http.Post(url+"/completions", "application/json", strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error struct{ Message string } }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(e.Error.Message, tt.want) {
			t.Errorf("%s: %d %q, want 400 with %q", tt.body, resp.StatusCode, e.Error.Message, tt.want)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/internal/nettest"
	"github.com/inferbench/inferbench/internal/openai"
	"github.com/inferbench/inferbench/report"
)

// The secrets a run is given, none of a shape a pattern would find: each is
// masked because the run registered it (or, for the URL's password, because
// it is in a URL, or the backend knows it).
const (
	plantedPassword = "pw-Planted-7d1e"  // in the backend URL
	plantedKey      = "key-Planted-93ab" // --api-key-env MY_KEY
	plantedHeader   = "hdr-Planted-55c2" // --header X-Api-Key=...
	plantedAWS      = "aws-Planted-0f0f" // AWS_SECRET_ACCESS_KEY
	plantedAWSToken = "tok-Planted-beef" // AWS_SESSION_TOKEN
)

var planted = []string{plantedPassword, plantedKey, plantedHeader, plantedAWS, plantedAWSToken}

func plantedEnv(k string) string {
	return map[string]string{
		"MY_KEY": plantedKey, "AWS_SECRET_ACCESS_KEY": plantedAWS, "AWS_SESSION_TOKEN": plantedAWSToken,
	}[k]
}

// withPassword puts the planted password in a base URL: scheme://user:PW@host.
func withPassword(base string) string {
	return strings.Replace(base, "://", "://user:"+plantedPassword+"@", 1) + "/v1"
}

// leakyUnauthorized answers 401 to a key it does not expect, echoing what a
// careless server or proxy might: the credentials it was sent, the URL's
// password and the AWS keys of its environment.
func leakyUnauthorized(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		msg := fmt.Sprintf("Incorrect API key provided: %s (X-Api-Key %s); we have %s and %s; login user:%s",
			r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), plantedAWS, plantedAWSToken, plantedPassword)
		body, _ := json.Marshal(map[string]any{"error": map[string]string{"message": msg}})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// slowStream streams up to 50 tokens 10 ms apart and calls started once two
// requests have been answered in full, so a run can be interrupted mid-way.
func slowStream(t *testing.T, started func()) string {
	t.Helper()
	var done atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req openai.Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n := 50
		if req.MaxTokens != nil && *req.MaxTokens < n {
			n = *req.MaxTokens
		}
		w.Header().Set("Content-Type", "text/event-stream")
		h := openai.ChunkHeader{ID: "x", Object: openai.ObjectChatCompletionChunk, Created: 1, Model: req.Model}
		event := func(b []byte) bool {
			_, err := fmt.Fprintf(w, "data: %s\n\n", b)
			w.(http.Flusher).Flush()
			return err == nil && r.Context().Err() == nil
		}
		event(h.AppendChunk(nil, "assistant", "", ""))
		for range n {
			if !event(h.AppendChunk(nil, "", " tok", "")) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		event(h.AppendChunk(nil, "", "", "length"))
		event(h.AppendUsageChunk(nil, openai.Usage{PromptTokens: 16, CompletionTokens: n, TotalTokens: 16 + n}))
		event([]byte(openai.Done))
		if done.Add(1) == 2 {
			started()
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	return "http://" + nettest.RefusedAddr(t)
}

// A run that fails in any of the ways an endpoint fails, given a password in
// its URL, an API key, a credential header and AWS keys in its environment,
// shows none of them: not on stdout or stderr, not in its report, not in
// any format the report is rendered to; and it still says what failed and
// where.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	tlsServer := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake it refuses is the point
	tlsServer.StartTLS()                                   // with a certificate no one trusts
	t.Cleanup(tlsServer.Close)

	tests := []struct {
		name    string
		backend string
		bare    bool // without the endpoint flags: a spec that is not a URL takes none
		args    []string
		// interrupt, when set, is handed a cancel function the case calls
		// mid-run (as SIGINT would) and returns the backend URL.
		interrupt func(t *testing.T, cancel func()) string
		code      int
		stderr    []string // what stderr must say besides REDACTED
		report    []string // what the report must say, when one is written
	}{
		{name: "bad port", backend: "http://user:" + plantedPassword + "@127.0.0.1:bad/v1", code: exitUsage},
		{name: "bad port, bare", backend: "http://user:" + plantedPassword + "@127.0.0.1:bad/v1", bare: true, code: exitUsage,
			stderr: []string{"REDACTED@127.0.0.1:bad", "invalid port"}},
		{name: "refused", backend: withPassword(closedPort(t)), code: exitRuntime,
			stderr: []string{"cannot reach http://REDACTED@127.0.0.1:", "refused"}},
		{name: "dns", backend: withPassword("http://inferbench-secrets-test.invalid"), code: exitRuntime,
			stderr: []string{"cannot reach http://REDACTED@inferbench-secrets-test.invalid/v1"}},
		{name: "401", backend: withPassword(leakyUnauthorized(t)), code: exitRuntime,
			stderr: []string{"REDACTED@127.0.0.1", "FAILED"},
			report: []string{"HTTP 401", "Incorrect API key provided: Bearer REDACTED (X-Api-Key REDACTED)", "user:REDACTED"}},
		{name: "tls", backend: withPassword(tlsServer.URL), code: exitRuntime,
			stderr: []string{"cannot reach https://REDACTED@127.0.0.1:", "certificate"}},
		{name: "interrupt", interrupt: func(t *testing.T, cancel func()) string { return withPassword(slowStream(t, cancel)) },
			args: []string{"--output-tokens", "50", "--grace", "100ms"}, code: 130,
			stderr: []string{"interrupted"}, report: []string{"http://REDACTED@127.0.0.1:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "r.json")
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			backend := tt.backend
			if tt.interrupt != nil {
				backend = tt.interrupt(t, func() { cancel(cli.Interrupt{Sig: os.Interrupt}) })
			}
			args := []string{"run", "--backend", backend, "--model", "llama-3.1-8b",
				"--concurrency", "2", "--requests", "20", "--input-tokens", "16", "--output-tokens", "4", "-o", path}
			if !tt.bare {
				args = append(args, "--api-key-env", "MY_KEY", "--header", "X-Api-Key="+plantedHeader, "--header", "X-Team=infra",
					"--connect-timeout", "3s")
			}
			args = append(args, tt.args...)
			var out, errb syncBuffer
			e := &env{stdout: &out, stderr: &errb, getenv: plantedEnv}
			code := mainWithEnv(ctx, e, args)
			t.Logf("stderr:\n%s", errb.String())
			outputs := map[string]string{"run stdout": out.String(), "run stderr": errb.String()}
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errb.String())
			}
			for _, want := range append(tt.stderr, "REDACTED") {
				if !strings.Contains(errb.String(), want) {
					t.Errorf("stderr does not say %q:\n%s", want, errb.String())
				}
			}
			if tt.report != nil {
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("no report kept: %v", err)
				}
				for _, want := range tt.report {
					if !strings.Contains(string(raw), want) {
						t.Errorf("report does not say %q:\n%s", want, raw)
					}
				}
				if _, err := report.ReadFile(path); err != nil {
					t.Fatal(err)
				}
				// Every rendering of the report, to a file and to stdout.
				for _, format := range []string{"html", "markdown", "text", "csv", "json"} {
					code, stdout, stderr := invokeEnv(plantedEnv, "report", path, "--format", format, "-o", filepath.Join(dir, "out."+format))
					if code != exitOK {
						t.Errorf("report --format %s: exit %d: %s", format, code, stderr)
					}
					outputs["report "+format+" stderr"] = stdout + stderr
					_, stdout, stderr = invokeEnv(plantedEnv, "report", path, "--format", format)
					outputs["report "+format+" stdout"] = stdout + stderr
				}
			}
			files := 0
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					raw, _ := os.ReadFile(p)
					outputs[filepath.Base(p)] = string(raw)
					files++
				}
				return nil
			})
			if tt.report != nil && files < 6 {
				t.Errorf("%d files written, want the report and its 5 renderings", files)
			}
			for where, text := range outputs {
				for _, s := range planted {
					if strings.Contains(text, s) {
						t.Errorf("%s holds the secret %q:\n%s", where, s, text)
					}
				}
			}
		})
	}
}

// The redaction is the CLI's, not the test's: a run given no secrets prints
// its backend's URL as it is.
func TestNoSecretsNothingMasked(t *testing.T) {
	t.Parallel()
	url := closedPort(t) + "/v1"
	code, _, stderr := invokeEnv(func(string) string { return "" }, "run", "--backend", url, "-o", filepath.Join(t.TempDir(), "r.json"))
	if code != exitRuntime || !strings.Contains(stderr, "cannot reach "+url) || strings.Contains(stderr, "REDACTED") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	var b bytes.Buffer
	exitCode(&env{stderr: &b}, fmt.Errorf("backend %q: bad", "http://u:p4ss-word@h/v1"))
	if !strings.Contains(b.String(), "http://REDACTED@h/v1") {
		t.Errorf("exitCode on an env without a redactor: %s", b.String())
	}
}

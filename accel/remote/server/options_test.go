package server_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote/server"
)

// Options name the bad setting as serve's flag does; a zero cap is the
// model's context within DefaultMaxTokensCap, and a default completion
// longer than the cap is refused.
func TestOptions(t *testing.T) {
	t.Parallel()
	ok := server.Options{Batching: server.BatchingIsolated, DefaultMaxTokens: 16, MaxBodyBytes: server.DefaultMaxBodyBytes, MaxStreams: server.DefaultMaxStreams}
	for _, tt := range []struct {
		name    string
		set     func(o *server.Options)
		wantErr string
		wantCap int
	}{
		{"defaults, no context", func(*server.Options) {}, "", server.DefaultMaxTokensCap},
		{"the model's context", func(o *server.Options) { o.ContextTokens = 4096 }, "", 4096},
		{"a long context is capped", func(o *server.Options) { o.ContextTokens = 131072 }, "", server.DefaultMaxTokensCap},
		{"an explicit cap", func(o *server.Options) { o.ContextTokens, o.MaxTokensCap = 4096, 100 }, "", 100},
		{"continuous", func(o *server.Options) { o.Batching = server.BatchingContinuous }, "", server.DefaultMaxTokensCap},
		{"no default tokens", func(o *server.Options) { o.DefaultMaxTokens = 0 }, "--default-max-tokens 0: want at least 1", 0},
		{"no body", func(o *server.Options) { o.MaxBodyBytes = 0 }, "--max-body 0: want a positive number of bytes (default 1048576)", 0},
		{"negative cap", func(o *server.Options) { o.MaxTokensCap = -1 }, "--max-tokens-cap -1: want a positive number of tokens, or 0 (the model's context, at most 32768)", 0},
		{"no streams", func(o *server.Options) { o.MaxStreams = 0 }, "--max-streams 0: want a positive number of requests (default 1024)", 0},
		{"default above the cap", func(o *server.Options) { o.MaxTokensCap, o.DefaultMaxTokens = 8, 9 }, "--default-max-tokens 9: above --max-tokens-cap 8", 0},
		{"default above the context", func(o *server.Options) { o.ContextTokens, o.DefaultMaxTokens = 512, 600 },
			"--default-max-tokens 600: above the max_tokens cap 512 (the model's context, at most 32768); lower it or set --max-tokens-cap", 0},
		{"batching", func(o *server.Options) { o.Batching = "static" }, `--batching "static": want isolated or continuous`, 0},
	} {
		o := ok
		tt.set(&o)
		cfg, err := o.Config(noop.Backend{})
		if verr := o.Validate(); (verr == nil) != (err == nil) {
			t.Errorf("%s: Validate %v but Config %v", tt.name, verr, err)
		}
		switch {
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("%s: %v, want %q", tt.name, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr == "" && (cfg.MaxTokensCap != tt.wantCap || cfg.DefaultMaxTokens != o.DefaultMaxTokens || cfg.ContextTokens != o.ContextTokens || cfg.Backend == nil):
			t.Errorf("%s: config %+v, want cap %d", tt.name, cfg, tt.wantCap)
		}
		if err == nil {
			if err := cfg.Validate(); err != nil {
				t.Errorf("%s: the Config does not validate: %v", tt.name, err)
			}
		}
	}
}

// Serve answers until its context ends, then drains and returns nil.
func TestServeUntilDone(t *testing.T) {
	t.Parallel()
	srv, err := server.New(server.Config{Backend: noop.Backend{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	drained := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, time.Second, func() { close(drained) }) }()
	resp, err := http.Post("http://"+ln.Addr().String()+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"a","max_tokens":2}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v, want nil after a shutdown", err)
	}
	select {
	case <-drained:
	default:
		t.Error("draining was not called")
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
)

const serveExamples = `  inferbench serve --profile h100-sxm
  inferbench serve --profile h100-sxm --model llama-3.1-8b --max-streams 64 --max-tokens-cap 4096
  inferbench serve --profile inf2 --chips 2 --model llama-2-7b --addr 127.0.0.1:9000
  inferbench serve --profile l4 --model llama-3.1-8b --error-rate 0.05 --drop-stream-every 20
  curl -N http://127.0.0.1:8000/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"model":"llama-3.1-8b","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"hello"}]}'
`

// serveCmd runs an OpenAI-compatible server whose timing is a simulated device
// in real time, until SIGINT or SIGTERM.
func serveCmd(ctx context.Context, e *env, args []string) error {
	var (
		profile, model, precision, addr, keyEnv, batching string
		chips, stallEvery, dropEvery, maxTokens           int
		maxTokensCap, maxStreams                          int
		maxBody                                           int64
		errorRate                                         float64
		stallFor, grace                                   time.Duration
		instant                                           bool
	)
	fs := newFlags(e, "serve", "--profile ID [--model ID] [flags]", serveExamples)
	fs.StringVar(&profile, "profile", "", "simulated device profile (see 'inferbench profiles')")
	fs.StringVar(&model, "model", defaultModel(), "model id to serve (the default is run's: the default workload's model)")
	fs.IntVar(&chips, "chips", 0, "chips the model is split over (0: the fewest that hold it)")
	fs.StringVar(&precision, "precision", "", "numeric format: fp16, bf16, fp8, int8, w4a16 (default: the profile's usual one)")
	fs.StringVar(&addr, "addr", "127.0.0.1:8000", "listen address (loopback by default)")
	fs.StringVar(&batching, "batching", "isolated", "isolated: each request timed as if alone on the device (what simulate predicts); continuous: requests share one continuous-batching device, so latency rises with load")
	fs.BoolVar(&instant, "instant", false, "answer at once, with no simulated device time: for measuring clients (hey, inferbench run) against each other")
	fs.IntVar(&maxTokens, "default-max-tokens", 16, "completion length when a request gives no max_tokens")
	fs.Int64Var(&maxBody, "max-body", server.DefaultMaxBodyBytes, "largest request body in bytes; a longer one is answered 413")
	fs.IntVar(&maxTokensCap, "max-tokens-cap", 0, fmt.Sprintf("largest max_tokens a request may ask for; above it the request is answered 400 (0: the model's context, at most %d)", server.DefaultMaxTokensCap))
	fs.IntVar(&maxStreams, "max-streams", server.DefaultMaxStreams, "requests in flight at once, streamed or not; one more is answered 429 with Retry-After")
	fs.StringVar(&keyEnv, "api-key-env", "", "require the API key in this environment variable (Bearer or api-key header)")
	fs.Float64Var(&errorRate, "error-rate", 0, "fault: fraction of requests answered with HTTP 500 (0 to 1)")
	fs.IntVar(&stallEvery, "stall-every", 0, "fault: every Nth stream pauses before its first token (0: never)")
	fs.DurationVar(&stallFor, "stall-duration", 2*time.Second, "fault: how long a stall lasts")
	fs.IntVar(&dropEvery, "drop-stream-every", 0, "fault: every Nth stream is cut half-way, without [DONE] (0: never)")
	fs.DurationVar(&grace, "shutdown-grace", 5*time.Second, "on SIGINT/SIGTERM, let requests in flight finish for this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments, got %q", fs.Args())
	}
	if profile == "" {
		return usagef("serve needs --profile, one of %s (see 'inferbench profiles')", strings.Join(sim.ProfileIDs(), ", "))
	}
	if model == "" {
		return usagef("--model is empty: want a model id, e.g. %s (the default)", defaultModel())
	}
	if chips < 0 {
		return usagef("--chips %d: want 0 (the fewest that hold the model) or more", chips)
	}
	switch {
	case maxTokens < 1:
		return usagef("--default-max-tokens %d: want at least 1", maxTokens)
	case maxBody < 1:
		return usagef("--max-body %d: want a positive number of bytes (default %d)", maxBody, server.DefaultMaxBodyBytes)
	case maxTokensCap < 0:
		return usagef("--max-tokens-cap %d: want a positive number of tokens, or 0 (the model's context, at most %d)", maxTokensCap, server.DefaultMaxTokensCap)
	case maxStreams < 1:
		return usagef("--max-streams %d: want a positive number of requests (default %d)", maxStreams, server.DefaultMaxStreams)
	case maxTokensCap > 0 && maxTokens > maxTokensCap:
		return usagef("--default-max-tokens %d: above --max-tokens-cap %d", maxTokens, maxTokensCap)
	}
	dev, err := sim.New(profile, chips, model, precision, true)
	if err != nil {
		return usageError{err}
	}
	defer dev.Close()
	info := dev.Info()
	// The model's context bounds every request (prompt plus completion), and
	// by default the completion alone, within the server's own cap.
	ctxLen := 0
	if m, err := fixtures.LookupModel(model); err == nil {
		ctxLen = m.Context
	}
	if maxTokensCap == 0 {
		maxTokensCap = server.DefaultMaxTokensCap
		if ctxLen > 0 {
			maxTokensCap = min(ctxLen, maxTokensCap)
		}
		if maxTokens > maxTokensCap {
			return usagef("--default-max-tokens %d: above the max_tokens cap %d (the model's context, at most %d); lower it or set --max-tokens-cap", maxTokens, maxTokensCap, server.DefaultMaxTokensCap)
		}
	}
	var backend accel.Backend = dev
	switch batching {
	case "continuous":
	case "isolated":
		paced := server.NewPaced(info, func(in, out int) (server.Timing, error) {
			p, err := sim.Predict(ctx, sim.Scenario{Profile: info.Profile, Chips: info.Chips, Model: model, Precision: info.Precision, Batch: 1, InputTokens: in, OutputTokens: out})
			if err != nil {
				return server.Timing{}, err
			}
			if p.Rejected > 0 {
				return server.Timing{}, accel.Errorf(accel.ClassRejected, "%d prompt + %d output tokens do not fit the KV cache (%.0f tokens)", in, out, p.KVCapacityTokens)
			}
			t := server.Timing{TTFT: time.Duration(p.TTFTms * 1e6)}
			if out > 1 && p.TPOTms > 0 { // one token has no TPOT
				t.TPOT = time.Duration(p.TPOTms * 1e6)
			}
			return t, nil
		})
		defer paced.Close()
		backend = paced
	default:
		return usagef("--batching %q: want isolated or continuous", batching)
	}
	if instant {
		backend, batching = noop.Backend{}, "no"
	}
	cfg := server.Config{
		Backend: backend, Model: model, Precision: info.Precision,
		KVCapacityTokens: dev.Device().KVCapacityTokens(), DefaultMaxTokens: maxTokens,
		MaxBodyBytes: maxBody, MaxTokensCap: maxTokensCap, MaxStreams: maxStreams, ContextTokens: ctxLen,
		ErrorRate: errorRate, StallEvery: stallEvery, StallDuration: stallFor, DropStreamEvery: dropEvery,
	}
	if keyEnv != "" {
		if cfg.APIKey = e.getenv(keyEnv); cfg.APIKey == "" {
			return usagef("--api-key-env %s: the variable is empty or unset; set it or drop the flag", keyEnv)
		}
		e.secrets.Add(cfg.APIKey) // the key the server checks is masked in whatever it prints
	}
	srv, err := server.New(cfg)
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	hs := &http.Server{}
	ln = srv.Attach(hs, ln) // requests arrive when the kernel got them; Attach also sets the timeouts
	if w := exposedWarning(ln.Addr(), cfg.APIKey != ""); w != "" {
		fmt.Fprintln(e.stderr, w)
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(e.stderr, "serving %s on %s (%s ×%d, %s, %s batching) at http://%s/v1\n", model, info.ID, info.Name, info.Chips, info.Precision, batching, ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(e.stderr, "shutting down: letting requests in flight finish (up to %v)\n", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	hs.Close()
	return nil
}

// defaultModel is the model run uses when told none: the default workload's.
func defaultModel() string {
	w, err := fixtures.LookupWorkload(fixtures.DefaultWorkload)
	if err != nil {
		return ""
	}
	return w.Model
}

// exposedWarning is the line serve prints when it listens beyond loopback,
// where anyone who reaches the machine can use (and load) it; "" on loopback.
// It refuses nothing: serving a network is a choice, made with --addr.
func exposedWarning(addr net.Addr, keyed bool) string {
	if ta, ok := addr.(*net.TCPAddr); !ok || ta.IP.IsLoopback() {
		return ""
	}
	w := fmt.Sprintf("warning: listening on %s, not a loopback address: anyone who can reach this machine can send it requests", addr)
	if !keyed {
		w += " (--api-key-env would require a key)"
	}
	return w
}

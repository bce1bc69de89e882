package main

import (
	"context"
	"fmt"
	"net"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/cli"
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
		profile, model, precision, addr, keyEnv string
		chips                                   int
		grace                                   time.Duration
		instant                                 bool
		o                                       server.Options
	)
	fs := cli.NewFlags(e.stdout, e.stderr, "serve", "--profile ID [--model ID] [flags]", serveExamples)
	fs.StringVar(&profile, "profile", "", "simulated device profile (see 'inferbench profiles')")
	fs.StringVar(&model, "model", fixtures.DefaultModel(), "model id to serve (the default is run's: the default workload's model)")
	fs.IntVar(&chips, "chips", 0, "chips the model is split over (0: the fewest that hold it)")
	fs.StringVar(&precision, "precision", "", "numeric format: fp16, bf16, fp8, int8, w4a16 (default: the profile's usual one)")
	fs.StringVar(&addr, "addr", "127.0.0.1:8000", "listen address (loopback by default)")
	fs.StringVar(&o.Dialect, "dialect", server.DialectOpenAI, "wire format served: openai (/v1/chat/completions, /v1/completions, Azure's routes), responses (OpenAI's /v1/responses), anthropic (/v1/messages), bedrock (/model/ID/converse-stream, AWS event-stream) or sagemaker (/endpoints/NAME/invocations-response-stream, the container's stream in event-stream frames)")
	fs.StringVar(&o.SageMakerContainer, "sagemaker-container", "", `the container --dialect sagemaker answers as: tgi (TGI's token events, or chat chunks as SSE with usage) or lmi (LMI's JSON lines, or chat chunks as JSON lines), each to a generate body (inputs) or a chat one (messages) (default "tgi")`)
	fs.IntVar(&o.ReasoningTokens, "reasoning-tokens", 0, "the first N tokens of every streamed chat answer are reasoning, as a reasoning model's (reasoning_content, reasoning_text deltas, a thinking block, reasoningContent): for measuring time to first output")
	fs.StringVar(&o.Batching, "batching", "isolated", "isolated: each request timed as if alone on the device (what simulate predicts); continuous: requests share one continuous-batching device, so latency rises with load")
	fs.BoolVar(&instant, "instant", false, "answer at once, with no simulated device time: for measuring clients (hey, inferbench run) against each other")
	fs.IntVar(&o.DefaultMaxTokens, "default-max-tokens", 16, "completion length when a request gives no max_tokens")
	fs.Int64Var(&o.MaxBodyBytes, "max-body", server.DefaultMaxBodyBytes, "largest request body in bytes; a longer one is answered 413")
	fs.IntVar(&o.MaxTokensCap, "max-tokens-cap", 0, fmt.Sprintf("largest max_tokens a request may ask for; above it the request is answered 400 (0: the model's context, at most %d)", server.DefaultMaxTokensCap))
	fs.IntVar(&o.MaxStreams, "max-streams", server.DefaultMaxStreams, "requests in flight at once, streamed or not; one more is answered 429 with Retry-After")
	fs.StringVar(&keyEnv, "api-key-env", "", "require the API key in this environment variable (Bearer, api-key or x-api-key header; bedrock and sagemaker: the access key id SigV4 names)")
	fs.Float64Var(&o.ErrorRate, "error-rate", 0, "fault: fraction of requests answered with HTTP 500 (0 to 1)")
	fs.IntVar(&o.StallEvery, "stall-every", 0, "fault: every Nth stream pauses before its first token (0: never)")
	fs.DurationVar(&o.StallDuration, "stall-duration", 2*time.Second, "fault: how long a stall lasts")
	fs.IntVar(&o.DropStreamEvery, "drop-stream-every", 0, "fault: every Nth stream is cut half-way, without [DONE] (0: never)")
	fs.DurationVar(&grace, "shutdown-grace", 5*time.Second, "on SIGINT/SIGTERM, let requests in flight finish for this long")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return cli.Usagef("serve takes no arguments, got %q", fs.Args())
	case profile == "":
		return cli.Usagef("serve needs --profile, one of %s (see 'inferbench profiles')", strings.Join(sim.ProfileIDs(), ", "))
	case model == "":
		return cli.Usagef("--model is empty: want a model id, e.g. %s (the default)", fixtures.DefaultModel())
	case chips < 0:
		return cli.Usagef("--chips %d: want 0 (the fewest that hold the model) or more", chips)
	}
	if m, err := fixtures.LookupModel(model); err == nil {
		o.ContextTokens = m.Context
	}
	if err := o.Validate(); err != nil {
		return cli.Usage(err)
	}
	dev, err := sim.New(profile, chips, model, precision, true)
	if err != nil {
		return cli.Usage(err)
	}
	defer dev.Close()
	info, batching := dev.Info(), o.Batching
	var backend accel.Backend = dev
	if batching == server.BatchingIsolated {
		s := sim.Scenario{Profile: info.Profile, Chips: info.Chips, Model: model, Precision: info.Precision}
		paced := server.NewPaced(info, func(in, out int) (server.Timing, error) {
			ttft, tpot, err := sim.Alone(ctx, s, in, out)
			return server.Timing{TTFT: ttft, TPOT: tpot}, err
		})
		defer paced.Close()
		backend = paced
	}
	if instant {
		backend, batching = noop.Backend{}, "no"
	}
	cfg, err := o.Config(backend)
	if err != nil {
		return cli.Usage(err)
	}
	cfg.Model, cfg.Precision, cfg.KVCapacityTokens = model, info.Precision, dev.Device().KVCapacityTokens()
	if keyEnv != "" {
		if cfg.APIKey = e.getenv(keyEnv); cfg.APIKey == "" {
			return cli.Usagef("--api-key-env %s: the variable is empty or unset; set it or drop the flag", keyEnv)
		}
		e.secrets.Add(cfg.APIKey) // the key the server checks is masked in whatever it prints
	}
	srv, err := server.New(cfg)
	if err != nil {
		return cli.Usage(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	if w := exposedWarning(ln.Addr(), cfg.APIKey != ""); w != "" {
		fmt.Fprintln(e.stderr, w)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dialect := "" // the openai dialect's line is as it always was: scripts read its URL
	if o.Dialect != server.DialectOpenAI {
		dialect = " (" + o.Dialect + " dialect)"
	}
	fmt.Fprintf(e.stderr, "serving %s on %s (%s ×%d, %s, %s batching) at http://%s/v1%s\n", model, info.ID, info.Name, info.Chips, info.Precision, batching, ln.Addr(), dialect)
	return srv.Serve(ctx, ln, grace, func() {
		fmt.Fprintf(e.stderr, "shutting down: letting requests in flight finish (up to %v)\n", grace)
	})
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

package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// How a served simulated device times requests that overlap.
const (
	// BatchingIsolated times each request as if alone on the device (see
	// Paced): what `inferbench simulate` predicts.
	BatchingIsolated = "isolated"
	// BatchingContinuous shares one continuous-batching device among the
	// requests, so latency rises with load.
	BatchingContinuous = "continuous"
)

// Options are a server's settings as `inferbench serve` takes them, before a
// backend is chosen: the batching, the request limits, the model's context
// and the faults. Unlike Config's, a zero MaxTokensCap means the model's
// context (at most DefaultMaxTokensCap), and the limits must be set.
// Validate's errors name each setting as serve's flag does.
type Options struct {
	Batching string // BatchingIsolated or BatchingContinuous
	Dialect  string // DialectOpenAI (or ""), DialectResponses, DialectAnthropic, DialectBedrock or DialectSageMaker
	// SageMakerContainer is the container the sagemaker dialect answers as
	// (Config.SageMakerContainer): SageMakerTGI (or "") or SageMakerLMI.
	SageMakerContainer string
	ReasoningTokens    int // the first tokens of each chat answer that are reasoning (Config.ReasoningTokens)
	DefaultMaxTokens   int
	MaxBodyBytes       int64
	MaxTokensCap       int // 0: ContextTokens, at most DefaultMaxTokensCap
	MaxStreams         int
	ContextTokens      int // the model's context, prompt and completion; 0: unknown
	ErrorRate          float64
	StallEvery         int
	StallDuration      time.Duration
	DropStreamEvery    int
}

// Validate checks the limits and the batching; each error names the bad
// value and what is valid.
func (o Options) Validate() error {
	switch {
	case o.DefaultMaxTokens < 1:
		return fmt.Errorf("--default-max-tokens %d: want at least 1", o.DefaultMaxTokens)
	case o.MaxBodyBytes < 1:
		return fmt.Errorf("--max-body %d: want a positive number of bytes (default %d)", o.MaxBodyBytes, DefaultMaxBodyBytes)
	case o.MaxTokensCap < 0:
		return fmt.Errorf("--max-tokens-cap %d: want a positive number of tokens, or 0 (the model's context, at most %d)", o.MaxTokensCap, DefaultMaxTokensCap)
	case o.MaxStreams < 1:
		return fmt.Errorf("--max-streams %d: want a positive number of requests (default %d)", o.MaxStreams, DefaultMaxStreams)
	case o.MaxTokensCap > 0 && o.DefaultMaxTokens > o.MaxTokensCap:
		return fmt.Errorf("--default-max-tokens %d: above --max-tokens-cap %d", o.DefaultMaxTokens, o.MaxTokensCap)
	case o.MaxTokensCap == 0 && o.DefaultMaxTokens > o.maxTokensCap():
		return fmt.Errorf("--default-max-tokens %d: above the max_tokens cap %d (the model's context, at most %d); lower it or set --max-tokens-cap",
			o.DefaultMaxTokens, o.maxTokensCap(), DefaultMaxTokensCap)
	case o.ReasoningTokens < 0:
		return fmt.Errorf("--reasoning-tokens %d: want 0 (none) or a positive count", o.ReasoningTokens)
	case o.Batching != BatchingIsolated && o.Batching != BatchingContinuous:
		return fmt.Errorf("--batching %q: want %s or %s", o.Batching, BatchingIsolated, BatchingContinuous)
	case o.Dialect != "" && o.Dialect != DialectOpenAI && o.Dialect != DialectResponses && o.Dialect != DialectAnthropic && o.Dialect != DialectBedrock && o.Dialect != DialectSageMaker:
		return fmt.Errorf("--dialect %q: want %s, %s, %s, %s or %s", o.Dialect, DialectOpenAI, DialectResponses, DialectAnthropic, DialectBedrock, DialectSageMaker)
	case o.SageMakerContainer != "" && o.SageMakerContainer != SageMakerTGI && o.SageMakerContainer != SageMakerLMI:
		return fmt.Errorf("--sagemaker-container %q: want %s or %s", o.SageMakerContainer, SageMakerTGI, SageMakerLMI)
	case o.SageMakerContainer != "" && o.Dialect != DialectSageMaker:
		return fmt.Errorf("--sagemaker-container %q: only --dialect %s answers as a container", o.SageMakerContainer, DialectSageMaker)
	}
	return nil
}

// maxTokensCap is the cap a request's max_tokens meets: MaxTokensCap, or by
// default the model's context within DefaultMaxTokensCap, since the context
// bounds every request (prompt plus completion) and so the completion alone.
func (o Options) maxTokensCap() int {
	switch {
	case o.MaxTokensCap > 0:
		return o.MaxTokensCap
	case o.ContextTokens > 0:
		return min(o.ContextTokens, DefaultMaxTokensCap)
	}
	return DefaultMaxTokensCap
}

// Config validates the options and returns the Config that serves them from
// backend, with the default cap resolved.
func (o Options) Config(backend accel.Backend) (Config, error) {
	if err := o.Validate(); err != nil {
		return Config{}, err
	}
	return Config{
		Backend: backend, Dialect: o.Dialect, SageMakerContainer: o.SageMakerContainer, ReasoningTokens: o.ReasoningTokens, DefaultMaxTokens: o.DefaultMaxTokens, MaxBodyBytes: o.MaxBodyBytes, MaxTokensCap: o.maxTokensCap(),
		MaxStreams: o.MaxStreams, ContextTokens: o.ContextTokens, ErrorRate: o.ErrorRate, StallEvery: o.StallEvery,
		StallDuration: o.StallDuration, DropStreamEvery: o.DropStreamEvery,
	}, nil
}

// Serve serves s on ln (through Attach) until ctx is done, then stops taking
// connections and lets the requests in flight finish for up to grace before
// closing the rest. draining, when not nil, is called as that begins. It
// returns nil after a shutdown, or the error that stopped serving.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration, draining func()) error {
	hs := &http.Server{}
	ln = s.Attach(hs, ln)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if draining != nil {
		draining()
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	hs.Close()
	return nil
}

// Package noop is a backend that answers every request at once. Driving it shows
// what the harness itself costs per request: clock reads, histogram records and
// the handoff between the plan and the workers.
package noop

import (
	"context"

	"github.com/inferbench/inferbench/accel"
)

// Backend returns every request at once with the requested output length.
type Backend struct{}

var _ accel.Backend = Backend{}

// Info describes the no-op backend.
func (Backend) Info() accel.Info { return accel.Info{ID: "noop", Kind: accel.KindNoop, Name: "no-op"} }

// Infer fills res with an instant, successful answer: exactly the requested
// output length, stopped by that length. Its input is the requested prompt,
// so it reports none of its own (InputTokens 0). It allocates nothing.
func (Backend) Infer(_ context.Context, req *accel.Request, res *accel.Result) error {
	res.OutputTokens = req.OutputTokens
	res.Counted = accel.CountedExact
	res.FinishReason = accel.FinishLength
	return nil
}

// Close does nothing.
func (Backend) Close() error { return nil }

// Opener opens `noop`.
type Opener struct{}

var _ accel.Opener = Opener{}

// Schemes returns "noop".
func (Opener) Schemes() []string { return []string{"noop"} }

// Targets returns "noop".
func (Opener) Targets() []string { return []string{"noop"} }

// Open opens the no-op backend; it takes no target or options.
func (Opener) Open(s accel.Spec, _ accel.Options) (accel.Backend, error) {
	if s.Target != "" || len(s.Params) > 0 {
		return nil, &accel.SpecError{Spec: s.Raw, Reason: "noop takes no target or options", Valid: []string{"noop"}}
	}
	return Backend{}, nil
}

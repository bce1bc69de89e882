package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Interrupt is the cause of a context canceled by a signal.
type Interrupt struct{ Sig os.Signal }

func (i Interrupt) Error() string { return "interrupted by " + i.Sig.String() }

// ExitCode is 128 + the signal's number, as shells report it: 130 for
// SIGINT, 143 for SIGTERM.
func (i Interrupt) ExitCode() int {
	if s, ok := i.Sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// Interrupted returns the interrupt that canceled ctx, if one did.
func Interrupted(ctx context.Context) (Interrupt, bool) {
	var in Interrupt
	if ctx.Err() == nil {
		return in, false
	}
	if errors.As(context.Cause(ctx), &in) {
		return in, true
	}
	return Interrupt{Sig: os.Interrupt}, true
}

// WithSignals returns a context canceled by the first SIGINT or SIGTERM, with
// the signal as its cause, so a run stops sending and writes what it has; a
// second signal exits at once. stop releases the signal handler.
//
// A signal that comes within signalEcho of the first is taken as the same
// one: wrappers deliver one interrupt twice (GNU timeout sends it to its child
// and to the child's process group), and exiting on the echo would lose the
// report the first one was to save.
func WithSignals(parent context.Context, stderr func(string)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var first time.Time
		select {
		case sig := <-ch:
			first = time.Now()
			stderr(fmt.Sprintf("inferbench: %v: stopping; in-flight requests get a grace period; a second signal exits at once", sig))
			cancel(Interrupt{Sig: sig})
		case <-done:
			return
		}
		for {
			select {
			case sig := <-ch:
				if time.Since(first) < signalEcho {
					continue // the same interrupt, delivered twice
				}
				os.Exit(Interrupt{Sig: sig}.ExitCode())
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// signalEcho is how soon after the first interrupt another is taken as the
// same one delivered twice, not as a second press.
const signalEcho = 500 * time.Millisecond

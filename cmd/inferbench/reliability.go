package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/report"
)

// faultFlags are run's answers to a failing system under test and to
// interrupts.
type faultFlags struct {
	maxErrorRate float64
	grace        time.Duration
}

func addFaultFlags(fs *pflag.FlagSet) *faultFlags {
	f := &faultFlags{}
	fs.Float64Var(&f.maxErrorRate, "max-error-rate", 1, "mark a run failed (exit 1, report still written) when more than this fraction of its requests fail, e.g. 0.05")
	fs.DurationVar(&f.grace, "grace", 10*time.Second, "after an interrupt (SIGINT/SIGTERM), let in-flight requests finish this long before writing the report")
	return f
}

func (f *faultFlags) validate() error {
	if f.maxErrorRate < 0 || f.maxErrorRate > 1 {
		return usagef("--max-error-rate %g: want a fraction from 0 to 1", f.maxErrorRate)
	}
	if f.grace <= 0 {
		return usagef("--grace %v: want a positive duration", f.grace)
	}
	return nil
}

// judge marks runs whose error rate is above the limit as failed; the error it
// returns (exit 1) names them.
func (f *faultFlags) judge(rep *report.Report) error {
	var failed []string
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if r.Counts.Requests == 0 {
			continue
		}
		rate := float64(r.Counts.Errors) / float64(r.Counts.Requests)
		if rate > f.maxErrorRate {
			r.Failed = true
			r.FailReason = fmt.Sprintf("error rate %.3g (%d of %d requests) above --max-error-rate %g", rate, r.Counts.Errors, r.Counts.Requests, f.maxErrorRate)
			failed = append(failed, r.Backend.ID+": "+r.FailReason)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("%d run(s) failed: %s", len(failed), failed[0])
}

// interrupt is the cause of a context canceled by a signal.
type interrupt struct{ sig os.Signal }

func (i interrupt) Error() string { return "interrupted by " + i.sig.String() }

// exitCode is 128 + the signal's number, as shells report it: 130 for
// SIGINT, 143 for SIGTERM.
func (i interrupt) exitCode() int {
	if s, ok := i.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// interrupted returns the interrupt that canceled ctx, if one did.
func interrupted(ctx context.Context) (interrupt, bool) {
	var in interrupt
	if ctx.Err() == nil {
		return in, false
	}
	if errors.As(context.Cause(ctx), &in) {
		return in, true
	}
	return interrupt{sig: os.Interrupt}, true
}

// withSignals returns a context canceled by the first SIGINT or SIGTERM, with
// the signal as its cause, so a run stops sending and writes what it has; a
// second signal exits at once. stop releases the signal handler.
//
// A signal that comes within signalEcho of the first is taken as the same
// one: wrappers deliver one interrupt twice (GNU timeout sends it to its child
// and to the child's process group), and exiting on the echo would lose the
// report the first one was to save.
func withSignals(parent context.Context, stderr func(string)) (ctx context.Context, stop func()) {
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
			cancel(interrupt{sig: sig})
		case <-done:
			return
		}
		for {
			select {
			case sig := <-ch:
				if time.Since(first) < signalEcho {
					continue // the same interrupt, delivered twice
				}
				os.Exit(interrupt{sig: sig}.exitCode())
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

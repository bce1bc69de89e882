package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/report"
)

// faultFlags are run's answers to a failing system under test, to runs whose
// figures cannot be trusted, and to interrupts.
type faultFlags struct {
	maxErrorRate float64
	allowInvalid bool
	grace        time.Duration
	set          func(name string) bool // the flag was given
}

func addFaultFlags(fs *pflag.FlagSet) *faultFlags {
	f := &faultFlags{set: fs.Changed}
	fs.Float64Var(&f.maxErrorRate, "max-error-rate", bench.DefaultMaxErrorRate, "fail a run (exit 1, report still written) when more than this fraction of its requests fail; 0 fails on any error, 1 never")
	fs.BoolVar(&f.allowInvalid, "allow-invalid", false, "exit 0 even when a run is invalid (its figures describe the harness, or it missed a floor); it stays marked invalid in every format")
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

// apply sets the load generator's error limit: the load generator judges a
// run failed (bench.Result.Failed), so a library user gets the same verdict.
// bench reads 0 as "the default", so --max-error-rate 0 (fail on any
// error) becomes bench.NoErrorsAllowed.
func (f *faultFlags) apply(c *bench.Config) {
	c.MaxErrorRate = f.maxErrorRate
	if f.maxErrorRate == 0 {
		c.MaxErrorRate = bench.NoErrorsAllowed
	}
	c.Grace = f.grace
}

// verdict says on w what is wrong with each failed or invalid run, failed
// ones with their errors by class (count and the first message of each),
// and returns the error that makes the exit 1: a failed run always, an
// invalid one unless --allow-invalid. The report has been written by then.
func (f *faultFlags) verdict(w io.Writer, rep *report.Report) error {
	var failed, invalid []string
	for i := range rep.Runs {
		r := &rep.Runs[i]
		name := r.Backend.ID + " " + report.LoadKey(r)
		if r.Label != "" {
			name = r.Label + ": " + name
		}
		if r.Failed {
			failed = append(failed, name+": "+r.FailReason)
			fmt.Fprintf(w, "%s: FAILED: %s\n", name, r.FailReason)
			for _, c := range errorClasses(&r.Counts) {
				fmt.Fprintf(w, "  %d %s error(s), the first: %s\n", r.Counts.ErrorsByClass[c], c, orNone(r.Counts.ErrorExamples[c]))
			}
		}
		if !r.Valid {
			why := strings.Join(r.InvalidReasons, "; ")
			invalid = append(invalid, name+": "+why)
			fmt.Fprintf(w, "%s: INVALID: %s\n", name, why)
		}
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("%d of %d run(s) failed; the first: %s", len(failed), len(rep.Runs), failed[0])
	case len(invalid) > 0 && !f.allowInvalid:
		return fmt.Errorf("%d of %d run(s) are invalid (--allow-invalid accepts them); the first: %s", len(invalid), len(rep.Runs), invalid[0])
	}
	return nil
}

// errorClasses lists a run's error classes, most frequent first.
func errorClasses(c *report.Counts) []string {
	classes := make([]string, 0, len(c.ErrorsByClass))
	for k, n := range c.ErrorsByClass {
		if n > 0 {
			classes = append(classes, k)
		}
	}
	sort.Slice(classes, func(i, j int) bool {
		a, b := c.ErrorsByClass[classes[i]], c.ErrorsByClass[classes[j]]
		return a > b || a == b && classes[i] < classes[j]
	})
	return classes
}

func orNone(s string) string {
	if s == "" {
		return "(no message)"
	}
	return s
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

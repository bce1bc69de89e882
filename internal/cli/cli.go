// Package cli holds the mechanics every inferbench subcommand shares: flag
// sets that report errors with suggestions instead of exiting, the errors
// that carry exit codes, and interrupts that become a context's cause. The
// commands themselves live in cmd/inferbench.
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/internal/suggest"
)

// UsageError marks bad usage or bad input: exit code 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usage marks err as bad usage or bad input.
func Usage(err error) error { return UsageError{err} }

// Usagef returns a usage error.
func Usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// ExitError carries a specific exit code with its message.
type ExitError struct {
	Code int
	Err  error
}

func (e ExitError) Error() string { return e.Err.Error() }
func (e ExitError) Unwrap() error { return e.Err }

// Exit codes: 0 ok, 1 runtime error, 2 bad usage or bad input, 3 a
// comparison or threshold found a regression.
const (
	ExitOK         = 0
	ExitRuntime    = 1
	ExitUsage      = 2
	ExitRegression = 3
)

// Code maps err to an exit code: an ExitError's own, 2 for a UsageError, 0
// for none or a request for help, 1 for anything else.
func Code(err error) int {
	var ee ExitError
	var ue UsageError
	switch {
	case err == nil || errors.Is(err, pflag.ErrHelp):
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue):
		return ExitUsage
	}
	return ExitRuntime
}

// NewFlags returns a flag set that reports errors instead of exiting, with a
// usage text that ends in examples.
func NewFlags(stdout, stderr io.Writer, name, synopsis, examples string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: inferbench %s %s\n\nFlags:\n%s\nExamples:\n%s", name, synopsis, fs.FlagUsages(), examples)
	}
	return fs
}

// Parse parses args; a parse error is a usage error. An unknown flag
// gets the nearest known ones as a suggestion.
func Parse(fs *pflag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // we print the error once, ourselves
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return Usagef("%s: %v%s (see 'inferbench %s --help')", fs.Name(), err, flagHint(fs, err), fs.Name())
	}
	return nil
}

// flagHint suggests the flags nearest to an unknown one, from pflag's error
// ("unknown flag: --concurency", "unknown shorthand flag: 'c' in
// -concurrency"); "" for any other error or when nothing is close.
func flagHint(fs *pflag.FlagSet, err error) string {
	msg := err.Error()
	var name string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		name = strings.TrimPrefix(msg, "unknown flag: --")
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		// A long flag written with one dash: pflag reads -concurrency as -c.
		_, word, ok := strings.Cut(msg, " in -")
		if !ok {
			return ""
		}
		name, _, _ = strings.Cut(word, "=")
		if fs.Lookup(name) != nil {
			return " (did you mean --" + name + "?)"
		}
	default:
		return ""
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	return suggest.HintPrefixed(name, names, "--")
}

// Quoted writes args as a list of quoted words: "a", "b" (not a Go slice).
func Quoted(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, ", ")
}

// CheckFormat is the one check of every subcommand's --format: got must be one
// of valid, else a usage error that lists them.
func CheckFormat(got string, valid ...string) error {
	if slices.Contains(valid, got) {
		return nil
	}
	return Usagef("--format %q%s: want one of %s", got, suggest.Hint(got, valid), strings.Join(valid, ", "))
}

// Notes writes notes (worth knowing, not errors: a run with no price)
// to w, one line each, with the patterns of package redact masked (notes
// name backends, whose URLs may hold a password).
func Notes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", redact.String(n))
	}
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

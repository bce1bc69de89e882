// Command inferbench benchmarks inference on real and simulated accelerators.
//
// Subcommands (commands and moreCommands list them; `inferbench help` prints
// that list and `inferbench CMD --help` each one's flags and examples):
//
//   - measure: run (backends × one workload and scenario into a JSON report),
//     suite (a suite file of backends × workloads × scenarios into one report);
//   - read reports: report (text, markdown, json, csv, gobench, html),
//     compare (significance tests; exit 3 on a regression), plot, merge
//     (shard reports into one), baseline (promote a report, atomically);
//   - the simulator: simulate (predict one configuration), calibrate (against
//     published measurements), serve (the OpenAI API from a simulated
//     device), profiles (the simulated accelerators);
//   - this machine: devices (real NVIDIA GPUs), fingerprint (the nightly
//     baseline key), version.
//
// Exit codes: 0 ok, 1 runtime error, 2 bad usage or bad input, 3 a comparison
// or threshold found a regression.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/internal/suggest"
)

// Exit codes.
const (
	exitOK         = 0
	exitRuntime    = 1
	exitUsage      = 2
	exitRegression = 3
)

// version is the tool version, set at build time with
// -ldflags "-X main.version=v1.2.3"; "dev" otherwise.
var version = "dev"

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch: its streams and environment. Tests run
// subcommands with their own env.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// secrets masks what this invocation holds as secret (see secrets.go) in
	// what it prints and writes; mainWithEnv sets it, nil masks the patterns
	// only.
	secrets *redact.Redactor
}

// usageError marks bad usage or bad input: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitError carries a specific exit code with its message.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

func commands() []command {
	cs := []command{
		{"run", "benchmark backends with a workload and scenario; write a JSON report", runCmd},
		{"profiles", "list simulated accelerator profiles with their specs and sources", profilesCmd},
		{"version", "print the version", versionCmd},
	}
	cs = append(cs, moreCommands()...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	return cs
}

func main() {
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	ctx, stop := withSignals(context.Background(), func(s string) { fmt.Fprintln(os.Stderr, s) })
	code := mainWithEnv(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// mainWithEnv runs one invocation and returns its exit code.
func mainWithEnv(ctx context.Context, e *env, args []string) int {
	if e.secrets == nil {
		e.secrets = envSecrets(e.getenv)
	}
	if len(args) > 0 && args[0] == "--version" {
		args = append([]string{"version"}, args[1:]...) // what every tool answers
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return mainWithEnv(ctx, e, []string{args[1], "--help"})
		}
		printUsage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(e, c.run(ctx, e, args[1:]))
		}
	}
	var names []string
	for _, c := range commands() {
		if strings.EqualFold(c.name, args[0]) {
			return exitCode(e, c.run(ctx, e, args[1:]))
		}
		names = append(names, c.name)
	}
	// Through exitCode, the one printer of errors (it masks secrets: the
	// word may be a URL with a password, pasted without its command).
	if strings.HasPrefix(args[0], "-") {
		return exitCode(e, usagef("%q comes before a command: flags follow one (inferbench run %s ...); commands: %s",
			args[0], args[0], strings.Join(names, ", ")))
	}
	return exitCode(e, usagef("unknown command %q%s; valid: %s (see 'inferbench help')",
		args[0], suggest.Hint(args[0], names), strings.Join(names, ", ")))
}

// exitCode prints err and maps it to an exit code. It is the one place every
// subcommand's error is printed: secrets are masked here.
func exitCode(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "inferbench: %s\n", e.secrets.String(err.Error()))
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitRuntime
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `inferbench: how fast, how steady, how costly and how power-hungry is a model
on this hardware, and did it get worse since last night?

Usage:
  inferbench COMMAND [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  inferbench run                                  # every simulated profile, default workload
  inferbench run --backend sim:h100-sxm --backend sim:inf2 -o r.json
  inferbench profiles

Run 'inferbench COMMAND --help' for a command's flags.
Exit codes: 0 ok, 1 runtime error, 2 bad usage or input, 3 regression found.
`)
}

// newFlags returns a flag set that reports errors instead of exiting, with a
// usage text that ends in examples.
func newFlags(e *env, name, synopsis, examples string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: inferbench %s %s\n\nFlags:\n%s\nExamples:\n%s", name, synopsis, fs.FlagUsages(), examples)
	}
	return fs
}

// parseFlags parses args; a parse error is a usage error. An unknown flag
// gets the nearest known ones as a suggestion.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // we print the error once, ourselves
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usagef("%s: %v%s (see 'inferbench %s --help')", fs.Name(), err, flagHint(fs, err), fs.Name())
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

// quoted writes args as a list of quoted words: "a", "b" (not a Go slice).
func quoted(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, ", ")
}

// checkFormat is the one check of every subcommand's --format: got must be one
// of valid, else a usage error that lists them.
func checkFormat(got string, valid ...string) error {
	if slices.Contains(valid, got) {
		return nil
	}
	return usagef("--format %q%s: want one of %s", got, suggest.Hint(got, valid), strings.Join(valid, ", "))
}

// printNotes writes notes (worth knowing, not errors: a run with no price)
// to w, one line each, with the patterns of package redact masked (notes
// name backends, whose URLs may hold a password).
func printNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", redact.String(n))
	}
}

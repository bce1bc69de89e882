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
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/internal/suggest"
)

// Exit codes (package cli's).
const (
	exitOK         = cli.ExitOK
	exitRuntime    = cli.ExitRuntime
	exitUsage      = cli.ExitUsage
	exitRegression = cli.ExitRegression
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

func commands() []command {
	cs := []command{
		{"run", "benchmark backends with a workload and scenario; write a JSON report", runCmd},
		{"profiles", "list simulated accelerator profiles with their specs and sources", profilesCmd},
		{"version", "print the version", versionCmd},
		{"baseline", "promote a report to baseline, atomically (--force to replace)", baselineCmd},
		{"simulate", "predict one configuration on a simulated accelerator (latency, throughput, bound, energy)", simulateCmd},
		{"calibrate", "compare the simulator with published measurements; exit 1 when a case is off", calibrateCmd},
		{"serve", "serve the OpenAI API from a simulated device in real time (streaming, /metrics, faults)", serveCmd},
		{"devices", "list real NVIDIA GPUs (NVML) with their specs, beside the simulated profiles", devicesCmd},
		{"fingerprint", "print this machine's fingerprint (the nightly baseline key)", fingerprintCmd},
		{"suite", "run a suite file (backends × workloads × scenarios) into one report", suiteCmd},
		{"compare", "compare reports (across runs or hardware); exit 3 on a significant regression", compareCmd},
		{"report", "render a saved report: text, markdown, json, csv, gobench (benchstat), html", reportCmd},
		{"plot", "plot reports: latency CDF, frontier, latency/TTFT/TPOT vs throughput across loads, telemetry (PNG or SVG)", plotCmd},
		{"merge", "merge shard reports into one: histograms add exactly, counts and rates add", mergeCmd},
		{"frontier", "sweep concurrency per backend: output tok/s per chip against tok/s per user, $/1M tok, J/tok", frontierCmd},
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	return cs
}

func main() {
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	ctx, stop := cli.WithSignals(context.Background(), func(s string) { fmt.Fprintln(os.Stderr, s) })
	code := mainWithEnv(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// mainWithEnv runs one invocation and returns its exit code.
func mainWithEnv(ctx context.Context, e *env, args []string) int {
	if e.secrets == nil {
		e.secrets = redact.FromEnv(e.getenv)
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
		return exitCode(e, cli.Usagef("%q comes before a command: flags follow one (inferbench run %s ...); commands: %s",
			args[0], args[0], strings.Join(names, ", ")))
	}
	return exitCode(e, cli.Usagef("unknown command %q%s; valid: %s (see 'inferbench help')",
		args[0], suggest.Hint(args[0], names), strings.Join(names, ", ")))
}

// exitCode prints err and maps it to an exit code. It is the one place every
// subcommand's error is printed: secrets are masked here.
func exitCode(e *env, err error) int {
	code := cli.Code(err)
	if code != exitOK {
		fmt.Fprintf(e.stderr, "inferbench: %s\n", e.secrets.String(err.Error()))
	}
	return code
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

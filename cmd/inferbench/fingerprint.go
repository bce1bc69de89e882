package main

import (
	"context"
	"fmt"

	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/report"
)

const fingerprintExamples = `  inferbench fingerprint                 # the id and what it is made of
  inferbench fingerprint --short         # the id alone: the nightly baseline key
`

func fingerprintCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "fingerprint", "[--short | --format json]", fingerprintExamples)
	short := fs.Bool("short", false, "print the id only")
	format := fs.String("format", "text", "text or json")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("fingerprint takes no arguments, got %s", cli.Quoted(fs.Args()))
	}
	if err := cli.CheckFormat(*format, "text", "json"); err != nil {
		return err
	}
	if *short && fs.Changed("format") {
		return cli.Usagef("--short prints the id alone and --format %s a whole fingerprint: give one", *format)
	}
	f := machineFingerprint()
	switch {
	case *short:
		fmt.Fprintln(e.stdout, f.ID)
	case *format == "json":
		return cli.WriteJSON(e.stdout, f)
	default:
		return f.WriteText(e.stdout)
	}
	return nil
}

// machineFingerprint describes this machine: its GPUs and driver when NVML
// answers (a machine without one simply has none), its CPU, the tool and the
// simulated-profile data.
func machineFingerprint() report.Fingerprint {
	inv := nvml.TakeInventory(nvml.Open)
	return report.NewFingerprint(report.ThisHost(), version, sim.DataVersion(), inv.DriverVersion, inv.GPUNames())
}

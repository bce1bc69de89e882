package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/report"
)

const fingerprintExamples = `  inferbench fingerprint                 # the id and what it is made of
  inferbench fingerprint --short         # the id alone: the nightly baseline key
`

func fingerprintCmd(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "fingerprint", "[--short | --format json]", fingerprintExamples)
	short := fs.Bool("short", false, "print the id only")
	format := fs.String("format", "text", "text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("fingerprint takes no arguments, got %s", quoted(fs.Args()))
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	if *short && fs.Changed("format") {
		return usagef("--short prints the id alone and --format %s a whole fingerprint: give one", *format)
	}
	f := machineFingerprint()
	gpus, driver := strings.Join(f.GPUs, ", "), f.Driver
	if gpus == "" {
		gpus, driver = "none seen (no NVML)", "-"
	}
	switch {
	case *short:
		fmt.Fprintln(e.stdout, f.ID)
	case *format == "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(f)
	default:
		fmt.Fprintf(e.stdout, "id      %s\ngpus    %s\ndriver  %s\ncpu     %s\ncores   %d\nos      %s/%s\ntool    %s\nsim     %s\n",
			f.ID, gpus, driver, f.CPU, f.Cores, f.OS, f.Arch, f.Tool, f.SimProfiles)
	}
	return nil
}

// machineFingerprint describes this machine: its GPUs and driver when NVML
// answers (a machine without one simply has none), its CPU, the tool and the
// simulated-profile data.
func machineFingerprint() report.Fingerprint {
	var gpus []string
	driver := ""
	if lib, err := nvml.Open(); err == nil {
		if devs, err := lib.Devices(); err == nil {
			for _, d := range devs {
				gpus = append(gpus, d.Name)
			}
		}
		driver = lib.System().DriverVersion
		lib.Close()
	}
	return report.NewFingerprint(report.ThisHost(), version, sim.DataVersion(), driver, gpus)
}

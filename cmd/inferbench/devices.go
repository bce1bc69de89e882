package main

import (
	"context"
	"fmt"
	"io"

	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/internal/cli"
)

// devicesReport is `inferbench devices --format json`: the real GPUs NVML
// sees, and the simulated profiles beside them.
type devicesReport struct {
	NVML      nvml.Inventory `json:"nvml"`
	Simulated []sim.Profile  `json:"simulated"`
}

const devicesExamples = `  inferbench devices
  inferbench devices --format json | jq '.nvml.devices[] | {index, name, profile}'
  inferbench run --backend sim:h100-sxm --telemetry nvml:0 --realtime --duration 20s
`

func devicesCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "devices", "[--format text|json]", devicesExamples)
	format := fs.String("format", "text", "output format: text or json")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("devices takes no arguments, got %s", cli.Quoted(fs.Args()))
	}
	if err := cli.CheckFormat(*format, "text", "json"); err != nil {
		return err
	}
	return listDevices(e.stdout, *format, nvml.Open)
}

// listDevices writes what open's NVML sees, and the simulated profiles.
func listDevices(w io.Writer, format string, open func() (*nvml.Lib, error)) error {
	rep := devicesReport{NVML: nvml.TakeInventory(open), Simulated: sim.Profiles()}
	if format == "json" {
		return cli.WriteJSON(w, rep)
	}
	if err := rep.NVML.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nSimulated profiles (sim:ID; details: inferbench profiles):\n")
	return sim.WriteProfileSummary(w, rep.Simulated)
}

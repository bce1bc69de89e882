package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/sim"
)

// devicesReport is `inferbench devices --format json`: the real GPUs NVML
// sees, and the simulated profiles beside them.
type devicesReport struct {
	NVML      nvmlReport    `json:"nvml"`
	Simulated []sim.Profile `json:"simulated"`
}

type nvmlReport struct {
	// Available says NVML answered; Reason says why not, in one line.
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	nvml.System
	Devices []nvml.Device `json:"devices"`
}

const devicesExamples = `  inferbench devices
  inferbench devices --format json | jq '.nvml.devices[] | {index, name, profile}'
  inferbench run --backend sim:h100-sxm --telemetry nvml:0 --realtime --duration 20s
`

func devicesCmd(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "devices", "[--format text|json]", devicesExamples)
	format := fs.String("format", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("devices takes no arguments, got %s", quoted(fs.Args()))
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	return listDevices(e.stdout, *format, nvml.Open)
}

// listDevices writes what open's NVML sees, and the simulated profiles. NVML
// being unavailable is not an error: the listing says why, in one line.
func listDevices(w io.Writer, format string, open func() (*nvml.Lib, error)) error {
	rep := devicesReport{NVML: nvmlReport{Devices: []nvml.Device{}}, Simulated: sim.Profiles()}
	lib, err := open()
	if err != nil {
		rep.NVML.Reason = err.Error()
	} else {
		defer lib.Close()
		rep.NVML.System = lib.System()
		devs, err := lib.Devices()
		if err != nil {
			rep.NVML.Reason = err.Error()
		} else {
			rep.NVML.Available = true
			rep.NVML.Devices = devs
		}
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeDevicesText(w, rep)
}

func writeDevicesText(w io.Writer, rep devicesReport) error {
	n := rep.NVML
	switch {
	case !n.Available:
		fmt.Fprintf(w, "No real GPUs: %s\n", n.Reason)
	case len(n.Devices) == 0:
		fmt.Fprintf(w, "NVML answers (driver %s) but sees no GPUs.\n", n.DriverVersion)
	default:
		fmt.Fprintf(w, "Real GPUs (NVML; driver %s, CUDA %s):\n", n.DriverVersion, n.CUDADriverVersion)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "spec\tname\tmemory GiB\tCC\tSMs\tmax SM MHz\tbandwidth GB/s\tpower limit W\tMIG\tprofile\tprofile GB/s\tprofile TFLOPS16\tuuid")
		for _, d := range n.Devices {
			prof, pbw, ptf := "-", "-", "-"
			if d.Profile != "" {
				prof = d.Profile
				if d.ProfileNote != "" {
					prof += " (nearest)"
				}
				if p, err := sim.LookupProfile(d.Profile); err == nil {
					pbw, ptf = fmt.Sprintf("%g", p.BandwidthGBps), fmt.Sprintf("%g", p.TFLOPS16)
				}
			}
			mig := d.MIGMode
			if mig == "" {
				mig = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\t%d\t%d\t%.0f\t%g\t%s\t%s\t%s\t%s\t%s\n", d.Spec(), d.Name,
				float64(d.MemoryBytes)/(1<<30), d.ComputeCapability, d.SMCount, d.MaxSMClockMHz, d.MemBandwidthGBps,
				d.PowerLimitW, mig, prof, pbw, ptf, d.UUID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, d := range n.Devices {
			if len(d.Unreadable) > 0 {
				fmt.Fprintf(w, "  %s: NVML would not give %s\n", d.Spec(), strings.Join(d.Unreadable, "; "))
			}
		}
		fmt.Fprintln(w, "  bandwidth is derived from NVML (2 × max memory clock × bus width); profile columns are the matched simulated profile's datasheet figures.")
	}
	fmt.Fprintf(w, "\nSimulated profiles (sim:ID; details: inferbench profiles):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\tmemory GB\tbandwidth GB/s\t16-bit TFLOPS\tTDP W")
	for _, p := range rep.Simulated {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%g\t%g\t%g\n", p.ID, p.Name, float64(p.MemoryBytes)/1e9, p.BandwidthGBps, p.TFLOPS16, p.TDPW)
	}
	return tw.Flush()
}

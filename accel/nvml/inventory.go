package nvml

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Inventory is what NVML sees on this machine: the "nvml" object of
// `inferbench devices --format json`. NVML being unavailable is a finding,
// not an error: Available is false and Reason says why, in one line.
type Inventory struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	System
	Devices []Device `json:"devices"` // never nil, so JSON shows []
}

// TakeInventory lists the devices that open's NVML sees (open is Open, or
// OpenWith a mock in tests), and closes it again.
func TakeInventory(open func() (*Lib, error)) Inventory {
	inv := Inventory{Devices: []Device{}}
	lib, err := open()
	if err != nil {
		inv.Reason = err.Error()
		return inv
	}
	defer lib.Close()
	inv.System = lib.System()
	devs, err := lib.Devices()
	if err != nil {
		inv.Reason = err.Error()
		return inv
	}
	inv.Available, inv.Devices = true, devs
	return inv
}

// WriteText writes the inventory as a table, one GPU a row, beside the
// simulated profile each matches (its datasheet bandwidth and TFLOPS, to
// set against the figures derived from NVML), then the figures NVML would
// not give; or the one line that says why there is no table.
func (inv Inventory) WriteText(w io.Writer) error {
	switch {
	case !inv.Available:
		_, err := fmt.Fprintf(w, "No real GPUs: %s\n", inv.Reason)
		return err
	case len(inv.Devices) == 0:
		_, err := fmt.Fprintf(w, "NVML answers (driver %s) but sees no GPUs.\n", inv.DriverVersion)
		return err
	}
	fmt.Fprintf(w, "Real GPUs (NVML; driver %s, CUDA %s):\n", inv.DriverVersion, inv.CUDADriverVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "spec\tname\tmemory GiB\tCC\tSMs\tmax SM MHz\tbandwidth GB/s\tpower limit W\tMIG\tprofile\tprofile GB/s\tprofile TFLOPS16\tuuid")
	for _, d := range inv.Devices {
		prof, pbw, ptf, mig := "-", "-", "-", "-"
		if d.Profile != "" {
			prof = d.Profile
			if d.ProfileNote != "" {
				prof += " (nearest)"
			}
			if p, ok := profileByID(d.Profile); ok {
				pbw, ptf = fmt.Sprintf("%g", p.BandwidthGBps), fmt.Sprintf("%g", p.TFLOPS16)
			}
		}
		if d.MIGMode != "" {
			mig = d.MIGMode
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\t%d\t%d\t%.0f\t%g\t%s\t%s\t%s\t%s\t%s\n", d.Spec(), d.Name,
			float64(d.MemoryBytes)/(1<<30), d.ComputeCapability, d.SMCount, d.MaxSMClockMHz, d.MemBandwidthGBps,
			d.PowerLimitW, mig, prof, pbw, ptf, d.UUID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range inv.Devices {
		if len(d.Unreadable) > 0 {
			fmt.Fprintf(w, "  %s: NVML would not give %s\n", d.Spec(), strings.Join(d.Unreadable, "; "))
		}
	}
	_, err := fmt.Fprintln(w, "  bandwidth is derived from NVML (2 × max memory clock × bus width); profile columns are the matched simulated profile's datasheet figures.")
	return err
}

// GPUNames lists the devices' model names, one per GPU, in index order.
func (inv Inventory) GPUNames() []string {
	var names []string
	for _, d := range inv.Devices {
		names = append(names, d.Name)
	}
	return names
}

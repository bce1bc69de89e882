package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the fingerprint for people, one field a line: the id and
// what it is made of. A machine without GPUs says NVML saw none, and has no
// driver.
func (f Fingerprint) WriteText(w io.Writer) error {
	gpus, driver := strings.Join(f.GPUs, ", "), f.Driver
	if gpus == "" {
		gpus, driver = "none seen (no NVML)", "-"
	}
	_, err := fmt.Fprintf(w, "id      %s\ngpus    %s\ndriver  %s\ncpu     %s\ncores   %d\nos      %s/%s\ntool    %s\nsim     %s\n",
		f.ID, gpus, driver, f.CPU, f.Cores, f.OS, f.Arch, f.Tool, f.SimProfiles)
	return err
}

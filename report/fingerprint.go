package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// Fingerprint says which machine and software made a report, so a comparison
// across reports can say what differs. Its ID hashes the hardware only — GPU
// models and count, CPU model, cores, OS and architecture — because it keys the
// nightly baseline: a new build, driver or profile data on the same machine is
// exactly what a nightly comparison must judge against last night, not a reason
// to start a new baseline. The other fields are recorded and compared too.
type Fingerprint struct {
	ID     string   `json:"id"`
	GPUs   []string `json:"gpus,omitempty"` // one model name per GPU, sorted
	Driver string   `json:"driver,omitempty"`
	CPU    string   `json:"cpu"`
	Cores  int      `json:"cores"`
	OS     string   `json:"os"`
	Arch   string   `json:"arch"`
	Tool   string   `json:"tool"`
	// SimProfiles identifies the simulated-profile data (a hash of it): two
	// reports of simulated devices agree only if it does.
	SimProfiles string `json:"sim_profiles,omitempty"`
}

// NewFingerprint describes a machine; gpus are the GPU model names NVML
// reports (none on a machine without one).
func NewFingerprint(h Host, tool, simProfiles, driver string, gpus []string) Fingerprint {
	g := append([]string(nil), gpus...)
	sort.Strings(g)
	f := Fingerprint{GPUs: g, Driver: driver, CPU: h.CPU, Cores: h.Cores, OS: h.OS, Arch: h.Arch, Tool: tool, SimProfiles: simProfiles}
	sum := sha256.Sum256([]byte(strings.Join([]string{strings.Join(g, "|"), f.CPU, fmt.Sprint(f.Cores), f.OS, f.Arch}, "\n")))
	f.ID = hex.EncodeToString(sum[:6])
	return f
}

// Differences lists the fields in which two fingerprints differ, as
// "field: a vs b".
func (f Fingerprint) Differences(o Fingerprint) []string {
	var d []string
	add := func(name, a, b string) {
		if a != b {
			d = append(d, fmt.Sprintf("%s: %q vs %q", name, a, b))
		}
	}
	add("gpus", strings.Join(f.GPUs, ", "), strings.Join(o.GPUs, ", "))
	add("cpu", f.CPU, o.CPU)
	add("cores", fmt.Sprint(f.Cores), fmt.Sprint(o.Cores))
	add("os", f.OS+"/"+f.Arch, o.OS+"/"+o.Arch)
	add("driver", f.Driver, o.Driver)
	add("tool", f.Tool, o.Tool)
	add("sim_profiles", f.SimProfiles, o.SimProfiles)
	return d
}

package nvml

import (
	"strings"

	"github.com/inferbench/inferbench/fixtures"
)

// MatchProfile names the simulated profile (fixtures/profiles.json, the
// table accel/sim runs) that models a GPU NVML calls name, so measured
// figures can be put next to predicted ones. exact is
// false when the profile is the nearest one rather than the same board (an
// A100 PCIe matches the A100 SXM profile of its memory size). memoryBytes
// settles names that do not carry the memory size. A card no profile models
// (H100 NVL, GH200, consumer boards) matches "".
//
// Real names look like "NVIDIA H100 80GB HBM3" (the SXM5 board),
// "NVIDIA H100 PCIe", "NVIDIA A100-SXM4-40GB", "NVIDIA L40S".
func MatchProfile(name string, memoryBytes uint64) (id string, exact bool) {
	t := nameTokens(name)
	switch {
	case t.has("GB200"):
		return "gb200", true // one Blackwell GPU of a GB200 superchip
	case t.has("B300"):
		return "b300", true
	case t.has("GH200"), t.has("NVL"):
		// Different memory and power than any profile: no honest match.
		return "", false
	case t.has("H200"):
		return "h200", true
	case t.has("B200"):
		return "b200", true
	case t.has("H100"):
		if t.has("PCIE") {
			return "h100-pcie", true
		}
		return "h100-sxm", true
	case t.has("A100"):
		id = "a100-40gb"
		if t.has("80GB") || (!t.has("40GB") && memoryBytes > 48<<30) {
			id = "a100-80gb"
		}
		return id, !t.has("PCIE")
	case t.has("L40S"):
		return "l40s", true
	case t.has("L4"):
		return "l4", true
	}
	return "", false
}

// tokens is a GPU name split into upper-case words at spaces, '-' and '_'.
type tokens []string

func nameTokens(name string) tokens {
	return strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_'
	})
}

func (t tokens) has(word string) bool {
	for _, w := range t {
		if w == word {
			return true
		}
	}
	return false
}

// profileByID returns the simulated profile with the given id.
func profileByID(id string) (fixtures.Profile, bool) {
	if id == "" {
		return fixtures.Profile{}, false
	}
	p, err := fixtures.LookupProfile(id)
	return p, err == nil
}

package sim

import (
	"fmt"
	"strings"

	"github.com/inferbench/inferbench/internal/suggest"
)

// Precision is a numeric format: how many bytes a weight takes and which math
// rate the chip runs at.
type Precision struct {
	Name        string
	WeightBytes float64 // bytes per weight
	Math8       bool    // 8-bit math (FP8 rate); otherwise 16-bit
}

// Precisions lists the supported formats. KV cache is 16-bit in all of them.
func Precisions() []Precision {
	return []Precision{
		{Name: "fp16", WeightBytes: 2},
		{Name: "bf16", WeightBytes: 2},
		{Name: "fp8", WeightBytes: 1, Math8: true},
		{Name: "int8", WeightBytes: 1},    // weight-only: 16-bit math
		{Name: "w4a16", WeightBytes: 0.5}, // 4-bit weights, 16-bit math
	}
}

// LookupPrecision finds a precision by name, ignoring case; the error suggests
// the nearest names and lists the valid ones.
func LookupPrecision(name string) (Precision, error) {
	var names []string
	for _, p := range Precisions() {
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Precision{}, fmt.Errorf("unknown precision %q%s; valid: %s", name, suggest.Hint(name, names), strings.Join(names, ", "))
}

// KVBytes is the size of one KV-cache element: 16-bit in every precision here.
const KVBytes = 2

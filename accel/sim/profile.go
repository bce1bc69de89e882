package sim

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/inferbench/inferbench/internal/suggest"
)

//go:embed profiles.json
var profilesJSON []byte

// Profile is one simulated chip: datasheet figures, each with its source.
type Profile struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Vendor string `json:"vendor"`
	// TFLOPS16 is the dense 16-bit (BF16/FP16) rate per chip.
	TFLOPS16 float64 `json:"tflops16"`
	// TFLOPS8 is the dense 8-bit rate (FP8 where FP8 is true, else INT8 TOPS).
	TFLOPS8 float64 `json:"tflops8"`
	FP8     bool    `json:"fp8"`
	// MemoryBytes is the memory the chip (or, for an NPU, the accelerator) can use.
	MemoryBytes   int64   `json:"memory_bytes"`
	BandwidthGBps float64 `json:"bandwidth_gbps"`
	TDPW          float64 `json:"tdp_w"`
	IdleW         float64 `json:"idle_w"`
	// LinkGBps and LinkLatencyUS describe the chip-to-chip interconnect used by
	// tensor-parallel all-reduces.
	LinkGBps      float64 `json:"link_gbps"`
	LinkLatencyUS float64 `json:"link_latency_us"`
	// EffCompute (η_c) and EffMemory (η_m) are the fractions of peak FLOPS and
	// peak bandwidth a real software stack reaches on this chip. They are not
	// datasheet figures: each carries where it came from in Sources, and the
	// calibration test checks them against published measurements.
	EffCompute float64 `json:"eff_compute"`
	EffMemory  float64 `json:"eff_memory"`
	// StepOverheadUS is the fixed cost of one model iteration (launch,
	// scheduling, sampling, host sync), independent of its size.
	StepOverheadUS float64 `json:"step_overhead_us"`
	// FirstTokenOverheadUS is a fixed cost added to an iteration in which some
	// decoder request finishes its prompt (host-side setup of the first token).
	// Zero on stacks where the first token simply falls out of the prefill step.
	FirstTokenOverheadUS float64 `json:"first_token_overhead_us"`
	// DefaultPrecision is the precision the chip is used with in practice, when
	// that is not bf16 (NPUs run LLMs with 4-bit weights).
	DefaultPrecision string `json:"default_precision,omitempty"`
	// PadsHeads says the chip's serving stack pads attention heads up to a
	// multiple of the tensor-parallel degree, so any chip count runs a model
	// (AWS Neuron's transformers-neuronx: llama-2-7b, 32 heads, at TP24).
	// Elsewhere the degree must split the heads (fixtures.Model.TPDegreeOK).
	// The padded heads' extra work is not modelled.
	PadsHeads bool `json:"pads_heads,omitempty"`
	// Sources names where each figure above came from, by JSON field name.
	Sources map[string]string `json:"sources"`
}

// Profiles returns every simulated profile, in the embedded file's order.
func Profiles() []Profile {
	var doc struct {
		Profiles []Profile `json:"profiles"`
	}
	if err := json.Unmarshal(profilesJSON, &doc); err != nil {
		panic("sim: embedded profiles.json: " + err.Error())
	}
	return doc.Profiles
}

// ProfileIDs lists the profile ids in the embedded file's order.
func ProfileIDs() []string {
	var ids []string
	for _, p := range Profiles() {
		ids = append(ids, p.ID)
	}
	return ids
}

// LookupProfile finds a profile by id, ignoring case; the error suggests the
// nearest ids and lists the valid ones.
func LookupProfile(id string) (Profile, error) {
	for _, p := range Profiles() {
		if strings.EqualFold(p.ID, id) {
			return p, nil
		}
	}
	ids := ProfileIDs()
	hint := suggest.Hint(id, ids)
	sort.Strings(ids)
	return Profile{}, fmt.Errorf("unknown profile %q%s; valid: %s", id, hint, strings.Join(ids, ", "))
}

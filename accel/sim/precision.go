package sim

import (
	"fmt"
	"strings"

	"github.com/inferbench/inferbench/internal/suggest"
)

// Precision is a checkpoint format: what the transformer layers' weights
// take with their scales, what the output head and embedding tables take
// (checkpoints keep them at 16 bits: ModelOpt's FP8 recipe excludes
// lm_head, AWQ and GPTQ skip it), which matmul rate the chip runs, and the
// KV cache its reference serving stacks keep.
type Precision struct {
	Name string
	// WeightBytes is bytes per layer weight, block scales included: group-128
	// w4a16 carries a 16-bit scale per 128 weights (4.125 bits), MXFP4 an
	// 8-bit scale per 32 (4.25 bits), NVFP4 an FP8 scale per 16 (4.5 bits).
	WeightBytes float64
	// HeadBytes is bytes per weight of the output head and embedding tables.
	HeadBytes float64
	// MathBits is the matmul rate the format computes at where the chip has
	// it: 16, 8 (FP8) or 4 (FP4); a chip without it computes at 16 bits.
	MathBits int
	// WeightOnly formats dequantize to 16-bit math (int8, w4a16, mxfp4
	// without FP4 units).
	WeightOnly bool
	// NeedsFP4 formats run only on chips with FP4 units (NVFP4).
	NeedsFP4 bool
	// KVBytes is the KV-cache element the format's reference stacks keep:
	// FP8 with FP8 and NVFP4 checkpoints (ModelOpt's kv_cache_quant_algo FP8)
	// where the chip has FP8, 16-bit otherwise.
	KVBytes float64
}

// Precisions lists the supported formats.
func Precisions() []Precision {
	return []Precision{
		{Name: "fp16", WeightBytes: 2, HeadBytes: 2, MathBits: 16, KVBytes: 2},
		{Name: "bf16", WeightBytes: 2, HeadBytes: 2, MathBits: 16, KVBytes: 2},
		{Name: "fp8", WeightBytes: 1, HeadBytes: 2, MathBits: 8, KVBytes: 1},
		{Name: "int8", WeightBytes: 1, HeadBytes: 2, MathBits: 16, WeightOnly: true, KVBytes: 2},
		{Name: "w4a16", WeightBytes: 0.5 + 2.0/128, HeadBytes: 2, MathBits: 16, WeightOnly: true, KVBytes: 2},
		{Name: "mxfp4", WeightBytes: 0.5 + 1.0/32, HeadBytes: 2, MathBits: 4, WeightOnly: true, KVBytes: 2},
		{Name: "nvfp4", WeightBytes: 0.5 + 1.0/16, HeadBytes: 2, MathBits: 4, NeedsFP4: true, KVBytes: 1},
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

// KVPrecisions are the KV-cache formats --kv-precision takes, by bytes per
// element.
func KVPrecisions() map[string]float64 {
	return map[string]float64{"fp16": 2, "bf16": 2, "fp8": 1, "int8": 1}
}

// kvBytes is the KV-cache element size for a precision on a profile: kv
// when given (an error names the valid ones), else the format's reference
// stack's, 8-bit only where the chip has FP8.
func kvBytes(p Profile, prec Precision, kv string) (float64, error) {
	if kv != "" {
		for name, b := range KVPrecisions() {
			if strings.EqualFold(name, kv) {
				return b, nil
			}
		}
		return 0, fmt.Errorf("unknown KV-cache precision %q; valid: bf16, fp16, fp8, int8", kv)
	}
	if prec.KVBytes < 2 && !p.FP8 {
		return 2, nil
	}
	return prec.KVBytes, nil
}

// checkPrecision refuses a format the chip cannot run, naming the ones it can.
func checkPrecision(p Profile, prec Precision) error {
	if prec.NeedsFP4 && (!p.FP4 || p.FP4MXOnly) {
		var ok []string
		for _, q := range Precisions() {
			if !q.NeedsFP4 {
				ok = append(ok, q.Name)
			}
		}
		what := "FP4 tensor cores, which %s does not have"
		if p.FP4 {
			what = "NVIDIA FP4 tensor cores; %s's 4-bit units run MXFP4 only"
		}
		return fmt.Errorf("precision %s needs "+what+"; valid on it: %s", prec.Name, p.ID, strings.Join(ok, ", "))
	}
	return nil
}

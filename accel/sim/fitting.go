package sim

import (
	"context"
	"fmt"
	"github.com/inferbench/inferbench/fixtures"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Knob is one figure a fit sets: a profile field (by its profiles.json
// name), for every profile of a platform or for one profile.
type Knob struct {
	Field    string
	Platform string // every profile of this platform...
	Profile  string // ...or, when set, this one alone
	Min, Max float64
	// Prior is where the fit starts, and what a knob no case informs keeps:
	// a typical figure from DESIGN.md, not from any measurement, so a fit
	// without a family knows nothing of it (calibrate --leave-out).
	Prior float64
	// Second marks a knob of Fit's second stage: set by the cases of
	// mixture-of-experts models and of Blackwell chips (SecondStage), with
	// the first stage's figures held.
	Second bool
}

// Name says which figure of which profiles the knob sets.
func (k Knob) Name() string {
	if k.Profile != "" {
		return k.Profile + "." + k.Field
	}
	return k.Platform + "." + k.Field
}

// covers reports whether the knob sets p's field.
func (k Knob) covers(p Profile) bool {
	if k.Profile != "" {
		for _, id := range strings.Split(k.Profile, ",") {
			if p.ID == id {
				return true
			}
		}
		return false
	}
	return p.Platform == k.Platform
}

// Knobs are the figures the simulator's fit sets: per platform with
// published measurement families (fixtures/calibration*.json), the efficiency
// of each class of operation and the fixed costs; first-token overheads per
// profile, since one platform's chips need not share them. Element-wise
// efficiency is not fitted (it would trade against the decode matmuls'): it
// is a stated assumption. Nor is a platform with one measurement (the
// Snapdragon NPU): a constant fitted to one case would only restate it, so
// its efficiency is derived from another measurement and the case checks it.
func Knobs() []Knob {
	// Priors: DESIGN.md's typical ranges (η_c 0.5-0.7 for prefill, η_m
	// 0.75-0.9 for decode; a few hundred µs per step; collectives of a few
	// µs over NVLink, tens of µs over NeuronLink).
	eff := func(field, plat, profile string, min, prior float64) Knob {
		return Knob{Field: field, Platform: plat, Profile: profile, Min: min, Max: maxEff, Prior: prior}
	}
	var ks []Knob
	for _, p := range []string{"nvidia-trtllm", "aws-neuron"} {
		ks = append(ks,
			eff("eff_prefill_matmul", p, "", 0.02, 0.6),
			eff("eff_decode_matmul", p, "", 0.1, 0.8),
			eff("eff_kv", p, "", 0.02, 0.8),
			Knob{Field: "step_overhead_us", Platform: p, Min: 0, Max: 1000, Prior: 300},
		)
	}
	ks = append(ks,
		eff("eff_prefill_matmul_tp", "nvidia-trtllm", "", 0.02, 0.6),
		eff("eff_attention", "nvidia-trtllm", "", 0.01, 0.6),
		Knob{Field: "link_latency_us", Platform: "aws-neuron", Min: 1, Max: 200, Prior: 50},
	)
	// Neuron's context encoding differs between the inf2 and trn1 tables
	// (llama-2-13b at 8,192 tokens: 994 ms on 24 inf2 cores, 2,368 ms on 32
	// trn1 cores): its sharded prefill and attention are fitted per chip, as
	// its first-token overhead is.
	for _, id := range []string{"inf2", "trn1"} {
		ks = append(ks,
			eff("eff_prefill_matmul_tp", "", id, 0.02, 0.6),
			eff("eff_attention", "", id, 0.005, 0.6),
			Knob{Field: "first_token_overhead_us", Profile: id, Min: 0, Max: 60000, Prior: 0},
		)
	}
	return append(ks, moeKnobs()...)
}

// The profile groups the second stage fits: the generations with
// mixture-of-experts measurements (fixtures/calibration-moe.json), the
// chips of one architecture together.
const (
	hopperGroup    = "h100-sxm,h100-pcie,h200"
	blackwellGroup = "b200,gb200,b300"
)

// moeKnobs are Fit's second stage, set by the mixture-of-experts cases
// (TensorRT-LLM's PyTorch flow for gpt-oss and Qwen3, its C++ engines for
// Mixtral) and the dense Blackwell ones (the PyTorch flow, Llama 3.3 70B
// FP4):
//
//   - per generation, the routed experts' grouped-GEMM share of peak
//     (eff_moe_matmul) and the rows per expert at which it is half reached
//     (moe_half_rows; prior 64, a common GEMM tile's rows: an assumption,
//     not DESIGN.md's); on Hopper also the share for experts in a
//     weight-only format (MXFP4 through Triton kernels), which no Blackwell
//     case runs;
//   - Blackwell's own efficiencies and step cost, from its only
//     measurements (the same perf-overview page's MoE and dense rows): the
//     first stage's NVIDIA figures come from Hopper and Ampere measurements
//     of another stack.
func moeKnobs() []Knob {
	eff := func(field, group string, min, prior float64) Knob {
		return Knob{Field: field, Profile: group, Min: min, Max: maxEff, Prior: prior, Second: true}
	}
	rows := func(group string) Knob {
		return Knob{Field: "moe_half_rows", Profile: group, Min: 0, Max: 2000, Prior: 64, Second: true}
	}
	return []Knob{
		eff("eff_moe_matmul", hopperGroup, 0.005, 0.6),
		eff("eff_moe_matmul_weight_only", hopperGroup, 0.005, 0.6),
		rows(hopperGroup),
		eff("eff_prefill_matmul", blackwellGroup, 0.02, 0.6),
		eff("eff_decode_matmul", blackwellGroup, 0.1, 0.8),
		eff("eff_attention", blackwellGroup, 0.01, 0.6),
		eff("eff_kv", blackwellGroup, 0.02, 0.8),
		eff("eff_moe_matmul", blackwellGroup, 0.005, 0.6),
		rows(blackwellGroup),
		{Field: "step_overhead_us", Profile: blackwellGroup, Min: 0, Max: 1000, Prior: 300, Second: true},
	}
}

// maxEff bounds a fitted efficiency: no kernel sustains more than 90% of a
// datasheet peak (cuBLAS's best large GEMMs reach 75-85% of dense peak on
// H100; bandwidth tests 90-93% of HBM peak), so a fit that wants more is
// compensating for something else and is held at the bound. A step's fixed
// cost is bounded at 1 ms for the same reason: engine iterations cost a few
// hundred microseconds in TensorRT-LLM and vLLM step traces.
const maxEff = 0.9

// field points at the profile's figure the knob sets (nil for a field
// that is not a knob's).
func (k Knob) field(p *Profile) *float64 {
	switch k.Field {
	case "eff_prefill_matmul":
		return &p.EffPrefillMatmul
	case "eff_prefill_matmul_tp":
		return &p.EffPrefillMatmulTP
	case "eff_decode_matmul":
		return &p.EffDecodeMatmul
	case "eff_attention":
		return &p.EffAttention
	case "eff_kv":
		return &p.EffKV
	case "eff_elementwise":
		return &p.EffElementwise
	case "eff_moe_matmul":
		return &p.EffMoEMatmul
	case "eff_moe_matmul_weight_only":
		return &p.EffMoEMatmulWeightOnly
	case "moe_half_rows":
		return &p.MoEHalfRows
	case "step_overhead_us":
		return &p.StepOverheadUS
	case "first_token_overhead_us":
		return &p.FirstTokenOverheadUS
	case "link_latency_us":
		return &p.LinkLatencyUS
	}
	return nil
}

// set writes v into the device's profile and so its efficiencies.
func (k Knob) set(d *Device, v float64) {
	k.SetField(&d.Profile, v)
	d.Eff = ProfileEfficiencies(d.Profile)
}

// SetField writes v into the profile's field the knob names.
func (k Knob) SetField(p *Profile, v float64) {
	if f := k.field(p); f != nil {
		*f = v
	}
}

// fitCase is one calibration case ready to price: its device and schedule.
type fitCase struct {
	c     CalibrationCase
	dev   *Device
	trace *Trace
}

// logErr is the case's loss: |ln(predicted/measured)| capped at lossCap,
// or, in the fit's first phase (squared), ln(predicted/measured)².
func (f *fitCase) logErr() float64 { return f.loss(false) }

func (f *fitCase) loss(squared bool) float64 {
	v, err := f.trace.Metric(f.dev, f.c.Metric)
	if err != nil || !(v > 0) {
		return 10
	}
	x := math.Log(v / f.c.Value)
	if squared {
		return x * x
	}
	return math.Min(math.Abs(x), lossCap)
}

// lossCap bounds one case's share of the fit's loss at a factor of 1.5: the
// few cases no shape explains (one model shape served 2.7 times slower by an
// older stack) must not drag every other case's fit. The absolute log error
// below it weighs a case as the median error the targets are stated in does.
// It is flat beyond the cap, so the fit first finds the basin with the
// squared log error, which every case pulls on, and then refines.
const lossCap = 0.405

// FitResult is what a fit found.
type FitResult struct {
	Knobs  []Knob
	Values []float64 // per knob
	// Families are the families of the cases the fit used, and Cases their
	// count; Skipped names knobs no case informs (left as they were).
	Families []string
	Cases    int
	Skipped  []string
	// Stages are the cases of Fit's two stages: the first's (which set the
	// knobs that are not Second) and the second's (SecondStage).
	Stages [2]Stage
}

// Stage is what one stage of a fit was set from.
type Stage struct {
	Cases    int
	Families []string
}

// StageOf is the stage that set knob k.
func (r *FitResult) StageOf(k Knob) Stage {
	if k.Second {
		return r.Stages[1]
	}
	return r.Stages[0]
}

// valueCovering is the value of the last of r's knobs that sets k's field
// in a profile k covers.
func (r *FitResult) valueCovering(k Knob) (float64, bool) {
	p := knobProfile(k)
	v, ok := 0.0, false
	for i, b := range r.Knobs {
		if b.Field == k.Field && b.covers(p) {
			v, ok = r.Values[i], true
		}
	}
	return v, ok
}

// Value returns the fitted value of the knob named name.
func (r *FitResult) Value(name string) (float64, bool) {
	for i, k := range r.Knobs {
		if k.Name() == name {
			return r.Values[i], true
		}
	}
	return 0, false
}

// Fit sets the knobs to the values that minimize a loss on the log error
// (ln(predicted/measured): a factor of 2 too high costs what a factor of 2
// too low does) over the cases plus a weak pull toward each knob's prior
// (priorWeight). It starts from the priors, finds the basin on the squared
// log error (coordinate descent with a golden-section search per knob, then
// Nelder-Mead per platform), and refines on the absolute log error capped
// per case (lossCap), then polishes. Cases are traced once: the schedule
// does not depend on what is fitted. Energy cases (joules_per_output_token)
// are left to the power model. A knob no case depends on keeps its prior and
// is listed in Skipped.
//
// It fits in two stages. The first stage's cases (dense models on chips
// before Blackwell) set the knobs that are not Second; then the second
// stage's (SecondStage: mixture-of-experts models, and any model on a
// Blackwell chip), priced with what the first found, set the Second knobs.
// The second stage's measurements come from another serving stack
// (TensorRT-LLM's PyTorch flow, 2025) than most of the first's: letting
// them pull on the first stage's figures would trade those families' error
// for theirs.
func Fit(ctx context.Context, cases []CalibrationCase, knobs []Knob) (*FitResult, error) {
	var dense, moe []CalibrationCase
	for _, c := range cases {
		if SecondStage(c) {
			moe = append(moe, c)
		} else {
			dense = append(dense, c)
		}
	}
	var dk, mk []Knob
	for _, k := range knobs {
		if k.Second {
			mk = append(mk, k)
		} else {
			dk = append(dk, k)
		}
	}
	first, err := fitStage(ctx, dense, dk, nil)
	if err != nil {
		return nil, err
	}
	second, err := fitStage(ctx, moe, mk, first)
	if err != nil {
		return nil, err
	}
	r := &FitResult{Knobs: knobs, Values: make([]float64, len(knobs)), Cases: first.Cases + second.Cases,
		Stages: [2]Stage{{Cases: first.Cases, Families: first.Families}, {Cases: second.Cases, Families: second.Families}}}
	r.Families = append(append(r.Families, first.Families...), second.Families...)
	sort.Strings(r.Families)
	r.Skipped = append(append(r.Skipped, first.Skipped...), second.Skipped...)
	di, mi := 0, 0
	for i, k := range knobs {
		if k.Second {
			r.Values[i] = second.Values[mi]
			mi++
		} else {
			r.Values[i] = first.Values[di]
			di++
		}
	}
	return r, nil
}

// SecondStage says a case belongs to Fit's second stage: it runs a
// mixture-of-experts model or on a Blackwell chip (an unknown model counts
// as dense: prepare reports it).
func SecondStage(c CalibrationCase) bool {
	if (Knob{Profile: blackwellGroup}).covers(Profile{ID: c.Profile}) {
		return true
	}
	m, err := fixtures.LookupModel(c.Model)
	return err == nil && m.MoE()
}

// fitStage fits knobs over cases (one stage of Fit), with base's figures
// (an earlier stage's) set first on every device they cover.
func fitStage(ctx context.Context, cases []CalibrationCase, knobs []Knob, base *FitResult) (*FitResult, error) {
	var fcs []*fitCase
	fams := map[string]bool{}
	for _, c := range cases {
		if c.Metric == "joules_per_output_token" {
			continue
		}
		fc, err := prepare(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.ID, err)
		}
		if base != nil {
			for i, k := range base.Knobs {
				if k.covers(fc.dev.Profile) {
					k.set(fc.dev, base.Values[i])
				}
			}
		}
		fcs = append(fcs, fc)
		fams[c.Family] = true
	}
	r := &FitResult{Knobs: knobs, Values: make([]float64, len(knobs)), Cases: len(fcs)}
	for f := range fams {
		r.Families = append(r.Families, f)
	}
	sort.Strings(r.Families)
	affected := make([][]*fitCase, len(knobs))
	for i, k := range knobs {
		r.Values[i] = k.Prior
		if base != nil {
			// A knob of a later stage over a field an earlier one set (the
			// Blackwell group's eff_kv over the platform's) starts there.
			if v, ok := base.valueCovering(k); ok {
				r.Values[i] = v
			}
		}
		for _, fc := range fcs {
			if k.covers(fc.dev.Profile) {
				affected[i] = append(affected[i], fc)
				k.set(fc.dev, r.Values[i])
			}
		}
	}
	squared := true
	loss := func(cs []*fitCase) float64 {
		s := 0.0
		for _, fc := range cs {
			s += fc.loss(squared)
		}
		return s
	}
	// A knob the cases do not depend on (a single-core efficiency when no
	// case runs on one core) keeps its prior: the fit has nothing to say.
	for i, k := range knobs {
		cs := affected[i]
		base := loss(cs)
		for _, fc := range cs {
			k.set(fc.dev, probe(k))
		}
		if len(cs) == 0 || loss(cs) == base {
			affected[i] = nil
			r.Skipped = append(r.Skipped, k.Name())
		}
		for _, fc := range cs {
			k.set(fc.dev, r.Values[i])
		}
	}
	squared = true
	if err := r.descend(ctx, knobs, affected, loss, true); err != nil {
		return nil, err
	}
	squared = false
	if err := r.simplex(ctx, knobs, affected, loss); err != nil {
		return nil, err
	}
	if err := r.descend(ctx, knobs, affected, loss, false); err != nil {
		return nil, err
	}
	for i := range r.Values {
		r.Values[i] = round3(r.Values[i])
	}
	return r, nil
}

// prepare builds a case's device (its profile as embedded) and traces it.
func prepare(ctx context.Context, c CalibrationCase) (*fitCase, error) {
	s := c.Scenario()
	b, err := Config{Profile: s.Profile, Chips: s.Chips, Model: s.Model, Precision: s.Precision, KVPrecision: s.KVPrecision}.New()
	if err != nil {
		return nil, err
	}
	defer b.Close()
	t, err := TraceScenario(ctx, b.Device(), s)
	if err != nil {
		return nil, err
	}
	return &fitCase{c: c, dev: b.Device(), trace: t}, nil
}

// knobProfile is a profile the knob covers, for its current value.
func knobProfile(k Knob) Profile {
	for _, p := range Profiles() {
		if k.covers(p) {
			return p
		}
	}
	return Profile{}
}

// FieldOf returns the profile's value of the knob's field.
func FieldOf(k Knob, p Profile) float64 { return fieldOf(k, p) }

func fieldOf(k Knob, p Profile) float64 {
	f := k.field(&p)
	if f == nil {
		return 0
	}
	if *f == 0 { // the fields whose 0 means "as another"
		switch k.Field {
		case "eff_prefill_matmul_tp":
			return p.EffPrefillMatmul
		case "eff_kv":
			return p.EffAttention
		case "eff_moe_matmul":
			return p.EffPrefillMatmul
		case "eff_moe_matmul_weight_only":
			return fieldOf(Knob{Field: "eff_moe_matmul"}, p)
		}
	}
	return *f
}

// golden minimizes f over [lo, hi] by golden-section search, on a log scale
// when logScale (efficiencies span decades), starting from a bracket that
// holds the whole range; the start value is kept when nothing beats it.
func golden(f func(float64) float64, lo, hi, start float64, logScale bool) float64 {
	to, from := func(v float64) float64 { return v }, func(x float64) float64 { return x }
	if logScale {
		to, from = math.Log, math.Exp
	}
	a, b := to(lo), to(hi)
	const phi = 0.6180339887498949
	c, d := b-phi*(b-a), a+phi*(b-a)
	fc, fd := f(from(c)), f(from(d))
	for i := 0; i < 40 && b-a > 1e-4*(1+math.Abs(a)); i++ {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - phi*(b-a)
			fc = f(from(c))
		} else {
			a, c, fc = c, d, fd
			d = a + phi*(b-a)
			fd = f(from(d))
		}
	}
	best, fbest := from((a+b)/2), f(from((a+b)/2))
	if fs := f(start); fs <= fbest {
		return start
	}
	return best
}

// round3 keeps three significant digits: a fitted figure is not known better.
func round3(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return r
}

// CalibrateWith predicts every case as Calibrate does, with the fitted
// values in place of the profiles' own (nil: the profiles' own).
func CalibrateWith(ctx context.Context, f *CalibrationFile, r *FitResult) []CalibrationResult {
	out := make([]CalibrationResult, 0, len(f.Cases))
	for _, c := range f.Cases {
		res := CalibrationResult{Case: c}
		fc, err := prepare(ctx, c)
		if err == nil && c.Metric != "joules_per_output_token" {
			if r != nil {
				for i, k := range r.Knobs {
					if k.covers(fc.dev.Profile) {
						k.set(fc.dev, r.Values[i])
					}
				}
			}
			res.Predicted, err = fc.trace.Metric(fc.dev, c.Metric)
		} else if err == nil {
			var p *Prediction
			if p, err = Predict(ctx, c.Scenario()); err == nil {
				res.Predicted, err = p.Metric(c.Metric)
			}
		}
		if err != nil {
			res.Err = err
		} else {
			res.ErrorPct = math.Abs(res.Predicted-c.Value) / c.Value * 100
		}
		out = append(out, res)
	}
	return out
}

// logScaled says a knob is searched on a log scale: efficiencies span
// decades; overheads, which may be 0, are linear.
func logScaled(k Knob) bool { return !strings.HasSuffix(k.Field, "_overhead_us") }

// toScale maps a knob's value into the unbounded search space of
// nelderMead, and fromScale back, clamped into [Min, Max].
func toScale(k Knob, v float64) float64 {
	if logScaled(k) {
		return math.Log(math.Max(v, k.Min))
	}
	return v / math.Max(k.Max, 1)
}

func fromScale(k Knob, x float64) float64 {
	v := x * math.Max(k.Max, 1)
	if logScaled(k) {
		v = math.Exp(x)
	}
	return math.Min(math.Max(v, k.Min), k.Max)
}

// platformGroups lists, per platform, the indexes of its knobs that cases
// inform (affected[i] non-empty).
func platformGroups(knobs []Knob, affected [][]*fitCase) [][]int {
	byPlatform := map[string][]int{}
	var order []string
	for i, k := range knobs {
		if len(affected[i]) == 0 {
			continue
		}
		plat := k.Platform
		if k.Profile != "" {
			plat = knobProfile(k).Platform
		}
		if _, ok := byPlatform[plat]; !ok {
			order = append(order, plat)
		}
		byPlatform[plat] = append(byPlatform[plat], i)
	}
	var out [][]int
	for _, plat := range order {
		out = append(out, byPlatform[plat])
	}
	return out
}

// priorWeight is how hard the fit holds a knob to its prior: a knob moved a
// factor e from it (or, for an overhead, by its range's top) costs an eighth
// of what a case off by a factor of 1.5 does. The data outweigh it wherever
// they speak; where they do not tell two knobs apart (a fixed cost per step
// against one per collective, when every case has the same collectives) the
// prior settles it, instead of an edge of the range.
const priorWeight = 0.05

// penalty is the cost of the knob at v for being away from its prior.
func (k Knob) penalty(v float64) float64 {
	var d float64
	if logScaled(k) && k.Prior > 0 {
		d = math.Log(v / k.Prior)
	} else {
		d = (v - k.Prior) / math.Max(k.Max, 1)
	}
	return priorWeight * d * d
}

// probe is a value of the knob well away from its prior, to see whether the
// cases depend on it.
func probe(k Knob) float64 {
	if k.Prior*1.5 <= k.Max {
		return k.Prior*1.5 + 0.01*k.Max
	}
	return (k.Prior + k.Min) / 2
}

// nelderMead minimizes f from x0 with the downhill simplex method (initial
// steps of 0.2 in each coordinate), at most maxEval evaluations.
func nelderMead(f func([]float64) float64, x0 []float64, maxEval int) []float64 {
	n := len(x0)
	pts := make([][]float64, n+1)
	vals := make([]float64, n+1)
	for i := range pts {
		pts[i] = append([]float64(nil), x0...)
		if i > 0 {
			pts[i][i-1] += 0.2
		}
		vals[i] = f(pts[i])
	}
	evals := n + 1
	point := func(c []float64, t float64, w []float64) []float64 { // c + t·(c − w)
		p := make([]float64, n)
		for j := range p {
			p[j] = c[j] + t*(c[j]-w[j])
		}
		return p
	}
	for evals < maxEval {
		sort.Sort(simplex{pts, vals})
		c := make([]float64, n) // centroid of all but the worst
		for _, p := range pts[:n] {
			for j := range c {
				c[j] += p[j] / float64(n)
			}
		}
		worst := pts[n]
		xr := point(c, 1, worst)
		fr := f(xr)
		evals++
		switch {
		case fr < vals[0]:
			xe := point(c, 2, worst)
			if fe := f(xe); fe < fr {
				pts[n], vals[n] = xe, fe
			} else {
				pts[n], vals[n] = xr, fr
			}
			evals++
		case fr < vals[n-1]:
			pts[n], vals[n] = xr, fr
		default:
			xc := point(c, -0.5, worst)
			if fc := f(xc); fc < vals[n] {
				pts[n], vals[n] = xc, fc
			} else { // shrink toward the best
				for i := 1; i <= n; i++ {
					for j := range pts[i] {
						pts[i][j] = pts[0][j] + 0.5*(pts[i][j]-pts[0][j])
					}
					vals[i] = f(pts[i])
				}
				evals += n
			}
			evals++
		}
	}
	sort.Sort(simplex{pts, vals})
	return pts[0]
}

type simplex struct {
	pts  [][]float64
	vals []float64
}

func (s simplex) Len() int           { return len(s.vals) }
func (s simplex) Less(i, j int) bool { return s.vals[i] < s.vals[j] }
func (s simplex) Swap(i, j int) {
	s.pts[i], s.pts[j] = s.pts[j], s.pts[i]
	s.vals[i], s.vals[j] = s.vals[j], s.vals[i]
}

// Move scales one knob's figure, for checking that figures are an optimum.
type Move struct {
	Knob   Knob
	Factor float64
}

// Losses is the fit's loss (cases and priors) over the cases with the
// profiles' figures, and then with each move applied alone (a zero figure moves by Factor−1 of 1%
// of its range's top, so an overhead of 0 can move too). The cases are
// traced once.
func Losses(ctx context.Context, cases []CalibrationCase, moves []Move) (base float64, moved []float64) {
	var fcs []*fitCase
	for _, c := range cases {
		if c.Metric == "joules_per_output_token" {
			continue
		}
		fc, err := prepare(ctx, c)
		if err != nil {
			base += lossCap
			continue
		}
		fcs = append(fcs, fc)
	}
	for _, fc := range fcs {
		base += fc.logErr()
	}
	for _, k := range Knobs() {
		base += k.penalty(fieldOf(k, knobProfile(k)))
	}
	moved = make([]float64, len(moves))
	for i, mv := range moves {
		v0 := fieldOf(mv.Knob, knobProfile(mv.Knob))
		v1 := v0 * mv.Factor
		if v1 == 0 {
			v1 = math.Max(0, (mv.Factor-1)*mv.Knob.Max*0.01)
		}
		moved[i] = base - mv.Knob.penalty(v0) + mv.Knob.penalty(v1)
		for _, fc := range fcs {
			// Fit's stages: a knob answers to its own stage's cases.
			if !mv.Knob.covers(fc.dev.Profile) || mv.Knob.Second != SecondStage(fc.c) {
				continue
			}
			v0 := fieldOf(mv.Knob, fc.dev.Profile)
			v := v0 * mv.Factor
			if v == 0 {
				v = math.Max(0, (mv.Factor-1)*mv.Knob.Max*0.01)
			}
			before := fc.logErr()
			mv.Knob.set(fc.dev, v)
			moved[i] += fc.logErr() - before
			mv.Knob.set(fc.dev, v0)
		}
	}
	return base, moved
}

// descend moves the knobs downhill on loss: in the first phase by
// coordinate descent, then in both by Nelder-Mead over each platform's knobs.
func (r *FitResult) descend(ctx context.Context, knobs []Knob, affected [][]*fitCase, loss func([]*fitCase) float64, first bool) error {
	// Coordinate descent first (in the first phase): one knob at a time over
	// its whole range.
	rounds := 3
	if !first {
		rounds = 1 // polish after Nelder-Mead, within a factor of 1.5
	}
	for round := 0; round < rounds; round++ {
		for i, k := range knobs {
			cs := affected[i]
			if len(cs) == 0 {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			at := func(v float64) float64 {
				for _, fc := range cs {
					k.set(fc.dev, v)
				}
				return loss(cs) + k.penalty(v)
			}
			lo, hi := k.Min, k.Max
			if !first {
				lo, hi = max(lo, r.Values[i]/1.5), min(hi, max(r.Values[i]*1.5, r.Values[i]+0.05*k.Max))
			}
			r.Values[i] = golden(at, lo, hi, r.Values[i], logScaled(k))
			at(r.Values[i])
		}
	}
	if !first {
		return nil
	}
	return r.simplex(ctx, knobs, affected, loss)
}

// simplex moves each platform's informed knobs together by Nelder-Mead.
func (r *FitResult) simplex(ctx context.Context, knobs []Knob, affected [][]*fitCase, loss func([]*fitCase) float64) error {
	// Then all of a platform's knobs together (Nelder-Mead): some trade
	// against each other (a fixed cost per step against one per collective),
	// and one at a time stalls in their valley.
	for _, group := range platformGroups(knobs, affected) {
		if err := ctx.Err(); err != nil {
			return err
		}
		var cs []*fitCase
		seen := map[*fitCase]bool{}
		for _, i := range group {
			for _, fc := range affected[i] {
				if !seen[fc] {
					seen[fc] = true
					cs = append(cs, fc)
				}
			}
		}
		x := make([]float64, len(group))
		for j, i := range group {
			x[j] = toScale(knobs[i], r.Values[i])
		}
		apply := func(x []float64) {
			for j, i := range group {
				v := fromScale(knobs[i], x[j])
				for _, fc := range cs {
					if knobs[i].covers(fc.dev.Profile) {
						knobs[i].set(fc.dev, v)
					}
				}
			}
		}
		best := nelderMead(func(x []float64) float64 {
			apply(x)
			pen := 0.0
			for j, i := range group {
				pen += knobs[i].penalty(fromScale(knobs[i], x[j]))
			}
			return loss(cs) + pen
		}, x, 600)
		apply(best)
		for j, i := range group {
			r.Values[i] = fromScale(knobs[i], best[j])
		}
	}
	return nil
}

package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/fixtures"
)

// The power formula, P = idle + C·a_c + M·a_m + W·a_w capped at the TDP, on
// hand-computed steps.
func TestPowerFormula(t *testing.T) {
	t.Parallel()
	pp := sim.PowerParams{IdleW: 70, ComputeW: 680, MemoryW: 405, WaitW: 63, TDPW: 700}
	ms := time.Millisecond
	tests := []struct {
		name string
		c    sim.StepCost
		want float64
	}{
		{"no time: idle", sim.StepCost{}, 70},
		// 70 + 680·0.1 + 405·0.9 + 63·0.1 = 70 + 68 + 364.5 + 6.3
		{"memory-bound decode", sim.StepCost{Time: 10 * ms, ComputeTime: ms, MemoryTime: 9 * ms, OverheadTime: ms}, 508.8},
		// 70 + 680 = 750, held at the 700 W TDP
		{"compute-bound: capped at TDP", sim.StepCost{Time: 10 * ms, ComputeTime: 10 * ms, MemoryTime: ms}, 700},
		// 70 + 63·(0.5 + 0.5)
		{"collectives and overhead only", sim.StepCost{Time: 2 * ms, CommTime: ms, OverheadTime: ms}, 133},
		// a share never exceeds 1: 70 + 405
		{"share clipped at 1", sim.StepCost{Time: 10 * ms, MemoryTime: 20 * ms}, 475},
		// 70 + 680·0.25 + 405·0.5 = 70 + 170 + 202.5
		{"both active, under the cap", sim.StepCost{Time: 4 * ms, ComputeTime: ms, MemoryTime: 2 * ms}, 442.5},
	}
	for _, tt := range tests {
		if got := pp.Watts(tt.c); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: %v W, want %v", tt.name, got, tt.want)
		}
	}
}

// A profile in power.json takes its figures from there; any other follows the
// default rule: its own idle_w and shares of TDP − idle. Every figure has a
// source either way, and the table's own checks pass.
func TestPowerModel(t *testing.T) {
	t.Parallel()
	table := fixtures.Power()
	if err := table.Check(); err != nil {
		t.Fatal(err)
	}
	for _, p := range sim.Profiles() {
		pp := sim.PowerModel(p)
		e, measured := table.Profiles[p.ID]
		if pp.Measured != measured || pp.TDPW != p.TDPW {
			t.Errorf("%s: measured %v (table has it: %v), TDP %v", p.ID, pp.Measured, measured, pp.TDPW)
		}
		want := [4]float64{e.IdleW, e.ComputeW, e.MemoryW, e.WaitW}
		if !measured {
			span, d := p.TDPW-p.IdleW, table.Default
			want = [4]float64{p.IdleW, d.ComputeShare * span, d.MemoryShare * span, d.WaitShare * span}
		}
		if got := [4]float64{pp.IdleW, pp.ComputeW, pp.MemoryW, pp.WaitW}; got != want {
			t.Errorf("%s: idle, compute, memory, wait = %v, want %v", p.ID, got, want)
		}
		for _, k := range []string{"idle_w", "compute_w", "memory_w", "wait_w", "tdp_w"} {
			if strings.TrimSpace(pp.Sources[k]) == "" {
				t.Errorf("%s: %s has no source", p.ID, k)
			}
		}
		if pp.Basis == "" {
			t.Errorf("%s: no basis", p.ID)
		}
	}
	if pp := sim.PowerModel(mustProfile(t, "h100-sxm")); !pp.Measured {
		t.Errorf("h100-sxm: want the measured entry, got %q", pp.Basis)
	}
}

func mustProfile(t *testing.T, id string) sim.Profile {
	t.Helper()
	p, err := sim.LookupProfile(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func powerDevice(t *testing.T, profile string, chips int, model, prec string) *sim.Device {
	t.Helper()
	m, err := fixtures.LookupModel(model)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := sim.LookupPrecision(prec)
	if err != nil {
		t.Fatal(err)
	}
	d, err := sim.NewDevice(mustProfile(t, profile), chips, m, pr)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Physics: an H100 decoding one sequence is memory-bound and draws far less
// than its TDP (the former model said 668 W); a compute-bound prefill reaches
// it. The decode bar is 70% of TDP: the nearest published reading, ML.ENERGY
// v3.0's Llama-3.1-8B at max_num_seqs 16 on one H100, is 513 W (73%; the
// calibration-energy.json source), and batch 1 streams the same weights with
// less compute.
func TestPowerPhysics(t *testing.T) {
	t.Parallel()
	d := powerDevice(t, "h100-sxm", 1, "llama-3.1-8b", "bf16")
	tdp := d.Profile.TDPW
	dec := d.Cost(sim.Step{DecodeSeqs: 1, DecodeCtx: 1024})
	pre := d.Cost(sim.Step{PrefillTokens: 8192, PrefillPairs: 8192 * 8193 / 2, PromptsDone: 1})
	if dec.Bound() != "memory" || pre.Bound() != "compute" {
		t.Fatalf("decode bound by %s, prefill by %s: the checks below assume memory and compute", dec.Bound(), pre.Bound())
	}
	pd, pp := d.StepPower(dec), d.StepPower(pre)
	t.Logf("h100-sxm llama-3.1-8b bf16: batch-1 decode step %.0f W (%.0f%% of TDP), 8k-token prefill step %.0f W (%.0f%%)",
		pd, 100*pd/tdp, pp, 100*pp/tdp)
	if pd > 0.7*tdp {
		t.Errorf("batch-1 decode %.0f W: want under 70%% of the %v W TDP", pd, tdp)
	}
	if pp < 0.9*tdp {
		t.Errorf("compute-bound prefill %.0f W: want at least 90%% of the %v W TDP", pp, tdp)
	}
	if d.IdlePower() != sim.PowerModel(d.Profile).IdleW || pd <= d.IdlePower() {
		t.Errorf("idle %v W, decode %v W", d.IdlePower(), pd)
	}

	// The same through a whole run: a batch-1 generation averages well under
	// TDP, more sequences draw more, and a prefill-only run sits near TDP.
	ctx := context.Background()
	avg := func(s sim.Scenario) float64 {
		p, err := sim.Predict(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return p.AvgPowerW
	}
	s := sim.Scenario{Profile: "h100-sxm", Chips: 1, Model: "llama-3.1-8b", Precision: "bf16", Batch: 1, InputTokens: 128, OutputTokens: 1024}
	b1 := avg(s)
	s.Batch = 64
	b64 := avg(s)
	s.Batch, s.InputTokens, s.OutputTokens = 1, 8192, 1
	prefill := avg(s)
	t.Logf("run averages: batch 1 %.0f W, batch 64 %.0f W, prefill only %.0f W", b1, b64, prefill)
	if !(b1 < 0.7*tdp && b1 < b64 && b64 <= tdp && prefill >= 0.9*tdp) {
		t.Errorf("batch 1 %.0f W, batch 64 %.0f W, prefill %.0f W: want batch 1 < 70%% of TDP < batch 64 ≤ TDP, prefill ≥ 90%%", b1, b64, prefill)
	}

	// Tensor parallelism: every chip draws, so 4 chips draw 4× one chip's
	// power in the same step shape.
	d4 := powerDevice(t, "h100-sxm", 4, "llama-3.1-70b", "bf16")
	c4 := d4.Cost(sim.Step{DecodeSeqs: 8, DecodeCtx: 8 * 1024})
	pp4 := sim.PowerModel(d4.Profile)
	if got, want := d4.StepPower(c4), 4*pp4.Watts(c4); math.Abs(got-want) > 1e-9 {
		t.Errorf("4 chips %v W, want 4 × %v", got, pp4.Watts(c4))
	}
}

// energyCase is the part of a calibration-energy.json case ParseCalibration
// does not keep.
type energyCase struct {
	ID             string  `json:"id"`
	Family         string  `json:"family"`
	MeasuredPowerW float64 `json:"measured_power_w"`
	PowerFit       bool    `json:"power_fit"`
	Source         string  `json:"source"`
}

// Tolerances for the published energy cases. J/output token is what users
// read, held to the calibration bar (25%); it also carries the roofline's
// throughput error. Average power isolates the power model: within 10% on the
// series it was fitted to, 30% on the held-out one.
const (
	energyTolerance     = 25
	fitPowerTolerance   = 10
	heldPowerTolerance  = 30
	energyCalibrationID = "calibration-energy.json"
)

// The simulator predicts each published J/output token in
// fixtures/calibration-energy.json within 25%, and the published average power
// within 10% (fitted series) or 30% (held out). The tables print with -v.
func TestEnergyCalibration(t *testing.T) {
	t.Parallel()
	data := fixtures.CalibrationEnergy()
	f, err := sim.ParseCalibration(data)
	if err != nil {
		t.Fatalf("%s: %v", energyCalibrationID, err)
	}
	var extra struct {
		Cases []energyCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &extra); err != nil || len(extra.Cases) != len(f.Cases) {
		t.Fatalf("%s: %v (%d cases)", energyCalibrationID, err, len(extra.Cases))
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tfamily\tJ/token\tpredicted\terror %\tW\tpredicted\terror %\t")
	for i, c := range f.Cases {
		x := extra.Cases[i]
		if x.ID != c.ID || x.Family == "" || x.Source == "" || c.Metric != "joules_per_output_token" {
			t.Errorf("%s: family %q, source %q, metric %q: every case needs a family, a source and the J/token metric", c.ID, x.Family, x.Source, c.Metric)
			continue
		}
		p, err := sim.Predict(context.Background(), c.Scenario())
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		got, _ := p.Metric(c.Metric)
		eErr := 100 * math.Abs(got-c.Value) / c.Value
		if eErr > energyTolerance {
			t.Errorf("%s: %.4g J/token, measured %.4g: %.1f%% off (tolerance %d%%)", c.ID, got, c.Value, eErr, energyTolerance)
		}
		pErr, tol := math.NaN(), heldPowerTolerance
		if x.PowerFit {
			tol = fitPowerTolerance
		}
		if x.MeasuredPowerW > 0 {
			pErr = 100 * math.Abs(p.AvgPowerW-x.MeasuredPowerW) / x.MeasuredPowerW
			if pErr > float64(tol) {
				t.Errorf("%s: %.0f W average, measured %.0f W: %.1f%% off (tolerance %d%%)", c.ID, p.AvgPowerW, x.MeasuredPowerW, pErr, tol)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4g\t%.4g\t%.1f\t%.0f\t%.0f\t%.1f\t\n", c.ID, x.Family, c.Value, got, eErr, x.MeasuredPowerW, p.AvgPowerW, pErr)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
}

// phaseMix is a static batch's steps in two kinds, for refitting: its prompt
// chunks and its decode steps at the mean context, each with its count.
type phaseMix struct {
	steps []sim.StepCost
	count []float64
}

func staticBatchMix(d *sim.Device, batch, in, out int) phaseMix {
	b := batch
	if fit := int(d.KVCapacityTokens()) / (in + out); fit >= 1 && fit < b {
		b = fit // the engine admits no more at once
	}
	var m phaseMix
	total := b * in
	for done := 0; done < total; done += sim.MaxStepTokens {
		c := min(sim.MaxStepTokens, total-done)
		m.steps = append(m.steps, d.Cost(sim.Step{PrefillTokens: c, PrefillPairs: float64(c) * float64(in+1) / 2, PromptsDone: max(c/in, 1)}))
		m.count = append(m.count, 1)
	}
	if out > 1 {
		m.steps = append(m.steps, d.Cost(sim.Step{DecodeSeqs: b, DecodeCtx: float64(b) * (float64(in) + float64(out)/2)}))
		m.count = append(m.count, float64(out-1))
	}
	return m
}

// avgWatts is the mix's time-weighted draw per chip.
func (m phaseMix) avgWatts(pp *sim.PowerParams) float64 {
	var e, t float64
	for i, c := range m.steps {
		e += pp.Watts(c) * c.Time.Seconds() * m.count[i]
		t += c.Time.Seconds() * m.count[i]
	}
	return e / t
}

// TestPowerRefit logs the compute_w and memory_w a least-squares fit over the
// power_fit cases gives with today's roofline (idle and wait_w as in the
// table), beside the table's: when the roofline changes, this says what to
// write into fixtures/power.json. It approximates each run by its prompt
// chunks and one decode step at the mean context, so it reads a few percent
// from a fit over whole engine runs. It fails only if no fit is near the data.
func TestPowerRefit(t *testing.T) {
	t.Parallel()
	data := fixtures.CalibrationEnergy()
	f, err := sim.ParseCalibration(data)
	if err != nil {
		t.Fatal(err)
	}
	var extra struct {
		Cases []energyCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &extra); err != nil {
		t.Fatal(err)
	}
	type point struct {
		mix   phaseMix
		chips float64
		w     float64
	}
	var pts []point
	profile := ""
	for i, c := range f.Cases {
		x := extra.Cases[i]
		if !x.PowerFit || x.MeasuredPowerW <= 0 {
			continue
		}
		if profile != "" && c.Profile != profile {
			t.Fatalf("power_fit cases span %s and %s: fit one profile at a time", profile, c.Profile)
		}
		profile = c.Profile
		d := powerDevice(t, c.Profile, c.Chips, c.Model, c.Precision)
		pts = append(pts, point{staticBatchMix(d, c.Batch, c.InputTokens, c.OutputTokens), float64(c.Chips), x.MeasuredPowerW})
	}
	if len(pts) < 2 {
		t.Fatalf("%d power_fit cases: a fit of two figures needs two", len(pts))
	}
	table := sim.PowerModel(mustProfile(t, profile))
	sse := func(pp *sim.PowerParams) (s, worst float64) {
		for _, p := range pts {
			e := (p.chips*p.mix.avgWatts(pp) - p.w) / p.w
			s += e * e
			worst = max(worst, math.Abs(e))
		}
		return s, worst
	}
	best, bestSSE := table, math.Inf(1)
	for cw := 0.0; cw <= 2*table.TDPW; cw += 5 {
		for mw := 0.0; mw <= table.TDPW; mw += 5 {
			pp := table
			pp.ComputeW, pp.MemoryW = cw, mw
			if s, _ := sse(&pp); s < bestSSE {
				best, bestSSE = pp, s
			}
		}
	}
	_, worstTable := sse(&table)
	_, worstFit := sse(&best)
	t.Logf("%s over %d power_fit cases: refit compute_w %.0f, memory_w %.0f (worst %.1f%%); power.json has %.0f, %.0f (worst %.1f%% by this approximation)",
		profile, len(pts), best.ComputeW, best.MemoryW, 100*worstFit, table.ComputeW, table.MemoryW, 100*worstTable)
	if worstFit > 0.15 {
		t.Errorf("no compute_w, memory_w brings every fitted case within 15%% (best %.1f%%): the model's shape does not fit the data", 100*worstFit)
	}
}

package sim

import (
	"time"

	"github.com/inferbench/inferbench/fixtures"
)

// PowerParams is one profile's power model, per chip, in watts:
//
//	P = IdleW + ComputeW·a_c + MemoryW·a_m + WaitW·a_w, capped at TDPW,
//
// where, over a step of time T, a_c = ComputeTime/T is the share of the step the
// compute units are busy at the rate the roofline gives them, a_m =
// MemoryTime/T the share the memory system streams at its achieved bandwidth,
// and a_w = (CommTime + OverheadTime)/T the share spent on collectives and
// fixed overheads, where the chip is clocked up but its units wait. Dynamic
// power follows activity, so a memory-bound decode step (a_m near 1, a_c small)
// draws idle + MemoryW, far from what a compute-bound prefill (a_c near 1)
// draws; a step busy on both is held at the TDP, as the board's power limit
// holds a real chip.
type PowerParams struct {
	Profile  string  `json:"profile"`
	IdleW    float64 `json:"idle_w"`
	ComputeW float64 `json:"compute_w"`
	MemoryW  float64 `json:"memory_w"`
	WaitW    float64 `json:"wait_w"`
	TDPW     float64 `json:"tdp_w"`
	// Measured is true when the figures come from fixtures/power.json (anchored
	// on published measurements); false when the default rule derived them.
	Measured bool `json:"measured"`
	// Basis says which: "fixtures/power.json", or the default rule in words.
	Basis string `json:"basis"`
	// Sources says where each figure came from, by JSON field name.
	Sources map[string]string `json:"sources"`
}

// PowerModel returns a profile's power parameters: its entry in
// fixtures/power.json, or, for a profile without one, the table's default rule
// (the profile's idle_w, and each increment a stated share of TDP − idle). It
// decodes the embedded table, so the engines call it once per run, not per step.
func PowerModel(p Profile) PowerParams {
	t := fixtures.Power()
	pp := PowerParams{Profile: p.ID, TDPW: p.TDPW, Sources: map[string]string{"tdp_w": p.Sources["tdp_w"]}}
	if e, ok := t.Profiles[p.ID]; ok {
		pp.IdleW, pp.ComputeW, pp.MemoryW, pp.WaitW = e.IdleW, e.ComputeW, e.MemoryW, e.WaitW
		pp.Measured, pp.Basis = true, "fixtures/power.json"
		for k, v := range e.Sources {
			pp.Sources[k] = v
		}
		return pp
	}
	d := t.Default
	span := max(p.TDPW-p.IdleW, 0)
	pp.IdleW = p.IdleW
	pp.ComputeW, pp.MemoryW, pp.WaitW = d.ComputeShare*span, d.MemoryShare*span, d.WaitShare*span
	pp.Basis = "default rule: " + d.Rule
	pp.Sources["idle_w"] = "profiles.json idle_w: " + p.Sources["idle_w"]
	pp.Sources["compute_w"] = "compute_share × (TDP − idle): " + d.Sources["compute_share"]
	pp.Sources["memory_w"] = "memory_share × (TDP − idle): " + d.Sources["memory_share"]
	pp.Sources["wait_w"] = "wait_share × (TDP − idle): " + d.Sources["wait_share"]
	return pp
}

// Watts is one chip's draw during a step, by the formula on PowerParams. A
// step of no time draws idle power.
func (pp *PowerParams) Watts(c StepCost) float64 {
	if c.Time <= 0 {
		return pp.IdleW
	}
	t := float64(c.Time)
	share := func(d time.Duration) float64 { return min(float64(d)/t, 1) }
	w := pp.IdleW + pp.ComputeW*share(c.ComputeTime) + pp.MemoryW*share(c.MemoryTime) +
		pp.WaitW*share(c.CommTime+c.OverheadTime)
	return min(w, max(pp.TDPW, pp.IdleW))
}

// StepPower is the whole configuration's draw during a step: every chip works
// the whole step (tensor parallelism), so it is Chips times one chip's. It
// decodes the power table on each call; the engines use a meter instead.
func (d *Device) StepPower(c StepCost) float64 {
	pp := PowerModel(d.Profile)
	return float64(d.Chips) * pp.Watts(c)
}

// Power is the former one-number formula, chips × (idle + (TDP − idle)·util),
// with the profile's datasheet-table idle and TDP. The engines no longer use
// it: it cannot tell a memory-bound step from a compute-bound one.
//
// Deprecated: use StepPower, and IdlePower for the idle draw. Kept until the
// tests that bound energy with Power(0) and Power(1) move to them.
func (d *Device) Power(util float64) float64 {
	p := d.Profile
	return float64(d.Chips) * (p.IdleW + (p.TDPW-p.IdleW)*util)
}

// IdlePower is the whole configuration's draw with nothing running.
func (d *Device) IdlePower() float64 { return float64(d.Chips) * PowerModel(d.Profile).IdleW }

// meter integrates a device's power over time: the one energy account of the
// virtual and the real-time engine. It holds the device's power parameters,
// decoded once, so accounting a step allocates nothing.
type meter struct {
	pp     PowerParams
	chips  float64
	joules float64
	peakW  float64
}

func newMeter(dev *Device) meter {
	return meter{pp: PowerModel(dev.Profile), chips: float64(dev.Chips)}
}

// idleW is the device's draw with nothing running.
func (m *meter) idleW() float64 { return m.chips * m.pp.IdleW }

// idle accounts d of device time with nothing running.
func (m *meter) idle(d time.Duration) {
	if d <= 0 {
		return
	}
	m.add(d, m.idleW())
}

// step accounts one step at the power its costs imply.
func (m *meter) step(c StepCost) {
	if c.Time <= 0 {
		return
	}
	m.add(c.Time, m.chips*m.pp.Watts(c))
}

func (m *meter) add(d time.Duration, w float64) {
	m.joules += w * d.Seconds()
	m.peakW = max(m.peakW, w)
}

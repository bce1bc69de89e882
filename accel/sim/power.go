package sim

import "time"

// Power is the whole configuration's draw at a utilization:
// idle + (TDP − idle) · utilization, per chip.
func (d *Device) Power(util float64) float64 {
	p := d.Profile
	return float64(d.Chips) * (p.IdleW + (p.TDPW-p.IdleW)*util)
}

// meter integrates a device's power over time: the one energy account of the
// virtual and the real-time engine.
type meter struct {
	joules float64
	peakW  float64
}

// add accounts d of device time at utilization util (0: idle).
func (m *meter) add(dev *Device, d time.Duration, util float64) {
	if d <= 0 {
		return
	}
	w := dev.Power(util)
	m.joules += w * d.Seconds()
	m.peakW = max(m.peakW, w)
}

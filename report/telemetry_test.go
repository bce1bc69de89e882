package report_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/report"
)

const allFields = accel.FieldPower | accel.FieldEnergy | accel.FieldGPUUtil | accel.FieldMemUtil | accel.FieldMemUsed |
	accel.FieldSMClock | accel.FieldMemClock | accel.FieldTemp | accel.FieldThrottle

// steady is n samples a second apart at watts, with the energy counter
// advancing to match from 1 MJ, and the given clock-event reasons in turn.
func steady(n int, watts float64, reasons ...uint64) []accel.Sample {
	var ss []accel.Sample
	for i := 0; i < n; i++ {
		s := accel.Sample{
			At: time.Duration(i) * time.Second, PowerW: watts, EnergyMJ: 1_000_000_000 + uint64(float64(i)*watts*1000),
			GPUUtilPct: float64(80 + i%2*10), MemUtilPct: 30, MemUsedBytes: uint64(i+1) << 30,
			SMClockMHz: 1980, MemClockMHz: 2619, TempC: float64(50 + i), Valid: allFields,
		}
		if len(reasons) > 0 {
			s.ThrottleReasons = reasons[i%len(reasons)]
		}
		ss = append(ss, s)
	}
	return ss
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestTelemetrySummary(t *testing.T) {
	t.Parallel()
	noCounter := steady(11, 100)
	for i := range noCounter {
		noCounter[i].Valid &^= accel.FieldEnergy
	}
	ramp := steady(3, 0)
	for i := range ramp { // 0, 100, 200 W: trapezoids give 50 + 150 J
		ramp[i].PowerW, ramp[i].Valid = float64(100*i), accel.FieldPower
	}
	tests := []struct {
		name       string
		ss         []accel.Sample
		energyJ    float64
		source     string
		avgW, peak float64
	}{
		{"counter", steady(5, 300), 1200, "counter", 300, 300},
		{"power integral without a counter", noCounter, 1000, "power_integral", 100, 100},
		{"integral of a ramp", ramp, 200, "power_integral", 100, 200},
		{"one sample: no energy", steady(1, 300), 0, "", 0, 300},
		{"no samples", nil, 0, "", 0, 0},
	}
	for _, tc := range tests {
		tel, e := report.NewTelemetry("nvml", time.Second, []report.DeviceSamples{{Device: "nvml:0", Samples: tc.ss}}, 100, 4000)
		s := tel.Devices[0].Summary
		if !near(s.EnergyJ, tc.energyJ) || s.EnergySource != tc.source || !near(s.AvgPowerW, tc.avgW) || s.PeakPowerW != tc.peak {
			t.Errorf("%s: energy %v J (%q), avg %v W, peak %v W; want %v J (%q), %v W, %v W",
				tc.name, s.EnergyJ, s.EnergySource, s.AvgPowerW, s.PeakPowerW, tc.energyJ, tc.source, tc.avgW, tc.peak)
		}
		if tc.source == "" {
			if e != nil || s.JoulesPerRequest != 0 {
				t.Errorf("%s: energy %+v without a measurement", tc.name, e)
			}
			continue
		}
		if e == nil || e.Source != "nvml" || !near(e.Joules, tc.energyJ) || !near(e.JoulesPerRequest, tc.energyJ/100) ||
			!near(e.JoulesPerOutputToken, tc.energyJ/4000) || !near(s.JoulesPerOutputToken, tc.energyJ/4000) {
			t.Errorf("%s: run energy %+v", tc.name, e)
		}
	}
	s := mustOne(t, steady(4, 300)).Summary
	if s.AvgGPUUtilPct != 85 || s.AvgMemUtilPct != 30 || s.PeakMemUsedBytes != 4<<30 || s.MaxTempC != 53 || s.AvgSMClockMHz != 1980 {
		t.Errorf("summary %+v", s)
	}
}

func mustOne(t *testing.T, ss []accel.Sample) report.DeviceTelemetry {
	t.Helper()
	tel, _ := report.NewTelemetry("nvml", 100*time.Millisecond, []report.DeviceSamples{{Device: "nvml:0", Samples: ss}}, 1, 1)
	return tel.Devices[0]
}

func TestThrottleFlagged(t *testing.T) {
	t.Parallel()
	const idle, powerCap, hwThermal = 0x1, 0x4, 0x40
	tests := []struct {
		reasons []uint64
		want    []report.ThrottleSeen
		flagged bool
	}{
		{[]uint64{0, powerCap, powerCap | hwThermal, idle}, []report.ThrottleSeen{
			{Reason: "sw_power_cap", Fraction: 0.5, PowerOrHeat: true},
			{Reason: "gpu_idle", Fraction: 0.25},
			{Reason: "hw_thermal_slowdown", Fraction: 0.25, PowerOrHeat: true},
		}, true},
		{[]uint64{idle, 0}, []report.ThrottleSeen{{Reason: "gpu_idle", Fraction: 0.5}}, false},
		{[]uint64{0}, nil, false},
		{[]uint64{1 << 40}, []report.ThrottleSeen{{Reason: "0x10000000000", Fraction: 1}}, false},
	}
	for _, tc := range tests {
		tel, _ := report.NewTelemetry("nvml", time.Second, []report.DeviceSamples{
			{Device: "nvml:0", Samples: steady(4, 200)},
			{Device: "nvml:1", Samples: steady(4, 200, tc.reasons...)},
		}, 1, 1)
		got := tel.Devices[1].Summary
		if fmt.Sprint(got.Throttle) != fmt.Sprint(tc.want) || got.ThrottledPowerOrHeat != tc.flagged || tel.Throttled != tc.flagged {
			t.Errorf("reasons %v: seen %+v (flag %v, run %v), want %+v (%v)", tc.reasons, got.Throttle, got.ThrottledPowerOrHeat, tel.Throttled, tc.want, tc.flagged)
		}
	}
}

// TestTelemetrySeriesJSON checks the plot-ready arrays: named for their units,
// null for a reading missing from one sample, absent for one never read.
func TestTelemetrySeriesJSON(t *testing.T) {
	t.Parallel()
	ss := steady(3, 250, 0, 4)
	ss[1].Valid &^= accel.FieldPower
	for i := range ss {
		ss[i].Valid &^= accel.FieldTemp
		ss[i].At += 1500 * time.Microsecond
	}
	tel, _ := report.NewTelemetry("nvml", time.Second, []report.DeviceSamples{{
		Device: "nvml:0", Name: "NVIDIA H100 80GB HBM3", Profile: "h100-sxm", Samples: ss, Stride: 2,
		Unsupported: accel.FieldTemp,
	}}, 1, 1)
	b, err := json.Marshal(tel)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{
		`"t_s":[0.002,1.002,2.002]`, `"power_w":[250,null,250]`, `"energy_j":[0,250,500]`, `"gpu_util_pct":[80,90,80]`,
		`"mem_used_mib":[1024,2048,3072]`, `"clock_event_reasons":[0,4,0]`, `"unsupported":["temp_c"]`, `"stride":2`,
		`"throttled":true`, `"profile":"h100-sxm"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %s:\n%s", want, js)
		}
	}
	if strings.Contains(js, `"temp_c":[`) {
		t.Errorf("a reading never taken has an array: %s", js)
	}
	var back report.Telemetry
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	p := back.Devices[0].Series.PowerW
	if len(p) != 3 || p[0] != 250 || !math.IsNaN(p[1]) || fmt.Sprint(back.Devices[0].Summary) != fmt.Sprint(tel.Devices[0].Summary) {
		t.Errorf("round trip: power %v, summary %+v", p, back.Devices[0].Summary)
	}
}

func TestTelemetryTwoDevicesPeakOfSum(t *testing.T) {
	t.Parallel()
	a, b := steady(3, 100), steady(3, 100)
	a[0].PowerW, b[2].PowerW = 400, 400 // peaks in different rounds: the sum never reaches 800
	_, e := report.NewTelemetry("nvml", time.Second, []report.DeviceSamples{{Device: "nvml:0", Samples: a}, {Device: "nvml:1", Samples: b}}, 10, 0)
	if e == nil || e.PeakPowerW != 500 || !near(e.Joules, 400) || e.JoulesPerOutputToken != 0 {
		t.Errorf("energy %+v, want peak 500 W and 400 J", e)
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	ss := steady(5, 100)
	w := report.Window(ss, 2*time.Second)
	if len(w) != 3 || w[0].At != 0 || w[2].At != 2*time.Second || ss[2].At != 2*time.Second {
		t.Errorf("window %+v (original %v)", w, ss[2].At)
	}
	if len(report.Window(ss, 0)) != 5 || len(report.Window(ss, time.Hour)) != 0 {
		t.Error("window bounds")
	}
}

func ExampleNewTelemetry() {
	// Three readings a second apart from a GPU at 300 W with a total-energy
	// counter, power-capped in the last one.
	var ss []accel.Sample
	for i := 0; i < 3; i++ {
		ss = append(ss, accel.Sample{
			At: time.Duration(i) * time.Second, PowerW: 300, EnergyMJ: uint64(i) * 300_000, GPUUtilPct: 90,
			ThrottleReasons: uint64(i/2) * 0x4,
			Valid:           accel.FieldPower | accel.FieldEnergy | accel.FieldGPUUtil | accel.FieldThrottle,
		})
	}
	tel, e := report.NewTelemetry("nvml", time.Second, []report.DeviceSamples{{Device: "nvml:0", Samples: ss}}, 12, 1200)
	s := tel.Devices[0].Summary
	fmt.Printf("%.0f J from the %s, %.0f W average, %.2f J/token, throttled %v: %s %.2f\n",
		e.Joules, s.EnergySource, e.AvgPowerW, e.JoulesPerOutputToken, tel.Throttled, s.Throttle[0].Reason, s.Throttle[0].Fraction)
	// Output: 600 J from the counter, 300 W average, 0.50 J/token, throttled true: sw_power_cap 0.33
}

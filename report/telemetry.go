package report

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Telemetry is what the hardware under a run did, as sampled (NVML on a real
// GPU): a summary per device and the series itself, for plots. It covers the
// measurement window (after warm-up) when the run had one.
type Telemetry struct {
	// Source is where the samples came from: "nvml".
	Source     string  `json:"source"`
	IntervalMS float64 `json:"interval_ms"`
	// Throttled says some device slowed its clocks for power or heat during the
	// run: its figures are not what the card does when cool and under its cap.
	Throttled bool              `json:"throttled"`
	Devices   []DeviceTelemetry `json:"devices"`
	// Note says what to keep in mind when reading the figures, when something
	// needs saying (e.g. the load ran in virtual time, so the GPU did not see it).
	Note string `json:"note,omitempty"`
}

// DeviceTelemetry is one device's telemetry over a run.
type DeviceTelemetry struct {
	Device  string `json:"device"` // spec, "nvml:0"
	Name    string `json:"name,omitempty"`
	UUID    string `json:"uuid,omitempty"`
	Profile string `json:"profile,omitempty"`
	Samples int    `json:"samples"`
	// Stride is how many readings each kept sample stands for, when a long run
	// outgrew the sampler's buffer (1 otherwise, and omitted).
	Stride int `json:"stride,omitempty"`
	// Ended says why the device's series stopped before the run did (the GPU
	// fell off the bus); "" when it did not.
	Ended string `json:"ended,omitempty"`
	// Unsupported names the readings the device does not give.
	Unsupported []string         `json:"unsupported,omitempty"`
	Summary     TelemetrySummary `json:"summary"`
	Series      TelemetrySeries  `json:"series"`
}

// TelemetrySummary condenses a device's samples. Figures whose reading the
// device does not give are zero; Unsupported says which.
type TelemetrySummary struct {
	// EnergyJ is the energy used between the first and last sample: the
	// difference of the device's total-energy counter where it has one
	// (EnergySource "counter"), else sampled power integrated over time
	// ("power_integral"), else 0 and "".
	EnergyJ      float64 `json:"energy_j"`
	EnergySource string  `json:"energy_source,omitempty"`
	// AvgPowerW is EnergyJ over the time it spans; PeakPowerW the highest
	// sampled power.
	AvgPowerW            float64 `json:"avg_power_w"`
	PeakPowerW           float64 `json:"peak_power_w"`
	JoulesPerRequest     float64 `json:"joules_per_request,omitempty"`
	JoulesPerOutputToken float64 `json:"joules_per_output_token,omitempty"`
	AvgGPUUtilPct        float64 `json:"avg_gpu_util_pct"`
	AvgMemUtilPct        float64 `json:"avg_mem_util_pct"`
	PeakMemUsedBytes     uint64  `json:"peak_mem_used_bytes"`
	MaxTempC             float64 `json:"max_temp_c"`
	AvgSMClockMHz        float64 `json:"avg_sm_clock_mhz"`
	// Throttle lists each clock-event reason seen, with the fraction of samples
	// it was active in, most frequent first.
	Throttle []ThrottleSeen `json:"throttle,omitempty"`
	// ThrottledPowerOrHeat says a power- or heat-related reason was seen.
	ThrottledPowerOrHeat bool `json:"throttled_power_or_heat"`
}

// ThrottleSeen is one clock-event reason and how often it was active.
type ThrottleSeen struct {
	Reason   string  `json:"reason"`
	Fraction float64 `json:"fraction"`
	// PowerOrHeat says the reason is a power cap, a thermal slowdown, or a
	// hardware slowdown (which NVML raises for power brake and overheating).
	PowerOrHeat bool `json:"power_or_heat"`
}

// TelemetrySeries is the samples as parallel arrays: element i of each is
// sample i, taken at TS[i] seconds since the start of the window. An array
// whose reading the device never gave is omitted; a reading missing from one
// sample is null.
type TelemetrySeries struct {
	TS          Floats   `json:"t_s"`
	PowerW      Floats   `json:"power_w,omitempty"`
	EnergyJ     Floats   `json:"energy_j,omitempty"` // counter since the first sample
	GPUUtilPct  Floats   `json:"gpu_util_pct,omitempty"`
	MemUtilPct  Floats   `json:"mem_util_pct,omitempty"`
	MemUsedMiB  Floats   `json:"mem_used_mib,omitempty"`
	SMClockMHz  Floats   `json:"sm_clock_mhz,omitempty"`
	MemClockMHz Floats   `json:"mem_clock_mhz,omitempty"`
	TempC       Floats   `json:"temp_c,omitempty"`
	Throttle    []uint64 `json:"clock_event_reasons,omitempty"` // NVML bit set; 0 where unread
}

// Floats is a series of readings that writes a missing one (NaN) as JSON null
// and reads null back as NaN.
type Floats []float64

// MarshalJSON writes the values, NaN as null.
func (f Floats) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 8*len(f)+2)
	b = append(b, '[')
	for i, v := range f {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads values, null as NaN.
func (f *Floats) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*f = nil
		return nil
	}
	var ps []*float64
	if err := json.Unmarshal(b, &ps); err != nil {
		return err
	}
	out := make(Floats, len(ps))
	for i, p := range ps {
		out[i] = math.NaN()
		if p != nil {
			out[i] = *p
		}
	}
	*f = out
	return nil
}

// DeviceSamples is one device's samples, as a sampler hands them over, with
// what the report should say about the device.
type DeviceSamples struct {
	Device  string // spec, "nvml:0"
	Name    string
	UUID    string
	Profile string
	Samples []accel.Sample // in time order
	Stride  int
	Ended   string
	// Unsupported are the readings the device does not give.
	Unsupported accel.SampleFields
}

// Window returns the samples taken at or after from, with their times made
// relative to from: the part of a run after its warm-up.
func Window(samples []accel.Sample, from time.Duration) []accel.Sample {
	i := sort.Search(len(samples), func(i int) bool { return samples[i].At >= from })
	out := make([]accel.Sample, len(samples)-i)
	copy(out, samples[i:])
	for k := range out {
		out[k].At -= from
	}
	return out
}

// NewTelemetry summarises devices' samples over a run that completed
// requests and produced outputTokens (for the per-request and per-token
// figures). It also adds the devices' energy up for the run's Energy field
// (Source = source), nil when no device measured any; the peak there is the
// highest sum of the devices' readings taken in the same round.
func NewTelemetry(source string, interval time.Duration, devs []DeviceSamples, completed, outputTokens int64) (*Telemetry, *Energy) {
	t := &Telemetry{Source: source, IntervalMS: float64(interval) / float64(time.Millisecond), Devices: []DeviceTelemetry{}}
	e := &Energy{Source: source}
	measured := false
	for _, d := range devs {
		dt := DeviceTelemetry{
			Device: d.Device, Name: d.Name, UUID: d.UUID, Profile: d.Profile,
			Samples: len(d.Samples), Ended: d.Ended, Unsupported: fieldNames(d.Unsupported),
			Summary: summarize(d.Samples, completed, outputTokens),
			Series:  seriesOf(d.Samples),
		}
		if d.Stride > 1 {
			dt.Stride = d.Stride
		}
		t.Throttled = t.Throttled || dt.Summary.ThrottledPowerOrHeat
		t.Devices = append(t.Devices, dt)
		if dt.Summary.EnergySource != "" {
			measured = true
			e.Joules += dt.Summary.EnergyJ
			e.AvgPowerW += dt.Summary.AvgPowerW
		}
	}
	if !measured {
		return t, nil
	}
	for i := 0; ; i++ {
		sum, seen := 0.0, false
		for _, d := range devs {
			if i < len(d.Samples) && d.Samples[i].Valid&accel.FieldPower != 0 {
				sum, seen = sum+d.Samples[i].PowerW, true
			}
		}
		if !seen {
			break
		}
		e.PeakPowerW = math.Max(e.PeakPowerW, sum)
	}
	if completed > 0 {
		e.JoulesPerRequest = e.Joules / float64(completed)
	}
	if outputTokens > 0 {
		e.JoulesPerOutputToken = e.Joules / float64(outputTokens)
	}
	return t, e
}

// summarize condenses one device's samples.
func summarize(ss []accel.Sample, completed, outputTokens int64) TelemetrySummary {
	var (
		s                             TelemetrySummary
		nGPU, nMem, nClock, nThrottle int
		sumGPU, sumMem, sumClock      float64
		firstE, lastE                 = -1, -1
		integral                      float64
		firstP, lastP                 = -1, -1
		reasonCount                   [64]int
		powerSeen, tempSeen, memSeen  bool
	)
	for i := range ss {
		x := &ss[i]
		if x.Valid&accel.FieldPower != 0 {
			if lastP >= 0 {
				prev := &ss[lastP]
				integral += (prev.PowerW + x.PowerW) / 2 * (x.At - prev.At).Seconds()
			} else {
				firstP = i
			}
			lastP = i
			if !powerSeen || x.PowerW > s.PeakPowerW {
				s.PeakPowerW, powerSeen = x.PowerW, true
			}
		}
		if x.Valid&accel.FieldEnergy != 0 {
			if firstE < 0 {
				firstE = i
			}
			lastE = i
		}
		if x.Valid&accel.FieldGPUUtil != 0 {
			sumGPU += x.GPUUtilPct
			nGPU++
		}
		if x.Valid&accel.FieldMemUtil != 0 {
			sumMem += x.MemUtilPct
			nMem++
		}
		if x.Valid&accel.FieldSMClock != 0 {
			sumClock += float64(x.SMClockMHz)
			nClock++
		}
		if x.Valid&accel.FieldMemUsed != 0 && (!memSeen || x.MemUsedBytes > s.PeakMemUsedBytes) {
			s.PeakMemUsedBytes, memSeen = x.MemUsedBytes, true
		}
		if x.Valid&accel.FieldTemp != 0 && (!tempSeen || x.TempC > s.MaxTempC) {
			s.MaxTempC, tempSeen = x.TempC, true
		}
		if x.Valid&accel.FieldThrottle != 0 {
			nThrottle++
			for b := 0; b < 64; b++ {
				if x.ThrottleReasons&(1<<b) != 0 {
					reasonCount[b]++
				}
			}
		}
	}
	var span time.Duration
	switch {
	case firstE >= 0 && lastE > firstE && ss[lastE].EnergyMJ >= ss[firstE].EnergyMJ:
		s.EnergyJ = float64(ss[lastE].EnergyMJ-ss[firstE].EnergyMJ) / 1000
		s.EnergySource = "counter"
		span = ss[lastE].At - ss[firstE].At
	case lastP > firstP:
		s.EnergyJ = integral
		s.EnergySource = "power_integral"
		span = ss[lastP].At - ss[firstP].At
	}
	if span > 0 {
		s.AvgPowerW = s.EnergyJ / span.Seconds()
	}
	if s.EnergySource != "" {
		if completed > 0 {
			s.JoulesPerRequest = s.EnergyJ / float64(completed)
		}
		if outputTokens > 0 {
			s.JoulesPerOutputToken = s.EnergyJ / float64(outputTokens)
		}
	}
	if nGPU > 0 {
		s.AvgGPUUtilPct = sumGPU / float64(nGPU)
	}
	if nMem > 0 {
		s.AvgMemUtilPct = sumMem / float64(nMem)
	}
	if nClock > 0 {
		s.AvgSMClockMHz = sumClock / float64(nClock)
	}
	for b, n := range reasonCount {
		if n == 0 {
			continue
		}
		name, hot := ThrottleReason(1 << b)
		s.Throttle = append(s.Throttle, ThrottleSeen{Reason: name, Fraction: float64(n) / float64(nThrottle), PowerOrHeat: hot})
		s.ThrottledPowerOrHeat = s.ThrottledPowerOrHeat || hot
	}
	sort.SliceStable(s.Throttle, func(i, j int) bool { return s.Throttle[i].Fraction > s.Throttle[j].Fraction })
	return s
}

// ThrottleReason names one NVML clock-event reason bit (nvmlClocksEventReason*
// in nvml.h) and says whether it means the card was held back by power or
// heat. Idle, application clocks, sync boost and display clocks are not
// throttling in that sense.
func ThrottleReason(bit uint64) (name string, powerOrHeat bool) {
	switch bit {
	case 0x1:
		return "gpu_idle", false
	case 0x2:
		return "applications_clocks_setting", false
	case 0x4:
		return "sw_power_cap", true
	case 0x8:
		return "hw_slowdown", true
	case 0x10:
		return "sync_boost", false
	case 0x20:
		return "sw_thermal_slowdown", true
	case 0x40:
		return "hw_thermal_slowdown", true
	case 0x80:
		return "hw_power_brake_slowdown", true
	case 0x100:
		return "display_clock_setting", false
	case 0x200:
		return "board_limit", false
	case 0x400:
		return "reliability", false
	}
	return "0x" + strconv.FormatUint(bit, 16), false
}

// seriesOf lays samples out as parallel arrays, for plots.
func seriesOf(ss []accel.Sample) TelemetrySeries {
	var all accel.SampleFields
	for i := range ss {
		all |= ss[i].Valid
	}
	col := func(f accel.SampleFields, v func(*accel.Sample) float64) Floats {
		if all&f == 0 {
			return nil
		}
		out := make(Floats, len(ss))
		for i := range ss {
			out[i] = math.NaN()
			if ss[i].Valid&f != 0 {
				out[i] = v(&ss[i])
			}
		}
		return out
	}
	var e0 uint64
	for i := range ss {
		if ss[i].Valid&accel.FieldEnergy != 0 {
			e0 = ss[i].EnergyMJ
			break
		}
	}
	ts := Floats{}
	for i := range ss {
		ts = append(ts, math.Round(ss[i].At.Seconds()*1e3)/1e3)
	}
	s := TelemetrySeries{
		TS:          ts,
		PowerW:      col(accel.FieldPower, func(x *accel.Sample) float64 { return x.PowerW }),
		EnergyJ:     col(accel.FieldEnergy, func(x *accel.Sample) float64 { return float64(x.EnergyMJ-e0) / 1000 }),
		GPUUtilPct:  col(accel.FieldGPUUtil, func(x *accel.Sample) float64 { return x.GPUUtilPct }),
		MemUtilPct:  col(accel.FieldMemUtil, func(x *accel.Sample) float64 { return x.MemUtilPct }),
		MemUsedMiB:  col(accel.FieldMemUsed, func(x *accel.Sample) float64 { return float64(x.MemUsedBytes >> 20) }),
		SMClockMHz:  col(accel.FieldSMClock, func(x *accel.Sample) float64 { return float64(x.SMClockMHz) }),
		MemClockMHz: col(accel.FieldMemClock, func(x *accel.Sample) float64 { return float64(x.MemClockMHz) }),
		TempC:       col(accel.FieldTemp, func(x *accel.Sample) float64 { return x.TempC }),
	}
	if all&accel.FieldThrottle != 0 {
		s.Throttle = make([]uint64, len(ss))
		for i := range ss {
			s.Throttle[i] = ss[i].ThrottleReasons
		}
	}
	return s
}

// fieldNames names the readings in a field set, as the series names them.
func fieldNames(f accel.SampleFields) []string {
	var out []string
	for _, x := range []struct {
		f    accel.SampleFields
		name string
	}{
		{accel.FieldPower, "power_w"}, {accel.FieldEnergy, "energy_j"}, {accel.FieldGPUUtil, "gpu_util_pct"},
		{accel.FieldMemUtil, "mem_util_pct"}, {accel.FieldMemUsed, "mem_used_mib"}, {accel.FieldSMClock, "sm_clock_mhz"},
		{accel.FieldMemClock, "mem_clock_mhz"}, {accel.FieldTemp, "temp_c"}, {accel.FieldThrottle, "clock_event_reasons"},
	} {
		if f&x.f != 0 {
			out = append(out, x.name)
		}
	}
	return out
}

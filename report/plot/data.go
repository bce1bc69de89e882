// Package plot draws a report's runs with gonum.org/v1/plot: the latency CDF
// of each run with its tail on a log scale, throughput against p99 latency
// across a sweep (runs of one backend at several loads), and the telemetry
// timeline (power and utilization) where a run carries one.
//
// The figures behind the plots are computed first (Compute, a Data value that
// tests can hold in a golden file) and drawn second (Data.Render), so what a
// plot shows is checked without comparing image bytes.
package plot

import (
	"fmt"
	"math"
	"sort"

	"github.com/inferbench/inferbench/report"
)

// Point is one point of a series.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Series is one line of a panel, with its legend entry.
type Series struct {
	Label  string  `json:"label"`
	Points []Point `json:"points"`
}

// Panel is one chart: its title, axis labels and lines.
type Panel struct {
	Title  string   `json:"title"`
	XLabel string   `json:"x_label"`
	YLabel string   `json:"y_label"`
	Series []Series `json:"series"`
	// XNines says the x axis is in nines (−log10(1−q)): 1 is p90, 2 p99, 3
	// p99.9; ticks are labelled as percentiles.
	XNines bool `json:"x_nines,omitempty"`
	// LogY draws the y axis on a log scale.
	LogY bool `json:"log_y,omitempty"`
}

// Data is every panel a set of reports gives, in drawing order. Panels
// without data are left out.
type Data struct {
	Panels []Panel `json:"panels"`
}

// Input is one report with the name its runs are labelled with where several
// reports are plotted together (usually the file name).
type Input struct {
	Name   string
	Report *report.Report
}

// MaxNines is how far into the tail the CDF panel reaches: p99.99.
const MaxNines = 4

// cdfStep is the spacing of CDF points, in nines.
const cdfStep = 0.05

// Compute works out the panels for the reports' runs.
func Compute(inputs []Input) (Data, error) {
	type labeled struct {
		label string
		run   *report.Run
	}
	var runs []labeled
	backends := map[string]int{}
	loads := map[string]bool{}
	for _, in := range inputs {
		for i := range in.Report.Runs {
			r := &in.Report.Runs[i]
			backends[r.Backend.ID]++
			loads[report.LoadKey(r)] = true
		}
	}
	for _, in := range inputs {
		for i := range in.Report.Runs {
			r := &in.Report.Runs[i]
			l := r.Backend.ID
			if len(loads) > 1 {
				l += " " + report.LoadLabel(&r.Scenario)
			}
			if r.Label != "" {
				l += " " + r.Label
			}
			if len(inputs) > 1 && backends[r.Backend.ID] > 1 {
				l = in.Name + ": " + l
			}
			runs = append(runs, labeled{l, r})
		}
	}
	var d Data
	cdf := Panel{Title: "Latency distribution (tail on a log scale)", XLabel: "percentile", YLabel: "latency (ms)", XNines: true, LogY: true}
	for _, lr := range runs {
		enc, ok := lr.run.Histograms["latency"]
		if !ok {
			continue
		}
		h, err := report.DecodeHist(enc)
		if err != nil {
			return d, fmt.Errorf("%s: latency %w", lr.label, err)
		}
		n := h.TotalCount()
		if n == 0 {
			continue
		}
		s := Series{Label: lr.label}
		// Reach as far into the tail as the samples allow: 1/n is the
		// finest quantile n values resolve.
		top := math.Min(MaxNines, math.Log10(float64(n)))
		for x := 0.0; x <= top+1e-9; x += cdfStep {
			q := 100 * (1 - math.Pow(10, -x))
			s.Points = append(s.Points, Point{X: round(x, 2), Y: float64(h.ValueAtQuantile(q)) / 1e6})
		}
		cdf.Series = append(cdf.Series, s)
	}
	if len(cdf.Series) > 0 {
		d.Panels = append(d.Panels, cdf)
	}
	if p, ok := sweep(inputs); ok {
		d.Panels = append(d.Panels, p)
	}
	for _, lr := range runs {
		d.Panels = append(d.Panels, telemetryPanels(lr.label, lr.run)...)
		d.Panels = append(d.Panels, tracePanels(lr.label, lr.run)...)
	}
	return d, nil
}

// sweep is throughput against p99 latency for each backend and workload run
// at two or more loads: the curve that shows where latency takes off.
func sweep(inputs []Input) (Panel, bool) {
	p := Panel{Title: "Throughput vs p99 latency across loads", XLabel: "throughput (output tokens/s)", YLabel: "p99 latency (ms)"}
	type key struct{ backend, workload string }
	groups := map[key][]*report.Run{}
	var order []key
	for _, in := range inputs {
		for i := range in.Report.Runs {
			r := &in.Report.Runs[i]
			k := key{r.Backend.ID, r.Workload.Model + "/" + r.Workload.Name + "/" + r.Workload.Precision}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}
	}
	for _, k := range order {
		rs := groups[k]
		loads := map[string]bool{}
		for _, r := range rs {
			loads[report.LoadLabel(&r.Scenario)] = true
		}
		if len(loads) < 2 {
			continue
		}
		s := Series{Label: k.backend}
		for _, r := range rs {
			if r.Throughput.OutputTokensPerS > 0 && r.Latency.P99 > 0 {
				s.Points = append(s.Points, Point{X: r.Throughput.OutputTokensPerS, Y: r.Latency.P99})
			}
		}
		sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].X < s.Points[j].X })
		p.Series = append(p.Series, s)
	}
	return p, len(p.Series) > 0
}

// telemetryPanels is a run's power and utilization over time, one line per
// device, where the run carries telemetry.
func telemetryPanels(label string, r *report.Run) []Panel {
	t := r.Telemetry
	if t == nil || len(t.Devices) == 0 {
		return nil
	}
	power := Panel{Title: "Power over the run: " + label, XLabel: "time (s)", YLabel: "power (W)"}
	util := Panel{Title: "Utilization over the run: " + label, XLabel: "time (s)", YLabel: "utilization (%)"}
	for _, dev := range t.Devices {
		name := dev.Device
		if p := series(dev.Series.TS, dev.Series.PowerW); len(p) > 0 {
			power.Series = append(power.Series, Series{Label: name, Points: p})
		}
		if p := series(dev.Series.TS, dev.Series.GPUUtilPct); len(p) > 0 {
			util.Series = append(util.Series, Series{Label: name + " GPU", Points: p})
		}
		if p := series(dev.Series.TS, dev.Series.MemUtilPct); len(p) > 0 {
			util.Series = append(util.Series, Series{Label: name + " memory", Points: p})
		}
	}
	var out []Panel
	for _, p := range []Panel{power, util} {
		if len(p.Series) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// series pairs times with readings, leaving out missing (NaN) readings.
func series(ts, ys []float64) []Point {
	var out []Point
	for i := range ys {
		if i >= len(ts) || math.IsNaN(ys[i]) || math.IsNaN(ts[i]) {
			continue
		}
		out = append(out, Point{X: ts[i], Y: ys[i]})
	}
	return out
}

func round(x float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(x*p) / p
}

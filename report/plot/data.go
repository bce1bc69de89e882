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
	"strconv"

	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/report"
)

// Point is one point of a series.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	// Label, when set, is written beside the point (a frontier's load).
	Label string `json:"label,omitempty"`
	// Missed marks a point that is not an answer (it missed an SLO, or its
	// run failed or is invalid): it is drawn crossed out.
	Missed bool `json:"missed,omitempty"`
}

// HLine is a horizontal line across a panel: an SLO's bound.
type HLine struct {
	Y     float64 `json:"y"`
	Label string  `json:"label"`
}

// Series is one line of a panel, with its legend entry.
type Series struct {
	Label  string  `json:"label"`
	Points []Point `json:"points"`
	// Key is what picks the series' colour and glyph (its backend, or its
	// label when empty), so a backend looks the same in every panel.
	Key string `json:"key,omitempty"`
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
	// LogY and LogX draw an axis on a log scale.
	LogY bool `json:"log_y,omitempty"`
	LogX bool `json:"log_x,omitempty"`
	// HLines are drawn across the panel, dashed, with their legend entries.
	HLines []HLine `json:"hlines,omitempty"`
	// Kind says what the panel shows, for pages that place panels in
	// sections: cdf, frontier, sweep or telemetry.
	Kind string `json:"kind"`
}

// Data is every panel a set of reports gives, in drawing order. Panels
// without data are left out.
type Data struct {
	Panels []Panel `json:"panels"`
	// keys fixes the series' colours when a part is drawn apart (Only).
	keys []string
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
		label, key string
		run        *report.Run
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
			key := r.Backend.ID
			if len(inputs) > 1 && backends[r.Backend.ID] > 1 {
				key = in.Name + ": " + key
			}
			runs = append(runs, labeled{l, key, r})
		}
	}
	var d Data
	what := describe(inputs)
	cdf := Panel{Kind: "cdf", Title: "Latency distribution" + what, YLabel: "latency (ms)", XNines: true, LogY: true,
		XLabel: "percentile (each curve ends at the deepest one its n requests resolve: 1 − 1/n)"}
	cdfRuns := runs
	if len(runs) > MaxSeries {
		// A sweep's every point would crowd the panel past telling its
		// curves apart: one per backend and workload, its best load.
		cdfRuns = nil
		for _, row := range bestRuns(inputs) {
			for _, lr := range runs {
				if lr.run == row {
					cdfRuns = append(cdfRuns, lr)
				}
			}
		}
		cdf.Title += " (each backend at its highest passing throughput)"
	}
	for _, lr := range cdfRuns {
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
		s := Series{Label: lr.label, Key: lr.key}
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
	if p, ok := frontier(inputs, what); ok {
		d.Panels = append(d.Panels, p)
	}
	for _, m := range sweepMetrics() {
		p, ok, err := sweep(inputs, m, what)
		if err != nil {
			return d, err
		}
		if ok {
			d.Panels = append(d.Panels, p)
		}
	}
	for _, lr := range runs {
		d.Panels = append(d.Panels, telemetryPanels(lr.label, lr.run)...)
		d.Panels = append(d.Panels, serverPanels(lr.label, lr.run)...)
		d.Panels = append(d.Panels, tracePanels(lr.label, lr.run)...)
	}
	return d, nil
}

// MaxSeries is the most series a panel draws apart (see the palette).
const MaxSeries = 16

// describe names what the reports measured for a title: the workload and
// the load where all runs share them.
func describe(inputs []Input) string {
	workloads, loads := map[string]bool{}, map[string]bool{}
	var wl, ld string
	for _, in := range inputs {
		for i := range in.Report.Runs {
			r := &in.Report.Runs[i]
			wl = r.Workload.Name
			if wl == "" {
				wl = "custom"
			}
			wl += " (" + r.Workload.Model + ")"
			workloads[wl] = true
			ld = report.LoadLabel(&r.Scenario)
			loads[ld] = true
		}
	}
	out := ""
	if len(workloads) == 1 {
		out += ": " + wl
	}
	switch {
	case len(loads) == 1:
		out += ", " + ld
	case len(loads) > 1:
		out += fmt.Sprintf(", %d loads", len(loads))
	}
	if out != "" && out[0] == ',' {
		out = ":" + out[1:]
	}
	return out
}

// bestRuns is each backend and workload's run of most output throughput
// among those that passed (or of all, when none passed).
func bestRuns(inputs []Input) []*report.Run {
	var out []*report.Run
	for _, in := range inputs {
		seen := map[int]bool{}
		rows := report.Rows(in.Report)
		for _, row := range rows {
			if seen[row.Rank] {
				continue
			}
			var best *report.Run
			for _, o := range rows {
				if o.Rank != row.Rank {
					continue
				}
				if best == nil || (o.Run.Passed() && !best.Passed()) ||
					(o.Run.Passed() == best.Passed() && o.Run.Throughput.OutputTokensPerS > best.Throughput.OutputTokensPerS) {
					best = o.Run
				}
			}
			seen[row.Rank] = true
			out = append(out, best)
		}
	}
	return out
}

// frontier is the throughput-interactivity frontier (report.Frontier): for
// each backend with two or more streamed loads, output tokens/s per chip
// against tokens/s per user, each point labelled with its load.
func frontier(inputs []Input, what string) (Panel, bool) {
	// Both axes are logarithmic: backends differ by orders of magnitude,
	// and a slow one's curve is still read.
	p := Panel{Kind: "frontier", Title: "Throughput vs interactivity frontier" + what + " (up and right is better)",
		XLabel: "tokens/s per user (1000 / TPOT p50)", YLabel: "output tokens/s per chip", LogX: true, LogY: true}
	for _, in := range inputs {
		for _, c := range report.Frontier(in.Report) {
			if len(c.Points) < 2 {
				continue
			}
			label := c.Backend
			if len(inputs) > 1 {
				label = in.Name + ": " + label
			}
			s := Series{Label: label}
			for _, pt := range c.Points {
				l := pt.Load
				if !pt.Passed {
					l += " missed" // an SLO or the run's own standing: not an answer
				}
				s.Points = append(s.Points, Point{X: pt.PerUser, Y: pt.PerChip, Label: l, Missed: !pt.Passed})
			}
			sort.SliceStable(s.Points, func(i, j int) bool { return s.Points[i].X < s.Points[j].X })
			p.Series = append(p.Series, s)
		}
	}
	return p, len(p.Series) > 0
}

// sweepMetrics are the latencies a sweep is plotted by against throughput:
// end to end, and the two an SLO usually names.
func sweepMetrics() []struct{ hist, name string } {
	return []struct{ hist, name string }{{"latency", "Latency"}, {"ttft", "TTFT"}, {"tpot", "TPOT"}}
}

// sweep is throughput against one latency percentile for each backend and
// workload run at two or more loads (a sweep, a max-rate search): the curve
// that shows where latency takes off. The percentile is an SLO's on that
// metric where the runs were judged by one, and its bound is drawn across
// the panel; p99 otherwise.
func sweep(inputs []Input, m struct{ hist, name string }, what string) (Panel, bool, error) {
	type key struct{ backend, workload string }
	groups := map[key][]*report.Run{}
	var order []key
	pct := 99.0
	bounds := map[string]float64{}
	var boundOrder []string
	for _, in := range inputs {
		for i := range in.Report.Runs {
			r := &in.Report.Runs[i]
			k := key{r.Backend.ID, r.Workload.Model + "/" + r.Workload.Name + "/" + r.Workload.Precision}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
			for _, o := range r.Scenario.SLO {
				slo, err := bench.ParseSLO(o.Objective)
				if err != nil || slo.Metric != m.hist {
					continue
				}
				pct = slo.Percentile
				if _, ok := bounds[o.Objective]; !ok {
					boundOrder = append(boundOrder, o.Objective)
				}
				bounds[o.Objective] = float64(slo.Max) / 1e6
			}
		}
	}
	pname := "p" + strconv.FormatFloat(pct, 'g', -1, 64)
	p := Panel{Kind: "sweep", Title: fmt.Sprintf("%s %s vs throughput across loads%s", m.name, pname, what),
		XLabel: "throughput (output tokens/s, log)", YLabel: fmt.Sprintf("%s %s (ms, log)", m.name, pname), LogX: true, LogY: true}
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
			enc, ok := r.Histograms[m.hist]
			if !ok || r.Throughput.OutputTokensPerS <= 0 {
				continue
			}
			h, err := report.DecodeHist(enc)
			if err != nil {
				return p, false, fmt.Errorf("%s: %s %w", k.backend, m.hist, err)
			}
			if h.TotalCount() == 0 {
				continue
			}
			s.Points = append(s.Points, Point{X: r.Throughput.OutputTokensPerS, Y: float64(h.ValueAtQuantile(pct)) / 1e6})
		}
		if len(s.Points) == 0 {
			continue
		}
		sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].X < s.Points[j].X })
		p.Series = append(p.Series, s)
	}
	for _, o := range boundOrder {
		p.HLines = append(p.HLines, HLine{Y: bounds[o], Label: "SLO " + o})
	}
	return p, len(p.Series) > 0, nil
}

// telemetryPanels is a run's power and utilization over time, one line per
// device, where the run carries telemetry.
func telemetryPanels(label string, r *report.Run) []Panel {
	t := r.Telemetry
	if t == nil || len(t.Devices) == 0 {
		return nil
	}
	power := Panel{Kind: "telemetry", Title: "Power over the run: " + label, XLabel: "time (s)", YLabel: "power (W)"}
	util := Panel{Kind: "telemetry", Title: "Utilization over the run: " + label, XLabel: "time (s)", YLabel: "utilization (%)"}
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

// serverPanels is what the server's /metrics said over a run (--scrape):
// requests running and waiting, and the KV cache's use.
func serverPanels(label string, r *report.Run) []Panel {
	m := r.ServerMetrics
	if m == nil || len(m.Timeline) == 0 {
		return nil
	}
	queue := Panel{Kind: "server", Title: "Server requests over the run: " + label, XLabel: "time (s)", YLabel: "requests"}
	kv := Panel{Kind: "server", Title: "Server KV cache over the run: " + label, XLabel: "time (s)", YLabel: "KV cache used (%)"}
	var run, wait, use []Point
	for _, s := range m.Timeline {
		run = append(run, Point{X: s.AtS, Y: s.Running})
		wait = append(wait, Point{X: s.AtS, Y: s.Waiting})
		use = append(use, Point{X: s.AtS, Y: 100 * s.KVUsage})
	}
	queue.Series = []Series{{Label: "running", Points: run}, {Label: "waiting", Points: wait}}
	kv.Series = []Series{{Label: "KV cache", Points: use}}
	return []Panel{queue, kv}
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

// Package html renders reports and comparisons as one self-contained HTML
// file — tables and plots (SVG in data: URLs) inside, no scripts, styles or
// fonts fetched from anywhere — for CI artifacts that open anywhere.
package html

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
	"github.com/inferbench/inferbench/report/plot"
)

// style keeps every table readable at 1,280 px: no page cap below the
// window, headers that wrap, long backend ids that break, figures that do
// not. The bar charts sit side by side where there is room.
const style = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:1600px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}h3{font-size:1.05em}table{border-collapse:collapse;margin:.5em 0 1em;font-size:13px;max-width:100%}
th,td{padding:.25em .45em;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}th{background:#f4f4f4;white-space:normal;vertical-align:bottom}
td.l,th.l{text-align:left}td.l{white-space:normal;overflow-wrap:anywhere;min-width:4em}td.b{min-width:8.5em}td.slo{overflow-wrap:normal}td.ld{white-space:nowrap}tr.answer td{background:#e9f6ee;font-weight:600}.reg{color:#b00020;font-weight:600}.imp{color:#006d2c}.muted{color:#666}
p.heading{font-weight:600}p.answer{font-weight:600;color:#006d2c}
img{max-width:100%;height:auto;border:1px solid #eee;display:block;margin:.5em 0}ul.notes{color:#555}tr.bad td{background:#fdecea;color:#b00020}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(270px,1fr));gap:1em;margin:.5em 0 1em}
.chart{border:1px solid #e4e4e4;padding:.5em .75em}.chart h3{margin:.1em 0 .4em}.chart .why{color:#666;font-size:12px;margin:0 0 .4em}
.bar{display:grid;grid-template-columns:minmax(6em,40%) 1fr;gap:.5em;align-items:center;font-size:12px;margin:.2em 0}
.bar .who{overflow-wrap:anywhere}.bar .track{display:block;background:#f4f4f4;position:relative;height:1.4em}
.bar .fill{display:block;background:#8aa9c7;height:100%}.bar.best .fill{background:#74c69d}.bar .val{position:absolute;left:.3em;top:.1em;white-space:nowrap}
.bar.best .who{font-weight:600}`

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title><style>{{.Style}}</style></head>
<body>
<h1>{{.Title}}</h1>
<p class="muted">{{.Subtitle}}</p>
{{if .Comparison}}{{with .Comparison}}
<h2>Comparison</h2>
<p id="verdict" class="{{if .Regressions}}reg{{end}}">{{if .Regressions}}{{len .Regressions}} regression(s): {{range $i, $r := .Regressions}}{{if $i}}; {{end}}{{$r}}{{end}}{{else}}No significant regression beyond the threshold.{{end}}</p>
{{range .Groups}}
<h3>{{.Title}}</h3>
<table class="compare"><thead><tr><th class="l">metric</th><th class="l">unit</th><th>base</th>{{range .Columns}}<th>{{.}}</th><th>Δ</th><th class="l">test</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Unit}}</td><td>{{.Base}}</td>{{range .Cells}}<td>{{.New}}</td><td class="{{.Class}}">{{.Delta}}</td><td class="l muted">{{.Test}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}
<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{end}}
{{range .Reports}}{{$r := .}}
<h2>{{.Name}}</h2>
<p class="muted">{{.About}}</p>
<p class="heading">{{.Heading}}</p>
{{range .Answers}}<p class="answer">{{.}}</p>
{{end}}<table class="runs"><thead><tr><th>rank</th><th class="l">backend</th>{{if .Mixed}}<th class="l">workload</th>{{end}}<th class="l">load</th><th class="l">status</th>{{if .SLO}}<th class="l">SLO</th>{{end}}{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr{{if .Bad}} class="bad"{{else if .Answer}} class="answer"{{end}}><td>{{.Rank}}</td><td class="l b">{{.Backend}}</td>{{if $r.Mixed}}<td class="l">{{.Workload}}</td>{{end}}<td class="l ld">{{.Load}}</td><td class="l">{{.Status}}</td>{{if $r.SLO}}<td class="l slo">{{.SLO}}</td>{{end}}{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{if .Notes}}<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Charts}}<h3>Backends side by side</h3>
<p class="muted">Each backend at its highest passing throughput (its load in brackets); the best of each is marked ★.</p>
<div class="charts">{{range .Charts}}<div class="chart"><h3>{{.Title}}</h3><p class="why">{{.Better}}</p>
{{range .Bars}}<div class="bar{{if .Best}} best{{end}}"><span class="who">{{if .Best}}★ {{end}}{{.Label}}</span><span class="track"><span class="fill" style="{{.Width}}"></span><span class="val">{{.Value}}</span></span></div>
{{end}}</div>{{end}}</div>{{end}}
{{if .Frontier}}<h3>Throughput vs interactivity frontier</h3>
<p class="muted">Best output tokens/s per chip at a target of tokens/s per user (1000 / TPOT p50): a measured load, not interpolated.</p>
<table class="frontier"><thead><tr><th class="l">backend</th>{{range .Frontier.Targets}}<th>≥{{.}} tok/s/user</th>{{end}}</tr></thead>
<tbody>{{range .Frontier.Rows}}<tr><td class="l">{{.Backend}}</td>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>{{end}}
{{end}}
{{range .Figures}}<h2>{{.Title}}</h2>
<img id="{{.ID}}" alt="{{.Alt}}" src="{{.URL}}">
{{end}}
<p class="muted">Percentiles are read from HDR histograms (3 significant digits); their 95% intervals are order-statistic bounds. Generated by inferbench.</p>
</body></html>
`))

type view struct {
	Title, Subtitle string
	Style           template.CSS
	Comparison      *compView
	Reports         []reportView
	Figures         []figure
}

// figure is one section of plots: an image of some of the panels.
type figure struct {
	ID, Title, Alt string
	URL            template.URL
}

// chart is one bar chart of a figure across backends.
type chart struct {
	Title, Better string
	Bars          []bar
}

type bar struct {
	Label, Value string
	Width        template.CSS
	Best         bool
}

type frontierView struct {
	Targets []string
	Rows    []frontierRow
}

type frontierRow struct {
	Backend string
	Cells   []string
}

type reportView struct {
	Charts               []chart
	Frontier             *frontierView
	Name, About, Heading string
	// Answers are max-rate searches' answers; Mixed and SLO add the
	// workload and SLO columns (see report.MixedWorkloads, report.HasSLO).
	Answers    []string
	Mixed, SLO bool
	Columns    []string
	Rows       []runRow
	Notes      []string
}

type runRow struct {
	Rank                                 int
	Backend, Workload, Load, Status, SLO string
	Cells                                []string
	// Answer marks a max-rate search's answering run.
	Answer bool
}

// Bad says the row's figures are not to be trusted as they stand.
func (r runRow) Bad() bool {
	return r.Status == report.StatusFailed || r.Status == report.StatusInvalid
}

type compView struct {
	Regressions []string
	Groups      []groupView
	Notes       []string
}

type groupView struct {
	Title   string
	Columns []string
	Rows    []rowView
}

type rowView struct {
	Name, Unit, Base string
	Cells            []cellView
}

type cellView struct {
	New, Delta, Class, Test string
}

func reportOf(name string, r *report.Report) reportView {
	about := []string{"created " + r.Created.Format("2006-01-02 15:04 MST"), "inferbench " + r.Tool.Version}
	if h := r.Host; h.OS != "" || h.Cores > 0 { // a merged or hand-made report may have no host
		about = append(about, fmt.Sprintf("%s/%s, %d cores", h.OS, h.Arch, h.Cores))
	}
	about = append(about, "model "+r.Config.Model, fmt.Sprintf("seed %d", r.Config.Seed))
	v := reportView{Name: name, About: strings.Join(about, " · "), Heading: report.Heading(r),
		Answers: report.MaxRateAnswers(r), Mixed: report.MixedWorkloads(r), SLO: report.HasSLO(r)}
	cols := report.ColumnsFor(r)
	for _, c := range cols {
		t := c.Title()
		if c.Name == "throughput" {
			t = c.Unit // "throughput" twice over is the widest header of all
			if c.Unit == "tok/s" {
				t = "out tok/s"
			}
		}
		v.Columns = append(v.Columns, t)
	}
	seen := map[string]bool{}
	for _, rr := range report.Rows(r) {
		run := rr.Run
		row := runRow{Rank: rr.Rank, Backend: run.Backend.ID, Workload: report.WorkloadOf(run), Load: report.LoadOf(run),
			Status: run.Status(), SLO: run.SLOVerdict(), Answer: run.Scenario.MaxRate != nil}
		if row.SLO == "" {
			row.SLO = "-"
		}
		for _, c := range cols {
			val, ok := c.Value(run)
			s := "-"
			if ok {
				s = c.Format(val)
			}
			row.Cells = append(row.Cells, s)
		}
		v.Rows = append(v.Rows, row)
		if c := run.Cost; c != nil {
			n := fmt.Sprintf("price of %s: $%g per chip-hour × %d chip(s): %s (%s; %s)", run.Backend.ID, c.USDPerChipHour, c.Chips, c.Basis, c.Source, c.Date)
			if c.Assumption {
				n += " — assumption"
			}
			if !seen[n] { // a sweep's runs share one price: one note
				seen[n] = true
				v.Notes = append(v.Notes, n)
			}
		}
	}
	// Failed and invalid runs are named in the table and, with why, in the
	// notes: each line once.
	v.Notes = append(v.Notes, report.ProblemLines(r)...)
	// Production traffic: TTFT by turn, the prefix cache, a trace's credit.
	v.Notes = append(v.Notes, redact.Strings(report.ReplayLines(r))...)
	v.Charts = charts(r)
	v.Frontier = frontierOf(r)
	return v
}

// best is each backend's run that the side-by-side charts show: of the runs
// of one backend and workload (a rank of report.Rows), the one of most
// output throughput among those that passed, or of all when none did.
func best(r *report.Report) []*report.Run {
	var out []*report.Run
	byRank := map[int]int{}
	for _, row := range report.Rows(r) {
		i, ok := byRank[row.Rank]
		if !ok {
			byRank[row.Rank] = len(out)
			out = append(out, row.Run)
			continue
		}
		cur := out[i]
		if (row.Run.Passed() && !cur.Passed()) ||
			(row.Run.Passed() == cur.Passed() && row.Run.Throughput.OutputTokensPerS > cur.Throughput.OutputTokensPerS) {
			out[i] = row.Run
		}
	}
	return out
}

// charts are the bar charts that answer the hardware question at a glance:
// output tokens/s, $/1M tokens, J/token and TTFT p99 of each backend, the
// best marked; none for a report of one backend.
func charts(r *report.Report) []chart {
	runs := best(r)
	if len(runs) < 2 {
		return nil
	}
	type metric struct {
		title, unit, better string
		higher              bool
		value               func(*report.Run) (float64, bool)
	}
	metrics := []metric{
		{"Output tokens/s", "tok/s", "higher is better", true, func(r *report.Run) (float64, bool) {
			return r.Throughput.OutputTokensPerS, r.Throughput.OutputTokensPerS > 0
		}},
		{"$ per 1M output tokens", "$", "lower is better", false, func(r *report.Run) (float64, bool) {
			if r.Cost == nil || r.Cost.USDPerMillionOutputTokens <= 0 {
				return 0, false
			}
			return r.Cost.USDPerMillionOutputTokens, true
		}},
		{"Energy per output token", "J", "lower is better", false, func(r *report.Run) (float64, bool) {
			if r.Energy == nil || r.Energy.JoulesPerOutputToken <= 0 {
				return 0, false
			}
			return r.Energy.JoulesPerOutputToken, true
		}},
		{"TTFT p99", "ms", "lower is better", false, func(r *report.Run) (float64, bool) {
			return r.TTFT.P99, r.TTFT.Count > 0
		}},
	}
	var out []chart
	for _, m := range metrics {
		c := chart{Title: m.title, Better: m.unit + ", " + m.better}
		top, bestV, found := 0.0, 0.0, false
		for _, run := range runs {
			if v, ok := m.value(run); ok {
				top = max(top, v)
				if !found || (m.higher && v > bestV) || (!m.higher && v < bestV) {
					bestV, found = v, true
				}
			}
		}
		for _, run := range runs {
			b := bar{Label: run.Backend.ID + " (" + report.LoadOf(run) + ")", Value: "-", Width: "width:0%"}
			if v, ok := m.value(run); ok {
				b.Value = report.Num(v) + " " + m.unit
				b.Width = template.CSS(fmt.Sprintf("width:%.1f%%", 100*v/top))
				b.Best = v == bestV
			}
			c.Bars = append(c.Bars, b)
		}
		if found {
			out = append(out, c)
		}
	}
	return out
}

// frontierOf is the frontier's answer table (report.Frontier at
// report.FrontierTargets), where some backend was run at two or more loads
// that streamed; nil otherwise.
func frontierOf(r *report.Report) *frontierView {
	curves := report.Frontier(r)
	curve := false
	for _, c := range curves {
		curve = curve || len(c.Points) > 1
	}
	if !curve {
		return nil
	}
	v := &frontierView{}
	for _, t := range report.FrontierTargets {
		v.Targets = append(v.Targets, strconv.FormatFloat(t, 'g', -1, 64))
	}
	for _, c := range report.BestFirst(curves, report.FrontierTargets) {
		row := frontierRow{Backend: c.Backend}
		for _, t := range report.FrontierTargets {
			s := "-"
			if p, ok := c.BestAt(t); ok {
				s = report.Num(p.PerChip) + " (" + p.Load + ")"
			}
			row.Cells = append(row.Cells, s)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// figures draws the reports' plots in sections, each an SVG data: URL:
// the frontier, latency across loads, the latency distribution and the
// telemetry timelines; none when there is nothing to plot.
func figures(inputs []plot.Input) ([]figure, error) {
	d, err := plot.Compute(inputs)
	if err != nil {
		return nil, err
	}
	sections := []struct{ kind, id, title, alt string }{
		{"frontier", "frontier", "Frontier: output tokens/s per chip against tokens/s per user", "throughput-interactivity frontier, one curve per backend"},
		{"sweep", "sweeps", "Latency, TTFT and TPOT against throughput across loads", "latency, TTFT and TPOT percentiles against throughput, with SLO bounds"},
		{"cdf", "plots", "Latency distribution", "latency distribution per run, tail on a log scale"},
		{"telemetry", "telemetry", "Telemetry over the run", "power and utilization over each run"},
		{"server", "server", "Server metrics over the run", "requests running and waiting, and KV cache use, from the server's /metrics"},
	}
	var out []figure
	for _, sec := range sections {
		part := d.Only(func(p plot.Panel) bool { return p.Kind == sec.kind })
		if len(part.Panels) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := part.Render(&buf, "svg"); err != nil {
			return nil, err
		}
		// A data: URL built here from our own SVG bytes: safe to mark as such.
		u := template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
		out = append(out, figure{ID: sec.id, Title: sec.title, Alt: sec.alt, URL: u})
	}
	return out, nil
}

// WriteReport writes one report as a self-contained HTML page: the runs'
// table, price notes and the plots.
func WriteReport(w io.Writer, name string, r *report.Report) error {
	// A page is shared further than a report: whatever wrote r, the page
	// (plots included) carries no secret its strings may hold.
	r = r.Redacted(nil)
	figs, err := figures([]plot.Input{{Name: name, Report: r}})
	if err != nil {
		return err
	}
	return page.Execute(w, view{
		Title: "inferbench report: " + name, Subtitle: fmt.Sprintf("%d run(s), schema %s", len(r.Runs), r.Schema),
		Style: template.CSS(style), Reports: []reportView{reportOf(name, r)}, Figures: figs,
	})
}

// WriteComparison writes a comparison as a self-contained HTML page: the
// comparison's tables with regressions marked, each report's runs, and the
// plots of all of them together.
func WriteComparison(w io.Writer, res *compare.Result, inputs []compare.Input) error {
	v := view{Title: "inferbench compare", Style: template.CSS(style),
		Subtitle: redact.String(fmt.Sprintf("base %s; new %s; α=%g, threshold %g%%", res.Base, strings.Join(res.Columns, ", "), res.Alpha, 100*res.Threshold))}
	cv := &compView{Notes: redact.Strings(res.Warnings)}
	for _, r := range res.Regressions() {
		cv.Regressions = append(cv.Regressions, redact.String(r.String()))
	}
	for _, g := range res.Groups {
		gv := groupView{Title: redact.String(g.Backend + " vs " + strings.Join(g.Against, ", ") + " · " + g.Load)}
		for i, c := range res.Columns {
			gv.Columns = append(gv.Columns, redact.String(c+" ("+g.Against[i]+")"))
		}
		for _, row := range g.Rows {
			rv := rowView{Name: row.Name, Unit: row.Unit, Base: "-"}
			if row.HasBase {
				rv.Base = report.Num(row.Base)
			}
			for _, c := range row.Cells {
				cell := cellView{New: "-", Delta: c.Delta()}
				if c.OK {
					cell.New, cell.Test = report.Num(c.New), c.PValue()
				}
				switch {
				case c.Regression:
					cell.Class = "reg"
				case c.Significant && float64(row.Better)*c.DeltaPct > 0:
					cell.Class = "imp"
				}
				rv.Cells = append(rv.Cells, cell)
			}
			gv.Rows = append(gv.Rows, rv)
		}
		cv.Groups = append(cv.Groups, gv)
	}
	v.Comparison = cv
	var pins []plot.Input
	for _, in := range inputs {
		r := in.Report.Redacted(nil)
		v.Reports = append(v.Reports, reportOf(in.Name, r))
		pins = append(pins, plot.Input{Name: in.Name, Report: r})
	}
	figs, err := figures(pins)
	if err != nil {
		return err
	}
	v.Figures = figs
	return page.Execute(w, v)
}

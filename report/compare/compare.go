package compare

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/perf/benchmath"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/inferbench/inferbench/report"
)

// Input is one report to compare, with the name tables show for it (usually
// its file name).
type Input struct {
	Name   string
	Report *report.Report
}

// Options tune a comparison. The zero value is usable: α 0.05, threshold 5%,
// at most 5,000 values per histogram.
type Options struct {
	// Alpha is the significance level of the tests (default 0.05).
	Alpha float64
	// Thresholds turn significant changes for the worse into regressions
	// (default: 5% on every metric).
	Thresholds *Thresholds
	// SampleLimit bounds the values drawn from each histogram (report.Values).
	SampleLimit int
	// CrossHardware says the reports are meant to come from different
	// machines; without it, a hardware difference between the fingerprints is
	// a warning.
	CrossHardware bool
}

func (o Options) withDefaults() Options {
	if o.Alpha <= 0 || o.Alpha >= 1 {
		o.Alpha = 0.05
	}
	if o.Thresholds == nil {
		o.Thresholds = &Thresholds{Default: 0.05}
	}
	if o.SampleLimit <= 0 {
		o.SampleLimit = 5000
	}
	return o
}

// Result is a comparison of one base report with one or more new reports:
// one group per run in the base, one row per metric, one cell per new report.
type Result struct {
	Base    string   `json:"base"`
	Columns []string `json:"columns"`
	Alpha   float64  `json:"alpha"`
	// Threshold is the default threshold (a fraction); Thresholds the
	// per-metric overrides.
	Threshold  float64            `json:"threshold"`
	Thresholds map[string]float64 `json:"thresholds,omitempty"`
	Groups     []Group            `json:"groups"`
	// Warnings are statistical doubts and pairing notes: worth reading, not
	// failures.
	Warnings []string `json:"warnings,omitempty"`
}

// Group compares one base run (or its repetitions) with its partner in each
// new report.
type Group struct {
	Backend string `json:"backend"`
	Load    string `json:"load"`
	// Against holds, per column, the backend the base was paired with ("" when
	// that report has no partner).
	Against []string `json:"against"`
	Rows    []Row    `json:"rows"`
}

// Row is one metric of a group.
type Row struct {
	Metric
	Base    float64 `json:"base"`
	HasBase bool    `json:"has_base"`
	Cells   []Cell  `json:"cells"`
}

// Cell is one metric of one new report against the base.
type Cell struct {
	New float64 `json:"new"`
	// OK is false when the base or the new run lacks the metric.
	OK       bool    `json:"ok"`
	DeltaPct float64 `json:"delta_pct"`
	// P is the test's p-value; Test names the test; N1 and N2 its sample sizes.
	P           float64 `json:"p"`
	Test        string  `json:"test,omitempty"`
	N1          int     `json:"n1"`
	N2          int     `json:"n2"`
	Significant bool    `json:"significant"`
	// Regression: significant, for the worse, and beyond the threshold.
	Regression bool     `json:"regression"`
	Threshold  float64  `json:"threshold"`
	Warnings   []string `json:"warnings,omitempty"`
}

// Delta formats the change as benchstat does: "~" when not significant, else a
// signed percentage.
func (c Cell) Delta() string {
	switch {
	case !c.OK:
		return ""
	case !c.Significant:
		return "~"
	default:
		return fmt.Sprintf("%+.2f%%", c.DeltaPct)
	}
}

// Regression names one regressed metric.
type Regression struct {
	Column   string  `json:"column"`
	Backend  string  `json:"backend"`
	Against  string  `json:"against"`
	Load     string  `json:"load"`
	Metric   string  `json:"metric"`
	DeltaPct float64 `json:"delta_pct"`
}

func (r Regression) String() string {
	return fmt.Sprintf("%s %s %+.1f%%", r.Against, r.Metric, r.DeltaPct)
}

// Regressions lists every regressed cell.
func (r *Result) Regressions() []Regression {
	var out []Regression
	for _, g := range r.Groups {
		for _, row := range g.Rows {
			for i, c := range row.Cells {
				if c.Regression {
					name := row.Name
					if row.hist == "" {
						name += " " + row.Unit
					}
					out = append(out, Regression{Column: r.Columns[i], Backend: g.Backend, Against: g.Against[i],
						Load: g.Load, Metric: name, DeltaPct: c.DeltaPct})
				}
			}
		}
	}
	return out
}

// group is the runs of one report that share a key (repetitions).
type group struct {
	key, load, backend string
	runs               []*report.Run
}

func groupRuns(rep *report.Report) []*group {
	var out []*group
	byKey := map[string]*group{}
	for i := range rep.Runs {
		r := &rep.Runs[i]
		k := report.RunKey(r)
		g, ok := byKey[k]
		if !ok {
			g = &group{key: k, load: report.LoadKey(r), backend: r.Backend.ID}
			byKey[k] = g
			out = append(out, g)
		}
		g.runs = append(g.runs, r)
	}
	return out
}

// pair finds each base group's partner in news: the group with the same
// backend and load; failing that (reports from different hardware), the one
// group with the same load that no base group claimed.
func pair(base, news []*group) (partner []*group, warnings []string) {
	partner = make([]*group, len(base))
	claimed := map[*group]bool{}
	for i, b := range base {
		for _, n := range news {
			if n.key == b.key {
				partner[i], claimed[n] = n, true
				break
			}
		}
	}
	for i, b := range base {
		if partner[i] != nil {
			continue
		}
		var cands []*group
		for _, n := range news {
			if !claimed[n] && n.load == b.load {
				cands = append(cands, n)
			}
		}
		if len(cands) == 0 {
			continue
		}
		if len(cands) > 1 {
			var ids []string
			for _, c := range cands {
				ids = append(ids, c.backend)
			}
			warnings = append(warnings, fmt.Sprintf("%s (%s): several runs could be its partner (%v); paired with %s",
				b.backend, b.load, ids, cands[0].backend))
		}
		partner[i], claimed[cands[0]] = cands[0], true
	}
	for _, n := range news {
		if !claimed[n] {
			warnings = append(warnings, fmt.Sprintf("%s (%s) has no run to compare with in the base", n.backend, n.load))
		}
	}
	return partner, warnings
}

// Compare compares base with each of news. Significance comes from the
// samples: a latency percentile's row is tested with benchmath's Mann-Whitney U
// test (as benchstat) on the values of the runs' histograms, and is significant
// when the test rejects and the percentile's confidence intervals (order
// statistics, report.QuantileCI) do not overlap; a throughput,
// energy or cost row with the test on the per-run values when both sides hold
// repetitions, and otherwise with a test of two Poisson rates on the runs'
// completed-request counts (see the package doc).
func Compare(base Input, news []Input, opt Options) (*Result, error) {
	if base.Report == nil || len(news) == 0 {
		return nil, fmt.Errorf("compare: want a base and at least one new report")
	}
	opt = opt.withDefaults()
	res := &Result{Base: base.Name, Alpha: opt.Alpha, Threshold: opt.Thresholds.Default}
	if len(opt.Thresholds.PerMetric) > 0 {
		res.Thresholds = opt.Thresholds.PerMetric
	}
	bg := groupRuns(base.Report)
	if len(bg) == 0 {
		return nil, fmt.Errorf("compare: %s holds no runs", base.Name)
	}
	partners := make([][]*group, len(news))
	for j, n := range news {
		res.Columns = append(res.Columns, n.Name)
		p, w := pair(bg, groupRuns(n.Report))
		partners[j] = p
		for _, s := range w {
			res.Warnings = append(res.Warnings, n.Name+": "+s)
		}
		res.Warnings = append(res.Warnings, fingerprintWarnings(base, n, opt.CrossHardware)...)
	}
	th := map[string]float64{}
	for _, m := range Metrics() {
		th[m.ID] = opt.Thresholds.For(m.ID)
	}
	cache := newSamples(opt.SampleLimit)
	for i, b := range bg {
		g := Group{Backend: b.backend, Load: b.load}
		for j := range news {
			against := ""
			if p := partners[j][i]; p != nil {
				against = p.backend
			} else {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: no run to compare with %s (%s)", news[j].Name, b.backend, b.load))
			}
			g.Against = append(g.Against, against)
		}
		for _, m := range Metrics() {
			row := Row{Metric: m}
			row.Base, row.HasBase = center(m, b.runs, cache)
			for j := range news {
				p := partners[j][i]
				var c Cell
				if p != nil {
					c = compareCell(m, b.runs, p.runs, opt, cache)
					c.Threshold = th[m.ID]
					c.Regression = c.Significant && th[m.ID] >= 0 && worse(m.Better, c.DeltaPct, th[m.ID])
				}
				row.Cells = append(row.Cells, c)
			}
			g.Rows = append(g.Rows, row)
		}
		res.Groups = append(res.Groups, g)
	}
	return res, nil
}

func worse(b Better, deltaPct, threshold float64) bool {
	return float64(b)*deltaPct < -100*threshold
}

// center is the figure a row shows for a set of repetitions: a percentile of
// the pooled histograms, or the median of the runs' values.
func center(m Metric, runs []*report.Run, cache *samples) (float64, bool) {
	if m.hist != "" && len(runs) > 1 {
		if h := cache.pooled(runs, m.hist); h != nil {
			return float64(h.ValueAtQuantile(m.quantile)) / 1e6, true
		}
	}
	var vs []float64
	for _, r := range runs {
		if v, ok := m.value(r); ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	sort.Float64s(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

func compareCell(m Metric, base, new []*report.Run, opt Options, cache *samples) Cell {
	var c Cell
	b, okb := center(m, base, cache)
	n, okn := center(m, new, cache)
	c.New = n
	if !okb || !okn {
		return c
	}
	c.OK = true
	if b != 0 {
		c.DeltaPct = (n/b - 1) * 100
	}
	thr := &benchmath.Thresholds{CompareAlpha: opt.Alpha}
	switch {
	case m.hist != "" && cache.pooled(base, m.hist) != nil && cache.pooled(new, m.hist) != nil:
		s1 := benchmath.NewSample(cache.values(base, m.hist), thr)
		s2 := benchmath.NewSample(cache.values(new, m.hist), thr)
		cmp := benchmath.AssumeNothing.Compare(s1, s2)
		c.P, c.N1, c.N2, c.Test = cmp.P, cmp.N1, cmp.N2, "mann-whitney"
		for _, w := range cmp.Warnings {
			c.Warnings = append(c.Warnings, w.Error())
		}
		c.Significant = cmp.P < opt.Alpha
		if c.Significant {
			// The U test asks whether the distributions differ, not whether
			// this percentile moved: a tail percentile also needs its own
			// confidence intervals (order statistics) apart.
			bl, bh := report.QuantileCI(cache.pooled(base, m.hist), m.quantile/100, 1-opt.Alpha)
			nl, nh := report.QuantileCI(cache.pooled(new, m.hist), m.quantile/100, 1-opt.Alpha)
			if bl <= nh && nl <= bh {
				c.Significant = false
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s: the distributions differ (p=%.3g) but the percentile's %.0f%% intervals overlap: not significant on its own", m.Name, cmp.P, 100*(1-opt.Alpha)))
			}
		}
	case len(base) > 1 && len(new) > 1:
		var xs, ys []float64
		for _, r := range base {
			if v, ok := m.value(r); ok {
				xs = append(xs, v)
			}
		}
		for _, r := range new {
			if v, ok := m.value(r); ok {
				ys = append(ys, v)
			}
		}
		cmp := benchmath.AssumeNothing.Compare(benchmath.NewSample(xs, thr), benchmath.NewSample(ys, thr))
		c.P, c.N1, c.N2, c.Test = cmp.P, cmp.N1, cmp.N2, "mann-whitney (runs)"
		for _, w := range cmp.Warnings {
			c.Warnings = append(c.Warnings, w.Error())
		}
		c.Significant = cmp.P < opt.Alpha
	default:
		// One run a side: the figure is a count over a window. Treat completed
		// requests as a Poisson count, so the figure's relative standard error
		// is 1/√N, and test the difference with a z test.
		n1, n2 := completed(base), completed(new)
		c.N1, c.N2, c.Test = int(n1), int(n2), "poisson-z"
		if n1 <= 0 || n2 <= 0 {
			c.P = 1
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: no completed requests to test", m.Name))
			break
		}
		se := math.Sqrt(b*b/n1 + n*n/n2)
		switch {
		case b == n:
			c.P = 1
		case se == 0:
			c.P = 0
		default:
			z := math.Abs(b-n) / se
			c.P = 2 * distuv.UnitNormal.Survival(z)
		}
		c.Significant = c.P < opt.Alpha
	}
	return c
}

func completed(runs []*report.Run) float64 {
	var n float64
	for _, r := range runs {
		n += float64(r.Counts.Completed)
	}
	return n
}

// samples caches decoded and pooled histograms and their drawn values: each
// comparison reads a run's histograms once. It lives for one Compare call.
type samples struct {
	limit int
	hists map[string]*hdrhistogram.Histogram
	vals  map[string][]float64
}

func newSamples(limit int) *samples {
	return &samples{limit: limit, hists: map[string]*hdrhistogram.Histogram{}, vals: map[string][]float64{}}
}

func key(runs []*report.Run, hist string) string {
	return fmt.Sprintf("%p/%d/%s", runs[0], len(runs), hist)
}

// pooled is the sum of the runs' histograms of one name; nil when a run lacks
// it or it does not decode.
func (s *samples) pooled(runs []*report.Run, hist string) *hdrhistogram.Histogram {
	k := key(runs, hist)
	if h, ok := s.hists[k]; ok {
		return h
	}
	var sum *hdrhistogram.Histogram
	for _, r := range runs {
		enc, ok := r.Histograms[hist]
		if !ok {
			sum = nil
			break
		}
		h, err := report.DecodeHist(enc)
		if err != nil {
			sum = nil
			break
		}
		if sum == nil {
			sum = h
		} else {
			sum.Merge(h)
		}
	}
	if sum != nil && sum.TotalCount() == 0 {
		sum = nil
	}
	s.hists[k] = sum
	return sum
}

func (s *samples) values(runs []*report.Run, hist string) []float64 {
	k := key(runs, hist)
	if v, ok := s.vals[k]; ok {
		return v
	}
	v := report.Values(s.pooled(runs, hist), s.limit)
	s.vals[k] = v
	return v
}

// fingerprintWarnings says what differs between the machines and software of
// two reports: a different machine is worth a warning unless the comparison is
// across hardware on purpose; a different driver, tool or profile data on the
// same machine is always worth knowing.
func fingerprintWarnings(base, n Input, crossHardware bool) []string {
	b, f := base.Report.Fingerprint, n.Report.Fingerprint
	if b == nil || f == nil {
		return nil
	}
	d := b.Differences(*f)
	if len(d) == 0 {
		return nil
	}
	switch {
	case b.ID != f.ID && crossHardware:
		return nil
	case b.ID != f.ID:
		return []string{fmt.Sprintf("%s comes from a different machine than %s (%s): pass --cross-hardware if that is intended", n.Name, base.Name, strings.Join(d, "; "))}
	default:
		return []string{fmt.Sprintf("%s: same machine as %s, but %s", n.Name, base.Name, strings.Join(d, "; "))}
	}
}

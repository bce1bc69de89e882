package compare

import (
	"fmt"
	"sort"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/perf/benchmath"

	"github.com/inferbench/inferbench/accel"
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
	// CrossHardware says the reports come from different hardware on
	// purpose, and a significant change for the worse between them is a
	// regression. Without it, runs on different hardware are compared and
	// shown, but nothing between them gates: a slower device is not a
	// regression of the software.
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
	// CrossHardware says changes between different hardware gate
	// (Options.CrossHardware).
	CrossHardware bool    `json:"cross_hardware"`
	Groups        []Group `json:"groups"`
	// Failures are the new reports' failed runs, paired or not: each is a
	// regression (a run that failed never passes as "no change").
	Failures []Regression `json:"failures,omitempty"`
	// Warnings are statistical doubts, pairing notes and the failed, invalid
	// and cross-hardware notes: worth reading, and repeated in every format.
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
	// BaseStatus is the standing of the base runs; NewStatus, per column, of
	// their partner's.
	BaseStatus Status   `json:"base_status"`
	NewStatus  []Status `json:"new_status"`
	// OtherHardware, per column, says how the partner's hardware differs from
	// the base's ("" when it does not). Without Options.CrossHardware such a
	// column's changes are shown but do not gate.
	OtherHardware []string `json:"other_hardware"`
	Rows          []Row    `json:"rows"`
}

// Status is the standing of one side of a group: how many of its runs
// failed or are invalid, and why. A run's figures stand either way, but a
// reader must see the word next to them.
type Status struct {
	Runs    int      `json:"runs"`
	Failed  int      `json:"failed,omitempty"`
	Invalid int      `json:"invalid,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
}

// OK says no run failed and every run is valid.
func (s Status) OK() bool { return s.Failed == 0 && s.Invalid == 0 }

// Word is "ok", "FAILED", "INVALID" or "FAILED+INVALID".
func (s Status) Word() string {
	switch {
	case s.Failed > 0 && s.Invalid > 0:
		return report.StatusFailed + "+" + report.StatusInvalid
	case s.Failed > 0:
		return report.StatusFailed
	case s.Invalid > 0:
		return report.StatusInvalid
	}
	return report.StatusOK
}

// String says what is wrong, "" when nothing is: "FAILED (1 of 3 run(s)
// failed): error rate 100% above 5%".
func (s Status) String() string {
	if s.OK() {
		return ""
	}
	var n []string
	if s.Failed > 0 {
		n = append(n, fmt.Sprintf("%d of %d run(s) failed", s.Failed, s.Runs))
	}
	if s.Invalid > 0 {
		n = append(n, fmt.Sprintf("%d of %d run(s) invalid", s.Invalid, s.Runs))
	}
	out := s.Word() + " (" + strings.Join(n, ", ") + ")"
	if len(s.Reasons) > 0 {
		out += ": " + strings.Join(s.Reasons, "; ")
	}
	return out
}

// statusOf counts the failed and invalid runs, with their distinct reasons:
// the failures' first, then the invalid ones' (marked so when both occur).
func statusOf(runs []*report.Run) Status {
	s := Status{Runs: len(runs)}
	var failed, invalid []string
	seen := map[string]bool{}
	add := func(list *[]string, r string) {
		if !seen[r] {
			seen[r] = true
			*list = append(*list, r)
		}
	}
	for _, r := range runs {
		if r.Failed {
			s.Failed++
			why := r.FailReason
			if why == "" {
				why = "the system under test failed the run"
			}
			add(&failed, why)
		}
		if !r.Valid {
			s.Invalid++
			why := strings.Join(r.InvalidReasons, "; ")
			if why == "" {
				why = "no reason recorded"
			}
			add(&invalid, why)
		}
	}
	if len(failed) > 0 {
		for i := range invalid {
			invalid[i] = "invalid: " + invalid[i]
		}
	}
	s.Reasons = append(failed, invalid...)
	return s
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
	// Unjudged says why no verdict was reached ("too few repetitions to
	// judge", "new run failed: not judged"): the test could not have found
	// a change at Alpha whatever the numbers, or a side failed. Such a cell is
	// never shown as "~".
	Unjudged string `json:"unjudged,omitempty"`
	// Worse: significant, for the worse, and beyond the threshold.
	Worse bool `json:"worse"`
	// Regression: Worse, and gated: the same hardware on both sides, or
	// Options.CrossHardware.
	Regression bool     `json:"regression"`
	Threshold  float64  `json:"threshold"`
	Warnings   []string `json:"warnings,omitempty"`
}

// Delta formats the change as benchstat does: "~" when not significant, else a
// signed percentage; the reason when the cell could not be judged.
func (c Cell) Delta() string {
	switch {
	case !c.OK:
		return ""
	case c.Unjudged != "":
		return c.Unjudged
	case !c.Significant:
		return "~"
	default:
		return fmt.Sprintf("%+.2f%%", c.DeltaPct)
	}
}

// Regression names one regressed metric, or one failed run (Reason set).
type Regression struct {
	Column   string  `json:"column"`
	Backend  string  `json:"backend"`
	Against  string  `json:"against"`
	Load     string  `json:"load"`
	Metric   string  `json:"metric"`
	DeltaPct float64 `json:"delta_pct"`
	// Reason is why the run failed, for a failed run.
	Reason string `json:"reason,omitempty"`
}

func (r Regression) String() string {
	if r.Reason != "" {
		return fmt.Sprintf("%s: %s (%s) %s", r.Column, r.Against, r.Load, r.Reason)
	}
	return fmt.Sprintf("%s %s %+.1f%%", r.Against, r.Metric, r.DeltaPct)
}

// Regressions lists the failed runs of the new reports, then every
// regressed cell.
func (r *Result) Regressions() []Regression {
	out := append([]Regression(nil), r.Failures...)
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

// Ungated counts the cells that are worse beyond the threshold but do not
// gate, because the hardware differs and Options.CrossHardware is off.
func (r *Result) Ungated() int {
	n := 0
	for _, g := range r.Groups {
		for _, row := range g.Rows {
			for _, c := range row.Cells {
				if c.Worse && !c.Regression {
					n++
				}
			}
		}
	}
	return n
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

// Compare compares base with each of news. See the package doc for the
// tests. It fails, naming what each report holds, when a new report has no
// run that pairs with the base: a comparison of nothing must not pass.
func Compare(base Input, news []Input, opt Options) (*Result, error) {
	if base.Report == nil || len(news) == 0 {
		return nil, fmt.Errorf("compare: want a base and at least one new report")
	}
	opt = opt.withDefaults()
	res := &Result{Base: base.Name, Alpha: opt.Alpha, Threshold: opt.Thresholds.Default, CrossHardware: opt.CrossHardware}
	if len(opt.Thresholds.PerMetric) > 0 {
		res.Thresholds = opt.Thresholds.PerMetric
	}
	bg := groupRuns(base.Report)
	if len(bg) == 0 {
		return nil, fmt.Errorf("compare: %s holds no runs", base.Name)
	}
	partners := make([][]*group, len(news))
	for j, n := range news {
		if n.Report == nil {
			return nil, fmt.Errorf("compare: %s: no report", n.Name)
		}
		res.Columns = append(res.Columns, n.Name)
		ng := groupRuns(n.Report)
		p, w := pair(bg, ng)
		if !anyPaired(p) {
			return nil, nothingToPair(base, bg, n, ng)
		}
		partners[j] = p
		for _, s := range w {
			res.Warnings = append(res.Warnings, n.Name+": "+s)
		}
		res.Warnings = append(res.Warnings, fingerprintWarnings(base, n, opt.CrossHardware)...)
		res.Failures = append(res.Failures, failures(n, ng)...)
	}
	th := map[string]float64{}
	for _, m := range Metrics() {
		th[m.ID] = opt.Thresholds.For(m.ID)
	}
	cache := newSamples(opt.SampleLimit)
	hwNoted := map[string]bool{}
	for i, b := range bg {
		g := Group{Backend: b.backend, Load: b.load, BaseStatus: statusOf(b.runs)}
		if s := g.BaseStatus.String(); s != "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: base %s (%s) %s", base.Name, b.backend, b.load, s))
		}
		for j, n := range news {
			p := partners[j][i]
			against, hw := "", ""
			var st Status
			if p != nil {
				against = p.backend
				st = statusOf(p.runs)
				hw = otherHardware(base, n, b, p)
				if s := st.String(); s != "" {
					res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s (%s) %s", n.Name, p.backend, p.load, s))
				}
				if hw != "" && !hwNoted[n.Name+"\x00"+hw] {
					hwNoted[n.Name+"\x00"+hw] = true
					if opt.CrossHardware {
						res.Warnings = append(res.Warnings, fmt.Sprintf("%s: other hardware (%s), compared with --cross-hardware: a change for the worse is a regression", n.Name, hw))
					} else {
						res.Warnings = append(res.Warnings, fmt.Sprintf("%s: other hardware (%s): a hardware difference is not a regression, so nothing here gates (pass --cross-hardware to gate on it)", n.Name, hw))
					}
				}
			} else {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: no run to compare with %s (%s)", n.Name, b.backend, b.load))
			}
			g.Against = append(g.Against, against)
			g.NewStatus = append(g.NewStatus, st)
			g.OtherHardware = append(g.OtherHardware, hw)
		}
		for _, m := range Metrics() {
			if m.optional && !anyHas(m, b, partners, i) {
				continue
			}
			row := Row{Metric: m}
			row.Base, row.HasBase = center(m, b.runs, cache)
			for j := range news {
				p := partners[j][i]
				var c Cell
				if p != nil {
					c = compareCell(m, b.runs, p.runs, opt, cache)
					// A failed side's figures stand, but no verdict on them
					// does: a failed run's faster errors are no improvement.
					switch {
					case g.BaseStatus.Failed > 0:
						c = Cell{New: c.New, OK: c.OK, DeltaPct: c.DeltaPct, P: 1, Unjudged: "base run failed: not judged"}
					case g.NewStatus[j].Failed > 0:
						c = Cell{New: c.New, OK: c.OK, DeltaPct: c.DeltaPct, P: 1, Unjudged: "new run failed: not judged"}
					}
					c.Threshold = th[m.ID]
					c.Worse = c.Significant && th[m.ID] >= 0 && worse(m.Better, c.DeltaPct, th[m.ID])
					c.Regression = c.Worse && (g.OtherHardware[j] == "" || opt.CrossHardware)
				}
				row.Cells = append(row.Cells, c)
			}
			g.Rows = append(g.Rows, row)
		}
		res.Groups = append(res.Groups, g)
	}
	return res, nil
}

// anyHas says whether the base group or any of its partners has the
// metric: an optional row no side has is left out.
func anyHas(m Metric, b *group, partners [][]*group, i int) bool {
	if len(values(m, b.runs)) > 0 {
		return true
	}
	for _, p := range partners {
		if p[i] != nil && len(values(m, p[i].runs)) > 0 {
			return true
		}
	}
	return false
}

func anyPaired(p []*group) bool {
	for _, g := range p {
		if g != nil {
			return true
		}
	}
	return false
}

// nothingToPair is the error for a new report none of whose runs pairs with
// the base: it names what each holds, so the reason shows.
func nothingToPair(base Input, bg []*group, n Input, ng []*group) error {
	holds := func(gs []*group) string {
		if len(gs) == 0 {
			return "no runs"
		}
		var keys []string
		for i, g := range gs {
			if i == 8 {
				keys = append(keys, fmt.Sprintf("and %d more", len(gs)-i))
				break
			}
			keys = append(keys, g.backend+" "+g.load)
		}
		return strings.Join(keys, ", ")
	}
	return fmt.Errorf("compare: nothing in %s pairs with %s: runs pair by backend, model/workload/precision and load, or (across hardware) by model/workload/precision and load alone; %s holds %s; %s holds %s",
		n.Name, base.Name, base.Name, holds(bg), n.Name, holds(ng))
}

// failures lists a new report's failed runs, one entry per group.
func failures(n Input, gs []*group) []Regression {
	var out []Regression
	for _, g := range gs {
		s := statusOf(g.runs)
		if s.Failed == 0 {
			continue
		}
		s.Invalid = 0 // the failure gates; the reasons say the rest
		out = append(out, Regression{Column: n.Name, Backend: g.backend, Against: g.backend, Load: g.load,
			Metric: "run failed", Reason: s.String()})
	}
	return out
}

// otherHardware says how the hardware of two paired groups differs, "" when
// it does not: the machines' fingerprints (unless both ran simulated devices
// in virtual time, where the host does not shape the figures), then the
// devices the runs measured.
func otherHardware(base, n Input, b, p *group) string {
	var d []string
	bf, nf := base.Report.Fingerprint, n.Report.Fingerprint
	if bf != nil && nf != nil && bf.ID != nf.ID && !(virtualSim(b.runs) && virtualSim(p.runs)) {
		d = append(d, fmt.Sprintf("machine %s vs %s", bf.ID, nf.ID))
	}
	if hb, hn := device(b.runs[0]), device(p.runs[0]); hb != hn {
		d = append(d, hb+" vs "+hn)
	}
	return strings.Join(d, "; ")
}

func virtualSim(runs []*report.Run) bool {
	for _, r := range runs {
		if r.Backend.Kind != accel.KindSimulated || !r.Scenario.Virtual {
			return false
		}
	}
	return true
}

// device describes the hardware a run measured: its kind, profile, name and
// chips, and the devices its telemetry watched.
func device(r *report.Run) string {
	i := r.Backend.Info
	var parts []string
	for _, s := range []string{string(r.Backend.Kind), i.Profile, i.Name} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	chips := max(i.Chips, 1)
	parts = append(parts, fmt.Sprintf("%d chip(s)", chips))
	if t := r.Telemetry; t != nil {
		var devs []string
		for _, d := range t.Devices {
			if d.Name != "" || d.Profile != "" {
				devs = append(devs, strings.TrimSpace(d.Name+" "+d.Profile))
			}
		}
		sort.Strings(devs)
		if len(devs) > 0 {
			parts = append(parts, "watching "+strings.Join(devs, ", "))
		}
	}
	return strings.Join(parts, " ")
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
	vs := values(m, runs)
	if len(vs) == 0 {
		return 0, false
	}
	sort.Float64s(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// values are the runs' own figures of a metric, where they have it.
func values(m Metric, runs []*report.Run) []float64 {
	var vs []float64
	for _, r := range runs {
		if v, ok := m.value(r); ok {
			vs = append(vs, v)
		}
	}
	return vs
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
	switch {
	case len(base) > 1 && len(new) > 1:
		// Repetitions on both sides: the runs are the independent samples.
		// Welch's t test on their logs sees a large change with three a side,
		// where a rank test cannot reach p < 0.1.
		xs, ys := values(m, base), values(m, new)
		c.N1, c.N2, c.Test = len(xs), len(ys), "welch-t (log, runs)"
		if len(xs) < 2 || len(ys) < 2 {
			c.P, c.Unjudged = 1, "too few repetitions to judge"
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %d and %d runs hold it: a test across repetitions needs 2 or more a side", m.Name, len(xs), len(ys)))
			break
		}
		var diff float64
		c.P, diff = welchLog(xs, ys)
		c.Significant = c.P < opt.Alpha
		if c.Significant && diff*c.DeltaPct < 0 {
			c.Significant = false
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: the runs' geometric means and the shown figures move in opposite directions: not significant", m.Name))
		}
	case m.hist != "" && cache.pooled(base, m.hist) != nil && cache.pooled(new, m.hist) != nil:
		thr := &benchmath.Thresholds{CompareAlpha: opt.Alpha}
		s1 := benchmath.NewSample(cache.values(base, m.hist), thr)
		s2 := benchmath.NewSample(cache.values(new, m.hist), thr)
		cmp := benchmath.AssumeNothing.Compare(s1, s2)
		c.P, c.N1, c.N2, c.Test = cmp.P, cmp.N1, cmp.N2, "mann-whitney"
		if uMinP(cmp.N1, cmp.N2) >= opt.Alpha {
			c.Unjudged = "too few samples to judge"
			break
		}
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
	default:
		// One run on a side: the figure is a count over a window. Treat
		// completed requests as a Poisson count, so the figure's relative
		// standard error is 1/√N.
		n1, n2 := completed(base), completed(new)
		c.N1, c.N2, c.Test = int(n1), int(n2), "poisson-z"
		if n1 <= 0 || n2 <= 0 {
			c.P, c.Unjudged = 1, "no completed requests to judge"
			break
		}
		c.P = poissonZ(b, n1, n, n2)
		if poissonMinP(n1, n2) >= opt.Alpha {
			c.Unjudged = "too few requests to judge"
			break
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
// two reports: a different machine is worth a note unless the comparison is
// across hardware on purpose (and says whether it gates); a different driver,
// tool or profile data on the same machine is always worth knowing.
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
	case b.ID != f.ID && allVirtualSim(base.Report) && allVirtualSim(n.Report):
		return []string{fmt.Sprintf("%s comes from a different machine than %s (%s); its runs are simulated devices in virtual time, which the host does not shape, so they are compared and gated as usual", n.Name, base.Name, strings.Join(d, "; "))}
	case b.ID != f.ID:
		return []string{fmt.Sprintf("%s comes from a different machine than %s (%s): a hardware difference is not a regression, so nothing between them gates (pass --cross-hardware to gate on it)", n.Name, base.Name, strings.Join(d, "; "))}
	default:
		return []string{fmt.Sprintf("%s: same machine as %s, but %s", n.Name, base.Name, strings.Join(d, "; "))}
	}
}

func allVirtualSim(r *report.Report) bool {
	runs := make([]*report.Run, len(r.Runs))
	for i := range r.Runs {
		runs[i] = &r.Runs[i]
	}
	return virtualSim(runs)
}

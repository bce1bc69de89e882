package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// FrontierTargets are the interactivity targets, in output tokens per second
// per user, at which a frontier is read by default: a slow reader, a fast
// reader, and an agent that reads as fast as it is given.
var FrontierTargets = []float64{20, 50, 100}

// FrontierPoint is one load of a backend's throughput-interactivity
// frontier: what each user gets against what each chip delivers.
type FrontierPoint struct {
	Load string // "c=8", "5 req/s"
	// PerUser is output tokens per second each user sees while a response
	// streams: 1000 / TPOT p50 (ms).
	PerUser float64
	// PerChip is output tokens per second per chip the model is split over.
	PerChip float64
	// USDPerMTok and JPerTok are the run's $/1M output tokens and J/token,
	// 0 where the run has no price or energy.
	USDPerMTok, JPerTok float64
	// Passed says the run's figures stand and met every SLO (Run.Passed);
	// Status is the run's standing.
	Passed bool
	Status string
}

// FrontierCurve is one backend's frontier on one workload, in load order.
type FrontierCurve struct {
	Backend  string
	Workload string
	Chips    int
	Points   []FrontierPoint
}

// Frontier reads the throughput-interactivity frontier off a report: for
// each backend and workload, in Rows' order, one point per run that streamed
// (TPOT has values). Any run makes a point; a concurrency sweep (inferbench
// frontier) makes a curve.
func Frontier(r *Report) []FrontierCurve {
	var out []FrontierCurve
	index := map[string]int{}
	for _, row := range Rows(r) {
		run := row.Run
		if run.TPOT.Count == 0 || run.TPOT.P50 <= 0 {
			continue
		}
		k := run.Backend.ID + "\x00" + run.Label + "\x00" + WorkloadOf(run)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, FrontierCurve{Backend: run.Backend.ID, Workload: WorkloadOf(run), Chips: max(run.Backend.Info.Chips, 1)})
		}
		p := FrontierPoint{Load: LoadOf(run), PerUser: 1000 / run.TPOT.P50,
			PerChip: run.Throughput.OutputTokensPerS / float64(max(run.Backend.Info.Chips, 1)), Passed: run.Passed(), Status: run.Status()}
		if run.Cost != nil {
			p.USDPerMTok = run.Cost.USDPerMillionOutputTokens
		}
		if run.Energy != nil {
			p.JPerTok = run.Energy.JoulesPerOutputToken
		}
		out[i].Points = append(out[i].Points, p)
	}
	return out
}

// BestAt is the point of most per-chip throughput among those that passed
// and give each user at least target tokens per second; ok is false where
// none does. Points are measured, not interpolated: the answer is a load
// that was run.
func (c FrontierCurve) BestAt(target float64) (p FrontierPoint, ok bool) {
	for _, q := range c.Points {
		if q.Passed && q.PerUser >= target && (!ok || q.PerChip > p.PerChip) {
			p, ok = q, true
		}
	}
	return p, ok
}

// WriteFrontier writes the frontier as text: each backend's points (load,
// tokens/s per user, tokens/s per chip, $/1M tokens, J/token, standing),
// then the best per-chip throughput each backend gives at each target.
func WriteFrontier(w io.Writer, r *Report, targets []float64) error {
	curves := Frontier(r)
	if len(curves) == 0 {
		_, err := fmt.Fprintln(w, "frontier: no run streamed tokens (TPOT has no values), so there is no tokens/s per user to plot")
		return err
	}
	mixed := MixedWorkloads(r)
	fmt.Fprintln(w, "frontier: output tokens/s per chip against tokens/s per user (1000 / TPOT p50)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "backend\t"
	if mixed {
		head += "workload\t"
	}
	fmt.Fprintln(tw, head+"load\ttok/s/user\ttok/s/chip\t$/1M tok\tJ/token\tstatus\t")
	for _, c := range curves {
		for _, p := range c.Points {
			fmt.Fprintf(tw, "%s\t", c.Backend)
			if mixed {
				fmt.Fprintf(tw, "%s\t", c.Workload)
			}
			st := p.Status
			if !p.Passed && st == StatusOK {
				st = "SLO missed"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", p.Load, Num(p.PerUser), Num(p.PerChip), numOrDash(p.USDPerMTok), numOrDash(p.JPerTok), st)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nbest output tokens/s per chip at a target of tokens/s per user (a measured load, not interpolated):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head = "backend\t"
	if mixed {
		head += "workload\t"
	}
	for _, t := range targets {
		head += "≥" + strconv.FormatFloat(t, 'g', -1, 64) + " tok/s/user\t"
	}
	fmt.Fprintln(tw, head)
	for _, c := range BestFirst(curves, targets) {
		fmt.Fprintf(tw, "%s\t", c.Backend)
		if mixed {
			fmt.Fprintf(tw, "%s\t", c.Workload)
		}
		for _, t := range targets {
			if p, ok := c.BestAt(t); ok {
				fmt.Fprintf(tw, "%s (%s)\t", Num(p.PerChip), p.Load)
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// BestFirst orders curves by their best per-chip throughput at the first
// target that any curve meets, then at the next, so the table reads as a
// ranking; curves meeting no target keep their order, last.
func BestFirst(curves []FrontierCurve, targets []float64) []FrontierCurve {
	out := append([]FrontierCurve(nil), curves...)
	score := func(c FrontierCurve) []float64 {
		var s []float64
		for _, t := range targets {
			p, _ := c.BestAt(t)
			s = append(s, p.PerChip)
		}
		return s
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := score(out[i]), score(out[j])
		for k := range a {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return false
	})
	return out
}

// ParseTargets reads a comma-separated list of tokens/s per user
// ("20,50,100").
func ParseTargets(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("target %q: want tokens/s per user above 0, e.g. 20,50,100", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func numOrDash(v float64) string {
	if v <= 0 {
		return "-"
	}
	return Num(v)
}

package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Row is a run as every table shows it: its place in the ranking and the run.
type Row struct {
	// Rank is the run's group's place: the runs of one backend and
	// workload (a sweep's points, a search's probes) share a rank, so a
	// sweep reads as one backend's curve rather than as rows that outrank
	// each other.
	Rank int
	Run  *Run
}

// Rows orders a report's runs for a table. Groups of one backend and
// workload are ranked by the most output tokens per second any of their runs
// delivered while passing (status ok or interrupted, every SLO met), so a
// max-rate probe that broke its SLO does not rank a backend first; groups
// with no passing run come last, ranked by their best throughput. Within a group, runs are
// in load order (concurrency or rate, lowest first), then in report order.
func Rows(r *Report) []Row {
	type group struct {
		best  float64
		pass  bool
		first int
		runs  []*Run
	}
	var groups []*group
	byKey := map[string]*group{}
	for i := range r.Runs {
		run := &r.Runs[i]
		k := run.Backend.ID + "\x00" + run.Label + "\x00" + run.Workload.Model + "/" + run.Workload.Name + "/" + run.Workload.Precision
		if run.Scenario.Name != "sweep" && run.Scenario.Name != "max-rate" {
			k += "\x00" + LoadLabel(&run.Scenario) // a suite's distinct jobs are groups of their own
		}
		g, ok := byKey[k]
		if !ok {
			g = &group{first: i}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.runs = append(g.runs, run)
		switch tok := run.Throughput.OutputTokensPerS; {
		case run.Passed() && (!g.pass || tok > g.best):
			g.pass, g.best = true, tok
		case !g.pass && tok > g.best:
			g.best = tok
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.pass != b.pass {
			return a.pass
		}
		return a.best > b.best
	})
	var out []Row
	for i, g := range groups {
		sort.SliceStable(g.runs, func(a, b int) bool { return loadValue(g.runs[a]) < loadValue(g.runs[b]) })
		for _, run := range g.runs {
			out = append(out, Row{Rank: i + 1, Run: run})
		}
	}
	return out
}

// loadValue is the figure a run's load is ordered by: its rate, or its
// concurrency.
func loadValue(r *Run) float64 {
	if r.Scenario.Rate > 0 {
		return r.Scenario.Rate
	}
	return float64(r.Scenario.Concurrency)
}

// Passed says the run's figures stand and meet every SLO it was judged by.
func (r *Run) Passed() bool {
	if s := r.Status(); s != StatusOK && s != StatusInterrupted {
		return false
	}
	for _, o := range r.Scenario.SLO {
		if !o.Met {
			return false
		}
	}
	return true
}

// LoadOf is the load a run was measured at, as a table's load column shows
// it: "c=8" for a closed loop, "5 req/s" for an open one, "-" for neither.
func LoadOf(r *Run) string {
	switch {
	case r.Scenario.Rate > 0:
		return strconv.FormatFloat(r.Scenario.Rate, 'g', 4, 64) + " req/s"
	case r.Scenario.Concurrency > 0:
		return "c=" + strconv.Itoa(r.Scenario.Concurrency)
	}
	return "-"
}

// SLOVerdict is the run's standing against its SLOs in a word or two:
// "met", "missed" with the objectives missed, and "" when the run was judged
// by none.
func (r *Run) SLOVerdict() string {
	if len(r.Scenario.SLO) == 0 {
		return ""
	}
	var missed []string
	for _, o := range r.Scenario.SLO {
		if !o.Met {
			missed = append(missed, o.Objective)
		}
	}
	if len(missed) > 0 {
		return "missed " + strings.Join(missed, ",")
	}
	return "met"
}

// HasSLO says whether any run of the report was judged by an SLO: tables
// show an SLO column only then.
func HasSLO(r *Report) bool {
	for i := range r.Runs {
		if len(r.Runs[i].Scenario.SLO) > 0 {
			return true
		}
	}
	return false
}

// Heading names what the report measured in one line: workload, model,
// scenario and how long each run lasted. Where runs differ (a suite) each
// field lists the distinct values.
func Heading(r *Report) string {
	var workloads, models, scenarios []string
	add := func(list *[]string, v string) {
		if v == "" {
			return
		}
		for _, s := range *list {
			if s == v {
				return
			}
		}
		*list = append(*list, v)
	}
	var longest float64
	for i := range r.Runs {
		run := &r.Runs[i]
		add(&workloads, run.Workload.Name)
		add(&models, run.Workload.Model)
		add(&scenarios, run.Scenario.Name)
		longest = max(longest, run.DurationS)
	}
	if len(r.Runs) == 0 {
		add(&workloads, r.Config.Workload)
		add(&models, r.Config.Model)
		add(&scenarios, r.Config.Scenario)
	}
	none := func(l []string) string {
		if len(l) == 0 {
			return "-"
		}
		return strings.Join(l, ", ")
	}
	dur := ""
	if d := r.Config.Duration; d != "" && d != "0s" {
		dur = d + " per run"
	}
	if r.Config.Requests > 0 {
		if dur != "" {
			dur += " or "
		}
		dur += fmt.Sprintf("%d requests", r.Config.Requests)
	}
	if dur == "" {
		dur = "measured " + strconv.FormatFloat(longest, 'g', 4, 64) + " s"
	}
	return fmt.Sprintf("workload %s · model %s · scenario %s · duration %s", none(workloads), none(models), none(scenarios), dur)
}

// MaxRateAnswers states each max-rate search's answer, one line per backend
// and workload searched: the highest rate that passed and the SLOs it met,
// or that no probed rate passed. The answer is the run that carries
// Scenario.MaxRate.
func MaxRateAnswers(r *Report) []string {
	var out []string
	seen := map[string]bool{}
	for _, row := range Rows(r) {
		run := row.Run
		if run.Scenario.Name != "max-rate" {
			continue
		}
		k := run.Backend.ID + "\x00" + run.Label + "\x00" + WorkloadOf(run)
		if seen[k] {
			continue
		}
		seen[k] = true
		var answer *Run
		var objectives []string
		for i := range r.Runs {
			o := &r.Runs[i]
			if o.Scenario.Name != "max-rate" || o.Backend.ID+"\x00"+o.Label+"\x00"+WorkloadOf(o) != k {
				continue
			}
			if o.Scenario.MaxRate != nil {
				answer = o
			}
			if objectives == nil {
				for _, s := range o.Scenario.SLO {
					objectives = append(objectives, s.Objective)
				}
			}
		}
		slos := strings.Join(objectives, ", ")
		if slos == "" {
			slos = "no SLO (a valid run that did not fail)"
		}
		who := run.Backend.ID
		if run.Label != "" {
			who += " " + run.Label
		}
		if answer == nil {
			out = append(out, fmt.Sprintf("%s: no probed rate met %s", who, slos))
			continue
		}
		out = append(out, fmt.Sprintf("%s: max rate %s req/s meets %s (%s out tok/s)", who,
			strconv.FormatFloat(*answer.Scenario.MaxRate, 'g', 4, 64), slos, Num(answer.Throughput.OutputTokensPerS)))
	}
	return out
}

// WorkloadOf names a run's workload as tables show it when a report holds
// several: model/workload/precision.
func WorkloadOf(r *Run) string {
	return strings.TrimSuffix(LoadKey(&Run{Workload: r.Workload}), " ")
}

// MixedWorkloads says whether the report's runs measured more than one
// workload (a suite): tables then show a workload column, as the heading
// cannot name one. Precision is not the workload: an endpoint that does not
// say its own beside a simulated bf16 device is the same workload.
func MixedWorkloads(r *Report) bool {
	for i := range r.Runs {
		a, b := &r.Runs[i].Workload, &r.Runs[0].Workload
		if a.Model != b.Model || a.Name != b.Name {
			return true
		}
	}
	return false
}

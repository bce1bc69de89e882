package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Formats lists the formats Write renders.
func Formats() []string { return []string{"text", "markdown", "json", "csv"} }

// Write renders a report in one of Formats.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "text":
		return WriteText(w, r)
	case "markdown", "md":
		return WriteMarkdown(w, r)
	case "json":
		return r.Encode(w)
	case "csv":
		return WriteCSV(w, r)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// Column is one figure of a run, as tables show it.
type Column struct {
	Name string
	Unit string
	// Count says the figure is a count, written as an integer.
	Count bool
	// Value reads the figure; ok is false where the run lacks it.
	Value func(r *Run) (v float64, ok bool)
}

func always(f func(r *Run) float64) func(r *Run) (float64, bool) {
	return func(r *Run) (float64, bool) { return f(r), true }
}

// of reads a figure of one of a run's summaries; a summary with no values (a
// run in which nothing completed, TPOT of a run that was not streamed) has
// no figure, not a 0 that reads like one.
func of(s func(r *Run) *Summary, f func(s *Summary) float64) func(r *Run) (float64, bool) {
	return func(r *Run) (float64, bool) {
		sum := s(r)
		if sum.Count == 0 {
			return 0, false
		}
		return f(sum), true
	}
}

func latency(r *Run) *Summary { return &r.Latency }
func ttft(r *Run) *Summary    { return &r.TTFT }
func tpot(r *Run) *Summary    { return &r.TPOT }
func p50(s *Summary) float64  { return s.P50 }
func p90(s *Summary) float64  { return s.P90 }
func p99(s *Summary) float64  { return s.P99 }

// Columns lists the figures of a run that tables show, in order.
func Columns() []Column {
	return []Column{
		{"requests", "", true, always(func(r *Run) float64 { return float64(r.Counts.Requests) })},
		{"errors", "", true, always(func(r *Run) float64 { return float64(r.Counts.Errors) })},
		{"throughput", "req/s", false, always(func(r *Run) float64 { return r.Throughput.RequestsPerS })},
		{"throughput", "tok/s", false, always(func(r *Run) float64 { return r.Throughput.OutputTokensPerS })},
		{"latency p50", "ms", false, of(latency, p50)},
		{"latency p90", "ms", false, of(latency, p90)},
		{"latency p99", "ms", false, of(latency, p99)},
		{"TTFT p50", "ms", false, of(ttft, p50)},
		{"TTFT p99", "ms", false, of(ttft, p99)},
		{"TPOT p50", "ms", false, of(tpot, p50)},
		{"TPOT p99", "ms", false, of(tpot, p99)},
		{"energy", "J/tok", false, func(r *Run) (float64, bool) {
			if r.Energy == nil {
				return 0, false
			}
			return r.Energy.JoulesPerOutputToken, true
		}},
		{"power", "W", false, func(r *Run) (float64, bool) {
			if r.Energy == nil {
				return 0, false
			}
			return r.Energy.AvgPowerW, true
		}},
		{"price", "$/h", false, func(r *Run) (float64, bool) {
			if r.Cost == nil {
				return 0, false
			}
			return r.Cost.USDPerHour, true
		}},
		{"cost", "$/1M tok", false, func(r *Run) (float64, bool) {
			if r.Cost == nil {
				return 0, false
			}
			return r.Cost.USDPerMillionOutputTokens, true
		}},
	}
}

// ColumnsFor is Columns with, where a run of r has them, a reasoning
// model's figures after TTFT: TTFO p50 and p99 (the first answer token,
// after any reasoning) and the mean reasoning tokens per request. Reports
// without them keep the columns they always had.
func ColumnsFor(r *Report) []Column {
	cols := Columns()
	if !Reasons(r) {
		return cols
	}
	at := 0
	for i, c := range cols {
		if c.Name == "TTFT p99" {
			at = i + 1
		}
	}
	return append(cols[:at], append(reasoningColumns(), cols[at:]...)...)
}

// reasoningColumns are a reasoning model's figures.
func reasoningColumns() []Column {
	ttfo := func(f func(s *Summary) float64) func(r *Run) (float64, bool) {
		return func(r *Run) (float64, bool) {
			if r.TTFO == nil || r.TTFO.Count == 0 {
				return 0, false
			}
			return f(r.TTFO), true
		}
	}
	return []Column{
		{"TTFO p50", "ms", false, ttfo(p50)},
		{"TTFO p99", "ms", false, ttfo(p99)},
		{"reasoning", "tok/req", false, func(r *Run) (float64, bool) {
			return r.Workload.MeanReasoningTokens, r.Workload.MeanReasoningTokens > 0
		}},
	}
}

// Reasons says whether a run of r told reasoning from answer: it has a
// TTFO summary or reasoning tokens.
func Reasons(r *Report) bool {
	for i := range r.Runs {
		if run := &r.Runs[i]; (run.TTFO != nil && run.TTFO.Count > 0) || run.Workload.MeanReasoningTokens > 0 {
			return true
		}
	}
	return false
}

// Title is a column's header: its name and unit.
func (c Column) Title() string {
	if c.Unit == "" {
		return c.Name
	}
	return c.Name + " " + c.Unit
}

// WriteMarkdown writes the runs as a GitHub-flavoured markdown table, one row
// per run in Rows' order, for CI job summaries.
func WriteMarkdown(w io.Writer, r *Report) error {
	cols := ColumnsFor(r)
	slo, mixed := HasSLO(r), MixedWorkloads(r)
	fmt.Fprintf(w, "### inferbench report\n\n%s · %s · seed %d\n\n%s\n\n| rank | backend |", r.Created.Format("2006-01-02 15:04 MST"), r.Config.Model, r.Config.Seed, Heading(r))
	sep := "| ---: | --- |"
	if mixed {
		fmt.Fprint(w, " workload |")
		sep += " --- |"
	}
	fmt.Fprint(w, " load | status |")
	sep += " ---: | --- |"
	if slo {
		fmt.Fprint(w, " SLO |")
		sep += " --- |"
	}
	for _, c := range cols {
		fmt.Fprintf(w, " %s |", strings.ReplaceAll(c.Title(), "$", `\$`))
		sep += " ---: |"
	}
	fmt.Fprintf(w, "\n%s\n", sep)
	for _, row := range Rows(r) {
		run := row.Run
		status := run.Status()
		if status != StatusOK && status != StatusInterrupted {
			status = "**" + status + "**"
		}
		fmt.Fprintf(w, "| %d | %s |", row.Rank, mdEscape(run.Backend.ID))
		if mixed {
			fmt.Fprintf(w, " %s |", mdEscape(WorkloadOf(run)))
		}
		fmt.Fprintf(w, " %s | %s |", LoadOf(run), status)
		if slo {
			v := orDash(run.SLOVerdict())
			if v != "met" && v != "-" {
				v = "**" + mdEscape(v) + "**"
			}
			fmt.Fprintf(w, " %s |", v)
		}
		for _, c := range cols {
			fmt.Fprintf(w, " %s |", cell(c, run))
		}
		fmt.Fprintln(w)
	}
	if answers := MaxRateAnswers(r); len(answers) > 0 {
		fmt.Fprintln(w)
		for _, a := range answers {
			fmt.Fprintf(w, "**%s**\n\n", mdEscape(a))
		}
	}
	if lines := ProblemLines(r); len(lines) > 0 {
		fmt.Fprintln(w)
		for _, l := range lines {
			fmt.Fprintf(w, "- :warning: %s\n", mdEscape(l))
		}
	}
	if notes := costNotes(r); notes != "" {
		fmt.Fprintf(w, "\n%s\n", notes)
	}
	return nil
}

// mdEscape keeps a line of free text (an error message) from breaking
// markdown: pipes and the characters that start emphasis or links.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "[", `\[`, "`", "'", "$", `\$`, "<", "&lt;").Replace(s)
}

func cell(c Column, run *Run) string {
	v, ok := c.Value(run)
	if !ok {
		return "-"
	}
	return c.Format(v)
}

// Format writes one of the column's figures: counts as integers, the rest
// with about four significant digits.
func (c Column) Format(v float64) string {
	if c.Count {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return Num(v)
}

// costNotes says where each price comes from and marks assumptions.
func costNotes(r *Report) string {
	var lines []string
	seen := map[string]bool{}
	for i := range r.Runs {
		c := r.Runs[i].Cost
		if c == nil {
			continue
		}
		s := fmt.Sprintf("price of %s: $%g per chip-hour × %d: %s (%s", r.Runs[i].Backend.ID, c.USDPerChipHour, c.Chips, c.Basis, c.Source)
		if c.Date != "" {
			s += ", " + c.Date
		}
		s += ")"
		if c.Assumption {
			s += " [assumption]"
		}
		if !seen[s] {
			seen[s] = true
			lines = append(lines, "- "+s)
		}
	}
	return strings.Join(lines, "\n")
}

// appendFigures appends a run's figure of each column as CSV writes them:
// counts as integers, the rest to six significant digits, "" where absent.
func appendFigures(row []string, cols []Column, run *Run) []string {
	for _, c := range cols {
		v, ok := c.Value(run)
		switch {
		case !ok:
			row = append(row, "")
		case c.Count:
			row = append(row, strconv.FormatFloat(v, 'f', 0, 64))
		default:
			row = append(row, strconv.FormatFloat(v, 'g', 6, 64))
		}
	}
	return row
}

// WriteCSV writes one line per run, in Rows' order, with every column's
// figure; the SLO verdict and a max-rate search's answer (on the run that
// answers) come next, so the columns before them keep their places, and a
// reasoning model's figures (ColumnsFor) last, where a run has them.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	name := strings.NewReplacer(" ", "_", "/", "_per_", "$", "usd").Replace
	head := []string{"backend", "label", "model", "workload", "precision", "scenario", "rate", "concurrency", "chips", "status", "problems"}
	for _, c := range Columns() {
		head = append(head, name(c.Title()))
	}
	head = append(head, "rank", "duration_s", "slo", "max_rate_req_per_s")
	var extra []Column
	if Reasons(r) {
		extra = reasoningColumns()
	}
	for _, c := range extra {
		head = append(head, name(c.Title()))
	}
	cw.Write(head)
	for _, rr := range Rows(r) {
		run := rr.Run
		row := []string{run.Backend.ID, run.Label, run.Workload.Model, run.Workload.Name, run.Workload.Precision,
			run.Scenario.Name, strconv.FormatFloat(run.Scenario.Rate, 'g', -1, 64), strconv.Itoa(run.Scenario.Concurrency),
			strconv.Itoa(max(run.Backend.Info.Chips, 1)), run.Status(), strings.Join(run.Problems(), "; ")}
		row = appendFigures(row, Columns(), run)
		maxRate := ""
		if m := run.Scenario.MaxRate; m != nil {
			maxRate = strconv.FormatFloat(*m, 'g', -1, 64)
		}
		row = append(row, strconv.Itoa(rr.Rank), strconv.FormatFloat(run.DurationS, 'g', 6, 64), run.SLOVerdict(), maxRate)
		row = appendFigures(row, extra, run)
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

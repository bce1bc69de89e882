package compare

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/inferbench/inferbench/report"
)

// Formats lists the formats Write knows.
func Formats() []string { return []string{"text", "markdown", "json", "csv"} }

// Write renders a comparison in one of Formats.
func Write(w io.Writer, r *Result, format string) error {
	switch format {
	case "text":
		return WriteText(w, r)
	case "markdown", "md":
		return WriteMarkdown(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return WriteCSV(w, r)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// PValue formats a cell's test result: "p=0.012 n=300+300"; "" when no
// test ran.
func (c Cell) PValue() string {
	if !c.OK || c.Test == "" {
		return ""
	}
	n := fmt.Sprintf("n=%d+%d", c.N1, c.N2)
	if c.N1 == c.N2 {
		n = fmt.Sprintf("n=%d", c.N1)
	}
	return fmt.Sprintf("p=%.3f %s", c.P, n)
}

func (c Cell) value() string {
	if !c.OK {
		return "-"
	}
	return report.Num(c.New)
}

func (c Cell) mark() string {
	switch {
	case c.Regression:
		return "REGRESSION"
	case c.Worse:
		return "worse (other hardware: not gated)"
	}
	return ""
}

func header(r *Result) string {
	th := fmt.Sprintf("threshold %s", pct(r.Threshold))
	for _, id := range MetricIDs() {
		if v, ok := r.Thresholds[id]; ok {
			th += fmt.Sprintf(", %s %s", id, pct(v))
		}
	}
	if r.CrossHardware {
		th += ", --cross-hardware"
	}
	return fmt.Sprintf("base %s; new %s (α=%g, %s)", r.Base, strings.Join(r.Columns, ", "), r.Alpha, th)
}

func pct(f float64) string {
	if f < 0 {
		return "off"
	}
	return strconv.FormatFloat(100*f, 'g', 4, 64) + "%"
}

func groupTitle(g Group, cols []string) string {
	var vs []string
	for i, a := range g.Against {
		switch {
		case a == "":
			vs = append(vs, cols[i]+": no partner")
		case len(cols) > 1:
			vs = append(vs, cols[i]+": "+a)
		default:
			vs = append(vs, a)
		}
	}
	return fmt.Sprintf("%s vs %s · %s", g.Backend, strings.Join(vs, ", "), g.Load)
}

// groupFlags are the lines a group's table must carry above its numbers: a
// failed or invalid side, and a partner on other hardware.
func groupFlags(g Group, cols []string, cross bool) []string {
	var out []string
	if s := g.BaseStatus.String(); s != "" {
		out = append(out, "base "+s)
	}
	for i, st := range g.NewStatus {
		if s := st.String(); s != "" {
			out = append(out, cols[i]+" "+s)
		}
	}
	for i, hw := range g.OtherHardware {
		switch {
		case hw == "":
		case cross:
			out = append(out, fmt.Sprintf("%s: other hardware (%s): gated (--cross-hardware)", cols[i], hw))
		default:
			out = append(out, fmt.Sprintf("%s: other hardware (%s): not a regression, not gated (pass --cross-hardware to gate)", cols[i], hw))
		}
	}
	return out
}

// WriteText writes aligned tables: one per base run, one row per metric; with
// one new report the columns are base, new, delta and the test, with several
// (a matrix) a value and a delta per report.
func WriteText(w io.Writer, r *Result) error {
	fmt.Fprintln(w, header(r))
	for _, g := range r.Groups {
		fmt.Fprintf(w, "\n%s\n", groupTitle(g, r.Columns))
		for _, f := range groupFlags(g, r.Columns, r.CrossHardware) {
			fmt.Fprintf(w, "! %s\n", f)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if len(r.Columns) == 1 {
			fmt.Fprintln(tw, "metric\tunit\tbase\tnew\tdelta\ttest\t")
			for _, row := range g.Rows {
				c := row.Cells[0]
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Name, row.Unit, baseValue(row), c.value(), c.Delta(), c.PValue(), c.mark())
			}
		} else {
			fmt.Fprint(tw, "metric\tunit\tbase\t")
			for _, col := range r.Columns {
				fmt.Fprintf(tw, "%s\tdelta\t", col)
			}
			fmt.Fprintln(tw)
			for _, row := range g.Rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t", row.Name, row.Unit, baseValue(row))
				for _, c := range row.Cells {
					d := c.Delta()
					switch {
					case c.Regression:
						d += " !"
					case c.Worse:
						d += " (hw)"
					}
					fmt.Fprintf(tw, "%s\t%s\t", c.value(), d)
				}
				fmt.Fprintln(tw)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	writeFooter(w, r, "")
	return nil
}

func baseValue(row Row) string {
	if !row.HasBase {
		return "-"
	}
	return report.Num(row.Base)
}

func writeFooter(w io.Writer, r *Result, bullet string) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s~: no significant change (p ≥ %g). With repetitions on both sides, every row: Welch's t test on the logs of the runs' figures. Otherwise latency rows: Mann-Whitney U on the histograms' values; throughput, reasoning tokens, energy, cost: Poisson rate test on completed requests. \"too few ... to judge\": no test at α=%g could have found a change.\n", bullet, r.Alpha, r.Alpha)
	regs := r.Regressions()
	if len(regs) > 0 {
		var names []string
		for _, g := range regs {
			names = append(names, g.String())
		}
		fmt.Fprintf(w, "%sregressions (%d): %s\n", bullet, len(regs), strings.Join(names, "; "))
	}
	seen := map[string]bool{}
	var notes []string
	notes = append(notes, r.Warnings...)
	for _, g := range r.Groups {
		for _, row := range g.Rows {
			for _, c := range row.Cells {
				notes = append(notes, c.Warnings...)
			}
		}
	}
	for _, n := range notes {
		if !seen[n] {
			seen[n] = true
			fmt.Fprintf(w, "%snote: %s\n", bullet, n)
		}
	}
}

// WriteMarkdown writes GitHub-flavoured markdown tables, for CI job summaries.
func WriteMarkdown(w io.Writer, r *Result) error {
	fmt.Fprintf(w, "### inferbench compare\n\n%s\n", mdEscape(header(r)))
	for _, g := range r.Groups {
		fmt.Fprintf(w, "\n#### %s\n\n", mdEscape(groupTitle(g, r.Columns)))
		for _, f := range groupFlags(g, r.Columns, r.CrossHardware) {
			fmt.Fprintf(w, "> **⚠ %s**\n\n", mdEscape(f))
		}
		fmt.Fprint(w, "| metric | unit | base |")
		sep := "| --- | --- | ---: |"
		for _, col := range r.Columns {
			fmt.Fprintf(w, " %s | Δ | test |", mdEscape(col))
			sep += " ---: | ---: | --- |"
		}
		fmt.Fprintf(w, "\n%s\n", sep)
		for _, row := range g.Rows {
			fmt.Fprintf(w, "| %s | %s | %s |", row.Name, mdEscape(row.Unit), baseValue(row))
			for _, c := range row.Cells {
				d := c.Delta()
				switch {
				case c.Regression:
					d = "**" + d + "** ❌"
				case c.Worse:
					d += " (other hardware, not gated)"
				}
				fmt.Fprintf(w, " %s | %s | %s |", c.value(), d, c.PValue())
			}
			fmt.Fprintln(w)
		}
	}
	writeFooter(w, r, "- ")
	return nil
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "$", `\$`).Replace(s)
}

// WriteCSV writes one line per base run, metric and new report that has a
// partner; base_status and new_status ("ok", "FAILED", "INVALID") and
// other_hardware flag a line whose figures need a second look, and verdict
// is what the table's delta column says.
func WriteCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"base_backend", "load", "column", "new_backend", "metric", "name", "unit", "better",
		"base", "new", "delta_pct", "p", "test", "n1", "n2", "significant", "regression", "threshold",
		"verdict", "worse", "base_status", "new_status", "other_hardware"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, g := range r.Groups {
		for _, row := range g.Rows {
			for i, c := range row.Cells {
				if g.Against[i] == "" {
					continue
				}
				base, num := "", []string{"", "", "", "", "", ""}
				if row.HasBase {
					base = f(row.Base)
				}
				if c.OK {
					num = []string{f(c.New), f(c.DeltaPct), f(c.P), c.Test, strconv.Itoa(c.N1), strconv.Itoa(c.N2)}
				}
				rec := []string{g.Backend, g.Load, r.Columns[i], g.Against[i], row.ID, row.Name, row.Unit, row.Better.String(), base}
				rec = append(rec, num...)
				rec = append(rec, strconv.FormatBool(c.Significant), strconv.FormatBool(c.Regression), f(c.Threshold),
					c.Delta(), strconv.FormatBool(c.Worse), g.BaseStatus.Word(), g.NewStatus[i].Word(), g.OtherHardware[i])
				cw.Write(rec)
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

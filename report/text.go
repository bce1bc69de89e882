package report

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteText writes the runs as an aligned table under a line naming what
// was measured. Backends are ranked by output tokens per second (fastest
// first, see Rows), so the best backend for the workload is on top; a
// sweep's points follow in load order. A max-rate search's answer follows
// the table.
func WriteText(w io.Writer, r *Report) error {
	fmt.Fprintln(w, Heading(r))
	slo, mixed, reasons := HasSLO(r), MixedWorkloads(r), Reasons(r)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "rank\tbackend\t"
	if mixed {
		head += "workload\t"
	}
	head += "load\tchips\tprecision\treq/s\tout tok/s\tp50 ms\tp99 ms\tTTFT p99 ms\t"
	if reasons { // a reasoning model: its answer's first token, and how long it thought
		head += "TTFO p99 ms\treasoning tok\t"
	}
	head += "TPOT p50 ms\tJ/token\t$/1M tok\terrors\t"
	if slo {
		head += "SLO\t"
	}
	fmt.Fprintln(tw, head+"status\t")
	for _, row := range Rows(r) {
		run := row.Run
		chips := run.Backend.Info.Chips
		if chips == 0 {
			chips = 1
		}
		jpt := "-"
		if run.Energy != nil && run.Energy.JoulesPerOutputToken > 0 {
			jpt = fmt.Sprintf("%.3g", run.Energy.JoulesPerOutputToken)
		}
		usd := "-"
		if run.Cost != nil && run.Cost.USDPerMillionOutputTokens > 0 {
			usd = Num(run.Cost.USDPerMillionOutputTokens)
			if run.Cost.Assumption {
				usd += "*"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t", row.Rank, run.Backend.ID)
		if mixed {
			fmt.Fprintf(tw, "%s\t", WorkloadOf(run))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t",
			LoadOf(run), chips, run.Workload.Precision,
			Num(run.Throughput.RequestsPerS), Num(run.Throughput.OutputTokensPerS),
			figure(&run.Latency, p50), figure(&run.Latency, p99), figure(&run.TTFT, p99))
		if reasons {
			ttfo, thought := "-", "-"
			if run.TTFO != nil {
				ttfo = figure(run.TTFO, p99)
			}
			if run.Workload.MeanReasoningTokens > 0 {
				thought = Num(run.Workload.MeanReasoningTokens)
			}
			fmt.Fprintf(tw, "%s\t%s\t", ttfo, thought)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t", figure(&run.TPOT, p50), jpt, usd, run.Counts.Errors)
		if slo {
			fmt.Fprintf(tw, "%s\t", orDash(run.SLOVerdict()))
		}
		fmt.Fprintf(tw, "%s\t\n", run.Status())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range MaxRateAnswers(r) {
		fmt.Fprintln(w, l)
	}
	for _, l := range ReplayLines(r) {
		fmt.Fprintln(w, l)
	}
	for _, l := range ProblemLines(r) {
		fmt.Fprintln(w, "! "+l)
	}
	for i := range r.Runs {
		if c := r.Runs[i].Cost; c != nil && c.Assumption {
			fmt.Fprintln(w, "* price is an assumption (see the report's cost.basis); override with --price ID=USD_PER_CHIP_HOUR")
			break
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// figure formats one figure of a summary, "-" where the summary holds no
// values.
func figure(s *Summary, f func(*Summary) float64) string {
	if s.Count == 0 {
		return "-"
	}
	return Num(f(s))
}

// Num formats a figure with about four significant digits, in plain notation.
func Num(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case v == 0:
		return "0"
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.01:
		return strconv.FormatFloat(v, 'f', 3, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

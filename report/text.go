package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
)

// WriteText writes the runs as an aligned table, ranked by output tokens per
// second (fastest first), so the best backend for the workload is on top.
func WriteText(w io.Writer, r *Report) error {
	runs := make([]Run, len(r.Runs))
	copy(runs, r.Runs)
	sort.SliceStable(runs, func(i, j int) bool {
		return runs[i].Throughput.OutputTokensPerS > runs[j].Throughput.OutputTokensPerS
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\tbackend\tchips\tprecision\treq/s\tout tok/s\tp50 ms\tp99 ms\tTTFT p99 ms\tTPOT p50 ms\tJ/token\t$/1M tok\terrors\tstatus\t")
	for i, run := range runs {
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
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t\n",
			i+1, run.Backend.ID, chips, run.Workload.Precision,
			Num(run.Throughput.RequestsPerS), Num(run.Throughput.OutputTokensPerS),
			figure(&run.Latency, p50), figure(&run.Latency, p99), figure(&run.TTFT, p99), figure(&run.TPOT, p50),
			jpt, usd, run.Counts.Errors, run.Status())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range ProblemLines(r) {
		fmt.Fprintln(w, "! "+l)
	}
	for i := range runs {
		if c := runs[i].Cost; c != nil && c.Assumption {
			fmt.Fprintln(w, "* price is an assumption (see the report's cost.basis); override with --price ID=USD_PER_CHIP_HOUR")
			break
		}
	}
	return nil
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

package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
	"github.com/inferbench/inferbench/report/html"
)

const compareExamples = `  inferbench compare last-night.json tonight.json              # exit 3 on a significant regression > 5%
  inferbench compare base.json new.json --threshold 10% --threshold p99=20%
  inferbench compare h100.json l4.json                         # other hardware: shown, exit 0 (not a regression)
  inferbench compare h100.json l4.json --cross-hardware        # ... and gated: exit 3 on a significant worsening
  inferbench compare h100.json l4.json inf2.json --format markdown >> "$GITHUB_STEP_SUMMARY"
  inferbench compare base.json new.json --threshold off --format csv -o cmp.csv
  inferbench compare h100.json l4.json --price l4=0.70 --format html -o cmp.html
`

func compareCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "compare", "BASE NEW [NEW...] [flags]", compareExamples)
	format := fs.String("format", "text", "output: "+strings.Join(append(compare.Formats(), "html"), ", "))
	out := fs.StringP("output", "o", "", "write the comparison here instead of stdout")
	var thresholds, prices []string
	fs.StringArrayVar(&thresholds, "threshold", nil, "a significant change for the worse beyond this is a regression (exit 3): 5%, off, or METRIC=10% (metrics: "+strings.Join(compare.MetricIDs(), ", ")+"); default 5%")
	alpha := fs.Float64("alpha", 0.05, "significance level of the tests")
	cross := fs.Bool("cross-hardware", false, "gate across hardware: a significant change for the worse between different devices or machines is a regression (exit 3); without it such changes are shown and never gate")
	fs.StringArrayVar(&prices, "price", nil, "reprice runs: ID=USD_PER_CHIP_HOUR, ID a profile or backend id (repeatable)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return cli.Usagef("compare wants a BASE and at least one NEW report, got %d file(s) (see 'inferbench compare --help')", fs.NArg())
	}
	if err := cli.CheckFormat(*format, append(compare.Formats(), "html")...); err != nil {
		return err
	}
	if *alpha <= 0 || *alpha >= 1 {
		return cli.Usagef("--alpha %g: want a level between 0 and 1, e.g. 0.05", *alpha)
	}
	th, err := compare.ParseThresholds(0.05, thresholds)
	if err != nil {
		return cli.Usage(err)
	}
	pr, err := pricesFromFlags(prices)
	if err != nil {
		return err
	}
	var inputs []compare.Input
	for _, path := range fs.Args() {
		rep, err := readReport(path)
		if err != nil {
			return err
		}
		if len(prices) > 0 {
			for _, n := range pr.AddCosts(rep) {
				fmt.Fprintf(e.stderr, "note: %s: %s\n", path, n)
			}
		}
		inputs = append(inputs, compare.Input{Name: path, Report: rep})
	}
	res, err := compare.Compare(inputs[0], inputs[1:], compare.Options{Alpha: *alpha, Thresholds: &th, CrossHardware: *cross})
	if err != nil {
		return cli.Usage(err)
	}
	if err := writeOutput(e, *out, func(w io.Writer) error {
		if *format == "html" {
			return html.WriteComparison(w, res, inputs)
		}
		return compare.Write(w, res, *format)
	}); err != nil {
		return err
	}
	if n := res.Ungated(); n > 0 && !*cross {
		fmt.Fprintf(e.stderr, "note: %d metric(s) significantly worse on other hardware: a hardware difference is not a regression (pass --cross-hardware to gate on it)\n", n)
	}
	if v := res.Verdict(); v != "" {
		return cli.ExitError{Code: exitRegression, Err: fmt.Errorf("regression: %s", v)}
	}
	return nil
}

// readReport reads a report to show it (report.Load: masked); a missing,
// unreadable, corrupt or future-schema file is bad input (exit 2).
func readReport(path string) (*report.Report, error) {
	rep, err := report.Load(path)
	if err != nil {
		return nil, cli.Usage(err)
	}
	return rep, nil
}

// pricesFromFlags is the embedded price table with --price overrides.
func pricesFromFlags(values []string) (report.Prices, error) {
	p := report.DefaultPrices()
	if err := p.ParsePriceFlags(values); err != nil {
		return p, cli.Usage(err)
	}
	return p, nil
}

// writeOutput writes to path atomically, or to stdout when path is "" or "-".
func writeOutput(e *env, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(e.stdout)
	}
	return report.WriteFileAtomic(path, write)
}

package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/gobench"
	"github.com/inferbench/inferbench/report/html"
)

// reportFormats are the formats `inferbench report` renders.
func reportFormats() []string { return []string{"text", "markdown", "json", "csv", "gobench", "html"} }

const reportExamples = `  inferbench report r.json                              # the ranking table
  inferbench report r.json --format gobench > new.txt   # for benchstat old.txt new.txt
  inferbench report r.json --format markdown >> "$GITHUB_STEP_SUMMARY"
  inferbench report r.json --format html -o r.html      # one self-contained file
  inferbench report r.json --price h100-sxm=2.50 --format json -o repriced.json
`

func reportCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "report", "FILE [flags]", reportExamples)
	format := fs.String("format", "text", "output: "+strings.Join(reportFormats(), ", "))
	out := fs.StringP("output", "o", "", "write here instead of stdout")
	var prices []string
	fs.StringArrayVar(&prices, "price", nil, "reprice runs: ID=USD_PER_CHIP_HOUR, ID a profile or backend id (repeatable)")
	fs.Int("samples", 1, "")
	_ = fs.MarkDeprecated("samples", "gobench writes one line per run, nothing synthetic: for benchstat's samples, repeat the run (a suite's \"repetitions\")")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return cli.Usagef("report wants one FILE, got %d (see 'inferbench report --help')", fs.NArg())
	}
	if err := cli.CheckFormat(*format, reportFormats()...); err != nil {
		return err
	}
	pr, err := pricesFromFlags(prices)
	if err != nil {
		return err
	}
	rep, err := readReport(fs.Arg(0))
	if err != nil {
		return err
	}
	if len(prices) > 0 {
		cli.Notes(e.stderr, pr.AddCosts(rep))
	}
	return writeOutput(e, *out, func(w io.Writer) error {
		switch *format {
		case "gobench":
			return gobench.Write(w, rep)
		case "json":
			return rep.Encode(w)
		case "html":
			return html.WriteReport(w, filepath.Base(fs.Arg(0)), rep)
		default:
			return report.Write(w, rep, *format)
		}
	})
}

package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/plot"
)

const plotExamples = `  inferbench plot r.json -o r.png                    # latency CDF per backend
  inferbench plot h100.json l4.json inf2.json -o cmp.svg
  inferbench plot sweep.json -o sweep.png            # adds the frontier and latency, TTFT, TPOT vs throughput (SLO lines)
  inferbench plot frontier.json -o frontier.png      # tok/s per chip against tok/s per user, one curve per backend
  inferbench plot r.json --data                      # the plotted series as JSON, no image
`

func plotCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "plot", "REPORT... -o FILE.png|FILE.svg [flags]", plotExamples)
	out := fs.StringP("output", "o", "", "image file; its extension (.png or .svg) picks the format")
	format := fs.String("format", "", "png or svg (default: from -o's extension)")
	data := fs.Bool("data", false, "print the plotted series as JSON on stdout instead of drawing")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return cli.Usagef("plot wants at least one REPORT (see 'inferbench plot --help')")
	}
	if !*data {
		if *out == "" {
			return cli.Usagef("plot: -o FILE.png or -o FILE.svg is required")
		}
		if *format == "" {
			*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
		}
		if !slices.Contains(plot.Formats(), *format) {
			return cli.Usagef("plot: format %q (from -o %s or --format): want png or svg", *format, *out)
		}
	}
	var inputs []plot.Input
	for _, path := range fs.Args() {
		rep, err := readReport(path)
		if err != nil {
			return err
		}
		inputs = append(inputs, plot.Input{Name: path, Report: rep})
	}
	d, err := plot.Compute(inputs)
	if err != nil {
		return cli.Usage(err)
	}
	if *data {
		return cli.WriteJSON(e.stdout, d)
	}
	if len(d.Panels) == 0 {
		return cli.Usagef("plot: %s hold no latency histograms, sweep or telemetry to plot", strings.Join(fs.Args(), ", "))
	}
	if err := report.WriteFileAtomic(*out, func(w io.Writer) error { return d.Render(w, *format) }); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%d panels)\n", *out, len(d.Panels))
	return nil
}

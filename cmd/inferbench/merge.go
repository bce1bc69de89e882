package main

import (
	"context"
	"fmt"

	"github.com/inferbench/inferbench/report"
)

const mergeExamples = `  inferbench merge shard-0.json shard-1.json shard-2.json -o all.json
  inferbench merge shards/*.json -o all.json --format json
`

func mergeCmd(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "merge", "REPORT REPORT... -o OUT [flags]", mergeExamples+`
Runs of the same backend, workload and load are merged: histograms add exactly
(percentiles are those of all samples), counts and energy add; shards run side
by side, so rates (req/s, tok/s, W, $/h) add and the duration is the longest
shard's.
`)
	out := fs.StringP("output", "o", "", "write the merged report here (required)")
	format := fs.String("format", "text", "what to print on stdout: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return usagef("merge wants at least one REPORT (see 'inferbench merge --help')")
	}
	if *out == "" {
		return usagef("merge: -o OUT is required (the merged report's file)")
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return err
	}
	var reps []*report.Report
	for _, path := range fs.Args() {
		rep, err := readReport(path)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
	}
	m, err := report.Merge(reps...)
	if err != nil {
		return usageError{err}
	}
	if err := report.WriteFileAtomic(*out, m.Encode); err != nil {
		return err
	}
	if *format == "json" {
		return m.Encode(e.stdout)
	}
	if err := report.WriteText(e.stdout, m); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%d runs from %d reports)\n", *out, len(m.Runs), len(reps))
	return nil
}

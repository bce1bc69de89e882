package main

import (
	"context"
	"fmt"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/report"
)

const mergeExamples = `  inferbench merge shard-0.json shard-1.json shard-2.json -o all.json
  inferbench merge shards/*.json -o all.json --format json
`

func mergeCmd(_ context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "merge", "REPORT REPORT... -o OUT [flags]", mergeExamples+`
Runs of the same backend, workload and load are merged: histograms add exactly
(percentiles are those of all samples) and counts add; shards run side by side,
so request and token rates add and the duration is the longest shard's.
Energy, power and price are sums over the distinct devices the shards ran on,
as energy.devices/basis and cost.devices/devices_basis say: each simulated
shard is its own device, while shards of one remote endpoint (one URL) or one
GPU (one NVML UUID) count it once. Peak power of several devices is the sum of
their peaks, an upper bound. The merged backend's chips are those devices'.

A merged run is failed, invalid or interrupted when any shard's run was; then
merge still writes the report but exits 1 naming the run (invalid runs pass
with --allow-invalid).
`)
	out := fs.StringP("output", "o", "", "write the merged report here (required)")
	format := fs.String("format", "text", "what to print on stdout: text or json")
	allowInvalid := fs.Bool("allow-invalid", false, "exit 0 when a merged run is invalid (never when one failed, was interrupted or completed nothing)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return cli.Usagef("merge wants at least one REPORT (see 'inferbench merge --help')")
	}
	if *out == "" {
		return cli.Usagef("merge: -o OUT is required (the merged report's file)")
	}
	if err := cli.CheckFormat(*format, "text", "json"); err != nil {
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
		return cli.Usage(err)
	}
	if err := report.WriteFileAtomic(*out, m.Encode); err != nil {
		return err
	}
	if *format == "json" {
		if err := m.Encode(e.stdout); err != nil {
			return err
		}
	} else if err := report.WriteText(e.stdout, m); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%d runs from %d reports)\n", *out, len(m.Runs), len(reps))
	// A shard's failure stays loud after the merge: exit 1 naming the run.
	if r, why := m.FirstUnfit(*allowInvalid); r != nil {
		return fmt.Errorf("merge: %s %s; the merged report is in %s", r.Name(), why, *out)
	}
	return nil
}

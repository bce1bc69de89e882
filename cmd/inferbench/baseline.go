package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/inferbench/inferbench/report"
)

const baselineExamples = `  inferbench baseline tonight.json baselines/h100.json           # first baseline
  inferbench baseline tonight.json baselines/h100.json --force   # replace it after a green night
`

// baselineCmd promotes a report to baseline: it checks that the report reads,
// then writes it atomically, refusing to replace an existing baseline without
// --force, so a half-written or wrong file never becomes the reference.
func baselineCmd(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "baseline", "REPORT BASELINE [--force]", baselineExamples)
	force := fs.Bool("force", false, "replace an existing baseline")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("baseline: want REPORT and BASELINE paths, got %d arguments", fs.NArg())
	}
	src, dst := fs.Arg(0), fs.Arg(1)
	rep, err := report.ReadFile(src)
	if err != nil {
		return usageError{err}
	}
	if len(rep.Runs) == 0 {
		return usagef("%s has no runs: not a baseline", src)
	}
	if _, err := os.Stat(dst); err == nil && !*force {
		return usagef("baseline %s exists: pass --force to replace it", dst)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := report.WriteFileAtomic(dst, rep.Encode); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "baseline %s <- %s (%d runs)\n", dst, src, len(rep.Runs))
	return nil
}

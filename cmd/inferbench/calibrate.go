package main

import (
	"context"
	"fmt"

	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/internal/cli"
)

const calibrateExamples = `  inferbench calibrate                          # every embedded published measurement, by family
  inferbench calibrate --leave-out neuron-ttft  # refit without a family, then predict it
  inferbench calibrate my-measurements.json     # your own, in the same format
  inferbench calibrate --tolerance 10           # fail when a family's median error is above 10%
`

// calibrateCmd compares the simulator's predictions with measurements: exit 1
// when the median error, overall or of a family, is above the tolerance, or
// a case cannot be simulated. Published measurements of one setup scatter
// (the same shapes served by different stack versions), so the judgement is
// on medians; each case beyond the tolerance is marked in the table.
func calibrateCmd(ctx context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "calibrate", "[FILE] [--tolerance PCT] [--leave-out FAMILY]", calibrateExamples)
	tol := fs.Float64("tolerance", 15, "largest acceptable median error, overall and per family, in percent (cases beyond it are marked)")
	leaveOut := fs.String("leave-out", "", "refit the simulator's fitted figures without this family's cases, then predict them: the error on data no constant was set from (takes about a minute)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return cli.Usagef("calibrate takes at most one file, got %s", cli.Quoted(fs.Args()))
	}
	if !(*tol > 0) {
		return cli.Usagef("--tolerance %v: want a positive percentage", *tol)
	}
	f, name, err := sim.ReadCalibration(fs.Arg(0))
	if err != nil {
		return cli.Usage(err)
	}
	var rs []sim.CalibrationResult
	if *leaveOut != "" {
		var r *sim.FitResult
		if rs, r, err = sim.LeaveOut(ctx, f, *leaveOut); err != nil {
			return cli.Usagef("--leave-out: %v", err)
		}
		fmt.Fprintf(e.stdout, "refit without %s (%d cases of %d families):\n", *leaveOut, r.Cases, len(r.Families))
		for i, k := range r.Knobs {
			fmt.Fprintf(e.stdout, "  %-40s %g\n", k.Name(), r.Values[i])
		}
		fmt.Fprintln(e.stdout)
	} else {
		rs = sim.Calibrate(ctx, f)
	}
	if err := sim.WriteCalibrationTable(e.stdout, rs, *tol); err != nil {
		return err
	}
	for _, r := range rs {
		if r.Err != nil {
			return cli.ExitError{Code: exitRuntime, Err: fmt.Errorf("%s: case %s could not be simulated: %v", name, r.Case.ID, r.Err)}
		}
	}
	if m := sim.MedianError(rs); m > *tol {
		return cli.ExitError{Code: exitRuntime, Err: fmt.Errorf("median error %.1f%% over the %d cases of %s is above --tolerance %g%%", m, len(rs), name, *tol)}
	}
	for _, f := range sim.Families(rs) {
		if f.Median > *tol {
			return cli.ExitError{Code: exitRuntime, Err: fmt.Errorf("median error %.1f%% of family %s (%d cases) is above --tolerance %g%%", f.Median, f.Name, f.Cases, *tol)}
		}
	}
	return nil
}

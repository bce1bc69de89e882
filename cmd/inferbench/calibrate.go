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
  inferbench calibrate --tolerance 10
`

// calibrateCmd compares the simulator's predictions with measurements: exit 1
// when a case is outside the tolerance.
func calibrateCmd(ctx context.Context, e *env, args []string) error {
	fs := cli.NewFlags(e.stdout, e.stderr, "calibrate", "[FILE] [--tolerance PCT] [--leave-out FAMILY]", calibrateExamples)
	tol := fs.Float64("tolerance", 25, "largest acceptable error, in percent")
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
	if n := sim.Outside(rs, *tol); n > 0 {
		return cli.ExitError{Code: exitRuntime, Err: fmt.Errorf("%d of %d cases in %s are outside %g%% or failed", n, len(rs), name, *tol)}
	}
	return nil
}

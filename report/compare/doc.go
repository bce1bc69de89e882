// Package compare compares reports with significance tests and gates on
// regressions, as benchstat does for Go benchmarks.
//
// Runs pair by backend, workload and load; across hardware (an H100 report
// against an L4 one) by workload and load alone. A new report none of whose
// runs pairs with the base is an error that names what each holds: a
// comparison of nothing must not pass.
//
// Each row is one metric, and its test depends on what the reports hold:
//
//   - Repetitions on both sides (runs with one key, e.g. a suite's
//     "repetitions"): Welch's t test on the logs of the runs' own figures,
//     for every row. The runs are the independent samples; a rank test over
//     three runs a side cannot reach p < 0.1, so at α 0.05 it could never see
//     an endpoint become ten times slower, where the t test does.
//   - Otherwise, latency rows: benchmath's Mann-Whitney U test on the values
//     of the runs' histograms, and the percentile's own confidence intervals
//     (order statistics) must not overlap.
//   - Otherwise, throughput, energy and cost rows: a z test of two Poisson
//     rates on the completed-request counts.
//
// A cell whose test could not have rejected at α whatever the numbers (one
// repetition holding the metric, a U test on 3 and 3 values, a Poisson test
// on 3 requests) says "too few ... to judge", never "~".
//
// A significant change for the worse beyond the metric's threshold is Worse;
// it is a Regression (exit 3 in the CLI) when both sides ran on the same
// hardware, or when Options.CrossHardware says the comparison is across
// hardware on purpose: a slower device is not a regression of the software.
//
// Failed and invalid runs are flagged in every format. A failed run in a new
// report is a regression by itself, naming its reason; no cell with a failed
// side is judged.
package compare

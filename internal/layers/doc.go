// Package layers holds the test that keeps inferbench's imports going down
// (issue 19). It has no code of its own: the check is layers_test.go, run by
// `go test ./internal/layers`, which reads the module's import graph with
// `go list` and fails on any import that goes up.
//
// The layers, lowest first:
//
//	0  internal/..., fixtures   mechanics and embedded data
//	1  accel/...                backends: what is measured
//	2  bench                    the load generator and its measurements
//	3  report/...               reports, and what reads them
//	4  plan                     what a command asks for, carried out
//	5  cmd/..., scripts/...     the programs
//
// A package may import one in a lower layer, one in its own tree at the same
// layer (accel/remote → accel, report/html → report/plot), and any mechanics
// under internal/. Code that could live lower does not move down by being
// imported from above: that is why an upward import is an error rather than
// a style point.
//
// Test kits (internal/servertest, internal/reporttest, ...) are the one
// exception: they live under internal/ so that no public package is a test
// helper, and each may import up to the layer it helps test. In return only
// test files may import them, which the check enforces too.
//
// A new top-level package has no layer until one is given to it in the
// table of layers_test.go: the check fails naming it, so the choice is made
// deliberately rather than by whatever it happens to import.
package layers

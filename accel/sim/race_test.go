//go:build race

package sim

// RaceEnabled says the tests run under the race detector. The calibration
// tests (the fit, every published case) are one goroutine's arithmetic, ten
// times slower under it and with nothing for it to find: they skip, and
// `make test` runs them again without -race.
const RaceEnabled = true

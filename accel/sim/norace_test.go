//go:build !race

package sim

// RaceEnabled says the tests run under the race detector (race_test.go).
const RaceEnabled = false

//go:build race

package server_test

// raceEnabled: the race detector is on (it bounds live goroutines).
const raceEnabled = true

package main

import (
	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/sim"
)

// newRegistry returns the registry of every backend this build links in.
func newRegistry() *accel.Registry {
	var reg *accel.Registry
	reg = accel.NewRegistry(noop.Opener{}, sim.Opener{}, remote.Opener{}, nvmlOpener(&reg)) // nvml:N: telemetry.go
	return reg
}

package main

import (
	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/sim"
)

// newRegistry returns the registry of every backend this build links in.
// oracle?... is a backend whose answers are known in advance (accel/oracle):
// the way to check, from the command line, that the harness reports them.
func newRegistry() *accel.Registry {
	var reg *accel.Registry
	reg = accel.NewRegistry(noop.Opener{}, oracle.Opener{}, sim.Opener{}, remote.Opener{}, nvmlOpener(&reg)) // nvml:N: telemetry.go
	return reg
}

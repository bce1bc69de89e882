package main

import (
	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/sim"
)

// newRegistry returns the registry of every backend this build links in:
// endpoints opens http(s):// URLs with the run's endpoint flags (endpoint.go),
// and nvml:N, which watches a GPU while its load goes to endpoint (the
// --endpoint flag), is composed over the registry of the other kinds, which
// opens that endpoint. oracle?... is a backend whose answers are known in
// advance (accel/oracle): the way to check, from the command line, that the
// harness reports them.
func newRegistry(endpoints remote.Opener, endpoint string) *accel.Registry {
	base := accel.NewRegistry(noop.Opener{}, oracle.Opener{}, sim.Opener{}, endpoints)
	return base.With(nvml.Opener{Endpoint: endpoint, OpenEndpoint: base.Open})
}

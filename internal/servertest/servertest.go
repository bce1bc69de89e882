// Package servertest starts a server.Server on loopback for tests, the way
// `inferbench serve` serves it (server.Attach: requests timed from the
// kernel's arrival), so that tests measure what users run.
//
// It is a test kit under internal/ rather than beside the server so that
// no public package is a test helper. Test kits are the one kind of
// internal package allowed to import the layers above internal (here
// accel/remote/server and accel/noop): they help test those layers and
// their callers, and only _test files may import them. internal/layers
// enforces both halves of that rule.
package servertest

import (
	"net/http/httptest"
	"testing"

	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/remote/server"
)

// Start serves cfg until the test ends. A nil Backend answers at once
// (noop) and an empty Model is llama-3.1-8b.
func Start(tb testing.TB, cfg server.Config) *httptest.Server {
	tb.Helper()
	if cfg.Backend == nil {
		cfg.Backend = noop.Backend{}
	}
	if cfg.Model == "" {
		cfg.Model = "llama-3.1-8b"
	}
	s, err := server.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.Listener = s.Attach(ts.Config, ts.Listener)
	ts.Start()
	tb.Cleanup(ts.Close)
	return ts
}

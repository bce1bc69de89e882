// Package nettest holds loopback helpers that tests in several packages
// need: the harness is tested against refusing, dying and slow endpoints,
// and each of those starts from an address on this machine.
package nettest

import (
	"net"
	"testing"
)

// RefusedAddr returns a loopback host:port that refuses connections: a port
// that was free a moment ago, listened on and closed at once. Another
// process could take it in between; on loopback within one test that is
// rare enough, and a test that finds it answered fails loudly, not
// silently.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// RefusedURL is RefusedAddr as an OpenAI-style base URL, http://ADDR/v1.
func RefusedURL(t testing.TB) string {
	t.Helper()
	return "http://" + RefusedAddr(t) + "/v1"
}

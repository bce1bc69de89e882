package nettest

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
)

func TestRefusedAddrRefuses(t *testing.T) {
	addr := RefusedAddr(t)
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		t.Fatalf("%s accepted a connection", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial %s: %v, want connection refused", addr, err)
	}
	if u := RefusedURL(t); !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, "/v1") {
		t.Errorf("RefusedURL = %q", u)
	}
}

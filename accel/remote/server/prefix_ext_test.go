package server_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/accel/sim"
)

// serve --batching continuous keeps the simulated device's prefix cache:
// the same 2,048-word prompt sent twice is prefilled once (the second time
// only its last token), and another prompt finds nothing.
func TestServeKeepsPrefixCache(t *testing.T) {
	t.Parallel()
	dev, err := sim.New("h100-sxm", 1, "llama-3.1-8b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	ts := start(t, server.Config{Backend: dev})
	prompt := func(w string) string {
		return `{"max_tokens":2,"messages":[{"role":"user","content":"` + strings.Repeat(w+" ", 2048) + `"}]}`
	}
	for _, body := range []string{prompt("alpha"), prompt("alpha"), prompt("beta")} {
		if resp := post(t, ts.URL+"/v1/chat/completions", body); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	s, ok := dev.PrefixCache()
	if !ok || s.InputTokens != 3*2048 || s.HitTokens != 2047 {
		t.Errorf("cache %+v: want 2,047 of 6,144 prompt tokens hit", s)
	}
}

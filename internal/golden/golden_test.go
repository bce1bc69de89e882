package golden_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/golden"
)

func TestRoundFloats(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a": 0.30000000000000004, "b": 60}`, `{"a": 0.3, "b": 60}`},
		{`[1.2345678901234567e+21, -2.5, 7]`, `[1.23456789e+21, -2.5, 7]`},
		{`{"s": "p99 1.23456789012345 ms \" 0.1000000000001", "n": 0.1000000000001}`, `{"s": "p99 1.23456789012345 ms \" 0.1000000000001", "n": 0.1}`},
		{`{"h": "HISTFAAAACx4nJNpmSzMwMDAxAABzFCaEUKbgFj2ASA1"}`, `{"h": "HISTFAAAACx4nJNpmSzMwMDAxAABzFCaEUKbgFj2ASA1"}`},
		{`{"x": 99.99999999999999}`, `{"x": 100}`},
	} {
		if got := string(golden.RoundFloats([]byte(tt.in))); got != tt.want {
			t.Errorf("RoundFloats(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func ExampleRoundFloats() {
	fmt.Printf("%s\n", golden.RoundFloats([]byte(`{"p50_ms": 812.3456789012345, "requests": 400, "id": "sim:h100-sxm"}`)))
	// Output: {"p50_ms": 812.3456789, "requests": 400, "id": "sim:h100-sxm"}
}

// fatalRecorder is a testing.TB whose Fatalf records instead of stopping.
type fatalRecorder struct {
	testing.TB
	msgs []string
}

func (r *fatalRecorder) Helper() {}
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// Upstream accepts the bytes as published plus added newlines, and fails
// on an edited file or added bytes that are not newlines.
func TestUpstream(t *testing.T) {
	const published = "event: ping\ndata: {}\n"
	sum := sha256.Sum256([]byte(published))
	sha := hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		name, file string
		added      int
		fails      string
	}{
		{"as published", published, 0, ""},
		{"a blank line added", published + "\n", 1, ""},
		{"edited", "event: ping\ndata: {} \n", 0, "no longer the upstream bytes"},
		{"added bytes not newlines", published + "x", 1, "want newlines only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sse")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			r := &fatalRecorder{TB: t}
			data, pub := golden.Upstream(r, path, sha, tc.added)
			switch {
			case tc.fails == "" && (len(r.msgs) > 0 || string(data) != tc.file || len(pub) != len(tc.file)-tc.added):
				t.Errorf("failed %q; data %q, published %q", r.msgs, data, pub)
			case tc.fails != "" && (len(r.msgs) == 0 || !strings.Contains(r.msgs[0], tc.fails)):
				t.Errorf("failures %q, want one saying %q", r.msgs, tc.fails)
			}
		})
	}
}

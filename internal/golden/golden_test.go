package golden_test

import (
	"fmt"
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

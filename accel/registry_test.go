package accel_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
)

func TestParseSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in             string
		scheme, target string
		chips          string
		wantErr        bool
	}{
		{in: "noop", scheme: "noop"},
		{in: "sim:h100-sxm", scheme: "sim", target: "h100-sxm"},
		{in: "sim:inf2?chips=12", scheme: "sim", target: "inf2", chips: "12"},
		{in: "nvml:0", scheme: "nvml", target: "0"},
		{in: "http://127.0.0.1:8000/v1", scheme: "http", target: "http://127.0.0.1:8000/v1"},
		{in: "HTTPS://h.example/v1?api-version=1", scheme: "https", target: "HTTPS://h.example/v1?api-version=1"},
		{in: "", wantErr: true},
		{in: ":x", wantErr: true},
		{in: " sim:l4", wantErr: true},
		{in: "http:///v1", wantErr: true},
		{in: "sim:l4?chips=%zz", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			sp, err := accel.ParseSpec(tt.in)
			if tt.wantErr {
				if !errors.Is(err, accel.ErrBadSpec) {
					t.Fatalf("ParseSpec(%q) error = %v, want one wrapping ErrBadSpec", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSpec(%q): %v", tt.in, err)
			}
			if sp.Scheme != tt.scheme || sp.Target != tt.target || sp.Params.Get("chips") != tt.chips {
				t.Errorf("ParseSpec(%q) = %+v, want scheme %q target %q chips %q", tt.in, sp, tt.scheme, tt.target, tt.chips)
			}
		})
	}
}

func TestRegistryUnknownSchemeListsValid(t *testing.T) {
	t.Parallel()
	r := accel.NewRegistry(noop.Opener{})
	_, err := r.Open("ftp://example/v1", accel.Options{})
	if !errors.Is(err, accel.ErrBadSpec) || !strings.Contains(err.Error(), "noop") {
		t.Fatalf("Open(ftp) error = %v, want ErrBadSpec listing noop", err)
	}
	b, err := r.Open("noop", accel.Options{})
	if err != nil || b.Info().Kind != accel.KindNoop {
		t.Fatalf("Open(noop) = %v, %v", b, err)
	}
	for _, s := range []string{"localhost:8000/v1", "127.0.0.1:8000/v1", "inference.example.com:443"} {
		if _, err := r.Open(s, accel.Options{}); !errors.Is(err, accel.ErrBadSpec) || !strings.Contains(err.Error(), "http://"+s) {
			t.Errorf("Open(%s) = %v, want a hint naming http://%s", s, err, s)
		}
	}
	if _, err := r.Open("noop:x", accel.Options{}); !errors.Is(err, accel.ErrBadSpec) {
		t.Fatalf("Open(noop:x) error = %v, want ErrBadSpec", err)
	}
}

func TestRegistryDuplicateSchemePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("NewRegistry with a duplicate scheme did not panic")
		}
	}()
	accel.NewRegistry(noop.Opener{}, noop.Opener{})
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"noop", "sim:h100-sxm", "sim:inf2?chips=12", "nvml:0", "http://127.0.0.1:8000/v1", "https://x/v1?a=b", "", ":", "sim:?", "a://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := accel.ParseSpec(s)
		if err != nil {
			if !errors.Is(err, accel.ErrBadSpec) {
				t.Fatalf("ParseSpec(%q) error %v does not wrap ErrBadSpec", s, err)
			}
			return
		}
		if sp.Scheme == "" || sp.Raw != s {
			t.Fatalf("ParseSpec(%q) = %+v: accepted without a scheme", s, sp)
		}
	})
}

// Schemes ignore case, and an unknown one is matched to the nearest.
func TestSchemeCaseAndHint(t *testing.T) {
	t.Parallel()
	if sp, err := accel.ParseSpec("NOOP"); err != nil || sp.Scheme != "noop" {
		t.Errorf("ParseSpec(NOOP) = %+v, %v", sp, err)
	}
	reg := accel.NewRegistry(noop.Opener{})
	if b, err := reg.Open("Noop", accel.Options{}); err != nil {
		t.Errorf("Open(Noop): %v", err)
	} else {
		b.Close()
	}
	_, err := reg.Open("nop:x", accel.Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown scheme "nop" (did you mean noop?)`) {
		t.Errorf("Open(nop:x) = %v, want a suggestion of noop", err)
	}
}

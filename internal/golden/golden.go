// Package golden compares a test's output with a file checked in under
// testdata, or rewrites that file from the output with -update, as
// benchstat's tests do:
//
//	go test ./report/... -run Golden -update   # after a deliberate change
//	git diff report/                           # review what changed
//
// A golden file says everything an output holds, where a substring check
// says one thing it holds; a change of layout, order or wording shows in
// the diff of the file, reviewed like code.
//
// The -update flag is registered once, here, for every test binary that
// imports the package: a test package must not register its own.
//
// Outputs are golden only where they are the same on every machine: built
// from deterministic inputs (internal/reporttest, a fixed Created time, no host
// names, no absolute paths, nothing ordered by a map). JSON holds floats at
// full precision, whose last digit may differ between architectures (arm64
// fuses a*b+c into one rounding, amd64 does not): CheckJSON rounds them to
// ten significant digits before comparing.
package golden

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// update is the flag every golden test obeys. A flag is the one package-level
// variable a test helper cannot avoid: go test parses flags before any test
// runs.
var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// Updating reports whether the run was asked to rewrite golden files.
func Updating() bool { return *update }

// Check compares got with the file at path and fails t with both texts where
// they differ; with -update it writes got to path (creating its folder)
// instead.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it after a deliberate change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// CheckJSON is Check for JSON text: its floats (numbers with a fraction or
// an exponent, outside strings) are rounded to ten significant digits first,
// in got and in what -update writes.
func CheckJSON(t testing.TB, path string, got []byte) {
	t.Helper()
	Check(t, path, RoundFloats(got))
}

// RoundFloats returns JSON text with each float outside a string rounded to
// ten significant digits; integers, strings and layout are kept as they are.
func RoundFloats(js []byte) []byte {
	out := make([]byte, 0, len(js))
	for i := 0; i < len(js); {
		c := js[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(js) && js[j] != '"' {
				if js[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(js))
			out = append(out, js[i:j]...)
			i = j
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(js) && bytes.IndexByte([]byte("0123456789.eE+-"), js[j]) >= 0 {
				j++
			}
			out = append(out, roundNumber(js[i:j])...)
			i = j
		default:
			out = append(out, c)
			i++
		}
	}
	return out
}

// roundNumber rounds one JSON number to ten significant digits, if it is a
// float; an integer, or what does not parse, is returned as it is.
func roundNumber(num []byte) []byte {
	if !bytes.ContainsAny(num, ".eE") {
		return num
	}
	v, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return num
	}
	return strconv.AppendFloat(nil, v, 'g', 10, 64)
}

// Upstream reads a testdata file copied byte for byte from elsewhere (a
// provider's documentation, an SDK's recorded fixture) and fails t unless
// it still is: the sha256 of the file less its last added bytes must be
// the upstream's, and those added bytes may only be newlines (the blank
// line that ends a stream's last event, which a code block in the docs
// cannot show). It returns the file and the bytes as published.
func Upstream(t testing.TB, path, sha256hex string, added int) (data, published []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if added < 0 || added > len(data) {
		t.Fatalf("%s: %d added bytes of %d", path, added, len(data))
	}
	published = data[:len(data)-added]
	if h := sha256.Sum256(published); hex.EncodeToString(h[:]) != sha256hex {
		t.Fatalf("%s is no longer the upstream bytes: sha256 %x, upstream %s", path, h, sha256hex)
	}
	if len(bytes.Trim(data[len(published):], "\n")) != 0 {
		t.Fatalf("%s: added bytes %q, want newlines only", path, data[len(published):])
	}
	return data, published
}

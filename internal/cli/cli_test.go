package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{pflag.ErrHelp, ExitOK},
		{errors.New("boom"), ExitRuntime},
		{Usagef("--x %d: want 1", 2), ExitUsage},
		{fmt.Errorf("wrapped: %w", Usage(errors.New("bad"))), ExitUsage},
		{ExitError{Code: ExitRegression, Err: errors.New("slower")}, ExitRegression},
		{fmt.Errorf("run: %w", ExitError{Code: 130, Err: Interrupt{}}), 130},
	} {
		if got := Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// A mistyped flag is a usage error that suggests the nearest real one; a
// long flag written with one dash is named as the flag it meant.
func TestParseSuggests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ arg, want string }{
		{"--concurency=4", "(did you mean --concurrency?)"},
		{"-concurrency=4", "(did you mean --concurrency?)"},
		{"--nonesuch", "unknown flag: --nonesuch"},
	} {
		var out, errs bytes.Buffer
		fs := NewFlags(&out, &errs, "run", "[flags]", "  inferbench run\n")
		fs.Int("concurrency", 8, "requests in flight")
		err := Parse(fs, []string{tc.arg})
		if Code(err) != ExitUsage || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "see 'inferbench run --help'") {
			t.Errorf("Parse(%s) = %v, want a usage error with %q", tc.arg, err, tc.want)
		}
	}
}

func TestCheckFormat(t *testing.T) {
	t.Parallel()
	if err := CheckFormat("json", "text", "json"); err != nil {
		t.Error(err)
	}
	if err := CheckFormat("jsno", "text", "json"); Code(err) != ExitUsage || !strings.Contains(err.Error(), `--format "jsno" (did you mean json?): want one of text, json`) {
		t.Errorf("CheckFormat(jsno) = %v", err)
	}
}

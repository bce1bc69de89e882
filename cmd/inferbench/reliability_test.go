package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/internal/cli"
	"github.com/inferbench/inferbench/report"
)

// An interrupt during a real-time run stops the load, lets in-flight requests
// finish, and leaves a valid report marked interrupted; the exit code is 128 +
// the signal.
func TestInterruptKeepsCompletedRequests(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		path := filepath.Join(t.TempDir(), "int.json")
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(1500*time.Millisecond, func() { cancel(cli.Interrupt{Sig: tt.sig}) })
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		start := time.Now()
		code := mainWithEnv(ctx, e, []string{"run", "--backend", "sim:h100-sxm", "--model", "llama-3.2-1b",
			"--scenario", "poisson", "--rate", "20", "--duration", "60s", "--realtime",
			"--input-tokens", "64", "--output-tokens", "16", "-o", path})
		if code != tt.code {
			t.Fatalf("%v: exit %d, want %d: %s", tt.sig, code, tt.code, errb.String())
		}
		if time.Since(start) > 30*time.Second {
			t.Errorf("%v: the run did not stop at the interrupt", tt.sig)
		}
		rep, err := report.ReadFile(path)
		if err != nil {
			t.Fatalf("%v: %v", tt.sig, err)
		}
		if !rep.Interrupted || len(rep.Runs) != 1 || !rep.Runs[0].Interrupted {
			t.Fatalf("%v: report not marked interrupted: %+v", tt.sig, rep)
		}
		c := rep.Runs[0].Counts
		if c.Completed == 0 || c.Completed+c.Errors+c.Dropped != c.Requests {
			t.Errorf("%v: counts %+v: want completed requests and every issued request accounted for", tt.sig, c)
		}
		if !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("%v: stderr does not say it was interrupted: %s", tt.sig, errb.String())
		}
	}
}

// A run in which no request completes is failed whatever --max-error-rate
// says, and one whose error rate is above the limit (5% unless set) is
// failed too: exit 1, the report written and marked, and stderr naming
// each error class with its count and first message.
func TestFailedRunsExit1(t *testing.T) {
	t.Parallel()
	// 100,000-token prompts never fit an L4's KV cache: every request is
	// rejected, whatever the limit.
	allRejected := []string{"run", "--backend", "sim:l4", "--input-tokens", "100000", "--output-tokens", "8", "--requests", "20"}
	for _, tc := range []struct {
		name   string
		args   []string
		reason string // in the report's fail_reason and on stderr
	}{
		{"default limit", allRejected, "no request completed"},
		{"limit 1 still fails with nothing completed", append(allRejected, "--max-error-rate", "1"), "no request completed"},
		{"limit 0.5", append(allRejected, "--max-error-rate", "0.5"), "no request completed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.json")
			code, out, errs := invoke(t, append(tc.args, "-o", path)...)
			if code != exitRuntime {
				t.Fatalf("exit %d, want 1: %s", code, errs)
			}
			for _, want := range []string{"FAILED", tc.reason, "20 rejected error(s), the first: ", "report kept in " + path} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errs)
				}
			}
			if !strings.Contains(out, "FAILED") {
				t.Errorf("the text table does not mark the run FAILED:\n%s", out)
			}
			rep, err := report.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := rep.Runs[0]
			if !r.Failed || !strings.Contains(r.FailReason, tc.reason) || r.Counts.ErrorsByClass["rejected"] != 20 || r.Counts.ErrorExamples["rejected"] == "" {
				t.Errorf("run failed=%v reason=%q counts=%+v: want failed, every request rejected, with an example", r.Failed, r.FailReason, r.Counts)
			}
		})
	}
}

// An invalid run (here: fewer requests than its floor) is marked in the text
// table and the report, and exits 1 unless --allow-invalid accepts it.
func TestInvalidRunsExit1UnlessAllowed(t *testing.T) {
	t.Parallel()
	args := []string{"run", "--backend", "sim:h100-sxm", "--input-tokens", "64", "--output-tokens", "8", "--requests", "10", "--min-requests", "100"}
	for _, tc := range []struct {
		allow bool
		code  int
	}{{false, exitRuntime}, {true, exitOK}} {
		path := filepath.Join(t.TempDir(), "r.json")
		a := append(append([]string{}, args...), "-o", path)
		if tc.allow {
			a = append(a, "--allow-invalid")
		}
		code, out, errs := invoke(t, a...)
		if code != tc.code {
			t.Fatalf("--allow-invalid=%v: exit %d, want %d: %s", tc.allow, code, tc.code, errs)
		}
		for _, want := range []string{"INVALID", "recorded 10 requests, below the minimum 100"} {
			if !strings.Contains(out, want) || !strings.Contains(errs, want) {
				t.Errorf("--allow-invalid=%v: stdout or stderr lacks %q:\n%s\n%s", tc.allow, want, out, errs)
			}
		}
		rep, err := report.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Runs[0].Valid || rep.Runs[0].Failed {
			t.Errorf("--allow-invalid=%v: valid=%v failed=%v, want invalid and not failed", tc.allow, rep.Runs[0].Valid, rep.Runs[0].Failed)
		}
	}
}

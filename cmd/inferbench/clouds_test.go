package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
)

// The clouds suite answers "where should gpt-oss-120b run" in one report:
// every cloud's chip, each on the fewest that hold the model (one), at
// MXFP4, in virtual time.
func TestSuiteClouds(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, errs := invoke(t, "suite", "clouds", "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields("h100-sxm h200 b200 gb200 mi300x mi355x tpu-v7 trn2 trn3 maia-200")
	seen := map[string]bool{}
	for _, r := range rep.Runs {
		b := r.Backend.Info
		if r.Failed || b.Chips != 1 || b.Precision != "mxfp4" || r.Workload.Model != "gpt-oss-120b" {
			t.Errorf("%s: failed %v, %d chips, %s, model %s; want gpt-oss-120b at mxfp4 on one chip", b.ID, r.Failed, b.Chips, b.Precision, r.Workload.Model)
		}
		seen[b.Profile] = true
	}
	for _, p := range want {
		if !seen[p] {
			t.Errorf("no run on %s", p)
		}
	}
}

// nvfp4 needs FP4 units: on Hopper it is bad input (exit 2) naming the
// formats the chip runs; Blackwell runs it.
func TestSimulateNVFP4NeedsFP4(t *testing.T) {
	t.Parallel()
	args := []string{"simulate", "--model", "gpt-oss-120b", "--precision", "nvfp4", "--batch", "1", "--input-tokens", "128", "--output-tokens", "16"}
	code, _, errs := invoke(t, append(args, "--profile", "h100-sxm")...)
	if code != exitUsage || !strings.Contains(errs, "mxfp4") || !strings.Contains(errs, "h100-sxm") {
		t.Errorf("nvfp4 on h100-sxm: exit %d, %q; want exit 2 naming the valid formats", code, errs)
	}
	if code, _, errs := invoke(t, append(args, "--profile", "b200")...); code != exitOK {
		t.Errorf("nvfp4 on b200: exit %d: %s", code, errs)
	}
}

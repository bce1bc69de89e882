// Package scripts holds the jobs around the binary; its test runs the nightly
// script as a scheduled runner would, against the real binary built here.
package scripts

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestNightlyBaselineThenRegression(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found: the nightly script needs it")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	home := filepath.Join(dir, "home")
	nightly := func(suite string) (int, string) {
		cmd := exec.Command("bash", "nightly.sh", suite)
		cmd.Env = append(os.Environ(), "INFERBENCH="+bin, "INFERBENCH_HOME="+home, "GITHUB_STEP_SUMMARY=", "GITHUB_OUTPUT=", "INFERBENCH_ENDPOINT=")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("nightly.sh: %v", err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	// A small suite, so the test is quick; the shipped one works the same way.
	suite := filepath.Join(dir, "nightly-small.json")
	write := func(profile string) {
		doc := `{"name":"nightly-small","backends":["sim:` + profile + `"],
			"workloads":[{"name":"short","input-tokens":128,"output-tokens":64}],
			"scenarios":[{"name":"c4","scenario":"closed","concurrency":4,"duration":"20s"}],"repetitions":2}`
		if err := os.WriteFile(suite, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("h100-sxm")
	if code, out := nightly(suite); code != 0 || !strings.Contains(out, "baseline") {
		t.Fatalf("first night: exit %d\n%s", code, out)
	}
	if code, out := nightly(suite); code != 0 {
		t.Fatalf("second night against the first: exit %d\n%s", code, out)
	}
	write("l4") // tonight's build is slower
	code, out := nightly(suite)
	if code != 3 {
		t.Fatalf("slower suite: exit %d, want 3\n%s", code, out)
	}
	summaries, _ := filepath.Glob(filepath.Join(home, "reports", "*", "*", "summary.md"))
	if len(summaries) != 3 {
		t.Fatalf("%d dated report folders, want 3: %v", len(summaries), summaries)
	}
	var last []byte
	for _, s := range summaries {
		if b, _ := os.ReadFile(s); strings.Contains(string(b), "REGRESSION") {
			last = b
		}
	}
	if !strings.Contains(string(last), "latency p99") {
		t.Errorf("the regression's summary does not name the regressed metric:\n%s", last)
	}
	for _, f := range []string{"report.json", "report.html", "run.txt"} {
		if m, _ := filepath.Glob(filepath.Join(home, "reports", "*", "*", f)); len(m) != 3 {
			t.Errorf("%s in %d of 3 folders", f, len(m))
		}
	}
	// The regression did not become the baseline.
	bases, _ := filepath.Glob(filepath.Join(home, "baselines", "*.json"))
	if len(bases) != 1 {
		t.Fatalf("baselines %v", bases)
	}
	if b, _ := os.ReadFile(bases[0]); !strings.Contains(string(b), "sim:h100-sxm") || strings.Contains(string(b), "sim:l4") {
		t.Error("the regressed report replaced the baseline")
	}
}

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
	"time"

	"github.com/inferbench/inferbench/internal/nettest"
	"github.com/inferbench/inferbench/report"
)

// nightly runs scripts/nightly.sh on suite with the binary bin and the state
// folder home, as a scheduled runner would, and returns its exit code and
// output. extra adds to its environment.
func nightly(t *testing.T, bin, home, suite string, extra ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "nightly.sh", suite)
	cmd.Env = append(append(os.Environ(), "INFERBENCH="+bin, "INFERBENCH_HOME="+home, "GITHUB_STEP_SUMMARY=", "GITHUB_OUTPUT=", "INFERBENCH_ENDPOINT="), extra...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("nightly.sh: %v", err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// Two green nights against one endpoint, then the endpoint gets slower (the
// same URL now answers as an L4 instead of an H100): the third night is a
// regression (exit 3), named in its summary, and not promoted.
func TestNightlyBaselineThenRegression(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found: the nightly script needs it")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	home := filepath.Join(dir, "home")
	// One address for every night: the backend's id is its URL. Real time on
	// a busy machine moves figures by more than the usual 5%; a 10x slower
	// device is far beyond the threshold used here.
	addr := strings.TrimSuffix(strings.TrimPrefix(closedURL(t), "http://"), "/v1")
	url, stop := serve(t, bin, "--addr", addr)
	nightly := func(suite string) (int, string) {
		return nightly(t, bin, home, suite, "INFERBENCH_ENDPOINT="+url, "INFERBENCH_THRESHOLD=50%")
	}
	// A small suite, so the test is quick; the shipped one works the same way.
	suite := filepath.Join(dir, "nightly-small.json")
	doc := `{"name":"nightly-small","backends":["sim:h100-sxm"],
		"workloads":[{"name":"short","model":"llama-3.1-8b","input-tokens":64,"output-tokens":8}],
		"scenarios":[{"name":"c4","scenario":"closed","concurrency":4,"requests":24}],"repetitions":3}`
	if err := os.WriteFile(suite, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := nightly(suite); code != 0 || !strings.Contains(out, "baseline") {
		t.Fatalf("first night: exit %d\n%s", code, out)
	}
	if code, out := nightly(suite); code != 0 {
		t.Fatalf("second night against the first: exit %d\n%s", code, out)
	}
	green, _ := os.ReadFile(latestReport(home))
	stop() // tonight the endpoint is slower
	if u, _ := serve(t, bin, "--addr", addr, "--profile", "l4"); u != url {
		t.Fatalf("the slower server listens at %s, not %s", u, url)
	}
	code, out := nightly(suite)
	if code != 3 {
		t.Fatalf("slower endpoint: exit %d, want 3\n%s", code, out)
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
	if b, _ := os.ReadFile(bases[0]); string(b) != string(green) {
		t.Error("the regressed report replaced the baseline")
	}
}

// A night whose runs all fail (a server that answers every request with an
// error: the model it is asked for does not exist) exits 1, says why, keeps
// its report, and never becomes the baseline: not on the first night, not
// over a green baseline, and not when the suite itself lets the errors pass
// (--max-error-rate 1). A green night after it is promoted.
func TestNightlyNeverPromotesAFailedSuite(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found: the nightly script needs it")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	url := startServe(t, bin) // serves llama-3.1-8b only
	home := filepath.Join(dir, "home")
	stepSummary := filepath.Join(dir, "step-summary.md")
	// One suite file, so every night shares one baseline.
	suite := filepath.Join(dir, "nightly-small.json")
	write := func(backend, model, scenario string) {
		doc := `{"name":"nightly-small","backends":["` + backend + `"],
			"workloads":[{"name":"short","model":"` + model + `","input-tokens":64,"output-tokens":16}],
			"scenarios":[` + scenario + `],"seed":3}`
		if err := os.WriteFile(suite, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	failing := func(backend, extra string) {
		write(backend, "qwen-2.5-7b", `{"name":"c2","scenario":"closed","concurrency":2,"requests":40`+extra+`}`)
	}
	green := func() {
		write("sim:h100-sxm", "llama-3.1-8b", `{"name":"c4","scenario":"closed","concurrency":4,"duration":"20s"}`)
	}
	baselines := func() []string {
		b, _ := filepath.Glob(filepath.Join(home, "baselines", "*.json"))
		return b
	}
	latest := func() string { return latestReport(home) }
	// A night whose suite could not even start has no report to keep.
	failedNight := func(what string, keepsReport bool) {
		t.Helper()
		before := map[string]string{}
		for _, b := range baselines() {
			data, _ := os.ReadFile(b)
			before[b] = string(data)
		}
		os.Remove(stepSummary)
		code, out := nightly(t, bin, home, suite, "GITHUB_STEP_SUMMARY="+stepSummary)
		t.Logf("%s: exit %d\n%s", what, code, out)
		if code != 1 || !strings.Contains(out, "FAILED") {
			t.Errorf("%s: exit %d, want 1 and FAILED said:\n%s", what, code, out)
		}
		after := baselines()
		if len(after) != len(before) {
			t.Errorf("%s: baselines %v, before %d", what, after, len(before))
		}
		for _, b := range after {
			if data, _ := os.ReadFile(b); string(data) != before[b] {
				t.Errorf("%s: the failed night changed the baseline %s", what, b)
			}
		}
		if s, _ := os.ReadFile(stepSummary); !strings.Contains(string(s), "FAILED") || !strings.Contains(string(s), "baseline") {
			t.Errorf("%s: the job summary does not say the night failed:\n%s", what, s)
		}
		if !keepsReport {
			return
		}
		rep, err := report.ReadFile(latest())
		if err != nil {
			t.Fatalf("%s: the failed night's report was not kept: %v", what, err)
		}
		if r := rep.Runs[0]; r.Counts.Completed != 0 || r.Counts.Errors == 0 {
			t.Errorf("%s: the night's run completed %d with %d errors; want all to fail", what, r.Counts.Completed, r.Counts.Errors)
		}
	}

	failing(url, "")
	failedNight("first night, every request fails", true)
	if b := baselines(); len(b) != 0 {
		t.Fatalf("a failed first night made a baseline: %v", b)
	}
	green()
	if code, out := nightly(t, bin, home, suite); code != 0 || len(baselines()) != 1 {
		t.Fatalf("green night: exit %d, baselines %v\n%s", code, baselines(), out)
	}
	failing(url, "")
	failedNight("every request fails, over a green baseline", true)
	failing(url, `,"max-error-rate":1`)
	failedNight("every request fails, and the suite allows every error", true)
	failing(closedURL(t), "")
	failedNight("nothing listens at the backend's address", false)

	green()
	code, out := nightly(t, bin, home, suite)
	if code != 0 || !strings.Contains(out, "promoted") {
		t.Fatalf("green night after failed ones: exit %d\n%s", code, out)
	}
	night, _ := os.ReadFile(latest())
	if b, _ := os.ReadFile(baselines()[0]); string(b) != string(night) {
		t.Error("the green night's report was not promoted to baseline")
	}

	// A compare that fails (a baseline gone bad) fails the night, and the
	// night is not promoted over it: someone must look.
	const garbage = "not a report"
	if err := os.WriteFile(baselines()[0], []byte(garbage), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = nightly(t, bin, home, suite)
	if b, _ := os.ReadFile(baselines()[0]); code != 1 || !strings.Contains(out, "compare failed") || string(b) != garbage {
		t.Errorf("green night against a corrupt baseline: exit %d, baseline now %.40q; want 1, compare failed, untouched\n%s", code, b, out)
	}
}

// closedURL is an endpoint on loopback where nothing listens: a port that was
// free a moment ago.
func closedURL(t *testing.T) string {
	t.Helper()
	return nettest.RefusedURL(t)
}

// latestReport is the newest night's report.json under home, "" when none.
func latestReport(home string) string {
	reps, _ := filepath.Glob(filepath.Join(home, "reports", "*", "*", "report.json"))
	latest, at := "", time.Time{}
	for _, r := range reps {
		if fi, err := os.Stat(r); err == nil && !fi.ModTime().Before(at) {
			latest, at = r, fi.ModTime()
		}
	}
	return latest
}

package scripts

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/report"
)

// buildBinary builds the real binary (no race detector: these tests time a
// real-time server, which the detector slows several-fold).
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "inferbench")
	build := exec.Command("go", "build", "-o", bin, "../cmd/inferbench")
	build.Env = append(os.Environ(), "CGO_CFLAGS=-Wno-deprecated-declarations")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServe starts `inferbench serve` on a free loopback port and returns its
// base URL; the process is killed when the test ends.
func startServe(t *testing.T, bin string, args ...string) string {
	t.Helper()
	url, _ := serve(t, bin, args...)
	return url
}

// serve starts `inferbench serve` (h100-sxm serving llama-3.1-8b on a free
// loopback port unless args say otherwise) and returns its base URL and a
// stop that kills it and waits, so that another can take its address; the
// process is also killed when the test ends.
func serve(t *testing.T, bin string, args ...string) (url string, stop func()) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--profile", "h100-sxm", "--model", "llama-3.1-8b", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { cmd.Process.Kill(); cmd.Wait() }) }
	t.Cleanup(stop)
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/v1)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case url := <-found:
		return url, stop
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not say where it listens")
		return "", stop
	}
}

// Four shard processes against one shared serve endpoint, under load, merge
// to what one process of the same plan measures: the shards' requests meet on
// one simulated device, as they would on one real deployment.
func TestShardProcessesAgainstOneServer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: two real-time runs against a server take about 15 s")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	plan := func(url string) []string {
		return []string{"run", "--backend", url, "--model", "llama-3.1-8b", "--scenario", "constant", "--rate", "40",
			"--requests", "240", "--seed", "11", "--input-tokens", "256", "--output-tokens", "64",
			// Five processes share a busy machine: the harness may send late
			// (schedule lag), which marks a run invalid. This test compares
			// merged with whole, so it keeps such runs and says so below.
			"--allow-invalid"}
	}
	run := func(args ...string) {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Errorf("inferbench %v: %v\n%s", args, err, out)
		}
	}
	// A fresh server for each side, so both start from an idle device.
	whole := filepath.Join(dir, "whole.json")
	run(append(plan(startServe(t, bin, "--batching", "continuous")), "-o", whole)...)
	url := startServe(t, bin, "--batching", "continuous")
	var wg sync.WaitGroup
	var shards []string
	for i := range 4 {
		p := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		shards = append(shards, p)
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(append(plan(url), "--shard", fmt.Sprintf("%d/4", i), "-o", p)...)
		}()
	}
	wg.Wait()
	merged := filepath.Join(dir, "merged.json")
	run(append([]string{"merge", "--allow-invalid", "-o", merged}, shards...)...)
	if t.Failed() {
		t.FailNow()
	}
	read := func(p string) report.Run {
		rep, err := report.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Runs[0]
	}
	w, m := read(whole), read(merged)
	for _, r := range []report.Run{w, m} {
		if !r.Valid {
			t.Logf("invalid on this machine (kept): %v", r.InvalidReasons)
		}
	}
	if w.Counts.Completed != 240 || m.Counts.Completed != 240 {
		t.Fatalf("completed %d (whole) and %d (shards), want 240", w.Counts.Completed, m.Counts.Completed)
	}
	// Four shards of one endpoint ran on its one device: not four of them.
	if m.Backend.Info.Chips != w.Backend.Info.Chips || (m.Cost != nil && m.Cost.Devices != 1) {
		t.Errorf("merged shards of one endpoint say %d chips (cost %+v), the whole run %d", m.Backend.Info.Chips, m.Cost, w.Backend.Info.Chips)
	}
	// About 40 req/s × 0.4 s = 16 requests share the device at a time. Both
	// sides ran in real time on a machine that may be busy: the medians agree
	// closely, the tail (a few requests) within what a busy 2-core CI machine
	// allows.
	for _, c := range []struct {
		what      string
		got, want float64
		tol       float64
	}{
		{"latency p50", m.Latency.P50, w.Latency.P50, 0.10},
		{"latency p99", m.Latency.P99, w.Latency.P99, 0.30},
		{"TPOT p50", m.TPOT.P50, w.TPOT.P50, 0.10},
	} {
		t.Logf("%s: shards merged %.2f ms, whole %.2f ms", c.what, c.got, c.want)
		if math.Abs(c.got-c.want) > c.tol*c.want {
			t.Errorf("%s: merged shards %.2f vs whole %.2f ms: more than %.0f%% apart", c.what, c.got, c.want, 100*c.tol)
		}
	}
}

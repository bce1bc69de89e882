package scripts

import (
	"bufio"
	"fmt"
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
	// 40 req/s of 512+64 tokens keeps about 24 requests on the device at a
	// time, where sharing it shows: the same plan's shards on a device each
	// (10 req/s apiece) measure latency p50 421 ms and TPOT p50 6.4 ms, the
	// shared device 582 ms and 9.0 ms (virtual time: `run --backend
	// sim:h100-sxm`; served, 590 ms and 9.1). With 256 prompt tokens the two
	// were 6% apart, inside the noise of a busy machine, so a server that gave
	// each connection its own device passed.
	plan := func(url string) []string {
		return []string{"run", "--backend", url, "--model", "llama-3.1-8b", "--scenario", "constant", "--rate", "40",
			"--requests", "240", "--seed", "11", "--input-tokens", "512", "--output-tokens", "64",
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
	// Both sides run in real time, so the bounds are the noise of a busy
	// machine, measured: 30 runs with two `yes >/dev/null` keeping both
	// cores busy (and other work on the 2-core machine) put merged/whole at
	// 0.942–1.135 for latency p50 and 0.939–1.106 for TPOT p50; 8 of them
	// at 0.996–1.132 for latency p90 (24 requests: bounds wider). The shards'
	// five processes are slowed more than the whole's two, but the whole is
	// slowed too (the simulated device's clock restarts when its engine is
	// descheduled past its catch-up, accel/sim). The lower bounds still catch
	// shards that did not share the device (0.66–0.71 for p50 and TPOT: the
	// figures above, and a shards' server with isolated batching); the upper
	// ones, three times the largest excess measured, still catch shards that
	// each sent the whole rate (the device saturates: 10.8 s, not 590 ms).
	// The p99 of 240 requests is two or three requests, and on a busy machine
	// measured 0.32–1.37×: logged, not asserted.
	t.Logf("latency p99: shards merged %.2f ms, whole %.2f ms (%.3f×)", m.Latency.P99, w.Latency.P99, m.Latency.P99/w.Latency.P99)
	for _, c := range []struct {
		what      string
		got, want float64
		lo, hi    float64 // bounds of got/want
	}{
		{"latency p50", m.Latency.P50, w.Latency.P50, 0.85, 1.40},
		{"TPOT p50", m.TPOT.P50, w.TPOT.P50, 0.85, 1.40},
		{"latency p90", m.Latency.P90, w.Latency.P90, 0.75, 1.60},
	} {
		t.Logf("%s: shards merged %.2f ms, whole %.2f ms (%.3f×)", c.what, c.got, c.want, c.got/c.want)
		if r := c.got / c.want; !(r >= c.lo && r <= c.hi) {
			t.Errorf("%s: merged shards %.2f vs whole %.2f ms: %.3f×, outside %.2f–%.2f×", c.what, c.got, c.want, r, c.lo, c.hi)
		}
	}
}

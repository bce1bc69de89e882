package main

import (
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/inferbench/inferbench/report"
)

// runShardsAndWhole runs the plan once whole and once as n concurrent shards,
// merges the shards, and returns both reports' single runs.
func runShardsAndWhole(t *testing.T, dir string, n int, whole func() []string, shardServer func() []string) (w, m report.Run) {
	t.Helper()
	wholePath := filepath.Join(dir, "whole.json")
	if code, _, errs := invoke(t, append(whole(), "-o", wholePath)...); code != 0 {
		t.Fatalf("whole run: exit %d: %s", code, errs)
	}
	args := shardServer()
	paths := make([]string, n)
	var wg sync.WaitGroup
	errs := make([]string, n)
	for i := range n {
		paths[i] = filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _, e := invoke(t, append(args, "--shard", fmt.Sprintf("%d/%d", i, n), "-o", paths[i])...); code != 0 {
				errs[i] = fmt.Sprintf("shard %d: exit %d: %s", i, code, e)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
	merged := filepath.Join(dir, "merged.json")
	if code, _, e := invoke(t, append([]string{"merge", "-o", merged}, paths...)...); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, e)
	}
	read := func(p string) report.Run {
		rep, err := report.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Runs[0]
	}
	return read(wholePath), read(merged)
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*want {
		t.Errorf("%s: merged shards %.2f vs whole %.2f: more than %.0f%% apart", what, got, want, 100*tol)
	}
}

// Four shards merged equal one run of the same plan on simulated devices at
// light load (each shard's own device is as idle as the whole's). The same
// against one shared server under load is scripts/shards_test.go: separate
// processes, as a sharded run is.
func TestShardsMergeToTheWhole(t *testing.T) {
	t.Parallel()
	t.Run("simulated", func(t *testing.T) {
		t.Parallel()
		plan := func() []string {
			return []string{"run", "--backend", "sim:h100-sxm", "--scenario", "poisson", "--rate", "2", "--requests", "400", "--seed", "11"}
		}
		w, m := runShardsAndWhole(t, t.TempDir(), 4, plan, plan)
		if w.Counts.Requests != m.Counts.Requests || w.Counts.Completed != m.Counts.Completed {
			t.Errorf("requests %d/%d vs %d/%d", m.Counts.Requests, m.Counts.Completed, w.Counts.Requests, w.Counts.Completed)
		}
		within(t, "latency p50", m.Latency.P50, w.Latency.P50, 0.05)
		within(t, "latency p99", m.Latency.P99, w.Latency.P99, 0.05)
	})

}

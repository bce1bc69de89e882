//go:build soak

// The soak test runs the open-loop generator for minutes against a real
// OpenAI-compatible server with faults on, and checks that memory and
// goroutines stay flat. It is not part of `make test`:
//
//	go test -tags soak -run Soak -v -timeout 30m ./cmd/inferbench
//	SOAK_ROUNDS=30 SOAK_ROUND=20s go test -tags soak -run Soak -v -timeout 60m ./cmd/inferbench
package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/plan"
)

func soakEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestSoakOpenLoopAgainstFaultyServer(t *testing.T) {
	rounds := soakEnv("SOAK_ROUNDS", 9)
	round := 20 * time.Second
	if d, err := time.ParseDuration(os.Getenv("SOAK_ROUND")); err == nil && d > 0 {
		round = d
	}
	paced := server.NewPaced(accel.Info{ID: "soak", Kind: accel.KindSimulated}, func(in, out int) (server.Timing, error) {
		return server.Timing{TTFT: 2 * time.Millisecond, TPOT: time.Millisecond}, nil
	})
	srv, err := server.New(server.Config{
		Backend: paced, Model: "llama-3.1-8b",
		ErrorRate: 0.05, StallEvery: 97, StallDuration: 300 * time.Millisecond, DropStreamEvery: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{}
	go hs.Serve(srv.Attach(hs, ln))
	defer hs.Close()

	b, err := plan.Registry(remote.Opener{}, "", nil).Open("http://"+ln.Addr().String()+"/v1", accel.Options{Model: "llama-3.1-8b", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg := bench.Config{
		Scenario: bench.Poisson, Rate: 200, Duration: round, Seed: 1, Model: "llama-3.1-8b",
		Lengths: bench.Fixed(1, 64, 16), MaxWorkers: 512,
	}
	var heap0 uint64
	var g0 int
	for i := 0; i < rounds; i++ {
		cfg.Seed = uint64(i + 1)
		res, err := bench.Run(context.Background(), b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		g := runtime.NumGoroutine()
		t.Logf("round %d: %d requests, %d completed, errors %v, heap in use %.1f MB, goroutines %d",
			i+1, res.Requests, res.Completed, res.ErrorsByClass, float64(ms.HeapInuse)/1e6, g)
		if res.Completed == 0 || res.Errors == 0 {
			t.Fatalf("round %d: %d completed, %d errors: the faults or the load are not reaching the run", i+1, res.Completed, res.Errors)
		}
		if res.Completed+res.Errors+res.Dropped != res.Requests {
			t.Errorf("round %d: %d completed + %d errors + %d dropped != %d requests", i+1, res.Completed, res.Errors, res.Dropped, res.Requests)
		}
		if i == 1 { // after the pools and caches have filled
			heap0, g0 = ms.HeapInuse, g
		}
		if i > 1 {
			if ms.HeapInuse > heap0*3/2+8<<20 {
				t.Errorf("round %d: heap grew from %.1f to %.1f MB", i+1, float64(heap0)/1e6, float64(ms.HeapInuse)/1e6)
			}
			if g > g0+16 {
				t.Errorf("round %d: goroutines grew from %d to %d", i+1, g0, g)
			}
		}
	}
}

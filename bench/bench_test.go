package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/fixtures"
)

func noopConfig(requests int64) Config {
	return Config{Scenario: Closed, Concurrency: 1, Requests: requests, Model: "llama-3.1-8b", Lengths: Fixed(1, 128, 64)}
}

// The closed loop's per-request step allocates nothing.
func TestClosedLoopAllocs(t *testing.T) {
	cfg := noopConfig(0)
	var next atomic.Uint64
	var w closedWorker
	w.init(context.Background(), noop.Backend{}, &cfg, time.Now(), &next)
	allocs := testing.AllocsPerRun(10000, func() {
		if !w.one() {
			t.Fatal("worker stopped with no limit")
		}
	})
	if allocs != 0 {
		t.Fatalf("closed loop allocates %.2f per request, want 0", allocs)
	}
}

// BenchmarkClosedLoopNoop measures the harness's own cost per request: two
// clock reads, the length draw, the backend call and histogram records.
func BenchmarkClosedLoopNoop(b *testing.B) {
	cfg := noopConfig(0)
	var next atomic.Uint64
	var w closedWorker
	w.init(context.Background(), noop.Backend{}, &cfg, time.Now(), &next)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.one()
	}
}

func TestRunClosedNoopCounts(t *testing.T) {
	t.Parallel()
	for _, conc := range []int{1, 3, 8} {
		cfg := noopConfig(1000)
		cfg.Concurrency = conc
		res, err := Run(context.Background(), noop.Backend{}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests != 1000 || res.Completed != 1000 || res.Errors != 0 {
			t.Errorf("concurrency %d: requests %d completed %d errors %d, want 1000/1000/0", conc, res.Requests, res.Completed, res.Errors)
		}
		if res.Latency.TotalCount() != 1000 || res.OutputTokens != 64*1000 {
			t.Errorf("concurrency %d: %d latencies, %d output tokens", conc, res.Latency.TotalCount(), res.OutputTokens)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := noopConfig(10)
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"good", func(*Config) {}, true},
		{"scenario", func(c *Config) { c.Scenario = "nonesuch" }, false},
		{"concurrency", func(c *Config) { c.Concurrency = 0 }, false},
		{"duration", func(c *Config) { c.Duration = -time.Second }, false},
		{"no limit", func(c *Config) { c.Requests = 0 }, false},
		{"warmup", func(c *Config) { c.Warmup = -1 }, false},
		{"lengths", func(c *Config) { c.Lengths.Input.Max = -1 }, false},
	}
	for _, tt := range tests {
		c := good
		tt.mod(&c)
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestLengthsDeterministicAndClipped(t *testing.T) {
	t.Parallel()
	w, err := fixtures.LookupWorkload("chat")
	if err != nil {
		t.Fatal(err)
	}
	l := FromWorkload(42, w)
	var sumIn float64
	const n = 20000
	for seq := uint64(0); seq < n; seq++ {
		in, out := l.Draw(seq)
		in2, out2 := l.Draw(seq)
		if in != in2 || out != out2 {
			t.Fatalf("Draw(%d) not deterministic", seq)
		}
		if in < w.Input.Min || in > w.Input.Max || out < w.Output.Min || out > w.Output.Max {
			t.Fatalf("Draw(%d) = %d, %d outside the clip bounds", seq, in, out)
		}
		sumIn += float64(in)
	}
	// A log-normal's mean is median·exp(σ²/2); clipping trims a little.
	want := w.Input.Median * 1.377 // exp(0.8²/2)
	if got := sumIn / n; got < 0.9*want || got > 1.1*want {
		t.Errorf("mean input length %.1f, want about %.1f", got, want)
	}
	if a, _ := FromWorkload(43, w).Draw(7); a == func() int { x, _ := l.Draw(7); return x }() {
		// One collision is possible; two different seeds agreeing on many is not.
		same := 0
		for seq := uint64(0); seq < 100; seq++ {
			x, _ := l.Draw(seq)
			y, _ := FromWorkload(43, w).Draw(seq)
			if x == y {
				same++
			}
		}
		if same > 20 {
			t.Errorf("seeds 42 and 43 agree on %d of 100 draws", same)
		}
	}
}

package bench

import (
	"context"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/fixtures"
)

func noopConfig(requests int64) Config {
	return Config{Scenario: Closed, Concurrency: 1, Requests: requests, Model: "llama-3.1-8b", Lengths: Fixed(1, 128, 64)}
}

// loneWorker returns one worker of a real-time run of c, not started, for
// driving the per-request step directly.
func loneWorker(c Config) *worker {
	c.defaults()
	p := c.process()
	r := &runner{ctx: context.Background(), b: noop.Backend{}, c: &c, open: p != ASAP && p != Burst, epoch: time.Now()}
	r.d = &dispatcher{arr: NewArrivals(&c), chunk: maxChunk, maxW: 1}
	r.stripes = []stripe{{rec: NewRecorder()}}
	w := new(worker)
	w.init(r, &r.stripes[0])
	return w
}

// openConfig is a Poisson plan so fast that every arrival is already due:
// the step never waits, so it measures the harness alone.
func openConfig() Config {
	c := noopConfig(0)
	c.Scenario, c.Rate, c.Duration = Poisson, 1e15, time.Hour
	return c
}

// The per-request steps allocate nothing, closed and open loop.
func TestLoopAllocs(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
	}{{"closed", noopConfig(0)}, {"open", openConfig()}} {
		w := loneWorker(tt.cfg)
		allocs := testing.AllocsPerRun(10000, func() {
			if !w.one() {
				t.Fatal("worker stopped with no limit")
			}
		})
		if allocs != 0 {
			t.Errorf("%s loop allocates %.2f per request, want 0", tt.name, allocs)
		}
		if n := w.s.rec.Latency.TotalCount(); n < 10000 {
			t.Errorf("%s loop recorded %d latencies, want at least 10000", tt.name, n)
		}
		if tt.name == "open" && w.s.rec.Lag.TotalCount() != w.s.rec.Latency.TotalCount() {
			t.Errorf("open loop recorded %d lags for %d latencies", w.s.rec.Lag.TotalCount(), w.s.rec.Latency.TotalCount())
		}
	}
}

// BenchmarkClosedLoopNoop measures the harness's own cost per request in a
// closed loop: two clock reads, the length draw, the backend call, the
// stripe lock and the histogram records.
func BenchmarkClosedLoopNoop(b *testing.B) {
	w := loneWorker(noopConfig(0))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.one()
	}
}

// BenchmarkOpenLoopNoop measures the open loop's cost per request: the
// arrival draw (an exponential variate), the clock read that checks the
// schedule and is the send time, the backend call, the clock read after it,
// and the latency, service, lag and TTFT records.
func BenchmarkOpenLoopNoop(b *testing.B) {
	w := loneWorker(openConfig())
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
		{"open without rate", func(c *Config) { c.Scenario = Poisson }, false},
		{"poisson", func(c *Config) { c.Scenario, c.Rate = Poisson, 10 }, true},
		{"gamma without burstiness", func(c *Config) { c.Scenario, c.Rate = Gamma, 10 }, false},
		{"gamma", func(c *Config) { c.Scenario, c.Rate, c.Burstiness = Gamma, 10, 0.5 }, true},
		{"offline without count", func(c *Config) { c.Scenario, c.Requests, c.Duration = Offline, 0, time.Second }, false},
		{"sweep neither", func(c *Config) { c.Scenario = SweepScenario }, false},
		{"sweep both", func(c *Config) { c.Scenario, c.Rates, c.Concurrencies = SweepScenario, []float64{1}, []int{1} }, false},
		{"sweep rates", func(c *Config) { c.Scenario, c.Rates = SweepScenario, []float64{1, 2} }, true},
		{"sweep bad rate", func(c *Config) { c.Scenario, c.Rates = SweepScenario, []float64{1, 0} }, false},
		{"max-rate without slo", func(c *Config) { c.Scenario = MaxRate }, false},
		{"early stop without slo", func(c *Config) { c.EarlyStop = true }, false},
		{"confidence", func(c *Config) { c.Confidence = 1 }, false},
		{"shard", func(c *Config) { c.Shard = Shard{Index: 4, Count: 4} }, false},
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

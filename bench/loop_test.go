package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
)

// stallBackend answers at once, except that every request sent during one
// stretch of the run waits until it ends: a server that freezes once.
type stallBackend struct {
	noop.Backend
	start    time.Time
	from, to time.Duration
}

func (s *stallBackend) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	if now := time.Since(s.start); now >= s.from && now < s.to {
		time.Sleep(s.to - now)
	}
	return s.Backend.Infer(ctx, req, res)
}

// A backend that stalls for 1 s once: the open loop's latency, measured from
// the schedule, shows it at p99, and so do the lag and late counts (or the
// drops, with a max lag); a closed loop, measuring from send, hides it.
func TestStallShowsInOpenLoop(t *testing.T) {
	t.Parallel()
	base := Config{
		Scenario: Poisson, Rate: 1000, Duration: 2500 * time.Millisecond, Seed: 1,
		Lengths: Fixed(1, 8, 8), MaxWorkers: 4,
	}
	run := func(c Config) *Result {
		b := &stallBackend{start: time.Now(), from: 500 * time.Millisecond, to: 1500 * time.Millisecond}
		res, err := Run(context.Background(), b, c)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var wg sync.WaitGroup
	var open, dropping, closed *Result
	wg.Add(3)
	go func() { defer wg.Done(); open = run(base) }()
	go func() {
		defer wg.Done()
		c := base
		c.MaxLag = 100 * time.Millisecond
		dropping = run(c)
	}()
	go func() {
		defer wg.Done()
		c := base
		c.Scenario, c.Concurrency, c.Rate = Closed, 2, 0
		closed = run(c)
	}()
	wg.Wait()

	// Only lower bounds: on a loaded machine the harness may be later still.
	if p99 := time.Duration(open.Latency.ValueAtQuantile(99)); p99 < 500*time.Millisecond {
		t.Errorf("open loop latency p99 %v: want the 1s stall in it", p99)
	}
	if lag := time.Duration(open.Lag.ValueAtQuantile(99)); lag < 100*time.Millisecond || open.Late < 100 {
		t.Errorf("open loop lag p99 %v, %d late: want the stall in the lag", lag, open.Late)
	}
	if open.Valid || !strings.Contains(strings.Join(open.InvalidReasons, ";"), "schedule lag") {
		t.Errorf("open loop with a stall is valid=%v, reasons %q", open.Valid, open.InvalidReasons)
	}
	if n := open.Requests; n < 2000 || n > 3000 {
		t.Errorf("open loop issued %d requests at 1000/s for 2.5s", n)
	}
	if dropping.Dropped < 100 || dropping.Valid {
		t.Errorf("with a 100ms max lag: %d dropped, valid=%v; want hundreds dropped and invalid", dropping.Dropped, dropping.Valid)
	}
	if dropping.Requests != dropping.Completed+dropping.Dropped {
		t.Errorf("requests %d != completed %d + dropped %d", dropping.Requests, dropping.Completed, dropping.Dropped)
	}
	if c99 := time.Duration(closed.Latency.ValueAtQuantile(99)); c99 > 100*time.Millisecond {
		t.Errorf("closed loop p99 %v: coordinated omission should hide the stall", c99)
	}
}

// Every scenario runs in real time against noop and records what it should.
func TestRealtimeScenariosNoop(t *testing.T) {
	t.Parallel()
	// The machine is shared: validity (lag) must not decide what this checks.
	base := Config{Concurrency: 2, Rate: 20000, Burstiness: 0.5, Duration: 200 * time.Millisecond, Seed: 1, Lengths: Fixed(1, 16, 4), LagBudget: time.Hour}
	for _, sc := range Scenarios() {
		c := base
		c.Scenario = sc
		switch sc {
		case Offline:
			c.Requests = 5000
		case SweepScenario:
			c.Rates = []float64{5000, 10000}
		case MaxRate:
			c.SLO = []SLO{{Metric: "latency", Percentile: 50, Max: time.Hour}}
			c.Rate = 1000
			c.Duration = 50 * time.Millisecond
			c.Requests = 20 // every probe is the same 20 requests: short at any rate
		case Replay:
			c.Trace = evenTrace(2000, 200*time.Microsecond)
		}
		res, sw, err := runAny(context.Background(), noop.Backend{}, c)
		if err != nil {
			t.Fatalf("%s: %v", sc, err)
		}
		if res.Completed == 0 || res.Completed != res.Latency.TotalCount() || res.Errors != 0 {
			t.Errorf("%s: completed %d, %d latencies, %d errors", sc, res.Completed, res.Latency.TotalCount(), res.Errors)
		}
		open := c.process() != ASAP && c.process() != Burst
		if open != (res.Lag.TotalCount() > 0) {
			t.Errorf("%s: %d lags recorded, open=%v", sc, res.Lag.TotalCount(), open)
		}
		switch sc {
		case Offline:
			if res.Requests != 5000 || res.Service.TotalCount() != 5000 {
				t.Errorf("offline: %d requests, %d service times, want 5000", res.Requests, res.Service.TotalCount())
			}
		case SweepScenario:
			if len(sw.Points) != 2 || sw.Points[1].Config.Rate != 10000 || sw.Chosen() != sw.Points[1] {
				t.Errorf("sweep: %d points, best %d", len(sw.Points), sw.Best)
			}
		case MaxRate:
			// Doubling from 1000/s: the search climbs while the harness keeps up.
			if len(sw.Points) < 2 || sw.MaxRate < 2000 || sw.Points[1].Config.Rate != 2000 || res.Config.Rate != sw.MaxRate {
				t.Errorf("max-rate against an SLO of an hour: %d probes, max %v, chosen at %v", len(sw.Points), sw.MaxRate, res.Config.Rate)
			}
		}
	}
}

// A lag budget the harness cannot meet marks the run invalid and says so.
func TestInvalidWhenHarnessLate(t *testing.T) {
	t.Parallel()
	c := Config{Scenario: Constant, Rate: 10000, Duration: 100 * time.Millisecond, Lengths: Fixed(1, 1, 1), LagBudget: time.Nanosecond, MinRequests: 1e6}
	res, err := Run(context.Background(), noop.Backend{}, c)
	if err != nil {
		t.Fatal(err)
	}
	why := strings.Join(res.InvalidReasons, "; ")
	if res.Valid || !strings.Contains(why, "schedule lag p99") || !strings.Contains(why, "below the minimum 1000000") {
		t.Errorf("valid=%v, reasons %q", res.Valid, why)
	}
}

// The monitor reports progress and applies stopping rules in real time.
func TestRealtimeProgressAndEarlyStop(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []Progress
	c := Config{
		Scenario: Poisson, Rate: 20000, Duration: 20 * time.Second, Lengths: Fixed(1, 1, 1),
		SLO: []SLO{{Metric: "latency", Percentile: 99, Max: time.Second}}, EarlyStop: true,
		MinDuration: 300 * time.Millisecond, ProgressEvery: 100 * time.Millisecond, LagBudget: time.Hour,
		Progress: func(p Progress) { mu.Lock(); seen = append(seen, p); mu.Unlock() },
	}
	res, err := Run(context.Background(), noop.Backend{}, c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Stopped, "early stop") || res.Elapsed > 5*time.Second || res.Requests < 662 {
		t.Errorf("stopped %q after %v and %d requests; want an early stop after the 300ms floor", res.Stopped, res.Elapsed, res.Requests)
	}
	if !res.Valid || len(res.SLOs) != 1 || res.SLOs[0].Verdict != Met {
		t.Errorf("valid=%v %q, SLOs %+v", res.Valid, res.InvalidReasons, res.SLOs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[len(seen)-1].Requests == 0 || seen[len(seen)-1].Rate <= 0 {
		t.Errorf("progress: %+v", seen)
	}
}

// Canceling the context ends a real-time run promptly.
func TestRealtimeCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, noop.Backend{}, Config{Scenario: Constant, Rate: 1000, Duration: time.Hour, Lengths: Fixed(1, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second || res.Stopped != "canceled" {
		t.Errorf("took %v, stopped %q", took, res.Stopped)
	}
}

// A worker waiting for a far arrival stops waiting when the run is canceled,
// and sends nothing: at one request an hour the first arrival of seed 1 is
// minutes away, and a run that waited for it would outlast the test.
func TestRealtimeCancelWhileWaiting(t *testing.T) {
	t.Parallel()
	c := Config{Scenario: Poisson, Rate: 1.0 / 3600, Duration: 24 * time.Hour, Lengths: Fixed(1, 1, 1), Seed: 1}
	c.defaults()
	if _, at, _ := NewArrivals(&c).Next(); at < time.Minute {
		t.Fatalf("seed 1's first arrival is at %v: pick a seed whose first arrival is far", at)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var calls atomic.Int64
	res, err := Run(ctx, countBackend{&calls}, c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "canceled" || calls.Load() != 0 {
		t.Errorf("stopped %q after %d calls; want canceled after none", res.Stopped, calls.Load())
	}
}

// countBackend counts its calls and returns at once.
type countBackend struct{ n *atomic.Int64 }

func (b countBackend) Info() accel.Info { return accel.Info{ID: "count"} }
func (b countBackend) Close() error     { return nil }
func (b countBackend) Infer(_ context.Context, req *accel.Request, res *accel.Result) error {
	b.n.Add(1)
	res.OutputTokens = req.OutputTokens
	return nil
}

// sleepBackend takes d per call, like an endpoint a network away, and
// records how many calls were out at once before the first one completed.
type sleepBackend struct {
	d           time.Duration
	mu          sync.Mutex
	out, peak   int
	anyFinished bool
}

func (s *sleepBackend) Info() accel.Info { return accel.Info{ID: "sleep"} }
func (s *sleepBackend) Close() error     { return nil }
func (s *sleepBackend) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	s.mu.Lock()
	s.out++
	if !s.anyFinished {
		s.peak = max(s.peak, s.out)
	}
	s.mu.Unlock()
	time.Sleep(s.d)
	s.mu.Lock()
	s.out--
	s.anyFinished = true
	s.mu.Unlock()
	res.OutputTokens = req.OutputTokens
	return nil
}

// An open loop against a slow backend grows its pool while the first calls
// are still out, instead of holding arrivals behind busy workers until
// Little's law has completions to measure: 200 req/s × 100 ms means about 20
// arrivals before the first call returns. Growing on completions alone keeps
// one call per CPU out until then (measured: 2); the watcher sees every worker
// blocked after a millisecond and grows the pool (measured: 20).
func TestOpenLoopGrowsPoolBeforeCompletions(t *testing.T) {
	t.Parallel()
	b := &sleepBackend{d: 100 * time.Millisecond}
	res, err := Run(context.Background(), b, Config{
		Scenario: Constant, Rate: 200, Requests: 60, Lengths: Fixed(1, 8, 8),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != 60 || res.Workers < 20 {
		t.Fatalf("completed %d with %d workers: want 60 with at least 20 in flight", res.Completed, res.Workers)
	}
	t.Logf("calls out before the first completion: %d (late %d, workers %d)", b.peak, res.Late, res.Workers)
	if b.peak < 8 {
		t.Errorf("only %d calls out before the first completed: the pool did not grow while calls were out", b.peak)
	}
}

// runAny runs c with Run, or with RunSweep when its scenario is a series;
// then res is the point that answers (Sweep.Chosen), and it fails if none does.
func runAny(ctx context.Context, b accel.Backend, c Config) (res *Result, sw *Sweep, err error) {
	if !c.Scenario.Series() {
		res, err = Run(ctx, b, c)
		return res, nil, err
	}
	if sw, err = RunSweep(ctx, b, c); err != nil {
		return nil, nil, err
	}
	if res = sw.Chosen(); res == nil {
		return nil, nil, fmt.Errorf("%s: no point answers (%d run)", c.Scenario, len(sw.Points))
	}
	return res, sw, nil
}

package bench

import (
	"math"
	"sort"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// planOf draws a whole plan (or shard) into memory, for tests.
func planOf(c Config) (seqs []uint64, ats []time.Duration) {
	a := NewArrivals(&c)
	for {
		seq, at, ok := a.Next()
		if !ok {
			return seqs, ats
		}
		seqs = append(seqs, seq)
		ats = append(ats, at)
	}
}

func openPlan(sc Scenario, rate, burstiness float64, requests int64, seed uint64) Config {
	return Config{Scenario: sc, Rate: rate, Burstiness: burstiness, Requests: requests, Seed: seed, Lengths: Fixed(seed, 1, 1)}
}

// ksDistance is the Kolmogorov–Smirnov statistic of xs against cdf.
func ksDistance(xs []float64, cdf func(float64) float64) float64 {
	sort.Float64s(xs)
	n := float64(len(xs))
	var d float64
	for i, x := range xs {
		f := cdf(x)
		d = math.Max(d, math.Max(f-float64(i)/n, float64(i+1)/n-f))
	}
	return d
}

// Each open-loop plan issues its rate, with gaps from its distribution
// (Kolmogorov–Smirnov against gonum's CDF at the 0.1% level), and the same
// plan for the same seed.
func TestArrivalPlans(t *testing.T) {
	t.Parallel()
	const n = 50000
	const rate = 1000.0
	tests := []struct {
		name string
		cfg  Config
		cdf  func(float64) float64 // of the gap in seconds; nil: fixed gaps
	}{
		{"constant", openPlan(Constant, rate, 0, n, 1), nil},
		{"poisson", openPlan(Poisson, rate, 0, n, 1), distuv.Exponential{Rate: rate}.CDF},
		// Plans are in whole nanoseconds; at shape 0.25 a slow rate keeps the
		// gaps that rounding distorts rare.
		{"gamma bursty", openPlan(Gamma, rate/1e5, 0.25, n, 1), distuv.Gamma{Alpha: 0.25, Beta: rate / 1e5 * 0.25}.CDF},
		{"gamma regular", openPlan(Gamma, rate, 4, n, 1), distuv.Gamma{Alpha: 4, Beta: rate * 4}.CDF},
		{"gamma shape 1", openPlan(Gamma, rate, 1, n, 1), distuv.Exponential{Rate: rate}.CDF},
	}
	ksCritical := 1.95 / math.Sqrt(n) // α = 0.001
	for _, tt := range tests {
		seqs, ats := planOf(tt.cfg)
		if len(ats) != n {
			t.Fatalf("%s: %d arrivals, want %d", tt.name, len(ats), n)
		}
		for i, s := range seqs {
			if s != uint64(i) {
				t.Fatalf("%s: arrival %d has number %d", tt.name, i, s)
			}
		}
		// The achieved rate of n arrivals: within 3 standard errors of a
		// renewal process with this gap distribution (exactly, for constant).
		got := float64(n-1) / ats[n-1].Seconds() * rate / tt.cfg.Rate
		cv := 1.0
		if tt.cfg.Scenario == Gamma {
			cv = 1 / math.Sqrt(tt.cfg.Burstiness)
		}
		if tt.cdf == nil {
			cv = 0
		}
		if tol := 3*cv/math.Sqrt(n) + 1e-6; math.Abs(got/rate-1) > tol {
			t.Errorf("%s: rate %.2f/s, want %.0f within %.2f%%", tt.name, got, rate, 100*tol)
		}
		gaps := make([]float64, 0, n)
		prev := time.Duration(0)
		for _, at := range ats {
			if at < prev {
				t.Fatalf("%s: arrivals out of order", tt.name)
			}
			gaps = append(gaps, (at - prev).Seconds())
			prev = at
		}
		if tt.cdf == nil {
			for i, g := range gaps[1:] {
				if math.Abs(g-1/rate) > 1e-9 {
					t.Fatalf("%s: gap %d is %v, want %v", tt.name, i+1, g, 1/rate)
				}
			}
		} else if d := ksDistance(gaps, tt.cdf); d > ksCritical {
			t.Errorf("%s: gaps' KS distance %.4f from the distribution, want < %.4f", tt.name, d, ksCritical)
		}
		// Same seed, same plan; another seed, another plan.
		_, again := planOf(tt.cfg)
		other := tt.cfg
		other.Seed = 2
		_, diff := planOf(other)
		same, differ := true, false
		for i := range ats {
			same = same && ats[i] == again[i]
			differ = differ || ats[i] != diff[i]
		}
		if !same {
			t.Errorf("%s: two plans from seed 1 differ", tt.name)
		}
		if !differ && tt.cdf != nil {
			t.Errorf("%s: seeds 1 and 2 give the same plan", tt.name)
		}
	}
}

// A duration limit ends the plan at the first arrival at or after it.
func TestArrivalsStopAtDuration(t *testing.T) {
	t.Parallel()
	c := openPlan(Poisson, 1000, 0, 0, 3)
	c.Duration, c.Warmup = 2*time.Second, time.Second
	_, ats := planOf(c)
	if last := ats[len(ats)-1]; last >= 3*time.Second {
		t.Errorf("last arrival at %v, want before warm-up + duration = 3s", last)
	}
	if n := len(ats); n < 2800 || n > 3200 {
		t.Errorf("%d arrivals in 3s at 1000/s", n)
	}
}

// Offline puts everything at t=0; closed loops have no schedule.
func TestBurstAndASAPPlans(t *testing.T) {
	t.Parallel()
	for _, sc := range []Scenario{Offline, Closed, SingleStream} {
		c := Config{Scenario: sc, Concurrency: 2, Requests: 100, Lengths: Fixed(1, 1, 1)}
		seqs, ats := planOf(c)
		if len(seqs) != 100 {
			t.Errorf("%s: %d requests, want 100", sc, len(seqs))
		}
		for i, at := range ats {
			if at != 0 || seqs[i] != uint64(i) {
				t.Fatalf("%s: arrival %d = (%d, %v), want (%d, 0)", sc, i, seqs[i], at, i)
			}
		}
	}
}

// N shard plans together are the whole plan: the same request numbers, no
// overlap, the whole count, and rates that add up to the whole rate. For
// the constant scenario they are exactly the whole plan's arrivals.
func TestShardPlansMakeTheWhole(t *testing.T) {
	t.Parallel()
	const requests = 4003 // not a multiple of the shard count
	for _, sc := range []Scenario{Constant, Poisson, Gamma, Offline, Closed} {
		whole := openPlan(sc, 200, 0.5, requests, 11)
		whole.Concurrency = 8
		wseqs, wats := planOf(whole)
		for _, n := range []int{1, 3, 4} {
			seen := map[uint64]time.Duration{}
			var rate float64
			workers := 0
			for i := range n {
				c := whole
				c.Shard = Shard{Index: i, Count: n}
				rate += NewArrivals(&c).Rate()
				workers += c.concurrency()
				seqs, ats := planOf(c)
				for k, s := range seqs {
					if s%uint64(n) != uint64(i) {
						t.Fatalf("%s shard %d/%d issued request %d", sc, i, n, s)
					}
					if _, dup := seen[s]; dup {
						t.Fatalf("%s: request %d in two shards", sc, s)
					}
					seen[s] = ats[k]
				}
			}
			if len(seen) != len(wseqs) {
				t.Errorf("%s: %d shards issue %d requests, the whole plan %d", sc, n, len(seen), len(wseqs))
			}
			for _, s := range wseqs {
				if _, ok := seen[s]; !ok {
					t.Fatalf("%s: %d shards never issue request %d", sc, n, s)
				}
			}
			if want := NewArrivals(&whole).Rate(); math.Abs(rate-want) > 1e-9*want {
				t.Errorf("%s: %d shard rates add to %v, want %v", sc, n, rate, want)
			}
			if sc == Closed && workers != 8 {
				t.Errorf("closed: %d shards have %d workers, want the whole's 8", n, workers)
			}
			if sc == Constant {
				for k, s := range wseqs {
					if seen[s] != wats[k] {
						t.Fatalf("constant: request %d at %v in its shard, %v in the whole", s, seen[s], wats[k])
					}
				}
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/4", Shard{0, 4}, true}, {"3/4", Shard{3, 4}, true}, {"0/1", Shard{0, 1}, true},
		{"4/4", Shard{}, false}, {"-1/4", Shard{}, false}, {"1/0", Shard{}, false},
		{"1", Shard{}, false}, {"a/b", Shard{}, false}, {"", Shard{}, false},
	} {
		got, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/4", "3/4", "9/2", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err == nil && (sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count) {
			t.Errorf("ParseShard(%q) = %+v without error", s, sh)
		}
	})
}

// The gamma sampler matches gonum's gamma distribution for shapes on both
// sides of 1 (the boosted branch and Marsaglia–Tsang's).
func TestGammaVariate(t *testing.T) {
	t.Parallel()
	c := openPlan(Gamma, 1, 0.3, 1, 5)
	a := NewArrivals(&c)
	for _, shape := range []float64{0.3, 1, 2.5} {
		xs := make([]float64, 20000)
		for i := range xs {
			xs[i] = gammaVariate(a.rng, shape)
		}
		if d := ksDistance(xs, distuv.Gamma{Alpha: shape, Beta: 1}.CDF); d > 1.95/math.Sqrt(float64(len(xs))) {
			t.Errorf("shape %v: KS distance %.4f", shape, d)
		}
	}
}

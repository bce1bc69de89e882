package sim_test

import (
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/sim"
)

// poisson is an open-loop accel.Driver: n requests with exponential
// inter-arrival times at rate per second, fixed lengths. It records every
// latency into a preallocated slice and allocates nothing per request.
type poisson struct {
	rng      *rand.Rand
	rate     float64
	n        int
	in, out  int
	sent     int
	next     time.Duration
	lat      []time.Duration
	tokens   int64
	last     time.Duration
	rejected int
	sum      uint64 // order-sensitive digest of every completion
}

func newPoisson(seed uint64, rate float64, n, in, out int) *poisson {
	return &poisson{rng: rand.New(rand.NewPCG(seed, 0x5eed)), rate: rate, n: n, in: in, out: out, lat: make([]time.Duration, 0, n)}
}

func (p *poisson) Next(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	if p.sent >= p.n {
		return 0, accel.NextEnd
	}
	*req = accel.Request{Seq: uint64(p.sent), Model: "llama-3.1-8b", Batch: 1, InputTokens: p.in, OutputTokens: p.out}
	at := p.next
	p.next += time.Duration(p.rng.ExpFloat64() / p.rate * 1e9)
	p.sent++
	return at, accel.NextReady
}

func (p *poisson) Done(req *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	p.sum = p.sum*1099511628211 ^ uint64(finished) ^ req.Seq<<40
	if res.Class != accel.ClassNone {
		p.rejected++
		return
	}
	if len(p.lat) < cap(p.lat) {
		p.lat = append(p.lat, res.Latency)
	}
	p.tokens += int64(res.OutputTokens)
	p.last = max(p.last, finished)
}

// throughput is output tokens per second over the run; p99 the latency's 99th
// percentile.
func (p *poisson) throughput() float64 { return float64(p.tokens) / p.last.Seconds() }
func (p *poisson) p99() time.Duration {
	s := slices.Clone(p.lat)
	slices.Sort(s)
	return s[len(s)*99/100]
}

func drive(t testing.TB, b *sim.Backend, d accel.Driver) {
	t.Helper()
	if err := b.Drive(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// Under rising Poisson load a simulated H100 shows the knee real servers show:
// below capacity it keeps up (throughput follows the offered load, latency
// stays flat); past it throughput flattens and p99 latency climbs. The test
// checks the shape, not constants.
func TestKneeUnderPoissonLoad(t *testing.T) {
	t.Parallel()
	b, err := sim.New("h100-sxm", 1, "llama-3.1-8b", "bf16", false)
	if err != nil {
		t.Fatal(err)
	}
	const in, out, n = 512, 256, 3000
	rates := []float64{4, 8, 16, 32, 64, 128, 256} // requests per second
	var tput []float64
	var p99 []time.Duration
	for _, r := range rates {
		d := newPoisson(1, r, n, in, out)
		drive(t, b, d)
		tput = append(tput, d.throughput())
		p99 = append(p99, d.p99())
		t.Logf("rate %4.0f req/s: offered %7.0f tok/s, served %7.0f tok/s, p99 %v, peak batch %d",
			r, r*out, d.throughput(), d.p99().Round(time.Millisecond), b.LastDrive().PeakBatch)
	}
	last := len(rates) - 1
	// Light load: the device keeps up with what is offered.
	if got, offered := tput[0], rates[0]*out; math.Abs(got-offered)/offered > 0.15 {
		t.Errorf("at %v req/s served %.0f tok/s, want about the offered %.0f", rates[0], got, offered)
	}
	// Throughput never falls as load rises, and flattens at the top: doubling
	// the offered load gains little.
	for i := 1; i < len(tput); i++ {
		if tput[i] < tput[i-1]*0.97 {
			t.Errorf("throughput fell from %.0f to %.0f tok/s as the rate rose to %v", tput[i-1], tput[i], rates[i])
		}
	}
	if gain := tput[last] / tput[last-1]; gain > 1.15 {
		t.Errorf("throughput still rising %.2f× between %v and %v req/s: no saturation", gain, rates[last-1], rates[last])
	}
	if ratio := tput[last] / (rates[last] * out); ratio > 0.8 {
		t.Errorf("at %v req/s served %.0f%% of the offered load: never saturated", rates[last], ratio*100)
	}
	// p99 climbs past the knee.
	if p99[last] < 3*p99[0] {
		t.Errorf("p99 %v at %v req/s vs %v at %v req/s: want it to climb past the knee", p99[last], rates[last], p99[0], rates[0])
	}
}

// Same seed, same plan: byte-identical completions; another seed differs.
func TestDriveDeterministic(t *testing.T) {
	t.Parallel()
	digest := func(seed uint64) (uint64, uint64) {
		b, err := sim.New("l4", 0, "llama-3.1-8b", "", false)
		if err != nil {
			t.Fatal(err)
		}
		d := newPoisson(seed, 3, 500, 300, 150)
		drive(t, b, d)
		h := fnv.New64a()
		for _, l := range d.lat {
			h.Write([]byte(l.String()))
		}
		return d.sum, h.Sum64()
	}
	a1, a2 := digest(7)
	b1, b2 := digest(7)
	c1, _ := digest(8)
	if a1 != b1 || a2 != b2 {
		t.Error("two drives with the same seed differ")
	}
	if a1 == c1 {
		t.Error("drives with different seeds agree: the seed is not used")
	}
}

// A request that can never fit the KV cache is rejected, not queued forever;
// the others are still served.
func TestDriveRejectsWhatCanNeverFit(t *testing.T) {
	t.Parallel()
	b, err := sim.New("l4", 1, "llama-3.1-8b", "bf16", false)
	if err != nil {
		t.Fatal(err)
	}
	huge := int(b.Device().KVCapacityTokens()) + 1
	d := &fixedPlan{lens: [][2]int{{128, 16}, {huge, 1}, {128, 16}}}
	drive(t, b, d)
	want := []accel.ErrClass{accel.ClassNone, accel.ClassRejected, accel.ClassNone}
	if !slices.Equal(d.classes, want) {
		t.Errorf("classes %v, want %v", d.classes, want)
	}
}

// fixedPlan sends its requests at t=0 and records each one's class by Seq.
type fixedPlan struct {
	lens    [][2]int
	sent    int
	classes []accel.ErrClass
}

func (f *fixedPlan) Next(_ time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	if f.sent == len(f.lens) {
		return 0, accel.NextEnd
	}
	*req = accel.Request{Seq: uint64(f.sent), InputTokens: f.lens[f.sent][0], OutputTokens: f.lens[f.sent][1]}
	f.sent++
	if f.classes == nil {
		f.classes = make([]accel.ErrClass, len(f.lens))
	}
	return 0, accel.NextReady
}

func (f *fixedPlan) Done(req *accel.Request, res *accel.Result, _, _ time.Duration) {
	f.classes[req.Seq] = res.Class
}

// The engine allocates nothing per request in steady state: driving ten times
// more requests costs no more allocations (seq records are recycled, the queue
// reuses its array).
func TestEngineSteadyStateAllocs(t *testing.T) {
	b, err := sim.New("h100-sxm", 1, "llama-3.1-8b", "bf16", false)
	if err != nil {
		t.Fatal(err)
	}
	allocs := func(n int) float64 {
		return testing.AllocsPerRun(2, func() {
			drive(t, b, newPoisson(3, 20, n, 256, 64))
		})
	}
	small, large := allocs(1000), allocs(10000)
	// The drivers' own slices grow with n (a few allocations); the engine must
	// add nothing per request.
	if large-small > 30 {
		t.Errorf("%.0f allocations for 1,000 requests, %.0f for 10,000: the engine allocates per request", small, large)
	}
}

// BenchmarkEngine simulates b.N requests of a chat-sized workload (512 prompt
// + 128 output tokens) arriving as a Poisson stream at about 80% of a
// simulated H100's capacity; requests/s is how many it simulates per second of
// wall-clock time.
func BenchmarkEngine(b *testing.B) {
	be, err := sim.New("h100-sxm", 1, "llama-3.1-8b", "bf16", false)
	if err != nil {
		b.Fatal(err)
	}
	d := newPoisson(1, 120, b.N, 512, 128)
	b.ReportAllocs()
	b.ResetTimer()
	drive(b, be, d)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(be.LastDrive().PeakBatch), "peak-batch")
}

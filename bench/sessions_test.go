package bench_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/bench"
)

// turnTape is tape that also writes down each request's turn and prefix.
type turnTape struct {
	got    []seen
	turns  []int
	prefix [][]uint64
}

func (*turnTape) Info() accel.Info { return accel.Info{ID: "tape"} }
func (*turnTape) Infer(context.Context, *accel.Request, *accel.Result) error {
	return errors.New("tape runs in virtual time")
}
func (*turnTape) Close() error { return nil }

func (t *turnTape) Drive(ctx context.Context, d accel.Driver) error {
	var now time.Duration
	for {
		var req accel.Request
		at, st := d.Next(now, &req)
		if st != accel.NextReady {
			return nil
		}
		now = at
		t.got = append(t.got, seen{req.Seq, at, req.InputTokens, req.OutputTokens})
		t.turns = append(t.turns, req.Turn)
		t.prefix = append(t.prefix, slices.Clone(req.Prefix))
		res := accel.Result{TTFT: ms, Latency: ms, OutputTokens: req.OutputTokens}
		d.Done(&req, &res, at, at+ms)
	}
}

// Two sessions of three turns, a second apart, 2 s of thought between a
// turn's answer and the next question, 50 tokens a question: each turn's
// prompt is the last one, its 10-token answer and the new 50 tokens, sent
// 2 s after the 1 ms answer; a turn's prefix ids begin with all of the
// last turn's.
func TestKnownSessionsVirtual(t *testing.T) {
	t.Parallel()
	b := &turnTape{}
	res := run(t, context.Background(), b, bench.Config{
		Scenario: bench.Constant, Rate: 1, Requests: 2, Lengths: bench.Fixed(1, 100, 10),
		Sessions: bench.Sessions{Turns: 3, Think: 2 * time.Second, TurnTokens: 50},
	})
	s := time.Second
	want := []seen{
		{0, 0, 100, 10}, {3, s, 100, 10}, {1, 2*s + ms, 160, 10},
		{4, 3*s + ms, 160, 10}, {2, 4*s + 2*ms, 220, 10}, {5, 5*s + 2*ms, 220, 10},
	}
	if !slices.Equal(b.got, want) {
		t.Errorf("turns\n got %v\nwant %v", b.got, want)
	}
	if !slices.Equal(b.turns, []int{0, 0, 1, 1, 2, 2}) {
		t.Errorf("turn indices %v", b.turns)
	}
	// Session 0: 6, 10 and 13 blocks of 16 tokens, each the last's and more.
	p0, p1, p2 := b.prefix[0], b.prefix[2], b.prefix[4]
	if len(p0) != 6 || len(p1) != 10 || len(p2) != 13 || !slices.Equal(p1[:6], p0) || !slices.Equal(p2[:10], p1) {
		t.Errorf("session 0's prefixes %v, %v, %v: want 6, 10, 13 blocks, each extending the last", p0, p1, p2)
	}
	if q := b.prefix[1]; len(q) != 6 || q[0] == p0[0] {
		t.Errorf("session 1's first prefix %v shares session 0's %v", q, p0)
	}
	if res.Requests != 6 || len(res.TurnTTFT) != 3 {
		t.Fatalf("requests %d, %d turn rows: want 6, 3", res.Requests, len(res.TurnTTFT))
	}
	for k, h := range res.TurnTTFT {
		// Per-turn rows are kept at 1% resolution.
		if d := time.Duration(h.Max()) - ms; h.TotalCount() != 2 || d.Abs() > ms/100 {
			t.Errorf("turn %d: %d TTFTs, max %v; want 2 of 1ms", k, h.TotalCount(), time.Duration(h.Max()))
		}
	}
}

// A closed loop of two users in real time against the oracle: each runs
// its session's three turns, 20 ms of thought apart, so the run sends six
// requests and lasts at least two think times.
func TestKnownSessionsRealtime(t *testing.T) {
	t.Parallel()
	o := newOracle(t, oracle.Config{TTFT: ms, TPOT: ms, Realtime: true})
	start := time.Now()
	res := run(t, context.Background(), o, bench.Config{
		Scenario: bench.Closed, Concurrency: 2, Requests: 2, Lengths: bench.Fixed(1, 100, 4),
		Sessions: bench.Sessions{Turns: 3, Think: 20 * ms, TurnTokens: 50},
	})
	if took := time.Since(start); took < 40*ms {
		t.Errorf("took %v: two think times are 40ms", took)
	}
	if res.Requests != 6 || res.Completed != 6 || res.RequestedInputTokens != 2*(100+154+208) {
		t.Errorf("requests %d completed %d prompt tokens %d: want 6, 6, %d", res.Requests, res.Completed, res.RequestedInputTokens, 2*(100+154+208))
	}
	for k, h := range res.TurnTTFT {
		if h.TotalCount() != 2 {
			t.Errorf("turn %d: %d TTFTs, want 2", k, h.TotalCount())
		}
	}
}

// A shared-prefix plan: every request's prompt begins with one of three
// 64-token prefixes (4 blocks), and is that much longer.
func TestKnownSharedPrefix(t *testing.T) {
	t.Parallel()
	b := &turnTape{}
	run(t, context.Background(), b, bench.Config{
		Scenario: bench.Constant, Rate: 100, Requests: 60, Lengths: bench.Fixed(1, 10, 2),
		SharedPrefix: bench.SharedPrefix{Groups: 3, Tokens: 64},
	})
	groups := map[uint64]int{}
	for i, p := range b.prefix {
		if len(p) != 4 || b.got[i].in != 74 {
			t.Fatalf("request %d: prefix %v, %d prompt tokens; want 4 blocks, 74", i, p, b.got[i].in)
		}
		groups[p[0]]++
	}
	if len(groups) != 3 {
		t.Errorf("%d prefix groups, want 3: %v", len(groups), groups)
	}
}

func TestSessionRefusals(t *testing.T) {
	t.Parallel()
	base := bench.Config{Scenario: bench.Constant, Rate: 1, Requests: 1, Lengths: bench.Fixed(1, 10, 2)}
	for _, c := range []struct {
		name string
		mod  func(*bench.Config)
		want string
	}{
		{"no turns", func(c *bench.Config) { c.Sessions = bench.Sessions{TurnTokens: 5} }, "want 1 to 64 turns"},
		{"no tokens a turn", func(c *bench.Config) { c.Sessions = bench.Sessions{Turns: 2} }, "at least 1 token a turn"},
		{"prefix under a block", func(c *bench.Config) { c.SharedPrefix = bench.SharedPrefix{Groups: 2, Tokens: 8} }, "at least 16 tokens"},
		{"both", func(c *bench.Config) {
			c.Sessions = bench.Sessions{Turns: 2, TurnTokens: 5}
			c.SharedPrefix = bench.SharedPrefix{Groups: 2, Tokens: 64}
		}, "not both"},
		{"over a trace", func(c *bench.Config) {
			c.Sessions = bench.Sessions{Turns: 2, TurnTokens: 5}
			c.Trace = textTrace(azureText)
		}, "a trace gives its own requests"},
	} {
		cfg := base
		c.mod(&cfg)
		if _, err := bench.Run(context.Background(), &tape{}, cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// A Mooncake trace's hash_ids reach the backend as the request's prefix
// (512-token blocks), in virtual time and in real time, where each
// in-flight request keeps its own copy.
func TestTracePrefixReachesBackend(t *testing.T) {
	t.Parallel()
	text := `{"timestamp": 0, "input_length": 1000, "output_length": 2, "hash_ids": [7, 8]}
{"timestamp": 1, "input_length": 600, "output_length": 2, "hash_ids": [7, 9]}
{"timestamp": 2, "input_length": 100, "output_length": 2, "hash_ids": [5]}
`
	b := &turnTape{}
	run(t, context.Background(), b, bench.Config{Scenario: bench.Replay, Trace: textTrace(text)})
	want := [][]uint64{{7, 8}, {7, 9}, {5}}
	for i := range want {
		if !slices.Equal(b.prefix[i], want[i]) {
			t.Errorf("virtual: request %d prefix %v, want %v", i, b.prefix[i], want[i])
		}
	}
	rt := &prefixRecorder{got: map[uint64][]uint64{}}
	run(t, context.Background(), rt, bench.Config{Scenario: bench.Replay, Trace: textTrace(text)})
	for i := range want {
		if got := rt.got[uint64(i)]; !slices.Equal(got, want[i]) || rt.block != 512 {
			t.Errorf("real time: request %d prefix %v of %d-token blocks, want %v of 512", i, got, rt.block, want[i])
		}
	}
}

// prefixRecorder is a real-time backend that writes down each request's
// prefix.
type prefixRecorder struct {
	mu    sync.Mutex
	got   map[uint64][]uint64
	block int
}

func (*prefixRecorder) Info() accel.Info { return accel.Info{ID: "prefixes"} }
func (*prefixRecorder) Close() error     { return nil }
func (p *prefixRecorder) Infer(_ context.Context, req *accel.Request, res *accel.Result) error {
	p.mu.Lock()
	p.got[req.Seq] = slices.Clone(req.Prefix)
	p.block = req.PrefixBlock
	p.mu.Unlock()
	res.OutputTokens = req.OutputTokens
	return nil
}

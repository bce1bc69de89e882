package bench_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/internal/trace"
)

// seen is one request as a virtual-time backend saw it.
type seen struct {
	seq     uint64
	at      time.Duration
	in, out int
}

// tape is a virtual-time backend that serves every request in 1 ms and
// writes down when each arrived and what it asked for.
type tape struct{ got []seen }

func (*tape) Info() accel.Info { return accel.Info{ID: "tape"} }
func (*tape) Infer(context.Context, *accel.Request, *accel.Result) error {
	return errors.New("tape runs in virtual time")
}
func (*tape) Close() error { return nil }

func (t *tape) Drive(ctx context.Context, d accel.Driver) error {
	var now time.Duration
	for {
		var req accel.Request
		at, st := d.Next(now, &req)
		if st != accel.NextReady {
			return nil
		}
		now = at
		t.got = append(t.got, seen{req.Seq, at, req.InputTokens, req.OutputTokens})
		res := accel.Result{TTFT: ms, Latency: ms, OutputTokens: req.OutputTokens}
		d.Done(&req, &res, at, at+ms)
	}
}

// azureText is a trace in Azure's format with requests 0, 0.25, 1, 1, 3
// and 10 s after the first.
const azureText = `TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:17:03.0000000,100,10
2023-11-16 18:17:03.2500000,200,20
2023-11-16 18:17:04.0000000,300,30
2023-11-16 18:17:04.0000000,400,40
2023-11-16 18:17:06.0000000,500,50
2023-11-16 18:17:13.0000000,600,60
`

func textTrace(text string) *bench.Trace {
	return &bench.Trace{Name: "t.csv", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }}
}

// Replay issues each request at its trace time over the speedup, with its
// lengths, in virtual time exactly; --duration counts trace time after the
// speedup, --requests the first requests, and shards split the records.
func TestKnownReplayVirtual(t *testing.T) {
	t.Parallel()
	s := time.Second
	all := []seen{{0, 0, 100, 10}, {1, s / 4, 200, 20}, {2, s, 300, 30}, {3, s, 400, 40}, {4, 3 * s, 500, 50}, {5, 10 * s, 600, 60}}
	scale := func(xs []seen, f float64) []seen {
		out := slices.Clone(xs)
		for i := range out {
			out[i].at = time.Duration(float64(out[i].at) / f)
		}
		return out
	}
	for _, c := range []struct {
		name     string
		speedup  float64
		duration time.Duration
		requests int64
		shard    bench.Shard
		want     []seen
	}{
		{"whole trace", 0, 0, 0, bench.Shard{}, all},
		{"speedup 4", 4, 0, 0, bench.Shard{}, scale(all, 4)},
		{"speedup 0.5", 0.5, 0, 0, bench.Shard{}, scale(all, 0.5)},
		{"first 3s of trace time", 0, 3 * s, 0, bench.Shard{}, all[:4]},
		{"first 3s after a speedup of 2: 6s of trace", 2, 3 * s, 0, bench.Shard{}, scale(all[:5], 2)},
		{"first 2 requests", 0, 0, 2, bench.Shard{}, all[:2]},
		{"shard 0/2", 0, 0, 0, bench.Shard{Index: 0, Count: 2}, []seen{all[0], all[2], all[4]}},
		{"shard 1/2", 0, 0, 0, bench.Shard{Index: 1, Count: 2}, []seen{all[1], all[3], all[5]}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := &tape{}
			res := run(t, context.Background(), b, bench.Config{
				Scenario: bench.Replay, Trace: textTrace(azureText), Speedup: c.speedup,
				Duration: c.duration, Requests: c.requests, Shard: c.shard,
			})
			if !slices.Equal(b.got, c.want) {
				t.Errorf("arrivals\n got %v\nwant %v", b.got, c.want)
			}
			var out int64
			for _, r := range c.want {
				out += int64(r.out)
			}
			// The timeline counts each request in the second it was due.
			var tl []int64
			for _, r := range c.want {
				i := int(r.at / res.Timeline.Width)
				for len(tl) <= i {
					tl = append(tl, 0)
				}
				tl[i]++
			}
			for i, b := range res.Timeline.Buckets {
				if i >= len(tl) || b.Requests != tl[i] || b.Completed != b.Requests || b.TTFTMax != ms && b.Requests > 0 {
					t.Errorf("timeline bucket %d: %+v, want %d requests of 1ms TTFT", i, b, tl)
					break
				}
			}
			if len(res.Timeline.Buckets) != len(tl) {
				t.Errorf("timeline of %d buckets, want %d", len(res.Timeline.Buckets), len(tl))
			}
			if res.Requests != int64(len(c.want)) || res.Completed != res.Requests || res.OutputTokens != out {
				t.Errorf("requests %d completed %d output tokens %d, want %d, %d, %d", res.Requests, res.Completed, res.OutputTokens, len(c.want), len(c.want), out)
			}
		})
	}
}

// A trace with any other scenario is a length distribution: request n has
// record n's lengths, from the top again after the last.
func TestTraceLengthsInOtherScenarios(t *testing.T) {
	t.Parallel()
	b := &tape{}
	run(t, context.Background(), b, bench.Config{
		Scenario: bench.Constant, Rate: 10, Requests: 8, Trace: textTrace(azureText),
	})
	var ins []int
	for _, r := range b.got {
		ins = append(ins, r.in)
	}
	if want := []int{100, 200, 300, 400, 500, 600, 100, 200}; !slices.Equal(ins, want) {
		t.Errorf("prompt lengths %v, want %v", ins, want)
	}
	if b.got[7].at != 700*ms {
		t.Errorf("the 8th request at %v, want the constant rate's 700ms", b.got[7].at)
	}
}

// In real time, against the oracle, a replay sends exactly the trace's
// requests with exactly its lengths, none late beyond the lag budget's
// judgement, and no earlier than its times.
func TestKnownReplayRealtime(t *testing.T) {
	t.Parallel()
	o := newOracle(t, oracle.Config{TTFT: ms, TPOT: 0, Realtime: true})
	start := time.Now()
	res := run(t, context.Background(), o, bench.Config{Scenario: bench.Replay, Trace: textTrace(azureText), Speedup: 50})
	if took := time.Since(start); took < 200*ms {
		t.Errorf("took %v: the last request is due at 10s/50 = 200ms", took)
	}
	if res.Requests != 6 || res.Completed != 6 || res.RequestedInputTokens != 2100 || res.RequestedOutputTokens != 210 {
		t.Errorf("requests %d completed %d requested %d+%d tokens, want 6, 6, 2100+210", res.Requests, res.Completed, res.RequestedInputTokens, res.RequestedOutputTokens)
	}
}

func TestReplayRefusals(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		cfg  bench.Config
		want string
	}{
		{"replay without a trace", bench.Config{Scenario: bench.Replay}, "replay needs a trace"},
		{"speedup elsewhere", bench.Config{Scenario: bench.Constant, Rate: 1, Requests: 1, Speedup: 2, Trace: textTrace(azureText)}, "speedup 2: want a positive factor, for --scenario replay only"},
		{"negative speedup", bench.Config{Scenario: bench.Replay, Speedup: -1, Trace: textTrace(azureText)}, "speedup -1"},
		{"empty trace", bench.Config{Scenario: bench.Replay, Trace: textTrace("TIMESTAMP,ContextTokens,GeneratedTokens\n")}, "trace t.csv has no requests"},
		{"not a trace", bench.Config{Scenario: bench.Replay, Trace: textTrace("hello\n")}, "cannot tell its format"},
		{"broken mid-way", bench.Config{Scenario: bench.Replay, Trace: textTrace(azureText + "2023-11-16 18:17:14,x,1\n")}, "trace t.csv line 8: token count \"x\""},
		{"wrong format given", bench.Config{Scenario: bench.Replay, Trace: &bench.Trace{Name: "t", Format: trace.BurstGPT, Open: textTrace(azureText).Open}}, "burstgpt header"},
		{"cannot open", bench.Config{Scenario: bench.Replay, Trace: &bench.Trace{Name: "gone.csv", Open: func() (io.ReadCloser, error) { return nil, errors.New("no such file") }}}, "trace gone.csv: no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := bench.Run(context.Background(), &tape{}, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// evenTrace is a BurstGPT-format trace of n requests of 4+2 tokens, gap
// apart, for tests that run every scenario.
func evenTrace(n int, gap time.Duration) *bench.Trace {
	var b strings.Builder
	b.WriteString("Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n")
	for i := range n {
		fmt.Fprintf(&b, "%.9f,m,4,2,6,Conversation log\n", (time.Duration(i) * gap).Seconds())
	}
	return textTrace(b.String())
}

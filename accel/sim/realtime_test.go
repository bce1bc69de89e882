package sim

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
)

type gapCount struct{ n atomic.Int64 }

func (g *gapCount) RecordGap(time.Duration) { g.n.Add(1) }

// Concurrent Infer calls share one engine and batch together, as Drive's
// requests do; each streams its tokens in order and records its gaps.
func TestRealtimeBatchesConcurrentCalls(t *testing.T) {
	t.Parallel()
	b, err := New("h100-sxm", 1, "llama-3.2-1b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const calls, out = 4, 120
	var wg sync.WaitGroup
	errs := make([]error, calls)
	results := make([]accel.Result, calls)
	gaps := make([]gapCount, calls)
	order := make([][]int, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := accel.Request{Seq: uint64(i), InputTokens: 64, OutputTokens: out,
				OnToken: func(k int) { order[i] = append(order[i], k) }}
			results[i].Gaps = &gaps[i]
			errs[i] = b.Infer(context.Background(), &req, &results[i])
		}()
	}
	wg.Wait()
	for i := range calls {
		r := results[i]
		if errs[i] != nil || r.OutputTokens != out || r.TTFT <= 0 || r.Latency < r.TTFT || r.Counted != accel.CountedExact {
			t.Errorf("call %d: %v, %+v", i, errs[i], r)
		}
		if len(order[i]) != out || order[i][0] != 0 || order[i][out-1] != out-1 {
			t.Errorf("call %d: tokens %v..., want 0..%d in order", i, order[i][:min(3, len(order[i]))], out-1)
		}
		if g := gaps[i].n.Load(); g != out-1 {
			t.Errorf("call %d: %d gaps recorded, want %d", i, g, out-1)
		}
	}
	// Happens-after every call's completion, so reading the engine's state is safe.
	if peak := b.rt.b.peak; peak < 2 {
		t.Errorf("peak batch %d: concurrent calls were served one at a time", peak)
	}
	if e := b.Energy(); e.Joules <= 0 || e.PeakW < b.dev.Power(0) {
		t.Errorf("energy %+v", e)
	}
}

// A request that carries its arrival (a server's kernel receive stamp) is
// timed from it, and an idle device starts on it then, but never more than
// catchUp back: an arrival an hour old does not make the answer instant.
func TestRealtimeStartsAtArrival(t *testing.T) {
	t.Parallel()
	b, err := New("h100-sxm", 1, "llama-3.2-1b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	req := accel.Request{InputTokens: 64, OutputTokens: 16}
	p, err := Predict(context.Background(), Scenario{Profile: "h100-sxm", Chips: 1, Model: "llama-3.2-1b", Precision: "bf16", Batch: 1, InputTokens: 64, OutputTokens: 16})
	if err != nil {
		t.Fatal(err)
	}
	arrived := time.Now().Add(-time.Hour)
	var res accel.Result
	called := time.Now()
	if err := b.Infer(accel.WithArrival(context.Background(), arrived), &req, &res); err != nil {
		t.Fatal(err)
	}
	took := time.Since(called)
	if res.TTFT < time.Hour || res.Latency < res.TTFT {
		t.Errorf("TTFT %v, latency %v: want both counted from the arrival an hour ago", res.TTFT, res.Latency)
	}
	if floor := time.Duration(p.E2Ems*1e6) - catchUp - time.Microsecond; took < floor {
		t.Errorf("the call took %v; the device may start at most %v early, so at least %v", took, catchUp, floor)
	}
}

// A canceled call returns ClassCanceled, and OnToken is never called after
// Infer returns.
func TestRealtimeCancel(t *testing.T) {
	t.Parallel()
	b, err := New("l4", 1, "llama-3.2-1b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var returned atomic.Bool
	var late atomic.Int64
	req := accel.Request{InputTokens: 32, OutputTokens: 100000, OnToken: func(k int) {
		if returned.Load() {
			late.Add(1)
		}
		if k == 3 {
			cancel()
		}
	}}
	var res accel.Result
	err = b.Infer(ctx, &req, &res)
	returned.Store(true)
	if accel.ClassOf(err) != accel.ClassCanceled || res.Class != accel.ClassCanceled {
		t.Fatalf("canceled Infer: %v (class %q)", err, res.Class)
	}
	// Another call on the same device still works, and the canceled one's
	// tokens stopped.
	req2 := accel.Request{InputTokens: 16, OutputTokens: 4}
	var res2 accel.Result
	if err := b.Infer(context.Background(), &req2, &res2); err != nil || res2.OutputTokens != 4 {
		t.Errorf("after a cancel: %v, %+v", err, res2)
	}
	if n := late.Load(); n > 0 {
		t.Errorf("OnToken called %d times after Infer returned", n)
	}
	// A context done before the call is refused at once.
	if err := b.Infer(ctx, &req2, &res2); accel.ClassOf(err) != accel.ClassCanceled {
		t.Errorf("Infer with a done context: %v", err)
	}
}

// Close fails calls in flight with ClassCanceled, stops the engine, and later
// calls fail at once.
func TestRealtimeClose(t *testing.T) {
	t.Parallel()
	b, err := New("l4", 1, "llama-3.2-1b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var once sync.Once
	req := accel.Request{InputTokens: 32, OutputTokens: 100000, OnToken: func(int) { once.Do(func() { close(started) }) }}
	var res accel.Result
	errc := make(chan error)
	go func() { errc <- b.Infer(context.Background(), &req, &res) }()
	<-started
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; accel.ClassOf(err) != accel.ClassCanceled || !strings.Contains(err.Error(), "closed") {
		t.Errorf("in-flight call at Close: %v", err)
	}
	if err := b.Infer(context.Background(), &req, &res); accel.ClassOf(err) != accel.ClassCanceled {
		t.Errorf("Infer after Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A request that can never fit is rejected with an error that says why.
func TestRealtimeRejects(t *testing.T) {
	t.Parallel()
	b, err := New("l4", 1, "llama-3.2-1b", "bf16", true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	req := accel.Request{InputTokens: int(b.dev.KVCapacityTokens()) + 1, OutputTokens: 1}
	var res accel.Result
	err = b.Infer(context.Background(), &req, &res)
	var ae *accel.Error
	if !errors.As(err, &ae) || ae.Class != accel.ClassRejected || !strings.Contains(err.Error(), "KV cache") {
		t.Errorf("oversized request: %v", err)
	}
}

// A call canceled at once after its submit has both in the engine's
// buffers when the engine takes them, and take's select picks between
// ready channels at random: the cancel can come out first. The engine must
// take the submit before it answers the cancel, or the call is woken,
// returned and pooled, and its submit, taken after, puts a recycled call
// on the device (a data race, then a nil dereference, under load). Each
// trial here has a one-in-two chance of that order, so 64 of them all but
// certainly meet it.
func TestRealtimeCancelBeforeSubmitIsTaken(t *testing.T) {
	t.Parallel()
	b, err := New("l4", 1, "llama-3.2-1b", "bf16", false)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// An engine whose loop is not running: the test is its goroutine.
	e := &rtEngine{b: batcher{dev: b.dev}, submit: make(chan *rtCall, rtBuffer), cancel: make(chan *rtCall, rtBuffer), epoch: time.Now()}
	for trial := range 64 {
		var res accel.Result
		c := &rtCall{done: make(chan struct{}, 1), res: &res, start: time.Now(), state: rtSubmitted}
		c.s.req, c.s.call = &accel.Request{Seq: uint64(trial), InputTokens: 16, OutputTokens: 4}, c
		e.submit <- c
		e.cancel <- c
		e.take()
		if !e.b.idle() {
			t.Fatalf("trial %d: a canceled call is still on the device: %d queued, %d running", trial, e.b.queued(), len(e.b.running))
		}
		if c.state != rtDone || len(c.done) != 1 || res.Class != accel.ClassCanceled {
			t.Fatalf("trial %d: state %d, %d wake-ups, class %q: want one canceled answer", trial, c.state, len(c.done), res.Class)
		}
	}
}

package oracle

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
)

const ms = time.Millisecond

// After walks work through the stall windows [k·10 − 2, k·10) ms.
func TestStallAfter(t *testing.T) {
	t.Parallel()
	s := Stall{Every: 10 * ms, For: 2 * ms}
	for _, tt := range []struct {
		at, work, want time.Duration
	}{
		{0, 5 * ms, 5 * ms},            // clear of any window
		{3 * ms, 5 * ms, 8 * ms},       // ends exactly where the window starts
		{5 * ms, 5 * ms, 12 * ms},      // 3 ms, frozen 8–10, 2 ms more
		{8 * ms, 1 * ms, 11 * ms},      // starts frozen: waits until 10
		{9 * ms, 0, 10 * ms},           // even no work waits for the window's end
		{0, 25 * ms, 31 * ms},          // 8, frozen to 10, 8, frozen to 20, 8, frozen to 30, 1
		{15 * ms, 10 * ms, 27 * ms},    // 3 ms to 18, frozen to 20, 7 ms to 27
		{-ms, 1 * ms, 1 * ms},          // before the epoch counts from it
		{100 * ms, 0, 100 * ms},        // a window's end is not in it
		{98 * ms, 3 * ms, 103 * ms},    // in the window that ends at 100
		{17 * ms, 30 * ms, 55 * ms},    // 1, frozen to 20, 8, to 30, 8, to 40, 8, to 50, 5
		{50 * ms, 40 * ms, 98 * ms},    // 8+8+8+8+8 with four windows
		{0, 0, 0},                      // nothing at the epoch
		{12 * ms, 6 * ms, 18 * ms},     // ends where the next window starts
		{12 * ms, 6*ms + 1, 20*ms + 1}, // a nanosecond past it waits the window out
	} {
		if got := s.After(tt.at, tt.work); got != tt.want {
			t.Errorf("After(%v, %v) = %v, want %v", tt.at, tt.work, got, tt.want)
		}
	}
	if got := (Stall{}).After(3*ms, 4*ms); got != 7*ms {
		t.Errorf("no stall: After(3ms, 4ms) = %v", got)
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{
		{TTFT: -ms},
		{TPOT: -ms},
		{Slots: -1},
		{Stall: Stall{Every: ms, For: ms}},
		{Stall: Stall{Every: -ms}},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestOpener(t *testing.T) {
	t.Parallel()
	open := func(spec string, rt bool) (accel.Backend, error) {
		s, err := accel.ParseSpec(spec)
		if err != nil {
			return nil, err
		}
		return Opener{}.Open(s, accel.Options{Realtime: rt})
	}
	b, err := open("oracle?ttft=20ms&tpot=1ms&fail-every=3&stall=1s/10s&slots=2", false)
	if err != nil {
		t.Fatal(err)
	}
	o := b.(*Backend)
	want := Config{TTFT: 20 * ms, TPOT: ms, FailEvery: 3, FailClass: accel.ClassHTTP5xx, Stall: Stall{Every: 10 * time.Second, For: time.Second}, Slots: 2}
	o.cfg.Epoch = time.Time{}
	if o.cfg.TTFT != want.TTFT || o.cfg.TPOT != want.TPOT || o.cfg.FailEvery != 3 || o.cfg.Stall != want.Stall || o.cfg.Slots != 2 {
		t.Errorf("opened %+v, want %+v", o.cfg, want)
	}
	// Its id is its canonical spec, which opens the same oracle.
	const canonical = "oracle?ttft=20ms&tpot=1ms&fail-every=3&stall=1s/10s&slots=2"
	if id := b.Info().ID; id != canonical {
		t.Errorf("id %q, want %q", id, canonical)
	} else if again, err := open(id, false); err != nil || again.Info().ID != id {
		t.Errorf("reopening %q: %v, %v", id, again, err)
	}
	if b, err := open("oracle", true); err != nil {
		t.Error(err)
	} else if _, virtual := accel.AsVirtual(b); virtual {
		t.Error("a real-time oracle is driven in virtual time")
	}
	if _, virtual := accel.AsVirtual(o); !virtual {
		t.Error("an oracle opened without Options.Realtime is not driven in virtual time")
	}
	for _, spec := range []string{"oracle:x", "oracle?ttft=fast", "oracle?stall=1s", "oracle?slots=-2", "oracle?color=red", "oracle?stall=2s/1s"} {
		if _, err := open(spec, false); !errors.Is(err, accel.ErrBadSpec) {
			t.Errorf("%s: %v, want a bad spec", spec, err)
		}
	}
}

// Real time: with two slots, six 30 ms requests sent at once finish in three
// waves; never more than two are served, all six are in the oracle.
func TestInferSlotsAndCancel(t *testing.T) {
	t.Parallel()
	b, _ := New(Config{TTFT: 30 * ms, Slots: 2})
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := accel.Request{Seq: uint64(i), OutputTokens: 1}
			var res accel.Result
			if err := b.Infer(context.Background(), &req, &res); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if took := time.Since(start); took < 90*ms {
		t.Errorf("six 30ms requests on two slots took %v, want at least 90ms", took)
	}
	if s := b.Stats(); s.Calls != 6 || s.Completed != 6 || s.MaxInFlight != 6 {
		t.Errorf("stats %+v", s)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*ms)
	defer cancel()
	req := accel.Request{Seq: 7, OutputTokens: 4}
	var res accel.Result
	err := b.Infer(ctx, &req, &res)
	if res.Class != accel.ClassCanceled || err == nil || !strings.Contains(err.Error(), "after 0 of 4") {
		t.Errorf("canceled call: %v, class %q", err, res.Class)
	}
	if s := b.Stats(); s.Canceled != 1 || s.Calls != 7 {
		t.Errorf("after a cancel: %+v", s)
	}
}

// closedLoop keeps conc requests out until n have been issued; it cancels
// the run when a completion reaches cancelAt (if set).
type closedLoop struct {
	conc, n, sent, out int
	cancelAt           time.Duration
	cancel             func()
	done               []time.Duration
	gaps               []time.Duration
}

func (d *closedLoop) Next(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	switch {
	case d.sent == d.n:
		return 0, accel.NextEnd
	case d.out == d.conc:
		return 0, accel.NextWait
	}
	*req = accel.Request{Seq: uint64(d.sent), OutputTokens: 3}
	d.sent++
	d.out++
	return now, accel.NextReady
}

func (d *closedLoop) Done(_ *accel.Request, res *accel.Result, arrived, finished time.Duration) {
	d.out--
	d.done = append(d.done, finished)
	if d.cancel != nil && finished >= d.cancelAt {
		d.cancel()
	}
}

func (d *closedLoop) RecordGap(g time.Duration) { d.gaps = append(d.gaps, g) }

// Virtual time: a closed loop of 2 over 5 requests of 10+2+2 ms finishes
// at 14, 14, 28, 28, 42 ms, with every gap 2 ms; a cancel when the first
// completion reaches 28 ms leaves the fifth request, issued at 28 ms,
// in the oracle as canceled.
func TestDriveClosedLoop(t *testing.T) {
	t.Parallel()
	b, _ := New(Config{TTFT: 10 * ms, TPOT: 2 * ms})
	d := &closedLoop{conc: 2, n: 5}
	if err := b.Drive(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{14 * ms, 14 * ms, 28 * ms, 28 * ms, 42 * ms}
	if len(d.done) != 5 || d.done[4] != want[4] || d.done[2] != want[2] {
		t.Errorf("completions %v, want %v", d.done, want)
	}
	if len(d.gaps) != 10 || d.gaps[0] != 2*ms {
		t.Errorf("gaps %v: want ten of 2ms", d.gaps)
	}
	if s := b.Stats(); s.Calls != 5 || s.Completed != 5 || s.MaxInFlight != 2 {
		t.Errorf("stats %+v", s)
	}

	b, _ = New(Config{TTFT: 10 * ms, TPOT: 2 * ms})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d = &closedLoop{conc: 2, n: 5, cancelAt: 28 * ms, cancel: cancel}
	if err := b.Drive(ctx, d); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled drive returned %v", err)
	}
	// Done(14), Done(14), Done(28): canceled; the third request's slot is
	// refilled at 28 ms (request 4 arrives) before the context is looked at.
	if s := b.Stats(); s.Calls != 5 || s.Completed != 3 || s.Canceled != 2 {
		t.Errorf("canceled at 28ms: %+v, want 5 calls, 3 completed, 2 canceled", s)
	}
}

// A driver that waits with nothing in flight is an error, not a hang.
func TestDriveStuckDriver(t *testing.T) {
	t.Parallel()
	b, _ := New(Config{})
	if err := b.Drive(context.Background(), &closedLoop{conc: 0, n: 1}); err == nil {
		t.Error("a driver waiting on nothing was served")
	}
}

package sleep

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// Until never returns before its deadline, whichever stage the wait ends in.
func TestUntilNeverEarly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		timers *Timers
		d      time.Duration
	}{
		{"past", NewTimers(1), -time.Millisecond},
		{"yield only", NewTimers(1), 20 * time.Microsecond},
		{"precise", NewTimers(1), 700 * time.Microsecond},
		{"no timer free", NewTimers(0), 700 * time.Microsecond},
		{"no timers", nil, 700 * time.Microsecond},
		{"timer then precise", NewTimers(1), 12 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer tt.timers.Close()
			s := New(tt.timers)
			for range 5 {
				due := time.Now().Add(tt.d)
				got, err := s.Until(context.Background(), due)
				if err != nil || got.Before(due) || time.Now().Before(due) {
					t.Fatalf("Until(now%+v) = %v before the deadline, err %v", tt.d, due.Sub(got), err)
				}
			}
			if l := s.Late(); l < 0 || l > maxLate {
				t.Errorf("learnt lateness %v outside [0, %v]", l, maxLate)
			}
		})
	}
}

// A context done during the precise stage (not watched there) still shows
// in the result at due.
func TestUntilReportsCancelAtDue(t *testing.T) {
	t.Parallel()
	timers := NewTimers(1)
	defer timers.Close()
	// The premise, a cancel that lands before the due time, is the
	// machine's to keep: on a busy one the 1 ms timer can fire after the
	// 3 ms due time, and then no error is the right answer. A trial whose
	// cancel came late says nothing; one whose cancel came in time must
	// return at due with the context's error.
	for trial := 0; ; trial++ {
		ctx, cancel := context.WithCancel(context.Background())
		var canceledAt atomic.Int64
		time.AfterFunc(time.Millisecond, func() { canceledAt.Store(time.Now().UnixNano()); cancel() })
		due := time.Now().Add(3 * time.Millisecond) // under the timer stage: precise, then yield
		got, err := New(timers).Until(ctx, due)
		for canceledAt.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		if time.Unix(0, canceledAt.Load()).After(due) {
			if trial == 50 {
				t.Skip("the 1 ms cancel fired after the 3 ms due time in 50 trials: the machine is too busy to test this")
			}
			continue
		}
		if !errors.Is(err, context.Canceled) || got.Before(due) {
			t.Fatalf("Until(now+3ms), cancelled at 1 ms: returned %v before due, err %v; want at due with context.Canceled", due.Sub(got), err)
		}
		return
	}
}

func TestUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	due := time.Now().Add(time.Hour)
	got, err := New(nil).Until(ctx, due)
	if !errors.Is(err, context.Canceled) || !got.Before(due) {
		t.Fatalf("Until an hour ahead, cancelled after 10 ms: %v early, err %v; want context.Canceled", due.Sub(got), err)
	}
}

// The thread's wake-up is never early, so what is learnt is a lateness; and
// a seed is clamped.
func TestLateLearnt(t *testing.T) {
	t.Parallel()
	timers := NewTimers(1)
	defer timers.Close()
	s := New(timers)
	s.SetLate(time.Hour)
	if s.Late() != maxLate {
		t.Errorf("SetLate(1h) = %v, want the bound %v", s.Late(), maxLate)
	}
	s.SetLate(-time.Second)
	if s.Late() != 0 {
		t.Errorf("SetLate(-1s) = %v, want 0", s.Late())
	}
	for range 20 {
		s.Until(context.Background(), time.Now().Add(time.Millisecond))
	}
	if s.Late() <= 0 {
		t.Errorf("after 20 precise sleeps the learnt lateness is %v; a thread cannot wake early", s.Late())
	}
}

func TestUntilAllocatesNothing(t *testing.T) {
	timers := NewTimers(1)
	defer timers.Close()
	s := New(timers)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(20, func() {
		s.Until(ctx, time.Now().Add(300*time.Microsecond))
	})
	if allocs != 0 {
		t.Errorf("%v allocs per wait, want 0", allocs)
	}
}

func ExampleSleeper_Until() {
	timers := NewTimers(64) // shared: one kernel timer per goroutine waiting at once
	defer timers.Close()
	s := New(timers) // one per goroutine
	due := time.Now().Add(2 * time.Millisecond)
	now, err := s.Until(context.Background(), due)
	fmt.Println(!now.Before(due), err)
	// Output: true <nil>
}

// Package sleep waits until a deadline to within tens of microseconds
// without spinning a core for it.
//
// Why: Go's timers are coarse on Linux. A goroutine's timer fires when the
// thread parked on the network poller wakes, and the poller sleeps in whole
// milliseconds (epoll_wait's timeout), so time.Sleep(500µs) returns after
// 1.17 ms at the median on this project's 2-vCPU build VM, and later still on
// a loaded machine. A load generator that sends on schedule, and a stand-in
// server that emits tokens on a simulated device's schedule, used to wake
// early and yield (runtime.Gosched) through the rest: precise, but 4 ms of a
// core per arrival in the load generator (1.6 cores to send 1000 tiny
// requests a second) and 20% of a core per stream in the server.
//
// A Sleeper sleeps in three stages: a Go timer for all but the last few
// milliseconds (cancellable), a kernel timer (timerfd) read through Go's
// network poller for all but a learnt margin, and a yield loop for the
// margin. The timerfd fires on the kernel's high-resolution clock and wakes
// the poller at once, whatever timeout it sleeps with, so the goroutine
// wakes about 50 µs late on the build VM; and the goroutine is parked while
// it waits, so its thread and P serve others. (A nanosleep(2) is as precise
// but keeps its P until the runtime's monitor takes it back, up to 10 ms
// later: other goroutines then wait, and the load generator's sends were up
// to 2 ms late at 100 requests/s.)
package sleep

import (
	"context"
	"runtime"
	"sync"
	"time"
)

const (
	// coarse is how early the Go timer stops: its lateness is up to a
	// millisecond idle and a few under load.
	coarse = 4 * time.Millisecond
	// startLate is the precise sleep's assumed lateness before any is seen.
	startLate = 200 * time.Microsecond
	// maxLate bounds the learnt lateness, and so the yield margin.
	maxLate = 2 * time.Millisecond
)

// Timers is a pool of kernel timers that Sleepers share for their precise
// stage: one per goroutine in that stage at once, up to a bound (each is a
// file descriptor). A Sleeper that finds none free yields instead.
type Timers struct {
	mu     sync.Mutex
	free   []*ktimer
	made   int
	max    int
	closed bool
	failed bool // the kernel refused a timer: yield from now on
}

// NewTimers returns a pool of up to n timers, made as needed.
func NewTimers(n int) *Timers { return &Timers{max: n} }

func (p *Timers) take() *ktimer {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		t := p.free[n-1]
		p.free = p.free[:n-1]
		return t
	}
	if p.closed || p.failed || p.made >= p.max {
		return nil
	}
	t, err := newKtimer()
	if err != nil {
		p.failed = true
		return nil
	}
	p.made++
	return t
}

func (p *Timers) put(t *ktimer) {
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.free = append(p.free, t)
	}
	p.mu.Unlock()
	if closed {
		t.close()
	}
}

// Close releases the timers; one in use is released when its sleep ends.
func (p *Timers) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	free := p.free
	p.free, p.closed = nil, true
	p.mu.Unlock()
	for _, t := range free {
		t.close()
	}
	return nil
}

// Sleeper waits for deadlines on behalf of one goroutine at a time. It
// learns how late its precise stage wakes and yields through twice that.
type Sleeper struct {
	timers *Timers
	timer  *time.Timer
	late   time.Duration
}

// New returns a sleeper that takes its precise stage's timers from timers
// (nil: it has no precise stage and yields instead).
func New(timers *Timers) *Sleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Sleeper{timers: timers, timer: t, late: startLate}
}

// Late is the precise stage's learnt lateness.
func (s *Sleeper) Late() time.Duration { return s.late }

// SetLate seeds the learnt lateness, e.g. from another sleeper's.
func (s *Sleeper) SetLate(d time.Duration) { s.late = min(max(d, 0), maxLate) }

// Until returns at due or just after, with the time it read then, and ctx's
// error when ctx is done by then: at once when that happens during the timer
// stage, at due when during the precise and yield stages (a few
// milliseconds at most, which do not look). It allocates nothing.
func (s *Sleeper) Until(ctx context.Context, due time.Time) (time.Time, error) {
	for {
		now := time.Now()
		d := due.Sub(now)
		margin := 2 * s.late
		switch {
		case d <= 0:
			return now, ctx.Err()
		case d > 2*coarse:
			s.timer.Reset(d - coarse)
			select {
			case <-s.timer.C:
			case <-ctx.Done():
				s.timer.Stop()
				return time.Now(), ctx.Err()
			}
		case d > margin && s.precise(now, d-margin):
		default:
			runtime.Gosched()
		}
	}
}

// precise sleeps for want on a kernel timer from the pool, and learns how
// late it woke; false when no timer was free.
func (s *Sleeper) precise(now time.Time, want time.Duration) bool {
	t := s.timers.take()
	if t == nil {
		return false
	}
	err := t.sleep(want)
	s.timers.put(t)
	if err != nil {
		return false
	}
	miss := time.Since(now) - want
	s.late = min(max(s.late+(miss-s.late)/8, 0), maxLate)
	return true
}

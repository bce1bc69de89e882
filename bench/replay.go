package bench

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/inferbench/inferbench/internal/trace"
)

// Replay issues a trace's requests at its timestamps, relative to its first
// request, divided by Config.Speedup, with the trace's exact prompt and
// completion lengths. Duration takes the first stretch of trace time after
// the speedup; Requests the first requests. With neither, the whole trace
// runs.
const Replay Scenario = "replay"

// Trace is a trace file's requests (package internal/trace reads it). A
// plan streams it: Open is called once per run, and only the current record
// is held, so a week-long trace of gigabytes runs in constant memory.
//
// With Replay, the trace is the schedule and the lengths. With any other
// scenario it is only a length distribution: request n takes the lengths of
// the trace's record n, from the top again after its last.
type Trace struct {
	// Name is the trace's file or workload, for errors.
	Name string
	// Format is the file's format ("" detects it).
	Format trace.Format
	// Open opens the trace from its start.
	Open func() (io.ReadCloser, error)
	// Attribution is the credit the trace's licence asks for, carried into
	// reports.
	Attribution string
}

// traceStream is one run's pass through a trace.
type traceStream struct {
	t    *Trace
	rc   io.ReadCloser
	r    *trace.Reader
	rec  trace.Record
	n    uint64 // records read since the top, over every pass
	loop bool   // at the end, start again (lengths for other scenarios)
	err  error
}

// openTrace opens c's trace for one run; nil when it has none.
func openTrace(c *Config) (*traceStream, error) {
	if c.Trace == nil {
		return nil, nil
	}
	s := &traceStream{t: c.Trace, loop: c.Scenario != Replay}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *traceStream) open() error {
	rc, err := s.t.Open()
	if err != nil {
		return fmt.Errorf("trace %s: %w", s.t.Name, err)
	}
	r, err := trace.NewReader(rc, s.t.Format, s.t.Name)
	if err != nil {
		rc.Close()
		return err
	}
	s.rc, s.r = rc, r
	return nil
}

// next reads the next record into s.rec; false at the end of a replay or
// on an error (kept in s.err).
func (s *traceStream) next() bool {
	if s.err != nil {
		return false
	}
	err := s.r.Next(&s.rec)
	if err == io.EOF && s.loop && s.n > 0 {
		s.rc.Close()
		if err = s.open(); err == nil {
			err = s.r.Next(&s.rec)
		}
	}
	if err == io.EOF && s.n == 0 {
		err = fmt.Errorf("trace %s has no requests", s.t.Name)
	}
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		return false
	}
	s.n++
	return true
}

// close ends the pass; its error is the trace's, if reading it failed.
func (s *traceStream) close() error {
	if s == nil {
		return nil
	}
	if s.rc != nil {
		s.rc.Close()
	}
	return s.err
}

// nextTrace is Arrivals.Next for a plan with a trace: the shard's next
// record (numbers ≡ its index mod its count), with the record's lengths,
// and for Replay its time.
func (a *Arrivals) nextTrace() (seq uint64, at time.Duration, ok bool) {
	s := a.trace
	for {
		if !s.next() {
			a.done = true
			return 0, 0, false
		}
		if (s.n-1)%uint64(a.shard.Count) == uint64(a.shard.Index) {
			break
		}
	}
	a.in, a.out, a.hash = s.rec.In, s.rec.Out, s.rec.Hash
	if a.proc != TraceTimes {
		seq, at, ok = a.nextScheduled()
		return seq, at, ok
	}
	seq = s.n - 1
	at = time.Duration(float64(s.rec.At) / a.speedup)
	if a.until > 0 && at >= a.until {
		a.done = true
		return 0, 0, false
	}
	if at > 0 {
		// The rate so far sizes the worker pool (Little's law).
		a.rate = float64(a.k+1) / at.Seconds()
	}
	a.k++
	return seq, at, true
}

// block is the trace's prefix block in tokens.
func (a *Arrivals) block() int { return trace.BlockTokens }

// Timeline is a replay's requests over run time (trace time after the
// speedup), by when each was scheduled: how many, and their TTFTs. It has
// at most timelineBuckets buckets, starting a second wide and doubling as
// the run goes on, so a week-long trace takes the same memory as an hour.
type Timeline struct {
	Width   time.Duration
	Buckets []TimeBucket
}

// TimeBucket is one stretch of a Timeline.
type TimeBucket struct {
	Requests  int64         // scheduled in the stretch
	Completed int64         // of those, completed
	TTFTSum   time.Duration // of the completed
	TTFTMax   time.Duration
}

const timelineBuckets = 512

func newTimeline() *Timeline {
	return &Timeline{Width: time.Second, Buckets: make([]TimeBucket, 0, timelineBuckets)}
}

// add counts a request scheduled at at; ok with its TTFT when it completed.
func (t *Timeline) add(at, ttft time.Duration, ok bool) {
	if t == nil {
		return
	}
	i := int(at / t.Width)
	for i >= timelineBuckets {
		t.coarsen()
		i = int(at / t.Width)
	}
	for len(t.Buckets) <= i {
		t.Buckets = append(t.Buckets, TimeBucket{})
	}
	b := &t.Buckets[i]
	b.Requests++
	if ok {
		b.Completed++
		b.TTFTSum += ttft
		b.TTFTMax = max(b.TTFTMax, ttft)
	}
}

// coarsen doubles the width, adding buckets in pairs.
func (t *Timeline) coarsen() {
	n := (len(t.Buckets) + 1) / 2
	for i := range n {
		b := t.Buckets[2*i]
		if 2*i+1 < len(t.Buckets) {
			b.merge(t.Buckets[2*i+1])
		}
		t.Buckets[i] = b
	}
	t.Buckets = t.Buckets[:n]
	t.Width *= 2
}

func (b *TimeBucket) merge(o TimeBucket) {
	b.Requests += o.Requests
	b.Completed += o.Completed
	b.TTFTSum += o.TTFTSum
	b.TTFTMax = max(b.TTFTMax, o.TTFTMax)
}

// merge adds o into t (the stripes of a real-time run).
func (t *Timeline) merge(o *Timeline) {
	if t == nil || o == nil {
		return
	}
	for t.Width < o.Width {
		t.coarsen()
	}
	for i, b := range o.Buckets {
		at := time.Duration(i) * o.Width
		for int(at/t.Width) >= timelineBuckets {
			t.coarsen()
		}
		j := int(at / t.Width)
		for len(t.Buckets) <= j {
			t.Buckets = append(t.Buckets, TimeBucket{})
		}
		t.Buckets[j].merge(b)
	}
}

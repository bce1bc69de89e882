package nvml

import (
	"errors"
	"fmt"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// DefaultInterval is how often a Sampler reads its sources unless told
// otherwise: often enough to see a 1-second power excursion, rarely enough that
// NVML's own cost (a few microseconds a reading) is lost in the noise.
const DefaultInterval = 100 * time.Millisecond

// DefaultCapacity is the number of samples a series holds before it thins
// itself: 16384 samples, 27 minutes at the default interval.
const DefaultCapacity = 1 << 14

// Source is one thing a Sampler reads: a GPU, or a backend that observes one.
type Source struct {
	Name string          // how reports name it, "nvml:0"
	T    accel.Telemetry // its Sample must not allocate
}

// Series is one source's samples over a run.
type Series struct {
	Name string
	// Samples are in time order, At measured from Start. The first was read by
	// Start, before any load, and the last by Stop, after it, so the energy
	// counter's difference spans the whole run.
	Samples []accel.Sample
	// Stride is 1 unless the run outgrew the buffer: then the buffer was thinned
	// in place, keeping every Stride-th reading (and always the last), so the
	// series still covers the whole run evenly.
	Stride int
	// Reads counts the readings taken, kept or not.
	Reads int
	// Ended, when not nil, is why the source stopped answering before the run
	// ended; the series ends at its last good sample.
	Ended error
}

// series is a source's preallocated buffer and state. Only the sampler's
// goroutine touches it while running; Start and Stop hand it over.
type series struct {
	src     Source
	buf     []accel.Sample // len = capacity; samples are buf[:n]
	n       int
	stride  int
	reads   int
	scratch accel.Sample // where readings that are not kept go
	ended   error
}

// Sampler reads a set of sources at a fixed interval from one goroutine.
//
// Concurrency: Start launches the goroutine and Stop ends it and waits; between
// the two only that goroutine reads the sources or touches the buffers, and
// Stop's wait hands them back to the caller. Start and Stop must be called from
// one goroutine, alternately. A Sampler can be started again after Stop; each
// run reuses the same buffers.
type Sampler struct {
	interval time.Duration
	series   []series
	start    time.Time
	stop     chan struct{}
	done     chan struct{}
	running  bool
}

// NewSampler prepares a sampler of the sources, reading every interval, each
// series holding up to capacity samples before thinning (0 means
// DefaultCapacity). All memory it will use is allocated here.
func NewSampler(interval time.Duration, capacity int, sources ...Source) (*Sampler, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("telemetry interval %v: want a positive duration, e.g. 100ms", interval)
	}
	if capacity == 0 {
		capacity = DefaultCapacity
	}
	if capacity < 2 {
		return nil, fmt.Errorf("telemetry capacity %d: want at least 2 samples", capacity)
	}
	capacity += capacity % 2 // thinning halves it
	if len(sources) == 0 {
		return nil, errors.New("telemetry: no sources to sample")
	}
	s := &Sampler{interval: interval, series: make([]series, len(sources))}
	for i, src := range sources {
		if src.T == nil {
			return nil, fmt.Errorf("telemetry source %q: nil Telemetry", src.Name)
		}
		s.series[i] = series{src: src, buf: make([]accel.Sample, capacity)}
	}
	return s, nil
}

// Start clears the series, reads every source once (the baseline, before any
// load) and starts the sampling goroutine.
func (s *Sampler) Start() {
	if s.running {
		panic("nvml: Sampler.Start called twice without Stop")
	}
	for i := range s.series {
		sr := &s.series[i]
		sr.n, sr.stride, sr.reads, sr.ended = 0, 1, 0, nil
	}
	s.start = time.Now()
	s.tick(false)
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	s.running = true
	go s.loop(s.stop, s.done)
}

func (s *Sampler) loop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.tick(false)
		}
	}
}

// Stop ends the sampling goroutine, reads every source a last time, and returns
// the series. They share the sampler's buffers: they are valid until the next
// Start.
func (s *Sampler) Stop() []Series {
	if !s.running {
		panic("nvml: Sampler.Stop called without Start")
	}
	close(s.stop)
	<-s.done
	s.running = false
	s.tick(true)
	out := make([]Series, len(s.series))
	for i := range s.series {
		sr := &s.series[i]
		out[i] = Series{Name: sr.src.Name, Samples: sr.buf[:sr.n], Stride: sr.stride, Reads: sr.reads, Ended: sr.ended}
	}
	return out
}

// tick reads every source that still answers. It allocates nothing: readings
// go straight into the buffer slot that keeps them, or into a scratch sample.
func (s *Sampler) tick(last bool) {
	at := time.Since(s.start)
	for i := range s.series {
		sr := &s.series[i]
		if sr.ended != nil {
			continue
		}
		keep := last || sr.reads%sr.stride == 0
		if keep && sr.n == len(sr.buf) {
			sr.thin()
			keep = last || sr.reads%sr.stride == 0
		}
		dst := &sr.scratch
		if keep {
			dst = &sr.buf[sr.n]
		}
		*dst = accel.Sample{}
		err := sr.src.T.Sample(dst)
		sr.reads++
		if err != nil {
			sr.ended = err
			continue
		}
		dst.At = at
		if keep {
			sr.n++
		}
	}
}

// thin halves a full buffer in place, keeping every other sample from the
// first, and doubles the stride: the series stays evenly spaced from the start
// of the run.
func (sr *series) thin() {
	half := 0
	for j := 0; j < sr.n; j += 2 {
		sr.buf[half] = sr.buf[j]
		half++
	}
	sr.n = half
	sr.stride *= 2
}

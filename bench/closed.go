package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// chunk is how many request numbers a worker takes from the shared counter at a
// time, so the counter's cache line is touched once per chunk, not per request.
const chunk = 64

// closedWorker is one closed-loop worker: it owns its request, result, recorder
// and counts, and sends its next request when the last one completes.
type closedWorker struct {
	b        accel.Backend
	ctx      context.Context
	cfg      *Config
	epoch    time.Time // start of the run; monotonic
	warm     time.Duration
	next     *atomic.Uint64
	limit    uint64 // request limit (0: none)
	deadline time.Duration

	seq, seqEnd uint64
	req         accel.Request
	res         accel.Result
	rec         *Recorder
	t           tally
	lastEnd     time.Duration
}

// take reserves the next request number; false when the run is over.
func (w *closedWorker) take() bool {
	if w.seq == w.seqEnd {
		w.seq = w.next.Add(chunk) - chunk
		w.seqEnd = w.seq + chunk
		if w.limit > 0 && w.seqEnd > w.limit {
			w.seqEnd = w.limit
		}
		if w.seq >= w.seqEnd {
			w.seq = w.seqEnd
			return false
		}
	}
	return true
}

// one sends one request and records it. It allocates nothing.
func (w *closedWorker) one() bool {
	if !w.take() {
		return false
	}
	seq := w.seq
	w.seq++
	w.req.Seq = seq
	w.req.InputTokens, w.req.OutputTokens = w.cfg.Lengths.Draw(seq)
	w.res.Reset()
	sent := time.Since(w.epoch)
	if w.deadline > 0 && sent >= w.deadline {
		return false
	}
	err := w.b.Infer(w.ctx, &w.req, &w.res)
	end := time.Since(w.epoch)
	w.lastEnd = end
	if sent < w.warm {
		return true
	}
	// The backend's TTFT is from its own send; ours is from the same moment.
	w.t.add(w.rec, &w.req, &w.res, err, end-sent, w.res.TTFT)
	return true
}

func (w *closedWorker) init(ctx context.Context, b accel.Backend, c *Config, epoch time.Time, next *atomic.Uint64) {
	*w = closedWorker{b: b, ctx: ctx, cfg: c, epoch: epoch, next: next, warm: c.Warmup, rec: NewRecorder()}
	if c.Requests > 0 {
		w.limit = uint64(c.Requests)
	}
	if c.Duration > 0 {
		w.deadline = c.Warmup + c.Duration
	}
	w.req = accel.Request{Model: c.Model, Precision: c.Precision, Batch: 1}
	w.res.Gaps = w.rec
}

// runClosed runs the closed loop in real time.
func runClosed(ctx context.Context, b accel.Backend, c Config) (*Result, error) {
	var next atomic.Uint64
	epoch := time.Now()
	workers := make([]closedWorker, c.Concurrency)
	for i := range workers {
		workers[i].init(ctx, b, &c, epoch, &next)
	}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(w *closedWorker) {
			defer wg.Done()
			for ctx.Err() == nil && w.one() {
			}
		}(&workers[i])
	}
	wg.Wait()
	res := newResult(c)
	var last time.Duration
	for i := range workers {
		w := &workers[i]
		res.Merge(w.rec)
		res.addTally(&w.t)
		last = max(last, w.lastEnd)
	}
	res.Elapsed = last - c.Warmup
	return res, nil
}

package bench

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/sleep"
)

// The real-time loop.
//
// One dispatcher owns the arrival plan and hands it out in chunks of
// consecutive arrivals; each worker sends its chunk's requests at their
// scheduled times (open loop) or back to back (closed loop), then takes the
// next chunk. No request passes through a channel or another goroutine: the
// worker that takes an arrival waits for its time itself, so the harness's
// cost per request is a clock read to wait, one after the call, and the
// records. Chunks span about chunkSpan of plan time, so a worker that the OS
// deschedules holds back at most that much of the plan while the others go
// on taking chunks; a slow backend gets chunks of one, so the pool behaves as
// one queue in front of W servers, not W queues. Closed loops and offline
// take chunks of what is left of a counted plan shared over twice the
// workers, and of one once the backend shows itself slow (see closedChunk):
// a worker never holds more of the plan than its share while others idle.
//
// An interrupt or a stopping rule halts the workers before their next send,
// chunk or no chunk: what was never sent is not a request, and is not
// counted (see dispatcher.halted).
//
// Workers record into stripes, one per CPU, each behind its own mutex: an
// uncontended lock is two atomic operations on a line that stays in the
// worker's cache, and it lets a pool grow past the CPU count (slow backends
// need many requests in flight) without a 1.6 MB recorder per worker, and
// lets the monitor read a consistent snapshot for progress and stopping
// rules while the run goes on.

// chunkSpan is how much plan time one chunk of a fast open loop covers.
const chunkSpan = 8 * time.Microsecond

// blockingService is the mean service time above which the pool grows: a
// backend slower than this is waiting on something (a network, a device,
// a simulated clock), so more requests in flight help.
const blockingService = 50 * time.Microsecond

// spinWait is the longest wait a worker spins through without yielding: a
// fast plan's arrivals are this close together.
const spinWait = 2 * time.Microsecond

// preciseSleepers bounds the workers in a sleep.Sleeper's precise stage at
// once (each holds a kernel timer, a file descriptor, there); the rest yield
// through their wait.
const preciseSleepers = 256

// maxChunk bounds a chunk: what a fast closed loop or offline run takes at a
// time when the plan has no count, or plenty left (see closedChunk).
const maxChunk = 64

// A closed-loop worker whose request failed at connect (accel.ClassConnect)
// pauses before its next one: from minBackoff, doubling to maxBackoff, until
// a request reaches the server again. The endpoint is not there, and the
// kernel refuses a connection in microseconds, so a worker that goes
// straight on sends as fast as it can loop: 733,471 connect errors in 18 s
// after a server died. Other failures (an HTTP 500, a timeout, a broken
// stream) do not pause: they are the server's answers, and its round trip
// paces the loop as a success's does; pausing would lower the offered load
// just when a server sheds it (fast 503s under overload) and flatter it. A
// server that fails everything is ended by the fail-fast rule instead
// (Config.FailFastRequests). Open loops never pause: their schedule is the
// experiment (and a refusing endpoint costs them no connection per request:
// see internal/h1's dial gate).
const (
	minBackoff = time.Millisecond
	maxBackoff = time.Second
)

// arrival is one planned request.
type arrival struct {
	seq     uint64
	at      time.Duration
	in, out int32    // the trace's lengths, when the plan has one
	hash    []uint64 // the trace's prefix block ids (the slot's own copy)
	turn    int32    // sessions: the turn (0 for a session's start)
}

// stripe is a recorder shared by the workers whose index is ≡ its own mod
// the stripe count.
type stripe struct {
	mu      sync.Mutex
	rec     *Recorder
	t       tally
	lastEnd time.Duration
	// firstSend is a closed loop's earliest send after warm-up (hasFirst:
	// there was one), where its measurement window starts.
	firstSend time.Duration
	hasFirst  bool
	lastSend  time.Duration // open loop: the latest send
	lastAt    time.Duration // open loop: the latest scheduled time recorded
	late      int64         // sends later than the lag budget
	dropped   int64
	_         [64]byte // keep neighbouring stripes off one cache line
}

// RecordGap records an inter-token gap under the stripe's lock; backends call
// it from inside Infer.
func (s *stripe) RecordGap(d time.Duration) {
	s.mu.Lock()
	s.rec.RecordGap(d)
	s.mu.Unlock()
}

// dispatcher hands out the plan.
type dispatcher struct {
	mu    sync.Mutex
	arr   *Arrivals
	open  bool // chunks of chunk; otherwise sized by closedChunk
	chunk int
	// stopped: no more chunks (the plan is out, or halted). halted: no more
	// sends, not even from the chunks workers hold — the run was interrupted
	// or a stopping rule ended it. Workers load halted before every send: an
	// atomic load, a nanosecond, where ctx.Err() takes a lock.
	stopped atomic.Bool
	halted  atomic.Bool
	cancel  func() // ends the workers' waits on a stop
	why     string // why it stopped early (under mu)
	failWhy string // why the fail-fast rule stopped it (under mu)

	// The fail-fast rule's streak, shared by every worker (see failStreak).
	// A success reads streaking, an atomic load of a line that stays in
	// every worker's cache while requests succeed, and takes failMu only to
	// end a streak; a failure takes failMu.
	streaking atomic.Bool
	_         [64]byte
	failMu    sync.Mutex
	streak    failStreak
	_         [64]byte

	// pool growth by Little's law: in flight = rate × service time.
	svc     time.Duration
	svcN    int64
	workers int
	maxW    int
	atMax   bool
	spawn   func(n int)
}

// take fills buf with the next chunk of the plan and returns how many it
// filled; 0 means the run is over. svc and n are the caller's service times
// since its last take, for sizing the pool.
func (d *dispatcher) take(buf []arrival, svc time.Duration, n int64) int {
	if d.stopped.Load() {
		return 0
	}
	d.lock()
	defer d.mu.Unlock()
	if n > 0 {
		d.svc += svc
		d.svcN += n
		d.resize()
	}
	size := d.chunk
	if !d.open {
		size = d.closedChunk()
	}
	k := 0
	for k < size && k < len(buf) {
		seq, at, ok := d.arr.Next()
		if !ok {
			d.stopped.Store(true)
			break
		}
		buf[k] = arrival{seq: seq, at: at, hash: buf[k].hash[:0]}
		if in, out, hash, ok := d.arr.Lengths(); ok {
			buf[k].in, buf[k].out = int32(in), int32(out)
			buf[k].hash = append(buf[k].hash, hash...)
		}
		k++
	}
	return k
}

// lock takes the dispatcher's lock, spinning briefly first. The lock is held
// for a few hundred nanoseconds at most; a sync.Mutex that finds it held
// soon parks the goroutine on a futex, and waking from that takes tens to
// hundreds of microseconds on a VM — a whole chunk of a fast plan sent late.
func (d *dispatcher) lock() {
	for range lockSpins {
		if d.mu.TryLock() {
			return
		}
	}
	d.mu.Lock()
}

// lockSpins bounds the spin before lock parks: about 10 µs of TryLock.
const lockSpins = 1000

// resize grows the pool when the backend needs more requests in flight than
// there are workers: twice Little's law (in flight = rate × service time)
// for bursts, plus one, and never fewer than one per CPU. It also
// drops to chunks of one once a request takes longer than the plan's gap, so
// arrivals do not queue behind each other in one worker.
func (d *dispatcher) resize() {
	rate := d.arr.Rate()
	if rate <= 0 || d.spawn == nil {
		return
	}
	mean := float64(d.svc) / float64(d.svcN) // ns
	if mean*rate/1e9 > 0.25 {
		d.chunk = 1
	}
	if mean < float64(blockingService) {
		// A call this short does not block on I/O: more goroutines than
		// CPUs would only take turns spinning and hold their chunks late.
		return
	}
	need := max(int(math.Ceil(2*rate*mean/1e9))+1, runtime.GOMAXPROCS(0))
	if need <= d.workers {
		return
	}
	if need > d.maxW {
		need = d.maxW
		d.atMax = true
	}
	if n := need - d.workers; n > 0 {
		d.workers = need
		d.spawn(n)
	}
}

// closedChunk sizes a closed loop's or offline run's next chunk (under mu).
// A backend that has shown itself slow (mean service time at least
// blockingService) gets chunks of one: a lock per request costs nothing
// beside a call that long, and the workers stay one queue, each taking its
// next request only when free. Until then, or for a fast backend, a counted
// plan is handed out in chunks of what is left shared over twice the
// workers (at most maxChunk), so the tail of the plan is spread over every
// worker; chunks of 64 regardless ran a 30-request run with concurrency 4
// on one worker, back to back, at a quarter of the concurrency asked for.
// A plan bounded by duration alone takes maxChunk: each worker stops at the
// deadline, so none holds the others back.
func (d *dispatcher) closedChunk() int {
	if d.svcN > 0 && d.svc >= blockingService*time.Duration(d.svcN) {
		return 1
	}
	left, ok := d.arr.Left()
	if !ok {
		return maxChunk
	}
	share := 2 * int64(max(d.workers, 1))
	return int(min(max((left+share-1)/share, 1), maxChunk))
}

// fast says the backend has shown itself fast: over a thousand calls whose
// mean service time is below blockingService.
func (d *dispatcher) fast() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.svcN > 1000 && d.svc < blockingService*time.Duration(d.svcN)
}

// stop ends the run early (a stopping rule): no more chunks, no more sends,
// and waits for scheduled times end now.
func (d *dispatcher) stop(why string) {
	d.mu.Lock()
	if !d.stopped.Load() && d.why == "" {
		d.why = why
	}
	d.halt()
	d.mu.Unlock()
	if d.cancel != nil {
		d.cancel()
	}
}

// failStop ends the run by the fail-fast rule: like stop, and the run is
// failed (Result.Failed) when the rule cut it short (the plan not out yet).
func (d *dispatcher) failStop(why string) {
	d.mu.Lock()
	if d.failWhy == "" && !d.stopped.Load() {
		d.failWhy, d.why = why, why // outranks another rule's reason: the run failed
	}
	d.halt()
	d.mu.Unlock()
	if d.cancel != nil {
		d.cancel()
	}
}

// finished counts a request that finished after warm-up (its class, its
// end since warm-up) into the fail-fast streak, and returns why the run
// must stop, or "".
func (d *dispatcher) finished(c *Config, cls accel.ErrClass, end time.Duration) string {
	if cls == accel.ClassNone {
		if d.streaking.Load() {
			d.failMu.Lock()
			d.streak.ok()
			d.streaking.Store(false)
			d.failMu.Unlock()
		}
		return ""
	}
	if !countsForFailFast(cls) {
		return ""
	}
	d.failMu.Lock()
	if !d.streaking.Load() {
		d.streaking.Store(true)
	}
	why := d.streak.fail(c, end)
	d.failMu.Unlock()
	return why
}

// halt stops every send from now on, held chunks included.
func (d *dispatcher) halt() {
	d.halted.Store(true)
	d.stopped.Store(true)
}

// worker sends requests. It owns its request, result and chunk buffer.
type worker struct {
	d        *dispatcher
	b        accel.Backend
	ctx      context.Context // canceled: stop waiting (with d.halted: stop issuing)
	ictx     context.Context // canceled Config.Grace later: give up in-flight requests
	lengths  *Lengths
	epoch    time.Time // start of the run; monotonic
	warm     time.Duration
	deadline time.Duration // closed loop: no send at or after (0: none)
	open     bool          // wait for scheduled times; latency from schedule
	fromZero bool          // offline: latency from t=0, no lag accounting
	budget   time.Duration // lag budget: later sends count as late
	maxLag   time.Duration // drop sends later than this (0: never)
	s        *stripe

	buf    [maxChunk]arrival
	i, n   int
	svc    time.Duration
	svcN   int64
	req    accel.Request
	res    accel.Result
	halted bool
	// busy is 1 + the send time while a call is out, 0 otherwise: written by
	// the worker only, read by the pool watcher, and only while watching is
	// set (an atomic store is a full barrier on x86: ~10 ns a request that a
	// fast backend should not pay once the watcher has stood down).
	busy     atomic.Int64
	watching *atomic.Bool
	sleeper  *sleep.Sleeper

	cfg      *Config
	next     arrival // a session's next turn, when hasNext
	hasNext  bool
	until    time.Duration // sessions: no turn at or after (0: none)
	prefix   []uint64      // the request's prefix ids, reused
	failFast bool          // the fail-fast rule is on
	backoff  time.Duration // closed loop: its latest pause after connect failures (0: none)
}

func (w *worker) init(r *runner, s *stripe) {
	c := r.c
	*w = worker{
		d: r.d, b: r.b, ctx: r.ctx, ictx: r.ictx, watching: &r.watching, lengths: &c.Lengths, epoch: r.epoch, warm: c.Warmup,
		open: r.open, fromZero: c.process() == Burst, budget: c.LagBudget, maxLag: c.MaxLag, s: s,
		sleeper: sleep.New(r.timers), cfg: c, failFast: c.failFastOn(),
	}
	if !w.open && c.Duration > 0 {
		w.deadline = c.Warmup + c.Duration
	}
	if c.Duration > 0 {
		w.until = c.Warmup + c.Duration
	}
	w.req = accel.Request{Model: c.Model, Precision: c.Precision, Batch: 1}
	w.res.Gaps = s
}

// refill takes the next chunk; false when the run is over.
func (w *worker) refill() bool {
	if w.halted || w.ctx.Err() != nil {
		return false
	}
	w.n = w.d.take(w.buf[:], w.svc, w.svcN)
	w.i, w.svc, w.svcN = 0, 0, 0
	return w.n > 0
}

// wait returns when the clock reaches at, and the time it read then; false
// when the run was stopped meanwhile. Waits of a few microseconds spin (a
// fast plan's); longer ones go to the worker's sleep.Sleeper, which sleeps
// through all but a learnt margin of about 0.1 ms and yields through that,
// so a low rate costs a little CPU per arrival, not the wait's length in
// spinning (see package sleep).
func (w *worker) wait(at time.Duration) (time.Duration, bool) {
	for {
		now := time.Since(w.epoch)
		d := at - now
		if d <= 0 {
			return now, true
		}
		if d > spinWait {
			t, err := w.sleeper.Until(w.ctx, w.epoch.Add(at))
			return t.Sub(w.epoch), err == nil
		}
	}
}

// one sends one request and records it; false when the worker is done. It
// allocates nothing.
func (w *worker) one() bool {
	var a arrival
	turn := w.hasNext // a session's next turn: sent at its time, in any loop
	if turn {
		a, w.hasNext = w.next, false
		if w.until > 0 && a.at >= w.until {
			return true // issuing has stopped: the session ends here
		}
	} else {
		if w.i == w.n && !w.refill() {
			return false
		}
		a = w.buf[w.i]
		w.i++
	}
	var sent time.Duration
	if w.open || turn {
		var ok bool
		if sent, ok = w.wait(a.at); !ok {
			w.halted, w.i = true, w.n // stopped while waiting: send nothing more
			return false
		}
	} else {
		sent = time.Since(w.epoch)
		if w.deadline > 0 && sent >= w.deadline {
			w.halted, w.i = true, w.n
			return false
		}
		if !w.fromZero {
			a.at = sent
		}
	}
	if w.d.halted.Load() {
		// Interrupted or stopped while this chunk was held: the rest of it
		// is never sent, so it is not a request — not an error either.
		w.halted, w.i = true, w.n
		return false
	}
	lag := sent - a.at
	if w.maxLag > 0 && lag > w.maxLag {
		if a.at >= w.warm {
			w.s.mu.Lock()
			w.s.dropped++
			w.s.mu.Unlock()
		}
		return true
	}
	w.req.Seq = a.seq
	c := w.cfg
	switch {
	case c.Sessions.Turns > 0:
		in := int(a.in)
		if a.turn == 0 {
			in = c.firstTurn(a.seq)
		}
		c.turnOf(&w.req, a.seq, int(a.turn), in, w.prefix[:0])
		w.prefix = w.req.Prefix
	case c.stream != nil:
		w.req.InputTokens, w.req.OutputTokens = int(a.in), int(a.out)
		if len(a.hash) > 0 {
			w.req.Prefix, w.req.PrefixBlock = a.hash, w.d.arr.block()
		}
	default:
		w.req.InputTokens, w.req.OutputTokens = w.lengths.Draw(a.seq)
		if c.SharedPrefix.Groups > 0 {
			c.sharedPrefix(&w.req, a.seq, w.prefix[:0])
			w.prefix = w.req.Prefix
		}
	}
	w.res.Reset()
	watched := w.watching.Load()
	if watched {
		w.busy.Store(int64(sent) + 1)
	}
	err := w.b.Infer(w.ictx, &w.req, &w.res)
	if watched {
		w.busy.Store(0)
	}
	end := time.Since(w.epoch)
	w.svc += end - sent
	if w.req.Turn == 0 {
		// A session holds its worker until its last turn: the pool is
		// sized by sessions (Little's law), each one's calls and thinking.
		w.svcN++
	}

	s := w.s
	s.mu.Lock()
	s.lastEnd = max(s.lastEnd, end)
	if a.at >= w.warm {
		if w.open || w.fromZero {
			s.rec.record(s.rec.Service, end-sent)
		}
		if w.open {
			s.rec.record(s.rec.Lag, lag)
			if lag > w.budget {
				s.late++
			}
			s.lastSend = max(s.lastSend, sent)
			s.lastAt = max(s.lastAt, a.at)
		} else if !w.fromZero && (!s.hasFirst || sent < s.firstSend) {
			s.firstSend, s.hasFirst = sent, true
		}
		// Latency and TTFT count from the reference time: the schedule in an
		// open loop (so a late send shows as latency), the send otherwise.
		s.t.add(s.rec, &w.req, &w.res, err, end-a.at, lag+w.res.TTFT)
		s.rec.Timeline.add(a.at, lag+w.res.TTFT, err == nil && w.res.Class == accel.ClassNone)
	}
	s.mu.Unlock()

	cls := w.res.Class
	if cls == accel.ClassNone && err != nil {
		cls = accel.ClassOf(err)
	}
	if c.Sessions.Turns > 0 && cls == accel.ClassNone && w.req.Turn+1 < c.Sessions.Turns {
		// The session goes on: its next turn is this worker's next send.
		w.next = arrival{seq: a.seq, turn: int32(w.req.Turn + 1), at: end + c.Sessions.Think,
			in: int32(w.req.InputTokens + w.res.OutputTokens + c.Sessions.TurnTokens)}
		w.hasNext = true
		w.svc += c.Sessions.Think
		if w.watching.Load() {
			w.busy.Store(int64(end) + 1) // thinking holds the worker: the pool watcher counts it busy
		}
	}
	if w.failFast && a.at >= w.warm && (cls != accel.ClassNone || w.d.streaking.Load()) {
		// A request that ends past a closed loop's deadline ends nothing early.
		if why := w.d.finished(w.cfg, cls, end-w.warm); why != "" && !w.d.halted.Load() && (w.deadline == 0 || end < w.deadline) {
			w.d.failStop(why)
		}
	}
	if (cls == accel.ClassConnect || w.backoff != 0) && !w.open && !w.pause(cls, end) {
		w.halted, w.i = true, w.n // stopped while pausing
		return false
	}
	return true
}

// pause is a closed-loop worker's backoff after a request that ended at
// end (see minBackoff): a connect failure waits, longer each time; another
// outcome reached the server and resets the backoff. False when the run was
// stopped during the wait. The wait goes through the worker's sleeper, so a
// stop or an interrupt ends it at once, and never runs past the loop's
// deadline.
func (w *worker) pause(cls accel.ErrClass, end time.Duration) bool {
	switch cls {
	case accel.ClassConnect:
	case accel.ClassCanceled:
		return true // the run is ending: no next send either way
	default:
		w.backoff = 0
		return true
	}
	w.backoff = min(max(2*w.backoff, minBackoff), maxBackoff)
	due := end + w.backoff
	if w.deadline > 0 {
		due = min(due, w.deadline)
	}
	_, err := w.sleeper.Until(w.ctx, w.epoch.Add(due))
	return err == nil
}

// runner is one real-time run.
type runner struct {
	ctx  context.Context
	ictx context.Context // for Infer: outlives ctx by Config.Grace
	// watching is set while the pool watcher runs (open loops, auto-sized).
	watching atomic.Bool
	b        accel.Backend
	c        *Config
	d        *dispatcher
	epoch    time.Time
	open     bool
	timers   *sleep.Timers // the workers' precise sleeps share these

	stripes []stripe
	mu      sync.Mutex // guards workers
	workers []*worker
	wg      sync.WaitGroup
}

func (r *runner) start(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range n {
		w := new(worker)
		w.init(r, &r.stripes[len(r.workers)%len(r.stripes)])
		r.workers = append(r.workers, w)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for w.one() {
			}
		}()
	}
}

// runRealtime drives b in wall-clock time.
func runRealtime(ctx context.Context, b accel.Backend, c *Config) *Result {
	// The workers' context ends on an interrupt or a stopping rule; Infer's
	// (ictx) outlives it by the grace period.
	wctx, stopWaits := context.WithCancel(ctx)
	defer stopWaits()
	r := &runner{ctx: wctx, b: b, c: c, open: c.process() != ASAP && c.process() != Burst, timers: sleep.NewTimers(preciseSleepers)}
	defer r.timers.Close()
	// An interrupt stops issuing at once but lets in-flight requests finish
	// for a grace period, so what was sent is measured, not thrown away.
	ictx, cancelInfer := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelInfer()
	grace := c.Grace
	r.ictx = ictx
	arr := NewArrivals(c)
	r.d = &dispatcher{arr: arr, open: r.open, chunk: maxChunk, maxW: c.MaxWorkers, cancel: stopWaits}
	// An interrupt halts the sends at once: a worker holding a chunk sends
	// nothing more of it (the grace period is for requests already out).
	// The halt comes first, in the same callback: were the two separate
	// callbacks, a busy machine could run the grace's cancel before the
	// halt, and every worker would send request after request into a
	// canceled context until it ran (236 canceled, with 4 in flight).
	stopHalt := context.AfterFunc(ctx, func() {
		r.d.halt()
		time.AfterFunc(grace, cancelInfer)
	})
	defer stopHalt()
	n := c.concurrency()
	r.d.workers = n
	if r.open {
		n = c.Workers
		if n == 0 {
			n = runtime.GOMAXPROCS(0)
		}
		n = min(n, c.MaxWorkers)
		r.d.workers = n
		r.d.spawn = r.start
		// Chunks of about chunkSpan of plan time: fewer lock takes at high
		// rates, less held back by a descheduled worker.
		r.d.chunk = int(min(max(arr.Rate()*chunkSpan.Seconds(), 1), maxChunk))
	}
	r.stripes = make([]stripe, max(1, min(n, runtime.GOMAXPROCS(0))))
	for i := range r.stripes {
		r.stripes[i].rec = NewRecorder().forConfig(c)
	}
	// Auto-sized open loops are watched from the first call (see watch).
	r.watching.Store(r.open && c.Workers == 0)
	r.epoch = time.Now()
	r.d.mu.Lock() // workers wait for the whole pool to exist
	r.start(n)
	r.d.mu.Unlock()

	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	if r.watching.Load() {
		go r.watch(done)
	}
	r.monitor(done)

	res := newResult(*c)
	var (
		firstSend time.Duration
		hasFirst  bool
	)
	for i := range r.stripes {
		s := &r.stripes[i]
		res.Merge(s.rec)
		res.addTally(&s.t)
		res.Late += s.late
		res.Dropped += s.dropped
		res.Requests += s.dropped // issued, never sent
		res.lastEnd = max(res.lastEnd, s.lastEnd)
		res.lastSend = max(res.lastSend, s.lastSend)
		res.lastAt = max(res.lastAt, s.lastAt)
		if s.hasFirst && (!hasFirst || s.firstSend < firstSend) {
			firstSend, hasFirst = s.firstSend, true
		}
	}
	// A closed loop's window starts at its first send: the workers' start
	// before it (milliseconds on a busy machine, more under -race) is the
	// harness's, and counted in it made a run of 4 requests of 25 ms read
	// half its throughput. An open loop's plan, and offline's latency,
	// count from the start, and so does their window.
	start := c.Warmup
	if hasFirst {
		start = max(start, firstSend)
	}
	res.Elapsed = max(res.lastEnd-start, 0)
	res.Workers = len(r.workers)
	res.PoolAtMax = r.d.atMax
	res.Stopped = r.d.why
	res.failFast = r.d.failWhy
	if ctx.Err() != nil && res.Stopped == "" {
		res.Stopped = "canceled"
	}
	return res
}

// monitor evaluates stopping rules and reports progress until done.
func (r *runner) monitor(done <-chan struct{}) {
	rule := stopRule{r.c}
	if !rule.active() && r.c.Progress == nil {
		<-done
		return
	}
	every := r.c.ProgressEvery
	if rule.active() {
		every = min(every, 200*time.Millisecond)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	// The snapshot holds only the histograms the rules and the progress line
	// read; each is copied under its stripe's lock (a memcpy of its counts)
	// and merged outside it, so a worker waits microseconds, not the merge.
	snap := NewRecorder()
	var names []string
	if r.c.EarlyStop {
		for _, s := range r.c.SLO {
			names = append(names, s.Metric)
		}
	}
	if r.c.CIWidth > 0 {
		names = append(names, r.c.CIOf.Metric)
	}
	if r.c.Progress != nil {
		names = append(names, "latency")
	}
	copies := make([]*hdrhistogram.Snapshot, len(names))
	var lastProgress time.Duration
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		elapsed := time.Since(r.epoch)
		snap.reset()
		var t tally
		for i := range r.stripes {
			s := &r.stripes[i]
			s.mu.Lock()
			for k, m := range names {
				copies[k] = s.rec.hist(m).Export()
			}
			t.requests += s.t.requests
			t.completed += s.t.completed
			t.errors += s.t.errors
			t.requests += s.dropped
			t.errors += s.dropped
			s.mu.Unlock()
			for k, m := range names {
				if h := hdrhistogram.Import(copies[k]); h.TotalCount() > 0 {
					snap.hist(m).Merge(h)
				}
			}
		}
		if rule.active() {
			if why := rule.check(snap, elapsed-r.c.Warmup, t.requests, t.errors); why != "" {
				r.d.stop(why)
			}
		}
		if r.c.Progress != nil && elapsed-lastProgress >= r.c.ProgressEvery {
			lastProgress = elapsed
			p := Progress{Elapsed: elapsed, Requests: t.completed, P99: time.Duration(snap.Latency.ValueAtQuantile(99))}
			if m := elapsed - r.c.Warmup; m > 0 {
				p.Rate = float64(t.completed) / m.Seconds()
			}
			r.c.Progress(p)
		}
	}
}

// stuckAfter is how long a call must have been out for its worker to count
// as blocked: far above a fast backend's service time (see blockingService),
// far below the lag an open loop tolerates.
const stuckAfter = time.Millisecond

// watch grows an open loop's pool before lateness builds up. Little's law
// (resize) needs completed calls to measure the service time, and against a
// slow backend the first completions come only after a full service time —
// hundreds of milliseconds during which every arrival beyond the first few
// would wait for a worker. So every stuckAfter the watcher looks at the pool:
// when every worker has had a call out for longer than stuckAfter, arrivals
// are waiting for workers, and it doubles the pool (up to MaxWorkers).
func (r *runner) watch(done <-chan struct{}) {
	defer r.watching.Store(false)
	tick := time.NewTicker(stuckAfter)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if r.d.stopped.Load() || r.d.fast() {
			return // a fast backend never blocks a worker: leave the CPUs to the pool
		}
		now := time.Since(r.epoch)
		r.mu.Lock()
		n, stuck := len(r.workers), 0
		for _, w := range r.workers {
			if b := w.busy.Load(); b != 0 && now-time.Duration(b-1) > stuckAfter {
				stuck++
			}
		}
		r.mu.Unlock()
		if stuck < n {
			continue
		}
		d := r.d
		d.mu.Lock()
		if add := min(d.workers, d.maxW-d.workers); add > 0 {
			d.workers += add
			d.spawn(add)
		} else {
			d.atMax = true
		}
		d.mu.Unlock()
	}
}

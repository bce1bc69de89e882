package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/sleep"
)

// Timing is a lone request's predicted timing: time to first token and time per
// output token after it.
type Timing struct {
	TTFT, TPOT time.Duration
}

// PredictFunc predicts the timing of a request alone on the device.
type PredictFunc func(inputTokens, outputTokens int) (Timing, error)

// Paced is a backend that serves each request as if it were alone on the
// device: it asks predict for the request's timing and emits token i at
// start + TTFT + i·TPOT. It is what `inferbench serve --batching isolated`
// serves, and at low load it is what `inferbench simulate` predicts.
//
// Why deadlines and not sleeps: a wake-up is always somewhat late, and
// sleeping step after step would add that to every token. Paced schedules
// every token against its absolute due time, so lateness never accumulates,
// and waits with a sleep.Sleeper, which wakes within microseconds of the due
// time for about 0.1 ms of CPU per token (it used to yield through a margin
// of twice the Go timer's learnt lateness, about 1.2 ms a token here: 17% of
// a core for one stream, 54% for eight).
type Paced struct {
	predict PredictFunc
	info    accel.Info

	mu    sync.Mutex
	cache map[[2]int]Timing // predictions by (input, output) length

	timers *sleep.Timers // the streams' precise sleeps share these
	late   atomic.Int64  // the sleepers' learnt lateness, ns: seeds each request's
}

var (
	_ accel.Backend = (*Paced)(nil)
	_ Inline        = (*Paced)(nil)
)

// InlineOnToken is true: each call paces itself, so OnToken may block.
func (p *Paced) InlineOnToken() bool { return true }

// NewPaced returns a paced backend. info describes the device it stands for.
func NewPaced(info accel.Info, predict PredictFunc) *Paced {
	return &Paced{predict: predict, info: info, cache: map[[2]int]Timing{}, timers: sleep.NewTimers(preciseSleepers)}
}

// Info describes the device.
func (p *Paced) Info() accel.Info { return p.info }

// Close releases the kernel timers.
func (p *Paced) Close() error { return p.timers.Close() }

func (p *Paced) timing(in, out int) (Timing, error) {
	k := [2]int{in, out}
	p.mu.Lock()
	t, ok := p.cache[k]
	p.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := p.predict(in, out)
	if err != nil {
		return t, err
	}
	p.mu.Lock()
	if len(p.cache) > 1<<16 { // a bound, not a policy: lengths repeat in practice
		clear(p.cache)
	}
	p.cache[k] = t
	p.mu.Unlock()
	return t, nil
}

// Infer emits req.OutputTokens tokens on their predicted schedule, calling
// req.OnToken for each. The schedule starts when the server received the
// request (its parsing is part of the predicted time, as a real server's is),
// or at the call when ctx does not say.
func (p *Paced) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	start := accel.Arrival(ctx) // the device's clock starts when the request arrived
	t, err := p.timing(req.InputTokens*max(req.Batch, 1), req.OutputTokens)
	if err != nil {
		res.Class = accel.ClassOf(err)
		return err
	}
	sl := sleep.New(p.timers)
	if l := p.late.Load(); l > 0 {
		sl.SetLate(time.Duration(l))
	}
	defer func() { p.late.Store(int64(sl.Late())) }()
	last := start
	for i := 0; i < req.OutputTokens; i++ {
		due := start.Add(t.TTFT + time.Duration(i)*t.TPOT)
		now, err := sl.Until(ctx, due)
		if err != nil {
			res.Class = accel.ClassCanceled
			return accel.Errorf(accel.ClassCanceled, "%v", err)
		}
		if i == 0 {
			res.TTFT = now.Sub(start)
		} else if res.Gaps != nil {
			res.Gaps.RecordGap(now.Sub(last))
		}
		last = now
		res.OutputTokens++
		if req.OnToken != nil {
			req.OnToken(i)
		}
	}
	res.Latency = time.Since(start)
	res.Counted = accel.CountedExact
	return nil
}

// preciseSleepers bounds the streams in a precise sleep at once; each holds
// a kernel timer (a file descriptor) there, and past the bound a stream
// yields through its wait.
const preciseSleepers = 1024

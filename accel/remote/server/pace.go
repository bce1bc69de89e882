package server

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferbench/inferbench/accel"
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
// Why deadlines and not sleeps: a Go timer fires late by tens to hundreds of
// microseconds on a busy machine, and sleeping step after step would add that
// to every token — 5% of a 6 ms decode step. Paced schedules every token
// against its absolute due time, so lateness never accumulates, and it learns
// the timer's typical lateness (a running average shared by all requests) and
// wakes early by a margin, yielding until the due time, so tokens land on time.
type Paced struct {
	predict PredictFunc
	info    accel.Info

	mu    sync.Mutex
	cache map[[2]int]Timing // predictions by (input, output) length

	late atomic.Int64 // the timer's learnt lateness, ns (a running average)
}

var (
	_ accel.Backend = (*Paced)(nil)
	_ Inline        = (*Paced)(nil)
)

// InlineOnToken is true: each call paces itself, so OnToken may block.
func (p *Paced) InlineOnToken() bool { return true }

// NewPaced returns a paced backend. info describes the device it stands for.
func NewPaced(info accel.Info, predict PredictFunc) *Paced {
	return &Paced{predict: predict, info: info, cache: map[[2]int]Timing{}}
}

// Info describes the device.
func (p *Paced) Info() accel.Info { return p.info }

// Close does nothing.
func (p *Paced) Close() error { return nil }

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
	start := arrival(ctx) // the server's clock starts when the request arrived
	t, err := p.timing(req.InputTokens*max(req.Batch, 1), req.OutputTokens)
	if err != nil {
		res.Class = accel.ClassOf(err)
		return err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	last := start
	for i := 0; i < req.OutputTokens; i++ {
		due := start.Add(t.TTFT + time.Duration(i)*t.TPOT)
		if err := p.sleepUntil(ctx, timer, due); err != nil {
			res.Class = accel.ClassCanceled
			return err
		}
		now := time.Now()
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

// sleepUntil waits for due. It sets its timer early by twice the timer's learnt
// lateness and yields (runtime.Gosched) through the rest, so a token is never
// early and rarely late; the yielding costs at most that margin of CPU per
// token (a few percent of a core per stream at a 6 ms step) and lets other
// goroutines run meanwhile.
func (p *Paced) sleepUntil(ctx context.Context, timer *time.Timer, due time.Time) error {
	late := time.Duration(p.late.Load())
	if d := time.Until(due) - 2*late; d > 0 {
		timer.Reset(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return accel.Errorf(accel.ClassCanceled, "%v", ctx.Err())
		}
		// Move the estimate an eighth of the way towards this wake-up's lateness.
		miss := time.Since(due.Add(-2 * late))
		l := late + (miss-late)/8
		p.late.Store(int64(min(max(l, 0), time.Millisecond)))
	}
	for time.Now().Before(due) {
		if ctx.Err() != nil {
			return accel.Errorf(accel.ClassCanceled, "%v", ctx.Err())
		}
		runtime.Gosched()
	}
	return nil
}

// arrivalKey is the context key for a request's arrival time.
type arrivalKey struct{}

// withArrival records when the server received the request.
func withArrival(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, arrivalKey{}, t)
}

// arrival returns when the request arrived, or now.
func arrival(ctx context.Context) time.Time {
	if t, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		return t
	}
	return time.Now()
}

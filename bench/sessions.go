package bench

import (
	"container/heap"
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferbench/inferbench/accel"
)

// Sessions makes each request of the plan the start of a multi-turn
// conversation: turn k+1 is sent Think after turn k completes, and its
// prompt is the whole history (turn k's prompt and completion) plus a new
// message of TurnTokens. The scenario's arrivals are the sessions' starts:
// a closed loop's Concurrency is its users, each running session after
// session. The zero value is no sessions.
type Sessions struct {
	Turns      int
	Think      time.Duration
	TurnTokens int
}

// SharedPrefix gives every request one of Groups prompt prefixes of Tokens
// tokens (in whole PrefixBlock blocks), chosen by a hash of its number, in
// front of the workload's own prompt: a system prompt, a few-shot header,
// the same document asked about. The zero value shares nothing.
type SharedPrefix struct {
	Groups int
	Tokens int
}

// PrefixBlock is the block, in tokens, of a synthetic workload's prefix ids
// (a trace's are its own: 512 for Mooncake). It is vLLM's KV block size:
// a prefix cache keeps whole blocks.
const PrefixBlock = 16

// MaxTurns bounds Sessions.Turns: a report row per turn index.
const MaxTurns = 64

func (s Sessions) validate() error {
	if s == (Sessions{}) {
		return nil
	}
	if s.Turns < 1 || s.Turns > MaxTurns || s.Think < 0 || s.TurnTokens < 1 {
		return fmt.Errorf("sessions of %d turns, think time %v, %d tokens a turn: want 1 to %d turns, a think time of 0 or more and at least 1 token a turn",
			s.Turns, s.Think, s.TurnTokens, MaxTurns)
	}
	return nil
}

func (s SharedPrefix) validate() error {
	if s == (SharedPrefix{}) {
		return nil
	}
	if s.Groups < 1 || s.Tokens < PrefixBlock {
		return fmt.Errorf("shared prefix of %d groups, %d tokens: want at least 1 group and a prefix of at least %d tokens (one block)", s.Groups, s.Tokens, PrefixBlock)
	}
	return nil
}

// blockIDs appends n prefix block ids of the sequence named by base: block
// i of base is the same id in every request that names base.
func blockIDs(dst []uint64, base uint64, n int) []uint64 {
	for i := range n {
		dst = append(dst, splitmix(base+uint64(i)))
	}
	return dst
}

// sharedPrefix fills req's prefix for request seq of a shared-prefix plan
// and adds the prefix to its prompt length.
func (c *Config) sharedPrefix(req *accel.Request, seq uint64, buf []uint64) {
	p := c.SharedPrefix
	g := splitmix(c.Seed^splitmix(seq^0x9e0f1e7)) % uint64(p.Groups)
	buf = blockIDs(buf[:0], splitmix(c.Seed^splitmix((g+1)*0x5aa5ed)), p.Tokens/PrefixBlock)
	req.InputTokens += p.Tokens
	req.Prefix, req.PrefixBlock = buf, PrefixBlock
}

// turnOf fills req as turn k of session s, whose prompt is in tokens (the
// history and the new message): its number is s·Turns+k, its completion
// that number's draw, and its prefix every whole block of the session so
// far, so turn k+1 finds turn k's prompt in a prefix cache.
func (c *Config) turnOf(req *accel.Request, s uint64, k, in int, buf []uint64) {
	seq := s*uint64(c.Sessions.Turns) + uint64(k)
	_, out := c.Lengths.Draw(seq)
	req.Seq, req.Turn, req.InputTokens, req.OutputTokens = seq, k, in, out
	buf = blockIDs(buf[:0], splitmix(c.Seed^splitmix(s^0x5e55105)), in/PrefixBlock)
	req.Prefix, req.PrefixBlock = buf, PrefixBlock
}

// firstTurn is session s's first prompt length: the workload's draw.
func (c *Config) firstTurn(s uint64) int {
	in, _ := c.Lengths.Draw(s * uint64(c.Sessions.Turns))
	return in
}

// pendingTurn is a session's next turn, waiting for its time.
type pendingTurn struct {
	session uint64
	k, in   int
	at      time.Duration
}

type turnHeap []pendingTurn

func (h turnHeap) Len() int { return len(h) }
func (h turnHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || h[i].at == h[j].at && h[i].session < h[j].session
}
func (h turnHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *turnHeap) Push(x any)   { *h = append(*h, x.(pendingTurn)) }
func (h *turnHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// sessionDriver is the virtual driver's session state: the turns waiting
// for their time, and the next session start, read ahead.
//
// A virtual engine holds one arrival at a time, and a turn's time is known
// only once the turn before completes, so the driver issues the earliest
// of them only when nothing can come before it: when it is due within the
// think time of now (any turn not yet known is due at least that late), or
// when nothing is in flight. Otherwise it waits; the simulator asks again
// after each step, the oracle after each completion.
type sessionDriver struct {
	turns    turnHeap
	next     pendingTurn // the next session start
	haveNext bool
	arrDone  bool
	active   int // sessions started and not ended
}

// nextTurn is virtualDriver.Next with sessions.
func (d *virtualDriver) nextTurn(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	c, s := d.cfg, d.sess
	if !s.haveNext && !s.arrDone && !(d.closed && s.active >= d.conc) {
		seq, at, ok := d.arr.Next()
		if !ok {
			s.arrDone = true
		} else {
			if d.closed {
				at = now
			}
			s.next, s.haveNext = pendingTurn{session: seq, at: at}, true
		}
	}
	var t pendingTurn
	fromHeap := len(s.turns) > 0 && (!s.haveNext || s.turns[0].at <= s.next.at)
	switch {
	case fromHeap:
		t = s.turns[0]
	case s.haveNext:
		t = s.next
	case s.arrDone && s.active == 0:
		return 0, accel.NextEnd
	default:
		return 0, accel.NextWait
	}
	if t.at > now+c.Sessions.Think && d.outstanding > 0 {
		return 0, accel.NextWait
	}
	if c.Duration > 0 && t.at >= c.Warmup+c.Duration {
		// Issuing stops at the limit: sessions under way end there.
		s.turns, s.haveNext, s.arrDone, s.active = s.turns[:0], false, true, 0
		if d.outstanding > 0 {
			return 0, accel.NextWait
		}
		return 0, accel.NextEnd
	}
	if fromHeap {
		heap.Pop(&s.turns)
	} else {
		s.haveNext = false
		s.active++
		t.in = c.firstTurn(t.session)
	}
	*req = accel.Request{Model: c.Model, Precision: c.Precision, Batch: 1}
	c.turnOf(req, t.session, t.k, t.in, d.prefixBuf())
	d.outstanding++
	d.readyAt = max(t.at, now)
	if d.readyAt >= c.Warmup {
		d.live++
	}
	return d.readyAt, accel.NextReady
}

// turnDone schedules a completed turn's successor, or ends its session.
func (d *virtualDriver) turnDone(req *accel.Request, res *accel.Result, finished time.Duration) {
	c, s := d.cfg, d.sess
	if res.Class != accel.ClassNone || req.Turn+1 >= c.Sessions.Turns {
		s.active--
		return
	}
	heap.Push(&s.turns, pendingTurn{
		session: req.Seq / uint64(c.Sessions.Turns), k: req.Turn + 1,
		in: req.InputTokens + res.OutputTokens + c.Sessions.TurnTokens, at: finished + c.Sessions.Think,
	})
}

// newTurnHist is a per-turn TTFT histogram: 1 µs to an hour at 2
// significant digits (1%), about 30 KB, as a row of the report needs.
func newTurnHist() *hdrhistogram.Histogram { return hdrhistogram.New(1e3, histMax, 2) }

// withTurns gives r a TTFT histogram per turn index.
func (r *Recorder) withTurns(n int) *Recorder {
	for range n {
		r.TurnTTFT = append(r.TurnTTFT, newTurnHist())
	}
	return r
}

// forConfig gives r what c's plan records beyond the histograms: a TTFT
// histogram per turn index, a replay's timeline.
func (r *Recorder) forConfig(c *Config) *Recorder {
	r.withTurns(c.Sessions.Turns)
	if c.Scenario == Replay {
		r.Timeline = newTimeline()
	}
	return r
}

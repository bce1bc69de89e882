package sim

import (
	"time"

	"github.com/inferbench/inferbench/accel"
)

// Scheduler limits of the simulated serving stack. They are TensorRT-LLM's
// build defaults (trtllm-build: max_num_tokens 8192, max_batch_size 2048), the
// stack behind most published GPU throughput figures; they are not tuned to any
// measurement.
const (
	// MaxStepTokens bounds the tokens one iteration processes: every decoding
	// sequence's one token plus as much prompt as fits (chunked prefill).
	MaxStepTokens = 8192
	// MaxRunning bounds the sequences on the device at once.
	MaxRunning = 2048
)

// seq is one request on the simulated device: Batch identical sequences that
// move in lockstep.
type seq struct {
	req  *accel.Request // the request: own in virtual time, the caller's in real time
	own  accel.Request
	call *rtCall // real time: the waiting Infer

	arrived, firstToken, lastToken time.Duration

	mult     int     // identical sequences (Request.Batch, at least 1)
	in, out  int     // prompt and output tokens per sequence (out is 0 for encoders)
	prompt   int     // prompt tokens processed so far, per sequence
	produced int     // output tokens so far, per sequence
	chunk    int     // prompt tokens this step, per sequence
	decoding bool    // decodes a token this step
	waiting  bool    // static batching: prompt encoded, first token held for the batch
	need     float64 // KV-cache tokens reserved while running
}

// handler receives what a step produced. The virtual engine reports to its
// accel.Driver; the real-time engine wakes the waiting Infer calls.
type handler interface {
	reject(s *seq, now time.Duration, capacity float64)
	token(s *seq, index int, now time.Duration)
	finish(s *seq, now time.Duration)
}

// batcher is the device's scheduler, shared by both engines: a FIFO queue,
// admission bounded by KV-cache capacity (a request reserves its whole final
// context when admitted, TensorRT-LLM's GUARANTEED_NO_EVICT policy, so nothing
// is ever preempted), and iteration-level batching: each step decodes one token
// for every running sequence and fills the rest of MaxStepTokens with prompt
// chunks, oldest first. It is used by one goroutine at a time.
type batcher struct {
	dev *Device

	queue   []*seq // waiting for capacity; queue[head:] is live
	head    int
	running []*seq
	kvUsed  float64
	seqs    int // running sequences, counting multiplicity
	peak    int // most running sequences seen

	// cache is the device's prefix cache (prefix.go); nil: none.
	cache *prefixCache
}

// prepare fills a seq's sizes from its request.
func (b *batcher) prepare(s *seq) {
	r := s.req
	s.mult = max(r.Batch, 1)
	s.in, s.out = max(r.InputTokens, 0), max(r.OutputTokens, 0)
	if b.dev.Model.Encoder {
		s.out = 0 // an encoder makes one pass and no tokens
	}
	s.need = float64(s.mult * (s.in + s.out))
}

// push appends s to the queue, reusing the queue's backing array so a steady
// state allocates nothing.
func (b *batcher) push(s *seq) {
	if len(b.queue) == cap(b.queue) && b.head > 0 {
		n := copy(b.queue, b.queue[b.head:])
		clear(b.queue[n:])
		b.queue, b.head = b.queue[:n], 0
	}
	b.queue = append(b.queue, s)
}

func (b *batcher) queued() int { return len(b.queue) - b.head }

func (b *batcher) pop() *seq {
	s := b.queue[b.head]
	b.queue[b.head] = nil
	b.head++
	if b.head == len(b.queue) {
		b.queue, b.head = b.queue[:0], 0
	}
	return s
}

// admit moves queued requests onto the device, in order, while their KV
// reservation and the sequence limit fit. A request that could not fit even on
// an empty device is rejected at once rather than blocking the queue forever.
func (b *batcher) admit(now time.Duration, h handler) {
	cap := b.dev.kvCapacity
	for b.queued() > 0 {
		s := b.queue[b.head]
		if s.need > cap || s.mult > MaxRunning {
			b.pop()
			h.reject(s, now, cap)
			continue
		}
		if b.kvUsed+s.need > cap || b.seqs+s.mult > MaxRunning {
			return
		}
		b.pop()
		b.kvUsed += s.need
		b.seqs += s.mult
		b.peak = max(b.peak, b.seqs)
		b.running = append(b.running, s)
		b.cache.admit(s, cap-b.kvUsed)
	}
}

// plan decides the next step's work: decodes first, then prompt chunks while
// the token budget lasts. A static-batching stack (Profile.StaticBatching)
// instead encodes one request's whole prompt per step, and decodes only
// when no prompt on the device is left to encode.
func (b *batcher) plan() Step {
	if b.dev.Profile.StaticBatching && !b.dev.Model.Encoder {
		return b.planStatic() // an encoder's batch is one pass either way
	}
	var st Step
	budget := MaxStepTokens
	for _, s := range b.running {
		s.chunk, s.decoding = 0, s.prompt >= s.in && s.produced < s.out
		if s.decoding {
			st.DecodeSeqs += s.mult
			st.DecodeCtx += float64(s.mult * (s.in + s.produced))
			budget -= s.mult
		}
	}
	encoder := b.dev.Model.Encoder
	for _, s := range b.running {
		if s.decoding || (s.prompt >= s.in && s.in > 0) {
			continue
		}
		rest := s.in - s.prompt
		c := min(rest, max(budget, 0)/s.mult)
		if encoder && c < rest {
			c = 0 // a bidirectional pass is not chunked: it waits for room
		}
		if c == 0 && st.PrefillTokens == 0 && st.DecodeSeqs == 0 {
			c = rest // alone on the device it runs whole, whatever the budget
		}
		if c == 0 && rest > 0 {
			continue
		}
		s.chunk = c
		budget -= c * s.mult
		b.addChunk(&st, s, c)
		if s.prompt+c >= s.in {
			st.PromptsDone += s.mult
			st.FirstTokens += s.mult
		}
	}
	return st
}

// addChunk adds c prompt tokens of s to st.
func (b *batcher) addChunk(st *Step, s *seq, c int) {
	p, cf := float64(s.prompt), float64(c)
	pairs := cf*p + cf*(cf+1)/2
	if b.dev.Model.Encoder {
		pairs = cf * cf
	}
	st.PrefillTokens += c * s.mult
	st.PrefillPairs += float64(s.mult) * pairs
	st.PrefillCtx += float64(s.mult) * p
}

// planStatic is plan for a static-batching stack: the oldest request whose
// prompt is not encoded is encoded whole, alone; when it is the last, the
// step yields the first token of every request waiting for it.
func (b *batcher) planStatic() Step {
	var st Step
	var next *seq
	waiting, more := 0, false // first tokens held; prompts left after next
	for _, s := range b.running {
		s.chunk, s.decoding = 0, false
		switch {
		case s.waiting:
			waiting += s.mult
		case s.prompt < s.in:
			more = next != nil
			if next == nil {
				next = s
			}
		}
	}
	if next != nil {
		c := next.in - next.prompt
		next.chunk = c
		b.addChunk(&st, next, c)
		st.PromptsDone = next.mult
		if !more { // the batch's last prompt: every first token comes out
			st.FirstTokens = waiting + next.mult
		}
		return st
	}
	for _, s := range b.running {
		s.decoding = s.produced < s.out
		if s.decoding {
			st.DecodeSeqs += s.mult
			st.DecodeCtx += float64(s.mult * (s.in + s.produced))
		}
	}
	return st
}

// commit applies the planned step, which ended at now: prompts advance, tokens
// come out, finished requests leave and free their KV reservation. Under
// static batching a request whose prompt is encoded waits for the batch's
// last prompt, and then all of them get their first token at once.
func (b *batcher) commit(now time.Duration, h handler) {
	static := b.dev.Profile.StaticBatching && !b.dev.Model.Encoder
	encoding := false // static: a prompt on the device is still to encode
	for _, s := range b.running {
		if s.prompt+s.chunk < s.in {
			encoding = true
		}
	}
	kept := b.running[:0]
	for _, s := range b.running {
		switch {
		case s.decoding:
			b.emit(s, now, h)
		case s.chunk > 0 || (s.in == 0 && s.prompt == 0) || s.waiting:
			s.prompt += s.chunk
			s.chunk = 0
			if s.prompt >= s.in {
				if static && encoding {
					s.waiting = true // its first token comes with the batch's
					break
				}
				s.waiting = false
				s.firstToken, s.lastToken = now, now
				if s.out > 0 { // the prompt pass yields the first token
					b.emit(s, now, h)
				}
			}
		}
		if !s.waiting && s.prompt >= s.in && s.produced >= s.out {
			b.kvUsed -= s.need
			b.seqs -= s.mult
			b.cache.keep(s, b.dev.kvCapacity-b.kvUsed)
			h.finish(s, now)
			continue
		}
		kept = append(kept, s)
	}
	clear(b.running[len(kept):])
	b.running = kept
	if len(b.running) == 0 {
		b.kvUsed = 0 // no drift from float sums
	}
}

func (b *batcher) emit(s *seq, now time.Duration, h handler) {
	i := s.produced
	s.produced++
	if i == 0 {
		s.firstToken = now
	}
	h.token(s, i, now)
	s.lastToken = now
}

// remove takes s off the device or out of the queue (a canceled call); it
// reports whether s was there.
func (b *batcher) remove(s *seq) bool {
	for i, r := range b.running {
		if r == s {
			copy(b.running[i:], b.running[i+1:])
			b.running[len(b.running)-1] = nil
			b.running = b.running[:len(b.running)-1]
			b.kvUsed -= s.need
			b.seqs -= s.mult
			if len(b.running) == 0 {
				b.kvUsed = 0
			}
			return true
		}
	}
	for i := b.head; i < len(b.queue); i++ {
		if b.queue[i] == s {
			copy(b.queue[i:], b.queue[i+1:])
			b.queue[len(b.queue)-1] = nil
			b.queue = b.queue[:len(b.queue)-1]
			return true
		}
	}
	return false
}

// idle reports whether nothing is queued or running.
func (b *batcher) idle() bool { return len(b.running) == 0 && b.queued() == 0 }

package sim

import (
	"context"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
)

// listDriver sends its requests at their times and keeps each one's TTFT.
type listDriver struct {
	reqs []accel.Request
	at   []time.Duration
	i    int
	ttft map[uint64]time.Duration
}

func (d *listDriver) Next(now time.Duration, req *accel.Request) (time.Duration, accel.NextStatus) {
	if d.i == len(d.reqs) {
		return 0, accel.NextEnd
	}
	*req = d.reqs[d.i]
	d.i++
	return d.at[d.i-1], accel.NextReady
}

func (d *listDriver) Done(req *accel.Request, res *accel.Result, _, _ time.Duration) {
	d.ttft[req.Seq] = res.TTFT
}

func ids(from, n int) []uint64 {
	var out []uint64
	for i := range n {
		out = append(out, uint64(from+i))
	}
	return out
}

// Three 1,024-token prompts a minute apart: the first and third name the
// same 64 blocks of 16 tokens, the second other blocks. With the cache the
// third finds all 64 cached and prefills only its last token, so its TTFT
// is a third of the first's at most (a one-token step still reads every
// weight: about 6 ms against 25 on an H100), and the cache counts 1,023 of 3,072 tokens
// served; without it the third is the first again, to the nanosecond.
func TestPrefixCacheSkipsCachedPrefill(t *testing.T) {
	run := func(off bool) (*listDriver, accel.PrefixCacheStats, bool) {
		b, err := Config{Profile: "h100-sxm", Model: "llama-3.1-8b", Precision: "bf16", NoPrefixCache: off}.New()
		if err != nil {
			t.Fatal(err)
		}
		req := func(seq uint64, prefix []uint64) accel.Request {
			return accel.Request{Seq: seq, Model: "llama-3.1-8b", InputTokens: 1024, OutputTokens: 4, Prefix: prefix, PrefixBlock: 16}
		}
		d := &listDriver{
			reqs: []accel.Request{req(1, ids(0, 64)), req(2, ids(1000, 64)), req(3, ids(0, 64))},
			at:   []time.Duration{0, time.Minute, 2 * time.Minute}, ttft: map[uint64]time.Duration{},
		}
		if err := b.Drive(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		s, ok := b.PrefixCache()
		return d, s, ok
	}
	on, s, ok := run(false)
	if !ok || s.InputTokens != 3072 || s.HitTokens != 1023 || s.Blocks != 128 || s.Tokens != 2048 || s.BlockTokens != 16 || s.CapacityTokens < 100000 {
		t.Errorf("cache %+v (on %v): want 1,023 of 3,072 tokens hit, 128 blocks of 16 held", s, ok)
	}
	if on.ttft[2] != on.ttft[1] || on.ttft[3]*3 > on.ttft[1] {
		t.Errorf("TTFT %v, %v, %v: want the second as the first, the third a fraction of it", on.ttft[1], on.ttft[2], on.ttft[3])
	}
	off, _, ok := run(true)
	if ok {
		t.Error("PrefixCache says on for a device opened without one")
	}
	if off.ttft[3] != off.ttft[1] || off.ttft[1] != on.ttft[1] {
		t.Errorf("without the cache TTFT %v, %v: want the first's %v for both", off.ttft[1], off.ttft[3], on.ttft[1])
	}
}

// LRU within room: three prompts of three 16-token blocks in 100 tokens of
// room keep the last two (96 tokens); touching the older of them makes the
// other the one evicted next.
func TestPrefixCacheLRU(t *testing.T) {
	c := &prefixCache{idx: map[uint64]int32{}, head: -1, tail: -1, capacity: 100}
	keep := func(prefix ...uint64) {
		c.keep(&seq{req: &accel.Request{Prefix: prefix, PrefixBlock: 16}, in: 48, mult: 1}, 100)
	}
	has := func(id uint64) bool { _, ok := c.idx[id]; return ok }
	keep(1, 2, 3)
	keep(4, 5, 6)
	keep(7, 8, 9)
	if has(1) || has(2) || has(3) || !has(4) || !has(9) || c.used != 96 {
		t.Fatalf("after three prompts: %v, %d tokens; want 4-9, 96", c.idx, c.used)
	}
	s := &seq{req: &accel.Request{Prefix: []uint64{4, 5, 6}, PrefixBlock: 16}, in: 48, mult: 1}
	c.admit(s, 100)
	if s.prompt != 47 {
		t.Errorf("a cached 48-token prompt starts at %d, want 47 (its last token is computed)", s.prompt)
	}
	keep(10, 11, 12)
	if !has(4) || has(7) || !has(10) {
		t.Errorf("after touching 4-6 and adding 10-12: %v; want 7-9 evicted", c.idx)
	}
	// A prompt that shares only a first block hits only that block.
	s = &seq{req: &accel.Request{Prefix: []uint64{10, 99, 12}, PrefixBlock: 16}, in: 48, mult: 1}
	c.admit(s, 100)
	if s.prompt != 16 {
		t.Errorf("prompt starts at %d, want 16 (one block, then a miss)", s.prompt)
	}
	// Room shrinking (running requests' reservations) evicts down to it.
	c.trim(40)
	if c.used > 40 || len(c.idx) != 2 {
		t.Errorf("trimmed to 40: %d tokens in %d blocks", c.used, len(c.idx))
	}
}

// serve's engine (Infer, in wall-clock time) keeps the cache across calls:
// the second call with the same prefix is answered sooner.
func TestPrefixCacheInRealtime(t *testing.T) {
	b, err := Config{Profile: "h100-sxm", Model: "llama-3.1-8b", Precision: "bf16", Realtime: true}.New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var ttft [2]time.Duration
	for i := range ttft {
		req := accel.Request{Seq: uint64(i), Model: "llama-3.1-8b", InputTokens: 4096, OutputTokens: 2, Prefix: ids(0, 256), PrefixBlock: 16}
		var res accel.Result
		if err := b.Infer(context.Background(), &req, &res); err != nil {
			t.Fatal(err)
		}
		ttft[i] = res.TTFT
	}
	s, _ := b.PrefixCache()
	if s.HitTokens != 4095 || s.InputTokens != 8192 {
		t.Errorf("cache %+v: want 4,095 of 8,192 tokens hit", s)
	}
	if ttft[1] >= ttft[0] {
		t.Errorf("TTFT %v then %v: want the cached call sooner", ttft[0], ttft[1])
	}
}

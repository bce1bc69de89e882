package sim

import (
	"sync/atomic"

	"github.com/inferbench/inferbench/accel"
)

// prefixCache is the device's prefix cache, as vLLM's automatic prefix
// caching and SGLang's radix cache keep one: a finished request's prompt
// blocks stay in KV memory under their ids (accel.Request.Prefix), and a
// later request whose prompt starts with cached blocks skips their
// prefill. The blocks live in the KV memory running requests have not
// reserved (capacity − used, in tokens), and the least recently used go
// first when it shrinks. A block is matched only in order from the
// prompt's start, and the prompt's last token is always computed (it
// yields the first output token), as in vLLM.
//
// A nil *prefixCache is no cache: every method does nothing.
type prefixCache struct {
	idx        map[uint64]int32 // id → slot
	slots      []cacheEntry
	free       []int32
	head, tail int32 // most and least recently used; -1 when empty
	used       int64 // tokens held
	capacity   float64

	// Counts read by Backend.PrefixCache while a real-time engine runs;
	// block is the tokens per block, the last request's.
	inTokens, hitTokens, blocks, tokens, block atomic.Int64
}

type cacheEntry struct {
	id         uint64
	tokens     int32
	prev, next int32
}

func newPrefixCache(dev *Device) *prefixCache {
	return &prefixCache{idx: map[uint64]int32{}, head: -1, tail: -1, capacity: dev.kvCapacity}
}

// admit looks s's prompt up as s goes onto the device: the cached blocks
// at its start are prefilled already. room is the KV memory the running
// requests leave, to which the cache is then trimmed.
func (c *prefixCache) admit(s *seq, room float64) {
	if c == nil {
		return
	}
	r := s.req
	hit := 0
	if r.PrefixBlock > 0 {
		for _, id := range r.Prefix {
			i, ok := c.idx[id]
			if !ok {
				break
			}
			c.touch(i)
			hit += int(c.slots[i].tokens)
		}
	}
	hit = max(min(hit, s.in-1), 0)
	s.prompt = hit
	c.inTokens.Add(int64(s.mult * s.in))
	c.hitTokens.Add(int64(s.mult * hit))
	c.trim(room)
}

// keep puts s's prompt blocks in the cache as s leaves the device, most
// recently used, within room.
func (c *prefixCache) keep(s *seq, room float64) {
	if c == nil || s.req.PrefixBlock < 1 {
		return
	}
	r := s.req
	c.block.Store(int64(r.PrefixBlock))
	for k, id := range r.Prefix {
		n := min(r.PrefixBlock, s.in-k*r.PrefixBlock)
		if n <= 0 {
			break
		}
		if i, ok := c.idx[id]; ok {
			c.used += int64(n) - int64(c.slots[i].tokens)
			c.slots[i].tokens = int32(max(n, int(c.slots[i].tokens)))
			c.touch(i)
			continue
		}
		c.insert(id, n)
	}
	c.trim(room)
}

// trim evicts the least recently used blocks until the cache fits room.
func (c *prefixCache) trim(room float64) {
	for c.tail >= 0 && float64(c.used) > room {
		i := c.tail
		c.unlink(i)
		delete(c.idx, c.slots[i].id)
		c.used -= int64(c.slots[i].tokens)
		c.free = append(c.free, i)
	}
	c.blocks.Store(int64(len(c.idx)))
	c.tokens.Store(c.used)
}

func (c *prefixCache) insert(id uint64, n int) {
	var i int32
	if k := len(c.free); k > 0 {
		i, c.free = c.free[k-1], c.free[:k-1]
	} else {
		c.slots = append(c.slots, cacheEntry{})
		i = int32(len(c.slots) - 1)
	}
	c.slots[i] = cacheEntry{id: id, tokens: int32(n), prev: -1, next: -1}
	c.idx[id] = i
	c.used += int64(n)
	c.pushFront(i)
}

// touch makes slot i the most recently used.
func (c *prefixCache) touch(i int32) {
	if c.head == i {
		return
	}
	c.unlink(i)
	c.pushFront(i)
}

func (c *prefixCache) pushFront(i int32) {
	e := &c.slots[i]
	e.prev, e.next = -1, c.head
	if c.head >= 0 {
		c.slots[c.head].prev = i
	}
	c.head = i
	if c.tail < 0 {
		c.tail = i
	}
}

func (c *prefixCache) unlink(i int32) {
	e := &c.slots[i]
	if e.prev >= 0 {
		c.slots[e.prev].next = e.next
	} else {
		c.head = e.next
	}
	if e.next >= 0 {
		c.slots[e.next].prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = -1, -1
}

// stats is what the cache served and holds.
func (c *prefixCache) stats() accel.PrefixCacheStats {
	if c == nil {
		return accel.PrefixCacheStats{}
	}
	return accel.PrefixCacheStats{
		InputTokens: c.inTokens.Load(), HitTokens: c.hitTokens.Load(), Blocks: c.blocks.Load(), Tokens: c.tokens.Load(),
		CapacityTokens: int64(c.capacity), BlockTokens: int(c.block.Load()),
	}
}

// newCache is a new engine's prefix cache: nil when the backend was
// opened without one.
func (b *Backend) newCache() *prefixCache {
	if b.noCache {
		return nil
	}
	return newPrefixCache(b.dev)
}

// PrefixCache says what the device's prefix cache served since the backend
// was opened, over every virtual-time run and its real-time engine, and
// what it holds: the latest run's cache, or the real-time engine's. ok is
// false when it was opened without one (accel.Options.NoPrefixCache).
func (b *Backend) PrefixCache() (accel.PrefixCacheStats, bool) {
	if b.noCache {
		return accel.PrefixCacheStats{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.cached
	if b.rt != nil {
		rs := b.rt.b.cache.stats()
		s.InputTokens += rs.InputTokens
		s.HitTokens += rs.HitTokens
		s.Blocks, s.Tokens, s.CapacityTokens, s.BlockTokens = rs.Blocks, rs.Tokens, rs.CapacityTokens, rs.BlockTokens
	}
	return s, true
}

// addCache adds a finished run's cache counts to the backend's (under mu).
func (b *Backend) addCache(c *prefixCache) {
	s := c.stats()
	b.cached.InputTokens += s.InputTokens
	b.cached.HitTokens += s.HitTokens
	b.cached.Blocks, b.cached.Tokens, b.cached.CapacityTokens, b.cached.BlockTokens = s.Blocks, s.Tokens, s.CapacityTokens, s.BlockTokens
}

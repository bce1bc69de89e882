package server

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
)

// cacher is a backend that says it keeps a prefix cache.
type cacher struct{ noop.Backend }

func (cacher) PrefixCache() (accel.PrefixCacheStats, bool) { return accel.PrefixCacheStats{}, true }

// A block's id hashes every word up to its end: prompts that share their
// first 32 words share two ids and no more, however the words are spaced
// or split into messages and parts.
func TestBlockChain(t *testing.T) {
	words := func(from, n int) string {
		s := ""
		for i := range n {
			s += " w" + string(rune('a'+(from+i)%26)) + string(rune('a'+(from+i)/26%26))
		}
		return s
	}
	ids := func(texts ...string) []uint64 {
		var c blockChain
		for _, s := range texts {
			c.words(s)
		}
		return c.ids
	}
	a := ids(words(0, 48))
	b := ids(words(0, 32) + "\n\t" + words(100, 20))
	if len(a) != 3 || len(b) != 3 || !slices.Equal(a[:2], b[:2]) || a[2] == b[2] {
		t.Errorf("ids %v and %v: want 3 each, the first 2 shared", a, b)
	}
	if c := ids(words(0, 20), words(20, 28)); !slices.Equal(c, a) {
		t.Errorf("the same words in two messages: %v, want %v", c, a)
	}
	if d := ids(words(0, 15)); len(d) != 0 {
		t.Errorf("15 words name %d blocks, want none (a block is whole)", len(d))
	}
	// Text parts and arrays of strings read as their text.
	s := &Server{cfg: Config{Backend: cacher{}}}
	var c *blockChain
	raw, _ := json.Marshal([]map[string]string{{"type": "text", "text": words(0, 20)}, {"type": "text", "text": words(20, 28)}})
	s.chain(&c, raw)
	if !slices.Equal(c.blockIDs(), a) {
		t.Errorf("text parts: %v, want %v", c.blockIDs(), a)
	}
	// A backend without a prefix cache costs nothing: no chain.
	var none *blockChain
	(&Server{cfg: Config{Backend: noop.Backend{}}}).chain(&none, raw)
	if none != nil || none.blockIDs() != nil {
		t.Errorf("a chain for a backend without a cache: %v", none)
	}
}

package server

import (
	"encoding/json"

	"github.com/inferbench/inferbench/accel"
)

// PromptBlock is the words to a prompt block the server names for a
// backend's prefix cache: 16, vLLM's KV block, at a word a token (see
// CountTokens).
const PromptBlock = 16

// blockChain names a prompt's whole blocks of PromptBlock words as it is
// read, message by message: block k's id hashes every word up to its end,
// as vLLM's block hashes chain, so two prompts share block k's id exactly
// when their first k+1 blocks are the same words. A prefix-caching backend
// (a simulated device behind `serve --batching continuous`) then serves the
// shared blocks from its cache, as a real server would.
type blockChain struct {
	ids []uint64
	h   uint64
	n   int // words read
}

// chain adds a message's (or a prompt's) text to *cp's blocks, when the
// backend keeps a prefix cache; raw is a string, or an array of strings or
// of text parts.
func (s *Server) chain(cp **blockChain, raw json.RawMessage) {
	if _, ok := s.cfg.Backend.(accel.PrefixCacher); !ok {
		return
	}
	if *cp == nil {
		*cp = &blockChain{}
	}
	c := *cp
	var str string
	if json.Unmarshal(raw, &str) == nil {
		c.words(str)
		return
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		return
	}
	for _, p := range parts {
		var part struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(p, &str) == nil {
			c.words(str)
		} else if json.Unmarshal(p, &part) == nil {
			c.words(part.Text)
		}
	}
}

// blockIDs are the chain's ids; nil for no chain.
func (c *blockChain) blockIDs() []uint64 {
	if c == nil {
		return nil
	}
	return c.ids
}

// words hashes text's whitespace-separated words into the chain.
func (c *blockChain) words(text string) {
	start := -1
	for i := 0; i <= len(text); i++ {
		space := i == len(text) || text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'
		switch {
		case !space && start < 0:
			start = i
		case space && start >= 0:
			c.word(text[start:i])
			start = -1
		}
	}
}

func (c *blockChain) word(w string) {
	h := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(w); i++ {
		h = (h ^ uint64(w[i])) * 1099511628211
	}
	c.h = mixBlock(c.h ^ h)
	c.n++
	if c.n%PromptBlock == 0 {
		c.ids = append(c.ids, c.h)
	}
}

// mixBlock is SplitMix64's finaliser.
func mixBlock(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

package remote_test

import (
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
)

// runs indexes every run of k consecutive words of each prompt (k <= 10, so
// that a run packs exactly into 60 bits: the vocabulary has 64 words) and
// returns the first pair of different prompts that share one, or ok false.
// A run repeated inside one prompt is not a cache hit for another request and
// is not counted.
func sharedRun(t *testing.T, prompts [][]string, k int) (a, b int, run string, found bool) {
	t.Helper()
	index := map[string]uint64{}
	first := map[uint64]int{}
	for p, words := range prompts {
		var key uint64
		for i, w := range words {
			id, ok := index[w]
			if !ok {
				id = uint64(len(index))
				index[w] = id
				if id >= 64 {
					t.Fatalf("more than 64 distinct words; the packing assumes 6 bits a word")
				}
			}
			key = (key<<6 | id) & (1<<(6*k) - 1)
			if i+1 < k {
				continue
			}
			if q, ok := first[key]; !ok {
				first[key] = p
			} else if q != p {
				return q, p, strings.Join(words[i+1-k:i+1], " "), true
			}
		}
	}
	return 0, 0, "", false
}

// Known answer: the prompts of different requests share no run of 8 words (so
// none of 16) across thousands of requests and two seeds: a prefix cache
// cannot serve one from another. With 64 words, a given pair of 8-word runs
// matches by chance once in 64^8 ≈ 2.8e14; the 2,000 prompts of 128 words here
// hold about 2.4e5 runs, 2.9e10 pairs, so a chance match is a 1-in-10,000
// event, and for these fixed seeds there is none. Every prompt is exactly the
// asked-for number of words, which is its token count.
func TestSyntheticPromptsShareNothing(t *testing.T) {
	t.Parallel()
	const n = 128
	var prompts [][]string
	for _, seed := range []uint64{1, 2} {
		for seq := range uint64(1000) {
			s := string(remote.AppendSyntheticPrompt(nil, seed, seq, n))
			if got := server.CountTokens(s); got != n {
				t.Fatalf("seed %d seq %d: %d tokens, want %d: %q", seed, seq, got, n, s)
			}
			prompts = append(prompts, strings.Split(s, " "))
		}
	}
	for _, k := range []int{8, 10} {
		if a, b, run, found := sharedRun(t, prompts, k); found {
			t.Errorf("prompts %d and %d share the %d-word run %q", a, b, k, run)
		}
	}
	// 16 words do not fit a 60-bit key; a shared 16-word run contains a shared
	// 10-word one, so the check above covers it.

	// The checker sees the old generator's defect: request i+2's prompt was
	// request i's shifted by two words.
	shifted := [][]string{prompts[0], append(prompts[0][2:n:n], "the", "of")}
	if _, _, _, found := sharedRun(t, shifted, 10); !found {
		t.Error("a prompt shifted by two words was not seen as sharing a run")
	}
}

// Known answer: the prompt is a pure function of (seed, seq, n) with exactly n
// words, for lengths from 0 to a long context.
func TestSyntheticPromptLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 2, 7, 128, 4096} {
		a := string(remote.AppendSyntheticPrompt(nil, 7, 3, n))
		if got := server.CountTokens(a); got != n {
			t.Errorf("n=%d: %d tokens", n, got)
		}
		if b := string(remote.AppendSyntheticPrompt([]byte("x"), 7, 3, n)); b != "x"+a {
			t.Errorf("n=%d: appending to a buffer changed the prompt", n)
		}
		if n > 0 && string(remote.AppendSyntheticPrompt(nil, 7, 4, n)) == a {
			t.Errorf("n=%d: seq 3 and seq 4 have the same prompt", n)
		}
	}
}

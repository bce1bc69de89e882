package remote

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// vocab is the synthetic prompt's vocabulary, packed into fixed-width slots of
// wordWidth bytes so a word is found by index without a table: common English
// words that are one token each (with their leading space) in the Llama 3,
// Mistral and GPT-4 tokenizers, so a prompt of n words is n tokens, give or take
// the chat template.
const vocab = "" +
	"the    of     and    to     in     is     that   for    it     as     " +
	"was    with   be     by     on     not    he     this   are    or     " +
	"his    from   at     which  but    have   an     had    they   you    " +
	"were   their  one    all    we     can    her    has    there  been   " +
	"if     more   when   will   would  who    so     no     time   people " +
	"water  light  house  world  music  river  city   green  small  large  " +
	"early  table  paper  story  "

const wordWidth = 7

// word returns the vocabulary's i-th word.
func word(i uint64) string {
	n := uint64(len(vocab) / wordWidth)
	w := vocab[i%n*wordWidth : i%n*wordWidth+wordWidth]
	return strings.TrimRight(w, " ")
}

// AppendSyntheticPrompt appends request seq's synthetic prompt of n words
// (about n tokens) to dst: the same seed and seq give the same prompt on every
// machine, and different requests share nothing beyond the chat template, so a
// server's prefix cache cannot serve one request from another's.
//
// Each prompt's generator starts from a full hash of (seed, seq), not from a
// seed stepped per request: SplitMix64 steps its state by a constant, so
// starting request i+1 one step on made request i+2's prompt request i's
// shifted by two words. From hashed starts, two prompts' word streams meet
// only with probability about n/2^64, and an 8-word run repeats across
// requests only by chance, once in 64^8 (vocabulary size to the 8th) pairs.
func AppendSyntheticPrompt(dst []byte, seed, seq uint64, n int) []byte {
	x := mix(seed ^ mix(seq^promptSalt))
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, word(splitmix(&x))...)
	}
	return dst
}

// promptSalt keeps a prompt's start apart from other hashes of (seed, seq),
// such as the workload's length draw (package bench), which uses the same
// construction.
const promptSalt = 0x70726f6d70747321 // "prompts!"

// splitmix is SplitMix64: a tiny, well-mixed generator that needs no allocation.
func splitmix(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	return mix(*x)
}

// mix is SplitMix64's finaliser: every input bit flips about half the output's.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// promptLine is one line of a prompts file.
type promptLine struct {
	Prompt *string `json:"prompt"`
}

// ReadPrompts reads a JSONL prompts file: one JSON object per line with a
// "prompt" string, e.g. {"prompt": "Summarise the following..."}. Blank lines
// are skipped. A bad line is an error that names its line number.
func ReadPrompts(r io.Reader, name string) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var p promptLine
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("%s:%d: %v; want a JSON object like {\"prompt\": \"text\"}", name, n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s:%d: more than one JSON value on the line; want one object per line", name, n)
		}
		if p.Prompt == nil || *p.Prompt == "" {
			return nil, fmt.Errorf("%s:%d: no \"prompt\" string; want a JSON object like {\"prompt\": \"text\"}", name, n)
		}
		out = append(out, *p.Prompt)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no prompts; want one JSON object per line like {\"prompt\": \"text\"}", name)
	}
	return out, nil
}

// ReadPromptsFile reads a JSONL prompts file by path.
func ReadPromptsFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadPrompts(f, path)
}

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

// AppendSyntheticPrompt appends a prompt of n words (about n tokens) to dst,
// chosen by a generator seeded with seed: the same seed gives the same prompt on
// every machine. The first words vary with the seed, so a server's prefix cache
// cannot answer one request from another's.
func AppendSyntheticPrompt(dst []byte, seed uint64, n int) []byte {
	x := seed
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, word(splitmix(&x))...)
	}
	return dst
}

// splitmix is SplitMix64: a tiny, well-mixed generator that needs no allocation.
func splitmix(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
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

package remote

import (
	"bytes"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel"
)

// Requests naming the same prefix blocks send the same words there, byte
// for byte, and nothing after: the first block they differ in differs, and
// their own parts share no 8-word run.
func TestPrefixPrompts(t *testing.T) {
	prompt := func(seq uint64, in int, prefix ...uint64) string {
		return string(appendPrompt(nil, 7, &accel.Request{Seq: seq, InputTokens: in, Prefix: prefix, PrefixBlock: 4}))
	}
	a := prompt(1, 20, 10, 11, 12)
	b := prompt(2, 30, 10, 11, 99, 100)
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) != 20 || len(wb) != 30 {
		t.Fatalf("%d and %d words, want 20 and 30", len(wa), len(wb))
	}
	if strings.Join(wa[:8], " ") != strings.Join(wb[:8], " ") {
		t.Errorf("the two shared blocks differ:\n%s\n%s", a, b)
	}
	if !strings.HasPrefix(b, strings.Join(wa[:8], " ")+" ") {
		t.Errorf("shared blocks are not a byte-identical prefix")
	}
	if strings.Join(wa[8:12], " ") == strings.Join(wb[8:12], " ") {
		t.Errorf("blocks 12 and 99 have the same words")
	}
	if own := strings.Join(wa[12:20], " "); strings.Contains(b, own) {
		t.Errorf("request 1's own words %q appear in request 2's prompt", own)
	}
	// A request with no prefix is the synthetic prompt, as before.
	if p := string(appendPrompt(nil, 7, &accel.Request{Seq: 3, InputTokens: 9})); p != string(AppendSyntheticPrompt(nil, 7, 3, 9)) {
		t.Errorf("no prefix: %q", p)
	}
	// A prefix longer than the prompt is cut at the prompt's length.
	if n := len(strings.Fields(prompt(4, 6, 10, 11, 12))); n != 6 {
		t.Errorf("%d words, want 6", n)
	}
	if !bytes.Equal(appendPrompt(nil, 7, &accel.Request{Seq: 5, InputTokens: 8, Prefix: []uint64{10, 11}, PrefixBlock: 4}), []byte(strings.Join(wa[:8], " "))) {
		t.Errorf("a prompt that is all prefix is the blocks' words alone")
	}
}

func TestPrefixPromptAllocatesNothing(t *testing.T) {
	req := &accel.Request{Seq: 1, InputTokens: 2000, Prefix: []uint64{1, 2, 3}, PrefixBlock: 512}
	buf := appendPrompt(nil, 1, req)
	if a := testing.AllocsPerRun(100, func() { buf = appendPrompt(buf[:0], 1, req) }); a != 0 {
		t.Errorf("%v allocations, want 0", a)
	}
}

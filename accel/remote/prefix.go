package remote

import "github.com/inferbench/inferbench/accel"

// appendPrompt appends req's synthetic prompt of req.InputTokens words to
// dst. A request with prefix ids (a trace's hash_ids, a shared-prefix
// group's, a session's history) starts with each block's words, a function
// of the seed and the block's id alone, so requests that name the same
// blocks send byte-identical text there and a server's prefix cache sees
// the reuse the trace had; the rest is the request's own
// (AppendSyntheticPrompt), shared with nobody.
func appendPrompt(dst []byte, seed uint64, req *accel.Request) []byte {
	if len(req.Prefix) == 0 || req.PrefixBlock < 1 {
		return AppendSyntheticPrompt(dst, seed, req.Seq, req.InputTokens)
	}
	n, words := req.InputTokens, 0
	for _, id := range req.Prefix {
		k := min(req.PrefixBlock, n-words)
		if k <= 0 {
			break
		}
		if words > 0 {
			dst = append(dst, ' ')
		}
		x := mix(seed ^ mix(id^blockSalt))
		for i := range k {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = append(dst, word(splitmix(&x))...)
		}
		words += k
	}
	if rest := n - words; rest > 0 {
		dst = append(dst, ' ')
		dst = AppendSyntheticPrompt(dst, seed, req.Seq, rest)
	}
	return dst
}

// blockSalt keeps a prefix block's words apart from a request's own
// (promptSalt) when an id and a request number are equal.
const blockSalt = 0x626c6f636b732121 // "blocks!!"

// Package suggest finds the near misses of a mistyped name among the valid
// ones, so an error can say "did you mean h100-sxm?" instead of leaving the
// user to scan a list of sixteen. Matching ignores case: ids are
// case-insensitive wherever they are looked up.
package suggest

import (
	"strings"
	"unicode/utf8"
)

// MaxSuggestions is the most names Closest returns: more than that is not a
// suggestion but a list, and every error that suggests also lists the valid
// names.
const MaxSuggestions = 3

// Closest returns the candidates the user most likely meant by input, in the
// candidates' order, at most MaxSuggestions of them. It tries, in turn:
//
//   - the candidates input begins ("h100" → h100-sxm, h100-pcie), for inputs
//     of 2 characters or more: a short id is usually a prefix of the real one;
//   - those at the smallest edit distance (insertions, deletions,
//     substitutions and swaps of neighbours), when that distance is small for
//     the input's length: 1 up to 4 characters, 2 up to 8, 3 beyond
//     ("concurency" → concurrency);
//   - those that contain input, for inputs of 3 characters or more ("sxm").
//
// A step that finds more than MaxSuggestions gives way to the next. It
// returns nil when nothing is close or too much is: a hint that lists half
// the candidates says nothing the list of valid names does not.
func Closest(input string, candidates []string) []string {
	in := strings.ToLower(strings.TrimSpace(input))
	if in == "" {
		return nil
	}
	cands := dedupe(candidates)
	lower := make([]string, len(cands))
	for i, c := range cands {
		lower[i] = strings.ToLower(c)
	}
	pick := func(match func(i int) bool) []string {
		var out []string
		for i, c := range cands {
			if match(i) {
				out = append(out, c)
			}
		}
		if len(out) > MaxSuggestions {
			return nil
		}
		return out
	}
	if len(in) >= 2 {
		if out := pick(func(i int) bool { return strings.HasPrefix(lower[i], in) }); len(out) > 0 {
			return out
		}
	}
	dist := make([]int, len(cands))
	best := maxDistance(utf8.RuneCountInString(in)) + 1
	for i := range cands {
		dist[i] = Distance(in, lower[i])
		best = min(best, dist[i])
	}
	if best <= maxDistance(utf8.RuneCountInString(in)) {
		if out := pick(func(i int) bool { return dist[i] == best }); len(out) > 0 {
			return out
		}
	}
	if len(in) >= 3 {
		return pick(func(i int) bool { return strings.Contains(lower[i], in) })
	}
	return nil
}

// Hint is " (did you mean X?)", " (did you mean X or Y?)" or "" when nothing
// is close: the piece an "unknown ..." error puts after the bad value.
func Hint(input string, candidates []string) string {
	return hint(Closest(input, candidates), "")
}

// HintPrefixed is Hint with prefix put before each suggestion, for candidates
// that are written with one ("--" for flags, "sim:" for profiles).
func HintPrefixed(input string, candidates []string, prefix string) string {
	return hint(Closest(input, candidates), prefix)
}

func hint(names []string, prefix string) string {
	if len(names) == 0 {
		return ""
	}
	for i, n := range names {
		names[i] = prefix + n
	}
	return " (did you mean " + Words(names, "or") + "?)"
}

// Words writes a list as words: "a", "a or b", "a, b or c" (with conj "or").
func Words(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

// Distance is the optimal string alignment distance between a and b: the
// fewest insertions, deletions, substitutions and swaps of adjacent
// characters that turn a into b ("concurency" → "concurrency" is 1,
// "h100-smx" → "h100-sxm" is 1). It compares runes, case-sensitively.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows of the dynamic-programming table: two back for swaps.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// maxDistance is how many edits still count as a typo of an n-character name.
func maxDistance(n int) int {
	switch {
	case n <= 4:
		return 1
	case n <= 8:
		return 2
	}
	return 3
}

// dedupe drops repeated candidates (ids and their aliases may coincide),
// keeping the first of each, compared without case.
func dedupe(cands []string) []string {
	seen := make(map[string]bool, len(cands))
	out := make([]string, 0, len(cands))
	for _, c := range cands {
		k := strings.ToLower(c)
		if c == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, c)
	}
	return out
}

package suggest

import (
	"slices"
	"strings"
	"testing"
)

var profiles = strings.Fields("a100-40gb a100-80gb h100-sxm h100-pcie h200 b200 l4 l40s inf1 inf2 trn1 trn2 npu-x-elite npu-m4 npu-lunar-lake npu-xdna2")

func TestDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"same", "same", 0},
		{"concurency", "concurrency", 1},   // insertion
		{"concurrrency", "concurrency", 1}, // deletion
		{"closad", "closed", 1},            // substitution
		{"h100-smx", "h100-sxm", 1},        // swap of neighbours
		{"kitten", "sitting", 3},
		{"Rate", "rate", 1}, // case-sensitive: Closest lowers both sides
		{"µs", "us", 1},     // runes, not bytes
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	flags := strings.Fields("backend model workload input-tokens output-tokens scenario concurrency rate rates concurrencies duration requests")
	tests := []struct {
		name, in string
		cands    []string
		want     []string
	}{
		{"prefix before distance", "h100", profiles, []string{"h100-sxm", "h100-pcie"}}, // h200 is 1 edit away, but a prefix is what a short id usually is
		{"case ignored", "H100-SXM", profiles, []string{"h100-sxm"}},
		{"swap", "h100-smx", profiles, []string{"h100-sxm"}},
		{"one typo", "inf3", profiles, []string{"inf1", "inf2"}},
		{"substring", "lunar", profiles, []string{"npu-lunar-lake"}},
		{"too many prefixes falls to distance", "npu", profiles, nil},
		{"nothing close", "nonesuch", profiles, nil},
		{"empty", "", profiles, nil},
		{"flag typo", "concurency", flags, []string{"concurrency"}},
		{"flag prefix", "rat", flags, []string{"rate", "rates"}},
		{"flag prefix of a long name", "input", flags, []string{"input-tokens"}},
		{"spaces trimmed", " closd ", []string{"closed", "constant", "poisson"}, []string{"closed"}},
		{"duplicates once", "lama-3.1-8b", []string{"llama-3.1-8b", "LLAMA-3.1-8B", "llama-3.1-70b"}, []string{"llama-3.1-8b"}},
		{"one letter is no prefix, only an edit", "l", []string{"l4", "l40s"}, []string{"l4"}},
		{"too far for a short name", "xyz", []string{"run"}, nil},
		{"subcommand", "rnu", []string{"run", "report", "merge"}, []string{"run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Closest(tt.in, tt.cands); !slices.Equal(got, tt.want) {
				t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, prefix, want string
	}{
		{"h100", "", " (did you mean h100-sxm or h100-pcie?)"},
		{"h100", "sim:", " (did you mean sim:h100-sxm or sim:h100-pcie?)"},
		{"l40", "", " (did you mean l40s?)"},
		{"l5", "", " (did you mean l4?)"},
		{"nonesuch", "", ""},
	}
	for _, tt := range tests {
		if got := HintPrefixed(tt.in, profiles, tt.prefix); got != tt.want {
			t.Errorf("HintPrefixed(%q, %q) = %q, want %q", tt.in, tt.prefix, got, tt.want)
		}
	}
	if got := Hint("trn3", profiles); got != " (did you mean trn1 or trn2?)" {
		t.Errorf("Hint(trn3) = %q", got)
	}
}

func TestWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	}
	for _, tt := range tests {
		if got := Words(tt.in, "or"); got != tt.want {
			t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

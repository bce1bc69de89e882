package jsonscan

import (
	"errors"
	"strings"
	"testing"
)

// Object walks one object and refuses what is not one, or more than one.
func TestObject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, keys, err string
	}{
		{` {"a": 1, "b": "x"} `, "a,b", ""},
		{`{}`, "", ""},
		{`[1]`, "", "want a JSON object"},
		{``, "", "want a JSON object"},
		{`{"a": 1} {"b": 2}`, "a", "trailing data after the object"},
	} {
		var keys []string
		err := Object([]byte(tc.in), func(key []byte, v int) (int, error) {
			keys = append(keys, string(key))
			return SkipValue([]byte(tc.in), v)
		})
		switch {
		case tc.err == "" && err != nil, tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrSyntax)):
			t.Errorf("Object(%q) = %v, want %q", tc.in, err, tc.err)
		case strings.Join(keys, ",") != tc.keys:
			t.Errorf("Object(%q) keys %q, want %q", tc.in, keys, tc.keys)
		}
	}
}

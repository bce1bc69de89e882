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

// StringField takes its key's string value, pointing into the input, and
// skips the other keys and a value of another kind.
func TestStringField(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"type":"overloaded_error","message":"Overloaded"}`, "Overloaded"},
		{`{"message":7,"x":[1,{"message":"deep"}]}`, ""},
		{`{"code":null}`, ""},
	} {
		var got []byte
		end, err := StringField([]byte(tc.in), 0, "message", &got)
		if err != nil || end != len(tc.in) || string(got) != tc.want {
			t.Errorf("StringField(%s) = %q, end %d, err %v; want %q, end %d", tc.in, got, end, err, tc.want, len(tc.in))
		}
	}
}

// String takes a string value and skips any other, leaving dst; StringLen
// adds a string's length, and nothing for null or another kind.
func TestString(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		n        int
	}{
		{`"end_turn",`, "end_turn", 8},
		{`"a\"b"`, `a\"b`, 4},
		{`null}`, "keep", 0},
		{`{"x":"y"}]`, "keep", 0},
	} {
		got, n := []byte("keep"), 0
		end, err := String([]byte(tc.in), 0, &got)
		end2, err2 := StringLen([]byte(tc.in), 0, &n)
		if err != nil || err2 != nil || string(got) != tc.want || n != tc.n || end != end2 || strings.TrimLeft(tc.in[end:], ",}]") != "" {
			t.Errorf("%s: String %q end %d err %v; StringLen %d end %d err %v; want %q, %d", tc.in, got, end, err, n, end2, err2, tc.want, tc.n)
		}
	}
}

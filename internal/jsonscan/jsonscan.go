// Package jsonscan reads JSON in place without allocating: the few walks
// (over an object's keys, an array's elements) and readers (strings with
// their escapes left in, whole numbers, skipped values) that the streaming
// parsers of every wire format (internal/openai, internal/anthropic,
// internal/responses) need once per token, where encoding/json would
// allocate and reflect.
package jsonscan

import (
	"errors"
	"fmt"
)

// ErrSyntax is wrapped by every error of this package.
var ErrSyntax = errors.New("malformed JSON")

// syntaxError is returned by value so that building one does not allocate
// unless it escapes; the message names the offset.
type syntaxError struct {
	off  int
	what string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%v at byte %d: %s", ErrSyntax, e.off, e.what)
}
func (e *syntaxError) Unwrap() error { return ErrSyntax }

// IsNull reports whether the value at b[i] is null.
func IsNull(b []byte, i int) bool {
	return i+4 <= len(b) && string(b[i:i+4]) == "null"
}

// SkipWS returns the index of the first non-space byte from i.
func SkipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// EachKey walks the object starting at b[i] == '{', calling f with each key
// (raw, unescaped) and the index of its value; f returns the index after the
// value. eachKey returns the index after the closing brace.
func EachKey(b []byte, i int, f func(key []byte, v int) (int, error)) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return i, &syntaxError{i, "want an object"}
	}
	i = SkipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		key, end, err := ReadString(b, i)
		if err != nil {
			return end, err
		}
		i = SkipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, &syntaxError{i, "want ':' after a key"}
		}
		i = SkipWS(b, i+1)
		if i, err = f(key, i); err != nil {
			return i, err
		}
		i = SkipWS(b, i)
		if i >= len(b) {
			return i, &syntaxError{i, "unterminated object"}
		}
		switch b[i] {
		case ',':
			i = SkipWS(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, &syntaxError{i, "want ',' or '}' in an object"}
		}
	}
}

// EachElem walks the array at b[i] == '[' (null is an empty array), calling f
// with the index of each element.
func EachElem(b []byte, i int, f func(e int) (int, error)) (int, error) {
	if IsNull(b, i) {
		return i + 4, nil
	}
	if i >= len(b) || b[i] != '[' {
		return i, &syntaxError{i, "want an array"}
	}
	i = SkipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = f(i); err != nil {
			return i, err
		}
		i = SkipWS(b, i)
		if i >= len(b) {
			return i, &syntaxError{i, "unterminated array"}
		}
		switch b[i] {
		case ',':
			i = SkipWS(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, &syntaxError{i, "want ',' or ']' in an array"}
		}
	}
}

// ReadString returns the raw bytes of the string at b[i] == '"' (escapes left
// in place) and the index after its closing quote.
func ReadString(b []byte, i int) ([]byte, int, error) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, &syntaxError{i, "want a string"}
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return b[i+1 : j], j + 1, nil
		}
	}
	return nil, len(b), &syntaxError{i, "unterminated string"}
}

// ReadInt reads a non-negative integer (a JSON number without fraction; null
// reads as 0).
func ReadInt(b []byte, i int, out *int) (int, error) {
	if IsNull(b, i) {
		*out = 0
		return i + 4, nil
	}
	n, j := 0, i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		if n > (1<<62)/10 {
			return j, &syntaxError{i, "number too large"}
		}
		n = n*10 + int(b[j]-'0')
		j++
	}
	if j == i {
		return i, &syntaxError{i, "want a whole number"}
	}
	*out = n
	return j, nil
}

// SkipValue returns the index after the JSON value starting at b[i]. Nested
// objects and arrays are skipped with a depth count, not recursion, so hostile
// input cannot exhaust the stack.
func SkipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, &syntaxError{i, "want a value"}
	}
	switch c := b[i]; {
	case c == '"':
		_, end, err := ReadString(b, i)
		return end, err
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				_, end, err := ReadString(b, j)
				if err != nil {
					return end, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return len(b), &syntaxError{i, "unterminated object or array"}
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || b[j] == '+' || b[j] == '-') {
			j++
		}
		return j, nil
	default:
		for _, lit := range [...]string{"null", "true", "false"} {
			if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
				return i + len(lit), nil
			}
		}
		return i, &syntaxError{i, "want a value"}
	}
}

// Errorf returns a syntax error at offset off, wrapping ErrSyntax, for the
// parsers built on this package to report their own shape errors.
func Errorf(off int, what string) error { return &syntaxError{off, what} }

// Object walks b, which must hold one JSON object and nothing but white
// space around it, calling f for each key as EachKey does: the frame of
// every stream event parser (one event's data is one object).
func Object(b []byte, f func(key []byte, v int) (int, error)) error {
	i := SkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return Errorf(i, "want a JSON object")
	}
	end, err := EachKey(b, i, f)
	if err != nil {
		return err
	}
	if j := SkipWS(b, end); j != len(b) {
		return Errorf(j, "trailing data after the object")
	}
	return nil
}

// StringField reads the object at b[i:], sets *dst to its key's value where
// that is a string (pointing into b, escapes in place) and skips the rest:
// an error object's message, an incomplete response's reason. It returns
// the offset after the object.
func StringField(b []byte, i int, key string, dst *[]byte) (int, error) {
	return EachKey(b, i, func(k []byte, v int) (int, error) {
		if string(k) == key && v < len(b) && b[v] == '"' {
			s, end, err := ReadString(b, v)
			*dst = s
			return end, err
		}
		return SkipValue(b, v)
	})
}

// String sets *dst to the string value at b[i:] (pointing into b, escapes
// in place) and skips a value of any other kind, leaving *dst: a stop
// reason, a status, a message. It returns the offset after the value.
func String(b []byte, i int, dst *[]byte) (int, error) {
	if i < len(b) && b[i] == '"' {
		s, end, err := ReadString(b, i)
		*dst = s
		return end, err
	}
	return SkipValue(b, i)
}

// StringLen adds the length in bytes of the string value at b[i:] to *n
// (escapes counted as sent) and skips a value of any other kind (null
// counts as empty): the text a stream event carries.
func StringLen(b []byte, i int, n *int) (int, error) {
	var s []byte
	end, err := String(b, i, &s)
	*n += len(s)
	return end, err
}

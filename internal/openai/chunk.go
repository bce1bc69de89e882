package openai

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Chunk is what the client needs from one streamed chunk (a chat.completion.chunk
// or a text_completion object). ParseChunk fills it without allocating: the
// client reads the payload's shape, not its text.
type Chunk struct {
	// Content is the length in bytes of the chunk's generated text, summed over
	// choices: delta.content and delta.reasoning_content for chat, text for
	// completions. A role-only first chunk, an empty delta and a usage-only
	// final chunk all have Content 0.
	Content int
	// Finished is set when a choice carries a non-null finish_reason, and
	// FinishReason is its raw text (escapes left in place; the last choice's
	// when several carry one), pointing into the payload.
	Finished     bool
	FinishReason []byte
	// HasUsage is set when the chunk carries a non-null usage object; its
	// counts are 0 when absent. PromptTokens is what the server says it read,
	// chat template included.
	HasUsage         bool
	PromptTokens     int
	CompletionTokens int
	// Error is set when the payload is an error object ({"error": {...}}), which
	// some servers send inside the stream; ErrorMessage points into the payload.
	Error        bool
	ErrorMessage []byte
}

// ErrorText is ErrorMessage as text: the JSON string's escapes decoded, so
// a message that quotes a model name reads `the model "x"`, not
// `the model \"x\"`. It allocates: for error paths only.
func (c *Chunk) ErrorText() string {
	var s string
	q := make([]byte, 0, len(c.ErrorMessage)+2)
	q = append(append(append(q, '"'), c.ErrorMessage...), '"')
	if json.Unmarshal(q, &s) != nil {
		return string(c.ErrorMessage) // not a valid JSON string: as it came
	}
	return s
}

// ErrSyntax is wrapped by every ParseChunk error.
var ErrSyntax = errors.New("openai: malformed chunk")

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

// ParseChunk reads one streamed payload (the text after `data: `) into c. It
// allocates nothing on well-formed input. Unknown keys are skipped, so newer
// servers' extra fields (system_fingerprint, logprobs, service_tier...) are fine.
func ParseChunk(b []byte, c *Chunk) error {
	*c = Chunk{}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return &syntaxError{i, "want a JSON object"}
	}
	end, err := eachKey(b, i, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "choices":
			return eachElem(b, v, func(e int) (int, error) { return c.choice(b, e) })
		case "usage":
			if isNull(b, v) {
				return skipValue(b, v)
			}
			c.HasUsage = true
			return eachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "completion_tokens":
					return readInt(b, v, &c.CompletionTokens)
				case "prompt_tokens":
					return readInt(b, v, &c.PromptTokens)
				}
				return skipValue(b, v)
			})
		case "error":
			if isNull(b, v) {
				return skipValue(b, v)
			}
			c.Error = true
			if v < len(b) && b[v] == '"' {
				s, end, err := readString(b, v)
				c.ErrorMessage = s
				return end, err
			}
			return eachKey(b, v, func(key []byte, v int) (int, error) {
				if string(key) == "message" && v < len(b) && b[v] == '"' {
					s, end, err := readString(b, v)
					c.ErrorMessage = s
					return end, err
				}
				return skipValue(b, v)
			})
		}
		return skipValue(b, v)
	})
	if err != nil {
		return err
	}
	if j := skipWS(b, end); j != len(b) {
		return &syntaxError{j, "trailing data after the object"}
	}
	return nil
}

// choice reads one element of choices.
func (c *Chunk) choice(b []byte, i int) (int, error) {
	return eachKey(b, i, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "delta", "message":
			if isNull(b, v) {
				return skipValue(b, v)
			}
			return eachKey(b, v, func(key []byte, v int) (int, error) {
				switch string(key) {
				case "content", "reasoning_content", "reasoning":
					return c.text(b, v)
				}
				return skipValue(b, v)
			})
		case "text":
			return c.text(b, v)
		case "finish_reason":
			if isNull(b, v) {
				break
			}
			c.Finished = true
			if v < len(b) && b[v] == '"' {
				s, end, err := readString(b, v)
				c.FinishReason = s
				return end, err
			}
		}
		return skipValue(b, v)
	})
}

// text adds the length of a string value (null counts as empty).
func (c *Chunk) text(b []byte, v int) (int, error) {
	if v < len(b) && b[v] == '"' {
		s, end, err := readString(b, v)
		c.Content += len(s)
		return end, err
	}
	return skipValue(b, v)
}

func isNull(b []byte, i int) bool {
	return i+4 <= len(b) && string(b[i:i+4]) == "null"
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// eachKey walks the object starting at b[i] == '{', calling f with each key
// (raw, unescaped) and the index of its value; f returns the index after the
// value. eachKey returns the index after the closing brace.
func eachKey(b []byte, i int, f func(key []byte, v int) (int, error)) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return i, &syntaxError{i, "want an object"}
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		key, end, err := readString(b, i)
		if err != nil {
			return end, err
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, &syntaxError{i, "want ':' after a key"}
		}
		i = skipWS(b, i+1)
		if i, err = f(key, i); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, &syntaxError{i, "unterminated object"}
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, &syntaxError{i, "want ',' or '}' in an object"}
		}
	}
}

// eachElem walks the array at b[i] == '[' (null is an empty array), calling f
// with the index of each element.
func eachElem(b []byte, i int, f func(e int) (int, error)) (int, error) {
	if isNull(b, i) {
		return i + 4, nil
	}
	if i >= len(b) || b[i] != '[' {
		return i, &syntaxError{i, "want an array"}
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = f(i); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, &syntaxError{i, "unterminated array"}
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, &syntaxError{i, "want ',' or ']' in an array"}
		}
	}
}

// readString returns the raw bytes of the string at b[i] == '"' (escapes left
// in place) and the index after its closing quote.
func readString(b []byte, i int) ([]byte, int, error) {
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

// readInt reads a non-negative integer (a JSON number without fraction; null
// reads as 0).
func readInt(b []byte, i int, out *int) (int, error) {
	if isNull(b, i) {
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

// skipValue returns the index after the JSON value starting at b[i]. Nested
// objects and arrays are skipped with a depth count, not recursion, so hostile
// input cannot exhaust the stack.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, &syntaxError{i, "want a value"}
	}
	switch c := b[i]; {
	case c == '"':
		_, end, err := readString(b, i)
		return end, err
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				_, end, err := readString(b, j)
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

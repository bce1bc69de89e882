package accel

import (
	"errors"
	"fmt"
	"strings"
)

// ErrClass names why a request failed. The report counts errors by class.
type ErrClass string

// The error classes. Backends use the ones that fit; the load generator counts any.
const (
	ClassNone         ErrClass = ""
	ClassConnect      ErrClass = "connect"       // could not reach the endpoint
	ClassTimeout      ErrClass = "timeout"       // a deadline passed
	ClassHTTP4xx      ErrClass = "http_4xx"      // the server refused the request
	ClassHTTP5xx      ErrClass = "http_5xx"      // the server failed
	ClassStreamBroken ErrClass = "stream_broken" // the stream ended early
	ClassBadPayload   ErrClass = "bad_payload"   // the answer could not be parsed
	ClassRejected     ErrClass = "rejected"      // the device can never serve it (too large)
	ClassCanceled     ErrClass = "canceled"      // the run stopped while it was in flight
	ClassDevice       ErrClass = "device"        // the device failed
)

// Error is a classified request error.
type Error struct {
	Class ErrClass
	Err   error
}

func (e *Error) Error() string { return string(e.Class) + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a classified error.
func Errorf(class ErrClass, format string, args ...any) error {
	return &Error{Class: class, Err: fmt.Errorf(format, args...)}
}

// ClassOf returns the class of err: its own when it is an *Error, ClassNone for nil,
// and ClassDevice otherwise.
func ClassOf(err error) ErrClass {
	if err == nil {
		return ClassNone
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassDevice
}

// ErrBadSpec is wrapped by every error about a backend spec the user wrote:
// errors.Is(err, ErrBadSpec) means bad input (exit 2), not a runtime failure.
var ErrBadSpec = errors.New("bad backend spec")

// SpecError says what is wrong with a spec and what would be valid.
type SpecError struct {
	Spec   string   // what the user wrote
	Reason string   // what is wrong with it
	Valid  []string // what would be valid, when that is a short list
}

func (e *SpecError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backend %q: %s", e.Spec, e.Reason)
	if len(e.Valid) > 0 {
		b.WriteString("; valid: ")
		b.WriteString(strings.Join(e.Valid, ", "))
	}
	return b.String()
}

// Is makes every SpecError match ErrBadSpec.
func (e *SpecError) Is(target error) bool { return target == ErrBadSpec }

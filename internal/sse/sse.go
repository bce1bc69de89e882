// Package sse reads server-sent events (the text/event-stream format of the
// HTML standard) without allocating: a Reader owns one buffer, reused for every
// stream it reads, and hands out events whose fields point into it.
//
// Inference servers stream completions as SSE: one `data:` line per chunk, an
// empty line after each, `: keep-alive` comments in between, and `data: [DONE]`
// at the end. Servers disagree on details the standard allows — CRLF or bare CR
// line ends, "data:" with or without a space, events split across TCP reads —
// and the Reader accepts all of them.
//
// Why not bufio.Scanner: it allocates when a line outgrows its buffer and stops
// at the first over-long line, and it splits on LF only. The Reader grows its
// buffer once (to the longest line it has seen) and keeps it for the next stream.
package sse

import (
	"bytes"
	"errors"
	"io"
)

// DefaultMaxLine bounds one line when a Reader is made with zero MaxLine: a
// chunk larger than this is not a token stream.
const DefaultMaxLine = 1 << 20

// ErrLineTooLong is returned when a line exceeds the Reader's MaxLine.
var ErrLineTooLong = errors.New("sse: line too long")

// Event is one dispatched event. Its slices point into the Reader's buffers and
// are valid until the next call to Next or Reset.
type Event struct {
	// Type is the `event:` field; empty means "message".
	Type []byte
	// Data is the `data:` lines joined with '\n'.
	Data []byte
	// ID is the last `id:` field seen on the stream (it persists across events).
	ID []byte
	// Comments counts the comment lines (keep-alives) since the previous event.
	Comments int
}

// Reader reads events from a stream. The zero value is not ready: use NewReader,
// then Reset for each new stream. A Reader is not safe for concurrent use; pool
// one per in-flight request.
type Reader struct {
	src io.Reader
	buf []byte // raw bytes read from src; buf[r:w] not yet consumed
	r   int
	w   int
	err error // sticky read error, returned once buf is drained

	skipLF bool // the last line ended in a bare CR: drop a leading LF

	typ  []byte // current event's fields (copied out of buf, reused)
	data []byte
	id   []byte
	has  bool // the current event has at least one data line

	// MaxLine is the longest line accepted; zero means DefaultMaxLine.
	MaxLine int
}

// NewReader returns a Reader with a buffer of size bytes (4096 if size < 64).
func NewReader(size int) *Reader {
	if size < 64 {
		size = 4096
	}
	return &Reader{buf: make([]byte, size)}
}

// Reset starts reading a new stream from src, keeping the buffers.
func (p *Reader) Reset(src io.Reader) {
	p.src = src
	p.r, p.w = 0, 0
	p.err = nil
	p.skipLF = false
	p.typ, p.data, p.id = p.typ[:0], p.data[:0], p.id[:0]
	p.has = false
}

// Next reads up to the end of the next event and returns it. At the end of the
// stream it returns io.EOF; a stream that ends inside an event (no blank line
// after it) returns io.ErrUnexpectedEOF, since the standard discards such an
// event. Other read errors are returned as they are.
func (p *Reader) Next(ev *Event) error {
	ev.Comments = 0
	if !p.has { // the previous event is no longer promised to the caller
		p.data, p.typ = p.data[:0], p.typ[:0]
	}
	for {
		line, err := p.line()
		if err != nil {
			if err == io.EOF && (p.has || len(p.typ) > 0) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 { // blank line: dispatch
			if !p.has {
				p.typ = p.typ[:0] // an event with no data is not dispatched
				continue
			}
			// Fields were copied out of buf, so later reads may move it.
			ev.Type, ev.Data, ev.ID = p.typ, p.data, p.id
			p.has = false
			return nil
		}
		p.field(line, ev)
	}
}

// field applies one non-empty line to the current event.
func (p *Reader) field(line []byte, ev *Event) {
	if line[0] == ':' {
		ev.Comments++
		return
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) { // no allocation: the compiler compares in place
	case "data":
		if p.has {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.has = true
	case "event":
		p.typ = append(p.typ[:0], value...)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.id = append(p.id[:0], value...)
		}
	}
	// "retry" and unknown fields are ignored, as the standard says.
}

// line returns the next line without its terminator (CRLF, LF or CR). The slice
// points into buf and is valid until the next call.
func (p *Reader) line() ([]byte, error) {
	max := p.MaxLine
	if max <= 0 {
		max = DefaultMaxLine
	}
	scan := p.r
	for {
		if p.skipLF && p.r < p.w {
			if p.buf[p.r] == '\n' {
				p.r++
			}
			p.skipLF = false
			scan = p.r
		}
		if i := indexEOL(p.buf[scan:p.w]); i >= 0 {
			end := scan + i
			line := p.buf[p.r:end]
			if p.buf[end] == '\r' {
				if end+1 < p.w {
					if p.buf[end+1] == '\n' {
						end++
					}
				} else {
					p.skipLF = true // the LF of a CRLF may be in the next read
				}
			}
			p.r = end + 1
			return line, nil
		}
		scan = p.w
		if p.err != nil {
			if p.r < p.w { // a last line with no terminator
				line := p.buf[p.r:p.w]
				p.r = p.w
				return line, nil
			}
			return nil, p.err
		}
		// Make room: slide the unread bytes to the front, or grow.
		if p.r > 0 {
			n := copy(p.buf, p.buf[p.r:p.w])
			scan -= p.r
			p.r, p.w = 0, n
		}
		if p.w == len(p.buf) {
			if len(p.buf) >= max {
				return nil, ErrLineTooLong
			}
			nb := make([]byte, min(2*len(p.buf), max))
			copy(nb, p.buf[:p.w])
			p.buf = nb
		}
		n, err := p.src.Read(p.buf[p.w:])
		p.w += n
		if err != nil {
			p.err = err
		} else if n == 0 {
			p.err = io.ErrNoProgress
		}
	}
}

// indexEOL returns the index of the first CR or LF in b, or -1. Both searches
// are vectorised; the CR search stops at the LF so a CR-free stream costs one
// pass.
func indexEOL(b []byte) int {
	lf := bytes.IndexByte(b, '\n')
	if lf >= 0 {
		b = b[:lf]
	}
	if cr := bytes.IndexByte(b, '\r'); cr >= 0 {
		return cr
	}
	return lf
}

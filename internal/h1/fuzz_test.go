package h1

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// replay is a net.Conn that swallows the request and answers with a fixed
// response, for fuzzing the reader without a network.
type replay struct{ r io.Reader }

func (c replay) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c replay) Write(p []byte) (int, error)      { return len(p), nil }
func (c replay) Close() error                     { return nil }
func (c replay) LocalAddr() net.Addr              { return nil }
func (c replay) RemoteAddr() net.Addr             { return nil }
func (c replay) SetDeadline(time.Time) error      { return nil }
func (c replay) SetReadDeadline(time.Time) error  { return nil }
func (c replay) SetWriteDeadline(time.Time) error { return nil }

// FuzzResponse feeds arbitrary bytes to the response reader: it must return an
// error or a body, never panic, and never return more body than it was sent.
func FuzzResponse(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
	f.Add("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nrest")
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n")
	f.Fuzz(func(t *testing.T, resp string) {
		nc := replay{strings.NewReader(resp)}
		c := &Conn{nc: nc, br: bufio.NewReaderSize(nc, 4096)}
		if err := c.Do([]byte("POST / HTTP/1.1\r\nHost: x\r\n"), nil); err != nil {
			return
		}
		n, _ := io.Copy(io.Discard, onlyReader{c})
		if n > int64(len(resp)) {
			t.Fatalf("read %d body bytes from a %d-byte response", n, len(resp))
		}
	})
}

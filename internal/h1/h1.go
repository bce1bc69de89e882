// Package h1 is a small HTTP/1.1 client for one thing: posting a request and
// reading a streamed response over kept-alive connections without allocating.
//
// Why not net/http: its client is general (proxies, redirects, HTTP/2, cookies)
// and pays for it on every request — 56 allocations on a streamed completion —
// and it writes each request from a separate goroutine, a hand-off that sits
// on the time-to-first-token path. This client writes from the caller's
// goroutine and reads the response in it too, and its connections, buffers and
// request heads are reused. It speaks plain HTTP/1.1 only (chunked and
// Content-Length bodies, keep-alive, Connection: close), in the clear or over
// TLS (offering only http/1.1 in ALPN); package remote uses net/http for
// proxies, HTTP/2 and anything else.
package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/inferbench/inferbench/internal/rxtime"
)

// ErrMalformed is wrapped by errors about a response that is not HTTP/1.1.
var ErrMalformed = errors.New("h1: malformed response")

// Pool holds the kept-alive connections to one address.
//
// It keeps one connection ahead of demand: taking the last idle connection
// starts dialling a spare in the background, so a rise in requests in flight
// finds a connection ready instead of dialling on the request's path. A dial
// there is the client's cost, not the endpoint's, and it is not small: on
// this project's 2-vCPU build VM it cost 0.2–2.5 ms, and it came in 4 of 21
// requests' time to first token in a 10 s run at 2 req/s (each new high of
// requests in flight dialled), where the device's own was 5.9 ms.
//
// Its dials go through a Gate: once one fails, requests that find no idle
// connection fail at once with the dial's error instead of dialling, while
// one probe dial at a time finds out when the endpoint is back.
type Pool struct {
	addr   string
	dialer net.Dialer
	tls    *tls.Config     // nil: plain TCP
	ctx    context.Context // canceled by Close: ends a spare's dial
	stop   context.CancelFunc

	mu      sync.Mutex
	idle    []*Conn
	max     int  // idle connections kept, and the most a spare brings the total to
	open    int  // connections dialled and not yet closed
	dialing bool // a spare is being dialled
	closed  bool
	spares  sync.WaitGroup
	gate    Gate
}

// NewPool returns a pool for addr (host:port) that dials with timeout (the
// TLS handshake included) and keeps up to maxIdle idle connections. With a
// non-nil tlsConf the connections speak TLS; its ServerName should be set, and
// its NextProtos are replaced by http/1.1.
func NewPool(addr string, timeout time.Duration, maxIdle int, tlsConf *tls.Config) *Pool {
	ctx, stop := context.WithCancel(context.Background())
	if tlsConf != nil {
		tlsConf = tlsConf.Clone()
		tlsConf.NextProtos = []string{"http/1.1"}
	}
	return &Pool{
		addr:   addr,
		dialer: net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: rxtime.Control},
		tls:    tlsConf,
		ctx:    ctx, stop: stop, max: maxIdle,
	}
}

// Get returns an idle connection, or dials a new one. reused says which.
func (p *Pool) Get(ctx context.Context) (c *Conn, reused bool, err error) {
	p.mu.Lock()
	n := len(p.idle)
	if n <= 1 {
		p.spareLocked()
	}
	if n > 0 {
		c = p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, true, nil
	}
	p.mu.Unlock()
	c, err = p.dial(ctx)
	return c, false, err
}

// Prime dials one connection into the idle list, so that the first request
// does not dial either; its error is the dial's.
func (p *Pool) Prime(ctx context.Context) error {
	c, err := p.dial(ctx)
	if err != nil {
		return err
	}
	p.Put(c)
	return nil
}

// Dials is how many connections the pool tried to open: dials the gate let
// through, whatever their outcome.
func (p *Pool) Dials() int64 { return p.gate.Dials() }

// dial opens a connection through the gate.
func (p *Pool) dial(ctx context.Context) (*Conn, error) {
	probe, err := p.gate.Allow()
	if err != nil {
		return nil, err
	}
	c, err := p.connect(ctx)
	p.gate.Done(probe, err, ctx.Err() != nil)
	return c, err
}

// connect dials, and shakes hands over TLS where the pool speaks it.
func (p *Pool) connect(ctx context.Context) (*Conn, error) {
	raw, err := p.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	raw = rxtime.Wrap(raw)
	nc := raw
	if p.tls != nil {
		hctx, cancel := ctx, context.CancelFunc(func() {})
		if p.dialer.Timeout > 0 {
			hctx, cancel = context.WithTimeout(ctx, p.dialer.Timeout)
		}
		tc := tls.Client(raw, p.tls)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, err
		}
		nc = tc
	}
	c := &Conn{nc: nc, raw: raw, br: bufio.NewReaderSize(nc, 32<<10), pool: p, done: true}
	p.mu.Lock()
	p.open++
	p.mu.Unlock()
	return c, nil
}

// spareLocked starts dialling a spare, unless one is under way, the pool
// is full or closed, or the gate is shut (the requests probe then: a spare
// would start a goroutine per request only to be refused). p.mu is held.
func (p *Pool) spareLocked() {
	if p.dialing || p.closed || p.open >= p.max || p.gate.Shut() {
		return
	}
	p.dialing = true
	p.spares.Add(1)
	go func() {
		defer p.spares.Done()
		c, err := p.dial(p.ctx)
		p.mu.Lock()
		p.dialing = false
		p.mu.Unlock()
		if err == nil {
			p.Put(c) // closed at once when the pool was closed meanwhile
		}
	}()
}

// Put returns a connection whose response was read to its end; one that
// cannot be reused is closed.
func (p *Pool) Put(c *Conn) {
	if !c.reusable() {
		c.Close()
		return
	}
	c.nc.SetDeadline(time.Time{})
	p.mu.Lock()
	if !p.closed && len(p.idle) < p.max {
		p.idle = append(p.idle, c)
		c = nil
	}
	p.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// Close closes the idle connections and stops a spare's dial; connections
// in use are closed when they come back.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	p.stop()
	for _, c := range idle {
		c.Close()
	}
	p.spares.Wait()
}

// Conn is one connection and the response being read on it. It is used by
// one goroutine at a time.
type Conn struct {
	nc     net.Conn // what requests are spoken over: raw, or TLS over it
	raw    net.Conn // the TCP connection, with its receive stamps
	br     *bufio.Reader
	wbuf   []byte
	pool   *Pool
	closed bool

	// The response in progress.
	Status      int
	StatusText  []byte // valid until the next Do
	ContentType []byte // valid until the next Do
	chunked     bool
	remain      int64 // bytes left: of the Content-Length body, or of the current chunk
	untilClose  bool  // no length: the body runs to EOF
	closeAfter  bool  // the server said Connection: close
	done        bool  // the body was read to its end
	broken      bool  // an error left the stream in an unknown state
}

// Close closes the connection.
func (c *Conn) Close() error {
	if !c.closed && c.pool != nil {
		c.pool.mu.Lock()
		c.pool.open--
		c.pool.mu.Unlock()
	}
	c.closed = true
	return c.nc.Close()
}

// Received returns when the kernel received the bytes of the connection's
// latest read, and false where it gives no stamp (see package rxtime). The
// buffer is refilled only once it is used up (and TLS's record buffer
// likewise), so whatever Read returned had arrived by then (the stamp is that
// of the last packet the read took).
func (c *Conn) Received() (time.Time, bool) { return rxtime.Received(c.raw) }

// NetConn returns the underlying connection, for deadlines.
func (c *Conn) NetConn() net.Conn { return c.nc }

func (c *Conn) reusable() bool { return c.done && !c.broken && !c.closeAfter && !c.untilClose }

// Do writes head (the request line and headers up to, not including, the
// Content-Length header) and body, then reads the response's status line and
// headers. The body is then read with Read.
func (c *Conn) Do(head, body []byte) error {
	c.Status, c.StatusText, c.ContentType = 0, c.StatusText[:0], c.ContentType[:0]
	c.chunked, c.remain, c.untilClose, c.closeAfter, c.done, c.broken = false, 0, false, false, false, true
	c.wbuf = append(c.wbuf[:0], head...)
	c.wbuf = append(c.wbuf, "Content-Length: "...)
	c.wbuf = strconv.AppendInt(c.wbuf, int64(len(body)), 10)
	c.wbuf = append(c.wbuf, "\r\n\r\n"...)
	c.wbuf = append(c.wbuf, body...)
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return err
	}
	return c.readHead()
}

// readHead reads the status line and the headers it needs.
func (c *Conn) readHead() error {
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		// HTTP/1.1 200 OK
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
			return fmt.Errorf("%w: status line %q", ErrMalformed, truncate(line))
		}
		code, ok := atoi(line[9:12])
		if !ok {
			return fmt.Errorf("%w: status line %q", ErrMalformed, truncate(line))
		}
		c.Status = code
		c.StatusText = append(c.StatusText[:0], bytes.TrimSpace(line[9:])...)
		http10 := line[7] == '0'
		var length int64 = -1
		for {
			h, err := c.line()
			if err != nil {
				return err
			}
			if len(h) == 0 {
				break
			}
			k, v, ok := bytes.Cut(h, []byte(":"))
			if !ok {
				return fmt.Errorf("%w: header %q", ErrMalformed, truncate(h))
			}
			v = bytes.TrimSpace(v)
			switch {
			case bytes.EqualFold(k, []byte("Content-Length")):
				n, ok := atoi(v)
				if !ok {
					return fmt.Errorf("%w: Content-Length %q", ErrMalformed, truncate(v))
				}
				length = int64(n)
			case bytes.EqualFold(k, []byte("Transfer-Encoding")):
				c.chunked = bytes.EqualFold(v, []byte("chunked"))
			case bytes.EqualFold(k, []byte("Connection")):
				c.closeAfter = bytes.EqualFold(v, []byte("close"))
			case bytes.EqualFold(k, []byte("Content-Type")):
				c.ContentType = append(c.ContentType[:0], v...)
			}
		}
		if code >= 100 && code < 200 && code != 101 {
			continue // 100 Continue and other interim responses: the real one follows
		}
		c.broken = false
		switch {
		case code == 204 || code == 304:
			c.done = true
		case c.chunked:
			c.remain = -1 // read a chunk size first
		case length >= 0:
			c.remain = length
			c.done = length == 0
		default:
			c.untilClose = true
		}
		if http10 {
			c.closeAfter = true
		}
		return nil
	}
}

// line reads one header line without its CRLF, valid until the next read.
func (c *Conn) line() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return nil, fmt.Errorf("%w: header line over %d bytes", ErrMalformed, c.br.Size())
		}
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// Read reads the response body, decoding chunked transfer encoding. It returns
// io.EOF at the body's end and io.ErrUnexpectedEOF when the connection ends
// before it.
func (c *Conn) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	c.broken = true // until this read ends cleanly
	if c.untilClose {
		n, err := c.br.Read(p)
		if err == io.EOF {
			c.done = true
		}
		c.broken = err != nil && err != io.EOF
		return n, err
	}
	if c.chunked && c.remain <= 0 {
		if c.remain == 0 { // the CRLF after the previous chunk's data
			if err := c.crlf(); err != nil {
				return 0, err
			}
		}
		line, err := c.line()
		if err != nil {
			return 0, eof(err)
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		size, ok := hexSize(bytes.TrimSpace(line))
		if !ok {
			return 0, fmt.Errorf("%w: chunk size %q", ErrMalformed, truncate(line))
		}
		if size == 0 {
			for { // trailers, up to the blank line
				t, err := c.line()
				if err != nil {
					return 0, eof(err)
				}
				if len(t) == 0 {
					break
				}
			}
			c.done, c.broken = true, false
			return 0, io.EOF
		}
		c.remain = size
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.br.Read(p)
	c.remain -= int64(n)
	if err != nil {
		return n, eof(err)
	}
	if !c.chunked && c.remain == 0 {
		c.done = true
	}
	// A chunk read to its end leaves remain 0: the next Read takes its CRLF,
	// then the next size line.
	c.broken = false
	return n, nil
}

func (c *Conn) crlf() error {
	b, err := c.br.ReadByte()
	if err == nil && b == '\r' {
		b, err = c.br.ReadByte()
	}
	if err != nil {
		return eof(err)
	}
	if b != '\n' {
		return fmt.Errorf("%w: no CRLF after a chunk", ErrMalformed)
	}
	return nil
}

// Discard reads the rest of the body, so the connection can be reused.
func (c *Conn) Discard(limit int64) error {
	var buf [512]byte
	for n := int64(0); n < limit; {
		k, err := c.Read(buf[:])
		n += int64(k)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("h1: body longer than %d bytes", limit)
}

// eof turns a clean EOF in the middle of a body into io.ErrUnexpectedEOF.
func eof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// hexSize parses a chunk size (hexadecimal, at most 15 digits).
func hexSize(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | int64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | int64(c-'a'+10)
		case c >= 'A' && c <= 'F':
			n = n<<4 | int64(c-'A'+10)
		default:
			return 0, false
		}
	}
	return n, true
}

func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func truncate(b []byte) []byte {
	if len(b) > 100 {
		return b[:100]
	}
	return b
}

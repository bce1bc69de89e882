package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/inferbench/inferbench/internal/h1"
)

// h1Transport sends requests with package h1 (HTTP/1.1 over plain TCP or
// TLS, no proxy): pooled connections read from the caller's goroutine,
// nothing allocated per request or token, and each read's kernel receive
// time (see package rxtime) for the tokens it carries.
type h1Transport struct {
	pool *h1.Pool // dials through its own gate (package h1)
	head []byte   // the request line and headers, built once
	cfg  *Config  // the timeouts
}

func (t *h1Transport) exchange() exchange { return &h1Exchange{t: t} }

// probe opens a connection, TLS handshake included, and keeps it for the
// first request: it proves the address and then serves.
func (t *h1Transport) probe(ctx context.Context) error { return t.pool.Prime(ctx) }

func (t *h1Transport) close() { t.pool.Close() }

// h1Exchange is one call's use of h1Transport. Deadlines are the
// connection's read deadline; the run's cancellation moves it to the past.
type h1Exchange struct {
	t           *h1Transport
	resp        response
	reqDeadline time.Time
	cause       error // the cause the connection's read deadline stands for

	// mu guards conn and connCtx against the cancellation hook.
	mu      sync.Mutex
	conn    *h1.Conn
	connCtx context.Context // the context of the request on conn
	// The run's cancellation moves the connection's deadline to the past. The
	// hook is registered once per exchange and context (a run uses one
	// context throughout), so a request allocates nothing for it.
	hookCtx  context.Context
	hookStop func() bool
}

// send sends the request on a pooled connection from this goroutine.
func (x *h1Exchange) send(parent context.Context, body []byte, start time.Time) (*response, error) {
	t := x.t
	x.reqDeadline = start.Add(t.cfg.RequestTimeout)
	for {
		conn, reused, err := t.pool.Get(parent)
		if err != nil {
			return nil, err
		}
		x.mu.Lock()
		x.conn, x.connCtx = conn, parent
		x.mu.Unlock()
		nc := conn.NetConn()
		if parent.Done() != nil && parent != x.hookCtx {
			if x.hookStop != nil {
				x.hookStop()
			}
			x.hookCtx, x.hookStop = parent, context.AfterFunc(parent, x.cancelHook(parent))
		}
		if parent.Err() != nil {
			return nil, parent.Err()
		}
		x.cause = errRequestTimeout
		d := x.reqDeadline
		if t.cfg.FirstTokenTimeout < t.cfg.RequestTimeout {
			x.cause, d = errFirstToken, start.Add(t.cfg.FirstTokenTimeout)
		}
		nc.SetWriteDeadline(x.reqDeadline)
		nc.SetReadDeadline(d)
		err = conn.Do(t.head, body)
		if err == nil {
			x.resp.status = conn.Status
			x.resp.statusText = append(x.resp.statusText[:0], conn.StatusText...)
			x.resp.ctype = append(x.resp.ctype[:0], conn.ContentType...)
			x.resp.body = conn
			return &x.resp, nil
		}
		x.release(false)
		// A kept-alive connection the server closed while idle fails before any
		// response: the request was not served, so it goes again on the next
		// one. A server's idle timeout closes every idle connection at once, so
		// this goes on until the pool dials afresh (reused false), which ends it.
		if !reused || parent.Err() != nil || !staleConn(err) {
			return nil, err
		}
	}
}

// cancelHook returns the function the run's cancellation calls: it moves the
// deadline of the connection in use, if that request belongs to ctx.
func (x *h1Exchange) cancelHook(ctx context.Context) func() {
	return func() {
		x.mu.Lock()
		if x.conn != nil && x.connCtx == ctx {
			x.conn.NetConn().SetDeadline(time.Unix(1, 0))
		}
		x.mu.Unlock()
	}
}

// staleConn says whether err is what a write to, or a read from, a connection
// the server already closed looks like.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// received is the kernel's receive stamp of the connection's latest read, so
// a token's time is not this process's wake-up after it (0.3–2.5 ms on an
// idle VM; see package rxtime); the clock now where the kernel gave none.
func (x *h1Exchange) received(start time.Time) time.Time {
	if x.conn != nil {
		if t, ok := x.conn.Received(); ok && !t.Before(start) {
			return t
		}
	}
	return time.Now()
}

func (x *h1Exchange) firstToken() {
	x.cause = errRequestTimeout
	x.conn.NetConn().SetReadDeadline(x.reqDeadline)
}

// deadlineCause: a read or write past the connection's deadline is the
// deadline it stood for.
func (x *h1Exchange) deadlineCause(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return x.cause
	}
	return nil
}

// release puts the connection back in its pool when its response was read
// to the end; closes it otherwise, or after a cancellation (whose hook may
// have moved its deadline).
func (x *h1Exchange) release(clean bool) {
	x.mu.Lock()
	conn := x.conn
	x.conn, x.connCtx = nil, nil
	x.mu.Unlock()
	x.resp.body = nil
	if conn == nil {
		return
	}
	if clean && (x.hookCtx == nil || x.hookCtx.Err() == nil) {
		x.t.pool.Put(conn)
	} else {
		conn.Close()
	}
}

func (x *h1Exchange) close() {
	if x.hookStop != nil {
		x.hookStop()
	}
}

var (
	_ transport = (*h1Transport)(nil)
	_ exchange  = (*h1Exchange)(nil)
)

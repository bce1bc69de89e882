package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// netTransport sends requests with net/http: through a proxy (from the
// environment), with HTTP/2 where the server offers it, or when asked for
// (--transport net/http). Its reads run ahead on net/http's goroutines, so a
// token's time is when this process parsed it.
type netTransport struct {
	client   *http.Client
	tr       *http.Transport // dials through a gate (internal/h1.Gate)
	endpoint string
	header   http.Header // shared read-only
	cfg      *Config     // the timeouts
	// sign, when set, signs each request (its headers copied first): the
	// bedrock dialect's SigV4.
	sign func(ctx context.Context, r *http.Request, body []byte) error
}

func (t *netTransport) exchange() exchange {
	x := &netExchange{t: t}
	u, _ := http.NewRequest(http.MethodPost, t.endpoint, nil) // parsed once by New
	x.req = *u
	x.req.Header = t.header
	x.req.Body = io.NopCloser(&x.rd)
	x.req.GetBody = func() (io.ReadCloser, error) { // for a retry
		x.rdBuf.Reset(x.body)
		return io.NopCloser(&x.rdBuf), nil
	}
	x.timer = time.AfterFunc(time.Hour, x.fire)
	x.timer.Stop()
	return x
}

// probe dials the endpoint's host once, or the proxy's through one: that is
// what must answer.
func (t *netTransport) probe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.endpoint, nil)
	if err != nil {
		return err
	}
	u := req.URL
	if proxy, perr := t.tr.Proxy(req); perr == nil && proxy != nil {
		u = proxy
	}
	d := net.Dialer{Timeout: t.cfg.ConnectTimeout}
	conn, err := d.DialContext(ctx, "tcp", hostPort(u))
	if err == nil {
		conn.Close()
	}
	return err
}

func (t *netTransport) close() { t.tr.CloseIdleConnections() }

// netExchange is one call's use of netTransport. Its timer enforces the
// first-token and whole-request deadlines by cancelling the request's
// context; it is made once, and a stale firing after a request ended is told
// apart by the deadline it checks under mu.
type netExchange struct {
	t           *netTransport
	req         http.Request // a template, copied per request
	body        []byte
	rd          bytes.Reader
	rdBuf       bytes.Reader // for GetBody on a retry
	reqDeadline time.Time
	resp        response
	hr          *http.Response
	ctx         context.Context // the request's

	timer    *time.Timer
	mu       sync.Mutex
	cancel   context.CancelCauseFunc
	deadline time.Time
	cause    error
}

func (x *netExchange) send(parent context.Context, body []byte, start time.Time) (*response, error) {
	t := x.t
	x.reqDeadline = start.Add(t.cfg.RequestTimeout)
	ctx, cancel := context.WithCancelCause(parent)
	x.mu.Lock()
	x.cancel = cancel
	x.mu.Unlock()
	x.ctx = ctx
	if t.cfg.FirstTokenTimeout < t.cfg.RequestTimeout {
		x.arm(t.cfg.FirstTokenTimeout, errFirstToken)
	} else {
		x.arm(t.cfg.RequestTimeout, errRequestTimeout)
	}
	hr := x.req.WithContext(ctx)
	hr.ContentLength = int64(len(body))
	x.body = body
	x.rd.Reset(body)
	if t.sign != nil {
		hr.Header = hr.Header.Clone()
		if err := t.sign(ctx, hr, body); err != nil {
			return nil, fmt.Errorf("signing the request: %w", err)
		}
	}
	resp, err := t.client.Do(hr)
	if err != nil {
		return nil, err
	}
	x.hr = resp
	x.resp.status = resp.StatusCode
	x.resp.statusText = append(x.resp.statusText[:0], resp.Status...)
	x.resp.ctype = append(x.resp.ctype[:0], resp.Header.Get("Content-Type")...)
	x.resp.body = resp.Body
	return &x.resp, nil
}

// received is the clock now: net/http's reads carry no kernel stamp.
func (x *netExchange) received(time.Time) time.Time { return time.Now() }

func (x *netExchange) firstToken() {
	x.arm(time.Until(x.reqDeadline), errRequestTimeout)
}

// deadlineCause: the request's context was cancelled by our timer.
func (x *netExchange) deadlineCause(error) error {
	if x.ctx != nil {
		if cause := context.Cause(x.ctx); cause == errFirstToken || cause == errRequestTimeout {
			return cause
		}
	}
	return nil
}

// release closes the body (net/http keeps the connection when it was read
// to the end) and stops the timer.
func (x *netExchange) release(bool) {
	if x.hr != nil {
		x.hr.Body.Close()
		x.hr = nil
	}
	x.resp.body = nil
	if x.ctx != nil {
		x.timer.Stop()
		x.mu.Lock()
		cancel := x.cancel
		x.cancel = nil
		x.mu.Unlock()
		cancel(nil)
		x.ctx = nil
	}
}

func (x *netExchange) close() { x.timer.Stop() }

// fire cancels the current request if its deadline has passed.
func (x *netExchange) fire() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.cancel != nil && !time.Now().Before(x.deadline) {
		x.cancel(x.cause)
	}
}

// arm sets the deadline the timer enforces.
func (x *netExchange) arm(d time.Duration, cause error) {
	x.mu.Lock()
	x.deadline = time.Now().Add(d)
	x.cause = cause
	x.mu.Unlock()
	x.timer.Reset(d)
}

var (
	_ transport = (*netTransport)(nil)
	_ exchange  = (*netExchange)(nil)
)

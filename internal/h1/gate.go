package h1

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Gate paces the dials to one endpoint once it refuses them. While dials
// succeed it lets every one through. After one fails, it is shut: a caller
// that would dial gets the failure (a *DownError) at once, without
// dialling, except for one probe at a time, no sooner than a probe interval
// after the last failure (from minProbe, doubling to maxProbe); the first
// dial that succeeds opens it again.
//
// Why: a load generator's open loop keeps its schedule whatever the
// endpoint does, and against a port that refuses connections each request
// would open (try to open) a connection of its own; a closed loop's
// workers, likewise, until they back off. The requests still fail and are
// counted as connect errors, with the dial's own message, but the endpoint
// (or whatever sits at its address) sees a few dials a second, not one per
// request. The zero Gate is open.
type Gate struct {
	mu      sync.Mutex
	down    *DownError // the outage's latest failure; nil while open
	probing bool       // the one dial allowed while shut is under way
	next    time.Time  // while shut: no probe before this
	wait    time.Duration
	dials   atomic.Int64
}

// The probe interval while shut: it starts at minProbe and doubles with
// each failed probe up to maxProbe. minProbe is far above a refused dial's
// cost (tens of microseconds), so an open loop at any rate makes at most
// about 100 dials a second at first; maxProbe bounds how late a recovered
// endpoint is seen.
const (
	minProbe = 10 * time.Millisecond
	maxProbe = time.Second
)

// DownError is the error of a dial the Gate did not let through: it wraps
// the latest failed dial's error, so errors.Is and errors.As see the cause
// (syscall.ECONNREFUSED, a *net.OpError, a timeout).
type DownError struct {
	Err   error     // the latest failed dial's error
	Since time.Time // the first failed dial of this outage
	At    time.Time // the latest failed dial
}

func (e *DownError) Error() string {
	return "not dialled: the last dial failed, and one dial at a time retries it: " + e.Err.Error()
}

func (e *DownError) Unwrap() error { return e.Err }

// Allow says whether the caller may dial now. It returns nil, and then the
// caller must report the dial's outcome with Done (probe says its dial is
// the one probe allowed while shut); or the *DownError to fail with,
// without dialling.
func (g *Gate) Allow() (probe bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down != nil {
		if g.probing || time.Now().Before(g.next) {
			return false, g.down
		}
		g.probing, probe = true, true
	}
	g.dials.Add(1)
	return probe, nil
}

// Done reports the outcome of a dial that Allow let through. canceled says
// the caller gave up on it (its context ended): that says nothing of the
// endpoint.
func (g *Gate) Done(probe bool, err error, canceled bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if probe {
		g.probing = false
	}
	switch {
	case canceled && err != nil:
	case err == nil:
		g.down, g.wait = nil, 0
	case g.down == nil:
		now := time.Now()
		g.down = &DownError{Err: err, Since: now, At: now}
		g.wait = minProbe
		g.next = now.Add(g.wait)
	case probe:
		now := time.Now()
		g.down = &DownError{Err: err, Since: g.down.Since, At: now}
		g.wait = min(2*g.wait, maxProbe)
		g.next = now.Add(g.wait)
	}
	// A dial let through before the outage began that fails now changes
	// nothing: the outage's interval stands.
}

// Shut says whether the gate holds dials back.
func (g *Gate) Shut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.down != nil
}

// Dials is how many dials the gate let through.
func (g *Gate) Dials() int64 { return g.dials.Load() }

// DialContext wraps dial (a net.Dialer's DialContext, say, for net/http's
// Transport) with the gate.
func (g *Gate) DialContext(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		probe, err := g.Allow()
		if err != nil {
			return nil, err
		}
		c, err := dial(ctx, network, addr)
		g.Done(probe, err, ctx.Err() != nil)
		return c, err
	}
}

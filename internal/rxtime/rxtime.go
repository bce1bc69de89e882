// Package rxtime tells when the kernel received the bytes a TCP read
// returned, so that a latency ends when the data reached this machine rather
// than when the Go scheduler got round to the goroutine reading it.
//
// Why: on an idle virtual machine, waking the thread parked on the network
// poller takes 0.3–2.5 ms (measured on this project's 2-vCPU build machine
// with SO_TIMESTAMPNS: kernel receipt to HTTP handler), a tenth to a third of
// a 6 ms time to first token. A client that stamps a token with time.Now()
// after its read returns adds its own wake-up to the endpoint's latency; a
// server that starts a simulated device's clock when its handler runs adds
// its own. The kernel's receive timestamp (SO_TIMESTAMPNS, taken when the
// packet entered the receiving socket's stack) has neither.
//
// On Linux, Wrap turns on SO_TIMESTAMPNS and reads with recvmsg; elsewhere it
// returns the connection unchanged and Received says no stamp, so callers fall
// back to their own clock.
//
// One difference from net.TCPConn a test may notice: the race detector
// orders a read(2) after the write(2) that fed it, but not a recvmsg, so a
// test that shares memory between a server and its client in one process
// must synchronise it itself.
package rxtime

import (
	"net"
	"syscall"
	"time"
)

// Stamped is a connection that knows when the kernel received the bytes its
// latest read returned.
type Stamped interface {
	net.Conn
	// Received returns that time on the monotonic clock, and false when the
	// latest read carried no stamp.
	Received() (time.Time, bool)
}

// Received returns when the kernel received the bytes c's latest read
// returned, and false when c carries no stamp (not wrapped, not Linux, or no
// read yet).
func Received(c net.Conn) (time.Time, bool) {
	if s, ok := c.(Stamped); ok {
		return s.Received()
	}
	return time.Time{}, false
}

// listener wraps the connections it accepts with Wrap.
type listener struct {
	net.Listener
}

// Listen returns l with its accepted connections wrapped. On Linux it also
// turns stamps on for the listening socket itself, which accepted sockets
// inherit: the kernel switches its stamping on lazily, from a work queue,
// when the first socket asks, so a packet that arrives right after a
// connection turned it on may carry none, and asking early avoids that.
func Listen(l net.Listener) net.Listener {
	if tl, ok := l.(*net.TCPListener); ok {
		if rc, err := tl.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { enable(fd) })
		}
	}
	return listener{l}
}

// Accept waits for the next connection and wraps it.
func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}

// Control is for net.Dialer.Control: it turns stamps on before the
// connection is made (see Listen for why early).
func Control(network, address string, c syscall.RawConn) error {
	c.Control(func(fd uintptr) { enable(fd) })
	return nil
}

// fromWall converts a CLOCK_REALTIME stamp in nanoseconds to a time on the
// monotonic clock, by its age now: the stamp's wall-clock reading alone would
// make every later duration wall-clock arithmetic, which a clock step breaks.
func fromWall(ns int64) time.Time {
	now := time.Now()
	age := max(now.UnixNano()-ns, 0)
	return now.Add(-time.Duration(age))
}

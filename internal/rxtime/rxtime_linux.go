//go:build linux

package rxtime

import (
	"io"
	"math"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Clock names the times Received gives: "kernel", the receive stamp.
const Clock = "kernel"

// Conn is a TCP connection whose reads record the kernel's receive stamp.
// Reads must not run concurrently with each other (as for any stream);
// Received may be called from any goroutine.
type Conn struct {
	*net.TCPConn
	rc syscall.RawConn

	// The read in progress: recv is bound once so that a Read allocates
	// nothing (a closure per call would escape into the poller).
	recv  func(fd uintptr) bool
	msg   unix.Msghdr
	iov   unix.Iovec
	oob   [64]byte
	n     int
	errno syscall.Errno

	// base is a monotonic reading taken at Wrap; rx is the latest data
	// read's stamp as nanoseconds since base (negative for bytes that came
	// before Wrap), converted once per read: a stream's reader asks for it
	// once per event, and a read carries several.
	base time.Time
	rx   atomic.Int64 // noStamp: none
}

// noStamp marks a read without a stamp.
const noStamp = math.MinInt64

// Wrap returns c with receive stamps when c is a TCP connection on which the
// kernel grants SO_TIMESTAMPNS, and c itself otherwise.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = enable(fd) }); err != nil || serr != nil {
		return c
	}
	x := &Conn{TCPConn: tc, rc: rc, base: time.Now()}
	x.rx.Store(noStamp)
	x.recv = x.recvmsg
	return x
}

// enable asks the kernel to stamp what the socket receives.
func enable(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
}

// Read reads like net.TCPConn.Read and records the kernel's receive stamp
// of the bytes read.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.iov.Base = &p[0]
	c.iov.SetLen(len(p))
	err := c.rc.Read(c.recv)
	c.iov.Base = nil // keep no reference to the caller's buffer
	if err != nil {
		return 0, c.opError(err)
	}
	if c.errno != 0 {
		return 0, c.opError(os.NewSyscallError("recvmsg", c.errno))
	}
	if c.n == 0 {
		return 0, io.EOF
	}
	rx := int64(noStamp)
	if ns := c.stamp(); ns != 0 {
		rx = int64(fromWall(ns).Sub(c.base))
	}
	c.rx.Store(rx)
	return c.n, nil
}

// recvmsg is one non-blocking recvmsg; false asks the poller to wait.
func (c *Conn) recvmsg(fd uintptr) bool {
	c.msg = unix.Msghdr{Iov: &c.iov, Control: &c.oob[0]}
	c.msg.SetIovlen(1)
	c.msg.SetControllen(len(c.oob))
	for {
		n, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&c.msg)), 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		c.n, c.errno = int(n), errno
		return true
	}
}

// stamp returns the SCM_TIMESTAMPNS in the latest recvmsg's control data, in
// wall-clock nanoseconds, or 0.
func (c *Conn) stamp() int64 {
	ctl := c.oob[:c.msg.Controllen]
	for len(ctl) >= unix.CmsgLen(0) {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&ctl[0]))
		if int(h.Len) < unix.CmsgLen(0) || int(h.Len) > len(ctl) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && int(h.Len) >= unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
			ts := (*unix.Timespec)(unsafe.Pointer(&ctl[unix.CmsgLen(0)]))
			return ts.Nano()
		}
		ctl = ctl[min(unix.CmsgSpace(int(h.Len)-unix.CmsgLen(0)), len(ctl)):]
	}
	return 0
}

// opError wraps err as net.TCPConn.Read would, so callers' errors.Is and
// net.Error checks see the same values.
func (c *Conn) opError(err error) error {
	return &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// Received returns when the kernel received the bytes of the latest read
// that returned data, and false when there was none or it had no stamp.
func (c *Conn) Received() (time.Time, bool) {
	rx := c.rx.Load()
	if rx == noStamp {
		return time.Time{}, false
	}
	return c.base.Add(time.Duration(rx)), true
}

// WriteTo copies the connection to w through Read, so that the stamps stay
// right (net.TCPConn's own WriteTo may splice past them).
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	return io.Copy(w, struct{ io.Reader }{c})
}

//go:build linux

package rxtime

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// acceptPair dials l and accepts: a stamped server side and a plain client.
func acceptPair(t testing.TB, l net.Listener) (*Conn, net.Conn) {
	t.Helper()
	cl, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(); sc.Close() })
	return sc.(*Conn), cl
}

// pair returns a stamped server side and a plain client side of a loopback
// TCP connection.
func pair(t testing.TB) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := Listen(ln).Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(); sc.Close() })
	c, ok := sc.(*Conn)
	if !ok {
		t.Fatalf("Accept returned %T, want *rxtime.Conn", sc)
	}
	return c, cl
}

// The stamp is when the bytes reached the socket, not when they were read:
// on loopback that is inside the writer's write call, long before a reader
// that sleeps first gets to them.
func TestReceivedIsWhenTheKernelGotTheBytes(t *testing.T) {
	c, cl := pair(t)
	if _, ok := c.Received(); ok {
		t.Fatal("Received before any read: want no stamp")
	}
	waitStamping(t, c, cl)
	before := time.Now()
	if _, err := cl.Write([]byte("first token")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	readAt := time.Now()
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "first token" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	got, ok := c.Received()
	if !ok {
		t.Fatal("no stamp after a read")
	}
	if !got.Before(readAt) {
		t.Errorf("stamp %v after the read began (%v): it is the read's time, not the kernel's", got.Sub(before), readAt.Sub(before))
	}
	if got.Before(before.Add(-time.Millisecond)) {
		t.Errorf("stamp %v before the write began", got.Sub(before))
	}
	if r, ok := Received(c); !ok || !r.Equal(got) {
		t.Errorf("Received(conn) = %v, %v; want the stamp %v", r, ok, got)
	}
}

// waitStamping exchanges bytes until a read comes back stamped: the kernel
// turns stamping on from a work queue after the first socket asks (and off
// after the last one closes, as each test's do), so the first packets of a
// fresh process may carry none — which Received reports as no stamp.
func waitStamping(t *testing.T, c *Conn, cl net.Conn) {
	t.Helper()
	buf := make([]byte, 1)
	for range 1000 {
		cl.Write([]byte{0})
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Received(); ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no read stamped after 1000 tries: does this kernel support SO_TIMESTAMPNS on TCP?")
}

// Bytes that reached the socket before Wrap (a request waiting in the
// accept queue while the server was slow to accept) keep their stamp.
func TestStampBeforeWrap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l := Listen(ln) // stamps on from the listening socket, inherited on accept
	warm, warmCl := acceptPair(t, l)
	waitStamping(t, warm, warmCl)
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sent := time.Now()
	cl.Write([]byte("early"))
	written := time.Now()             // on loopback the receiver's stamp is taken inside the write
	time.Sleep(20 * time.Millisecond) // the server is slow to accept
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if _, err := sc.Read(make([]byte, 16)); err != nil {
		t.Fatal(err)
	}
	got, ok := Received(sc)
	if !ok || got.After(written.Add(time.Millisecond)) || got.Before(sent.Add(-time.Millisecond)) {
		t.Errorf("stamp %v after the write began, %v; want it during the write (%v), 20 ms before the accept", got.Sub(sent), ok, written.Sub(sent))
	}
}

func TestReadKeepsNetSemantics(t *testing.T) {
	t.Run("bytes", func(t *testing.T) {
		c, cl := pair(t)
		want := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, many reads
		go func() { cl.Write(want); cl.Close() }()
		got, err := io.ReadAll(c)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("ReadAll: %d bytes, err %v; want %d bytes", len(got), err, len(want))
		}
	})
	t.Run("eof", func(t *testing.T) {
		c, cl := pair(t)
		cl.Close()
		if n, err := c.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("Read after the peer closed = %d, %v; want 0, io.EOF", n, err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		c, _ := pair(t)
		c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		_, err := c.Read(make([]byte, 8))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("Read past its deadline = %v; want a net.Error timeout wrapping os.ErrDeadlineExceeded", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		c, _ := pair(t)
		c.Close()
		if _, err := c.Read(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read on a closed conn = %v; want net.ErrClosed", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		c, cl := pair(t)
		cl.(*net.TCPConn).SetLinger(0) // close with RST
		cl.Close()
		time.Sleep(10 * time.Millisecond)
		_, err := c.Read(make([]byte, 8))
		var oe *net.OpError
		if err == nil || err == io.EOF || !errors.As(err, &oe) || oe.Op != "read" {
			t.Fatalf("Read after a reset = %v; want a *net.OpError for read", err)
		}
	})
}

func TestReadAllocatesNothing(t *testing.T) {
	c, cl := pair(t)
	msg := []byte("data: {}\n\n")
	buf := make([]byte, 64)
	allocs := testing.AllocsPerRun(200, func() {
		cl.Write(msg)
		if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil {
			t.Fatal(err)
		}
		c.Received()
	})
	if allocs != 0 {
		t.Errorf("Write+Read+Received: %v allocs, want 0", allocs)
	}
}

func TestWrapLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if w := Wrap(a); w != a {
		t.Errorf("Wrap(net.Pipe) = %T, want the conn unchanged", w)
	}
	if got, ok := Received(a); ok {
		t.Errorf("Received on an unstamped conn = %v, true; want false", got)
	}
}

func BenchmarkRead(b *testing.B) {
	for _, bc := range []struct {
		name string
		wrap bool
	}{{"net.TCPConn", false}, {"rxtime.Conn", true}} {
		b.Run(bc.name, func(b *testing.B) {
			c, cl := pair(b)
			var r io.Reader = c.TCPConn
			if bc.wrap {
				r = c
			}
			msg := make([]byte, 256)
			buf := make([]byte, 256)
			b.ReportAllocs()
			for b.Loop() {
				cl.Write(msg)
				io.ReadFull(r, buf)
			}
		})
	}
}

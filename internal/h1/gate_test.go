package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inferbench/inferbench/internal/nettest"
)

// refusedAddr is a loopback port that was open a moment ago and refuses
// connections now.
func refusedAddr(t *testing.T) string { return nettest.RefusedAddr(t) }

// maxDials is the most dials a gate lets through in elapsed of refusals,
// from callers that may all dial at once before the first refusal is seen:
// those, then one probe after each interval (minProbe, doubling to
// maxProbe), each measured from the previous probe's failure.
func maxDials(callers int, elapsed time.Duration) int64 {
	n := int64(callers)
	for t, w := time.Duration(0), minProbe; t+w <= elapsed; t, w = t+w, min(2*w, maxProbe) {
		n++
	}
	return n
}

func TestMaxDialsBound(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		callers int
		elapsed time.Duration
		want    int64
	}{
		{1, 0, 1},
		{1, 9 * time.Millisecond, 1},
		{1, 10 * time.Millisecond, 2},
		{1, 30 * time.Millisecond, 3},   // 10 + 20
		{8, 70 * time.Millisecond, 11},  // 10 + 20 + 40
		{1, 1270 * time.Millisecond, 8}, // ... + 640
		{1, 2270 * time.Millisecond, 9}, // then every second
		{1, 3270 * time.Millisecond, 10},
	} {
		if got := maxDials(tt.callers, tt.elapsed); got != tt.want {
			t.Errorf("maxDials(%d, %v) = %d, want %d", tt.callers, tt.elapsed, got, tt.want)
		}
	}
}

// The gate's states, step by step: open lets every dial through; a failure
// shuts it, and callers get the failure undialled; after the interval one
// probe goes, and others wait for its outcome; a failed probe doubles the
// interval; a successful one opens the gate.
func TestGateSteps(t *testing.T) {
	t.Parallel()
	var g Gate
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	expect := func(step string, wantProbe bool, wantErr bool) bool {
		t.Helper()
		probe, err := g.Allow()
		var down *DownError
		if probe != wantProbe || (err != nil) != wantErr || (err != nil && (!errors.As(err, &down) || !errors.Is(err, syscall.ECONNREFUSED))) {
			t.Fatalf("%s: probe %v, err %v; want probe %v, error %v (a DownError wrapping the refusal)", step, probe, err, wantProbe, wantErr)
		}
		return probe
	}
	expect("open", false, false)
	expect("open, a second dial at once", false, false)
	g.Done(false, nil, false)
	g.Done(false, refused, false)
	if !g.Shut() {
		t.Fatal("a refused dial did not shut the gate")
	}
	expect("shut, within the interval", false, true)
	g.Done(false, refused, false) // the second dial, let through before the outage: no change
	if g.wait != minProbe {
		t.Fatalf("interval %v after the outage's first failures, want %v", g.wait, minProbe)
	}
	time.Sleep(minProbe + time.Millisecond)
	probe := expect("after the interval", true, false)
	expect("while the probe is out", false, true)
	g.Done(probe, refused, false)
	if g.wait != 2*minProbe {
		t.Fatalf("interval %v after a failed probe, want %v", g.wait, 2*minProbe)
	}
	expect("right after a failed probe", false, true)
	g.mu.Lock()
	g.next = time.Now() // skip the wait
	g.mu.Unlock()
	probe = expect("next probe", true, false)
	g.Done(probe, errors.New("context canceled"), true)
	if !g.Shut() || g.probing {
		t.Fatal("a canceled probe must leave the gate shut and let the next probe go")
	}
	probe = expect("probe after a canceled one", true, false)
	g.Done(probe, nil, false)
	if g.Shut() {
		t.Fatal("a successful probe did not open the gate")
	}
	expect("open again", false, false)
	if got := g.Dials(); got != 6 {
		t.Errorf("%d dials let through, want 6", got)
	}
}

// A pool in front of a refusing port, hammered by 8 callers at once: every
// Get fails with the refusal, and the pool dials no more than the gate
// allows in that time (counted at the socket, under the gate), far fewer
// than the requests.
func TestPoolRefusedPortFewDials(t *testing.T) {
	t.Parallel()
	p := NewPool(refusedAddr(t), time.Second, 4, nil)
	defer p.Close()
	var sockets atomic.Int64
	control := p.dialer.Control
	p.dialer.Control = func(network, address string, c syscall.RawConn) error {
		sockets.Add(1)
		return control(network, address, c)
	}
	const callers = 8
	var (
		wg       sync.WaitGroup
		requests atomic.Int64
		bad      atomic.Value
	)
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < 300*time.Millisecond {
				c, _, err := p.Get(context.Background())
				requests.Add(1)
				if err == nil {
					c.Close()
					bad.Store("a Get succeeded against a refusing port")
					return
				}
				if !errors.Is(err, syscall.ECONNREFUSED) {
					bad.Store(err.Error())
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	n, dials := requests.Load(), sockets.Load()
	if dials != p.Dials() {
		t.Errorf("%d sockets dialled, the gate counted %d", dials, p.Dials())
	}
	if limit := maxDials(callers+1, elapsed); dials > limit {
		t.Errorf("%d dials for %d requests in %v: want at most %d", dials, n, elapsed, limit)
	}
	if n < 100*dials && n < 10000 {
		t.Logf("only %d requests in %v (a busy machine?)", n, elapsed)
	}
	t.Logf("%d requests, %d dials in %v", n, dials, elapsed)
}

// Once the port answers again, the next probe finds it: a Get succeeds
// within the probe interval (about 10 ms after a few refusals), and the gate
// is open.
func TestPoolRecoversAfterRefusals(t *testing.T) {
	t.Parallel()
	addr := refusedAddr(t)
	p := NewPool(addr, time.Second, 4, nil)
	defer p.Close()
	for range 5 {
		if _, _, err := p.Get(context.Background()); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("Get from a refusing port: %v", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	serveOn(t, ln, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, err := readRequest(br); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, _, err := p.Get(context.Background())
		if err == nil {
			if err := c.Do([]byte(head), []byte("{}")); err != nil || c.Status != 200 {
				t.Fatalf("after recovery: status %d, %v", c.Status, err)
			}
			c.Discard(1 << 10)
			p.Put(c)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection 5 s after the port opened: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	if p.gate.Shut() {
		t.Error("the gate is still shut after a dial succeeded")
	}
}

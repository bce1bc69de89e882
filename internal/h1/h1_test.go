package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// raw serves each connection with f, which reads the request itself.
func raw(t *testing.T, f func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, f)
}

// serveOn serves each connection ln accepts with f until the test ends, and
// returns ln's address.
func serveOn(t *testing.T, ln net.Listener, f func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				f(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequest consumes one request (head and Content-Length body).
func readRequest(br *bufio.Reader) (string, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(req.Body)
	return string(b), err
}

const head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

func TestResponseShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		resp     string
		status   int
		body     string
		reusable bool
		err      error
	}{
		{"chunked with extensions and trailers", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"7;ext=1\r\ndata: a\r\n2\r\n\n\n\r\n0\r\nX-Trailer: 1\r\n\r\n", 200, "data: a\n\n", true, nil},
		{"upper-case hex sizes", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", 200, "0123456789", true, nil},
		{"content-length", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nboom!", 500, "boom!", true, nil},
		{"interim 100 continue first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", true, nil},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 200, "ok", false, nil},
		{"until close (HTTP/1.0 style)", "HTTP/1.0 200 OK\r\n\r\nall of it", 200, "all of it", false, nil},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", 204, "", true, nil},
		{"cut mid-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly", 200, "only", false, io.ErrUnexpectedEOF},
		{"cut before the last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", 200, "ab", false, io.ErrUnexpectedEOF},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 200, "", false, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := raw(t, func(c net.Conn, br *bufio.Reader) {
				if _, err := readRequest(br); err == nil {
					io.WriteString(c, tt.resp)
				}
			})
			p := NewPool(addr, time.Second, 4, nil)
			defer p.Close()
			c, _, err := p.Get(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Do([]byte(head), []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			_, err = io.Copy(&got, onlyReader{c})
			if c.Status != tt.status || got.String() != tt.body || !errors.Is(err, tt.err) && (err != nil || tt.err != nil) {
				t.Errorf("status %d body %q err %v; want %d %q %v", c.Status, got.String(), err, tt.status, tt.body, tt.err)
			}
			if c.reusable() != tt.reusable {
				t.Errorf("reusable %v, want %v", c.reusable(), tt.reusable)
			}
		})
	}
}

// onlyReader hides Conn's other methods from io.Copy.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestMalformedHead(t *testing.T) {
	t.Parallel()
	for _, resp := range []string{"SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"} {
		addr := raw(t, func(c net.Conn, br *bufio.Reader) {
			if _, err := readRequest(br); err == nil {
				io.WriteString(c, resp)
			}
		})
		p := NewPool(addr, time.Second, 1, nil)
		c, _, err := p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Do([]byte(head), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err %v, want ErrMalformed", resp, err)
		}
		c.Close()
	}
}

// Against net/http's server: keep-alive reuses connections for many
// requests — the one in use and the spare dialled ahead — and the request
// arrives intact.
func TestKeepAliveAgainstNetHTTP(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.URL.Path != "/v1/chat/completions" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request line or headers", 400)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for range 3 {
			io.WriteString(w, "data: "+string(b)+"\n\n")
			w.(http.Flusher).Flush()
		}
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	p := NewPool(ts.Listener.Addr().String(), time.Second, 4, nil)
	defer p.Close()
	for i := range 5 {
		c, reused, err := p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if reused != (i > 0) {
			t.Errorf("request %d: reused %v", i, reused)
		}
		if err := c.Do([]byte(head), []byte(`{"n":1}`)); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(onlyReader{c})
		if err != nil || c.Status != 200 || string(c.ContentType) != "text/event-stream" || strings.Count(string(b), `data: {"n":1}`) != 3 {
			t.Fatalf("status %d type %q body %q err %v", c.Status, c.ContentType, b, err)
		}
		p.Put(c)
	}
	if n := conns.Load(); n > 2 {
		t.Errorf("%d connections for 5 requests one after another, want at most 2", n)
	}
}

// idleSoon waits up to 5 s for the pool to hold n idle connections: a spare
// is dialled in the background.
func idleSoon(t *testing.T, p *Pool, n int) {
	t.Helper()
	for range 500 {
		p.mu.Lock()
		k := len(p.idle)
		p.mu.Unlock()
		if k >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no spare connection after 5 s; want %d idle", n)
}

// Taking the last idle connection dials a spare, so the next request in
// flight does not dial on its own path; a full pool dials none, and Close
// closes every connection, the spare's included.
func TestPoolDialsASpareAhead(t *testing.T) {
	t.Parallel()
	var accepted atomic.Int32
	addr := raw(t, func(c net.Conn, br *bufio.Reader) {
		accepted.Add(1)
		io.Copy(io.Discard, br)
	})
	p := NewPool(addr, time.Second, 3, nil)
	if err := p.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	var held []*Conn
	for i := range 3 {
		idleSoon(t, p, 1)
		c, reused, err := p.Get(context.Background())
		if err != nil || !reused {
			t.Fatalf("Get %d while %d are out: reused %v, err %v; want a ready spare", i, len(held), reused, err)
		}
		held = append(held, c)
	}
	p.mu.Lock()
	open, idle := p.open, len(p.idle)
	p.mu.Unlock()
	if open != 3 || idle != 0 {
		t.Errorf("at the pool's size (3): %d open, %d idle; want 3 and 0 (no spare past the size)", open, idle)
	}
	p.Close()
	for _, c := range held {
		p.Put(c) // after Close: closed, not kept
	}
	if p.open != 0 || len(p.idle) != 0 {
		t.Errorf("after Close and Put: %d open, %d idle; want 0", p.open, len(p.idle))
	}
	if n := accepted.Load(); n > 3 {
		t.Errorf("server accepted %d connections, want at most 3", n)
	}
}

func TestReadAllocatesNothing(t *testing.T) {
	stream := strings.Repeat("data: {\"choices\":[{\"delta\":{\"content\":\" tok\"}}]}\n\n", 64)
	addr := raw(t, func(c net.Conn, br *bufio.Reader) {
		resp := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
		for i := 0; i < len(stream); i += 54 {
			chunk := stream[i:min(i+54, len(stream))]
			resp += hexLen(len(chunk)) + "\r\n" + chunk + "\r\n"
		}
		resp += "0\r\n\r\n"
		out := []byte(resp)
		for drainRequest(br) == nil {
			c.Write(out)
		}
	})
	p := NewPool(addr, time.Second, 1, nil)
	defer p.Close()
	body := []byte(`{}`)
	var buf [4096]byte
	allocs := testing.AllocsPerRun(50, func() {
		c, _, err := p.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Do([]byte(head), body); err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := c.Read(buf[:]); err != nil {
				break
			}
		}
		p.Put(c)
	})
	if allocs != 0 {
		t.Errorf("%v allocs per request, want 0", allocs)
	}
}

// drainRequest reads one request without allocating, so that AllocsPerRun
// counts the client alone.
func drainRequest(br *bufio.Reader) error {
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			n, _ = atoi(bytes.TrimSpace(v))
		}
	}
	_, err := br.Discard(n)
	return err
}

func hexLen(n int) string {
	const digits = "0123456789abcdef"
	if n < 16 {
		return digits[n : n+1]
	}
	return hexLen(n/16) + digits[n%16:n%16+1]
}

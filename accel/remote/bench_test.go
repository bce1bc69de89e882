package remote_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/anthropic"
	"github.com/inferbench/inferbench/internal/openai"
	"github.com/inferbench/inferbench/internal/responses"
	"github.com/inferbench/inferbench/internal/servertest"
)

// canned starts a loopback HTTP/1.1 server that answers every request with the
// same pre-rendered stream of tokens chunks (one HTTP chunk per SSE event, as
// vLLM flushes them). It allocates nothing per request, so a benchmark that
// drives it measures the client alone.
func canned(tb testing.TB, tokens int) string {
	tb.Helper()
	return cannedOver(tb, tokens, nil)
}

// cannedTLS is canned over TLS, with a certificate from httptest's test CA;
// it returns the https URL and a ca_cert file that trusts it.
func cannedTLS(tb testing.TB, tokens int) (url, caFile string) {
	tb.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS() // for its certificate and server configuration
	tb.Cleanup(ts.Close)
	caFile = filepath.Join(tb.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		tb.Fatal(err)
	}
	conf := ts.TLS.Clone()
	conf.NextProtos = []string{"http/1.1"}
	return strings.Replace(cannedOver(tb, tokens, conf), "http://", "https://", 1), caFile
}

// cannedDialect is canned in another wire format: the Responses API's or
// Anthropic's Messages events, Bedrock's ConverseStream or SageMaker's
// PayloadPart event-stream frames, one HTTP chunk per event.
func cannedDialect(tb testing.TB, dialect string, tokens int) string {
	tb.Helper()
	var resp bytes.Buffer
	resp.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
	event := func(ev []byte) { fmt.Fprintf(&resp, "%x\r\n%s\r\n", len(ev), ev) }
	switch dialect {
	case server.DialectResponses:
		w := responses.Writer{ID: "resp_1", ItemID: "msg_1", Model: "llama-3.1-8b", Created: 1}
		event(w.AppendStart(nil))
		for range tokens {
			event(w.AppendTextDelta(nil, " tok"))
		}
		event(w.AppendEnd(nil, true, responses.Usage{InputTokens: 128, OutputTokens: tokens}))
	case server.DialectAnthropic:
		event(anthropic.AppendPing(anthropic.AppendBlockStart(anthropic.AppendMessageStart(nil, "msg_1", "llama-3.1-8b", 128), 0)))
		for range tokens {
			event(anthropic.AppendTextDelta(nil, 0, " tok"))
		}
		event(anthropic.AppendMessageStop(anthropic.AppendMessageDelta(anthropic.AppendBlockStop(nil, 0), "max_tokens", tokens)))
	case server.DialectBedrock, server.DialectSageMaker:
		resp.Reset()
		resp.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n\r\n")
		for _, f := range eventStreamFrames(tb, dialect, tokens) {
			event(f)
		}
	default:
		tb.Fatalf("dialect %q", dialect)
	}
	resp.WriteString("0\r\n\r\n")
	canned := resp.Bytes()
	return "http://" + serveConns(tb, nil, func(c net.Conn) { serveCanned(c, canned) }) + "/v1"
}

// eventStreamFrames is an answer of tokens tokens in event-stream frames,
// encoded by aws-sdk-go-v2: Bedrock's ConverseStream events (messageStart,
// a contentBlockDelta per token, contentBlockStop, messageStop, metadata
// with usage), or SageMaker's PayloadParts carrying TGI's server-sent
// events, one token line each (as TGI flushes them), the last with
// details' count and finish reason.
func eventStreamFrames(tb testing.TB, dialect string, tokens int) [][]byte {
	tb.Helper()
	enc := eventstream.NewEncoder()
	var frames [][]byte
	frame := func(typ, contentType string, payload []byte) {
		var hs eventstream.Headers
		hs.Set(":event-type", eventstream.StringValue(typ))
		hs.Set(":content-type", eventstream.StringValue(contentType))
		hs.Set(":message-type", eventstream.StringValue("event"))
		var b bytes.Buffer
		if err := enc.Encode(&b, eventstream.Message{Headers: hs, Payload: payload}); err != nil {
			tb.Fatal(err)
		}
		frames = append(frames, b.Bytes())
	}
	switch dialect {
	case server.DialectBedrock:
		event := func(typ, payload string) { frame(typ, "application/json", []byte(payload)) }
		event("messageStart", `{"role":"assistant"}`)
		for range tokens {
			event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" tok"}}`)
		}
		event("contentBlockStop", `{"contentBlockIndex":0}`)
		event("messageStop", `{"stopReason":"max_tokens"}`)
		event("metadata", fmt.Sprintf(`{"usage":{"inputTokens":128,"outputTokens":%d,"totalTokens":%d},"metrics":{"latencyMs":1}}`, tokens, 128+tokens))
	case server.DialectSageMaker:
		for i := range tokens {
			details := "null"
			if i == tokens-1 {
				details = fmt.Sprintf(`{"finish_reason":"length","generated_tokens":%d,"seed":null}`, tokens)
			}
			frame("PayloadPart", "application/octet-stream", fmt.Appendf(nil,
				`data:{"token":{"id":%d,"text":" tok","logprob":-0.5,"special":false},"generated_text":null,"details":%s}`+"\n\n", i+1, details))
		}
	default:
		tb.Fatalf("dialect %q has no event stream", dialect)
	}
	return frames
}

// eventStreamConfig is the client's configuration for an event-stream
// dialect: signed with the test's static credentials.
func eventStreamConfig(dialect string) remote.Config {
	cfg := bedrockConfig(testAKID)
	if dialect == server.DialectSageMaker {
		cfg.Dialect = remote.DialectSageMaker
	}
	return cfg
}

// TestEventStreamAllocsAreTheSDKs: on the event-stream paths (Bedrock,
// SageMaker), every allocation that grows with the answer is
// aws-sdk-go-v2's decoder's. The known answer is the SDK decoding the same
// frames alone, as the client calls it (through a bufio.Reader, its payload
// buffer reused): what a request of 512 tokens allocates beyond one of 8 is
// what the SDK allocates for the frames between them, and nothing of ours
// (the header check, ParseEvent or the SageMaker line joiner, the timing).
func TestEventStreamAllocsAreTheSDKs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	const short, long = 8, 512
	for _, tc := range []struct {
		dialect string
		cfg     remote.Config
	}{{server.DialectBedrock, eventStreamConfig(server.DialectBedrock)}, {server.DialectSageMaker, eventStreamConfig(server.DialectSageMaker)}} {
		t.Run(tc.dialect, func(t *testing.T) {
			client := func(tokens int) float64 {
				cfg := tc.cfg
				cfg.Transport = remote.TransportNetHTTP
				b := open(t, cannedDialect(t, tc.dialect, tokens), cfg)
				req := accel.Request{InputTokens: 128, OutputTokens: tokens}
				var res accel.Result
				return testing.AllocsPerRun(20, func() {
					res.Reset()
					if err := b.Infer(context.Background(), &req, &res); err != nil {
						t.Fatal(err)
					}
				})
			}
			sdk := func(tokens int) float64 {
				var all bytes.Buffer
				for _, f := range eventStreamFrames(t, tc.dialect, tokens) {
					all.Write(f)
				}
				dec := eventstream.NewDecoder()
				src := bytes.NewReader(all.Bytes())
				br := bufio.NewReaderSize(src, 16<<10)
				payload := make([]byte, 0, 4<<10)
				return testing.AllocsPerRun(20, func() {
					src.Reset(all.Bytes())
					br.Reset(src)
					for {
						if _, err := dec.Decode(br, payload[:0]); err != nil {
							if err != io.EOF {
								t.Fatal(err)
							}
							return
						}
					}
				})
			}
			ours, theirs := client(long)-client(short), sdk(long)-sdk(short)
			if theirs < long-short {
				t.Fatalf("the SDK decoder allocates %v for %d more frames: fewer than one a frame; this test's premise is gone, and ours may be 0 too", theirs, long-short)
			}
			// net/http's reads of the body are not frames: a few may
			// allocate, as scheduling splits the stream (see
			// TestAllocationsPerRequest). One per 8 frames is far from
			// one per frame.
			if d := ours - theirs; d > (long-short)/8 || d < -(long-short)/8 {
				t.Errorf("client %v allocations for %d more tokens, the SDK's decoder %v: %+.1f per frame are ours", ours, long-short, theirs, d/(long-short))
			}
			t.Logf("%d more tokens: client %v allocations, the SDK's decoder %v (%.1f per frame)", long-short, ours, theirs, theirs/(long-short))
		})
	}
}

// cannedOver serves the canned stream, over TLS when conf is set.
func cannedOver(tb testing.TB, tokens int, conf *tls.Config) string {
	tb.Helper()
	h := openai.ChunkHeader{ID: "chatcmpl-1", Object: openai.ObjectChatCompletionChunk, Created: 1, Model: "llama-3.1-8b"}
	var resp bytes.Buffer
	resp.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
	event := func(payload []byte) {
		fmt.Fprintf(&resp, "%x\r\ndata: %s\n\n\r\n", len(payload)+8, payload)
	}
	event(h.AppendChunk(nil, "assistant", "", ""))
	for range tokens {
		event(h.AppendChunk(nil, "", " tok", ""))
	}
	event(h.AppendChunk(nil, "", "", "length"))
	event(h.AppendUsageChunk(nil, openai.Usage{PromptTokens: 128, CompletionTokens: tokens, TotalTokens: 128 + tokens}))
	event([]byte(openai.Done))
	resp.WriteString("0\r\n\r\n")
	canned := resp.Bytes()

	return "http://" + serveConns(tb, conf, func(c net.Conn) { serveCanned(c, canned) }) + "/v1"
}

// serveConns listens on loopback (over TLS when conf is set) and serves each
// connection with serve, on its own goroutine, until the test ends; it
// returns the address.
func serveConns(tb testing.TB, conf *tls.Config, serve func(net.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	if conf != nil {
		ln = tls.NewListener(ln, conf)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// serveCanned answers each request on c with canned: it reads the head up to
// the blank line, skips Content-Length bytes of body and writes.
func serveCanned(c net.Conn, canned []byte) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		n := 0
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 {
				break
			}
			if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
				n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
			}
		}
		if _, err := r.Discard(n); err != nil {
			return
		}
		if _, err := c.Write(canned); err != nil {
			return
		}
	}
}

// BenchmarkRemoteStream is the client's cost per streamed request: build the
// body, send it over a kept-alive connection, parse every SSE chunk, record
// every gap. The server answers from a canned buffer, so ns/op and allocs/op
// are the client's (plus loopback syscalls); tokens/s is how many streamed
// tokens one client core parses. The context is cancellable, as a run's is.
func BenchmarkRemoteStream(b *testing.B) {
	for _, tr := range transports {
		for _, tls := range []bool{false, true} {
			for _, tokens := range []int{64, 512} {
				name := fmt.Sprintf("transport=%s/tokens=%d", strings.ReplaceAll(tr, "/", ""), tokens)
				if tls {
					name = fmt.Sprintf("transport=%s+tls/tokens=%d", strings.ReplaceAll(tr, "/", ""), tokens)
				}
				b.Run(name, func(b *testing.B) { benchStream(b, tr, tls, tokens) })
			}
		}
	}
	// The other wire formats, over plain HTTP: the same loop, their parsers
	// (the SSE ones, and the event-stream ones over net/http, which signs).
	for _, d := range []struct {
		dialect string
		cfg     remote.Config
	}{{server.DialectResponses, remote.Config{API: remote.APIResponses}}, {server.DialectAnthropic, remote.Config{Dialect: remote.DialectAnthropic}},
		{server.DialectBedrock, eventStreamConfig(server.DialectBedrock)}, {server.DialectSageMaker, eventStreamConfig(server.DialectSageMaker)}} {
		for _, tr := range transports {
			if (d.dialect == server.DialectBedrock || d.dialect == server.DialectSageMaker) && tr == remote.TransportH1 {
				continue // signed requests go through net/http
			}
			for _, tokens := range []int{64, 512} {
				name := fmt.Sprintf("dialect=%s/transport=%s/tokens=%d", d.dialect, strings.ReplaceAll(tr, "/", ""), tokens)
				b.Run(name, func(b *testing.B) {
					cfg := d.cfg
					cfg.Transport = tr
					benchOpen(b, open(b, cannedDialect(b, d.dialect, tokens), cfg), tokens)
				})
			}
		}
	}
}

func benchStream(b *testing.B, tr string, overTLS bool, tokens int) {
	cfg := remote.Config{Transport: tr}
	url := ""
	if overTLS {
		url, cfg.CACert = cannedTLS(b, tokens)
	} else {
		url = canned(b, tokens)
	}
	benchOpen(b, open(b, url, cfg), tokens)
}

// benchOpen drives be with requests for tokens tokens. Besides ns/op and
// allocs/op it reports the cost per streamed token (the request's included,
// as a run pays it): ns/token and allocs/token, the figures issue 17's
// bound compares across dialects.
func benchOpen(b *testing.B, be *remote.Backend, tokens int) {
	req := accel.Request{InputTokens: 128, OutputTokens: tokens}
	var g gapCount
	res := accel.Result{Gaps: &g}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		res.Reset()
		if err := be.Infer(ctx, &req, &res); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if res.OutputTokens != tokens {
		b.Fatalf("%d tokens, want %d", res.OutputTokens, tokens)
	}
	n := float64(tokens) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/token")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/token")
}

// BenchmarkRemoteStreamParallel drives the client from GOMAXPROCS goroutines.
func BenchmarkRemoteStreamParallel(b *testing.B) {
	be := open(b, canned(b, 64), remote.Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := accel.Request{InputTokens: 128, OutputTokens: 64}
		var res accel.Result
		for pb.Next() {
			res.Reset()
			if err := be.Infer(context.Background(), &req, &res); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkServeStream is a whole round trip through inferbench serve's server
// over a no-op backend: client and server cost together, per request.
func BenchmarkServeStream(b *testing.B) {
	ts := servertest.Start(b, server.Config{})
	be := open(b, ts.URL+"/v1", remote.Config{})
	req := accel.Request{InputTokens: 128, OutputTokens: 64}
	var res accel.Result
	b.ReportAllocs()
	for b.Loop() {
		res.Reset()
		if err := be.Infer(context.Background(), &req, &res); err != nil {
			b.Fatal(err)
		}
	}
}

type gapCount struct{ n int }

func (g *gapCount) RecordGap(time.Duration) { g.n++ }

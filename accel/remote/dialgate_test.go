package remote

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/nettest"
)

// Requests to a port that refuses connections, sent by 8 callers as fast
// as they go (an open loop keeps sending whatever the endpoint does), each
// fail as connect errors, the first with the dial's own message, later ones
// without a dial of their own; the backend dials a few times a second, not
// once per request. Both transports: h1's pool and net/http's dialer go
// through a gate.
func TestRefusingEndpointIsNotDialledPerRequest(t *testing.T) {
	t.Parallel()
	url := nettest.RefusedURL(t)
	for _, tr := range []string{TransportH1, TransportNetHTTP} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			b, err := New(Config{URL: url, Transport: tr})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			dials := b.gate.Dials
			if h, ok := b.tp.(*h1Transport); ok {
				dials = h.pool.Dials
			} else if tr == TransportH1 {
				t.Fatal("no h1 pool")
			}
			const callers, perCaller = 8, 250
			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				messages = map[string]int{}
			)
			start := time.Now()
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range perCaller {
						var res accel.Result
						err := b.Infer(context.Background(), &accel.Request{InputTokens: 4, OutputTokens: 4}, &res)
						msg := "<nil>"
						if err != nil {
							msg = err.Error()
						}
						if res.Class != accel.ClassConnect || !strings.Contains(msg, "refused") {
							msg = "WRONG: class " + string(res.Class) + ": " + msg
						} else if strings.Contains(msg, "not dialled") {
							msg = "not dialled"
						} else {
							msg = "dialled"
						}
						mu.Lock()
						messages[msg]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			n := dials()
			// At most every caller at once before the first refusal, then
			// one probe per interval: 10 ms doubling, up to 1 s.
			limit := int64(callers + 1)
			for t, w := time.Duration(0), 10*time.Millisecond; t+w <= elapsed; t, w = t+w, min(2*w, time.Second) {
				limit++
			}
			t.Logf("%d requests in %v: %v; %d dials (at most %d)", callers*perCaller, elapsed, messages, n, limit)
			for m := range messages {
				if strings.HasPrefix(m, "WRONG") {
					t.Errorf("%d requests: %s", messages[m], m)
				}
			}
			if n > limit || messages["dialled"] > int(n) || messages["not dialled"] < callers*perCaller-int(n) {
				t.Errorf("%d dials, %v: want at most %d dials and every other request failed undialled", n, messages, limit)
			}
		})
	}
}

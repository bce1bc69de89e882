package bench

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// evenTrace is a BurstGPT-format trace of n requests of 4+2 tokens, gap
// apart, for tests that run every scenario.
func evenTrace(n int, gap time.Duration) *Trace {
	var b strings.Builder
	b.WriteString("Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n")
	for i := range n {
		fmt.Fprintf(&b, "%.9f,m,4,2,6,Conversation log\n", (time.Duration(i) * gap).Seconds())
	}
	s := b.String()
	return &Trace{Name: "even.csv", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }}
}

// A timeline keeps at most timelineBuckets buckets: 2,000 s of one request
// a second ends 4 s wide (2 s would need 1,000), every request counted, and
// a merge of two halves is the whole.
func TestTimelineCoarsens(t *testing.T) {
	whole, a, b := newTimeline(), newTimeline(), newTimeline()
	for i := range 2000 {
		at := time.Duration(i) * time.Second
		whole.add(at, time.Millisecond, true)
		if i < 1000 {
			a.add(at, time.Millisecond, true)
		} else {
			b.add(at, time.Millisecond, i%2 == 0)
		}
	}
	if whole.Width != 4*time.Second || len(whole.Buckets) != 500 || whole.Buckets[0].Requests != 4 || whole.Buckets[499].TTFTSum != 4*time.Millisecond {
		t.Errorf("width %v, %d buckets, first %+v", whole.Width, len(whole.Buckets), whole.Buckets[0])
	}
	a.merge(b)
	var n, done int64
	for _, x := range a.Buckets {
		n += x.Requests
		done += x.Completed
	}
	if a.Width != 4*time.Second || len(a.Buckets) != 500 || n != 2000 || done != 1500 {
		t.Errorf("merged: width %v, %d buckets, %d requests, %d completed; want 4s, 500, 2000, 1500", a.Width, len(a.Buckets), n, done)
	}
}

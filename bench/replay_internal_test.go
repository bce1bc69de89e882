package bench

import (
	"fmt"
	"io"
	"strings"
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

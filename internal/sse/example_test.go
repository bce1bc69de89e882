package sse_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/inferbench/inferbench/internal/sse"
)

// A stream as an inference server sends it: a keep-alive comment, CRLF line
// ends, and [DONE] at the end.
func ExampleReader() {
	stream := ": keep-alive\r\n\r\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n" +
		"data: [DONE]\r\n\r\n"
	r := sse.NewReader(4096) // one per in-flight request; Reset for the next stream
	r.Reset(strings.NewReader(stream))
	var ev sse.Event
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Printf("%s (after %d comments)\n", ev.Data, ev.Comments)
	}
	// Output:
	// {"choices":[{"delta":{"content":"Hi"}}]} (after 1 comments)
	// [DONE] (after 0 comments)
}

package openai_test

import (
	"fmt"

	"github.com/inferbench/inferbench/internal/openai"
)

// ParseChunk reads what the client needs from a streamed chunk, without
// allocating: how much text it carries, whether it finishes, and the usage.
func ExampleParseChunk() {
	var c openai.Chunk
	for _, payload := range []string{
		`{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		`{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" Hello"},"finish_reason":null}]}`,
		`{"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`,
	} {
		if err := openai.ParseChunk([]byte(payload), &c); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("text bytes %d, usage %v (%d tokens)\n", c.Content, c.HasUsage, c.CompletionTokens)
	}
	// Output:
	// text bytes 0, usage false (0 tokens)
	// text bytes 6, usage false (0 tokens)
	// text bytes 0, usage true (1 tokens)
}

package remote_test

import (
	"fmt"

	"github.com/inferbench/inferbench/accel/remote"
)

// What leaves the process (errors, reports) carries no credentials from an
// endpoint's URL.
func ExampleRedactURL() {
	fmt.Println(remote.RedactURL("dial http://alice:s3cret@gpu-box:8000/v1: connection refused"))
	// Output:
	// dial http://REDACTED@gpu-box:8000/v1: connection refused
}

// Synthetic prompts are the same for a seed and request on every machine,
// and differ between requests, so a prefix cache serves none from another.
func ExampleAppendSyntheticPrompt() {
	a := remote.AppendSyntheticPrompt(nil, 1, 0, 16)
	b := remote.AppendSyntheticPrompt(nil, 1, 0, 16)
	c := remote.AppendSyntheticPrompt(nil, 1, 1, 16)
	fmt.Println(string(a) == string(b), string(a) == string(c))
	// Output: true false
}

package bench

import (
	"testing"

	"github.com/inferbench/inferbench/accel/noop"
)

// BenchmarkRunClosedNoop is a whole closed-loop run of b.N requests on noop
// with two workers, through Benchmark as a user's go test -bench would: the
// dispatcher's chunking, the workers' locks and the merge, per request.
func BenchmarkRunClosedNoop(b *testing.B) {
	c := noopConfig(0)
	c.Concurrency = 2
	Benchmark(b, noop.Backend{}, c)
}

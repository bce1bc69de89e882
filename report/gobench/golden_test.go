package gobench_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/inferbench/inferbench/internal/golden"
	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report/gobench"
)

// The whole gobench text, golden: two backends (so names carry backend=),
// three repetitions of one configuration sharing a name (energy and cost
// on each line), one failed and one invalid run (comments, no lines), a run
// that completed nothing, and a labelled single run with its too-few note.
func TestGoldenGobench(t *testing.T) {
	rep := reps(3, 1, 3000, 250) // sim:h100-sxm, priced, with energy
	rep.Runs[1].Failed, rep.Runs[1].FailReason = true, "error rate 40.0% above --max-error-rate 5.0%"
	rep.Runs[2].Valid, rep.Runs[2].InvalidReasons = false, []string{"schedule lag p99 40 ms", "recorded 90 requests, below the minimum 100"}
	endpoint := reporttest.Run(reporttest.Spec{Backend: "http://127.0.0.1:8000/v1", N: 450, MedianMS: 400, Seed: 13})
	endpoint.Label = "chat/closed-8/1"
	empty := reporttest.Run(reporttest.Spec{Backend: "http://127.0.0.1:8000/v1", N: 0, MedianMS: 400, Seed: 14, Rate: 2})
	rep.Runs = append(rep.Runs, endpoint, empty)
	var buf bytes.Buffer
	if err := gobench.Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	read(t, buf.Bytes()) // benchfmt reads it without a syntax error
	golden.Check(t, filepath.Join("testdata", "golden.txt"), buf.Bytes())
}

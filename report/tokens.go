package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/bench"
)

// InputTokensTolerance is how far, as a share of the requested length, the
// mean served prompt may be from the requested one before the run is warned
// about: a chat template adds a few tokens, a different tokenizer a few
// percent.
const InputTokensTolerance = 0.05

// tokenWarnings says when a run's workload was not served as labelled: some
// completed requests returned fewer output tokens than asked, or the server
// read prompts of a mean length more than InputTokensTolerance away from the
// requested one. Neither makes the timings wrong, but both make them the
// timings of another workload than the label says.
func tokenWarnings(workload string, r *bench.Result) []string {
	if r.Completed == 0 {
		return nil
	}
	name := "the workload"
	if workload != "" {
		name = "workload " + workload
	}
	var out []string
	if r.ShortOutputs > 0 {
		w := fmt.Sprintf("%d of %d completed requests returned fewer output tokens than asked (%.1f on average, %.1f asked",
			r.ShortOutputs, r.Completed, float64(r.OutputTokens)/float64(r.Completed), float64(r.RequestedOutputTokens)/float64(r.Completed))
		if f := finishList(r.FinishReasons); f != "" {
			w += "; finish reasons " + f
		}
		w += "; server ignored ignore_eos/min_tokens?)"
		if r.Counted == accel.CountedChunks {
			w += ", counted by chunks without a usage block: a server that sends several tokens a chunk also reads as short"
		}
		out = append(out, w+": "+name+" was not served as labelled")
	}
	if r.InputTokensCounted != accel.CountedRequested && r.RequestedInputTokens > 0 {
		served := float64(r.InputTokens) / float64(r.Completed)
		asked := float64(r.RequestedInputTokens) / float64(r.Completed)
		if d := served/asked - 1; math.Abs(d) > InputTokensTolerance {
			more := "more"
			if d < 0 {
				more = "fewer"
			}
			out = append(out, fmt.Sprintf("the server read %.1f input tokens per request on average, %.1f%% %s than the %.1f requested (its chat template and tokenizer count too): %s was not served as labelled",
				served, math.Abs(d)*100, more, asked, name))
		}
	}
	return out
}

// finishList is "length 18, stop 12": the counts by reason, most first.
func finishList(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

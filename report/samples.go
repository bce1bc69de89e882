package report

import "github.com/HdrHistogram/hdrhistogram-go"

// Values draws the values recorded in a histogram of nanoseconds, in
// milliseconds and ascending order, for tests that want samples rather than
// summaries. A histogram of at most limit values gives all of them (each at its
// bucket's midpoint, within the histogram's 0.1% precision); a larger one gives
// limit values by systematic sampling over the ranks — the values at ranks
// (i+½)·n/limit — which keeps the distribution's shape and makes a rank test on
// them conservative (it sees fewer samples than were taken). limit < 1 means no
// limit.
func Values(h *hdrhistogram.Histogram, limit int) []float64 {
	n := h.TotalCount()
	if n == 0 {
		return nil
	}
	take := n
	if limit > 0 && n > int64(limit) {
		take = int64(limit)
	}
	out := make([]float64, 0, take)
	step := float64(n) / float64(take)
	next := step / 2 // rank (0-based, fractional) of the next value to take
	var seen int64
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		v := float64(b.From+b.To) / 2 / nsPerMS
		seen += b.Count
		for len(out) < int(take) && next < float64(seen) {
			out = append(out, v)
			next += step
		}
	}
	return out
}

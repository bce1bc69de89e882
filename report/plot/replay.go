package plot

import "github.com/inferbench/inferbench/report"

// tracePanels are a replay's request rate and TTFT over trace time (after
// the speedup), where the run replayed a trace: the bursts the trace had,
// and what they did to time to first token.
func tracePanels(label string, r *report.Run) []Panel {
	t := r.Trace
	if t == nil || len(t.Timeline) == 0 {
		return nil
	}
	x := "time since the trace's first request (s)"
	if t.Speedup > 0 && t.Speedup != 1 {
		x = "time since the trace's first request (s, after the speedup)"
	}
	rate := Panel{Title: "Request rate over the trace: " + label, XLabel: x, YLabel: "requests/s"}
	ttft := Panel{Title: "TTFT over the trace: " + label, XLabel: x, YLabel: "TTFT (ms)"}
	var rs, mean, peak []Point
	for _, p := range t.Timeline {
		rs = append(rs, Point{X: p.StartS, Y: p.RatePerS})
		if p.Completed > 0 {
			mean = append(mean, Point{X: p.StartS, Y: p.TTFTMeanMs})
			peak = append(peak, Point{X: p.StartS, Y: p.TTFTMaxMs})
		}
	}
	rate.Series = []Series{{Label: label, Points: rs}}
	out := []Panel{rate}
	if len(mean) > 0 {
		ttft.Series = []Series{{Label: label + " mean", Points: mean}, {Label: label + " max", Points: peak}}
		out = append(out, ttft)
	}
	return out
}

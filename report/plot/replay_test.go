package plot

import (
	"bytes"
	"testing"

	"github.com/inferbench/inferbench/report"
)

// A replayed run gives a rate panel and a TTFT panel, its points the
// timeline's, and renders; a run without a trace gives neither.
func TestTracePanels(t *testing.T) {
	r := &report.Run{Backend: report.Backend{ID: "sim:h100-sxm"}, Trace: &report.TraceRun{Name: "azure-conv", Speedup: 10, BucketS: 1, Timeline: []report.TracePoint{
		{StartS: 0, Requests: 3, RatePerS: 3, Completed: 3, TTFTMeanMs: 20, TTFTMaxMs: 30},
		{StartS: 1, Requests: 0},
		{StartS: 2, Requests: 5, RatePerS: 5, Completed: 5, TTFTMeanMs: 40, TTFTMaxMs: 90},
	}}}
	ps := tracePanels("sim:h100-sxm", r)
	if len(ps) != 2 || len(ps[0].Series[0].Points) != 3 || ps[0].Series[0].Points[2].Y != 5 || len(ps[1].Series) != 2 || len(ps[1].Series[0].Points) != 2 || ps[1].Series[1].Points[1].Y != 90 {
		t.Fatalf("panels %+v", ps)
	}
	if ps[0].XLabel != "time since the trace's first request (s, after the speedup)" {
		t.Errorf("x label %q", ps[0].XLabel)
	}
	var buf bytes.Buffer
	if err := (Data{Panels: ps}).Render(&buf, "svg"); err != nil || buf.Len() == 0 {
		t.Errorf("render: %v, %d bytes", err, buf.Len())
	}
	if ps := tracePanels("x", &report.Run{}); ps != nil {
		t.Errorf("no trace: %+v", ps)
	}
}

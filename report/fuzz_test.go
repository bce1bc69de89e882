package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/report"
)

// FuzzDecode feeds arbitrary documents to the report decoder and to the
// histogram decoder behind compare and merge: either may refuse, neither may
// panic, and what the decoder accepts must survive a round trip.
func FuzzDecode(f *testing.F) {
	enc, _ := report.EncodeHist(hist(time.Millisecond, 3*time.Millisecond, time.Second))
	f.Add(`{"schema":"inferbench.report/v1","runs":[]}`)
	f.Add(`{"schema":"inferbench.report/v1","runs":[{"backend":{"id":"noop"},"histograms":{"latency":"` + enc + `"}}]}`)
	f.Add(`{"schema":"inferbench.report/v1","runs":[{"backend":{"id":"noop"},"histograms":{"latency":"` + enc[:len(enc)/2] + `"}}]}`)
	f.Add(`{"schema":"inferbench.report/v1.2","future":[1,2,3],"runs":null}`)
	f.Add(`{"schema":"inferbench.report/v9","runs":[]}`)
	f.Add(`{"schema":"inferbench.report/v1","runs":[{"backend":`)
	f.Add(`not json at all`)
	f.Add(`{"schema":"inferbench.report/v1","runs":[{"latency_ms":{"p50":"x"}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		rep, err := report.Decode(strings.NewReader(doc))
		if err != nil {
			return
		}
		for _, r := range rep.Runs {
			for _, h := range r.Histograms {
				if g, err := report.DecodeHist(h); err == nil {
					report.Summarize(g)
				}
			}
		}
		var buf bytes.Buffer
		if err := rep.Encode(&buf); err != nil {
			t.Fatalf("accepted report does not encode: %v", err)
		}
		if _, err := report.Decode(&buf); err != nil {
			t.Fatalf("accepted report does not decode after a round trip: %v", err)
		}
	})
}

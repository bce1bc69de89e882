package report_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferbench/inferbench/report"
)

func hist(values ...time.Duration) *hdrhistogram.Histogram {
	h := hdrhistogram.New(1, int64(time.Hour), 3)
	for _, v := range values {
		_ = h.RecordValue(int64(v))
	}
	return h
}

func TestSummarizeOrderedWithCIs(t *testing.T) {
	t.Parallel()
	var vs []time.Duration
	for i := 1; i <= 1000; i++ {
		vs = append(vs, time.Duration(i)*time.Millisecond)
	}
	s := report.Summarize(hist(vs...))
	if s.Count != 1000 {
		t.Fatalf("count %d", s.Count)
	}
	ordered := []float64{s.Min, s.P50, s.P90, s.P95, s.P99, s.P999, s.Max}
	for i := 1; i < len(ordered); i++ {
		if ordered[i] < ordered[i-1] {
			t.Fatalf("percentiles out of order: %v", ordered)
		}
	}
	if s.P50 < 499 || s.P50 > 501 || s.Mean < 499 || s.Mean > 502 {
		t.Errorf("p50 %.2f mean %.2f, want about 500 ms", s.P50, s.Mean)
	}
	// Uniform 1..1000: stddev is 1000/√12 ≈ 288.7.
	if s.Stddev < 285 || s.Stddev > 292 {
		t.Errorf("stddev %.1f, want about 288.7", s.Stddev)
	}
	for name, ci := range s.CI95 {
		if ci[0] > ci[1] {
			t.Errorf("%s CI %v inverted", name, ci)
		}
	}
	if ci := s.CI95["p50"]; ci[0] > s.P50 || ci[1] < s.P50 || ci[1]-ci[0] > 70 {
		t.Errorf("p50 CI %v does not bracket %.1f tightly", ci, s.P50)
	}
	// A p99.9 from 1,000 samples cannot be bounded: no interval, named open
	// (the max written as its bound would claim a certainty it lacks).
	if ci, ok := s.CI95["p999"]; ok || !slices.Contains(s.CI95Open, "p999") {
		t.Errorf("p99.9 CI %v, open %v: want no interval and p999 open", ci, s.CI95Open)
	}
	if z := report.Summarize(hist()); z.Count != 0 || z.P99 != 0 {
		t.Errorf("empty summary %+v", z)
	}
}

func TestHistRoundTrip(t *testing.T) {
	t.Parallel()
	h := hist(time.Millisecond, 2*time.Millisecond, time.Second)
	enc, err := report.EncodeHist(h)
	if err != nil {
		t.Fatal(err)
	}
	g, err := report.DecodeHist(enc)
	if err != nil {
		t.Fatal(err)
	}
	if g.TotalCount() != 3 || g.Max() != h.Max() || g.ValueAtQuantile(50) != h.ValueAtQuantile(50) {
		t.Errorf("round trip changed the histogram")
	}
	if _, err := report.DecodeHist("!!!"); err == nil {
		t.Error("DecodeHist accepted garbage")
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"v1", `{"schema":"inferbench.report/v1","runs":[]}`, true},
		{"v1 minor", `{"schema":"inferbench.report/v1.3","runs":[],"future_field":{"x":1}}`, true},
		{"v9", `{"schema":"inferbench.report/v9","runs":[]}`, false},
		{"v10", `{"schema":"inferbench.report/v10","runs":[]}`, false},
		{"no schema", `{"runs":[]}`, false},
		{"truncated", `{"schema":"inferbench.report/v1","runs":[{"backend":`, false},
		{"garbage", `not json at all`, false},
	}
	for _, tt := range tests {
		_, err := report.Decode(strings.NewReader(tt.doc))
		if (err == nil) != tt.ok {
			t.Errorf("%s: Decode() = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, report.ErrSchema) {
			t.Errorf("%s: error %v does not wrap ErrSchema", tt.name, err)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	r := report.New("test", report.Config{Backends: []string{"noop"}, Model: "m", Scenario: "closed", Seed: 7})
	r.Runs = append(r.Runs, report.Run{Latency: report.Summarize(hist(time.Millisecond))})
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := report.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.Seed != 7 || len(got.Runs) != 1 || got.Runs[0].Latency.Count != 1 || got.Schema != report.Schema {
		t.Errorf("round trip: %+v", got)
	}
}

func TestWriteTextRanksByThroughput(t *testing.T) {
	t.Parallel()
	r := &report.Report{Runs: []report.Run{
		{Backend: report.Backend{ID: "sim:slow"}, Throughput: report.Throughput{OutputTokensPerS: 10}},
		{Backend: report.Backend{ID: "sim:fast"}, Throughput: report.Throughput{OutputTokensPerS: 1000}},
	}}
	var buf bytes.Buffer
	if err := report.WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Index(out, "sim:fast") > strings.Index(out, "sim:slow") {
		t.Errorf("fast backend not ranked first:\n%s", out)
	}
}

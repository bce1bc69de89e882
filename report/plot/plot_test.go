package plot_test

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/golden"
	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/plot"
)

// inputs are two reports: a sweep of one backend over three rates, and a
// second backend at one rate with a telemetry timeline.
func inputs() []plot.Input {
	var sweep []report.Run
	for i, rate := range []float64{2, 4, 8} {
		sweep = append(sweep, reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 120 * (i + 1), MedianMS: 100 * float64(i+1), Seed: uint64(i), Rate: rate}))
	}
	l4 := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 300, MedianMS: 900, Seed: 7, Rate: 4})
	l4.Telemetry = &report.Telemetry{Source: "nvml", IntervalMS: 1000, Devices: []report.DeviceTelemetry{{
		Device: "nvml:0",
		Series: report.TelemetrySeries{
			TS:         report.Floats{0, 1, 2, 3},
			PowerW:     report.Floats{20, 60, 70, 68},
			GPUUtilPct: report.Floats{0, 95, 100, math.NaN()},
		},
	}}}
	return []plot.Input{{Name: "sweep.json", Report: reporttest.Report(sweep...)}, {Name: "l4.json", Report: reporttest.Report(l4)}}
}

// The golden file holds the series behind the plots: what they show, checked
// without comparing image bytes.
func TestComputeGolden(t *testing.T) {
	d, err := plot.Compute(inputs())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.CheckJSON(t, filepath.Join("testdata", "data.golden.json"), got)
	var titles []string
	for _, p := range d.Panels {
		titles = append(titles, p.Title)
	}
	for _, want := range []string{"Latency distribution", "Throughput vs p99", "Power over the run: sim:l4", "Utilization over the run: sim:l4"} {
		if !strings.Contains(strings.Join(titles, "|"), want) {
			t.Errorf("panels %q lack %q", titles, want)
		}
	}
	cdf := d.Panels[0]
	if len(cdf.Series) != 4 {
		t.Fatalf("CDF series %d, want one per run (4)", len(cdf.Series))
	}
	for _, s := range cdf.Series {
		for i := 1; i < len(s.Points); i++ {
			if s.Points[i].Y < s.Points[i-1].Y || s.Points[i].X <= s.Points[i-1].X {
				t.Fatalf("%s: CDF not monotone at %d: %v", s.Label, i, s.Points[i-1:i+1])
			}
		}
	}
	// 120 samples resolve the tail to log10(120) ≈ 2.08 nines (p99.2).
	if last := cdf.Series[0].Points[len(cdf.Series[0].Points)-1]; last.X > 2.1 || last.X < 2.0 {
		t.Errorf("CDF of 120 samples reaches %v nines, want about 2.08", last.X)
	}
	sw := d.Panels[1]
	if len(sw.Series) != 1 || len(sw.Series[0].Points) != 3 || sw.Series[0].Label != "sim:h100-sxm" {
		t.Errorf("sweep panel %+v: want one backend at three loads", sw.Series)
	}
	util := d.Panels[3]
	if n := len(util.Series[0].Points); n != 3 {
		t.Errorf("utilization points %d, want 3 (the missing reading left out)", n)
	}
}

func TestRenderPNGAndSVG(t *testing.T) {
	t.Parallel()
	d, err := plot.Compute(inputs())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ format, magic string }{{"png", "\x89PNG\r\n\x1a\n"}, {"svg", "<?xml"}} {
		var buf bytes.Buffer
		if err := d.Render(&buf, tt.format); err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte(tt.magic)) {
			t.Errorf("%s: starts %q", tt.format, buf.Bytes()[:8])
		}
		if tt.format == "svg" {
			for _, s := range []string{"<svg", "Latency distribution", "sim:l4", "percentile", "latency (ms)", "power (W)"} {
				if !strings.Contains(buf.String(), s) {
					t.Errorf("svg lacks %q", s)
				}
			}
		}
	}
	if err := d.Render(&bytes.Buffer{}, "gif"); err == nil || !strings.Contains(err.Error(), "png or svg") {
		t.Errorf("gif: %v", err)
	}
	if err := (plot.Data{}).Render(&bytes.Buffer{}, "png"); err == nil {
		t.Error("empty data rendered")
	}
}

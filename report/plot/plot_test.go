package plot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	for _, want := range []string{"Latency distribution: chat (llama-3.1-8b), 3 loads", "Throughput vs interactivity frontier: chat (llama-3.1-8b)",
		"Latency p99 vs throughput", "TTFT p99 vs throughput", "TPOT p99 vs throughput", "Power over the run: sim:l4", "Utilization over the run: sim:l4"} {
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
	fr := d.Panels[1]
	if len(fr.Series) != 1 || len(fr.Series[0].Points) != 3 || fr.Series[0].Points[2].Label != "2 req/s" {
		t.Errorf("frontier panel %+v: want one backend at three loads, labelled", fr.Series)
	}
	for _, sw := range d.Panels[2:5] {
		if len(sw.Series) != 1 || len(sw.Series[0].Points) != 3 || sw.Series[0].Label != "sim:h100-sxm" {
			t.Errorf("%s: %+v: want one backend at three loads", sw.Title, sw.Series)
		}
	}
	util := d.Panels[6]
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

// A sweep judged by an SLO plots the SLO's percentile of its metric, with
// the bound across the panel; the other metrics keep p99.
func TestSweepSLOLine(t *testing.T) {
	var runs []report.Run
	for i, rate := range []float64{2, 4} {
		r := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 200, MedianMS: 100 * float64(i+1), Seed: uint64(i), Rate: rate})
		r.Scenario.Name = "max-rate"
		r.Scenario.SLO = []report.SLO{{Objective: "ttft-p90=15ms", Met: i == 0}}
		runs = append(runs, r)
	}
	d, err := plot.Compute([]plot.Input{{Name: "mr.json", Report: reporttest.Report(runs...)}})
	if err != nil {
		t.Fatal(err)
	}
	var ttft *plot.Panel
	for i := range d.Panels {
		if strings.HasPrefix(d.Panels[i].Title, "TTFT p90 vs throughput") {
			ttft = &d.Panels[i]
		}
		if strings.HasPrefix(d.Panels[i].Title, "TPOT") && len(d.Panels[i].HLines) > 0 {
			t.Errorf("%s: an SLO line, but the SLO is on TTFT", d.Panels[i].Title)
		}
	}
	if ttft == nil {
		t.Fatalf("no TTFT p90 panel: %+v", d.Panels)
	}
	if len(ttft.HLines) != 1 || ttft.HLines[0].Y != 15 || ttft.HLines[0].Label != "SLO ttft-p90=15ms" {
		t.Errorf("TTFT lines %+v, want the 15 ms bound", ttft.HLines)
	}
	// TTFT is a tenth of latency in reporttest: its p90 at the first rate is
	// latency p90 / 10.
	if got, want := ttft.Series[0].Points[0].Y, runs[0].TTFT.P90; math.Abs(got-want) > want*1e-3 {
		t.Errorf("TTFT p90 point %v, want %v", got, want)
	}
}

// The palette keeps 16 series apart: no two colours closer than a visible
// step (Euclidean distance in RGB above 60), and no colour too pale on
// white.
func TestPaletteSixteen(t *testing.T) {
	p := plot.Palette()
	if len(p) < plot.MaxSeries {
		t.Fatalf("%d colours, want %d", len(p), plot.MaxSeries)
	}
	for i := range p {
		if lum := 0.2126*float64(p[i].R) + 0.7152*float64(p[i].G) + 0.0722*float64(p[i].B); lum > 215 {
			t.Errorf("colour %d %v too pale on white (luminance %.0f)", i, p[i], lum)
		}
		for j := i + 1; j < len(p); j++ {
			dr, dg, db := float64(p[i].R)-float64(p[j].R), float64(p[i].G)-float64(p[j].G), float64(p[i].B)-float64(p[j].B)
			if d := math.Sqrt(dr*dr + dg*dg + db*db); d < 60 {
				t.Errorf("colours %d %v and %d %v are %.0f apart", i, p[i], j, p[j], d)
			}
		}
	}
}

// Sixteen backends draw sixteen colours, and one backend keeps its colour
// from panel to panel: the SVG holds each colour once per panel it is in.
func TestSixteenSeriesRender(t *testing.T) {
	var runs []report.Run
	for i := range plot.MaxSeries {
		runs = append(runs, reporttest.Run(reporttest.Spec{Backend: fmt.Sprintf("sim:dev%02d", i), N: 50, MedianMS: float64(100 + 10*i), Seed: uint64(i)}))
	}
	d, err := plot.Compute([]plot.Input{{Name: "r.json", Report: reporttest.Report(runs...)}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := d.Render(&buf, "svg"); err != nil {
		t.Fatal(err)
	}
	for i, c := range plot.Palette() {
		if hex := fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B); !strings.Contains(buf.String(), hex) {
			t.Errorf("series %d's colour %s not drawn", i, hex)
		}
	}
}

// A log axis over a narrow range (every user served at 166 to 171 tok/s)
// still has numbers on it.
func TestLogTicksNarrowRange(t *testing.T) {
	d := plot.Data{Panels: []plot.Panel{{Title: "narrow", LogX: true, LogY: true, Series: []plot.Series{{Label: "a",
		Points: []plot.Point{{X: 165.9, Y: 170}, {X: 170.6, Y: 2700}}}}}}}
	var buf bytes.Buffer
	if err := d.Render(&buf, "svg"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">166<", ">170<"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("narrow log axis lacks the tick %s", want)
		}
	}
}

// A frontier point whose run is not an answer (invalid, failed, or missed
// its SLO) is marked missed, labelled so and drawn crossed out.
func TestFrontierMarksMissedPoints(t *testing.T) {
	t.Parallel()
	in := inputs()
	run := &in[0].Report.Runs[1]
	run.Valid, run.InvalidReasons = false, []string{"schedule lag p99 above the budget"}
	d, err := plot.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	var missed []plot.Point
	for _, p := range d.Panels {
		if p.Kind != "frontier" {
			continue
		}
		for _, s := range p.Series {
			for _, pt := range s.Points {
				if pt.Missed {
					missed = append(missed, pt)
				}
			}
		}
	}
	if len(missed) != 1 || !strings.HasSuffix(missed[0].Label, " missed") {
		t.Fatalf("missed points %+v: want the invalid run's, labelled", missed)
	}
	var b bytes.Buffer
	if err := d.Render(&b, "svg"); err != nil || b.Len() == 0 {
		t.Fatalf("render: %v", err)
	}
}

// What a server's /metrics said (--scrape) is plotted over the run:
// running and waiting requests, and the KV cache's use in percent.
func TestServerMetricsPanels(t *testing.T) {
	t.Parallel()
	rep := reporttest.Report(reporttest.Run(reporttest.Spec{Backend: "http://127.0.0.1:8000/v1", N: 50, MedianMS: 40, Seed: 4, Rate: 5}))
	rep.Runs[0].ServerMetrics = &report.ServerMetrics{Source: "http://127.0.0.1:8000/metrics", Samples: 3,
		Timeline: []report.ServerSample{{AtS: 0, Running: 1, Waiting: 0, KVUsage: 0.1}, {AtS: 1, Running: 8, Waiting: 3, KVUsage: 0.6}, {AtS: 2, Running: 4, KVUsage: 0.3}}}
	d, err := plot.Compute([]plot.Input{{Name: "r.json", Report: rep}})
	if err != nil {
		t.Fatal(err)
	}
	var got []plot.Panel
	for _, p := range d.Panels {
		if p.Kind == "server" {
			got = append(got, p)
		}
	}
	if len(got) != 2 || len(got[0].Series) != 2 || got[0].Series[1].Points[1].Y != 3 || got[1].Series[0].Points[1].Y != 60 {
		t.Fatalf("server panels %+v: want running/waiting (3 waiting at 1 s) and KV use (60%% at 1 s)", got)
	}
}

package html_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/html"
)

// wideReport is what a hardware buyer's report holds: a priced sweep with
// an SLO on one backend, three more backends (one on several chips, one a
// long endpoint URL) and energy on the simulated ones: every column full.
func wideReport() *report.Report {
	var runs []report.Run
	for i, c := range []int{1, 4, 16} {
		r := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 300 * (i + 1), MedianMS: 200 * float64(i+1), Seed: uint64(i), Joules: 0.5 / float64(i+1)})
		r.Scenario = report.Scenario{Name: "sweep", Concurrency: c, Virtual: true,
			SLO: []report.SLO{{Objective: "ttft-p99=100ms", ObservedMS: r.TTFT.P99, Met: r.TTFT.P99 <= 100}}}
		runs = append(runs, r)
	}
	for i, spec := range []reporttest.Spec{
		{Backend: "sim:l4?chips=2", Profile: "l4", Chips: 2, N: 400, MedianMS: 900, Joules: 0.3},
		{Backend: "sim:inf2?chips=12", Profile: "inf2", Chips: 12, N: 500, MedianMS: 700, Joules: 0.25},
		{Backend: "https://a-long-inference-endpoint-name.example.internal:8443/openai/deployments/llama-3-1-8b/v1", N: 350, MedianMS: 500},
	} {
		spec.Seed = uint64(10 + i)
		r := reporttest.Run(spec)
		r.Scenario = report.Scenario{Name: "sweep", Concurrency: 16, Virtual: true}
		runs = append(runs, r)
	}
	rep := reporttest.Report(runs...)
	report.DefaultPrices().AddCosts(rep)
	rep.Runs[len(rep.Runs)-1].Cost = nil
	return rep
}

// At 1,280 px the report page shows every table whole (no table, and not
// the page, wider than the window), the bar charts side by side and every
// plot; a screenshot is kept where INFERBENCH_SCREENSHOTS names a folder.
func TestNoOverflowAt1280(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "wide.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := html.WriteReport(f, "wide.json", wideReport()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("table.runs"))); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("chromium: the plots did not load: %v", err)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const w = document.documentElement.clientWidth, out = [];
		if (document.documentElement.scrollWidth > w) out.push("page " + document.documentElement.scrollWidth + " > " + w);
		document.querySelectorAll("table, .charts, img").forEach((e, i) => {
			const r = e.getBoundingClientRect();
			if (r.right > w + 0.5) out.push(e.tagName + "." + e.className + " #" + i + " right " + Math.round(r.right) + " > " + w);
		});
		return out;
	})()`))
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".chart").length`))
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	images, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.images.length`))
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if len(overflow) > 0 {
		t.Errorf("at 1280 px, wider than the window: %s", strings.Join(overflow, "; "))
	}
	if charts != 4 || images < 3 {
		t.Errorf("%d bar charts and %d images, want 4 charts (tok/s, $/1M tok, J/token, TTFT p99) and the frontier, sweep and latency plots", charts, images)
	}
	if d := os.Getenv("INFERBENCH_SCREENSHOTS"); d != "" {
		if err := os.WriteFile(filepath.Join(d, "report-1280.png"), shot, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// The side-by-side charts mark the best backend of each figure: most tokens
// per second, the fewest dollars, joules and milliseconds.
func TestChartsMarkTheBest(t *testing.T) {
	var b strings.Builder
	rep := wideReport()
	if err := html.WriteReport(&b, "wide.json", rep); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(page, `<div class="bar best">`); n < 4 {
		t.Errorf("%d bars marked best, want one per chart (4)", n)
	}
	// sim:h100-sxm's sweep passed its TTFT SLO only at c=1 (1000 tok/s), so
	// the most tokens per second of a passing run are sim:inf2's: 500
	// requests × 200 tokens / 60 s.
	want := fmt.Sprintf(`★ sim:inf2?chips=12 (c=16)</span><span class="track"><span class="fill" style="width:100.0%%"></span><span class="val">%s tok/s`, report.Num(500*200/60.0))
	if !strings.Contains(page, want) {
		t.Errorf("the tok/s chart does not mark sim:inf2 best:\n%s", page[strings.Index(page, `<div class="charts">`):][:1500])
	}
	if !strings.Contains(page, `<span class="who">sim:h100-sxm (c=1)</span>`) {
		t.Errorf("sim:h100-sxm is not shown at c=1, its one load that met the SLO")
	}
	if strings.Count(page, "price of sim:h100-sxm") != 1 {
		t.Errorf("the price note of sim:h100-sxm is not said exactly once")
	}
}

// A max-rate search's answer is said above the table and its run marked.
func TestMaxRateAnswerShown(t *testing.T) {
	var runs []report.Run
	for _, rate := range []float64{4, 8, 6} {
		r := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 200, MedianMS: 100 * rate, Seed: uint64(rate), Rate: rate})
		r.Scenario.Name = "max-rate"
		r.Scenario.SLO = []report.SLO{{Objective: "latency-p99=2s", Met: rate < 8}}
		if rate == 6 {
			m := 6.0
			r.Scenario.MaxRate = &m
		}
		runs = append(runs, r)
	}
	var b strings.Builder
	if err := html.WriteReport(&b, "mr.json", reporttest.Report(runs...)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, `<p class="answer">sim:l4: max rate 6 req/s meets latency-p99=2s`) {
		t.Errorf("the page does not state the answer")
	}
	if n := strings.Count(page, `<tr class="answer">`); n != 1 {
		t.Errorf("%d rows marked as the answer, want 1", n)
	}
	if i, j := strings.Index(page, `<td class="l ld">4 req/s`), strings.Index(page, `<td class="l ld">8 req/s`); i < 0 || j < i {
		t.Errorf("probes not in load order (4 before 8): %d, %d", i, j)
	}
}

package html_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
	"github.com/inferbench/inferbench/report/html"
)

func reports() (base, next *report.Report) {
	base = reporttest.Report(reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 1000, MedianMS: 100, Seed: 1, Joules: 0.5, Rate: 5}))
	next = reporttest.Report(reporttest.Run(reporttest.Spec{Backend: "sim:l4", Profile: "l4", N: 500, MedianMS: 900, Seed: 2, Joules: 0.2, Rate: 5}))
	report.DefaultPrices().AddCosts(base)
	report.DefaultPrices().AddCosts(next)
	return base, next
}

// The page is self-contained: nothing in it points off the page.
func TestSelfContained(t *testing.T) {
	t.Parallel()
	base, next := reports()
	res, err := compare.Compare(compare.Input{Name: "h100.json", Report: base}, []compare.Input{{Name: "l4.json", Report: next}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := html.WriteReport(&a, "h100.json", base); err != nil {
		t.Fatal(err)
	}
	if err := html.WriteComparison(&b, res, []compare.Input{{Name: "h100.json", Report: base}, {Name: "l4.json", Report: next}}); err != nil {
		t.Fatal(err)
	}
	for name, page := range map[string]string{"report": a.String(), "compare": b.String()} {
		for _, bad := range []string{`src="http`, `href="http`, `src="//`, "<script", "@import", "url(http"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s page holds %q: not self-contained", name, bad)
			}
		}
		if !strings.Contains(page, `src="data:image/svg`) {
			t.Errorf("%s page lacks its embedded plot", name)
		}
	}
}

// chromium finds a Chromium or Chrome binary, or says why the test skips.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: the browser test needs it (apt-get install -y chromium; .ci/run installs it)")
	return ""
}

// In a real headless browser the comparison page renders, shows the numbers
// and its plot, and fetches nothing from the network.
func TestRendersInChromium(t *testing.T) {
	exe := chromium(t)
	base, next := reports()
	inputs := []compare.Input{{Name: "h100.json", Report: base}, {Name: "l4.json", Report: next}}
	res, err := compare.Compare(inputs[0], inputs[1:], compare.Options{CrossHardware: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "compare.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := html.WriteComparison(f, res, inputs); err != nil {
		t.Fatal(err)
	}
	f.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// The listener runs on chromedp's reader goroutine: it only appends
	// under a lock.
	var mu sync.Mutex
	var fetched []string
	err = chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			u := e.Request.URL
			if !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") {
				mu.Lock()
				fetched = append(fetched, u)
				mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("table.compare"))); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("chromium: text of %s: %v", sel, err)
		}
		return s
	}
	verdict, table, runs := text("#verdict"), text("table.compare"), text("table.runs")
	imgWidth, err := chromedp.Run(ctx, chromedp.Poll[int](`document.getElementById("plots").complete && document.getElementById("plots").naturalWidth`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("chromium: the plot did not load: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(verdict, "regression") || !strings.Contains(verdict, "sim:l4") {
		t.Errorf("verdict %q: want the regressions named", verdict)
	}
	row := res.Groups[0].Rows[4] // latency p99
	for _, want := range []string{"latency p99", report.Num(row.Base), report.Num(row.Cells[0].New), row.Cells[0].Delta()} {
		if !strings.Contains(table, want) {
			t.Errorf("rendered comparison lacks %q:\n%s", want, table)
		}
	}
	if !strings.Contains(runs, "sim:h100-sxm") || !strings.Contains(runs, report.Num(base.Runs[0].Cost.USDPerMillionOutputTokens)) {
		t.Errorf("rendered runs table lacks the backend or its cost:\n%s", runs)
	}
	if imgWidth <= 0 {
		t.Errorf("embedded plot did not load (naturalWidth %d)", imgWidth)
	}
	if len(fetched) > 0 {
		t.Errorf("the page fetched from the network: %v", fetched)
	}
}

// A replayed trace's credit, the prefix cache's hit rate and TTFT by turn
// are in the page's notes, as in the text report.
func TestReplayNotes(t *testing.T) {
	t.Parallel()
	rep := reporttest.Report(reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", Profile: "h100-sxm", N: 100, MedianMS: 100, Seed: 3, Rate: 5}))
	run := &rep.Runs[0]
	run.Trace = &report.TraceRun{Name: "azure-conv", Attribution: "Azure LLM inference trace 2023, CC-BY 4.0"}
	run.PrefixCache = &report.PrefixCache{HitRate: 0.25, HitTokens: 250, InputTokens: 1000, Occupancy: 0.5}
	run.TTFTByTurn = []report.TurnTTFT{{Turn: 0, P50: 12}, {Turn: 1, P50: 15}}
	var b strings.Builder
	if err := html.WriteReport(&b, "replay.json", rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"trace azure-conv: Azure LLM inference trace 2023, CC-BY 4.0", "25.0% of prompt tokens served from it", "TTFT p50 by turn (ms): 12"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

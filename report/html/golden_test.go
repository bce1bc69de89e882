package html_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/inferbench/inferbench/internal/golden"
	"github.com/inferbench/inferbench/report/compare"
	"github.com/inferbench/inferbench/report/html"
)

// plotData is the embedded plot: a base64 SVG of tens of kilobytes whose
// series report/plot's own golden file holds (html/template writes its '+'
// as &#43;). The pages' goldens hold a placeholder for its bytes.
var plotData = regexp.MustCompile(`(data:image/svg(?:\+|&#43;)xml;base64,)(?:[A-Za-z0-9/=+]|&#43;)+`)

// withoutPlot replaces the page's embedded plots with a placeholder, and
// fails t unless there is at least one.
func withoutPlot(t *testing.T, page []byte) []byte {
	t.Helper()
	if n := len(plotData.FindAll(page, -1)); n < 1 {
		t.Errorf("page holds %d embedded plots, want at least 1", n)
	}
	return plotData.ReplaceAll(page, []byte("${1}PLOT"))
}

// The report page and the comparison page, golden but for the plot's bytes.
func TestGoldenPages(t *testing.T) {
	base, next := reports()
	inputs := []compare.Input{{Name: "h100.json", Report: base}, {Name: "l4.json", Report: next}}
	res, err := compare.Compare(inputs[0], inputs[1:], compare.Options{CrossHardware: true})
	if err != nil {
		t.Fatal(err)
	}
	var rep, cmp bytes.Buffer
	if err := html.WriteReport(&rep, "h100.json", base); err != nil {
		t.Fatal(err)
	}
	if err := html.WriteComparison(&cmp, res, inputs); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "report.html"), withoutPlot(t, rep.Bytes()))
	golden.Check(t, filepath.Join("testdata", "compare.html"), withoutPlot(t, cmp.Bytes()))
}

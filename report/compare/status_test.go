package compare_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/inferbench/inferbench/internal/golden"
	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
	"github.com/inferbench/inferbench/report/compare"
)

// Nothing that pairs is an error naming what each report holds, not an empty
// table that exits 0.
func TestNothingToPair(t *testing.T) {
	t.Parallel()
	closed := h100
	closed.Rate = 0 // closed loop, c=8: another load
	chat := priced(reporttest.Run(h100))
	tests := []struct {
		name string
		next *report.Report
		want []string
	}{
		{"other load", priced(reporttest.Run(closed)), []string{"new.json", "base.json", "sim:h100-sxm llama-3.1-8b/chat/bf16 poisson 5/s", "sim:h100-sxm llama-3.1-8b/chat/bf16 closed c=8"}},
		{"no runs", reporttest.Report(), []string{"new.json holds no runs", "poisson 5/s"}},
	}
	for _, tt := range tests {
		res, err := compare.Compare(compare.Input{Name: "base.json", Report: chat}, []compare.Input{{Name: "new.json", Report: tt.next}}, compare.Options{})
		if err == nil {
			t.Errorf("%s: no error, result %+v", tt.name, res)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
	// In a matrix, one report that pairs with nothing is as much an error.
	_, err := compare.Compare(compare.Input{Name: "base.json", Report: chat}, []compare.Input{{Name: "ok.json", Report: chat}, {Name: "other.json", Report: priced(reporttest.Run(closed))}}, compare.Options{})
	if err == nil || !strings.Contains(err.Error(), "other.json") {
		t.Errorf("matrix with an unpaired report: %v", err)
	}
}

func failed(s reporttest.Spec, completed int64, why string) report.Run {
	r := reporttest.Run(s)
	r.Failed, r.FailReason = true, why
	r.Counts.Errors = r.Counts.Requests - completed
	return r
}

func invalid(s reporttest.Spec, why string) report.Run {
	r := reporttest.Run(s)
	r.Valid, r.InvalidReasons = false, []string{why}
	return r
}

const why404 = "error rate 100.0% above --max-error-rate 5.0%: HTTP 404 model does not exist"

// A failed new run is a regression, paired or not, named with its reason;
// its cells are not judged (a failed run's better latency is no
// improvement). A failed base is said, and nothing against it is judged, but
// it is not the new report's regression.
func TestFailedRuns(t *testing.T) {
	t.Parallel()
	good := priced(reporttest.Run(h100))
	bad := priced(failed(h100, 1000, why404))
	other := h100
	other.Backend, other.Profile = "sim:l4", "l4"
	res, err := compare.Compare(compare.Input{Name: "base.json", Report: good}, []compare.Input{{Name: "new.json", Report: bad}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	regs := res.Regressions()
	if len(regs) != 1 || regs[0].Against != "sim:h100-sxm" || !strings.Contains(regs[0].String(), "HTTP 404") || !strings.Contains(regs[0].String(), "FAILED") {
		t.Errorf("regressions %v, want the failed run with its reason", regs)
	}
	g := res.Groups[0]
	if g.NewStatus[0].Failed != 1 || g.BaseStatus.Failed != 0 {
		t.Errorf("status base %+v new %+v", g.BaseStatus, g.NewStatus)
	}
	for _, row := range g.Rows {
		if c := row.Cells[0]; c.OK && (c.Significant || c.Regression || c.Delta() != "new run failed: not judged") {
			t.Errorf("%s: %+v, want not judged", row.ID, c)
		}
	}
	// Unpaired failed runs count too: a second backend that failed.
	two := priced(reporttest.Run(h100), failed(other, 0, why404))
	other.Rate = 0
	res, err = compare.Compare(compare.Input{Name: "base.json", Report: good}, []compare.Input{{Name: "new.json", Report: two}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if regs := res.Regressions(); len(regs) != 1 || regs[0].Against != "sim:l4" {
		t.Errorf("unpaired failed run: regressions %v, want sim:l4's failure", regs)
	}
	// A failed base: said, nothing judged, no regression of the new.
	res, err = compare.Compare(compare.Input{Name: "base.json", Report: bad}, []compare.Input{{Name: "new.json", Report: good}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Regressions()) != 0 || res.Groups[0].BaseStatus.Failed != 1 {
		t.Errorf("failed base: regressions %v, status %+v", res.Regressions(), res.Groups[0].BaseStatus)
	}
	for _, row := range res.Groups[0].Rows {
		if c := row.Cells[0]; c.OK && c.Delta() != "base run failed: not judged" {
			t.Errorf("%s against a failed base: %q, want not judged", row.ID, c.Delta())
		}
	}
}

// An invalid side is flagged in every format, next to its numbers; by
// itself it does not gate.
func TestInvalidFlaggedInEveryFormat(t *testing.T) {
	t.Parallel()
	res, err := compare.Compare(compare.Input{Name: "base.json", Report: priced(reporttest.Run(h100))},
		[]compare.Input{{Name: "new.json", Report: priced(invalid(h100, "schedule lag p99 40 ms"))}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Regressions()) != 0 || res.Groups[0].NewStatus[0].Invalid != 1 {
		t.Fatalf("regressions %v status %+v", res.Regressions(), res.Groups[0].NewStatus)
	}
	for _, f := range compare.Formats() {
		var buf bytes.Buffer
		if err := compare.Write(&buf, res, f); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "INVALID") || !strings.Contains(out, "schedule lag p99 40 ms") && f != "csv" {
			t.Errorf("%s does not flag the invalid run:\n%s", f, out)
		}
		switch f {
		case "csv":
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range recs[1:] {
				if rec[len(rec)-2] != "INVALID" || rec[len(rec)-3] != "ok" {
					t.Errorf("csv line %v: want base_status ok, new_status INVALID", rec)
				}
			}
		case "json":
			var back compare.Result
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Groups[0].NewStatus[0].Invalid != 1 {
				t.Errorf("json: %v %+v", err, back.Groups[0].NewStatus)
			}
		}
	}
}

// golden compares out with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, out string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), []byte(out))
}

// Every format of a nightly comparison, golden: a tenfold slower
// configuration over three repetitions a side, an invalid run, and a failed
// one on other hardware.
func TestGoldenFormats(t *testing.T) {
	t.Parallel()
	base := nightly(10, 2535, 100)
	base.Runs = append(base.Runs, reporttest.Run(h100))
	slow := nightly(20, 238, 1000)
	slow.Runs[1].Valid, slow.Runs[1].InvalidReasons = false, []string{"schedule lag p99 40 ms above 1 ms and 5% of latency p50"}
	slow.Runs = append(slow.Runs, failed(l4, 0, why404))
	res, err := compare.Compare(compare.Input{Name: "base.json", Report: base}, []compare.Input{{Name: "new.json", Report: slow}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"text", "markdown", "csv", "json"} {
		var buf bytes.Buffer
		if err := compare.Write(&buf, res, f); err != nil {
			t.Fatal(err)
		}
		if f == "json" {
			goldenfile.CheckJSON(t, filepath.Join("testdata", "nightly.json"), buf.Bytes())
			continue
		}
		golden(t, "nightly."+map[string]string{"text": "txt", "markdown": "md", "csv": "csv"}[f], buf.String())
	}
}

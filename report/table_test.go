package report_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/internal/reporttest"
	"github.com/inferbench/inferbench/report"
)

// seriesReport holds a max-rate search on two backends: sim:l4's probes run
// at 4, 8 (missed its SLO, the fastest probe of all), 2, 3 (the answer) and
// 6 req/s in search order, and sim:a10g's one probe, which missed; and a
// concurrency sweep run as 16, 1, 4.
func seriesReport() *report.Report {
	var runs []report.Run
	probe := func(backend string, rate, tok float64, met bool) report.Run {
		r := reporttest.Run(reporttest.Spec{Backend: backend, N: 200, MedianMS: 1000 / rate, Seed: uint64(rate)})
		r.Scenario = report.Scenario{Name: "max-rate", Rate: rate, Virtual: true,
			SLO: []report.SLO{{Objective: "ttft-p99=2s", ObservedMS: 100, Met: met, Verdict: map[bool]string{true: "met", false: "missed"}[met]}}}
		r.Throughput.OutputTokensPerS = tok
		return r
	}
	runs = append(runs, probe("sim:l4", 4, 400, false), probe("sim:l4", 8, 900, false), probe("sim:l4", 2, 200, true))
	answer := probe("sim:l4", 3, 300, true)
	m := 3.0
	answer.Scenario.MaxRate = &m
	runs = append(runs, answer, probe("sim:l4", 6, 500, false), probe("sim:a10g", 1, 100, false))
	for _, c := range []int{16, 1, 4} {
		r := reporttest.Run(reporttest.Spec{Backend: "sim:h100-sxm", N: 100 * c, MedianMS: 100, Seed: uint64(c)})
		r.Scenario = report.Scenario{Name: "sweep", Concurrency: c, Virtual: true}
		runs = append(runs, r)
	}
	rep := reporttest.Report(runs...)
	rep.Config.Duration = "1m0s"
	return rep
}

// Rows ranks backends by their best passing run and puts each one's runs in
// load order; a probe that missed its SLO ranks nothing.
func TestRowsRankAndLoadOrder(t *testing.T) {
	var got []string
	for _, row := range report.Rows(seriesReport()) {
		got = append(got, fmt.Sprintf("%d %s %s %s", row.Rank, row.Run.Backend.ID, report.LoadOf(row.Run), row.Run.SLOVerdict()))
	}
	// sim:h100-sxm's sweep delivers 5333 tok/s at c=16 (1600 requests × 200
	// tokens / 60 s; see reporttest), above sim:l4's best passing
	// probe (300 tok/s at 3 req/s; its 900 tok/s probe missed); sim:a10g
	// passed nothing and comes last.
	want := []string{
		"1 sim:h100-sxm c=1 ", "1 sim:h100-sxm c=4 ", "1 sim:h100-sxm c=16 ",
		"2 sim:l4 2 req/s met", "2 sim:l4 3 req/s met", "2 sim:l4 4 req/s missed ttft-p99=2s",
		"2 sim:l4 6 req/s missed ttft-p99=2s", "2 sim:l4 8 req/s missed ttft-p99=2s",
		"3 sim:a10g 1 req/s missed ttft-p99=2s",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A max-rate search's answer is in every format: the rate that passed, or
// that none did.
func TestMaxRateAnswerInEveryFormat(t *testing.T) {
	rep := seriesReport()
	answers := report.MaxRateAnswers(rep)
	want := []string{"sim:l4: max rate 3 req/s meets ttft-p99=2s (300.0 out tok/s)", "sim:a10g: no probed rate met ttft-p99=2s"}
	if strings.Join(answers, "\n") != strings.Join(want, "\n") {
		t.Errorf("answers %q, want %q", answers, want)
	}
	for _, format := range []string{"text", "markdown", "csv"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, rep, format); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "golden", "series."+format), buf.Bytes())
			out := buf.String()
			for _, w := range []string{"workload chat · model llama-3.1-8b · scenario max-rate, sweep · duration 1m0s per run", "missed ttft-p99=2s", "c=16"} {
				if format == "csv" {
					w = map[string]string{"c=16": ",sweep,0,16,", "missed ttft-p99=2s": "missed ttft-p99=2s"}[w]
					if w == "" {
						continue
					}
				}
				if !strings.Contains(out, w) {
					t.Errorf("%s lacks %q:\n%s", format, w, out)
				}
			}
			if format != "csv" {
				for _, a := range want {
					if !strings.Contains(out, a) {
						t.Errorf("%s lacks the answer %q:\n%s", format, a, out)
					}
				}
			} else if !strings.Contains(out, ",met,3\n") {
				t.Errorf("csv lacks max_rate 3 on the answering row:\n%s", out)
			}
		})
	}
}

func TestHeading(t *testing.T) {
	for _, tc := range []struct {
		name string
		rep  *report.Report
		want string
	}{
		{"empty report names its config", &report.Report{Config: report.Config{Workload: "chat", Model: "m", Scenario: "closed", Duration: "30s"}},
			"workload chat · model m · scenario closed · duration 30s per run"},
		{"requests", &report.Report{Config: report.Config{Workload: "chat", Model: "m", Scenario: "poisson", Duration: "0s", Requests: 400}},
			"workload chat · model m · scenario poisson · duration 400 requests"},
		{"no config: the longest run", reporttest.Report(reporttest.Run(reporttest.Spec{Backend: "noop", N: 10, MedianMS: 1})),
			"workload chat · model llama-3.1-8b · scenario closed · duration measured 60 s"},
	} {
		if got := report.Heading(tc.rep); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A report of several workloads (a suite) names each row's workload; one
// workload served at two precisions (an endpoint that does not say its
// own) is one workload, named in the heading.
func TestWorkloadColumn(t *testing.T) {
	chat := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 100, MedianMS: 100, Seed: 1})
	code := reporttest.Run(reporttest.Spec{Backend: "sim:l4", N: 100, MedianMS: 100, Seed: 2})
	code.Workload.Name = "code"
	endpoint := reporttest.Run(reporttest.Spec{Backend: "http://127.0.0.1:8000/v1", N: 100, MedianMS: 100, Seed: 3})
	endpoint.Workload.Precision = ""
	for _, tc := range []struct {
		name  string
		rep   *report.Report
		mixed bool
		want  string
	}{
		{"suite", reporttest.Report(chat, code), true, "llama-3.1-8b/code/bf16"},
		{"endpoint beside sim", reporttest.Report(chat, endpoint), false, "workload chat · model llama-3.1-8b"},
	} {
		var buf bytes.Buffer
		if err := report.WriteText(&buf, tc.rep); err != nil {
			t.Fatal(err)
		}
		head := strings.Split(buf.String(), "\n")[1]
		if got := report.MixedWorkloads(tc.rep); got != tc.mixed || strings.Contains(head, "workload") != tc.mixed || !strings.Contains(buf.String(), tc.want) {
			t.Errorf("%s: mixed %v, header %q; want mixed %v and %q in:\n%s", tc.name, got, head, tc.mixed, tc.want, buf.String())
		}
	}
}

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report"
)

// The load generator's flags reach the report: scenario, shard, SLO
// verdicts, validity, one run per sweep point.
func TestRunLoadFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name  string
		args  []string
		check func(t *testing.T, rep *report.Report)
	}{
		{"sweep", []string{"--scenario", "sweep", "--rates", "1,2,4", "--duration", "30s"}, func(t *testing.T, rep *report.Report) {
			if len(rep.Runs) != 3 || rep.Runs[2].Scenario.Rate != 4 || rep.Runs[0].Scenario.Name != "sweep" {
				t.Errorf("sweep: %d runs %+v", len(rep.Runs), rep.Runs[0].Scenario)
			}
		}},
		{"shard", []string{"--scenario", "poisson", "--rate", "2", "--requests", "40", "--shard", "1/4"}, func(t *testing.T, rep *report.Report) {
			r := rep.Runs[0]
			if r.Counts.Requests != 10 || r.Scenario.Shard != "1/4" || !r.Valid {
				t.Errorf("shard 1/4 of 40: %d requests, shard %q, valid %v %q", r.Counts.Requests, r.Scenario.Shard, r.Valid, r.InvalidReasons)
			}
		}},
		{"max-rate", []string{"--scenario", "max-rate", "--slo", "ttft-p99=1s", "--duration", "20s"}, func(t *testing.T, rep *report.Report) {
			var chosen int
			for _, r := range rep.Runs {
				if r.Scenario.MaxRate != nil {
					chosen++
					if *r.Scenario.MaxRate != r.Scenario.Rate || !r.Scenario.SLO[0].Met {
						t.Errorf("chosen run: %+v", r.Scenario)
					}
				}
			}
			if chosen != 1 || len(rep.Runs) < 3 {
				t.Errorf("max-rate: %d runs, %d carry max_rate", len(rep.Runs), chosen)
			}
		}},
	} {
		path := filepath.Join(dir, tt.name+".json")
		args := append([]string{"run", "--backend", "sim:h100-sxm", "-o", path}, tt.args...)
		code, _, errs := invoke(t, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", tt.name, code, errs)
		}
		rep, err := report.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tt.check(t, rep)
	}
}

// Bad load flags are usage errors that name the value and the valid ones.
func TestRunLoadFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "bursty"}, "valid: single-stream, closed"},
		{[]string{"--scenario", "poisson"}, "want a positive rate"},
		{[]string{"--scenario", "max-rate"}, "needs an SLO"},
		{[]string{"--slo", "latency-p99"}, "METRIC-pPCT=DURATION"},
		{[]string{"--shard", "4/4"}, "0 <= i < N"},
		{[]string{"--scenario", "sweep"}, "rates (e.g. 10,20,40) or concurrencies"},
		{[]string{"--scenario", "offline"}, "needs a request count"},
	} {
		code, _, errs := invoke(t, append([]string{"run", "--backend", "noop", "-o", filepath.Join(t.TempDir(), "r.json")}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errs, tt.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, %q; want exit 2 with %q on one line", tt.args, code, errs, tt.want)
		}
	}
}

package compare

import "testing"

// Verdict names failed runs before regressed metrics, counts each, and is ""
// when nothing regressed (a worse cell that does not gate is no regression).
func TestVerdict(t *testing.T) {
	t.Parallel()
	failure := Regression{Column: "new.json", Against: "sim:l4", Load: "chat c=8", Reason: "failed: error rate 1"}
	group := func(regressed ...bool) []Group {
		g := Group{Backend: "sim:l4", Against: []string{"sim:l4"}, Load: "chat c=8"}
		for _, r := range regressed {
			g.Rows = append(g.Rows, Row{Metric: Metric{Name: "p99", Unit: "ms"}, Cells: []Cell{{DeltaPct: 12.34, Worse: true, Regression: r}}})
		}
		return []Group{g}
	}
	for _, tt := range []struct {
		name string
		res  Result
		want string
	}{
		{"nothing", Result{Columns: []string{"new.json"}}, ""},
		{"ungated", Result{Columns: []string{"new.json"}, Groups: group(false)}, ""},
		{"failed run", Result{Columns: []string{"new.json"}, Failures: []Regression{failure}},
			"1 failed run(s): new.json: sim:l4 (chat c=8) failed: error rate 1"},
		{"metrics", Result{Columns: []string{"new.json"}, Groups: group(true, false, true)},
			"2 metric(s) significantly worse beyond the threshold: sim:l4 p99 ms +12.3%; sim:l4 p99 ms +12.3%"},
		{"both", Result{Columns: []string{"new.json"}, Failures: []Regression{failure}, Groups: group(true)},
			"1 failed run(s): new.json: sim:l4 (chat c=8) failed: error rate 1; 1 metric(s) significantly worse beyond the threshold: sim:l4 p99 ms +12.3%"},
	} {
		if got := tt.res.Verdict(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

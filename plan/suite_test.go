package plan_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/plan"
	"github.com/inferbench/inferbench/report"
)

func TestParseSuite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc, wantErr string
	}{
		{"good", `{"name":"n","backends":["sim:l4"],"workloads":[{"workload":"chat"}],"scenarios":[{"scenario":"closed","concurrency":4}]}`, ""},
		{"flag forms", `{"name":"n","backends":["sim:l4"],"workloads":[{"workload":"chat"}],"scenarios":[{"scenario":"sweep","rates":"1,2","duration":"10s"}]}`, ""},
		{"empty", `{"name":"n","backends":["sim:l4"],"workloads":[],"scenarios":[]}`, "empty"},
		{"no backends", `{"name":"n","workloads":[{"workload":"chat"}],"scenarios":[{"scenario":"closed"}]}`, "no backends"},
		{"typo", `{"name":"n","backend":["sim:l4"]}`, "unknown field"},
		{"not a plan key", `{"name":"n","backends":["noop"],"workloads":[{"workload":"chat"}],"scenarios":[{"output":"x.json"}]}`, `unknown field "output"`},
		{"reserved", `{"name":"n","backends":["noop"],"workloads":[{"workload":"chat"}],"scenarios":[{"seed":3}]}`, `sets "seed"`},
		{"object value", `{"name":"n","backends":["noop"],"workloads":[{"workload":{"a":1}}],"scenarios":[{"scenario":"closed"}]}`, "workload"},
		{"bad duration", `{"name":"n","backends":["noop"],"workloads":[{"workload":"chat"}],"scenarios":[{"duration":"soon"}]}`, `duration "soon"`},
		{"bad rates", `{"name":"n","backends":["noop"],"workloads":[{"workload":"chat"}],"scenarios":[{"rates":"1,x"}]}`, `--rates "1,x"`},
		{"no settings", `{"name":"n","backends":["noop"],"workloads":[{"name":"w"}],"scenarios":[{"scenario":"closed"}]}`, "has no settings"},
		{"reps", `{"name":"n","backends":["noop"],"workloads":[{"workload":"chat"}],"scenarios":[{"scenario":"closed"}],"repetitions":-1}`, "repetitions"},
		{"truncated", `{"name":"n","backends":[`, "suite"},
		{"two docs", `{"name":"n","backends":["noop"],"workloads":[{"workload":"chat"}],"scenarios":[{"scenario":"closed"}]} {}`, "more than one"},
	} {
		_, err := plan.ParseSuite(strings.NewReader(tc.doc))
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.wantErr)
		}
	}
}

// Each job is the suite's base with its workload and its scenario laid over
// it; a key an entry leaves out keeps the base's value, and repetition r
// runs with seed Seed+r.
func TestSuiteJobs(t *testing.T) {
	t.Parallel()
	s, err := plan.ParseSuite(strings.NewReader(`{"name":"n","backends":["sim:a","sim:b"],
		"workloads":[{"name":"chat","workload":"chat"},{"input-tokens":128,"output-tokens":64}],
		"scenarios":[{"scenario":"closed","concurrency":4,"realtime":false}],"repetitions":2,"seed":5}`))
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := s.Jobs(nil)
	if err != nil || len(jobs) != 4 {
		t.Fatalf("%d jobs, %v: want 2 workloads × 1 scenario × 2 repetitions", len(jobs), err)
	}
	want := "--backend=sim:a --backend=sim:b --workload=chat --scenario=closed --concurrency=4 --seed=5"
	if got := strings.Join(jobs[0].Plan.Args(), " "); got != want {
		t.Errorf("job 0\n got %s\nwant %s", got, want)
	}
	if jobs[0].Name != "chat/concurrency=4,realtime=false,scenario=closed/rep1" || jobs[1].Plan.Seed != 6 {
		t.Errorf("job names/seeds: %q, seed %d", jobs[0].Name, jobs[1].Plan.Seed)
	}
	if j := jobs[2]; j.Name != "input-tokens=128,output-tokens=64/concurrency=4,realtime=false,scenario=closed/rep1" ||
		j.Plan.InputTokens != 128 || *j.Plan.OutputTokens != 64 || j.Plan.Workload != "" || j.Plan.Concurrency != 4 {
		t.Errorf("job 2 %q: %+v", j.Name, j.Plan)
	}
	got, _ := s.Jobs([]string{"http://127.0.0.1:1/v1"})
	if b := got[0].Plan.Backends; len(b) != 1 || b[0] != "http://127.0.0.1:1/v1" {
		t.Errorf("backend override not applied: %v", b)
	}
}

// Combine labels every run with its job and is interrupted when a job was.
func TestSuiteCombine(t *testing.T) {
	t.Parallel()
	s := &plan.Suite{Name: "n"}
	jobs := []plan.Job{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	two := &report.Report{Runs: []report.Run{{}, {}}}
	last := &report.Report{Runs: []report.Run{{}}, Interrupted: true}
	got := s.Combine(jobs, []*report.Report{two, nil, last})
	if len(got.Runs) != 3 || got.Runs[1].Label != "a" || got.Runs[2].Label != "c" || !got.Interrupted || got.Config.Scenario != "suite:n" {
		t.Errorf("combined %+v", got)
	}
	if s.Combine(jobs, make([]*report.Report, 3)) != nil {
		t.Error("no job ran: want no report")
	}
}

func TestEmbeddedSuites(t *testing.T) {
	t.Parallel()
	s, err := plan.LookupSuite("Nightly-Sim")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := s.Jobs(nil)
	if err != nil || len(jobs) == 0 {
		t.Fatalf("nightly-sim: %d jobs, %v", len(jobs), err)
	}
	for _, j := range jobs {
		if err := j.Plan.Validate(); err != nil {
			t.Errorf("%s: %v", j.Name, err)
		}
	}
	if _, err := plan.LookupSuite("nightly"); err == nil || !strings.Contains(err.Error(), "did you mean nightly-sim?") {
		t.Errorf("LookupSuite(nightly) = %v, want a suggestion", err)
	}
}

func FuzzParseSuite(f *testing.F) {
	f.Add(`{"name":"n","backends":["sim:l4"],"workloads":[{"workload":"chat"}],"scenarios":[{"scenario":"closed","concurrency":4}],"repetitions":2}`)
	f.Add(`{"name":"n","backends":[],"workloads":[],"scenarios":[]}`)
	f.Add(`{"name":"x","backends":["noop"],"workloads":[{"rates":"1,2"}],"scenarios":[{"slo":"latency-p99=1s"}]}`)
	f.Add(`{`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, doc string) {
		s, err := plan.ParseSuite(strings.NewReader(doc))
		if err != nil {
			return
		}
		jobs, err := s.Jobs(nil)
		if err != nil {
			t.Fatalf("valid suite %q does not expand: %v", doc, err)
		}
		if len(jobs) == 0 {
			t.Fatalf("valid suite %q expands to no jobs", doc)
		}
		for _, j := range jobs {
			if len(j.Plan.Args()) == 0 || j.Name == "" {
				t.Fatalf("job %+v from %q", j, doc)
			}
		}
	})
}

// A job that cannot run stops the suite with an error naming it, and the
// runs of the jobs before it are kept in the report.
func TestSuiteExecuteKeepsWhatRan(t *testing.T) {
	t.Parallel()
	s, err := plan.ParseSuite(strings.NewReader(`{"name":"n","backends":["oracle?ttft=10ms"],
		"workloads":[{"name":"short","input-tokens":64,"output-tokens":1},{"name":"too-long","input-tokens":200000,"output-tokens":8}],
		"scenarios":[{"name":"c2","concurrency":2,"requests":10}]}`))
	if err != nil {
		t.Fatal(err)
	}
	jobs, _ := s.Jobs(nil)
	var calls []string
	rep, err := s.Execute(context.Background(), jobs, plan.Options{}, func(i int, j plan.Job, r *report.Report) {
		calls = append(calls, fmt.Sprintf("%d %s %v", i, j.Name, r != nil))
	})
	if !plan.IsInput(err) || !strings.Contains(err.Error(), `suite "n", run too-long/c2`) {
		t.Errorf("error %v: want the second job named, as bad input", err)
	}
	if rep == nil || len(rep.Runs) != 1 || rep.Runs[0].Label != "short/c2" || rep.Runs[0].Counts.Completed != 10 {
		t.Fatalf("report %+v: want the first job's run", rep)
	}
	if want := "0 short/c2 false|0 short/c2 true|1 too-long/c2 false"; strings.Join(calls, "|") != want {
		t.Errorf("calls %q, want %q", calls, want)
	}
}

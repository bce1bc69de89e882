package plan_test

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/internal/trace"
	"github.com/inferbench/inferbench/plan"
)

// A trace file replayed through Execute, in virtual time, against the
// oracle (20 ms to the first token, 1 ms a token after): the requests are
// the file's, at half its times with --speedup 2, so the last, 4 s into the
// trace with 5 tokens to make, arrives at 2 s and ends 24 ms later.
func TestExecuteReplayKnownAnswers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "t.csv")
	text := "TIMESTAMP,ContextTokens,GeneratedTokens\n" +
		"2023-11-16 18:00:00.0,100,3\n2023-11-16 18:00:01.0,200,4\n2023-11-16 18:00:01.0,300,8\n2023-11-16 18:00:04.0,400,5\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := plan.Execute(context.Background(), plan.Plan{
		Backends: []string{"oracle?ttft=20ms&tpot=1ms"}, Load: plan.Load{Scenario: "replay"},
		Replay: plan.Replay{Trace: path, Speedup: 2},
	}, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if r.Counts.Requests != 4 || r.Counts.Completed != 4 || r.Counts.Errors != 0 {
		t.Errorf("counts %+v, want 4 requests, all completed", r.Counts)
	}
	if r.Workload.Name != "trace:t.csv" || r.Workload.MeanInputTokens != 250 || r.Workload.MeanOutputTokens != 5 {
		t.Errorf("workload %s, means %v+%v, want trace:t.csv, 250+5", r.Workload.Name, r.Workload.MeanInputTokens, r.Workload.MeanOutputTokens)
	}
	if want := 2*time.Second + 24*time.Millisecond; math.Abs(r.DurationS-want.Seconds()) > 1e-9 {
		t.Errorf("duration %vs, want %v", r.DurationS, want)
	}
}

// azure-conv replays whole, exactly: every request of the trace, its mean
// completion length, none failed; with --duration 60s and --speedup 10 it
// takes the requests of the trace's first ten minutes.
func TestExecuteReplayAzureConv(t *testing.T) {
	t.Parallel()
	w, err := fixtures.LookupWorkload("azure-conv")
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.OpenTrace()
	if err != nil {
		t.Fatal(err)
	}
	r, err := trace.NewReader(f, "", w.Trace)
	if err != nil {
		t.Fatal(err)
	}
	var n, first10, out int
	for rec := (trace.Record{}); ; n++ {
		if err := r.Next(&rec); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		out += rec.Out
		if rec.At < 10*time.Minute {
			first10++
		}
	}
	f.Close()
	for _, c := range []struct {
		name string
		p    plan.Plan
		want int
	}{
		{"whole", plan.Plan{}, n},
		{"ten minutes at 10x", plan.Plan{Limits: plan.Limits{Duration: plan.Duration(time.Minute)}, Replay: plan.Replay{Speedup: 10}}, first10},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			p.Backends, p.Workload, p.Scenario = []string{"oracle?ttft=20ms&tpot=1ms"}, "azure-conv", "replay"
			rep, err := plan.Execute(context.Background(), p, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Runs[0]
			if got.Counts.Requests != int64(c.want) || got.Counts.Completed != int64(c.want) || got.Counts.Errors != 0 {
				t.Errorf("counts %+v, want %d requests, all completed", got.Counts, c.want)
			}
			if c.want == n && math.Abs(got.Workload.MeanOutputTokens-float64(out)/float64(n)) > 1e-9 {
				t.Errorf("mean output %v, want the trace's %v", got.Workload.MeanOutputTokens, float64(out)/float64(n))
			}
		})
	}
	if n != 19366 {
		t.Errorf("trace of %d requests, want 19366", n)
	}
}

func TestReplayRefusals(t *testing.T) {
	t.Parallel()
	replay := plan.Load{Scenario: "replay"}
	for _, tc := range []struct {
		name string
		p    plan.Plan
		want string
	}{
		{"replay without a trace", plan.Plan{Load: replay}, "--scenario replay needs a trace: --workload azure-conv or azure-code, or --trace FILE"},
		{"speedup outside replay", plan.Plan{Work: plan.Work{Workload: "azure-conv"}, Replay: plan.Replay{Speedup: 2}}, "--speedup does not apply to --scenario closed"},
		{"negative speedup", plan.Plan{Work: plan.Work{Workload: "azure-conv"}, Load: replay, Replay: plan.Replay{Speedup: -1}}, "--speedup -1"},
		{"rate in replay", plan.Plan{Work: plan.Work{Workload: "azure-conv"}, Load: plan.Load{Scenario: "replay", Rate: 3}}, "--rate does not apply to --scenario replay, which issues a trace's requests at its times"},
		{"missing file", plan.Plan{Load: replay, Replay: plan.Replay{Trace: "/nonexistent/t.csv"}}, "--trace /nonexistent/t.csv"},
		{"format without a file", plan.Plan{Replay: plan.Replay{TraceFormat: "azure"}}, "--trace-format azure without --trace"},
		{"unknown format", plan.Plan{Replay: plan.Replay{TraceFormat: "sharegpt"}}, `unknown trace format "sharegpt"; valid: auto, azure, mooncake, burstgpt`},
		{"fixed lengths with a trace", plan.Plan{Work: plan.Work{Workload: "azure-code", InputTokens: 5, OutputTokens: intp(5)}}, "do not apply to a trace (azure-code)"},
		{"azure-conv replayed", plan.Plan{Work: plan.Work{Workload: "azure-conv"}, Load: replay}, ""},
		{"azure-code as lengths in a closed loop", plan.Plan{Work: plan.Work{Workload: "azure-code"}}, ""},
	} {
		err := tc.p.Validate()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !plan.IsInput(err) {
			t.Errorf("%s: error %v (input %v), want an input error with %q", tc.name, err, plan.IsInput(err), tc.want)
		}
	}
}

// The replay suite is azure-conv replayed whole on several profiles, and
// every job is a valid plan.
func TestReplaySuite(t *testing.T) {
	t.Parallel()
	s, err := plan.LookupSuite("replay")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := s.Jobs(nil)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("replay: %d jobs, %v; want 1", len(jobs), err)
	}
	p := jobs[0].Plan
	if p.Workload != "azure-conv" || p.Scenario != "replay" || len(p.Backends) < 3 || p.Duration != 0 || p.Requests != 0 {
		t.Errorf("job %+v: want azure-conv replayed whole on at least 3 backends", p)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

// The sessions and shared-prefix workloads through Execute on the oracle in
// virtual time: 4 sessions of 5 turns are 20 requests with a TTFT row per
// turn; shared-prefix prompts are 1,024 tokens longer than their own.
func TestExecuteWorkloadKinds(t *testing.T) {
	t.Parallel()
	rep, err := plan.Execute(context.Background(), plan.Plan{
		Backends: []string{"oracle?ttft=20ms&tpot=1ms"}, Work: plan.Work{Workload: "sessions"},
		Load: plan.Load{Concurrency: 2}, Limits: plan.Limits{Requests: 4},
	}, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Runs[0]; r.Counts.Requests != 20 || r.Counts.Completed != 20 {
		t.Errorf("sessions: counts %+v, want 20 requests (4 sessions of 5 turns)", r.Counts)
	}
	rep, err = plan.Execute(context.Background(), plan.Plan{
		Backends: []string{"oracle?ttft=20ms&tpot=1ms"}, Work: plan.Work{Workload: "shared-prefix"},
		Limits: plan.Limits{Requests: 50},
	}, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Runs[0]; r.Workload.MeanInputTokens < 1024+64 {
		t.Errorf("shared-prefix: mean prompt %v tokens, want 1,024 of prefix and the request's own", r.Workload.MeanInputTokens)
	}
}

// End to end: the first 200 requests of azure-conv replayed at 50x against
// the server `inferbench serve` runs (answering at once here): exactly the
// trace's requests go out, none fails, and the mean completion is the
// trace's, because every request asks for exactly its trace length.
func TestReplayAgainstServe(t *testing.T) {
	t.Parallel()
	w, err := fixtures.LookupWorkload("azure-conv")
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.OpenTrace()
	if err != nil {
		t.Fatal(err)
	}
	r, err := trace.NewReader(f, "", w.Trace)
	if err != nil {
		t.Fatal(err)
	}
	out := 0
	for i, rec := 0, (trace.Record{}); i < 200; i++ {
		if err := r.Next(&rec); err != nil {
			t.Fatal(err)
		}
		out += rec.Out
	}
	f.Close()
	srv := servertest.Start(t, server.Config{})
	rep, err := plan.Execute(context.Background(), plan.Plan{
		Backends: []string{srv.URL + "/v1"}, Work: plan.Work{Workload: "azure-conv"}, Load: plan.Load{Scenario: "replay"},
		Limits: plan.Limits{Requests: 200}, Replay: plan.Replay{Speedup: 50},
	}, plan.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Runs[0]
	if got.Counts.Requests != 200 || got.Counts.Completed != 200 || got.Counts.Errors != 0 {
		t.Errorf("counts %+v, want the trace's 200 requests, all completed", got.Counts)
	}
	if want := float64(out) / 200; math.Abs(got.Workload.MeanOutputTokens-want) > 1e-9 {
		t.Errorf("mean completion %v tokens, want the trace's %v", got.Workload.MeanOutputTokens, want)
	}
	if got.Trace == nil || got.Trace.Name != "azure-conv" || !strings.Contains(got.Trace.Attribution, "CC-BY 4.0") {
		t.Errorf("trace %+v: want azure-conv with its attribution", got.Trace)
	}
}

package plan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/plan"
)

func intp(n int) *int           { return &n }
func floatp(f float64) *float64 { return &f }

// Known answers through Execute and Judge, exactly, in virtual time: the
// oracle serves each request of 11 output tokens in TTFT + 10·TPOT =
// 20 + 10 = 30 ms, so throughput, latency, errors and the verdict are worked
// out here before the run.
func TestExecuteKnownAnswers(t *testing.T) {
	t.Parallel()
	const spec = "oracle?ttft=20ms&tpot=1ms"
	for _, tc := range []struct {
		name      string
		spec      string
		p         plan.Plan
		reqPerS   float64 // exact; -1: not checked
		errors    int64
		failed    bool
		judgement string // what Judge's error says; "" for none
	}{
		// 30 requests, 4 at a time: 8 waves of 30 ms (the last of two), 240 ms.
		{"closed c=4 n=30", spec, plan.Plan{Load: plan.Load{Concurrency: 4}, Limits: plan.Limits{Requests: 30}}, 30 / 0.240, 0, false, ""},
		// 16 at t=0 on a device that serves 4 at a time: 4 waves, 120 ms.
		{"offline slots=4", spec + "&slots=4", plan.Plan{Load: plan.Load{Scenario: "offline"}, Limits: plan.Limits{Requests: 16}}, 16 / 0.120, 0, false, ""},
		// Every second request fails at its first token: 15 of 30, above 5%.
		{"half fail", spec + "&fail-every=2", plan.Plan{Load: plan.Load{Concurrency: 4}, Limits: plan.Limits{Requests: 30}}, -1, 15, true, "1 of 1 run(s) failed"},
		// 3 of 300 fail: 1%, within the default 5% ...
		{"1% fail", spec + "&fail-every=100", plan.Plan{Load: plan.Load{Concurrency: 4}, Limits: plan.Limits{Requests: 300}}, -1, 3, false, ""},
		// ... but not within a limit of 0, which is not "the default".
		{"1% fail, none allowed", spec + "&fail-every=100", plan.Plan{Load: plan.Load{Concurrency: 4}, Limits: plan.Limits{Requests: 300}, Judgement: plan.Judgement{MaxErrorRate: floatp(0)}}, -1, 3, true, "failed"},
		{"all fail", spec + "&fail-every=1", plan.Plan{Load: plan.Load{Concurrency: 4}, Limits: plan.Limits{Requests: 30}, Judgement: plan.Judgement{MaxErrorRate: floatp(1)}}, 0, 30, true, "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.Backends = []string{tc.spec}
			p.InputTokens, p.OutputTokens = 10, intp(11)
			rep, err := plan.Execute(context.Background(), p, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := rep.Runs[0]
			if r.Counts.Errors != tc.errors || r.Failed != tc.failed {
				t.Errorf("errors %d, failed %v (%s): want %d, %v", r.Counts.Errors, r.Failed, r.FailReason, tc.errors, tc.failed)
			}
			if tc.reqPerS >= 0 && math.Abs(r.Throughput.RequestsPerS-tc.reqPerS) > 1e-9*tc.reqPerS {
				t.Errorf("throughput %.6g req/s, want %.6g", r.Throughput.RequestsPerS, tc.reqPerS)
			}
			if r.Counts.Completed > 0 && tc.name != "offline slots=4" && math.Abs(r.Latency.P99-30) > 30e-3 {
				t.Errorf("latency p99 %.4g ms, want 30", r.Latency.P99)
			}
			var said bytes.Buffer
			verdict := plan.Judge(&said, rep, p.Judgement)
			switch {
			case tc.judgement == "" && verdict != nil:
				t.Errorf("Judge: %v, want none", verdict)
			case tc.judgement != "" && (verdict == nil || !strings.Contains(verdict.Error(), tc.judgement)):
				t.Errorf("Judge: %v, want %q", verdict, tc.judgement)
			case tc.failed && !strings.Contains(said.String(), "FAILED") || tc.errors > 0 && tc.failed && !strings.Contains(said.String(), "error(s), the first:"):
				t.Errorf("Judge said %q", said.String())
			}
			if rep.Config.Concurrency == 0 || rep.Config.Seed != 0 || rep.Config.Precision != "bf16" || rep.Config.Workload != "fixed-10-11" {
				t.Errorf("config %+v: want the defaults recorded", rep.Config)
			}
		})
	}
}

// A plan that cannot be run fails before any load, as an *InputError whose
// message names the field as its flag; the zero Plan runs.
func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		p    plan.Plan
		want string // "" for valid
	}{
		{"zero plan", plan.Plan{}, ""},
		{"rate in a closed loop", plan.Plan{Load: plan.Load{Rate: 5}}, "--rate does not apply to --scenario closed"},
		{"concurrency in an open loop", plan.Plan{Load: plan.Load{Scenario: "poisson", Rate: 2, Concurrency: 4}}, "--concurrency does not apply to --scenario poisson"},
		{"sweep points outside a sweep", plan.Plan{Load: plan.Load{Rates: []float64{1, 2}}}, "--rates does not apply"},
		{"lag budget in a closed loop", plan.Plan{Judgement: plan.Judgement{LagBudget: plan.Duration(5e6)}}, "--lag-budget does not apply"},
		{"scenario case", plan.Plan{Load: plan.Load{Scenario: "Poisson", Rate: 1}}, ""},
		{"scenario typo", plan.Plan{Load: plan.Load{Scenario: "poison"}}, `unknown scenario "poison" (did you mean poisson?)`},
		{"endpoint setting on sim", plan.Plan{Backends: []string{"sim:l4"}, Remote: plan.Remote{API: "completions"}}, "--api does not apply to backend sim:l4"},
		{"prompts on the default backends", plan.Plan{Remote: plan.Remote{Prompts: "p.jsonl"}}, "--prompts does not apply to the default backends"},
		{"realtime on noop", plan.Plan{Backends: []string{"noop"}, Realtime: true}, "--realtime does not apply to backend noop"},
		{"interval without a GPU", plan.Plan{Backends: []string{"noop"}, Telemetry: plan.Telemetry{Interval: plan.Duration(1e8)}}, "--telemetry-interval does not apply"},
		{"endpoint without nvml", plan.Plan{Backends: []string{"noop"}, Telemetry: plan.Telemetry{Endpoint: "http://x/v1"}}, "only nvml:N backends take an endpoint"},
		{"decoder making nothing", plan.Plan{Work: plan.Work{OutputTokens: intp(0)}}, "llama-3.1-8b is a decoder"},
		{"encoder making tokens", plan.Plan{Work: plan.Work{Model: "bert-base", InputTokens: 8, OutputTokens: intp(4)}}, "an encoder makes one pass"},
		{"past the context", plan.Plan{Work: plan.Work{InputTokens: 200000, OutputTokens: intp(8)}}, "takes at most"},
		{"error rate above 1", plan.Plan{Judgement: plan.Judgement{MaxErrorRate: floatp(2)}}, "--max-error-rate 2: want a fraction from 0 to 1"},
		{"negative price", plan.Plan{Pricing: plan.Pricing{Prices: map[string]float64{"l4": -1}}}, "--price l4=-1"},
		{"bad slo", plan.Plan{Judgement: plan.Judgement{SLO: []string{"latency-p99"}}}, "latency-p99"},
		{"bad shard", plan.Plan{Load: plan.Load{Shard: "4/4"}}, "shard"},
		{"unknown workload", plan.Plan{Work: plan.Work{Workload: "chta"}}, "did you mean chat?"},
		{"negative fail-fast", plan.Plan{Limits: plan.Limits{FailFastRequests: intp(-1)}}, "--fail-fast-requests -1"},
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

// An interrupt before the first backend returns an empty report marked
// interrupted, not an error: the caller writes what there is.
func TestExecuteInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := plan.Execute(ctx, plan.Plan{Backends: []string{"sim:l4", "sim:h100-sxm"}, Limits: plan.Limits{Requests: 10}}, plan.Options{})
	if err != nil || !rep.Interrupted || len(rep.Runs) != 0 {
		t.Fatalf("report %+v, error %v: want no runs, interrupted", rep, err)
	}
}

// The API key and a URL's password reach the endpoint, and neither the
// report nor the caller's printing: Execute names them to Options.Secret.
func TestExecuteKeepsSecrets(t *testing.T) {
	t.Parallel()
	ts := servertest.Start(t, server.Config{})
	url := strings.Replace(ts.URL, "http://", "http://user:hunter2@", 1) + "/v1"
	var secrets []string
	p := plan.Plan{Backends: []string{url}, Work: plan.Work{Model: "llama-3.1-8b", InputTokens: 8, OutputTokens: intp(4)},
		Limits: plan.Limits{Requests: 8}, Remote: plan.Remote{APIKeyEnv: "KEY"}}
	rep, err := plan.Execute(context.Background(), p, plan.Options{
		Getenv: func(k string) string { return map[string]string{"KEY": "sk-test-0123456789"}[k] },
		Secret: func(s string) { secrets = append(secrets, s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	if strings.Contains(string(js), "hunter2") || strings.Contains(string(js), "sk-test") || rep.Runs[0].Counts.Completed != 8 {
		t.Errorf("report holds a secret, or the run failed: %s", js)
	}
	if len(secrets) != 1 || secrets[0] != "sk-test-0123456789" {
		t.Errorf("secrets told %q", secrets)
	}
	// Given and unset, the variable is an error about the plan.
	p.APIKeyEnv = "UNSET"
	if _, err := plan.Execute(context.Background(), p, plan.Options{Getenv: func(string) string { return "" }}); !plan.IsInput(err) || !strings.Contains(err.Error(), "--api-key-env UNSET") {
		t.Errorf("unset key variable: %v", err)
	}
}

// An endpoint nobody listens on is a failure of the system under test, not
// bad input: the command line exits 1, not 2.
func TestExecuteUnreachableEndpoint(t *testing.T) {
	t.Parallel()
	_, err := plan.Execute(context.Background(), plan.Plan{Backends: []string{"http://127.0.0.1:1/v1"}, Limits: plan.Limits{Requests: 1}}, plan.Options{})
	var ie *plan.InputError
	if err == nil || errors.As(err, &ie) {
		t.Errorf("error %v: want one that is not an *InputError", err)
	}
}

// Where the API key comes from: the variable given (which must be set),
// else OPENAI_API_KEY, else for azure AZURE_OPENAI_API_KEY; NoAPIKey sends
// none whatever the environment holds.
func TestAPIKeySources(t *testing.T) {
	t.Parallel()
	ts := servertest.Start(t, server.Config{})
	env := map[string]string{"OPENAI_API_KEY": "sk-openai-0123", "MINE": "sk-mine-4567"}
	for _, tc := range []struct {
		keyEnv string
		want   []string // the secrets Execute names
	}{
		{"", []string{"sk-openai-0123"}},
		{"MINE", []string{"sk-mine-4567"}},
		{plan.NoAPIKey, nil},
	} {
		var got []string
		p := plan.Plan{Backends: []string{ts.URL + "/v1"}, Work: plan.Work{Model: "llama-3.1-8b", InputTokens: 8, OutputTokens: intp(2)},
			Limits: plan.Limits{Requests: 2}, Remote: plan.Remote{APIKeyEnv: tc.keyEnv}}
		_, err := plan.Execute(context.Background(), p, plan.Options{Getenv: func(k string) string { return env[k] }, Secret: func(s string) { got = append(got, s) }})
		if err != nil || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("api-key-env %q: secrets %q, %v; want %q", tc.keyEnv, got, err, tc.want)
		}
	}
}

// Backends in virtual time are measured side by side, and give what each
// gives alone, in the plan's order.
func TestVirtualBackendsAheadMatchAlone(t *testing.T) {
	t.Parallel()
	specs := []string{"sim:h100-sxm", "sim:l4", "oracle?ttft=20ms&tpot=1ms", "sim:inf2"}
	p := plan.Plan{Backends: specs, Limits: plan.Limits{Requests: 64}}
	all, err := plan.Execute(context.Background(), p, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, spec := range specs {
		one := p
		one.Backends = []string{spec}
		alone, err := plan.Execute(context.Background(), one, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		a, b := all.Runs[i], alone.Runs[0]
		if a.Backend.ID != b.Backend.ID || a.Counts.Completed != b.Counts.Completed || a.Throughput != b.Throughput || a.Latency.P99 != b.Latency.P99 {
			t.Errorf("%s: side by side %s %+v p99 %v; alone %s %+v p99 %v", spec, a.Backend.ID, a.Throughput, a.Latency.P99, b.Backend.ID, b.Throughput, b.Latency.P99)
		}
	}
}

package plan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/plan"
)

// TestEveryDialectThroughExecute: a plan reaches serve in each wire format
// with the key from the dialect's own variable (ANTHROPIC_API_KEY for
// anthropic; the AWS default chain, here its environment variables, for
// bedrock), and counts every token from the server's usage. No key value
// is in the report.
func TestEveryDialectThroughExecute(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDPLANTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "plan-test-secret-key-0000")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	env := map[string]string{"OPENAI_API_KEY": "sk-openai-plan-1", "ANTHROPIC_API_KEY": "sk-ant-plan-2"}
	for _, tc := range []struct {
		dialect, key string
		remote       plan.Remote
	}{
		{server.DialectOpenAI, "sk-openai-plan-1", plan.Remote{}},
		{server.DialectResponses, "sk-openai-plan-1", plan.Remote{API: "responses"}},
		{server.DialectAnthropic, "sk-ant-plan-2", plan.Remote{Dialect: "anthropic"}},
		{server.DialectBedrock, "AKIDPLANTEST", plan.Remote{Dialect: "bedrock", Region: "eu-west-1"}},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			ts := servertest.Start(t, server.Config{Dialect: tc.dialect, APIKey: tc.key})
			p := plan.Plan{Backends: []string{ts.URL}, Work: plan.Work{Model: "llama-3.1-8b", InputTokens: 8, OutputTokens: intp(6)},
				Limits: plan.Limits{Requests: 4}, Remote: tc.remote}
			rep, err := plan.Execute(context.Background(), p, plan.Options{Getenv: func(k string) string { return env[k] }})
			if err != nil {
				t.Fatal(err)
			}
			r := rep.Runs[0]
			if r.Counts.Completed != 4 || r.Counts.Errors != 0 || r.Workload.OutputTokensCounted != "usage" {
				t.Errorf("counts %+v, output counted %q: want 4 completed from usage", r.Counts, r.Workload.OutputTokensCounted)
			}
			var b strings.Builder
			rep.Encode(&b)
			for _, secret := range []string{"sk-openai-plan-1", "sk-ant-plan-2", "plan-test-secret-key-0000"} {
				if strings.Contains(b.String(), secret) {
					t.Errorf("the report holds %q", secret)
				}
			}
		})
	}
}

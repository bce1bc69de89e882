package redact

import (
	"strings"
	"testing"
)

// TestFromEnv: every provider's key and AWS's secrets in the environment
// are masked wherever they turn up; other variables are not.
func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"OPENAI_API_KEY": "sk-openai-env-1111", "ANTHROPIC_API_KEY": "sk-ant-env-2222",
		"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIK7MDENGbPxRfiCYENV3333", "AWS_SESSION_TOKEN": "FwoGZXIvYXdzENV4444",
		"AWS_BEARER_TOKEN_BEDROCK": "ABSKQmVkcm9ja0FQSUtleS5555", "HOME": "/home/someone",
	}
	r := FromEnv(func(k string) string { return env[k] })
	for k, v := range env {
		got := r.String("error: " + v + " was refused")
		if masked := !strings.Contains(got, v); masked != (k != "HOME") {
			t.Errorf("%s: %q", k, got)
		}
	}
}

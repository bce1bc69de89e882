package main

import "github.com/inferbench/inferbench/internal/redact"

// secretEnv are the environment variables whose values are secrets wherever
// they turn up: the API keys an endpoint run reads by default and the AWS
// credentials that SDKs, proxies and signed URLs carry. Their values are
// masked in everything the invocation prints or writes, whether or not it
// uses them; the variable --api-key-env names and --header values are added
// when read (endpointFlags.settings).
var secretEnv = [...]string{
	"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
}

// envSecrets returns the redactor for an invocation: the values of
// secretEnv in its environment, and redact's patterns.
func envSecrets(getenv func(string) string) *redact.Redactor {
	r := redact.New()
	if getenv == nil {
		return r
	}
	for _, k := range secretEnv {
		r.Add(getenv(k))
	}
	return r
}

package redact

// envSecrets are the environment variables whose values are secrets wherever
// they turn up: the API keys an endpoint run reads by default and the AWS
// credentials that SDKs, proxies and signed URLs carry. Their values are
// masked in everything the invocation prints or writes, whether or not it
// uses them; the variable --api-key-env names and --header values are added
// when read (package plan).
var envSecrets = [...]string{
	"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_BEARER_TOKEN_BEDROCK",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
}

// FromEnv returns the redactor for an invocation: the values of
// envSecrets in its environment, and redact's patterns.
func FromEnv(getenv func(string) string) *Redactor {
	r := New()
	if getenv == nil {
		return r
	}
	for _, k := range envSecrets {
		r.Add(getenv(k))
	}
	return r
}

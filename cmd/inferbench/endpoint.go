package main

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/internal/redact"
	"github.com/spf13/pflag"
)

// endpointFlags are `inferbench run`'s settings for http(s):// backends. They
// become one typed remote.Config, held by the registry's remote.Opener.
type endpointFlags struct {
	fs                *pflag.FlagSet
	api               string
	dialect           string
	apiKeyEnv         string
	headers           []string
	caCert            string
	connectTimeout    time.Duration
	firstTokenTimeout time.Duration
	requestTimeout    time.Duration
	prompts           string
	lengthHints       bool
	stream            bool
	transport         string
	// names are the flags registered here, which only endpoints read.
	names []string
}

const endpointExamples = `  inferbench run --backend http://127.0.0.1:8000/v1 --model llama-3.1-8b --input-tokens 128 --output-tokens 64
  inferbench run --backend https://RES.openai.azure.com/openai/deployments/DEP?api-version=2024-10-21 \
    --api-key-env AZURE_OPENAI_API_KEY --model gpt-4o --concurrency 4 --duration 30s
  inferbench run --backend https://llm.internal/v1 --ca-cert ca.pem --header X-Team=infra --prompts prompts.jsonl
`

// addEndpointFlags registers the endpoint flags on fs.
func addEndpointFlags(fs *pflag.FlagSet) *endpointFlags {
	f := &endpointFlags{fs: fs}
	before := map[string]bool{}
	fs.VisitAll(func(fl *pflag.Flag) { before[fl.Name] = true })
	defer fs.VisitAll(func(fl *pflag.Flag) {
		if !before[fl.Name] {
			f.names = append(f.names, fl.Name)
		}
	})
	fs.StringVar(&f.api, "api", "chat", "endpoints: chat (/chat/completions) or completions (/completions)")
	fs.StringVar(&f.dialect, "dialect", "auto", "endpoints: openai (Bearer token), azure (api-key header, api-version URL) or auto (from the URL)")
	fs.StringVar(&f.apiKeyEnv, "api-key-env", "OPENAI_API_KEY", "endpoints: environment variable holding the API key (never reported)")
	fs.StringArrayVar(&f.headers, "header", nil, "endpoints: extra request header K=V, repeatable")
	fs.StringVar(&f.caCert, "ca-cert", "", "endpoints: PEM file of CAs to trust for https")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", remote.DefaultConnectTimeout, "endpoints: TCP and TLS connect timeout")
	fs.DurationVar(&f.firstTokenTimeout, "first-token-timeout", remote.DefaultFirstTokenTimeout, "endpoints: give up on a request with no token after this long")
	fs.DurationVar(&f.requestTimeout, "request-timeout", remote.DefaultRequestTimeout, "endpoints: give up on a request after this long")
	fs.StringVar(&f.prompts, "prompts", "", "endpoints: JSONL file of prompts ({\"prompt\": \"...\"} per line) instead of synthetic ones")
	fs.BoolVar(&f.lengthHints, "length-hints", true, "endpoints: send ignore_eos and min_tokens so lengths are exact (default off for azure)")
	fs.BoolVar(&f.stream, "stream", true, "endpoints: stream tokens (--stream=false: whole responses)")
	fs.StringVar(&f.transport, "transport", remote.TransportAuto, "endpoints: auto (h1 for http and https, net/http through a proxy), h1 or net/http (HTTP/2 where offered)")
	return f
}

// opener builds the remote backends' configuration from the flags, once,
// and checks it, once (remote.Config.Validate: an error names the flag).
// The API key is read through e.getenv here, so tests can give their own
// environment; it goes only into the Config, which no report or log prints.
// It and the values of credential headers (redact.SecretHeader) are
// registered with e.secrets, so that no error, line or report field the run
// writes shows them. concurrency sizes the connection pool.
func (f *endpointFlags) opener(e *env, concurrency int) (remote.Opener, error) {
	getenv := e.getenv
	c := remote.Config{
		API:               remote.API(f.api),
		Dialect:           remote.Dialect(f.dialect),
		Headers:           http.Header{},
		CACert:            f.caCert,
		ConnectTimeout:    f.connectTimeout,
		FirstTokenTimeout: f.firstTokenTimeout,
		RequestTimeout:    f.requestTimeout,
		MaxConns:          remote.DefaultMaxConns,
		PromptsFile:       f.prompts, // read by remote.New: a bad file is an error about the backend
		LengthHints:       f.lengthHints,
		NoStream:          !f.stream,
		Transport:         f.transport,
	}
	if concurrency > 0 {
		c.MaxConns = concurrency
	}
	for _, h := range f.headers {
		k, v, ok := strings.Cut(h, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return remote.Opener{}, usagef("--header %q: want NAME=VALUE, e.g. --header X-Team=infra", h)
		}
		c.Headers.Add(k, v)
		if redact.SecretHeader(k) {
			e.secrets.Add(v)
		}
	}
	env := f.apiKeyEnv
	if env != "" {
		key := getenv(env)
		if key == "" && !f.fs.Changed("api-key-env") && f.dialect == string(remote.DialectAzure) {
			env, key = "AZURE_OPENAI_API_KEY", getenv("AZURE_OPENAI_API_KEY")
		}
		if key == "" && f.fs.Changed("api-key-env") {
			return remote.Opener{}, usagef("--api-key-env %s: the variable is empty or unset; export it or drop the flag", env)
		}
		if key != "" {
			e.secrets.Add(key)
			c.APIKey, c.APIKeyEnv = key, env
		}
	}
	if err := c.Validate(); err != nil {
		return remote.Opener{}, usagef("--%v", err) // a remote.FieldError is named as the flag is
	}
	return remote.Opener{Config: c, LengthHintsSet: f.fs.Changed("length-hints")}, nil
}

// openError maps a backend-opening error to an exit code: an endpoint that
// cannot be reached is a runtime failure (1); anything else about opening a
// backend is bad input (2).
func openError(err error) error {
	var ae *accel.Error
	if errors.As(err, &ae) && ae.Class == accel.ClassConnect {
		return err
	}
	return usageError{err}
}

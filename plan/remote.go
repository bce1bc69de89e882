package plan

import (
	"net/http"
	"strings"

	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/internal/redact"
)

// remoteOpener builds the endpoints' configuration once and checks it once
// (remote.Config.Validate: an error names the field as its flag). The API key
// is read through getenv; it goes only into the Config, which no report or
// log prints, and it and the values of credential headers
// (redact.SecretHeader) are passed to secret, so that whoever prints what
// the run says can mask them. concurrency sizes the connection pool.
func (p *Plan) remoteOpener(getenv func(string) string, secret func(string)) (remote.Opener, error) {
	r := p.Remote
	c := remote.Config{
		API:               remote.API(r.API),
		Dialect:           remote.Dialect(r.Dialect),
		Headers:           http.Header{},
		CACert:            r.CACert,
		ConnectTimeout:    r.ConnectTimeout.Std(),
		FirstTokenTimeout: r.FirstTokenTimeout.Std(),
		RequestTimeout:    r.RequestTimeout.Std(),
		MaxConns:          remote.DefaultMaxConns,
		PromptsFile:       r.Prompts, // read by remote.New: a bad file is an error about the backend
		LengthHints:       r.LengthHints == nil || *r.LengthHints,
		NoStream:          r.Stream != nil && !*r.Stream,
		Transport:         r.Transport,
		Region:            r.Region,
		SageMakerBody:     r.SageMakerBody,
	}
	if c.Dialect == "" {
		c.Dialect = remote.DialectAuto // chosen per URL when each backend opens
	}
	c.URL = ""                            // each backend's own
	c = c.WithDefaults()                  // zero timeouts, API and transport
	c.Dialect = remote.Dialect(r.Dialect) // auto stays auto until a URL is known
	if c.Dialect == "" {
		c.Dialect = remote.DialectAuto
	}
	if p.Concurrency > 0 {
		c.MaxConns = p.Concurrency
	}
	for _, h := range r.Headers {
		k, v, ok := strings.Cut(h, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return remote.Opener{}, inputf("--header %q: want NAME=VALUE, e.g. --header X-Team=infra", h)
		}
		c.Headers.Add(k, v)
		if redact.SecretHeader(k) {
			secret(v)
		}
	}
	if env, key, err := apiKey(r.APIKeyEnv, c.Dialect, getenv); err != nil {
		return remote.Opener{}, err
	} else if key != "" {
		secret(key)
		c.APIKey, c.APIKeyEnv = key, env
	}
	if err := c.Validate(); err != nil {
		return remote.Opener{}, inputf("--%v", err) // a remote.FieldError is named as the flag is
	}
	return remote.Opener{Config: c, LengthHintsSet: r.LengthHints != nil}, nil
}

// NoAPIKey is the APIKeyEnv that sends no key, whatever the environment
// holds (the command line's --api-key-env "").
const NoAPIKey = "-"

// apiKey reads the API key: from the variable given, which must then be
// set, else from OPENAI_API_KEY, else for the azure dialect from
// AZURE_OPENAI_API_KEY; the anthropic dialect's default is
// ANTHROPIC_API_KEY alone (an OpenAI key is no use to it). None is no key:
// a local server needs none.
func apiKey(given string, dialect remote.Dialect, getenv func(string) string) (env, key string, err error) {
	switch given {
	case NoAPIKey:
		return "", "", nil
	case "":
		if dialect == remote.DialectAnthropic {
			return "ANTHROPIC_API_KEY", getenv("ANTHROPIC_API_KEY"), nil
		}
		if key = getenv("OPENAI_API_KEY"); key != "" || dialect != remote.DialectAzure {
			return "OPENAI_API_KEY", key, nil
		}
		return "AZURE_OPENAI_API_KEY", getenv("AZURE_OPENAI_API_KEY"), nil
	}
	if key = getenv(given); key == "" {
		return "", "", inputf("--api-key-env %s: the variable is empty or unset; export it or drop the flag", given)
	}
	return given, key, nil
}

package remote

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/internal/redact"
)

// API names the endpoint a request goes to.
type API string

// The APIs.
const (
	APIChat        API = "chat"        // /chat/completions with messages
	APICompletions API = "completions" // /completions with a prompt
)

// Dialect names how a cloud wants to be spoken to.
type Dialect string

// The dialects.
const (
	// DialectOpenAI: base URL + /chat/completions, Authorization: Bearer KEY.
	// vLLM, TGI, SGLang, TensorRT-LLM, llama.cpp, Ollama, NIM and OpenAI itself.
	DialectOpenAI Dialect = "openai"
	// DialectAzure: a deployment URL
	// (https://RES.openai.azure.com/openai/deployments/DEP?api-version=V) +
	// /chat/completions, keeping the api-version query, and an api-key header.
	DialectAzure Dialect = "azure"
)

// The Settings keys the Opener reads from accel.Options.Settings. Each is
// optional; the CLI sets them from `inferbench run`'s endpoint flags.
const (
	SettingAPI               = "api"                 // chat (default) or completions
	SettingDialect           = "dialect"             // openai or azure; default: detected from the URL
	SettingAPIKey            = "api_key"             // the key itself (never reported or logged)
	SettingAPIKeyEnv         = "api_key_env"         // the variable it came from (reported)
	SettingHeaderPrefix      = "header:"             // "header:NAME" = value: an extra request header
	SettingCACert            = "ca_cert"             // PEM file of CAs to trust for https
	SettingConnectTimeout    = "connect_timeout"     // e.g. 5s
	SettingFirstTokenTimeout = "first_token_timeout" // e.g. 60s
	SettingRequestTimeout    = "request_timeout"     // e.g. 10m
	SettingMaxConns          = "max_conns"           // keep-alive pool size: the concurrency (at least 64 are kept)
	SettingPrompts           = "prompts"             // JSONL prompts file
	SettingLengthHints       = "length_hints"        // true or false: send ignore_eos and min_tokens
	SettingStream            = "stream"              // true (default) or false
	SettingTransport         = "transport"           // auto (default), h1 or net/http
)

// The transports.
const (
	TransportAuto    = "auto"     // h1 for http and https without a proxy, else net/http
	TransportH1      = "h1"       // package h1: allocation-free HTTP/1.1
	TransportNetHTTP = "net/http" // the standard library's client (https, HTTP/2, proxies)
)

// Config is everything a remote backend needs. Zero durations and counts take
// the defaults below.
type Config struct {
	URL     string // the base URL, e.g. http://127.0.0.1:8000/v1
	API     API
	Dialect Dialect
	Model   string
	// APIKey is sent as Authorization: Bearer (openai) or api-key (azure). It is
	// never put in Info, errors or logs; error text a server echoes it in is
	// redacted.
	APIKey    string
	APIKeyEnv string
	Headers   http.Header
	CACert    string // PEM file
	// Timeouts: connect (TCP and TLS), first token (from send to the first
	// content chunk) and the whole request.
	ConnectTimeout    time.Duration
	FirstTokenTimeout time.Duration
	RequestTimeout    time.Duration
	MaxConns          int
	Prompts           []string // used in turn by request number instead of synthetic prompts
	PromptsFile       string   // where Prompts came from, for Info
	LengthHints       bool
	NoStream          bool   // send stream: false and read the whole response
	Transport         string // auto, h1 or net/http
	Seed              uint64
}

// The defaults.
const (
	DefaultConnectTimeout    = 5 * time.Second
	DefaultFirstTokenTimeout = 60 * time.Second
	DefaultRequestTimeout    = 10 * time.Minute
	DefaultMaxConns          = 64
)

// DetectDialect guesses the dialect from a URL: Azure OpenAI resources live
// under *.openai.azure.com (or *.cognitiveservices.azure.com) and their
// deployment paths look like /openai/deployments/NAME.
func DetectDialect(u *url.URL) Dialect {
	h := strings.ToLower(u.Hostname())
	if strings.HasSuffix(h, ".openai.azure.com") || strings.HasSuffix(h, ".cognitiveservices.azure.com") ||
		strings.Contains(u.Path, "/openai/deployments/") {
		return DialectAzure
	}
	return DialectOpenAI
}

// ConfigFromOptions builds a Config from a spec URL and the Settings keys above.
// Errors name the bad key and value and wrap accel.ErrBadSpec.
func ConfigFromOptions(spec accel.Spec, o accel.Options) (Config, error) {
	c := Config{URL: spec.Target, Model: o.Model, Seed: o.Seed, API: APIChat, LengthHints: true, Headers: http.Header{}}
	// The error names what the user wrote, with the secrets it holds masked:
	// the key, the header values and the URL's user info (a spec that is not a
	// URL is where a password is most often echoed).
	red := redact.New(o.Settings[SettingAPIKey])
	for k, v := range o.Settings {
		if name, ok := strings.CutPrefix(k, SettingHeaderPrefix); ok && redact.SecretHeader(name) {
			red.Add(v)
		}
	}
	bad := func(format string, args ...any) error {
		return &accel.SpecError{Spec: red.String(spec.Raw), Reason: red.String(fmt.Sprintf(format, args...))}
	}
	dur := func(key string, dst *time.Duration) error {
		v, ok := o.Settings[key]
		if !ok || v == "" {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return bad("%s %q: want a positive duration like 5s or 2m", key, v)
		}
		*dst = d
		return nil
	}
	boolean := func(key string, dst *bool) error {
		v, ok := o.Settings[key]
		if !ok || v == "" {
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return bad("%s %q: want true or false", key, v)
		}
		*dst = b
		return nil
	}
	keys := make([]string, 0, len(o.Settings))
	for k := range o.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first bad key reported is the same every time
	lengthHintsSet := false
	for _, k := range keys {
		v := o.Settings[k]
		var err error
		switch k {
		case SettingAPI:
			switch API(v) {
			case APIChat, APICompletions:
				c.API = API(v)
			case "":
			default:
				err = bad("api %q: want chat or completions", v)
			}
		case SettingDialect:
			switch Dialect(v) {
			case DialectOpenAI, DialectAzure:
				c.Dialect = Dialect(v)
			case "", "auto":
			default:
				err = bad("dialect %q: want openai, azure or auto", v)
			}
		case SettingAPIKey:
			c.APIKey = v
		case SettingAPIKeyEnv:
			c.APIKeyEnv = v
		case SettingCACert:
			c.CACert = v
		case SettingConnectTimeout:
			err = dur(k, &c.ConnectTimeout)
		case SettingFirstTokenTimeout:
			err = dur(k, &c.FirstTokenTimeout)
		case SettingRequestTimeout:
			err = dur(k, &c.RequestTimeout)
		case SettingMaxConns:
			if v != "" {
				n, perr := strconv.Atoi(v)
				if perr != nil || n < 1 {
					err = bad("max_conns %q: want a whole number of at least 1", v)
				}
				c.MaxConns = n
			}
		case SettingPrompts:
			if v != "" {
				c.PromptsFile = v
				if c.Prompts, err = ReadPromptsFile(v); err != nil {
					err = bad("prompts: %v", err)
				}
			}
		case SettingLengthHints:
			lengthHintsSet = v != ""
			err = boolean(k, &c.LengthHints)
		case SettingTransport:
			switch v {
			case "", TransportAuto, TransportH1, TransportNetHTTP:
				c.Transport = v
			default:
				err = bad("transport %q: want auto, h1 or net/http", v)
			}
		case SettingStream:
			stream := true
			err = boolean(k, &stream)
			c.NoStream = !stream
		default:
			name, ok := strings.CutPrefix(k, SettingHeaderPrefix)
			if !ok || name == "" {
				err = bad("unknown setting %q; valid: %s", k, strings.Join(settingKeys(), ", "))
				break
			}
			if !validHeaderName(name) || strings.ContainsAny(v, "\r\n\x00") {
				// Worded so the name is not followed by a colon: the
				// redaction would take the next word for the header's value.
				err = bad("%s is not sent: want a header name of letters, digits and -_. and a value on one line", k)
				break
			}
			c.Headers.Add(name, v)
		}
		if err != nil {
			return c, err
		}
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return c, bad("not a URL: %v", err)
	}
	if c.Dialect == "" {
		c.Dialect = DetectDialect(u)
	}
	if c.Dialect == DialectAzure && !lengthHintsSet {
		c.LengthHints = false // Azure rejects parameters it does not know
	}
	return c, nil
}

// Redactor returns what masks this configuration's secrets in text: the API
// key, the values of credential headers (redact.SecretHeader: X-Api-Key, a
// cookie) and the URL's password (or its user name when it has no password:
// a key given as https://KEY@host), besides the patterns package redact
// finds anyway.
func (c *Config) Redactor() *redact.Redactor {
	r := redact.New(c.APIKey)
	for k, vs := range c.Headers {
		if redact.SecretHeader(k) {
			r.Add(vs...)
		}
	}
	if u, err := url.Parse(c.URL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			r.Add(pw)
		} else {
			r.Add(u.User.Username())
		}
	}
	return r
}

// validHeaderName reports whether name is an HTTP token (RFC 9110), so it
// cannot split or smuggle a header.
func validHeaderName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return name != ""
}

func settingKeys() []string {
	return []string{SettingAPI, SettingDialect, SettingAPIKey, SettingAPIKeyEnv, SettingHeaderPrefix + "NAME",
		SettingCACert, SettingConnectTimeout, SettingFirstTokenTimeout, SettingRequestTimeout,
		SettingMaxConns, SettingPrompts, SettingLengthHints, SettingStream, SettingTransport}
}

// endpoint returns the URL requests go to: the base URL's path + /chat/completions
// or /completions, keeping its query (Azure's api-version). A base URL with no
// path means /v1, the usual mount point.
func (c *Config) endpoint() (string, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scheme %q: want http or https", u.Scheme)
	}
	p := strings.TrimRight(u.Path, "/")
	if p == "" && c.Dialect == DialectOpenAI {
		p = "/v1"
	}
	if c.API == APICompletions {
		p += "/completions"
	} else {
		p += "/chat/completions"
	}
	u.Path, u.RawPath = p, ""
	if c.Dialect == DialectAzure && u.Query().Get("api-version") == "" {
		return "", fmt.Errorf("azure dialect: the URL has no api-version; add ?api-version=2024-10-21 (or the version your resource supports)")
	}
	return u.String(), nil
}

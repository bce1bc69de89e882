package remote

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/inferbench/inferbench/internal/redact"
)

// API names the endpoint a request goes to.
type API string

// The APIs.
const (
	APIChat        API = "chat"        // /chat/completions with messages
	APICompletions API = "completions" // /completions with a prompt
	// APIResponses: /responses with input, OpenAI's Responses API (the
	// recommended way to run gpt-oss and reasoning models): typed events,
	// reasoning and answer text apart, usage in response.completed.
	APIResponses API = "responses"
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
	// DialectAnthropic: base URL + /messages (Anthropic's Messages API),
	// x-api-key and anthropic-version headers; its API is always messages.
	DialectAnthropic Dialect = "anthropic"
	// DialectBedrock: AWS Bedrock Runtime's ConverseStream,
	// BASE/model/MODEL/converse-stream, signed with SigV4 (service bedrock)
	// with credentials from the AWS default chain; the answer is AWS
	// event-stream frames, not SSE.
	DialectBedrock Dialect = "bedrock"
	// DialectSageMaker: SageMaker Runtime's
	// BASE/endpoints/NAME/invocations-response-stream (NAME the model
	// setting), signed with SigV4 (service sagemaker); each PayloadPart
	// carries the container's own stream, Text Generation Inference's or
	// the LMI (DJL Serving, vLLM) container's token lines, or chat
	// completion chunks (SageMakerBody says which body is sent).
	DialectSageMaker Dialect = "sagemaker"
	// DialectAuto (or ""): detected from the URL (DetectDialect).
	DialectAuto Dialect = "auto"
)

// The request bodies the sagemaker dialect sends (Config.SageMakerBody).
// SageMaker passes the body to the container as it is; the container picks
// its schema from it, and answers in that schema's stream.
const (
	// SageMakerBodyTGI: {"inputs", "parameters": {"max_new_tokens",
	// "details"}, "stream"}, Text Generation Inference's generate schema,
	// which the LMI container also reads (its "standard schema"). TGI
	// answers with its token events, LMI with its JSON lines.
	SageMakerBodyTGI = "tgi"
	// SageMakerBodyChat: {"messages", "max_tokens", "stream",
	// "stream_options"}, the OpenAI chat-completions schema TGI, vLLM and
	// LMI read from a body with messages; they answer with
	// chat.completion.chunk objects, as server-sent events or (LMI's
	// rolling-batch handlers) JSON lines.
	SageMakerBodyChat = "chat"
)

// The transports.
const (
	TransportAuto    = "auto"     // h1 for http and https without a proxy, else net/http
	TransportH1      = "h1"       // package h1: allocation-free HTTP/1.1
	TransportNetHTTP = "net/http" // the standard library's client (https, HTTP/2, proxies)
)

// Config is everything a remote backend needs, typed: the CLI builds one from
// its endpoint flags, and Validate checks it in one place, each error naming
// the field (as the CLI's flag names it). New fills zero fields with the
// defaults below (WithDefaults) before it checks.
type Config struct {
	URL     string  // the base URL, e.g. http://127.0.0.1:8000/v1
	API     API     // chat (the default) or completions
	Dialect Dialect // openai, azure, or auto or "": detected from the URL
	Model   string
	// APIKey is sent as Authorization: Bearer (openai), api-key (azure) or
	// x-api-key (anthropic). It is
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
	// PromptsFile is where Prompts came from, for Info; when Prompts is nil,
	// New reads them from it (ReadPromptsFile).
	PromptsFile string
	// LengthHints sends ignore_eos and min_tokens, so a server generates
	// exactly the lengths asked for.
	LengthHints bool
	NoStream    bool   // send stream: false and read the whole response
	Transport   string // auto (or ""), h1 or net/http
	Seed        uint64
	// Region is the AWS region the bedrock dialect signs for (AWS_REGION
	// when empty).
	Region string
	// SageMakerBody is the body the sagemaker dialect sends:
	// SageMakerBodyTGI (the default, when empty) or SageMakerBodyChat.
	// Whichever it is, every stream a container answers in is read.
	SageMakerBody string
	// AWSCredentials signs the bedrock dialect's requests; nil loads the
	// default chain (environment, shared config and profiles, SSO, IMDS).
	// Its keys are never put in Info, errors or logs.
	AWSCredentials aws.CredentialsProvider
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

// FieldError is a Config field whose value no endpoint can be opened with.
// Field is named as the CLI's flag is (api, dialect, transport, header,
// connect-timeout, first-token-timeout, request-timeout, max-conns), so the
// CLI reports it as "--" + Error(). The message never holds a header's
// value or the API key: either may be a secret.
type FieldError struct {
	Field string // e.g. "api"
	Msg   string // the value and what would do, e.g. `"embeddings": want chat or completions`
}

func (e *FieldError) Error() string { return e.Field + " " + e.Msg }

// WithDefaults returns c with its zero fields given their defaults: the API
// chat, the dialect detected from the URL, the transport auto, the timeouts
// and the connection count the Default constants.
func (c Config) WithDefaults() Config {
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.FirstTokenTimeout == 0 {
		c.FirstTokenTimeout = DefaultFirstTokenTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.API == "" {
		c.API = APIChat
	}
	if c.Dialect == "" || c.Dialect == DialectAuto {
		c.Dialect = DialectOpenAI
		if u, err := url.Parse(c.URL); err == nil && c.URL != "" {
			c.Dialect = DetectDialect(u)
		}
	}
	if c.Transport == "" {
		c.Transport = TransportAuto
	}
	return c
}

// Validate checks c as it is given, every field: a zero timeout or
// connection count is an error here (set to 0 on purpose, it means nothing);
// New checks c.WithDefaults(). The URL is not checked: a Config without one
// is the CLI's, shared by every URL it opens. Errors are *FieldError.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	switch c.API {
	case APIChat, APICompletions, APIResponses:
	default:
		return bad("api", "%q: want chat, completions or responses", c.API)
	}
	switch c.Dialect {
	case DialectOpenAI, DialectAzure, DialectAuto, "":
	case DialectAnthropic, DialectBedrock, DialectSageMaker:
		if c.API != APIChat && c.API != "" {
			return bad("api", "%q: the %s dialect has one API, its own (leave --api out)", c.API, c.Dialect)
		}
		if (c.Dialect == DialectBedrock || c.Dialect == DialectSageMaker) && c.Transport == TransportH1 {
			return bad("transport", "h1: the %s dialect signs each request and goes through net/http (leave --transport out)", c.Dialect)
		}
	default:
		return bad("dialect", "%q: want openai, azure, anthropic, bedrock, sagemaker or auto", c.Dialect)
	}
	switch c.SageMakerBody {
	case "", SageMakerBodyTGI, SageMakerBodyChat:
		if c.SageMakerBody != "" && c.Dialect != DialectSageMaker {
			return bad("sagemaker-body", "%q: only the sagemaker dialect sends it (add --dialect sagemaker, or leave --sagemaker-body out)", c.SageMakerBody)
		}
	default:
		return bad("sagemaker-body", "%q: want tgi (inputs and parameters) or chat (messages)", c.SageMakerBody)
	}
	if c.NoStream && (c.API == APIResponses || c.Dialect == DialectAnthropic || c.Dialect == DialectBedrock || c.Dialect == DialectSageMaker) {
		return bad("stream", "false: the responses API and the anthropic, bedrock and sagemaker dialects are measured streamed only")
	}
	switch c.Transport {
	case TransportAuto, TransportH1, TransportNetHTTP:
	default:
		return bad("transport", "%q: want auto, h1 or net/http", c.Transport)
	}
	for _, d := range []struct {
		field string
		d     time.Duration
	}{{"connect-timeout", c.ConnectTimeout}, {"first-token-timeout", c.FirstTokenTimeout}, {"request-timeout", c.RequestTimeout}} {
		if d.d <= 0 {
			return bad(d.field, "%v: want a positive duration like 5s or 2m", d.d)
		}
	}
	if c.MaxConns < 1 {
		return bad("max-conns", "%d: want a whole number of at least 1", c.MaxConns)
	}
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	sort.Strings(names) // the first bad header reported is the same every time
	for _, k := range names {
		oneLine := true
		for _, v := range c.Headers[k] {
			oneLine = oneLine && !strings.ContainsAny(v, "\r\n\x00")
		}
		if !validHeaderName(k) || !oneLine {
			// Worded so the name is not followed by a colon: the
			// redaction would take the next word for the header's value.
			return bad("header", "%q is not sent: want a header name of letters, digits and -_. and a value on one line", k)
		}
	}
	return nil
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

// endpoint returns the URL requests go to: the base URL's path +
// /chat/completions, /completions, /responses or (anthropic) /messages,
// keeping its query (Azure's api-version). A base URL with no
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
	if p == "" && c.Dialect == DialectAnthropic {
		p = "/v1"
	}
	switch {
	case c.Dialect == DialectBedrock:
		if c.Model == "" {
			return "", &FieldError{Field: "model", Msg: `"": the bedrock dialect needs the model id, e.g. --model openai.gpt-oss-120b-1:0`}
		}
		p += "/model/" + url.PathEscape(c.Model) + "/converse-stream"
	case c.Dialect == DialectSageMaker:
		if c.Model == "" {
			return "", &FieldError{Field: "model", Msg: `"": the sagemaker dialect needs the endpoint name, e.g. --model my-llama-endpoint`}
		}
		p += "/endpoints/" + url.PathEscape(c.Model) + "/invocations-response-stream"
	case c.Dialect == DialectAnthropic:
		p += "/messages"
	case c.API == APICompletions:
		p += "/completions"
	case c.API == APIResponses:
		p += "/responses"
	default:
		p += "/chat/completions"
	}
	u.Path, u.RawPath = p, ""
	if c.Dialect == DialectAzure && u.Query().Get("api-version") == "" {
		return "", fmt.Errorf("azure dialect: the URL has no api-version; add ?api-version=2024-10-21 (or the version your resource supports)")
	}
	return u.String(), nil
}

// Package redact masks secrets in text that leaves the process: error
// messages, log, note and progress lines, the fields of a report and what is
// rendered from one. A benchmark is pointed at endpoints that need
// credentials, and its output is pasted into issues and kept as CI
// artifacts, so a password in a URL or a key a server echoes back must not
// reach any of them.
//
// Two kinds of secret are found:
//
//   - known values: what the run read as a secret (an API key from the
//     environment, --header values, the AWS keys in the environment),
//     registered with a Redactor, masked wherever the exact value (or its
//     URL- or Go-quoted form) occurs;
//   - patterns, which need no registration: the user:password of any URL
//     inside a longer text, "Bearer TOKEN", the values of Authorization,
//     api-key, x-api-key and similar headers or key=value pairs (JSON, query
//     strings, aws_secret_access_key= in a config), and keys of a known shape
//     (sk-..., hf_...).
//
// Each is replaced by Mask, so the text still says what failed and where
// ("cannot reach http://REDACTED@127.0.0.1:1/v1"). Redaction allocates and
// runs regular expressions: it belongs on error and output paths, never on a
// per-token or per-request one.
package redact

import (
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Mask replaces every secret found.
const Mask = "REDACTED"

// MinLen is the shortest known value a Redactor masks: a shorter one would
// mask unrelated text ("a", "dev") wherever it occurs, and is not a secret
// anyone could rely on anyway. Patterns mask values of any length.
const MinLen = 4

// Redactor masks known values and the patterns. The zero value and a nil
// *Redactor mask the patterns only. It is safe for concurrent use.
type Redactor struct {
	mu     sync.RWMutex
	values []string // longest first: a value that contains another is masked whole
}

// New returns a Redactor that masks values (see Add).
func New(values ...string) *Redactor {
	r := &Redactor{}
	r.Add(values...)
	return r
}

// Add registers secret values. Each is masked as it is and in the forms it
// takes inside a URL or a Go-quoted string (%q), since that is how error
// messages carry it. Values shorter than MinLen, and repeats, are ignored.
// Add on a nil Redactor does nothing.
func (r *Redactor) Add(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[string]bool, len(r.values))
	for _, v := range r.values {
		seen[v] = true
	}
	for _, v := range values {
		if len(v) < MinLen {
			continue
		}
		q := strconv.Quote(v)
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), q[1 : len(q)-1]} {
			if !seen[form] {
				seen[form] = true
				r.values = append(r.values, form)
			}
		}
	}
	sort.SliceStable(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
}

// String returns s with every known value and every pattern masked.
func (r *Redactor) String(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, v := range r.values {
			if strings.Contains(s, v) {
				s = strings.ReplaceAll(s, v, Mask)
			}
		}
		r.mu.RUnlock()
	}
	return patterns(s)
}

// Strings returns a new slice of ss redacted, nil for nil; ss is not changed.
func (r *Redactor) Strings(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.String(s)
	}
	return out
}

// Map returns a new map of m with its values redacted (keys are names, not
// secrets), nil for nil; m is not changed.
func (r *Redactor) Map(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = r.String(v)
	}
	return out
}

// String masks the patterns in s: what can be found without knowing the
// values.
func String(s string) string { return patterns(s) }

// Strings masks the patterns in each of ss, in a new slice; nil for nil.
func Strings(ss []string) []string { return (*Redactor)(nil).Strings(ss) }

// URL masks the user information of every URL in s, and nothing else: for
// text known to hold URLs and no other secret, such as a backend spec.
func URL(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return urlUserinfo.ReplaceAllString(s, "${1}"+Mask+"@")
}

// SecretHeader says whether a header's value is a credential, by its name:
// Authorization and Proxy-Authorization, Cookie, and any name that speaks of
// a key, token, secret, password, signature, credential or auth (api-key,
// X-Api-Key, X-Auth-Token, X-Amz-Security-Token). Other values (X-Team:
// infra) are not registered, so that a run's output keeps them.
func SecretHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

var secretWords = [...]string{"auth", "cookie", "key", "token", "secret", "passw", "signature", "credential", "session"}

// The patterns. Each replacement keeps what says where or how the secret
// was given (scheme, host, header name, auth scheme) and masks the secret.
var (
	// The user information of a URL anywhere in the text, up to the last @
	// of its authority (a password may hold an unescaped @). Everything
	// before the @ goes: a user name alone is often a key (https://KEY@host).
	urlUserinfo = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s"'<>` + "`" + `]*@`)
	// A bearer token, wherever it is written.
	bearer = regexp.MustCompile(`(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*`)
	// The value of a header, JSON field, query parameter or config line that
	// holds a credential: "Authorization: Basic ...", "api-key: ...",
	// {"api_key":"..."}, ?X-Amz-Signature=..., aws_secret_access_key = ...
	// The name must be followed by : or = so that prose naming a header
	// ("sends an api-key header") is left alone.
	keyValue = regexp.MustCompile(`(?i)\b(proxy-authorization|authorization|x-api-key|api-key|api_key|apikey|x-goog-api-key|` +
		`x-amz-security-token|x-amz-signature|aws_secret_access_key|aws_session_token|aws_security_token|` +
		`secretaccesskey|sessiontoken|client_secret|access_token|refresh_token|id_token|password|passwd)` +
		`(["'\]]?\s*[:=]\s*["'\[]?)((?:bearer|basic|token|digest|aws4-hmac-sha256)\s+)?[^\s"',;&<>\]]+`)
	// Keys whose shape gives them away: OpenAI-style sk-... (sk-proj-,
	// sk-ant-) and Hugging Face hf_... tokens.
	shapedKey = regexp.MustCompile(`\b(sk-|hf_)[A-Za-z0-9_\-]{16,}`)
)

// patterns applies every pattern; it returns s itself when none matches.
func patterns(s string) string {
	s = URL(s)
	s = bearer.ReplaceAllString(s, "${1}"+Mask)
	s = keyValue.ReplaceAllString(s, "${1}${2}${3}"+Mask)
	s = shapedKey.ReplaceAllString(s, "${1}"+Mask)
	return s
}

package accel

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/inferbench/inferbench/internal/suggest"
)

// Spec is a parsed backend spec: `noop`, `sim:h100-sxm`, `sim:inf2?chips=12`,
// `nvml:0`, `http://host:8000/v1`.
type Spec struct {
	Raw    string     // as written
	Scheme string     // noop, sim, nvml, http, https
	Target string     // the profile, device, or (for URLs) the whole URL
	Params url.Values // options after '?' (not for URLs, whose query is their own)
}

// ParseSpec splits a spec into scheme, target and parameters. It checks only the
// shape; whether the target exists is the opener's business.
func ParseSpec(s string) (Spec, error) {
	sp := Spec{Raw: s, Params: url.Values{}}
	if s == "" {
		return sp, &SpecError{Spec: s, Reason: "empty spec"}
	}
	if strings.TrimSpace(s) != s {
		return sp, &SpecError{Spec: s, Reason: "spec has leading or trailing spaces"}
	}
	if i := strings.Index(s, "://"); i >= 0 {
		u, err := url.Parse(s)
		if err != nil {
			return sp, &SpecError{Spec: s, Reason: "not a URL: " + err.Error()}
		}
		if u.Scheme == "" {
			return sp, &SpecError{Spec: s, Reason: "URL has no scheme before \"://\" (e.g. http://HOST:PORT/v1)"}
		}
		if u.Host == "" {
			return sp, &SpecError{Spec: s, Reason: "URL has no host"}
		}
		sp.Scheme, sp.Target = strings.ToLower(u.Scheme), s
		return sp, nil
	}
	head, query, hasQuery := strings.Cut(s, "?")
	scheme, target, _ := strings.Cut(head, ":")
	sp.Scheme, sp.Target = strings.ToLower(scheme), target // schemes ignore case, as in URLs
	if scheme == "" {
		return sp, &SpecError{Spec: s, Reason: "no scheme before ':'"}
	}
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil {
			return sp, &SpecError{Spec: s, Reason: "bad options after '?': " + err.Error()}
		}
		sp.Params = q
	}
	return sp, nil
}

// Options are the settings a backend is opened with, shared by every kind.
// What only one kind reads (an endpoint's API key, headers and timeouts; the
// endpoint an nvml:N backend sends its load to) is that kind's typed
// configuration, held by its Opener (remote.Opener.Config, nvml.Opener), so
// it is checked once, with the flag or field named, and never travels as text.
type Options struct {
	Model     string // model fixture id (simulated devices size KV cache by it)
	Precision string // numeric format
	// KVPrecision is the KV cache's format where the backend models it
	// (simulated devices; "" for the precision's usual one).
	KVPrecision string
	// Realtime: a backend that can run in virtual time (a simulated device,
	// an oracle) serves real concurrent calls in wall-clock time instead;
	// it says so through Virtual.VirtualTime, and AsVirtual then is false.
	Realtime bool
	Seed     uint64 // for synthetic prompts and any randomness in the backend
	// NoPrefixCache opens simulated devices without their prefix cache.
	NoPrefixCache bool
}

// Opener opens the backends of one or more schemes.
type Opener interface {
	// Schemes lists the spec schemes this opener handles.
	Schemes() []string
	// Targets lists the specs it can open, for help and error messages
	// (e.g. "sim:h100-sxm"); nil when targets are free-form, like URLs.
	Targets() []string
	// Open opens the backend a spec names. Errors about the spec wrap ErrBadSpec.
	Open(spec Spec, o Options) (Backend, error)
}

// Registry opens backends from spec strings. It holds no global state: the
// program builds one with the openers it links in.
type Registry struct {
	bySchema map[string]Opener
	order    []Opener
}

// NewRegistry returns a registry of the given openers. Two openers claiming one
// scheme is a programming error and panics.
func NewRegistry(openers ...Opener) *Registry {
	r := &Registry{bySchema: map[string]Opener{}}
	for _, o := range openers {
		for _, s := range o.Schemes() {
			if _, dup := r.bySchema[s]; dup {
				panic(fmt.Sprintf("accel: scheme %q registered twice", s))
			}
			r.bySchema[s] = o
		}
		r.order = append(r.order, o)
	}
	return r
}

// With returns a new registry of r's openers and more, r unchanged. A
// backend that wraps others is composed this way: the program builds the
// registry of endpoint kinds, then adds the wrapper (nvml:N) that opens its
// endpoint through it, with no registry referring to itself.
func (r *Registry) With(openers ...Opener) *Registry {
	return NewRegistry(append(append([]Opener(nil), r.order...), openers...)...)
}

// Schemes lists the schemes the registry can open, sorted.
func (r *Registry) Schemes() []string {
	out := make([]string, 0, len(r.bySchema))
	for s := range r.bySchema {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Targets lists every spec that can be named exactly, in opener order.
func (r *Registry) Targets() []string {
	var out []string
	for _, o := range r.order {
		out = append(out, o.Targets()...)
	}
	return out
}

// Open parses spec and opens the backend it names.
func (r *Registry) Open(spec string, o Options) (Backend, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	op, ok := r.bySchema[sp.Scheme]
	if !ok {
		valid := r.Targets()
		for _, s := range r.Schemes() {
			if s == "http" || s == "https" {
				valid = append(valid, s+"://HOST:PORT/v1")
			}
		}
		reason := fmt.Sprintf("unknown scheme %q%s", sp.Scheme, suggest.Hint(sp.Scheme, r.Schemes()))
		if looksLikeHost(sp.Scheme, sp.Target) {
			reason = fmt.Sprintf("an endpoint URL needs its scheme: did you mean http://%s?", spec)
		}
		return nil, &SpecError{Spec: spec, Reason: reason, Valid: valid}
	}
	return op.Open(sp, o)
}

// looksLikeHost says a spec without "://" was probably meant as a URL:
// "localhost:8000/v1", "10.0.0.5:8000", "api.example.com:443/v1".
func looksLikeHost(scheme, target string) bool {
	if scheme == "localhost" || strings.Contains(scheme, ".") {
		return true
	}
	port, _, _ := strings.Cut(target, "/")
	if port == "" {
		return false
	}
	for _, r := range port {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

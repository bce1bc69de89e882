package remote_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/internal/nettest"
)

// Every error the remote backend builds masks the configuration's secrets:
// the URL's password before a backend exists (a bad setting, a CA file that
// is not there) as well as after (an unreachable endpoint), and the key,
// header values and password a server echoes in its answer.
func TestErrorsRedactSecrets(t *testing.T) {
	t.Parallel()
	const (
		pw     = "pw-Secret-31337"
		key    = "key-Secret-4242" // no pattern finds it: only the registered value
		header = "hdr-Secret-9000"
	)
	echo := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"rejected `+key+` / `+header+` / `+pw+`"}}`, http.StatusForbidden)
	})
	closed := nettest.RefusedAddr(t)
	withPW := func(base string) string { return strings.Replace(base, "://", "://user:"+pw+"@", 1) + "/v1" }
	secrets := remote.Config{APIKey: key, Headers: http.Header{"X-Auth-Token": {header}}}

	// plus returns the secrets' config changed by f.
	plus := func(f func(c *remote.Config)) remote.Config {
		c := secrets
		c.Headers = secrets.Headers.Clone()
		f(&c)
		return c
	}
	openErr := func(url string, cfg remote.Config) error {
		spec, err := accel.ParseSpec(url)
		if err != nil {
			t.Fatal(err)
		}
		b, err := remote.Opener{Config: cfg}.Open(spec, accel.Options{Model: "m"})
		if err == nil {
			b.Close()
		}
		return err
	}
	tests := []struct {
		name string
		err  func() error
		want string // what the message must still say
	}{
		{"bad field", func() error {
			return openErr(withPW("http://127.0.0.1:1"), plus(func(c *remote.Config) { c.Transport = "carrier-pigeon" }))
		}, `"http://REDACTED@127.0.0.1:1/v1": transport "carrier-pigeon"`},
		{"bad header", func() error {
			return openErr(withPW("http://127.0.0.1:1"), plus(func(c *remote.Config) { c.Headers.Set("X-Evil", header+"\r\nHost: x") }))
		}, `header "X-Evil" is not sent`},
		{"no CA file", func() error {
			return openErr(withPW("https://127.0.0.1:1"), plus(func(c *remote.Config) { c.CACert = "/nonexistent/ca.pem" }))
		}, "ca_cert"},
		{"refused", func() error { return openErr(withPW("http://"+closed), secrets) },
			"cannot reach http://REDACTED@" + closed + "/v1"},
		{"server echoes them", func() error {
			b := open(t, withPW(echo.URL), secrets)
			var res accel.Result
			return b.Infer(context.Background(), &accel.Request{OutputTokens: 2}, &res)
		}, "HTTP 403 Forbidden: "},
	}
	for _, tt := range tests {
		err := tt.err()
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		msg := err.Error()
		for _, s := range []string{pw, key, header} {
			if strings.Contains(msg, s) {
				t.Errorf("%s: %q holds the secret %q", tt.name, msg, s)
			}
		}
		if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "REDACTED") {
			t.Errorf("%s: %q: want it to say %q, with REDACTED where the secret was", tt.name, msg, tt.want)
		}
	}
}

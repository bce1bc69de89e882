package redact

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"url alone", "http://user:secret@127.0.0.1:8000/v1", "http://REDACTED@127.0.0.1:8000/v1"},
		{"url in a Go parse error", `parse "http://user:secret@127.0.0.1:bad/v1": invalid port ":bad" after host`,
			`parse "http://REDACTED@127.0.0.1:bad/v1": invalid port ":bad" after host`},
		{"url in a sentence", "cannot reach https://KEY123@api.example.com/v1: refused (is the server running?)",
			"cannot reach https://REDACTED@api.example.com/v1: refused (is the server running?)"},
		{"password holding an @", "http://u:p@ss@host:1/v1", "http://REDACTED@host:1/v1"},
		{"two urls", "a http://a:b@h1/x and socks5://c:d@h2 z", "a http://REDACTED@h1/x and socks5://REDACTED@h2 z"},
		{"@ after the path is not user info", "http://host/v1?x=a@b", "http://host/v1?x=a@b"},
		{"no user info", "http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"},
		{"already redacted", "http://REDACTED@h/v1", "http://REDACTED@h/v1"},
		{"bearer", "401: bad token Bearer abc.DEF-123_x==, try again", "401: bad token Bearer REDACTED, try again"},
		{"authorization header", "Authorization: Basic dXNlcjpzZWNyZXQ=", "Authorization: Basic REDACTED"},
		{"authorization bearer header", "authorization=Bearer tok123", "authorization=Bearer REDACTED"},
		{"api-key header", "api-key: 0123456789abcdef", "api-key: REDACTED"},
		{"x-api-key header", "X-Api-Key=zz-top-99", "X-Api-Key=REDACTED"},
		{"api key in JSON", `{"error":"bad","api_key":"abcd1234"}`, `{"error":"bad","api_key":"REDACTED"}`},
		{"header map", "map[Authorization:[Bearer xyz] X-Team:[infra]]", "map[Authorization:[Bearer REDACTED] X-Team:[infra]]"},
		{"aws config line", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = REDACTED"},
		{"aws session token env", "AWS_SESSION_TOKEN=FwoGZXIvYXdzEBYaDH", "AWS_SESSION_TOKEN=REDACTED"},
		{"presigned query", "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=IQoJb3&X-Amz-Signature=abcdef&x=1",
			"https://b.s3.amazonaws.com/k?X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED&x=1"},
		{"sk key", "invalid key sk-proj-AbCdEf0123456789xyz given", "invalid key sk-REDACTED given"},
		{"hf token", "token hf_abcdefghijklmnopqrstuvwxyz01 rejected", "token hf_REDACTED rejected"},
		{"prose naming a header is kept", "sends an api-key header; api_key_env=OPENAI_API_KEY", "sends an api-key header; api_key_env=OPENAI_API_KEY"},
		{"short sk- words are kept", "uses sk-learn", "uses sk-learn"},
		{"plain text", "HTTP 500 Internal Server Error: overloaded", "HTTP 500 Internal Server Error: overloaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := String(tt.in); got != tt.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if got := String(String(tt.in)); got != tt.want {
				t.Errorf("not idempotent: %q", got)
			}
		})
	}
}

func TestKnownValues(t *testing.T) {
	t.Parallel()
	const key = "hunter2-is-my-key" // no pattern finds it: it must be registered
	r := New(key, "a:b/c d", `say "hi"`, "abc", "")
	tests := []struct {
		name, in, want string
	}{
		{"as is", "server said: unknown key hunter2-is-my-key", "server said: unknown key REDACTED"},
		{"twice", key + "," + key, "REDACTED,REDACTED"},
		{"query-escaped", "?k=a%3Ab%2Fc+d", "?k=REDACTED"},
		{"path-escaped", "/a:b%2Fc%20d/", "/REDACTED/"},
		{"go-quoted", fmt.Sprintf("header %q", `say "hi"`), "header \"REDACTED\""},
		{"too short to register", "abc def", "abc def"},
		{"patterns too", "http://u:p@h/ " + key, "http://REDACTED@h/ REDACTED"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("%s: String(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
	// A value that contains another is masked whole, whatever the order added.
	r2 := New("abcd")
	r2.Add("abcdefgh")
	if got := r2.String("xabcdefghx abcd"); got != "xREDACTEDx REDACTED" {
		t.Errorf("nested values: %q", got)
	}
	var nilR *Redactor
	nilR.Add(key) // no-op, no panic
	if got := nilR.String("http://u:p@h " + key); got != "http://REDACTED@h "+key {
		t.Errorf("nil Redactor: %q", got)
	}
}

func TestStringsAndMapCopy(t *testing.T) {
	t.Parallel()
	r := New("topsecret")
	in := []string{"a topsecret", "b"}
	out := r.Strings(in)
	if in[0] != "a topsecret" || out[0] != "a REDACTED" || out[1] != "b" {
		t.Errorf("Strings: in %q out %q", in, out)
	}
	m := map[string]string{"endpoint": "http://u:topsecret@h/v1"}
	mo := r.Map(m)
	if m["endpoint"] != "http://u:topsecret@h/v1" || mo["endpoint"] != "http://REDACTED@h/v1" {
		t.Errorf("Map: in %q out %q", m, mo)
	}
	if r.Strings(nil) != nil || r.Map(nil) != nil {
		t.Error("nil in, non-nil out")
	}
}

func TestURLOnlyUserInfo(t *testing.T) {
	t.Parallel()
	in := "http://u:p@h/v1 Bearer tok"
	if got := URL(in); got != "http://REDACTED@h/v1 Bearer tok" {
		t.Errorf("URL(%q) = %q", in, got)
	}
}

func TestConcurrentAddAndString(t *testing.T) {
	t.Parallel()
	r := New()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r.Add(strings.Repeat("k", 4+i))
		}()
		go func() {
			defer wg.Done()
			_ = r.String("kkkkkkkk")
		}()
	}
	wg.Wait()
	if got := r.String("kkkkkkk"); got != Mask {
		t.Errorf("got %q", got)
	}
}

func TestSecretHeader(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "api-key": true, "X-Api-Key": true,
		"X-Auth-Token": true, "Cookie": true, "X-Amz-Security-Token": true, "X-Client-Secret": true,
		"X-Team": false, "Content-Type": false, "X-Request-Id": false, "OpenAI-Organization": false,
	} {
		if got := SecretHeader(name); got != want {
			t.Errorf("SecretHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

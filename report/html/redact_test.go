package html_test

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/report/compare"
	"github.com/inferbench/inferbench/report/html"
)

// A report written before redaction existed (or by hand) may hold a URL with
// its password and a bearer token: the page, its embedded plot included,
// shows neither, and still names the backend and what failed.
func TestPagesRedact(t *testing.T) {
	t.Parallel()
	const pw, tok = "pw-Secret-5", "tok-Secret-6"
	base, next := reports()
	leak := func(id string) string { return "http://user:" + pw + "@" + id + "/v1" }
	for i := range base.Runs {
		run := &base.Runs[i]
		run.Backend.ID = leak("h100")
		run.Failed, run.FailReason = true, "every request failed: Authorization: Bearer "+tok
		run.Warnings = append(run.Warnings, "server said "+leak("h100"))
	}
	next.Runs[0].Backend.ID = leak("l4")
	base.Config.Backends = []string{leak("h100")}
	var a, b bytes.Buffer
	if err := html.WriteReport(&a, "h100.json", base); err != nil {
		t.Fatal(err)
	}
	res, err := compare.Compare(compare.Input{Name: "h100.json", Report: base}, []compare.Input{{Name: "l4.json", Report: next}}, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := html.WriteComparison(&b, res, []compare.Input{{Name: "h100.json", Report: base}, {Name: "l4.json", Report: next}}); err != nil {
		t.Fatal(err)
	}
	svg := regexp.MustCompile(`data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)`)
	for name, page := range map[string]string{"report": a.String(), "compare": b.String()} {
		text := page
		for _, m := range svg.FindAllStringSubmatch(page, -1) {
			plot, err := base64.StdEncoding.DecodeString(m[1])
			if err != nil {
				t.Fatal(err)
			}
			text += string(plot)
		}
		for _, s := range []string{pw, tok} {
			if strings.Contains(text, s) {
				t.Errorf("%s page holds %q", name, s)
			}
		}
		if !strings.Contains(page, "http://REDACTED@h100/v1") || (name == "report" && !strings.Contains(page, "Bearer REDACTED")) {
			t.Errorf("%s page: want the backend and the failure named, secrets masked", name)
		}
	}
	if !strings.Contains(base.Runs[0].Backend.ID, pw) {
		t.Error("writing the page changed the report it was given")
	}
}

package remote_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel/remote"
)

// lineRef is how a bad line is named: "NAME:LINE:".
var lineRef = regexp.MustCompile(`^prompts\.jsonl(:\d+)?: `)

// FuzzReadPrompts feeds arbitrary files to the workload (prompts) reader: it
// accepts or refuses, never panics; a refusal names the file and, for a bad
// line, its number; an acceptance holds one non-empty prompt per object line.
func FuzzReadPrompts(f *testing.F) {
	for _, s := range []string{
		"{\"prompt\": \"hello\"}\n{\"prompt\": \"world\"}\n",
		"{\"prompt\": \"a\"}\r\n\r\n{\"prompt\": \"b\"}",
		"{\"prompt\": \"ok\"}\nnot json\n",
		"{\"prompt\": \"\"}\n",
		"{\"prompt\": 7}\n",
		"{\"prompt\": \"x\", \"extra\": 1}\n",
		"{\"prompt\": \"x\"} {\"prompt\": \"y\"}\n",
		"",
		"\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		ps, err := remote.ReadPrompts(strings.NewReader(doc), "prompts.jsonl")
		if err != nil {
			if !lineRef.MatchString(err.Error()) {
				t.Fatalf("error %q does not name the file (and line)", err)
			}
			return
		}
		if len(ps) == 0 {
			t.Fatal("accepted a file with no prompts")
		}
		for i, p := range ps {
			if p == "" {
				t.Fatalf("prompt %d is empty", i)
			}
		}
	})
}

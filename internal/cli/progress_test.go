package cli_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/internal/cli"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func state(sec int, req int64) cli.ProgressState {
	return cli.ProgressState{Elapsed: time.Duration(sec) * time.Second, Total: 70 * time.Second, Requests: req,
		Rate: float64(req) / float64(sec), P99: 1234500 * time.Microsecond}
}

// Where stderr is not a terminal (a buffer here, a CI log in life) a plain
// line is printed every 10 s of the clock, whatever the updates' rate, and
// one at the end of each run; a run with no update prints nothing.
func TestProgressPlainEvery10s(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(1000, 0)}
	p, err := cli.NewProgress(&buf, "auto", clock.now)
	if err != nil || p == nil {
		t.Fatalf("NewProgress: %v, %v", p, err)
	}
	for sec := 1; sec <= 25; sec++ { // bench's updates come about once a second
		clock.add(time.Second)
		p.Update(state(sec, int64(10*sec)))
	}
	p.End()
	p.End() // a second End (no run in between) prints nothing
	want := "progress: 10s / 1m10s  100 req  10.0 req/s  p99 1234.5 ms\n" +
		"progress: 20s / 1m10s  200 req  10.0 req/s  p99 1234.5 ms\n" +
		"progress: 25s / 1m10s  250 req  10.0 req/s  p99 1234.5 ms (end)\n"
	if got := buf.String(); got != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", got, want)
	}
}

// always rewrites one line in place, whatever the writer; End clears it.
func TestProgressAlwaysLive(t *testing.T) {
	var buf bytes.Buffer
	p, err := cli.NewProgress(&buf, "always", nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Update(cli.ProgressState{Elapsed: 3 * time.Second, Requests: 7, Rate: 2.5, P99: 80 * time.Millisecond})
	p.End()
	if want := "\r\033[K3s  7 req  2.5 req/s  p99 80.0 ms\r\033[K"; buf.String() != want {
		t.Errorf("live progress %q, want %q", buf.String(), want)
	}
}

func TestProgressModes(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		printer bool
		err     string
	}{
		{"auto", true, ""}, {"", true, ""}, {"always", true, ""}, {"never", false, ""},
		{"sometimes", false, `--progress "sometimes": want one of auto, always, never`},
	} {
		p, err := cli.NewProgress(&bytes.Buffer{}, tc.mode, nil)
		if (p != nil) != tc.printer || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: printer %v, error %v; want printer %v, error %q", tc.mode, p != nil, err, tc.printer, tc.err)
		}
		if err != nil && cli.Code(err) != 2 {
			t.Errorf("%q: exit code %d, want 2 (usage)", tc.mode, cli.Code(err))
		}
	}
	var never *cli.Progress
	never.Update(cli.ProgressState{}) // the nil printer is silent, not a panic
	never.End()
	if got := (cli.ProgressState{Elapsed: 1500 * time.Millisecond, Requests: 3}).Line(); got != "2s  3 req  0.0 req/s  p99 0.0 ms" {
		t.Errorf("a run of unknown length: %q", got)
	}
	if got := (cli.ProgressState{Label: "sim:l4", Elapsed: time.Second, P99: 201 * time.Nanosecond}).Line(); got != "sim:l4  1s  0 req  0.0 req/s  p99 0.000201 ms" {
		t.Errorf("a sub-millisecond p99: %q", got)
	}
}

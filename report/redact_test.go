package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/report"
)

// leaky is a backend whose every answer is an error quoting its URL with the
// password and the bearer token it was sent, as a careless server or proxy
// might.
type leaky struct{ info accel.Info }

func (l *leaky) Info() accel.Info { return l.info }
func (l *leaky) Close() error     { return nil }
func (l *leaky) Infer(_ context.Context, _ *accel.Request, res *accel.Result) error {
	res.Class = accel.ClassHTTP4xx
	return accel.Errorf(accel.ClassHTTP4xx, "POST http://user:pw-Secret-1@10.0.0.9/v1 rejected Authorization: Bearer tok-Secret-2")
}

func TestFromBenchRedactsErrors(t *testing.T) {
	t.Parallel()
	extra := map[string]string{"endpoint": "http://user:pw-Secret-1@10.0.0.9/v1/chat/completions", "dialect": "openai"}
	b := &leaky{info: accel.Info{ID: "http://10.0.0.9/v1", Kind: accel.KindRemote, Extra: extra}}
	res, err := bench.Run(context.Background(), b, bench.Config{
		Scenario: bench.Closed, Concurrency: 1, Requests: 3, Model: "m", Lengths: bench.Fixed(1, 8, 8),
	})
	if err != nil {
		t.Fatal(err)
	}
	run, err := report.FromBench(b.Info(), "w", res)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (&report.Report{Runs: []report.Run{run}}).Encode(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"pw-Secret-1", "tok-Secret-2"} {
		if strings.Contains(out, s) {
			t.Errorf("the report holds %q:\n%s", s, out)
		}
	}
	if got := run.Counts.ErrorExamples[string(accel.ClassHTTP4xx)]; !strings.Contains(got, "http://REDACTED@10.0.0.9/v1 rejected Authorization: Bearer REDACTED") {
		t.Errorf("error example %q: want what failed, the secrets masked", got)
	}
	if run.Counts.Errors != 3 || !run.Failed {
		t.Errorf("counts %+v failed %v: want 3 errors, failed", run.Counts, run.Failed)
	}
	if extra["endpoint"] != "http://user:pw-Secret-1@10.0.0.9/v1/chat/completions" {
		t.Errorf("the backend's own Info.Extra was changed: %v", extra)
	}
}

func TestRedactEveryField(t *testing.T) {
	t.Parallel()
	const key = "known-Secret-3" // found only because it is registered
	rep := &report.Report{
		Config: report.Config{Backends: []string{"http://u:" + key + "@h/v1", "sim:l4"}},
		Runs: []report.Run{{
			Label:          "job " + key,
			Backend:        report.Backend{ID: "https://KEY-" + key + "@h/v1", Info: report.Info{Name: key, Extra: map[string]string{"x": key}}},
			Counts:         report.Counts{ErrorExamples: map[string]string{"http_4xx": "said " + key}},
			InvalidReasons: []string{"r " + key}, FailReason: "f " + key, Warnings: []string{"w " + key},
			Telemetry: &report.Telemetry{Note: "n " + key, Devices: []report.DeviceTelemetry{{Device: "nvml:0", Ended: "e " + key}}},
		}},
	}
	var before bytes.Buffer
	rep.Encode(&before)
	red := redact.New(key)
	c := rep.Redacted(red)
	var after, again bytes.Buffer
	c.Encode(&after)
	rep.Encode(&again)
	if strings.Contains(after.String(), key) {
		t.Errorf("redacted report holds the key:\n%s", after.String())
	}
	if strings.Count(after.String(), redact.Mask) < 11 {
		t.Errorf("want every field masked, not dropped:\n%s", after.String())
	}
	if before.String() != again.String() {
		t.Error("Redacted changed the report it was given")
	}
	if c.Config.Backends[1] != "sim:l4" || c.Runs[0].Backend.ID != "https://REDACTED@h/v1" {
		t.Errorf("backends %q, id %q", c.Config.Backends, c.Runs[0].Backend.ID)
	}
}

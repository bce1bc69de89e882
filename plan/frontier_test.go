package plan_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/accel/remote/server"
	"github.com/inferbench/inferbench/internal/servertest"
	"github.com/inferbench/inferbench/plan"
	"github.com/inferbench/inferbench/report"
)

// The frontier through the executor, with known answers in virtual time:
// each oracle serves a request of 3 output tokens in 16 + 2·2 = 20 ms, so
// each user gets 1000 / 2 ms = 500 tok/s, and a closed loop of C on S slots
// delivers 3·min(C, S)/20 ms tok/s: 150, 300, 600, 1200... until C passes
// the slots, where throughput stops rising and the sweep stops.
func TestFrontierKnownAnswers(t *testing.T) {
	t.Parallel()
	p := plan.Plan{Backends: []string{"oracle?ttft=16ms&tpot=2ms&slots=4", "oracle?ttft=16ms&tpot=2ms&slots=8"}}
	p.InputTokens, p.OutputTokens = 8, intp(3)
	p.Duration = plan.Duration(10 * time.Second)
	var log bytes.Buffer
	rep, err := plan.Frontier(context.Background(), p, plan.Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	curves := report.Frontier(rep)
	want := map[string][]float64{
		"oracle?ttft=16ms&tpot=2ms&slots=4": {150, 300, 600, 600},
		"oracle?ttft=16ms&tpot=2ms&slots=8": {150, 300, 600, 1200, 1200},
	}
	if len(curves) != 2 {
		t.Fatalf("%d curves, want 2: %+v", len(curves), curves)
	}
	for _, c := range curves {
		w := want[c.Backend]
		if len(c.Points) != len(w) {
			t.Errorf("%s: %d points, want %d (%+v)", c.Backend, len(c.Points), len(w), c.Points)
			continue
		}
		for i, pt := range c.Points {
			if math.Abs(pt.PerChip-w[i]) > 1e-6*w[i] || math.Abs(pt.PerUser-500) > 0.5 || !pt.Passed {
				t.Errorf("%s %s: %.6g tok/s/chip, %.6g tok/s/user, passed %v; want %g, 500, true", c.Backend, pt.Load, pt.PerChip, pt.PerUser, pt.Passed, w[i])
			}
		}
		best, ok := c.BestAt(100)
		if top := w[len(w)-1]; !ok || best.PerChip != c.Points[len(w)-2].PerChip || math.Abs(best.PerChip-top) > 1e-6*top {
			t.Errorf("%s: best at 100 tok/s/user %+v (%v), want %g", c.Backend, best, ok, top)
		}
		if _, ok := c.BestAt(600); ok {
			t.Errorf("%s: a point reached 600 tok/s/user; each user gets 500", c.Backend)
		}
	}
	for _, l := range []string{"slots=4: frontier stopped: throughput stopped rising at concurrency 8", "slots=8: frontier stopped: throughput stopped rising at concurrency 16"} {
		if !strings.Contains(log.String(), l) {
			t.Errorf("log lacks %q:\n%s", l, log.String())
		}
	}
	var text bytes.Buffer
	if err := report.WriteFrontier(&text, rep, report.FrontierTargets); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"slots=8      1200 (c=8)      1200 (c=8)       1200 (c=8)\n", "slots=4     600.0 (c=4)     600.0 (c=4)      600.0 (c=4)\n"} {
		if !strings.Contains(text.String(), l) {
			t.Errorf("frontier text lacks %q:\n%s", l, text.String())
		}
	}
}

// A frontier is a closed-loop sweep: another scenario or a rate sweep is
// bad input, named.
func TestFrontierRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    plan.Plan
		want string
	}{
		{plan.Plan{Load: plan.Load{Scenario: "poisson", Rate: 2}}, "--scenario poisson"},
		{plan.Plan{Load: plan.Load{Rates: []float64{1, 2}}}, "--rates"},
	} {
		tc.p.Backends = []string{"oracle?ttft=1ms"}
		_, err := plan.Frontier(context.Background(), tc.p, plan.Options{})
		if err == nil || !plan.IsInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want bad input naming %s", tc.p.Load, err, tc.want)
		}
	}
}

// A frontier of a simulated backend beside an endpoint (a real-time oracle
// behind the OpenAI server, 2 slots, 10 ms + 4 × 10 ms per request of 5
// tokens): both curves come back, through one executor, the endpoint's in
// real time, each user near 1000 / 10 ms = 100 tok/s (within half of it: on
// a busy machine a late read joins two tokens and shortens a gap, a late
// wake-up lengthens one; 10 ms gaps keep that rare).
func TestFrontierMixesSimAndEndpoint(t *testing.T) {
	t.Parallel()
	o, err := oracle.New(oracle.Config{TTFT: 10 * time.Millisecond, TPOT: 10 * time.Millisecond, Slots: 2, Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := servertest.Start(t, server.Config{Backend: o})
	p := plan.Plan{Backends: []string{"sim:h100-sxm", ts.URL + "/v1"}}
	p.InputTokens, p.OutputTokens = 8, intp(5)
	p.Concurrencies = []int{1, 2, 4}
	p.Duration = plan.Duration(time.Second)
	rep, err := plan.Frontier(context.Background(), p, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	curves := report.Frontier(rep)
	if len(curves) != 2 {
		t.Fatalf("%d curves, want sim's and the endpoint's: %+v", len(curves), curves)
	}
	for _, c := range curves {
		if len(c.Points) < 2 {
			t.Errorf("%s: %d points, want at least c=1 and c=2", c.Backend, len(c.Points))
		}
		if strings.HasPrefix(c.Backend, "http") {
			for _, pt := range c.Points {
				if pt.PerUser > 100*1.5 || pt.PerUser < 100*0.5 {
					t.Errorf("endpoint %s: %.4g tok/s per user, want about 100", pt.Load, pt.PerUser)
				}
			}
		}
	}
}

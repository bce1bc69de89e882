package sim

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/inferbench/inferbench/accel"
)

// Trace is the schedule of a Scenario: the steps the engine ran and, per
// request, the steps that gave its first and its last token. With every
// request at t=0 the schedule depends on sizes (KV capacity, step budget,
// batching policy), never on step times, so one Trace prices the scenario
// under any efficiencies and overheads (Metric): that is what makes a fit
// over hundreds of published cases take seconds, not hours.
type Trace struct {
	Steps       []Step
	runs        []run   // Steps in runs: a decode run's steps differ only by context
	first, last []int32 // per request (by Seq): step indexes; -1 when rejected
	tokens      []int32 // output tokens per request
}

// run is a stretch of steps: one step, or n pure decode steps of the same
// batch whose context grows by dctx each (priced in closed form).
type run struct {
	first, n int
	dctx     float64
}

// compress groups the steps into runs.
func (t *Trace) compress() {
	t.runs = t.runs[:0]
	for i, st := range t.Steps {
		if k := len(t.runs) - 1; k >= 0 && st.PrefillTokens == 0 && st.PromptsDone == 0 && st.FirstTokens == 0 && st.DecodeSeqs > 0 {
			r := &t.runs[k]
			head := t.Steps[r.first]
			pure := head.PrefillTokens == 0 && head.PromptsDone == 0 && head.FirstTokens == 0 && head.DecodeSeqs == st.DecodeSeqs
			if pure && (r.n == 1 || st.DecodeCtx-t.Steps[i-1].DecodeCtx == r.dctx) && i == r.first+r.n {
				if r.n == 1 {
					r.dctx = st.DecodeCtx - head.DecodeCtx
				}
				r.n++
				continue
			}
		}
		t.runs = append(t.runs, run{first: i, n: 1})
	}
}

// tracer records a Trace as the engine runs.
type tracer struct{ t *Trace }

func (tr *tracer) step(st Step) { tr.t.Steps = append(tr.t.Steps, st) }

func (tr *tracer) token(s *seq, i int) {
	if i == 0 {
		tr.t.first[s.req.Seq] = int32(len(tr.t.Steps) - 1)
	}
}

func (tr *tracer) finish(s *seq) {
	n := len(tr.t.Steps) - 1
	tr.t.last[s.req.Seq] = int32(n)
	if tr.t.first[s.req.Seq] < 0 { // an encoder: its pass is its first and last
		tr.t.first[s.req.Seq] = int32(n)
	}
	tr.t.tokens[s.req.Seq] = int32(s.produced * s.mult)
}

// TraceScenario runs s's schedule on dev (a Device for s's profile, chips,
// model and precision) and records it.
func TraceScenario(ctx context.Context, dev *Device, s Scenario) (*Trace, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	n, out := s.Batch, s.OutputTokens
	if s.Requests > 0 {
		n = s.Requests
	}
	if dev.Model.Encoder {
		out = 0
	}
	t := &Trace{first: make([]int32, n), last: make([]int32, n), tokens: make([]int32, n)}
	for i := range t.first {
		t.first[i], t.last[i] = -1, -1
	}
	e := newEngine(dev)
	e.trace = &tracer{t}
	d := &burst{n: n, in: s.InputTokens, out: out, model: dev.Model.ID, prec: dev.Precision.Name}
	if err := e.run(ctx, d); err != nil {
		return nil, err
	}
	t.compress()
	if len(d.e2e) == 0 {
		return nil, accel.Errorf(accel.ClassRejected, "no request fits: %d prompt + %d output tokens need more KV cache than %s holds (%.0f tokens)",
			s.InputTokens, out, dev.describe(), dev.KVCapacityTokens())
	}
	return t, nil
}

// Metric prices the trace's steps on dev and returns a metric by its
// Prediction JSON name (ttft_ms, tpot_ms, e2e_ms, output_tokens_per_s,
// requests_per_s): the figure Predict gives for the scenario, to within the
// nanosecond rounding of its clock.
func (t *Trace) Metric(dev *Device, metric string) (float64, error) {
	starts := make([]float64, len(t.runs)+1) // seconds at each run's start
	for i, r := range t.runs {
		starts[i+1] = starts[i] + dev.decodeRunTime(t.Steps[r.first], r.dctx, r.n)
		if r.n == 1 {
			starts[i+1] = starts[i] + dev.Cost(t.Steps[r.first]).Time.Seconds()
		}
	}
	now := starts[len(t.runs)]
	// endOf is the time step k ends: its run's start plus the run's steps to k.
	endOf := func(k int32) float64 {
		i := sort.Search(len(t.runs), func(i int) bool { return t.runs[i].first+t.runs[i].n > int(k) })
		r := t.runs[i]
		if r.n == 1 {
			return starts[i+1]
		}
		return starts[i] + dev.decodeRunTime(t.Steps[r.first], r.dctx, int(k)-r.first+1)
	}
	var ttft, e2e, tpot float64
	var done, decoders int
	var tokens int64
	for i := range t.first {
		if t.last[i] < 0 {
			continue
		}
		f, l := endOf(t.first[i]), endOf(t.last[i])
		ttft += f
		e2e += l
		done++
		tokens += int64(t.tokens[i])
		if t.tokens[i] > 1 {
			tpot += (l - f) / float64(t.tokens[i]-1)
			decoders++
		}
	}
	if done == 0 {
		return math.NaN(), fmt.Errorf("no request finished")
	}
	switch metric {
	case "ttft_ms":
		return ttft / float64(done) * 1e3, nil
	case "e2e_ms":
		return e2e / float64(done) * 1e3, nil
	case "tpot_ms":
		if decoders == 0 {
			return 0, nil
		}
		return tpot / float64(done) * 1e3, nil
	case "output_tokens_per_s":
		return float64(tokens) / now, nil
	case "requests_per_s":
		return float64(done) / now, nil
	}
	return math.NaN(), fmt.Errorf("metric %q cannot be priced from a trace; valid: ttft_ms, tpot_ms, e2e_ms, output_tokens_per_s, requests_per_s", metric)
}

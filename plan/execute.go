package plan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/noop"
	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/accel/oracle"
	"github.com/inferbench/inferbench/accel/remote"
	"github.com/inferbench/inferbench/accel/sim"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/report"
)

// Options are what an execution may touch beyond the plan: where it says
// things, the environment it reads keys from, and the report's stamp. The
// zero Options is silent and reads the process's environment.
type Options struct {
	// Version is the tool version the report records.
	Version string
	// Log receives notes (a length fixed alone, a run with no price), the
	// max-rate answer and telemetry lines, one per line; nil discards them.
	Log io.Writer
	// Getenv reads the API key (Remote.APIKeyEnv); nil is os.Getenv.
	Getenv func(string) string
	// Secret is told every secret the plan reads (the API key, credential
	// header values), so the caller can mask them in what it prints; the
	// report is masked already.
	Secret func(string)
	// Progress is called about once a second during a real-time run, and
	// ProgressEnd after each backend's run, for a progress line.
	Progress    func(bench.Progress)
	ProgressEnd func()
	// OpenNVML opens NVML for Telemetry and nvml:N backends; nil is the
	// system's library. Tests pass go-nvml mocks.
	OpenNVML func() (*nvml.Lib, error)
	// Created stamps the report (zero: now); Fingerprint describes the
	// machine (nil: none).
	Created     time.Time
	Fingerprint *report.Fingerprint
}

// Registry returns the registry of every backend kind inferbench links in:
// noop, oracle (answers known in advance), sim, endpoints opened with
// endpoints, and nvml:N, which watches a GPU while its load goes to
// endpoint, composed over the registry of the other kinds (so an endpoint
// cannot itself be a GPU).
func Registry(endpoints remote.Opener, endpoint string, openLib func() (*nvml.Lib, error)) *accel.Registry {
	base := accel.NewRegistry(noop.Opener{}, oracle.Opener{}, sim.Opener{}, endpoints)
	return base.With(nvml.Opener{Endpoint: endpoint, OpenEndpoint: base.Open, OpenLib: openLib})
}

// Execute runs the plan: it checks it, opens every backend before sending
// any load (a bad spec fails fast), runs each in turn and returns the report,
// priced. An error means there is no report: the plan was bad (*InputError),
// an endpoint could not be reached, or a run could not be done. A run that
// failed or is invalid is in the report, marked (Judge says so); an
// interrupt (ctx canceled) returns the runs done so far, marked
// Interrupted.
func Execute(ctx context.Context, p Plan, o Options) (*report.Report, error) {
	return execute(ctx, p, o, Measure, true)
}

// measurer runs one backend's load (Measure, or a frontier's sweep).
type measurer func(ctx context.Context, b accel.Backend, c bench.Config, workload string) (*bench.Result, []report.Run, float64, error)

// execute is Execute with the backends' load run by measure: every command
// that measures shares the rest (opening, telemetry, pricing, redaction).
// concurrent lets virtual-time backends be measured side by side (ahead):
// only for a measure that writes nothing but its result.
func execute(ctx context.Context, p Plan, o Options, measure measurer, concurrent bool) (*report.Report, error) {
	c, err := p.check()
	if err != nil {
		return nil, err
	}
	p = c.p
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	secrets := redact.New()
	secret := func(s string) {
		secrets.Add(s)
		if o.Secret != nil {
			o.Secret(s)
		}
	}
	endpoints, err := p.remoteOpener(o.Getenv, secret)
	if err != nil {
		return nil, err
	}
	w, err := p.watch(o.OpenNVML)
	if err != nil {
		return nil, err
	}
	defer w.close()
	reg := Registry(endpoints, p.Endpoint, o.OpenNVML)
	var backends []accel.Backend
	defer func() {
		for _, b := range backends {
			b.Close()
		}
	}()
	opts := accel.Options{Model: p.Model, Precision: p.Precision, KVPrecision: p.KVPrecision, Realtime: p.Realtime, Seed: p.Seed, NoPrefixCache: p.PrefixCache != nil && !*p.PrefixCache}
	for _, spec := range p.Backends {
		b, err := reg.Open(spec, opts)
		if err != nil {
			return nil, openError(err)
		}
		backends = append(backends, b)
	}
	notef(o.Log, c.notes)
	rep := report.New(o.Version, p.reportConfig(c))
	rep.Fingerprint = o.Fingerprint
	if !o.Created.IsZero() {
		rep.Created = o.Created
	}
	early := make([]*measured, len(backends))
	if concurrent { // measure writes nothing but its result: its backends may run side by side
		early = ahead(ctx, backends, w, c, measure)
	}
	for i, b := range backends {
		if ctx.Err() != nil {
			break // interrupted: the remaining backends are not run
		}
		cfg := c.cfg
		cfg.Precision = b.Info().Precision
		cfg.Progress = o.Progress
		if err := w.begin(b); err != nil {
			return nil, err
		}
		var (
			res     *bench.Result
			runs    []report.Run
			maxRate float64
			err     error
		)
		if e := early[i]; e != nil {
			res, runs, maxRate, err = e.res, e.runs, e.maxRate, e.err
		} else {
			res, runs, maxRate, err = measure(ctx, b, cfg, c.workload.ID)
		}
		if o.ProgressEnd != nil {
			o.ProgressEnd()
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.Info().ID, err)
		}
		w.end(b, res, runs, o.Log)
		rep.Runs = append(rep.Runs, runs...)
		switch {
		case c.scenario != bench.MaxRate:
		case maxRate > 0:
			fmt.Fprintf(o.Log, "%s: max rate %.4g req/s meets %s\n", b.Info().ID, maxRate, sloText(cfg.SLO))
		default: // not "max rate 0 req/s", which reads as an answer
			fmt.Fprintf(o.Log, "%s: no probed rate met %s\n", b.Info().ID, sloText(cfg.SLO))
		}
	}
	notef(o.Log, c.prices.AddCosts(rep))
	rep.Interrupted = ctx.Err() != nil
	rep.Redact(secrets)
	return rep, nil
}

// measured is one backend's measurement, made ahead of its turn.
type measured struct {
	res     *bench.Result
	runs    []report.Run
	maxRate float64
	err     error
}

// ahead measures, concurrently and before the sequential loop, the backends
// that run in virtual time and observe no GPU, when no GPU is watched: they
// share nothing, need no wall clock and give the same figures whenever they
// run, so a plan over every simulated profile takes a fraction of the time
// on several cores. The results stay in the plan's order; a backend not
// measured ahead (real time, a GPU) has nil.
func ahead(ctx context.Context, backends []accel.Backend, w *gpuWatch, c *checked, measure measurer) []*measured {
	out := make([]*measured, len(backends))
	if len(w.gpus) > 0 {
		return out
	}
	var idx []int
	for i, b := range backends {
		_, virtual := accel.AsVirtual(b)
		_, observes := b.(accel.Observer)
		if virtual && !observes {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return out
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for n := min(runtime.GOMAXPROCS(0), len(idx)); n > 0; n-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				b := backends[i]
				cfg := c.cfg
				cfg.Precision = b.Info().Precision
				m := &measured{}
				m.res, m.runs, m.maxRate, m.err = measure(ctx, b, cfg, c.workload.ID)
				out[i] = m
			}
		}()
	}
	for _, i := range idx {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

// reportConfig is what the report records of the plan.
func (p *Plan) reportConfig(c *checked) report.Config {
	out := 0
	if p.OutputTokens != nil {
		out = *p.OutputTokens
	}
	return report.Config{
		Backends: RedactSpecs(p.Backends), Model: p.Model, Precision: c.cfg.Precision, Workload: c.workload.ID,
		InputTokens: p.InputTokens, OutputTokens: out, Scenario: p.Scenario,
		Concurrency: p.Concurrency, Rate: p.Rate, Duration: p.Duration.String(), Requests: p.Requests,
		Warmup: p.Warmup.String(), Realtime: p.Realtime, Seed: p.Seed,
	}
}

// Measure runs c on b, as one run (bench.Run) or a series (bench.RunSweep),
// and turns it into report runs. res stands for the whole: the run, or a
// series' chosen point (its last when none was chosen), for what covers the
// whole series, such as telemetry; maxRate is a search's answer.
func Measure(ctx context.Context, b accel.Backend, c bench.Config, workload string) (res *bench.Result, runs []report.Run, maxRate float64, err error) {
	if !c.Scenario.Series() {
		if res, err = bench.Run(ctx, b, c); err != nil {
			return nil, nil, 0, err
		}
		run, err := report.FromBench(b.Info(), workload, res)
		return res, []report.Run{run}, 0, err
	}
	sw, err := bench.RunSweep(ctx, b, c)
	if err != nil {
		return nil, nil, 0, err
	}
	if res = sw.Chosen(); res == nil {
		res = sw.Points[len(sw.Points)-1]
	}
	runs, err = report.FromSweep(b.Info(), workload, sw)
	return res, runs, sw.MaxRate, err
}

// openError sorts a backend-opening error: an endpoint that cannot be
// reached is a failure of the system under test; anything else about
// opening a backend is bad input.
func openError(err error) error {
	var ae *accel.Error
	if errors.As(err, &ae) && ae.Class == accel.ClassConnect {
		return err
	}
	return &InputError{err}
}

// notef writes notes (worth knowing, not errors) to w, one line each, with
// the patterns of package redact masked (notes name backends, whose URLs may
// hold a password).
func notef(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", redact.String(n))
	}
}

func sloText(slos []bench.SLO) string {
	var s string
	for i, o := range slos {
		if i > 0 {
			s += ", "
		}
		s += o.String()
	}
	return s
}

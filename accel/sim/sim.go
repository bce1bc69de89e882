// Package sim simulates accelerators the user may not have: NVIDIA GPUs, AWS
// Trainium and Inferentia, laptop NPUs. A profile holds a chip's datasheet
// figures, each with its source (fixtures/profiles.json); a Device sizes one
// configuration (chips × model × precision) and prices a model step with a
// roofline; an engine serves concurrent requests with continuous batching.
//
// By default a simulated backend runs in virtual time (accel.Virtual): the load
// generator drives it without sleeping, deterministically. With Options.Realtime
// it serves concurrent Infer calls on one shared engine that sleeps through its
// predicted step times instead, for serving and watching.
//
// The model is documented on Device.Cost; every figure it uses that is not a
// datasheet number is a named field or constant with its source, and the
// calibration test (Calibrate) checks the whole against published measurements.
package sim

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/fixtures"
	"github.com/inferbench/inferbench/internal/suggest"
)

// Backend is a simulated device. In virtual time (the default) the load
// generator drives it through Drive. Infer serves requests in wall-clock time
// on one shared engine per backend, so concurrent calls batch together exactly
// as Drive's requests do; the engine's goroutine starts with the first Infer
// and stops at Close.
type Backend struct {
	dev      *Device
	info     accel.Info
	realtime bool

	mu     sync.Mutex // guards energy, rt and closed
	energy accel.Energy
	rt     *rtEngine
	closed bool
	calls  sync.Pool // *rtCall, reused across Infer calls
	// last holds the statistics of the most recent Drive.
	last DriveStats
}

var (
	_ accel.Virtual     = (*Backend)(nil)
	_ accel.EnergyMeter = (*Backend)(nil)
	_ accel.Backend     = (*Realtime)(nil)
)

// New opens a simulated device for a profile, model and precision. chips 0 means
// the fewest chips that hold the model and split its heads (MinChips);
// precision "" means the profile's usual one. Ids ignore case.
// realtime only changes what Info says and what Opener hands out (a Realtime,
// which the load generator cannot drive in virtual time); Infer always runs in
// wall-clock time and Drive always in virtual time.
func New(profile string, chips int, model, precision string, realtime bool) (*Backend, error) {
	p, err := LookupProfile(profile)
	if err != nil {
		return nil, err
	}
	m, err := fixtures.LookupModel(model)
	if err != nil {
		return nil, err
	}
	if precision == "" {
		precision = p.DefaultPrecision
		if precision == "" {
			precision = "bf16"
		}
	}
	prec, err := LookupPrecision(precision)
	if err != nil {
		return nil, err
	}
	if chips < 0 {
		return nil, fmt.Errorf("chips %d: want 0 (fewest that hold the model) or more", chips)
	}
	if chips == 0 {
		chips = MinChips(p, m, prec)
	}
	dev, err := NewDevice(p, chips, m, prec)
	if err != nil {
		return nil, err
	}
	id := "sim:" + p.ID
	if chips > 1 {
		id += "?chips=" + strconv.Itoa(chips)
	}
	b := &Backend{dev: dev, realtime: realtime}
	b.info = accel.Info{
		ID: id, Kind: accel.KindSimulated, Name: p.Name, Vendor: p.Vendor, Profile: p.ID,
		Chips: chips, Precision: prec.Name,
		PeakTFLOPS16: p.TFLOPS16, PeakTFLOPS8: p.TFLOPS8, MemoryBytes: p.MemoryBytes,
		MemBandwidthGBps: p.BandwidthGBps, TDPWatts: p.TDPW,
		Extra: map[string]string{
			"model":              m.ID,
			"mode":               map[bool]string{false: "virtual", true: "realtime"}[realtime],
			"kv_capacity_tokens": strconv.FormatFloat(dev.kvCapacity, 'f', 0, 64),
		},
	}
	return b, nil
}

// Device returns the simulated configuration.
func (b *Backend) Device() *Device { return b.dev }

// Info describes the simulated device.
func (b *Backend) Info() accel.Info { return b.info }

// Close stops the real-time engine, failing any call still in flight with
// accel.ClassCanceled. It is safe to call more than once.
func (b *Backend) Close() error {
	b.mu.Lock()
	rt := b.rt
	b.closed = true
	b.mu.Unlock()
	if rt != nil {
		rt.stop()
		<-rt.exited
	}
	return nil
}

// Energy reports the energy the simulated device used so far: every Drive's
// account plus the real-time engine's, idle time included.
func (b *Backend) Energy() accel.Energy {
	b.mu.Lock()
	e, rt := b.energy, b.rt
	b.mu.Unlock()
	if rt != nil {
		r := rt.energy()
		e.Joules += r.Joules
		e.Elapsed += r.Elapsed
		e.PeakW = max(e.PeakW, r.PeakW)
	}
	return e
}

// DriveStats describes the most recent Drive: how busy the device was and what
// bounded each phase.
type DriveStats struct {
	Elapsed   time.Duration // virtual time from start to the last completion
	Busy      time.Duration // time spent stepping
	Steps     int64
	PeakBatch int // most sequences on the device at once
	Joules    float64
	PeakW     float64
	// PrefillBound and DecodeBound name what limited steps that only prefilled
	// or only decoded ("compute" or "memory"); "" when there were none.
	PrefillBound, DecodeBound string
	// MeanDecodeStep is the mean duration of decode-only steps.
	MeanDecodeStep time.Duration
}

// LastDrive returns the statistics of the most recent Drive.
func (b *Backend) LastDrive() DriveStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// Drive serves d's requests in virtual time with continuous batching.
func (b *Backend) Drive(ctx context.Context, d accel.Driver) error {
	e := newEngine(b.dev)
	err := e.run(ctx, d)
	st := DriveStats{
		Elapsed: e.now, Busy: e.busy, Steps: e.steps, PeakBatch: e.b.peak,
		Joules: e.energy.joules, PeakW: e.energy.peakW,
		PrefillBound: e.prefill.bound(), DecodeBound: e.decode.bound(),
	}
	if e.decode.steps > 0 {
		st.MeanDecodeStep = e.decode.time / time.Duration(e.decode.steps)
	}
	b.mu.Lock()
	b.energy.Joules += e.energy.joules
	b.energy.Elapsed += e.now
	b.energy.PeakW = max(b.energy.PeakW, e.energy.peakW)
	b.last = st
	b.mu.Unlock()
	return err
}

func (p *phaseStats) bound() string {
	switch {
	case p.steps == 0:
		return ""
	case p.comp > p.mem:
		return "compute"
	default:
		return "memory"
	}
}

// Infer serves one request in wall-clock time on the backend's shared engine:
// it queues behind and batches with every other call in flight, blocks until
// its last token, calls req.OnToken(i) from the engine goroutine as token i is
// produced (it must be cheap, and is never called after Infer returns), records
// each inter-token gap in res.Gaps, and returns accel.ClassCanceled when ctx is
// done first or the backend is closed, accel.ClassRejected when the request can
// never fit the KV cache.
func (b *Backend) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		res.Class = accel.ClassCanceled
		return accel.Errorf(accel.ClassCanceled, "request %d: simulated device %s is closed", req.Seq, b.info.ID)
	}
	if b.rt == nil {
		b.rt = startRT(b.dev)
	}
	rt := b.rt
	b.mu.Unlock()
	return rt.infer(ctx, &b.calls, req, res)
}

// Realtime is a simulated device that only serves in wall-clock time: what
// Opener returns with Options.Realtime, so the load generator sends it real
// concurrent calls instead of driving it in virtual time.
type Realtime struct{ b *Backend }

// Realtime returns a view of b without Drive.
func (b *Backend) Realtime() *Realtime { return &Realtime{b: b} }

// Info describes the device.
func (r *Realtime) Info() accel.Info { return r.b.Info() }

// Infer serves one request in wall-clock time; see Backend.Infer.
func (r *Realtime) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	return r.b.Infer(ctx, req, res)
}

// Close stops the engine.
func (r *Realtime) Close() error { return r.b.Close() }

// Energy reports the energy used so far.
func (r *Realtime) Energy() accel.Energy { return r.b.Energy() }

// Device returns the simulated configuration.
func (r *Realtime) Device() *Device { return r.b.dev }

// Backend returns the underlying simulated device.
func (r *Realtime) Backend() *Backend { return r.b }

// describe names the configuration for error messages.
func (d *Device) describe() string {
	return fmt.Sprintf("%d× %s serving %s at %s", d.Chips, d.Profile.ID, d.Model.ID, d.Precision.Name)
}

// Opener opens `sim:<profile>[?chips=N]`.
type Opener struct{}

var _ accel.Opener = Opener{}

// Schemes returns "sim".
func (Opener) Schemes() []string { return []string{"sim"} }

// Targets lists sim:<profile> for every profile.
func (Opener) Targets() []string {
	var out []string
	for _, id := range ProfileIDs() {
		out = append(out, "sim:"+id)
	}
	return out
}

// Open opens a simulated device. Options.Model is required; Options.Precision
// "" means the profile's usual precision. Spec options: chips=N.
func (o Opener) Open(s accel.Spec, opts accel.Options) (accel.Backend, error) {
	if _, err := LookupProfile(s.Target); err != nil {
		hint := suggest.HintPrefixed(s.Target, ProfileIDs(), "sim:")
		return nil, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("unknown profile %q%s", s.Target, hint), Valid: o.Targets()}
	}
	chips := 0
	for k, v := range s.Params {
		switch k {
		case "chips":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > MaxChips {
				return nil, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("chips=%q: want a whole number from 1 to %d", v[0], MaxChips)}
			}
			chips = n
		default:
			return nil, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("unknown option %q%s", k, suggest.Hint(k, []string{"chips"})), Valid: []string{"chips=N"}}
		}
	}
	b, err := New(s.Target, chips, opts.Model, opts.Precision, opts.Realtime)
	if err != nil {
		// Every failure here is about what the spec (with the model and
		// precision) asks for: name the spec.
		return nil, &accel.SpecError{Spec: s.Raw, Reason: err.Error()}
	}
	if opts.Realtime {
		return b.Realtime(), nil
	}
	return b, nil
}

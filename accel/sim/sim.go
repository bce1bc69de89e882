// Package sim simulates accelerators the user may not have: NVIDIA GPUs, AMD
// Instinct, Google TPUs, Microsoft Maia, AWS Trainium and Inferentia,
// Qualcomm Cloud AI, laptop NPUs; dense and mixture-of-experts models
// (moe.go). A profile holds a chip's datasheet
// figures, each with its source (fixtures/profiles.json); a Device sizes one
// configuration (chips × model × precision) and prices a model step with a
// roofline; an engine serves concurrent requests with continuous batching.
//
// By default a simulated backend runs in virtual time (accel.Virtual): the load
// generator drives it without sleeping, deterministically. Opened with
// Options.Realtime (Config.Realtime) it says so (VirtualTime is false) and
// serves concurrent Infer calls on one shared engine that sleeps through its
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
	"strings"
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
	// noCache and cached: the prefix cache is off; its counts (prefix.go).
	noCache bool
	cached  accel.PrefixCacheStats
}

var (
	_ accel.Virtual     = (*Backend)(nil)
	_ accel.Clock       = (*Backend)(nil)
	_ accel.EnergyMeter = (*Backend)(nil)
)

// Config is a simulated device's configuration: what `sim:PROFILE?chips=N`
// and the run's model, precision and --realtime say.
type Config struct {
	Profile string // profile id (fixtures/profiles.json); ignores case
	// Chips is the tensor-parallel degree: 0 means the fewest chips that hold
	// the model and split its heads (MinChips).
	Chips     int
	Model     string // model fixture id; ignores case
	Precision string // "" means the profile's usual one
	// KVPrecision is the KV cache's format (bf16, fp16, fp8, int8): "" is the
	// precision's reference stack's (fp8 with fp8 weights on FP8 chips).
	KVPrecision string
	// Realtime says the device serves real concurrent calls in wall-clock
	// time: VirtualTime is false, so the load generator does not drive it.
	// Infer always runs in wall-clock time and Drive in virtual time.
	Realtime bool
	// NoPrefixCache opens the device without a prefix cache (prefix.go).
	NoPrefixCache bool
}

// New opens a simulated device for a profile, model and precision; see Config.
func New(profile string, chips int, model, precision string, realtime bool) (*Backend, error) {
	return Config{Profile: profile, Chips: chips, Model: model, Precision: precision, Realtime: realtime}.New()
}

// New opens the simulated device c describes. Its errors name the field
// that is wrong (an unknown profile or model, a chip count that cannot hold
// or split the model).
func (c Config) New() (*Backend, error) {
	profile, chips, model, precision, realtime := c.Profile, c.Chips, c.Model, c.Precision, c.Realtime
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
	dev, err := NewDeviceKV(p, chips, m, prec, c.KVPrecision)
	if err != nil {
		return nil, err
	}
	id := "sim:" + p.ID
	if chips > 1 {
		id += "?chips=" + strconv.Itoa(chips)
	}
	if c.KVPrecision != "" {
		sep := "?"
		if chips > 1 {
			sep = "&"
		}
		id += sep + "kv=" + strings.ToLower(c.KVPrecision)
	}
	b := &Backend{dev: dev, realtime: realtime, noCache: c.NoPrefixCache}
	b.info = accel.Info{
		ID: id, Kind: accel.KindSimulated, Name: p.Name, Vendor: p.Vendor, Profile: p.ID,
		Chips: chips, Precision: prec.Name,
		PeakTFLOPS16: p.TFLOPS16, PeakTFLOPS8: p.TFLOPS8, MemoryBytes: p.MemoryBytes,
		MemBandwidthGBps: p.BandwidthGBps, TDPWatts: p.TDPW,
		Extra: map[string]string{
			"model":              m.ID,
			"mode":               map[bool]string{false: "virtual", true: "realtime"}[realtime],
			"kv_capacity_tokens": strconv.FormatFloat(dev.kvCapacity, 'f', 0, 64),
			"kv_bytes":           strconv.FormatFloat(dev.kvElem, 'f', -1, 64),
			"ranks":              strconv.Itoa(dev.ranks),
		},
	}
	return b, nil
}

// Device returns the simulated configuration.
func (b *Backend) Device() *Device { return b.dev }

// VirtualTime reports whether the device was opened for virtual time (the
// default) rather than wall-clock time (Config.Realtime).
func (b *Backend) VirtualTime() bool { return !b.realtime }

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
	e.b.cache = b.newCache()
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
	b.addCache(e.b.cache)
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
		b.rt = startRT(b.dev, b.newCache())
	}
	rt := b.rt
	b.mu.Unlock()
	return rt.infer(ctx, &b.calls, req, res)
}

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
// "" means the profile's usual precision; Options.Realtime opens it for
// wall-clock time (VirtualTime false). Spec options: chips=N.
func (o Opener) Open(s accel.Spec, opts accel.Options) (accel.Backend, error) {
	c, err := o.Config(s, opts)
	if err != nil {
		return nil, err
	}
	b, err := c.New()
	if err != nil {
		// Every failure here is about what the spec (with the model and
		// precision) asks for: name the spec.
		return nil, &accel.SpecError{Spec: s.Raw, Reason: err.Error()}
	}
	return b, nil
}

// Config builds the Config a spec and the run's options describe, checking
// the spec: its profile exists and its options are known (chips=N).
func (o Opener) Config(s accel.Spec, opts accel.Options) (Config, error) {
	c := Config{Profile: s.Target, Model: opts.Model, Precision: opts.Precision, Realtime: opts.Realtime, NoPrefixCache: opts.NoPrefixCache}
	if _, err := LookupProfile(s.Target); err != nil {
		hint := suggest.HintPrefixed(s.Target, ProfileIDs(), "sim:")
		return c, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("unknown profile %q%s", s.Target, hint), Valid: o.Targets()}
	}
	for k, v := range s.Params {
		switch k {
		case "chips":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > MaxChips {
				return c, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("chips=%q: want a whole number from 1 to %d", v[0], MaxChips)}
			}
			c.Chips = n
		case "kv":
			if _, ok := KVPrecisions()[strings.ToLower(v[0])]; !ok {
				return c, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("kv=%q: want a KV-cache format", v[0]), Valid: []string{"kv=bf16", "kv=fp16", "kv=fp8", "kv=int8"}}
			}
			c.KVPrecision = v[0]
		default:
			return c, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("unknown option %q%s", k, suggest.Hint(k, []string{"chips", "kv"})), Valid: []string{"chips=N", "kv=FORMAT"}}
		}
	}
	return c, nil
}

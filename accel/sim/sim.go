// Package sim simulates accelerators the user may not have: NVIDIA GPUs, AWS
// Trainium and Inferentia, laptop NPUs. A profile holds a chip's datasheet
// figures, each with its source (profiles.json); a Device sizes one
// configuration (chips × model × precision) and prices a model step with a
// roofline; an engine serves concurrent requests with continuous batching.
//
// By default a simulated backend runs in virtual time (accel.Virtual): the load
// generator drives it without sleeping, deterministically. With Options.Realtime
// it sleeps through its predicted times instead, for serving and watching.
package sim

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/fixtures"
)

// Backend is a simulated device.
type Backend struct {
	dev      *Device
	info     accel.Info
	realtime bool

	mu     sync.Mutex // guards energy in real-time mode
	energy accel.Energy
}

var (
	_ accel.Virtual     = (*Backend)(nil)
	_ accel.EnergyMeter = (*Backend)(nil)
)

// New opens a simulated device for a profile, model and precision. chips 0 means
// the fewest chips that hold the model; precision "" means the profile's usual one.
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
		Extra: map[string]string{"model": m.ID, "mode": map[bool]string{false: "virtual", true: "realtime"}[realtime]},
	}
	return b, nil
}

// Device returns the simulated configuration.
func (b *Backend) Device() *Device { return b.dev }

// Info describes the simulated device.
func (b *Backend) Info() accel.Info { return b.info }

// Close does nothing.
func (b *Backend) Close() error { return nil }

// Energy reports the energy the simulated device used so far.
func (b *Backend) Energy() accel.Energy {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.energy
}

// Drive serves d's requests in virtual time with continuous batching.
func (b *Backend) Drive(ctx context.Context, d accel.Driver) error {
	e := newEngine(b.dev)
	err := e.run(ctx, d)
	b.mu.Lock()
	b.energy.Joules += e.joules
	b.energy.Elapsed += e.now
	b.energy.PeakW = max(b.energy.PeakW, e.peakW)
	b.mu.Unlock()
	return err
}

// Infer serves one request in real time, sleeping through its predicted prefill
// and decode steps and calling req.OnToken as each token is produced. Each call
// is priced as if alone on the device.
func (b *Backend) Infer(ctx context.Context, req *accel.Request, res *accel.Result) error {
	bs := max(req.Batch, 1)
	if tokensFor(req) > b.dev.kvCapacity {
		res.Class = accel.ClassRejected
		return accel.Errorf(accel.ClassRejected, "%d tokens of context do not fit the KV cache (%.0f tokens)", int(tokensFor(req)), b.dev.kvCapacity)
	}
	start := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	wait := func(d time.Duration, util float64) error {
		t.Reset(d)
		select {
		case <-ctx.Done():
			res.Class = accel.ClassCanceled
			return accel.Errorf(accel.ClassCanceled, "%v", ctx.Err())
		case <-t.C:
		}
		w := b.dev.Power(util)
		b.mu.Lock()
		b.energy.Joules += w * d.Seconds()
		b.energy.Elapsed += d
		b.energy.PeakW = max(b.energy.PeakW, w)
		b.mu.Unlock()
		return nil
	}
	c := b.dev.Cost(Step{PrefillTokens: bs * req.InputTokens, PrefillSeqs: bs, PrefillAttn: float64(bs) * float64(req.InputTokens*req.InputTokens)})
	if err := wait(c.Time, c.Utilization); err != nil {
		return err
	}
	res.TTFT = time.Since(start)
	last := start.Add(res.TTFT)
	if req.OutputTokens > 0 {
		res.OutputTokens = 1
		if req.OnToken != nil {
			req.OnToken(0)
		}
	}
	for i := 1; i < req.OutputTokens; i++ {
		c := b.dev.Cost(Step{DecodeSeqs: bs, DecodeCtx: float64(bs * (req.InputTokens + i))})
		if err := wait(c.Time, c.Utilization); err != nil {
			return err
		}
		now := time.Now()
		if res.Gaps != nil {
			res.Gaps.RecordGap(now.Sub(last))
		}
		last = now
		res.OutputTokens++
		if req.OnToken != nil {
			req.OnToken(i)
		}
	}
	res.Latency = time.Since(start)
	res.OutputTokens *= bs
	res.Counted = accel.CountedExact
	return nil
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
		return nil, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("unknown profile %q", s.Target), Valid: o.Targets()}
	}
	chips := 0
	for k, v := range s.Params {
		switch k {
		case "chips":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > 64 {
				return nil, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("chips=%q: want a whole number from 1 to 64", v[0])}
			}
			chips = n
		default:
			return nil, &accel.SpecError{Spec: s.Raw, Reason: fmt.Sprintf("unknown option %q", k), Valid: []string{"chips=N"}}
		}
	}
	return New(s.Target, chips, opts.Model, opts.Precision, opts.Realtime)
}

package plan

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/accel/nvml"
	"github.com/inferbench/inferbench/bench"
	"github.com/inferbench/inferbench/internal/redact"
	"github.com/inferbench/inferbench/internal/scrape"
	"github.com/inferbench/inferbench/report"
)

// gpuWatch watches GPUs during runs: the --telemetry devices and the sensors
// of any backend that observes its own GPU (an accel.Observer: nvml:N). One
// sampler goroutine per run reads them all, as go-nvml needs.
type gpuWatch struct {
	interval time.Duration
	duration time.Duration // the run's --duration, to size the buffers
	lib      *nvml.Lib
	gpus     []accel.Sensor // the --telemetry GPUs
	sampler  *nvml.Sampler
	sources  []nvml.Source
	sensorOf []accel.Sensor // for each source, the device it reads

	scrapeURL      string // --scrape
	scrapeInterval time.Duration
	scraper        *scrape.Sampler
}

// watch opens NVML and every Telemetry GPU before any load is sent. It fails
// with an *InputError saying why when NVML cannot start or a device does not
// exist. With no GPUs it opens nothing.
func (p *Plan) watch(openLib func() (*nvml.Lib, error)) (*gpuWatch, error) {
	w := &gpuWatch{interval: p.Interval.Std(), duration: p.Duration.Std(), scrapeURL: p.Scrape, scrapeInterval: p.Interval.Std()}
	if w.interval == 0 {
		w.interval = nvml.DefaultInterval
	}
	if w.scrapeInterval == 0 {
		w.scrapeInterval = time.Second // a /metrics page is a few hundred lines to render and parse
	}
	if w.scrapeURL != "" {
		if u, err := url.Parse(w.scrapeURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, inputf("--scrape %q: want the server's metrics URL, e.g. http://localhost:8000/metrics", redact.URL(w.scrapeURL))
		}
	}
	if len(p.GPUs) == 0 {
		return w, nil
	}
	var targets []string
	for _, spec := range p.GPUs {
		sp, err := accel.ParseSpec(spec)
		if err != nil || sp.Scheme != "nvml" || sp.Target == "" {
			return nil, inputf("--telemetry %q: want nvml:INDEX or nvml:GPU-UUID, e.g. nvml:0 (see 'inferbench devices')", spec)
		}
		targets = append(targets, sp.Target)
	}
	if openLib == nil {
		openLib = nvml.Open
	}
	lib, err := openLib()
	if err != nil {
		return nil, inputf("--telemetry %s: %v", strings.Join(p.GPUs, ","), err)
	}
	w.lib = lib
	for i, t := range targets {
		g, err := lib.GPU(t)
		if err != nil {
			lib.Close()
			return nil, inputf("--telemetry %s: %v", p.GPUs[i], err)
		}
		w.gpus = append(w.gpus, g)
	}
	return w, nil
}

// begin starts sampling for a run on b: the --telemetry GPUs and b itself when
// it observes a GPU. It does nothing when there is nothing to watch.
func (w *gpuWatch) begin(b accel.Backend) error {
	w.sampler, w.sources, w.sensorOf = nil, nil, nil
	if w.scrapeURL != "" {
		s, err := scrape.NewSampler(w.scrapeURL, w.scrapeInterval)
		if err != nil {
			return &InputError{err}
		}
		// One scrape before the load: a wrong URL or a page that is not
		// Prometheus text fails here, not as a run without server metrics.
		ctx, cancel := context.WithTimeout(context.Background(), w.scrapeInterval+5*time.Second)
		_, err = s.Once(ctx)
		cancel()
		if err != nil {
			return inputf("--scrape %s: %s", redact.URL(w.scrapeURL), redact.URL(err.Error()))
		}
		w.scraper = s
		s.Start(context.Background())
	}
	seen := map[string]bool{}
	add := func(s accel.Sensor) {
		d := s.Describe()
		if seen[d.UUID] {
			return
		}
		seen[d.UUID] = true
		w.sources = append(w.sources, nvml.Source{Name: d.Spec, T: s})
		w.sensorOf = append(w.sensorOf, s)
	}
	for _, g := range w.gpus {
		add(g)
	}
	if o, ok := b.(accel.Observer); ok {
		for _, s := range o.Sensors() {
			add(s)
		}
	}
	if len(w.sources) == 0 {
		return nil
	}
	s, err := nvml.NewSampler(w.interval, capacityFor(w.duration, w.interval), w.sources...)
	if err != nil {
		return &InputError{err}
	}
	w.sampler = s
	s.Start()
	return nil
}

// capacityFor sizes a series for a run of d sampled every interval, with room
// to spare; runs without a duration, or very long ones, get a bounded buffer
// that thins itself.
func capacityFor(d, interval time.Duration) int {
	if d <= 0 {
		return nvml.DefaultCapacity
	}
	n := int(d/interval)*11/10 + 64
	return min(max(n, 256), 1<<17)
}

// end stops sampling after the run and attaches the telemetry to its report
// runs, with a one-line summary per GPU on log. It also fills Energy (source
// "nvml") unless the backend is simulated: then Energy stays the simulator's
// prediction and the measured figures sit beside it in Telemetry.
func (w *gpuWatch) end(b accel.Backend, res *bench.Result, runs []report.Run, log io.Writer) {
	if w.scraper != nil {
		rs, failures, lastErr := w.scraper.Stop()
		w.scraper = nil
		sm := report.NewServerMetrics(redact.URL(w.scrapeURL), w.scrapeInterval, rs, failures, lastErr)
		for i := range runs {
			runs[i].ServerMetrics = sm
		}
		fmt.Fprintf(log, "server metrics (%s, %d samples): running mean %.1f max %.0f, waiting mean %.1f max %.0f, KV cache mean %.0f%% max %.0f%%, prefix-cache hits %.0f%%\n",
			cmp.Or(sm.Server, "no known names"), sm.Samples, sm.MeanRunning, sm.MaxRunning, sm.MeanWaiting, sm.MaxWaiting,
			100*sm.MeanKVUsage, 100*sm.MaxKVUsage, 100*sm.PrefixHitRate)
	}
	if w.sampler == nil {
		return
	}
	series := w.sampler.Stop()
	w.sampler = nil
	devs := make([]report.DeviceSamples, len(series))
	for i, sr := range series {
		g := w.sensorOf[i]
		d := g.Describe()
		samples := sr.Samples
		if res.Config.Warmup > 0 && !res.Virtual {
			samples = report.Window(samples, res.Config.Warmup)
		}
		devs[i] = report.DeviceSamples{
			Device: sr.Name, Name: d.Name, UUID: d.UUID, Profile: d.Profile, Samples: samples,
			Stride: sr.Stride, Unsupported: g.Unsupported(),
		}
		if sr.Ended != nil {
			devs[i].Ended = sr.Ended.Error()
			fmt.Fprintf(log, "inferbench: telemetry %s ended early: %v\n", sr.Name, sr.Ended)
		}
	}
	tel, energy := report.NewTelemetry("nvml", w.interval, devs, res.Completed, res.OutputTokens)
	switch {
	case res.Virtual:
		tel.Note = "the load ran in virtual time (a simulated device without --realtime), so the GPU did not carry it: these figures are the GPU's during the few wall-clock milliseconds the simulation took"
		energy = nil
	case len(runs) > 1:
		tel.Note = fmt.Sprintf("covers the whole %d-point run, not each point", len(runs))
		energy = nil
	case b.Info().Kind == accel.KindSimulated:
		tel.Note = "the backend is simulated: energy is the simulator's prediction; the GPU's measured figures are here"
		energy = nil
	}
	for i := range runs {
		runs[i].Telemetry = tel
		if energy != nil {
			runs[i].Energy = energy
		}
	}
	for _, d := range tel.Devices {
		fmt.Fprintf(log, "telemetry %s\n", telemetryLine(d))
	}
	if tel.Throttled {
		fmt.Fprintf(log, "inferbench: warning: %s: the GPU throttled for power or heat during the run; its numbers are not the card's unthrottled performance\n", b.Info().ID)
	}
}

// close shuts NVML down.
func (w *gpuWatch) close() {
	if w.scraper != nil {
		w.scraper.Stop()
		w.scraper = nil
	}
	if w.sampler != nil {
		w.sampler.Stop()
		w.sampler = nil
	}
	if w.lib != nil {
		w.lib.Close()
	}
}

// telemetryLine is one device's summary for people.
func telemetryLine(d report.DeviceTelemetry) string {
	s := d.Summary
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %d samples", d.Device, d.Name, d.Samples)
	if s.EnergySource != "" {
		fmt.Fprintf(&b, ", %.0f W avg, %.0f W peak, %.4g J (%s)", s.AvgPowerW, s.PeakPowerW, s.EnergyJ, s.EnergySource)
		if s.JoulesPerOutputToken > 0 {
			fmt.Fprintf(&b, ", %.3g J/token", s.JoulesPerOutputToken)
		}
	}
	fmt.Fprintf(&b, ", GPU util %.0f%%, max %.0f °C", s.AvgGPUUtilPct, s.MaxTempC)
	if len(s.Throttle) > 0 {
		var rs []string
		for _, t := range s.Throttle {
			rs = append(rs, fmt.Sprintf("%s %.0f%%", t.Reason, 100*t.Fraction))
		}
		fmt.Fprintf(&b, ", clock events: %s", strings.Join(rs, ", "))
	}
	return b.String()
}

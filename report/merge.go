package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferbench/inferbench/accel"
)

// RunKey identifies what a run measured: the backend, the model and workload,
// and the load it was given. Runs with one key measured the same thing.
func RunKey(r *Run) string {
	return r.Backend.ID + " " + LoadKey(r)
}

// LoadKey is RunKey without the backend: the workload and load, which runs on
// different hardware share when they are compared.
func LoadKey(r *Run) string {
	var b strings.Builder
	b.WriteString(r.Workload.Model)
	if r.Workload.Name != "" {
		b.WriteString("/" + r.Workload.Name)
	}
	if r.Workload.Precision != "" {
		b.WriteString("/" + r.Workload.Precision)
	}
	b.WriteString(" " + LoadLabel(&r.Scenario))
	return b.String()
}

// LoadLabel names a scenario with its load: "closed c=8", "poisson 5/s".
func LoadLabel(s *Scenario) string {
	l := s.Name
	if s.Concurrency > 0 && s.Rate == 0 {
		l += fmt.Sprintf(" c=%d", s.Concurrency)
	}
	if s.Rate > 0 {
		l += fmt.Sprintf(" %g/s", s.Rate)
	}
	return l
}

// Merge combines the runs of several shard reports into one report. Runs with
// the same RunKey are merged into one run:
//
//   - histograms add exactly (HDR histograms of the same range and precision),
//     and every summary is recomputed from the merged histograms, so the
//     percentiles of a sharded run are those of one run over all its samples;
//   - counts and tokens add;
//   - shards run side by side, so request and token rates add and the
//     duration is the longest shard's;
//   - energy, power and cost are the sums over the distinct devices the shards
//     ran on, stated in energy.devices and energy.basis, cost.devices and
//     cost.devices_basis: each simulated shard ran its own device, so four
//     shards are four devices; shards of one shared endpoint (a remote backend:
//     they all loaded one URL) or one GPU watched through NVML (the same UUID)
//     count it once. Average power is the sum of the devices' average powers;
//     peak power the sum of their peaks, which bounds the peak of the total
//     from above (the shards' samples share no clock to add them in), or one
//     shared device's highest reading. Average power is never above peak.
//     J/token and J/request are the summed energy over the summed tokens and
//     requests; $/1M is the summed price over the summed throughput;
//   - the merged backend's chips (backend.info.chips) are the chips of all
//     those devices, so the tables' chips column and the priced chips agree;
//   - the run is valid when every shard is, and failed or interrupted when
//     any shard is (the reasons name the shard); telemetry lists every
//     distinct device once.
//
// Runs whose key appears once pass through unchanged. The merged report takes
// the first report's header (host, tool, config), with its config's backends
// the union of all. Merge does not change its arguments.
func Merge(reps ...*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, fmt.Errorf("merge: no reports")
	}
	out := *reps[0]
	out.Runs = nil
	out.Interrupted = false
	var order []string
	groups := map[string][]*Run{}
	backends := map[string]bool{}
	out.Config.Backends = nil
	for _, rep := range reps {
		out.Interrupted = out.Interrupted || rep.Interrupted
		for _, b := range rep.Config.Backends {
			if !backends[b] {
				backends[b] = true
				out.Config.Backends = append(out.Config.Backends, b)
			}
		}
		for i := range rep.Runs {
			r := &rep.Runs[i]
			k := RunKey(r) + "\x00" + r.Label
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}
	}
	for _, k := range order {
		m, err := mergeRuns(groups[k])
		if err != nil {
			return nil, fmt.Errorf("merge %s: %w", strings.ReplaceAll(k, "\x00", " "), err)
		}
		out.Runs = append(out.Runs, m)
	}
	return &out, nil
}

// mergeRuns merges shards of one run; see Merge for the rules.
func mergeRuns(shards []*Run) (Run, error) {
	m := *shards[0]
	if len(shards) == 1 {
		return m, nil
	}
	hists := map[string]*hdrhistogram.Histogram{}
	var inTok, outTok, completed, reqIn, reqOut float64
	m.Counts = Counts{}
	m.Warnings = nil
	// The merged run is the whole plan, no longer one shard of it.
	m.Scenario.Shard = ""
	m.Scenario.Workers = 0
	m.Throughput = Throughput{}
	m.DurationS = 0
	m.Valid, m.InvalidReasons = true, nil
	m.Failed, m.FailReason, m.Interrupted = false, "", false
	var failed []string
	for _, s := range shards {
		c := s.Counts
		m.Counts.Requests += c.Requests
		m.Counts.Completed += c.Completed
		m.Counts.Errors += c.Errors
		m.Counts.Dropped += c.Dropped
		m.Counts.Late += c.Late
		m.Counts.Clamped += c.Clamped
		m.Counts.ShortOutputs += c.ShortOutputs
		for why, n := range c.FinishReasons {
			if m.Counts.FinishReasons == nil {
				m.Counts.FinishReasons = map[string]int64{}
			}
			m.Counts.FinishReasons[why] += n
		}
		for _, w := range s.Warnings {
			m.Warnings = append(m.Warnings, shardName(s)+": "+w)
		}
		switch k := s.Workload.InputTokensCounted; {
		case m.Workload.InputTokensCounted == "":
			m.Workload.InputTokensCounted = k
		case k != "" && k != m.Workload.InputTokensCounted:
			m.Workload.InputTokensCounted = accel.CountedMixed
		}
		for cls, n := range c.ErrorsByClass {
			if m.Counts.ErrorsByClass == nil {
				m.Counts.ErrorsByClass = map[string]int64{}
			}
			m.Counts.ErrorsByClass[cls] += n
		}
		for cls, ex := range c.ErrorExamples {
			if m.Counts.ErrorExamples == nil {
				m.Counts.ErrorExamples = map[string]string{}
			}
			if m.Counts.ErrorExamples[cls] == "" {
				m.Counts.ErrorExamples[cls] = ex
			}
		}
		m.Scenario.Workers += s.Scenario.Workers
		m.DurationS = math.Max(m.DurationS, s.DurationS)
		m.Throughput.RequestsPerS += s.Throughput.RequestsPerS
		m.Throughput.OutputTokensPerS += s.Throughput.OutputTokensPerS
		m.Throughput.InputTokensPerS += s.Throughput.InputTokensPerS
		n := float64(s.Counts.Completed)
		completed += n
		inTok += n * s.Workload.MeanInputTokens
		outTok += n * s.Workload.MeanOutputTokens
		reqIn += n * s.Workload.RequestedMeanInputTokens
		reqOut += n * s.Workload.RequestedMeanOutputTokens
		for name, enc := range s.Histograms {
			h, err := DecodeHist(enc)
			if err != nil {
				return m, fmt.Errorf("%s histogram of %s: %w", name, shardName(s), err)
			}
			if prev, ok := hists[name]; ok {
				if dropped := prev.Merge(h); dropped > 0 {
					return m, fmt.Errorf("%s histogram: %d values outside the first shard's range", name, dropped)
				}
			} else {
				hists[name] = h
			}
		}
		// One bad shard makes the whole run bad, and says which shard it was.
		m.Valid = m.Valid && s.Valid
		for _, why := range s.InvalidReasons {
			m.InvalidReasons = append(m.InvalidReasons, shardName(s)+": "+why)
		}
		if s.Failed {
			why := s.FailReason
			if why == "" {
				why = "failed"
			}
			failed = append(failed, shardName(s)+": "+why)
		}
		m.Interrupted = m.Interrupted || s.Interrupted
	}
	if len(failed) > 0 {
		m.Failed, m.FailReason = true, strings.Join(failed, "; ")
	}
	if completed > 0 {
		m.Workload.MeanInputTokens = inTok / completed
		m.Workload.MeanOutputTokens = outTok / completed
		m.Workload.RequestedMeanInputTokens = reqIn / completed
		m.Workload.RequestedMeanOutputTokens = reqOut / completed
	}
	m.Histograms = map[string]string{}
	for name, h := range hists {
		enc, err := EncodeHist(h)
		if err != nil {
			return m, err
		}
		m.Histograms[name] = enc
	}
	sum := func(name string) Summary {
		if h, ok := hists[name]; ok {
			return Summarize(h)
		}
		return Summary{}
	}
	m.Latency, m.TTFT, m.TPOT, m.ITL = sum("latency"), sum("ttft"), sum("tpot"), sum("itl")
	m.TTFO = nil
	if h, ok := hists["ttfo"]; ok {
		s := Summarize(h)
		m.TTFO = &s
	}
	mergeReplay(&m, shards, hists)
	m.Service, m.Lag = nil, nil
	if h, ok := hists["service"]; ok {
		s := Summarize(h)
		m.Service = &s
	}
	if h, ok := hists["schedule_lag"]; ok {
		s := Summarize(h)
		m.Lag = &s
	}
	m.Energy = mergeEnergy(shards, m.Counts.Completed, outTok)
	m.Telemetry = mergeTelemetry(shards)
	m.Cost, m.Backend.Info.Chips = mergeCost(shards, m.Throughput)
	return m, nil
}

// shardName names a shard in a merged run's reasons: "shard 2/4", else its
// backend.
func shardName(s *Run) string {
	if s.Scenario.Shard != "" {
		return "shard " + s.Scenario.Shard
	}
	return s.Backend.ID
}

// gpuIDs names the GPUs a shard's telemetry watched, "" when none has a UUID:
// shards that watched the same GPUs watched one device.
func gpuIDs(s *Run) string {
	if s.Telemetry == nil {
		return ""
	}
	var ids []string
	for _, d := range s.Telemetry.Devices {
		if d.UUID != "" {
			ids = append(ids, d.UUID)
		}
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// energyDevice names the device shard i's energy reading came from; shards
// with one name measured one device. A simulated shard simulated its own
// device; a measured reading is of the GPUs its telemetry names, or else, for
// a remote backend, of the one endpoint every shard loaded.
func energyDevice(i int, s *Run) string {
	if s.Energy.Source != "simulated" {
		if ids := gpuIDs(s); ids != "" {
			return "gpu " + ids
		}
		if s.Backend.Kind == accel.KindRemote {
			return "endpoint " + s.Backend.ID
		}
	}
	return fmt.Sprintf("shard %d", i)
}

// costDevice names the hardware shard i's price is for: a remote backend's
// shards all loaded one endpoint (one URL, since they share a RunKey); an NVML
// backend's shards the GPUs their telemetry names; a simulated or local
// shard its own device.
func costDevice(i int, s *Run) string {
	switch s.Backend.Kind {
	case accel.KindRemote:
		return "endpoint " + s.Backend.ID
	case accel.KindNVML:
		if ids := gpuIDs(s); ids != "" {
			return "gpu " + ids
		}
	}
	return fmt.Sprintf("shard %d", i)
}

// mergeEnergy sums the shards' energy over the distinct devices they ran on
// (see Merge), with per-request and per-token figures over all the shards'
// work. It is nil when no shard measured energy, and when a shard of
// separate devices did not: a sum missing a device would look whole. Shards
// of a remote endpoint may lack a reading, since the others measured the
// device they all loaded.
func mergeEnergy(shards []*Run, completed int64, outTok float64) *Energy {
	type device struct {
		e      Energy
		shards int
	}
	var keys []string
	devs := map[string]*device{}
	measured := 0
	for i, s := range shards {
		if s.Energy == nil {
			if s.Backend.Kind != accel.KindRemote {
				return nil
			}
			continue
		}
		measured++
		k := energyDevice(i, s)
		d, ok := devs[k]
		if !ok {
			keys = append(keys, k)
			devs[k] = &device{e: *s.Energy, shards: 1}
			continue
		}
		// Shards of one device read it over overlapping windows: its energy is
		// the widest reading (the most joules), not their sum.
		d.shards++
		peak := math.Max(d.e.PeakPowerW, s.Energy.PeakPowerW)
		if s.Energy.Joules > d.e.Joules {
			d.e = *s.Energy
		}
		d.e.PeakPowerW = peak
	}
	if measured == 0 {
		return nil
	}
	e := &Energy{Source: devs[keys[0]].e.Source, Devices: len(keys)}
	shared, simulated := 0, true
	for _, k := range keys {
		d := devs[k]
		e.Joules += d.e.Joules
		e.AvgPowerW += d.e.AvgPowerW
		e.PeakPowerW += d.e.PeakPowerW
		if d.e.Source != e.Source {
			e.Source = "mixed"
		}
		if d.shards > 1 {
			shared++
		}
		simulated = simulated && d.e.Source == "simulated"
	}
	if completed > 0 {
		e.JoulesPerRequest = e.Joules / float64(completed)
	}
	if outTok > 0 {
		e.JoulesPerOutputToken = e.Joules / outTok
	}
	n := len(shards)
	const sums = "avg_power_w is the sum of their average powers, peak_power_w the sum of their peaks (an upper bound on the peak of the total: the shards' samples share no clock to add them by)"
	switch {
	case len(keys) == 1 && shared == 1:
		e.Basis = fmt.Sprintf("one device shared by %d shards, counted once: the reading of the shard that measured the most energy (the shards' windows overlap); peak_power_w is the highest reading any shard took", devs[keys[0]].shards)
	case shared == 0:
		e.Basis = fmt.Sprintf("sum over %d devices, one per shard; %s", len(keys), sums)
		if simulated {
			e.Basis += fmt.Sprintf("; each simulated device carried only its shard's share of the load, so J/token and J/request are those of %d part-loaded devices, not of one device running the whole plan", len(keys))
		}
	default:
		e.Basis = fmt.Sprintf("sum over %d devices used by %d shards, a device shared by shards counted once (the reading with the most energy); %s", len(keys), n, sums)
	}
	if measured < n {
		e.Basis += fmt.Sprintf("; %d of %d shards measured energy, and the rest loaded the same endpoint", measured, n)
	}
	return e
}

// mergeCost prices the distinct devices the shards ran on (see Merge) and
// returns the price (nil when a shard had none) and those devices' chips,
// which the merged backend then says it has.
func mergeCost(shards []*Run, tp Throughput) (*Cost, int) {
	var keys []string
	first := map[string]*Run{}
	for i, s := range shards {
		if k := costDevice(i, s); first[k] == nil {
			keys = append(keys, k)
			first[k] = s
		}
	}
	// One shared device: the backend is each shard's, chips as it said (0
	// when unknown). Several: each counts as the table and CostOf count it.
	chips := shards[0].Backend.Info.Chips
	if len(keys) > 1 {
		chips = 0
		for _, k := range keys {
			chips += max(first[k].Backend.Info.Chips, 1)
		}
	}
	for _, s := range shards {
		if s.Cost == nil {
			return nil, chips
		}
	}
	c := *shards[0].Cost
	c.Chips, c.USDPerHour = 0, 0
	for _, k := range keys {
		c.Chips += first[k].Cost.Chips
		c.USDPerHour += first[k].Cost.USDPerHour
	}
	if c.Chips > 0 {
		c.USDPerChipHour = c.USDPerHour / float64(c.Chips)
	}
	c.USDPerMillionOutputTokens = PerMillion(c.USDPerHour, tp.OutputTokensPerS)
	c.USDPerMillionRequests = PerMillion(c.USDPerHour, tp.RequestsPerS)
	c.Devices = len(keys)
	n := len(shards)
	switch {
	case len(keys) == n:
		c.DevicesBasis = fmt.Sprintf("%d devices, one per shard: their chips and hourly prices add", n)
	case len(keys) == 1:
		c.DevicesBasis = fmt.Sprintf("one device shared by %d shards, priced once", n)
	default:
		c.DevicesBasis = fmt.Sprintf("%d devices used by %d shards: a device shared by shards priced once, the rest add", len(keys), n)
	}
	if len(keys) == 1 {
		return &c, chips
	}
	return &c, c.Chips
}

// mergeTelemetry lists every distinct device the shards watched once: a GPU
// (by UUID) that several shards watched keeps the series with the most
// samples. Devices without a UUID are listed per shard.
func mergeTelemetry(shards []*Run) *Telemetry {
	var t *Telemetry
	at := map[string]int{}
	for _, s := range shards {
		if s.Telemetry == nil {
			continue
		}
		if t == nil {
			c := *s.Telemetry
			c.Devices = nil
			t = &c
		}
		t.Throttled = t.Throttled || s.Telemetry.Throttled
		if t.Note == "" {
			t.Note = s.Telemetry.Note
		}
		for _, d := range s.Telemetry.Devices {
			if i, seen := at[d.UUID]; seen && d.UUID != "" {
				if d.Samples > t.Devices[i].Samples {
					t.Devices[i] = d
				}
				continue
			}
			if d.UUID != "" {
				at[d.UUID] = len(t.Devices)
			}
			t.Devices = append(t.Devices, d)
		}
	}
	return t
}

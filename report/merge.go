package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
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
//   - counts, tokens and energy (joules) add;
//   - shards run side by side, so rates add (requests/s, tokens/s, average
//     power, cost per hour) and the duration is the longest shard's;
//     per-unit figures (J/token, $/1M tokens) are recomputed from the sums;
//   - peak power is the highest single shard's peak;
//   - the run is valid when every shard is; telemetry lists every shard's
//     devices.
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
	var inTok, outTok, completed float64
	var energy *Energy
	var costPerHour float64
	costOK := true
	m.Counts = Counts{}
	// The merged run is the whole plan, no longer one shard of it.
	m.Scenario.Shard = ""
	m.Scenario.Workers = 0
	for _, s := range shards {
		m.Scenario.Workers += s.Scenario.Workers
	}
	m.Throughput = Throughput{}
	m.DurationS = 0
	for _, s := range shards {
		c := s.Counts
		m.Counts.Requests += c.Requests
		m.Counts.Completed += c.Completed
		m.Counts.Errors += c.Errors
		m.Counts.Dropped += c.Dropped
		m.Counts.Late += c.Late
		m.Counts.Clamped += c.Clamped
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
		m.DurationS = math.Max(m.DurationS, s.DurationS)
		m.Throughput.RequestsPerS += s.Throughput.RequestsPerS
		m.Throughput.OutputTokensPerS += s.Throughput.OutputTokensPerS
		m.Throughput.InputTokensPerS += s.Throughput.InputTokensPerS
		n := float64(s.Counts.Completed)
		completed += n
		inTok += n * s.Workload.MeanInputTokens
		outTok += n * s.Workload.MeanOutputTokens
		for name, enc := range s.Histograms {
			h, err := DecodeHist(enc)
			if err != nil {
				return m, fmt.Errorf("%s histogram of %s: %w", name, s.Backend.ID, err)
			}
			if prev, ok := hists[name]; ok {
				if dropped := prev.Merge(h); dropped > 0 {
					return m, fmt.Errorf("%s histogram: %d values outside the first shard's range", name, dropped)
				}
			} else {
				hists[name] = h
			}
		}
		if s.Energy != nil {
			if energy == nil {
				energy = &Energy{Source: s.Energy.Source}
			}
			energy.Joules += s.Energy.Joules
			energy.AvgPowerW += s.Energy.AvgPowerW
			energy.PeakPowerW = math.Max(energy.PeakPowerW, s.Energy.PeakPowerW)
			if energy.Source != s.Energy.Source {
				energy.Source = "mixed"
			}
		}
		if s.Cost == nil {
			costOK = false
		} else {
			costPerHour += s.Cost.USDPerHour
		}
	}
	if completed > 0 {
		m.Workload.MeanInputTokens = inTok / completed
		m.Workload.MeanOutputTokens = outTok / completed
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
	m.Service, m.Lag = nil, nil
	if h, ok := hists["service"]; ok {
		s := Summarize(h)
		m.Service = &s
	}
	if h, ok := hists["schedule_lag"]; ok {
		s := Summarize(h)
		m.Lag = &s
	}
	m.Energy = nil
	if energy != nil && len(shards) > 0 {
		if m.Counts.Completed > 0 {
			energy.JoulesPerRequest = energy.Joules / float64(m.Counts.Completed)
		}
		if outTok > 0 {
			energy.JoulesPerOutputToken = energy.Joules / outTok
		}
		m.Energy = energy
	}
	// Shards ran on different machines: their devices are listed side by side.
	m.Telemetry = nil
	m.Valid = true
	m.InvalidReasons = nil
	for _, s := range shards {
		m.Valid = m.Valid && s.Valid
		for _, why := range s.InvalidReasons {
			m.InvalidReasons = append(m.InvalidReasons, s.Backend.ID+": "+why)
		}
		if s.Telemetry == nil {
			continue
		}
		if m.Telemetry == nil {
			t := *s.Telemetry
			t.Devices = nil
			m.Telemetry = &t
		}
		m.Telemetry.Throttled = m.Telemetry.Throttled || s.Telemetry.Throttled
		m.Telemetry.Devices = append(m.Telemetry.Devices, s.Telemetry.Devices...)
	}
	m.Cost = nil
	if costOK && shards[0].Cost != nil {
		c := *shards[0].Cost
		c.Chips = 0
		for _, s := range shards {
			c.Chips += s.Cost.Chips
		}
		c.USDPerHour = costPerHour
		c.USDPerMillionOutputTokens = PerMillion(c.USDPerHour, m.Throughput.OutputTokensPerS)
		c.USDPerMillionRequests = PerMillion(c.USDPerHour, m.Throughput.RequestsPerS)
		m.Cost = &c
	}
	return m, nil
}

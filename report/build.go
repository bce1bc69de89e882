package report

import (
	"maps"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/bench"
)

// FromBench turns a load generator result into a report run.
func FromBench(info accel.Info, workload string, r *bench.Result) (Run, error) {
	c := r.Config
	run := Run{
		Backend: Backend{ID: info.ID, Kind: info.Kind, Info: InfoOf(info)},
		Workload: Workload{
			Name: workload, Model: c.Model, Precision: info.Precision,
			OutputTokensCounted: r.Counted, InputTokensCounted: r.InputTokensCounted,
		},
		Scenario: scenarioOf(r),
		Counts: Counts{
			Requests: r.Requests, Completed: r.Completed, Errors: r.Errors, Dropped: r.Dropped, Late: r.Late,
			Clamped: r.Clamped, FinishReasons: maps.Clone(r.FinishReasons), ShortOutputs: r.ShortOutputs,
		},
		DurationS: r.Elapsed.Seconds(),
		Throughput: Throughput{
			RequestsPerS:     r.RequestsPerSecond(),
			OutputTokensPerS: r.OutputTokensPerSecond(),
		},
		Latency:    Summarize(r.Latency),
		TTFT:       Summarize(r.TTFT),
		TPOT:       Summarize(r.TPOT),
		ITL:        Summarize(r.ITL),
		Histograms: map[string]string{},
		Valid:      r.Valid, InvalidReasons: r.InvalidReasons, ValidityRule: r.ValidityRule,
		Failed: r.Failed, FailReason: r.FailReason, Interrupted: r.Interrupted,
	}
	if run.Workload.Precision == "" {
		run.Workload.Precision = c.Precision
	}
	if r.Completed > 0 {
		run.Workload.MeanInputTokens = float64(r.InputTokens) / float64(r.Completed)
		run.Workload.MeanOutputTokens = float64(r.OutputTokens) / float64(r.Completed)
		run.Workload.MeanReasoningTokens = float64(r.ReasoningTokens) / float64(r.Completed)
		run.Workload.RequestedMeanInputTokens = float64(r.RequestedInputTokens) / float64(r.Completed)
		run.Workload.RequestedMeanOutputTokens = float64(r.RequestedOutputTokens) / float64(r.Completed)
	}
	if r.ReasoningTokens > 0 {
		ttfo := Summarize(r.TTFO)
		run.TTFO = &ttfo
		enc, err := EncodeHist(r.TTFO) // for merge and compare
		if err != nil {
			return run, err
		}
		run.Histograms["ttfo"] = enc
	}
	run.Warnings = append(run.Warnings, tokenWarnings(workload, r)...)
	run.Trace, run.TTFTByTurn, run.PrefixCache = traceOf(r), turnsOf(r), prefixCacheOf(r)
	if r.Elapsed > 0 {
		run.Throughput.InputTokensPerS = float64(r.InputTokens) / r.Elapsed.Seconds()
	}
	if len(r.ErrorsByClass) > 0 {
		run.Counts.ErrorsByClass = map[string]int64{}
		run.Counts.ErrorExamples = map[string]string{}
		for k, v := range r.ErrorsByClass {
			run.Counts.ErrorsByClass[string(k)] = v
		}
		for k, v := range r.ErrorExamples {
			if v != "" {
				run.Counts.ErrorExamples[string(k)] = v
			}
		}
	}
	if r.Service.TotalCount() > 0 {
		s := Summarize(r.Service)
		run.Service = &s
	}
	if r.Lag.TotalCount() > 0 {
		s := Summarize(r.Lag)
		run.Lag = &s
	}
	for name, h := range map[string]*hdrhistogram.Histogram{
		"latency": r.Latency, "ttft": r.TTFT, "tpot": r.TPOT, "itl": r.ITL, "service": r.Service, "schedule_lag": r.Lag,
	} {
		if h.TotalCount() == 0 {
			continue
		}
		enc, err := EncodeHist(h)
		if err != nil {
			return run, err
		}
		run.Histograms[name] = enc
	}
	// Per-turn TTFT histograms, so merged shards' percentiles are exact.
	if r.Recorder != nil {
		for k, h := range r.TurnTTFT {
			if h.TotalCount() == 0 {
				continue
			}
			enc, err := EncodeHist(h)
			if err != nil {
				return run, err
			}
			run.Histograms[turnHist(k)] = enc
		}
	}
	// Error examples and reasons quote what servers and transports said:
	// masked here, whoever builds the report (the CLI adds its known values).
	run.redact(nil)
	if r.HasEnergy && r.Energy.Elapsed > 0 {
		e := &Energy{
			Joules:     r.Energy.Joules,
			AvgPowerW:  r.Energy.Joules / r.Energy.Elapsed.Seconds(),
			PeakPowerW: r.Energy.PeakW,
			Source:     "simulated",
		}
		if r.Completed > 0 {
			e.JoulesPerRequest = e.Joules / float64(r.Completed)
		}
		if r.OutputTokens > 0 {
			e.JoulesPerOutputToken = e.Joules / float64(r.OutputTokens)
		}
		run.Energy = e
	}
	return run, nil
}

// scenarioOf describes how a bench result's load was issued.
func scenarioOf(r *bench.Result) Scenario {
	c := r.Config
	s := Scenario{
		Name: string(c.Scenario), Concurrency: c.Concurrency, Rate: c.Rate, Virtual: r.Virtual,
		Burstiness: c.Burstiness, Shard: c.Shard.String(), Workers: r.Workers, Stopped: r.Stopped,
	}
	if c.Scenario.Open() || c.Rate > 0 {
		s.Concurrency = 0
	} else {
		s.Rate = 0
	}
	for _, o := range r.SLOs {
		s.SLO = append(s.SLO, SLO{
			Objective: o.SLO.String(), ObservedMS: float64(o.Observed) / nsPerMS,
			Met: o.Met, Verdict: o.Verdict.String(),
		})
	}
	return s
}

// FromSweep turns a sweep or a max-rate search into report runs, one per
// point in the order run; the search's chosen run carries max_rate.
func FromSweep(info accel.Info, workload string, s *bench.Sweep) ([]Run, error) {
	runs := make([]Run, 0, len(s.Points))
	for i, p := range s.Points {
		run, err := FromBench(info, workload, p)
		if err != nil {
			return nil, err
		}
		if s.Config.Scenario == bench.MaxRate && i == s.Best && s.MaxRate > 0 {
			m := s.MaxRate
			run.Scenario.MaxRate = &m
		}
		runs = append(runs, run)
	}
	return runs, nil
}

package report

import (
	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/inferbench/inferbench/accel"
	"github.com/inferbench/inferbench/bench"
)

// FromBench turns a load generator result into a report run.
func FromBench(info accel.Info, workload string, r *bench.Result) (Run, error) {
	c := r.Config
	run := Run{
		Backend: Backend{ID: info.ID, Kind: info.Kind, Info: info},
		Workload: Workload{
			Name: workload, Model: c.Model, Precision: info.Precision,
			OutputTokensCounted: r.Counted,
		},
		Scenario: Scenario{Name: string(c.Scenario), Concurrency: c.Concurrency, Rate: c.Rate, Virtual: r.Virtual},
		Counts: Counts{
			Requests: r.Requests, Completed: r.Completed, Errors: r.Errors, Dropped: r.Dropped,
			Clamped: r.Clamped,
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
	}
	if run.Workload.Precision == "" {
		run.Workload.Precision = c.Precision
	}
	if r.Completed > 0 {
		run.Workload.MeanInputTokens = float64(r.InputTokens) / float64(r.Completed)
		run.Workload.MeanOutputTokens = float64(r.OutputTokens) / float64(r.Completed)
	}
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

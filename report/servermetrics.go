package report

import (
	"time"

	"github.com/inferbench/inferbench/internal/scrape"
)

// ServerMetrics is what the inference server said about itself during a run
// (--scrape): its Prometheus /metrics sampled at an interval, with each
// server's names (vLLM, SGLang, TGI, Dynamo, inferbench serve) mapped onto
// the same readings. A reading the server does not publish is absent from
// Has and zero in the figures.
type ServerMetrics struct {
	Source     string  `json:"source"` // the /metrics URL, user info masked
	Server     string  `json:"server,omitempty"`
	IntervalMS float64 `json:"interval_ms"`
	Samples    int     `json:"samples"`
	Failures   int     `json:"failures,omitempty"` // scrapes that failed
	LastError  string  `json:"last_error,omitempty"`
	// Has names the readings the server published: running, waiting,
	// kv_cache_usage, prefix_hit_rate.
	Has []string `json:"has,omitempty"`

	MeanRunning   float64 `json:"mean_running"`
	MaxRunning    float64 `json:"max_running"`
	MeanWaiting   float64 `json:"mean_waiting"`
	MaxWaiting    float64 `json:"max_waiting"`
	MeanKVUsage   float64 `json:"mean_kv_cache_usage"`
	MaxKVUsage    float64 `json:"max_kv_cache_usage"`
	PrefixHitRate float64 `json:"prefix_hit_rate"`

	// Timeline is every reading, for plots.
	Timeline []ServerSample `json:"timeline,omitempty"`
}

// ServerSample is one scrape.
type ServerSample struct {
	AtS           float64 `json:"t_s"`
	Running       float64 `json:"running"`
	Waiting       float64 `json:"waiting"`
	KVUsage       float64 `json:"kv_cache_usage"`
	PrefixHitRate float64 `json:"prefix_hit_rate,omitempty"`
}

// NewServerMetrics sums up a run's scrapes from source (already masked).
func NewServerMetrics(source string, interval time.Duration, rs []scrape.Reading, failures int, lastErr error) *ServerMetrics {
	s := scrape.Summarize(rs)
	m := &ServerMetrics{
		Source: source, Server: s.Server, IntervalMS: float64(interval) / 1e6, Samples: s.Samples, Failures: failures,
		MeanRunning: s.MeanRunning, MaxRunning: s.MaxRunning, MeanWaiting: s.MeanWaiting, MaxWaiting: s.MaxWaiting,
		MeanKVUsage: s.MeanKVUsage, MaxKVUsage: s.MaxKVUsage, PrefixHitRate: s.PrefixHitRate,
	}
	if lastErr != nil {
		m.LastError = lastErr.Error()
	}
	for _, f := range []scrape.Field{scrape.Running, scrape.Waiting, scrape.KVCacheUsage, scrape.PrefixHitRate} {
		if s.Has&(1<<f) != 0 {
			m.Has = append(m.Has, f.String())
		}
	}
	for i := range rs {
		r := &rs[i]
		m.Timeline = append(m.Timeline, ServerSample{AtS: r.At.Seconds(), Running: r.Values[scrape.Running], Waiting: r.Values[scrape.Waiting],
			KVUsage: r.Values[scrape.KVCacheUsage], PrefixHitRate: r.Values[scrape.PrefixHitRate]})
	}
	return m
}

// Package scrape samples an inference server's Prometheus /metrics endpoint
// during a run and maps what each server calls its queue and cache onto one
// set of readings: requests running and waiting, KV-cache use, and
// prefix-cache hits. vLLM, TGI, SGLang, TensorRT-LLM behind NVIDIA Dynamo,
// and `inferbench serve` each name these differently (Names); the text is
// read with prometheus/common's parser, as Prometheus reads it.
package scrape

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Field names one reading of a Reading.
type Field uint8

// The readings.
const (
	Running       Field = iota // requests in the running batch
	Waiting                    // requests queued, not yet scheduled
	KVCacheUsage               // fraction of the KV cache in use, 0 to 1
	PrefixHitRate              // fraction of prefix-cache lookups that hit, as the server computes it
	PrefixHits                 // prefix-cache hits (tokens or blocks), a counter
	PrefixQueries              // prefix-cache lookups, a counter
	numFields
)

// String is the reading's name in reports.
func (f Field) String() string {
	return [...]string{"running", "waiting", "kv_cache_usage", "prefix_hit_rate", "prefix_hits", "prefix_queries"}[f]
}

// Metric maps one server's metric onto a reading. Scale multiplies the
// value (a percentage becomes a fraction).
type Metric struct {
	Name   string
	Field  Field
	Scale  float64
	Server string // vllm, tgi, sglang, dynamo, inferbench
}

// Names returns the metrics read, by server. A metric with several label
// sets (a model, an engine, a worker each) is summed, except the fractions,
// which are averaged. Where a server has two names for one reading (vLLM
// renamed gpu_cache_usage_perc), both are listed; the first found wins.
func Names() []Metric {
	return []Metric{
		{"vllm:num_requests_running", Running, 1, "vllm"},
		{"vllm:num_requests_waiting", Waiting, 1, "vllm"},
		{"vllm:kv_cache_usage_perc", KVCacheUsage, 1, "vllm"}, // 0..1 despite its name
		{"vllm:gpu_cache_usage_perc", KVCacheUsage, 1, "vllm"},
		{"vllm:gpu_prefix_cache_hit_rate", PrefixHitRate, 1, "vllm"},
		{"vllm:prefix_cache_hits_total", PrefixHits, 1, "vllm"},
		{"vllm:prefix_cache_queries_total", PrefixQueries, 1, "vllm"},
		{"sglang:num_running_reqs", Running, 1, "sglang"},
		{"sglang:num_queue_reqs", Waiting, 1, "sglang"},
		{"sglang:token_usage", KVCacheUsage, 1, "sglang"},
		{"sglang:cache_hit_rate", PrefixHitRate, 1, "sglang"},
		{"tgi_batch_current_size", Running, 1, "tgi"},
		{"tgi_queue_size", Waiting, 1, "tgi"},
		{"dynamo_frontend_inflight_requests", Running, 1, "dynamo"},
		{"dynamo_frontend_queued_requests", Waiting, 1, "dynamo"},
		{"dynamo_component_kvstats_gpu_cache_usage_percent", KVCacheUsage, 1, "dynamo"},
		{"dynamo_component_kvstats_gpu_prefix_cache_hit_rate", PrefixHitRate, 1, "dynamo"},
		{"inferbench_serve_num_requests_running", Running, 1, "inferbench"},
		{"inferbench_serve_num_requests_waiting", Waiting, 1, "inferbench"},
		{"inferbench_serve_kv_cache_usage_ratio", KVCacheUsage, 1, "inferbench"},
	}
}

// Reading is one scrape.
type Reading struct {
	At     time.Duration // since the sampler started
	Values [numFields]float64
	Valid  uint8  // bit f set: Values[f] was read
	Server string // which server's names matched first, "" for none
}

// Has reports whether f was read.
func (r *Reading) Has(f Field) bool { return r.Valid&(1<<f) != 0 }

// Get returns the reading for f and whether it was read.
func (r *Reading) Get(f Field) (float64, bool) { return r.Values[f], r.Has(f) }

// Parse reads one /metrics page in the Prometheus text format into r.
func Parse(in io.Reader, r *Reading) error {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(in)
	if err != nil {
		return err
	}
	r.Valid, r.Server = 0, ""
	for _, m := range Names() {
		if r.Has(m.Field) {
			continue
		}
		fam, ok := fams[m.Name]
		if !ok || len(fam.GetMetric()) == 0 {
			continue
		}
		sum := 0.0
		for _, mt := range fam.GetMetric() {
			sum += value(fam.GetType(), mt)
		}
		if m.Field == KVCacheUsage || m.Field == PrefixHitRate {
			sum /= float64(len(fam.GetMetric()))
		}
		r.Values[m.Field] = sum * m.Scale
		r.Valid |= 1 << m.Field
		if r.Server == "" {
			r.Server = m.Server
		}
	}
	return nil
}

func value(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// Sampler scrapes a URL at an interval until stopped.
type Sampler struct {
	url      string
	interval time.Duration
	client   *http.Client

	mu       sync.Mutex
	readings []Reading
	failures int
	lastErr  error
	stop     context.CancelFunc
	done     chan struct{}
}

// NewSampler returns a sampler of url every interval. Each scrape is given
// the interval or 2 s, whichever is longer: a busy server answers its
// /metrics late, and a tick missed meanwhile is dropped, not queued.
func NewSampler(url string, interval time.Duration) (*Sampler, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("scrape interval %v: want a positive duration", interval)
	}
	return &Sampler{url: url, interval: interval, client: &http.Client{Timeout: max(interval, 5*time.Second)}}, nil
}

// Once scrapes the URL once, so a wrong address fails before any load.
func (s *Sampler) Once(ctx context.Context) (Reading, error) {
	var r Reading
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return r, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := s.client.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("scrape %s: HTTP %s", s.url, resp.Status)
	}
	return r, Parse(resp.Body, &r)
}

// Start scrapes every interval from now until Stop.
func (s *Sampler) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	t0 := time.Now()
	go func() {
		defer close(s.done)
		tick := time.NewTicker(s.interval)
		defer tick.Stop()
		for {
			r, err := s.Once(ctx)
			r.At = time.Since(t0)
			s.mu.Lock()
			if err != nil {
				if ctx.Err() == nil {
					s.failures++
					s.lastErr = err
				}
			} else {
				s.readings = append(s.readings, r)
			}
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// Stop ends the sampling and returns the readings, the failed scrapes'
// count and the last failure.
func (s *Sampler) Stop() ([]Reading, int, error) {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readings, s.failures, s.lastErr
}

// Summary is what a run's readings come to.
type Summary struct {
	Server                  string
	Samples                 int
	MeanRunning, MaxRunning float64
	MeanWaiting, MaxWaiting float64
	MeanKVUsage, MaxKVUsage float64
	PrefixHitRate           float64 // over the run: from the counters' growth where the server counts, else the mean of its own rate
	Has                     uint8   // which fields any reading had (bit per Field)
}

// Summarize sums up readings.
func Summarize(rs []Reading) Summary {
	var s Summary
	s.Samples = len(rs)
	var n [numFields]int
	var sum [numFields]float64
	for i := range rs {
		r := &rs[i]
		if s.Server == "" {
			s.Server = r.Server
		}
		s.Has |= r.Valid
		for f := Field(0); f < numFields; f++ {
			if v, ok := r.Get(f); ok {
				n[f]++
				sum[f] += v
			}
		}
		s.MaxRunning = max(s.MaxRunning, r.Values[Running])
		s.MaxWaiting = max(s.MaxWaiting, r.Values[Waiting])
		s.MaxKVUsage = max(s.MaxKVUsage, r.Values[KVCacheUsage])
	}
	mean := func(f Field) float64 {
		if n[f] == 0 {
			return 0
		}
		return sum[f] / float64(n[f])
	}
	s.MeanRunning, s.MeanWaiting, s.MeanKVUsage = mean(Running), mean(Waiting), mean(KVCacheUsage)
	s.PrefixHitRate = mean(PrefixHitRate)
	// Counters: the growth between the first and last reading that have both.
	first, last := -1, -1
	for i := range rs {
		if rs[i].Has(PrefixHits) && rs[i].Has(PrefixQueries) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first >= 0 && last > first {
		if q := rs[last].Values[PrefixQueries] - rs[first].Values[PrefixQueries]; q > 0 {
			s.PrefixHitRate = (rs[last].Values[PrefixHits] - rs[first].Values[PrefixHits]) / q
			s.Has |= 1 << PrefixHitRate
		}
	}
	return s
}

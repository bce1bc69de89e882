// Package scrape samples an inference server's Prometheus /metrics endpoint
// during a run and maps what each server calls its queue and cache onto one
// set of readings: requests running and waiting, KV-cache use, and
// prefix-cache hits. vLLM, SGLang, TensorRT-LLM (trtllm-serve's
// /prometheus/metrics), TGI, NVIDIA Dynamo and `inferbench serve` each name
// these differently (Names); the text is read with prometheus/common's
// parser, as Prometheus reads it.
package scrape

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
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
	// PrefixMisses are prefix-cache lookups that missed, a counter: what
	// TensorRT-LLM counts instead of lookups. Parse adds them to the hits
	// for PrefixQueries when the server has no lookup count.
	PrefixMisses
	numFields
)

// String is the reading's name in reports.
func (f Field) String() string {
	return [...]string{"running", "waiting", "kv_cache_usage", "prefix_hit_rate", "prefix_hits", "prefix_queries", "prefix_misses"}[f]
}

// Metric maps one server's metric onto a reading. Scale multiplies the
// value (a percentage becomes a fraction).
type Metric struct {
	Name   string
	Field  Field
	Scale  float64
	Server string // vllm, sglang, trtllm, tgi, dynamo, inferbench
	// Minus names a metric whose value is taken off this one's: Dynamo's
	// frontend counts the requests still waiting for their first token
	// among those in flight.
	Minus string
	// Label and Value, when set, keep only the series whose label has that
	// value: a Dynamo worker counts its internal endpoints' requests in
	// flight too.
	Label, Value string
}

// Names returns the metrics read, by server, each server's table checked
// against its source at the commit cited beside it. A metric with several
// label sets (a model, an engine, a worker each) is summed, except the
// fractions, which are averaged. Where a server has had two names for one
// reading, both are listed, the current one first; the first found wins.
//
// A name with a colon is also found with the colon written as an
// underscore (Parse): a scraper that negotiates Prometheus's
// escaping=underscores gets SGLang's and vLLM's names so from
// prometheus_client (prometheus/client_python#1177), and SGLang's router
// (sgl-model-gateway /engine_metrics) rewrites them so (sgl-project/sglang
// #12970).
func Names() []Metric {
	m := func(name string, f Field, server string) Metric {
		return Metric{Name: name, Field: f, Scale: 1, Server: server}
	}
	return []Metric{
		// vLLM V1: vllm-project/vllm vllm/v1/metrics/loggers.py at
		// 005a810bc40faa25b8870fbc8559c3462581eee3 (PrometheusStatLogger).
		// Counters are exposed with prometheus_client's _total suffix.
		// kv_cache_usage_perc is 0..1 despite its name ("1 means 100
		// percent usage"); gpu_cache_usage_perc and the gpu_prefix_cache_*
		// counters are its names before 0.9 ("Deprecated in 0.9").
		// gpu_prefix_cache_hit_rate is V0's gauge (vllm/engine/metrics.py,
		// "DEPRECATED: use vllm:gpu_prefix_cache_queries ... in V1"; V0 is
		// gone, so not pinned to a commit here).
		m("vllm:num_requests_running", Running, "vllm"),
		m("vllm:num_requests_waiting", Waiting, "vllm"),
		m("vllm:kv_cache_usage_perc", KVCacheUsage, "vllm"),
		m("vllm:gpu_cache_usage_perc", KVCacheUsage, "vllm"),
		m("vllm:prefix_cache_hits_total", PrefixHits, "vllm"),
		m("vllm:prefix_cache_queries_total", PrefixQueries, "vllm"),
		m("vllm:gpu_prefix_cache_hits_total", PrefixHits, "vllm"),
		m("vllm:gpu_prefix_cache_queries_total", PrefixQueries, "vllm"),
		m("vllm:gpu_prefix_cache_hit_rate", PrefixHitRate, "vllm"),
		// SGLang: sgl-project/sglang python/sglang/srt/metrics/collector.py
		// at 00ae9c1590d2d0bb6c0bfff39e312c34ae3dd538
		// (SchedulerMetricsCollector): token_usage is the KV pool's used
		// fraction, cache_hit_rate the radix cache's.
		m("sglang:num_running_reqs", Running, "sglang"),
		m("sglang:num_queue_reqs", Waiting, "sglang"),
		m("sglang:token_usage", KVCacheUsage, "sglang"),
		m("sglang:cache_hit_rate", PrefixHitRate, "sglang"),
		// TensorRT-LLM: NVIDIA/TensorRT-LLM tensorrt_llm/metrics/collector.py
		// at 050f80def8df236e326949c8bd9dee10fd896a83 (MetricsCollector,
		// prefix trtllm_), which trtllm-serve publishes on
		// /prometheus/metrics (its /metrics is JSON iteration stats) and
		// Dynamo's TensorRT-LLM worker passes through. From the iteration
		// stats: num_requests_running is numActiveRequests,
		// num_requests_waiting numQueuedRequests, kv_cache_utilization
		// usedNumBlocks/maxNumBlocks, kv_cache_hit_rate cacheHitRate; the
		// reused and missed blocks are counters.
		m("trtllm_num_requests_running", Running, "trtllm"),
		m("trtllm_num_requests_waiting", Waiting, "trtllm"),
		m("trtllm_kv_cache_utilization", KVCacheUsage, "trtllm"),
		m("trtllm_kv_cache_hit_rate", PrefixHitRate, "trtllm"),
		m("trtllm_kv_cache_reused_blocks_total", PrefixHits, "trtllm"),
		m("trtllm_kv_cache_missed_blocks_total", PrefixMisses, "trtllm"),
		// TGI: huggingface/text-generation-inference backends/v3/src/backend.rs
		// and queue.rs at db931fcf42da018a3657580c64bf2720f167f9ab (the
		// gauges described in router/src/server.rs). TGI publishes no KV
		// cache or prefix cache figure.
		m("tgi_batch_current_size", Running, "tgi"),
		m("tgi_queue_size", Waiting, "tgi"),
		// NVIDIA Dynamo. The frontend (:8000/metrics):
		// ai-dynamo/dynamo lib/runtime/src/metrics/prometheus_names.rs at
		// 04070c75b52f33346a2d5723eed93a0093e77bad (frontend_service) and
		// lib/llm/src/http/service/metrics.rs at
		// 79a21ca4f5200e76a2bcc19580eb6176298c7e59: a request is in flight
		// from the handler's start to its end and queued until its first
		// token ("HTTP queue time is a subset of inflight time"), so the
		// running ones are those in flight less those queued, and the
		// waiting ones include prefills. A worker (:8081/metrics): its work
		// handler's requests in flight on the generate endpoint, and its KV
		// cache use, named dynamo_component_gpu_cache_usage_percent in
		// Dynamo 1.0 (docs/observability/metrics-comparison.md at
		// 4032c5611e625ad3e6f6f689159cfbe231666823) and
		// dynamo_component_kvstats_* before, with the prefix-cache hit rate
		// (prometheus_names.rs kvstats at
		// 4415465e3e0d30b12163c3c3f15d49ed78b300a8). A worker serving vLLM
		// or SGLang passes their own metrics through, read above.
		{Name: "dynamo_frontend_inflight_requests", Field: Running, Scale: 1, Server: "dynamo", Minus: "dynamo_frontend_queued_requests"},
		m("dynamo_frontend_queued_requests", Waiting, "dynamo"),
		{Name: "dynamo_component_inflight_requests", Field: Running, Scale: 1, Server: "dynamo", Label: "dynamo_endpoint", Value: "generate"},
		m("dynamo_component_gpu_cache_usage_percent", KVCacheUsage, "dynamo"),
		m("dynamo_component_kvstats_gpu_cache_usage_percent", KVCacheUsage, "dynamo"),
		m("dynamo_component_kvstats_gpu_prefix_cache_hit_rate", PrefixHitRate, "dynamo"),
		// inferbench serve: accel/remote/server.
		m("inferbench_serve_num_requests_running", Running, "inferbench"),
		m("inferbench_serve_num_requests_waiting", Waiting, "inferbench"),
		m("inferbench_serve_kv_cache_usage_ratio", KVCacheUsage, "inferbench"),
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
	find := func(name string) *dto.MetricFamily {
		if f, ok := fams[name]; ok && len(f.GetMetric()) > 0 {
			return f
		}
		if strings.Contains(name, ":") { // escaped by the exposition or a router
			if f, ok := fams[strings.ReplaceAll(name, ":", "_")]; ok && len(f.GetMetric()) > 0 {
				return f
			}
		}
		return nil
	}
	for _, m := range Names() {
		if r.Has(m.Field) {
			continue
		}
		fam := find(m.Name)
		if fam == nil {
			continue
		}
		sum, n := total(fam, m.Label, m.Value)
		if n == 0 {
			continue
		}
		if m.Field == KVCacheUsage || m.Field == PrefixHitRate {
			sum /= float64(n)
		}
		if m.Minus != "" {
			if less := find(m.Minus); less != nil {
				d, _ := total(less, "", "")
				sum = max(sum-d, 0)
			}
		}
		r.Values[m.Field] = sum * m.Scale
		r.Valid |= 1 << m.Field
		if r.Server == "" {
			r.Server = m.Server
		}
	}
	if r.Has(PrefixHits) && r.Has(PrefixMisses) && !r.Has(PrefixQueries) {
		r.Values[PrefixQueries] = r.Values[PrefixHits] + r.Values[PrefixMisses]
		r.Valid |= 1 << PrefixQueries
	}
	return nil
}

// total sums a family's series, those whose label has value when label is
// set, and says how many it summed.
func total(fam *dto.MetricFamily, label, value string) (float64, int) {
	sum, n := 0.0, 0
	for _, mt := range fam.GetMetric() {
		if label != "" && !hasLabel(mt, label, value) {
			continue
		}
		sum += valueOf(fam.GetType(), mt)
		n++
	}
	return sum, n
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return false
}

func valueOf(t dto.MetricType, m *dto.Metric) float64 {
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

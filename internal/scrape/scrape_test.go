package scrape

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestParse knows each server's answer: the pages are written in the
// servers' own names and label sets, several engines or models where they
// have them.
func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, page, server string
		want               map[Field]float64
	}{
		{"vllm v1", `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 12.0
vllm:num_requests_running{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 10.0
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0
vllm:num_requests_waiting{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.0
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.5
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.25
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1000.0
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="m"} 250.0
`, "vllm", map[Field]float64{Running: 22, Waiting: 4, KVCacheUsage: 0.375, PrefixQueries: 1000, PrefixHits: 250}},
		{"vllm v0", `vllm:num_requests_running{model_name="m"} 4
vllm:num_requests_waiting{model_name="m"} 0
vllm:gpu_cache_usage_perc{model_name="m"} 0.125
vllm:gpu_prefix_cache_hit_rate{model_name="m"} 0.6
`, "vllm", map[Field]float64{Running: 4, Waiting: 0, KVCacheUsage: 0.125, PrefixHitRate: 0.6}},
		{"sglang", `# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="qwen"} 7.0
sglang:num_queue_reqs{model_name="qwen"} 2.0
sglang:token_usage{model_name="qwen"} 0.42
sglang:cache_hit_rate{model_name="qwen"} 0.8
`, "sglang", map[Field]float64{Running: 7, Waiting: 2, KVCacheUsage: 0.42, PrefixHitRate: 0.8}},
		{"tgi", `# TYPE tgi_batch_current_size gauge
tgi_batch_current_size 16
# TYPE tgi_queue_size gauge
tgi_queue_size 5
`, "tgi", map[Field]float64{Running: 16, Waiting: 5}},
		// Dynamo's frontend, its lines as ai-dynamo/dynamo
		// docs/observability/metrics_examples/fe.log at
		// ce30a7645318396da01db38e3db3cc1b5a6c1942 prints them, the values
		// (all 0 there) changed: 9 in flight of which 3 wait for a first
		// token, so 6 running.
		{"dynamo frontend", `# HELP dynamo_frontend_inflight_requests Number of inflight requests
# TYPE dynamo_frontend_inflight_requests gauge
dynamo_frontend_inflight_requests{model="qwen/qwen3-0.6b"} 9
# HELP dynamo_frontend_queued_requests Number of requests in HTTP processing queue
# TYPE dynamo_frontend_queued_requests gauge
dynamo_frontend_queued_requests{model="qwen/qwen3-0.6b"} 3
# HELP dynamo_frontend_model_total_kv_blocks Total KV cache blocks available for a worker serving the model
# TYPE dynamo_frontend_model_total_kv_blocks gauge
dynamo_frontend_model_total_kv_blocks{model="Qwen/Qwen3-0.6B"} 92962
`, "dynamo", map[Field]float64{Running: 6, Waiting: 3}},
		// A Dynamo TensorRT-LLM worker before 1.0, verbatim from
		// docs/observability/metrics_examples/trtllm.log at
		// ce30a7645318396da01db38e3db3cc1b5a6c1942 (an idle worker: all 0).
		{"dynamo worker kvstats, verbatim", `# HELP dynamo_component_inflight_requests Number of requests currently being processed by work handler
# TYPE dynamo_component_inflight_requests gauge
dynamo_component_inflight_requests{dynamo_component="tensorrt_llm",dynamo_endpoint="generate",dynamo_namespace="dynamo",model="Qwen/Qwen3-0.6B"} 0
# HELP dynamo_component_kvstats_active_blocks Number of active KV cache blocks currently in use
# TYPE dynamo_component_kvstats_active_blocks gauge
dynamo_component_kvstats_active_blocks{dynamo_component="tensorrt_llm",dynamo_namespace="dynamo"} 0
# HELP dynamo_component_kvstats_gpu_cache_usage_percent GPU cache usage as a percentage (0.0-1.0)
# TYPE dynamo_component_kvstats_gpu_cache_usage_percent gauge
dynamo_component_kvstats_gpu_cache_usage_percent{dynamo_component="tensorrt_llm",dynamo_namespace="dynamo"} 0
# HELP dynamo_component_kvstats_gpu_prefix_cache_hit_rate GPU prefix cache hit rate as a percentage (0.0-1.0)
# TYPE dynamo_component_kvstats_gpu_prefix_cache_hit_rate gauge
dynamo_component_kvstats_gpu_prefix_cache_hit_rate{dynamo_component="tensorrt_llm",dynamo_namespace="dynamo"} 0
# HELP trtllm_request_success_total Count of successfully processed requests.
# TYPE trtllm_request_success_total counter
trtllm_request_success_total{engine_type="trtllm",finished_reason="length",model_name="Qwen/Qwen3-0.6B"} 2.0
`, "dynamo", map[Field]float64{Running: 0, KVCacheUsage: 0, PrefixHitRate: 0}},
		// The same worker's lines with values: two data-parallel ranks'
		// cache use averaged, and only the generate endpoint's requests
		// counted as running.
		{"dynamo worker kvstats", `dynamo_component_inflight_requests{dynamo_component="tensorrt_llm",dynamo_endpoint="generate",dynamo_namespace="dynamo"} 5
dynamo_component_inflight_requests{dynamo_component="tensorrt_llm",dynamo_endpoint="clear_kv_blocks",dynamo_namespace="dynamo"} 1
dynamo_component_kvstats_gpu_cache_usage_percent{dynamo_component="tensorrt_llm",dp_rank="0"} 0.2
dynamo_component_kvstats_gpu_cache_usage_percent{dynamo_component="tensorrt_llm",dp_rank="1"} 0.4
dynamo_component_kvstats_gpu_prefix_cache_hit_rate{dynamo_component="tensorrt_llm",dp_rank="0"} 0.5
`, "dynamo", map[Field]float64{Running: 5, KVCacheUsage: 0.3, PrefixHitRate: 0.5}},
		// Dynamo 1.0's worker names (docs/observability/metrics-comparison.md
		// at 4032c5611e625ad3e6f6f689159cfbe231666823), no prefix rate.
		{"dynamo 1.0 worker", `# TYPE dynamo_component_gpu_cache_usage_percent gauge
dynamo_component_gpu_cache_usage_percent{dynamo_component="backend",dynamo_namespace="dynamo"} 0.75
# TYPE dynamo_component_total_blocks gauge
dynamo_component_total_blocks{dynamo_component="backend",dynamo_namespace="dynamo"} 4096
`, "dynamo", map[Field]float64{KVCacheUsage: 0.75}},
		// trtllm-serve's /prometheus/metrics, written as prometheus_client
		// writes TensorRT-LLM's MetricsCollector (labels as in Dynamo's
		// trtllm.log): the hits and misses make the lookups, 300 + 100.
		{"trtllm-serve", `# HELP trtllm_num_requests_running Number of active requests
# TYPE trtllm_num_requests_running gauge
trtllm_num_requests_running{engine_type="trtllm",model_name="Qwen/Qwen3-8B"} 24.0
# HELP trtllm_num_requests_waiting Number of queued requests
# TYPE trtllm_num_requests_waiting gauge
trtllm_num_requests_waiting{engine_type="trtllm",model_name="Qwen/Qwen3-8B"} 7.0
# HELP trtllm_kv_cache_utilization KV cache utilization
# TYPE trtllm_kv_cache_utilization gauge
trtllm_kv_cache_utilization{engine_type="trtllm",model_name="Qwen/Qwen3-8B"} 0.625
# HELP trtllm_kv_cache_hit_rate KV cache hit rate
# TYPE trtllm_kv_cache_hit_rate gauge
trtllm_kv_cache_hit_rate{engine_type="trtllm",model_name="Qwen/Qwen3-8B"} 0.7
# HELP trtllm_kv_cache_reused_blocks_total Cumulative number of KV cache blocks reused (cache hits)
# TYPE trtllm_kv_cache_reused_blocks_total counter
trtllm_kv_cache_reused_blocks_total{engine_type="trtllm",model_name="Qwen/Qwen3-8B"} 300.0
# HELP trtllm_kv_cache_reused_blocks_created Cumulative number of KV cache blocks reused (cache hits)
# TYPE trtllm_kv_cache_reused_blocks_created gauge
trtllm_kv_cache_reused_blocks_created{engine_type="trtllm",model_name="Qwen/Qwen3-8B"} 1.768264836932e+09
# HELP trtllm_kv_cache_missed_blocks_total Cumulative number of KV cache blocks missed (cache misses)
# TYPE trtllm_kv_cache_missed_blocks_total counter
trtllm_kv_cache_missed_blocks_total{engine_type="trtllm",model_name="Qwen/Qwen3-8B"} 100.0
`, "trtllm", map[Field]float64{Running: 24, Waiting: 7, KVCacheUsage: 0.625, PrefixHitRate: 0.7, PrefixHits: 300, PrefixMisses: 100, PrefixQueries: 400}},
		// SGLang's names with the colon escaped, as a scraper negotiating
		// escaping=underscores (or SGLang's router) gets them.
		{"sglang escaped", `# TYPE sglang:num_running_reqs gauge
sglang_num_running_reqs{model_name="qwen"} 3.0
sglang_num_queue_reqs{model_name="qwen"} 1.0
sglang_token_usage{model_name="qwen"} 0.5
`, "sglang", map[Field]float64{Running: 3, Waiting: 1, KVCacheUsage: 0.5}},
		// vLLM V1 before 0.9: the gpu_ names.
		{"vllm 0.8", `# TYPE vllm:gpu_prefix_cache_queries_total counter
vllm:gpu_prefix_cache_queries_total{engine="0",model_name="m"} 800.0
# TYPE vllm:gpu_prefix_cache_hits_total counter
vllm:gpu_prefix_cache_hits_total{engine="0",model_name="m"} 200.0
vllm:gpu_cache_usage_perc{engine="0",model_name="m"} 0.5
`, "vllm", map[Field]float64{KVCacheUsage: 0.5, PrefixQueries: 800, PrefixHits: 200}},
		{"none of ours", "process_cpu_seconds_total 3.5\n", "", map[Field]float64{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Reading
			if err := Parse(strings.NewReader(tt.page), &r); err != nil {
				t.Fatal(err)
			}
			if r.Server != tt.server {
				t.Errorf("server %q, want %q", r.Server, tt.server)
			}
			for f := Field(0); f < numFields; f++ {
				want, should := tt.want[f]
				got, ok := r.Get(f)
				if ok != should || math.Abs(got-want) > 1e-9 {
					t.Errorf("%s: %v (read %v), want %v (read %v)", f, got, ok, want, should)
				}
			}
		})
	}
	var r Reading
	if err := Parse(strings.NewReader("vllm:num_requests_running{ 3\n"), &r); err == nil {
		t.Error("a malformed page parsed")
	}
}

// TestSummarize: means and maxima over the readings, and the prefix-cache
// hit rate from the counters' growth over the run, not since the server
// started.
func TestSummarize(t *testing.T) {
	t.Parallel()
	rd := func(run, wait, kv, hits, queries float64) Reading {
		r := Reading{Server: "vllm"}
		for f, v := range map[Field]float64{Running: run, Waiting: wait, KVCacheUsage: kv, PrefixHits: hits, PrefixQueries: queries} {
			r.Values[f] = v
			r.Valid |= 1 << f
		}
		return r
	}
	s := Summarize([]Reading{rd(2, 0, 0.1, 900, 1000), rd(4, 2, 0.3, 960, 1100), rd(6, 4, 0.5, 1020, 1200)})
	if s.Samples != 3 || s.MeanRunning != 4 || s.MaxRunning != 6 || s.MeanWaiting != 2 || s.MaxWaiting != 4 ||
		math.Abs(s.MeanKVUsage-0.3) > 1e-9 || s.MaxKVUsage != 0.5 || math.Abs(s.PrefixHitRate-0.6) > 1e-9 || s.Server != "vllm" {
		t.Errorf("%+v: want running 4/6, waiting 2/4, KV 0.3/0.5, hit rate 120/200 = 0.6", s)
	}
}

// TestSampler scrapes a page whose running count is the scrape's number:
// readings come in order, and a stop ends them.
func TestSampler(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "inferbench_serve_num_requests_running %d\ninferbench_serve_num_requests_waiting 0\n", n.Add(1))
	}))
	defer ts.Close()
	s, err := NewSampler(ts.URL+"/metrics", 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Once(context.Background()); err != nil || r.Values[Running] != 1 {
		t.Fatalf("once: %+v, %v", r, err)
	}
	s.Start(context.Background())
	time.Sleep(80 * time.Millisecond)
	rs, failures, err := s.Stop()
	if len(rs) < 3 || failures != 0 || err != nil {
		t.Fatalf("%d readings, %d failures (%v)", len(rs), failures, err)
	}
	for i := 1; i < len(rs); i++ {
		if rs[i].Values[Running] <= rs[i-1].Values[Running] || rs[i].At <= rs[i-1].At {
			t.Errorf("reading %d: %+v after %+v", i, rs[i], rs[i-1])
		}
	}
	if _, err := NewSampler(ts.URL, 0); err == nil {
		t.Error("a zero interval was taken")
	}
	bad, _ := NewSampler("http://127.0.0.1:1/metrics", time.Second)
	if _, err := bad.Once(context.Background()); err == nil {
		t.Error("a closed port scraped")
	}
}

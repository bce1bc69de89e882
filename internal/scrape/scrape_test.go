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
		{"dynamo", `dynamo_frontend_inflight_requests{model="m"} 9
dynamo_frontend_queued_requests{model="m"} 1
dynamo_component_kvstats_gpu_cache_usage_percent{worker="a"} 0.2
dynamo_component_kvstats_gpu_cache_usage_percent{worker="b"} 0.4
dynamo_component_kvstats_gpu_prefix_cache_hit_rate{worker="a"} 0.5
`, "dynamo", map[Field]float64{Running: 9, Waiting: 1, KVCacheUsage: 0.3, PrefixHitRate: 0.5}},
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

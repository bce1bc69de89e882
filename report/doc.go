// Package report holds the report schema (inferbench.report/v1), the contract
// between machines: one JSON document per invocation, one run per backend (and
// per workload and load in suites and sweeps). It turns a bench.Result into a
// Run, prices runs, merges shards, and renders reports (text, markdown, CSV,
// JSON); sub-packages compare reports (compare), write the Go benchmark format
// for benchstat (gobench), plot (plot) and write HTML (html).
//
// # Schema v1
//
// Reading tolerates unknown fields and any "inferbench.report/v1.N" minor
// version; a missing schema, another major version, corrupt JSON or a
// histogram with a geometry this tool never writes is an error wrapping
// ErrSchema (the CLI exits 2). Fields, top level:
//
//	schema        "inferbench.report/v1"
//	created       RFC 3339 time the report was written (UTC)
//	tool          {version, go}: the program and Go version that wrote it
//	host          {os, arch, cpu, cores}: the machine the harness ran on
//	config        the invocation: backends, model, precision, workload, input_tokens,
//	              output_tokens, scenario, concurrency, rate (req/s), duration,
//	              requests, warmup, realtime, seed (same seed + sim = same numbers)
//	runs[]        one per backend × workload × load (below)
//	interrupted   true when the run was cut short (Ctrl-C); figures cover what ran
//
// Each run:
//
//	label                 name within a suite (workload/scenario/repetition)
//	backend               {id, kind, info}: spec id ("sim:inf2?chips=12"), kind
//	                      (simulated|nvml|remote|noop), accel.Info (name, vendor,
//	                      profile, chips, precision, per-chip peak TFLOPS, memory
//	                      bytes, bandwidth GB/s, TDP W)
//	workload              {name, model, precision, mean_input_tokens,
//	                      mean_output_tokens, output_tokens_counted (exact|usage|chunks),
//	                      input_tokens_counted (usage|requested|mixed),
//	                      requested_mean_input_tokens, requested_mean_output_tokens}:
//	                      means per completed request; input as the server says it
//	                      read it (usage.prompt_tokens, chat template included) where
//	                      it does, else as requested; requested_* as the workload asked
//	scenario              {name, concurrency, rate (req/s), virtual_time, burstiness,
//	                      shard ("i/N"), workers, stopped, slo[], max_rate}
//	counts                {requests, completed, errors, dropped, late,
//	                      errors_by_class, error_examples, clamped, finish_reasons
//	                      (stop|length|content_filter|tool_calls|other: count),
//	                      short_outputs (completed with fewer output tokens than
//	                      asked)}: after warm-up
//	duration_s            measurement window, seconds (end of warm-up to last completion)
//	throughput            {requests_per_s, output_tokens_per_s, input_tokens_per_s}:
//	                      completed work over duration_s
//	latency_ms            end-to-end latency; open loop: from the request's scheduled
//	                      time (no coordinated omission); closed loop: from send
//	ttft_ms               time to first token
//	tpot_ms               time per output token after the first, per request
//	itl_ms                inter-token latency, every gap; tpot_ms and itl_ms are
//	                      empty (count 0) for answers not streamed token by token
//	service_ms            open loop: from actual send (service time)
//	schedule_lag_ms       open loop: send − scheduled
//	histograms            {latency, ttft, tpot, itl, service, schedule_lag}: HDR
//	                      histograms in nanoseconds (1 ns .. 1 h, 3 significant
//	                      digits), V2 compressed encoding, base64: exact merging and
//	                      re-querying of any percentile
//	energy                {joules, joules_per_request, joules_per_output_token,
//	                      avg_power_w, peak_power_w, source (simulated|nvml),
//	                      devices, basis (merged runs: what was summed; see Merging)}
//	telemetry             hardware samples and their summary (see Telemetry)
//	cost                  {usd_per_hour, usd_per_million_output_tokens,
//	                      usd_per_million_requests, usd_per_chip_hour, chips, basis,
//	                      source, date, assumption, devices, devices_basis (merged
//	                      runs: which devices were priced; see Merging)}
//	valid, invalid_reasons  false, with reasons, when the figures describe the
//	                      harness (late sends, a full pool) or a floor was missed
//	warnings              facts that change what the figures mean, one line each:
//	                      short outputs, or a mean served prompt more than 5% from
//	                      the requested one (the workload was not served as labelled)
//
// Each summary (the *_ms fields) is {count, min, p50, p90, p95, p99, p999,
// mean, stddev, max, ci95} in milliseconds. Percentiles are read from the HDR
// histogram (the value at rank ⌊q·n+½⌋, within the histogram's 0.1%
// resolution). Mean and standard deviation are gonum's weighted moments over
// the histogram's buckets. ci95 holds, per percentile, a 95% confidence
// interval from order statistics: the values at ranks n·q ± 1.96·√(n·q·(1−q))
// (the normal approximation to the binomial distribution of the rank). Where
// the sample is too small for that (a rank falls outside it: a p99 of 100
// requests, a p99.9 of 1,000), the percentile has no interval in ci95 and is
// named in ci95_open instead: the sample's min or max is no bound.
//
// # Cost
//
// A run's price is its profile's per-chip hourly price (fixtures/prices.json,
// each with basis, source and date; assumptions marked) times its chips, or a
// user's --price ID=USD_PER_CHIP_HOUR (ID a profile or a backend id). Per-unit
// cost follows AWS's formula from its Neuron benchmark tables:
// cost per 1M = (1e6 / throughput per second) · (USD per hour / 3600) — see
// PerMillion. Profiles with no defensible price (trn2, b200, laptop NPUs) are
// left unpriced, with the reason given.
//
// # Merging
//
// Merge combines shard reports: histograms add exactly, so a sharded run's
// percentiles are those of one run over all its samples; counts add; shards
// run side by side, so rates add and the duration is the longest shard's.
// Energy, power and price are sums over the distinct devices the shards ran
// on (energy.devices and energy.basis, cost.devices and cost.devices_basis
// say which): a simulated shard ran its own device, while shards of one
// remote endpoint or of one GPU (by NVML UUID) count it once. Peak power of
// several devices is the sum of their peaks, an upper bound on the peak of
// the total, so average power is never above it. backend.info.chips of a
// merged run is the chips of all its devices, the chips priced. A shard that
// failed, is invalid or was interrupted makes the merged run so.
package report

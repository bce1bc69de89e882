package main

// moreCommands lists the subcommands beyond run, profiles and version. Each
// lives in its own file; add it here.
func moreCommands() []command {
	return []command{
		{"baseline", "promote a report to baseline, atomically (--force to replace)", baselineCmd},
		{"simulate", "predict one configuration on a simulated accelerator (latency, throughput, bound, energy)", simulateCmd},
		{"calibrate", "compare the simulator with published measurements; exit 1 when a case is off", calibrateCmd},
		{"serve", "serve the OpenAI API from a simulated device in real time (streaming, /metrics, faults)", serveCmd},
		{"devices", "list real NVIDIA GPUs (NVML) with their specs, beside the simulated profiles", devicesCmd},
		{"fingerprint", "print this machine's fingerprint (the nightly baseline key)", fingerprintCmd},
		{"suite", "run a suite file (backends × workloads × scenarios) into one report", suiteCmd},
		{"compare", "compare reports (across runs or hardware); exit 3 on a significant regression", compareCmd},
		{"report", "render a saved report: text, markdown, json, csv, gobench (benchstat), html", reportCmd},
		{"plot", "plot reports: latency CDF, throughput vs p99 across a sweep, telemetry (PNG or SVG)", plotCmd},
		{"merge", "merge shard reports into one: histograms add exactly, counts and rates add", mergeCmd},
	}
}

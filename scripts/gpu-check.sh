#!/usr/bin/env bash
# The device (GPU) check: does inferbench read a real NVIDIA GPU right?
#
#   scripts/gpu-check.sh build     on the build machine (Go, cgo, x86-64): builds
#                                  bin/gpu-check/inferbench and the accel/nvml test
#                                  binary, for a machine with no Go and no network
#   scripts/gpu-check.sh device    on the GPU machine, from the repository root with
#                                  bin/gpu-check/ carried there: writes into $OUT
#                                  (default ./gpu-check-out)
#
# The device phase writes, in one folder (at most 8 files, under 4 minutes):
#   devices.json   inferbench devices --format json: the GPUs, their specs, the
#                  matched simulated profile
#   devices.txt    the same as a table
#   report.json    a 20 s real-time run of sim:h100-sxm with --telemetry nvml:0:
#                  the GPU's power, energy counter, clocks, temperature and clock-event
#                  reasons sampled every 100 ms (the load runs on the CPU, so the GPU
#                  is near idle: this checks the readings, not a GPU workload)
#   run.txt        that run's stdout and stderr (one telemetry line per GPU)
#   nvml-test.txt  accel/nvml's real-GPU tests and BenchmarkRealSample: discovery,
#                  one reading, allocations per reading, time per reading
#   nvidia-smi.txt nvidia-smi -q, to check NVML's figures against (when present)
#   env.txt        kernel, driver, what ran
#
# It reads the card as it finds it: it never changes clocks, power limits,
# persistence mode or MIG mode, and never resets the GPU (no nvidia-smi -pm,
# -pl, -lgc, -mig, -r, nor any NVML setter). Results worth keeping go under
# fixtures/reports/ (see README, "Real NVIDIA GPUs").
#
# Exit: 0 every step ran, 1 a step failed (its output says which).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/bin/gpu-check

build() {
	cd "$root"
	# go-nvml's cgo bindings use deprecated NVML declarations on purpose.
	export CGO_ENABLED=1 GOOS=linux GOARCH=amd64 CGO_CFLAGS=-Wno-deprecated-declarations
	mkdir -p "$dir"
	local v
	v=$(git describe --always --dirty 2>/dev/null || echo dev)
	go build -trimpath -ldflags "-X main.version=$v" -o "$dir/inferbench" ./cmd/inferbench
	go test -c -trimpath -o "$dir/nvml.test" ./accel/nvml
	echo "built $dir/inferbench ($v) and $dir/nvml.test; glibc here: $(ldd --version | head -1)"
	echo "next, on the GPU machine, with bin/gpu-check carried: scripts/gpu-check.sh device"
}

device() {
	local out=${OUT:-$PWD/gpu-check-out}
	local ib=$dir/inferbench
	[ -x "$ib" ] || { echo "gpu-check: $ib missing: run 'scripts/gpu-check.sh build' on the build machine and carry bin/gpu-check" >&2; exit 1; }
	mkdir -p "$out"
	local fail=0
	{
		echo "date: $(date -u +%FT%TZ)"
		echo "kernel: $(uname -srm)"
		echo "inferbench: $("$ib" version 2>&1)"
		echo "driver: $(cat /proc/driver/nvidia/version 2>/dev/null | head -1 || echo 'no /proc/driver/nvidia/version')"
	} >"$out/env.txt"
	if command -v nvidia-smi >/dev/null; then
		timeout 30 nvidia-smi -q >"$out/nvidia-smi.txt" 2>&1 || true
	fi

	timeout 30 "$ib" devices --format json >"$out/devices.json" 2>>"$out/env.txt" || { echo "gpu-check: devices --format json failed" >&2; fail=1; }
	timeout 30 "$ib" devices >"$out/devices.txt" 2>&1 || fail=1

	(cd "$dir" && timeout 120 ./nvml.test -test.run 'Real' -test.bench 'RealSample' -test.benchtime 2000x -test.v) \
		>"$out/nvml-test.txt" 2>&1 || { echo "gpu-check: accel/nvml real-GPU tests failed (see nvml-test.txt)" >&2; fail=1; }

	timeout 90 "$ib" run --backend sim:h100-sxm --telemetry nvml:0 --telemetry-interval 100ms --realtime \
		--duration 20s --concurrency 8 --seed 1 -o "$out/report.json" >"$out/run.txt" 2>&1 ||
		{ echo "gpu-check: telemetry-watched run failed (see run.txt)" >&2; fail=1; }

	grep -h -E '^No real GPUs|^Real GPUs|^telemetry ' "$out/devices.txt" "$out/run.txt" || true
	grep -h -E '^(--- |ok|FAIL|Benchmark)|allocations per reading' "$out/nvml-test.txt" || true
	echo "gpu-check: results in $out"
	exit $fail
}

case ${1:-} in
build) build ;;
device) device ;;
*)
	echo "usage: scripts/gpu-check.sh build|device (build here, device on the GPU machine)" >&2
	exit 2
	;;
esac

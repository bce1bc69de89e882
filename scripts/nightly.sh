#!/usr/bin/env bash
# The nightly benchmark job: one entry point for a scheduled runner.
#
#   scripts/nightly.sh [SUITE]        SUITE: an embedded suite id or a suite file
#                                     (default: $INFERBENCH_SUITE, else nightly-sim)
#
# It detects what the machine has — an endpoint in INFERBENCH_ENDPOINT (watched
# through NVML when the machine has an NVIDIA GPU), else the suite's simulated
# profiles — runs the suite, writes the reports to a dated folder, compares them
# with the baseline for this machine's fingerprint and suite (the last green
# report), writes a markdown summary (also appended to $GITHUB_STEP_SUMMARY when
# set) and an HTML report, and promotes the new report to baseline when green.
#
# Exit: 0 no significant regression (or first run: baseline made), 3 a significant
# regression beyond the threshold, 1 the job itself failed, 2 bad input.
#
# Environment:
#   INFERBENCH            the binary (default: build ./cmd/inferbench into bin/)
#   INFERBENCH_HOME       state folder: reports/ and baselines/ (default ./nightly)
#   INFERBENCH_ENDPOINT   an OpenAI-compatible endpoint to benchmark, e.g. http://127.0.0.1:8000/v1
#   INFERBENCH_THRESHOLD  regression threshold for compare (default 5%)
#   INFERBENCH_SUITE      suite when none is given
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-${INFERBENCH_SUITE:-nightly-sim}}
home=${INFERBENCH_HOME:-$PWD/nightly}
threshold=${INFERBENCH_THRESHOLD:-5%}

ib=${INFERBENCH:-}
if [ -z "$ib" ]; then
  ib="$root/bin/inferbench"
  (cd "$root" && CGO_CFLAGS=-Wno-deprecated-declarations go build -o "$ib" ./cmd/inferbench)
fi
[ -x "$ib" ] || { echo "nightly: INFERBENCH=$ib is not an executable" >&2; exit 2; }

# What this machine has.
backend_args=()
run_args=()
what="simulated profiles of suite $suite"
gpus=$("$ib" devices --format json 2>/dev/null | grep -c '"uuid"' || true)
if [ -n "${INFERBENCH_ENDPOINT:-}" ]; then
  backend_args=(--backend "$INFERBENCH_ENDPOINT")
  what="endpoint $INFERBENCH_ENDPOINT"
  if [ "${gpus:-0}" -gt 0 ]; then
    run_args=(--telemetry nvml:0)
    what="$what, watched through NVML ($gpus GPU(s))"
  fi
fi

fingerprint=$("$ib" fingerprint --short)
suite_id=$(basename "$suite" .json)
stamp=$(date -u +%Y-%m-%d/%H%M%SZ)
out="$home/reports/$stamp"
n=1
while [ -e "$out" ]; do n=$((n + 1)); out="$home/reports/$stamp-$n"; done
mkdir -p "$out" "$home/baselines"
baseline="$home/baselines/$fingerprint-$suite_id.json"
echo "nightly: $what; fingerprint $fingerprint; reports in $out" >&2

# The runs' tables go to run.txt, their notes to run.err; a failure shows its cause.
suite_args=("$suite" "${backend_args[@]}" -o "$out/report.json")
[ ${#run_args[@]} -gt 0 ] && suite_args+=(-- "${run_args[@]}")
if ! "$ib" suite "${suite_args[@]}" >"$out/run.txt" 2>"$out/run.err"; then
  rc=$?
  echo "nightly: the suite failed (exit $rc): $(tail -1 "$out/run.err")" >&2
  exit "$rc"
fi
"$ib" report "$out/report.json" --format html >"$out/report.html"

status=0
if [ -f "$baseline" ]; then
  set +e
  "$ib" compare "$baseline" "$out/report.json" --threshold "$threshold" --format markdown >"$out/summary.md" 2>"$out/compare.err"
  status=$?
  set -e
  case $status in
    0) verdict="no significant regression against the baseline" ;;
    3) verdict="REGRESSION against the baseline (threshold $threshold)" ;;
    *) echo "nightly: compare failed (exit $status): $(tail -1 "$out/compare.err")" >&2; exit 1 ;;
  esac
  { echo; echo "**$verdict** — baseline \`$baseline\`, fingerprint \`$fingerprint\`."; } >>"$out/summary.md"
else
  { echo "# inferbench nightly: $suite_id"; echo
    echo "First run on this machine (fingerprint \`$fingerprint\`): this report is the baseline."; echo
    "$ib" report "$out/report.json" --format markdown; } >"$out/summary.md"
fi

if [ "$status" -eq 0 ]; then
  "$ib" baseline "$out/report.json" "$baseline" --force
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "reports=$out" >>"$GITHUB_OUTPUT"
fi
echo "nightly: summary $out/summary.md, HTML $out/report.html, exit $status" >&2
exit "$status"

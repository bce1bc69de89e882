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
# A report with a failed, invalid, interrupted or empty run is never promoted.
#
# Exit: 0 no significant regression and the report promoted (or first run:
# baseline made), 3 a significant regression beyond the threshold (not
# promoted), 1 the night failed: the suite failed (a run failed, was invalid or
# completed nothing), a compare failed, or the report could not be promoted;
# 2 bad input; 128+n the suite was stopped by signal n. Only 0 promotes.
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
  (cd "$root" && CGO_CFLAGS=-Wno-deprecated-declarations go build -o "$ib" ./cmd/inferbench) ||
    { echo "nightly: go build ./cmd/inferbench failed" >&2; exit 1; }
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

fingerprint=$("$ib" fingerprint --short) || { echo "nightly: inferbench fingerprint failed" >&2; exit 1; }
suite_id=$(basename "$suite" .json)
stamp=$(date -u +%Y-%m-%d/%H%M%SZ)
out="$home/reports/$stamp"
n=1
while [ -e "$out" ]; do n=$((n + 1)); out="$home/reports/$stamp-$n"; done
mkdir -p "$out" "$home/baselines"
baseline="$home/baselines/$fingerprint-$suite_id.json"
echo "nightly: $what; fingerprint $fingerprint; reports in $out" >&2

# publish puts the summary on the job's page and names the reports folder,
# whatever the night's verdict.
publish() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/summary.md" ]; then
    cat "$out/summary.md" >>"$GITHUB_STEP_SUMMARY"
  fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "reports=$out" >>"$GITHUB_OUTPUT"
  fi
}

# failed ends a night that cannot be trusted with exit code $1 and the reason
# in the rest: said on stderr and in the summary; nothing is promoted.
failed() {
  local code=$1 kept="is unchanged"
  shift
  [ -f "$baseline" ] || kept="was not made"
  echo "nightly: FAILED: $*; the baseline $kept" >&2
  { echo; echo "**FAILED**: $*. Nothing was promoted; the baseline \`$baseline\` $kept."; } >>"$out/summary.md"
  publish
  echo "nightly: summary $out/summary.md, exit $code" >&2
  exit "$code"
}

# Each command's exit status is taken as `cmd || rc=$?`: under `set -e` that
# does not end the script, and unlike `if ! cmd; then rc=$?` (where $? is the
# negation's, always 0) it keeps the command's own status.

# The runs' tables go to run.txt, their notes to run.err; a failure shows its cause.
suite_args=("$suite" "${backend_args[@]}" -o "$out/report.json")
[ ${#run_args[@]} -gt 0 ] && suite_args+=(-- "${run_args[@]}")
rc=0
"$ib" suite "${suite_args[@]}" >"$out/run.txt" 2>"$out/run.err" || rc=$?
{ echo "# inferbench nightly: $suite_id"; echo; } >"$out/summary.md"
if [ -s "$out/report.json" ]; then
  # A failed suite still wrote what it measured: keep it readable.
  "$ib" report "$out/report.json" --format html >"$out/report.html" 2>>"$out/run.err" ||
    echo "nightly: could not render $out/report.html: $(tail -1 "$out/run.err")" >&2
fi
if [ "$rc" -ne 0 ]; then
  if [ -s "$out/report.json" ]; then
    "$ib" report "$out/report.json" --format markdown >>"$out/summary.md" 2>/dev/null || true
  fi
  # Keep bad input (2) and a signal (128+n) apart; any other failure is 1,
  # never 0 or 3 (which reads as a regression).
  code=1
  if [ "$rc" -eq 2 ] || [ "$rc" -gt 128 ]; then code=$rc; fi
  failed "$code" "the suite failed (exit $rc): $(tail -1 "$out/run.err")"
fi
[ -s "$out/report.json" ] || failed 1 "the suite exited 0 but wrote no $out/report.json"

status=0
if [ -f "$baseline" ]; then
  rc=0
  "$ib" compare "$baseline" "$out/report.json" --threshold "$threshold" --format markdown >>"$out/summary.md" 2>"$out/compare.err" || rc=$?
  case $rc in
    0) verdict="no significant regression against the baseline" ;;
    3) verdict="REGRESSION against the baseline (threshold $threshold)"; status=3 ;;
    *) failed 1 "compare failed (exit $rc): $(tail -1 "$out/compare.err")" ;;
  esac
  { echo; echo "**$verdict** — baseline \`$baseline\`, fingerprint \`$fingerprint\`."; } >>"$out/summary.md"
else
  { echo "First run on this machine (fingerprint \`$fingerprint\`): no baseline to compare with."; echo; } >>"$out/summary.md"
  "$ib" report "$out/report.json" --format markdown >>"$out/summary.md" 2>"$out/compare.err" ||
    failed 1 "could not render the report (exit $?): $(tail -1 "$out/compare.err")"
fi

# A green night becomes the baseline. `inferbench baseline` itself refuses a
# report with a failed, invalid, interrupted or empty run (--force only lets it
# replace the previous baseline), and then the night fails.
if [ "$status" -eq 0 ]; then
  rc=0
  "$ib" baseline "$out/report.json" "$baseline" --force 2>"$out/baseline.err" || rc=$?
  if [ "$rc" -ne 0 ]; then
    failed 1 "not promoted to baseline (exit $rc): $(tail -1 "$out/baseline.err")"
  fi
  echo "nightly: promoted $out/report.json to baseline $baseline" >&2
  { echo; echo "Promoted to baseline \`$baseline\`."; } >>"$out/summary.md"
fi
publish
echo "nightly: summary $out/summary.md, HTML $out/report.html, exit $status" >&2
exit "$status"

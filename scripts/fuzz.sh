#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME each (default 60s).
# `make test` runs the seed corpora only (testdata/fuzz and f.Add seeds); this
# is the longer hunt. A crash leaves its input in the package's testdata/fuzz,
# where it becomes a regression test: commit it with the fix.
#   scripts/fuzz.sh            # every target, 60 s each
#   FUZZTIME=5m scripts/fuzz.sh FuzzDecode
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_CFLAGS=-Wno-deprecated-declarations
fuzztime=${FUZZTIME:-60s}
only=${1:-}
status=0
while IFS= read -r file; do
  pkg="./$(dirname "$file")"
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
    [ -n "$only" ] && [ "$target" != "$only" ] && continue
    echo "== $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" || status=1
  done
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | sort)
exit $status

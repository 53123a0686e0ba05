#!/usr/bin/env bash
# CLI start-up time, warm cache: median of 5 runs (after 2 warm-up runs) of `deploy.java --help` and
# `deploy.java status --app APP` through ./jbang, with hyperfine (apt-get install hyperfine).
# Usage: bench/startup.sh [APP]   (APP defaults to one that is not deployed; status then exits 1, which is measured too)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
app="${1:-spnone}"
json="$(mktemp)"
trap 'rm -f "$json"' EXIT
for cmd in "./jbang deploy.java --help" "./jbang deploy.java status --app $app"; do
  hyperfine --style none -N -i -w 2 -r 5 --export-json "$json" "$cmd" >/dev/null 2>&1
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%-48s median %.3f s  (min %.3f, max %.3f)" % (r["command"], r["median"], r["min"], r["max"]))' "$json"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

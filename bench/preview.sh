#!/usr/bin/env bash
# Promote's time, median of 3: from the start of `deploy.java promote` (in-process, as the test runs it) to the first
# request after which every answer of a GET load on the front's main port (one request every ~20 ms) is the new
# release; each run also prints the promote's timeline. Runs PreviewTest's end-to-end test three times.
# Usage: bench/preview.sh   (CLASSES=/tmp/jcout-wt-x bench/preview.sh runs compiled classes instead of JBang)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export NO_COLOR=1
test='PreviewTest#previewThenPromoteThenAbortUnderLoad'
for i in 1 2 3; do
  if [ -n "${CLASSES:-}" ]; then java -cp "$CLASSES:$(cat /tmp/deps.cp)" AllTests "$test"; else tests/run "$test"; fi \
    | sed -n -e '/^promote: /,/promoted /p' -e '/^PASS /p' -e '/^FAIL /p'
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

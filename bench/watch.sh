#!/usr/bin/env bash
# The watch window's switch back, 3 times: WatchTest's failing release under GET load through the managed front; each
# run prints the time from the threshold crossed (the load's own answers replayed through the window's rule: over 5 %
# errors among at least 20 answers of the new release in 10 s) to the last answer of the failing release (from
# then on every answer is the old release's). Prints the three and their median.
# Usage: bench/watch.sh   (through tests/run, so JBang builds the suite once; about 70 s a run)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
times=()
for i in 1 2 3; do
  ms=$(tests/run 'WatchTest#aReleaseThatStartsFailingIsSwitchedBackAtOnceAndRollbackStillWorks' 2>&1 \
       | sed -n 's/^watch: threshold crossed to every request answered by the old release: \([0-9]*\) ms$/\1/p')
  [ -n "$ms" ] || { echo "run $i failed" >&2; exit 1; }
  echo "run $i: $ms ms"
  times+=("$ms")
done
printf '%s\n' "${times[@]}" | sort -n | sed -n 2p | xargs -I{} echo "median: {} ms"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

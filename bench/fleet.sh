#!/usr/bin/env bash
# Deploy wall time against the number of hosts: one all-or-nothing deploy to 1, 2, 3 and 5 test-bed hosts over TLS
# (../shared/testbed/hosts.sh up 5), managed front on each, the tests' fixture app. Each size: a first deploy, then
# REPS deploys alternating v2/v1; prints the median and range of those REPS, from the shell (./jbang, warm cache).
#   bench/fleet.sh [REPS]      (default 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reps=${1:-3}
certs=${BGH_DIR:-/tmp/bgh}
app=bnfleet
work=$(mktemp -d /tmp/bnfleet.XXXXXX)
trap 'rm -rf "$work"' EXIT

../shared/testbed/hosts.sh up 5 >/dev/null
cp tests/fixture/docker-compose.yml "$work/docker-compose.yml"
for i in 1 2 3 4 5; do
  docker save shop-web:1 bgtest-app:v1 bgtest-app:v2 | docker -H "unix:///run/bgh$i/docker.sock" load -q >/dev/null
done

deploy() { # $1 = hosts, $2 = release
  /usr/bin/time -f %e -o "$work/t" ./jbang deploy.java --project "$work/deploy-$1.yml" --env prod --release "$2" \
    -f "$work/docker-compose.yml" --pull never --probe /health.txt --front managed --front-bind 0.0.0.0 \
    --front-port 18690 --front-image shop-web:1 --blue-port 18691 --green-port 18692 >"$work/log" 2>&1 \
    || { cat "$work/log"; exit 1; }
  cat "$work/t"
}

echo "| hosts | deploy wall time, median of $reps (range) |"
echo "|---|---|"
for n in 1 2 3 5; do
  { printf 'app: %s\nenvironments:\n  prod:\n    hosts:\n' "$app"
    for i in $(seq "$n"); do
      printf '      - host: tcp://10.210.0.%d:2376\n        tls_verify: true\n        cert_path: %s\n' $((10 + i)) "$certs"
    done
  } > "$work/deploy-$n.yml"   # one host listed is the single-host path, as a plain host: would be
  deploy "$n" v1 >/dev/null
  times=()
  for r in $(seq "$reps"); do
    rel=$([ $((r % 2)) = 1 ] && echo v2 || echo v1)
    times+=("$(deploy "$n" "$rel")")
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n "$(( (reps + 1) / 2 ))p")
  echo "| $n | ${median} s ($(echo "$sorted" | head -1)-$(echo "$sorted" | tail -1) s) |"
done
for i in 1 2 3 4 5; do
  docker -H "unix:///run/bgh$i/docker.sock" ps -aq --filter "label=dev.bgdeploy.app=$app" | xargs -r docker -H "unix:///run/bgh$i/docker.sock" rm -f >/dev/null
  docker -H "unix:///run/bgh$i/docker.sock" ps -aq --filter "name=^$app-" | xargs -r docker -H "unix:///run/bgh$i/docker.sock" rm -f >/dev/null
done

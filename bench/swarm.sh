#!/usr/bin/env bash
# Deploy wall time and time to the switch against replicas per colour on the test-bed Swarm (tests/swarm-up.sh:
# bgh4 manager, bgh5-6 workers, registry 10.210.0.1:5000 holding se-app:v1/v2, which SwarmTest pushes), one front
# on the manager. Per size: a first deploy, then REPS deploys alternating v2/v1, then REPS rollbacks from the warm
# standby (each goes back to the other colour); the time to the switch is from the command's start to its
# "front now sends" line. Run with compiled classes (CLASSES=/tmp/jcout-... from /tmp/jc.sh)
# or, without, through ./jbang. LOGS=DIR keeps each command's output there.
#   bench/swarm.sh [REPS]      (default 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reps=${1:-3}
certs=${BGH_DIR:-/tmp/bgh}
work=$(mktemp -d /tmp/se-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
run() { # $1 = deploy or rollback
  local cmd=$1; shift
  if [ -n "${CLASSES:-}" ]; then java -cp "$CLASSES:$(cat /tmp/deps.cp)" "$cmd" "$@"; else ./jbang "$cmd.java" "$@"; fi
}
d4() { docker -H unix:///run/bgh4/docker.sock "$@"; }
cleanup() { # $1 = app
  d4 service ls -q --filter "name=$1" | xargs -r docker -H unix:///run/bgh4/docker.sock service rm >/dev/null
  d4 config ls -q --filter "name=$1" | xargs -r docker -H unix:///run/bgh4/docker.sock config rm >/dev/null
  d4 ps -aq --filter "name=$1" | xargs -r docker -H unix:///run/bgh4/docker.sock rm -f >/dev/null
  for _ in $(seq 30); do # a removed service's tasks leave its overlay within seconds
    [ -z "$(d4 network ls -q --filter "name=$1")" ] && break
    d4 network ls -q --filter "name=$1" | xargs -r docker -H unix:///run/bgh4/docker.sock network rm >/dev/null 2>&1 || sleep 1
  done
}
printf 'services:\n  app:\n    image: 10.210.0.1:5000/se-app:${DEPLOY_RELEASE}\n    ports: ["9000"]\n' > "$work/docker-compose.yml"

timed() { # the command and its arguments: prints "wall switch from-first-line" in seconds
  local t0 t1 sw="" first=""
  : > "$work/log"
  t0=$(date +%s.%N)
  while IFS= read -r line; do
    echo "$line" >> "$work/log"
    [ -z "$first" ] && first=$(date +%s.%N)
    case "$line" in *"front now sends"*) sw=$(date +%s.%N) ;; esac
  done < <(run "$@" 2>&1; echo "exit $?")
  t1=$(date +%s.%N)
  tail -1 "$work/log" | grep -qx "exit 0" || { cat "$work/log"; exit 1; }
  if [ -n "${LOGS:-}" ]; then mkdir -p "$LOGS"; cp "$work/log" "$LOGS/$(date +%H%M%S.%N)-$1.log"; fi
  echo "$(echo "$t1 - $t0" | bc) $(echo "$sw - $t0" | bc) $(echo "$sw - $first" | bc)"
}
deploy() { # $1 = deploy.yml, $2 = release
  timed deploy --project "$1" --env production --release "$2" -f "$work/docker-compose.yml" --front managed --front-bind 0.0.0.0 \
    --front-port 18590 --front-image se-front:1 --probe /health.txt
}
rollback() { # $1 = deploy.yml: back to the warm standby
  timed rollback --project "$1" --env production -f "$work/docker-compose.yml" --probe /health.txt
}
stat() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.2f s (%.2f-%.2f)", a[int((NR+1)/2)], a[1], a[NR]}'; }

echo "| replicas per colour | deploy wall time, median of $reps (range) | deploy: time to the switch | rollback wall time | rollback: time to the switch | rollback: switch after its first line |"
echo "|---|---|---|---|---|---|"
for n in ${SIZES:-1 2 4 8}; do
  app=se-bench$n
  cleanup "$app"
  printf 'app: %s\nenvironments:\n  production:\n    engine: swarm\n    managers:\n      - {host: "tcp://10.210.0.14:2376", tls_verify: true, cert_path: %s}\n    fronts:\n      - {host: "tcp://10.210.0.14:2376", tls_verify: true, cert_path: %s}\n    replicas: %s\n' \
    "$app" "$certs" "$certs" "$n" > "$work/deploy-$n.yml"
  deploy "$work/deploy-$n.yml" v1 >/dev/null
  walls=(); switches=()
  for i in $(seq "$reps"); do
    v=$([ $((i % 2)) = 1 ] && echo v2 || echo v1)
    read -r w s _ < <(deploy "$work/deploy-$n.yml" "$v")
    walls+=("$w"); switches+=("$s")
  done
  rwalls=(); rswitches=(); rafter=()
  for i in $(seq "$reps"); do
    read -r w s f < <(rollback "$work/deploy-$n.yml")
    rwalls+=("$w"); rswitches+=("$s"); rafter+=("$f")
  done
  echo "| $n | $(stat "${walls[@]}") | $(stat "${switches[@]}") | $(stat "${rwalls[@]}") | $(stat "${rswitches[@]}") | $(stat "${rafter[@]}") |"
  cleanup "$app"
done

#!/usr/bin/env bash
# Waits until a test-bed Swarm carries overlay traffic between every pair of its nodes. A Swarm that has just formed,
# or whose daemons have just restarted, answers `node ls` with every node Ready while its overlay's gossip has not yet
# told each node where the others' containers are: a task on another node then does not answer for tens of seconds,
# and the first deploy's gate rightly refuses it. The tests must start on a Swarm past that, so swarm-up.sh runs this.
# Usage: swarm-warm.sh MANAGER NODE... (host numbers of the test bed, the manager first). Bounded: 150 s.
set -euo pipefail
d() { docker -H "unix:///run/bgh$1/docker.sock" "${@:2}"; }
m=$1
nodes=("$@")
name=bgdeploy-warmup
image=bgdeploy-warmup:1

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"; d "$m" service rm "$name" >/dev/null 2>&1 || true' EXIT
cp /bin/busybox "$ctx/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\n' > "$ctx/Dockerfile"
# built on every node: the registry may still be empty, and the image never leaves the test bed
for n in "${nodes[@]}"; do d "$n" build -q -t "$image" "$ctx" >/dev/null 2>&1; done

d "$m" service rm "$name" >/dev/null 2>&1 || true
d "$m" network inspect "$name" >/dev/null 2>&1 || d "$m" network create -d overlay --attachable "$name" >/dev/null
d "$m" service create -d -q --name "$name" --mode global --endpoint-mode dnsrr --network "$name" --no-resolve-image \
  "$image" /bin/busybox sh -c '/bin/busybox mkdir -p /w && echo ok > /w/ok && exec /bin/busybox httpd -f -p 8000 -h /w' >/dev/null

# Every node fetches from every other node's task until all pairs answer. The tasks are looked up again each round:
# one may still be starting, or be replaced, while the others answer.
start=$SECONDS
task() { d "$1" ps -q --filter "label=com.docker.swarm.service.name=$name" --filter status=running | head -n1; }
while :; do
  declare -A cid=() ip=()
  missing=()
  for n in "${nodes[@]}"; do
    cid[$n]=$(task "$n")
    [ -n "${cid[$n]}" ] && ip[$n]=$(d "$n" inspect -f "{{(index .NetworkSettings.Networks \"$name\").IPAddress}}" "${cid[$n]}" 2>/dev/null || true)
    [ -n "${ip[$n]:-}" ] || missing+=("no task running on bgh$n")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    for from in "${nodes[@]}"; do
      for to in "${nodes[@]}"; do
        [ "$from" = "$to" ] && continue
        d "$from" exec "${cid[$from]}" /bin/busybox timeout 2 /bin/busybox wget -q -O /dev/null "http://${ip[$to]}:8000/ok" >/dev/null 2>&1 \
          || missing+=("bgh$from->bgh$to")
      done
    done
  fi
  [ ${#missing[@]} -eq 0 ] && break
  (( SECONDS - start < 150 )) || { echo "swarm-warm: overlay traffic still fails after 150 s: ${missing[*]}" >&2; exit 1; }
  sleep 1
done
echo "swarm-warm: overlay traffic crosses every pair of $(printf "bgh%s " "${nodes[@]}")($(( SECONDS - start )) s)"
d "$m" service rm "$name" >/dev/null
for _ in $(seq 60); do d "$m" network rm "$name" >/dev/null 2>&1 && break; sleep 0.5; done

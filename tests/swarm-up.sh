#!/usr/bin/env bash
# The test-bed Swarm the Swarm tests deploy to: test-bed hosts 4-6 (10.210.0.14-16; hosts 1-3 stay standalone for
# RemoteTest, which restarts and freezes their daemons), bgh4 the manager, bgh5 and bgh6 workers, and a registry on
# 10.210.0.1:5000 that every node trusts (hosts.sh starts their dockerd with --insecure-registry 10.210.0.1:5000).
# Idempotent; needs root and the test bed (../shared/testbed/hosts.sh). tests/engine-up.sh runs it.
set -euo pipefail
testbed="${BGDEPLOY_TESTBED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/testbed/hosts.sh}"
[ -f "$testbed" ] || [ ! -f /work/shared/testbed/hosts.sh ] || testbed=/work/shared/testbed/hosts.sh
[ -f "$testbed" ] || { echo "swarm-up: no $testbed: the Swarm tests need the test bed" >&2; exit 1; }
d() { docker -H "unix:///run/bgh$1/docker.sock" "${@:2}"; }

if ! { d 6 info >/dev/null 2>&1 && [ -f /run/bgh6/sshd.pid ] && kill -0 "$(cat /run/bgh6/sshd.pid)" 2>/dev/null; }; then
  echo "swarm-up: starting test-bed hosts 4-6 (10.210.0.14-16)"
  bash "$testbed" up 6 >/dev/null
fi

# The registry the nodes pull from: bound to the bridge, so the namespaces reach it and nothing outside this machine does.
reg_dir=/var/lib/bgdeploy-swarm-registry
if ! curl -fsS -m 2 http://10.210.0.1:5000/v2/ >/dev/null 2>&1; then
  mkdir -p "$reg_dir/data"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\nhttp:\n  addr: 10.210.0.1:5000\n' "$reg_dir" > "$reg_dir/config.yml"
  nohup docker-registry serve "$reg_dir/config.yml" > "$reg_dir/registry.log" 2>&1 < /dev/null &
  echo $! > "$reg_dir/registry.pid"
  for _ in $(seq 40); do curl -fsS -m 2 http://10.210.0.1:5000/v2/ >/dev/null 2>&1 && break; sleep 0.25; done
  curl -fsS -m 2 http://10.210.0.1:5000/v2/ >/dev/null || { echo "swarm-up: the registry did not come up; see $reg_dir/registry.log" >&2; exit 1; }
fi

state() { d "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }
if [ "$(state 4)" != active ] || [ "$(d 4 info --format '{{.Swarm.ControlAvailable}}')" != true ]; then
  d 4 swarm leave --force >/dev/null 2>&1 || true
  d 4 swarm init --advertise-addr 10.210.0.14 >/dev/null
fi
token=$(d 4 swarm join-token -q worker)
for i in 5 6; do
  if [ "$(state $i)" = active ] && d 4 node ls --format '{{.Hostname}} {{.Status}}' | grep -qx "bgh$i Ready"; then continue; fi
  d "$i" swarm leave --force >/dev/null 2>&1 || true
  d "$i" swarm join --token "$token" 10.210.0.14:2377 >/dev/null
done
for _ in $(seq 60); do
  [ "$(d 4 node ls --format '{{.Status}}' | grep -c Ready)" -ge 3 ] && break; sleep 0.5
done
echo "swarm-up: Swarm of $(d 4 node ls --format '{{.Hostname}}:{{.Status}}' | tr '\n' ' ')(manager bgh4 at tcp://10.210.0.14:2376), registry at 10.210.0.1:5000"

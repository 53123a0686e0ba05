#!/usr/bin/env bash
# The two test-bed Swarms the Swarm tests deploy to, each of three test-bed hosts: Swarm 1 on hosts 4-6
# (10.210.0.14-16: bgh4 the manager, bgh5 and bgh6 workers) and Swarm 2 on hosts 7-9 (10.210.0.17-19: bgh7 the
# manager, bgh8 and bgh9 workers); hosts 1-3 stay standalone for RemoteTest, which restarts and freezes their daemons.
# Two Swarms, because some Swarm tests freeze the manager's dockerd or cut a node's link: those run in a lane of their
# own on Swarm 2 (tests/AllTests.java, -Dswarm.bed=2) while the other Swarm tests run on Swarm 1, side by side.
# Both pull from one registry on 10.210.0.1:5000 that every node trusts (hosts.sh starts their dockerd with
# --insecure-registry 10.210.0.1:5000). Idempotent; needs root and the test bed (../shared/testbed/hosts.sh).
# tests/engine-up.sh runs it.
set -euo pipefail
testbed="${BGDEPLOY_TESTBED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/testbed/hosts.sh}"
[ -f "$testbed" ] || [ ! -f /work/shared/testbed/hosts.sh ] || testbed=/work/shared/testbed/hosts.sh
[ -f "$testbed" ] || { echo "swarm-up: no $testbed: the Swarm tests need the test bed" >&2; exit 1; }
d() { docker -H "unix:///run/bgh$1/docker.sock" "${@:2}"; }

host_up() { d "$1" info >/dev/null 2>&1 && [ -f "/run/bgh$1/sshd.pid" ] && kill -0 "$(cat "/run/bgh$1/sshd.pid")" 2>/dev/null; }
# hosts.sh up N starts hosts 1..N and leaves those already up alone (a frozen dockerd's `docker info` waits, not fails)
if ! { host_up 6 && host_up 9; }; then
  echo "swarm-up: starting test-bed hosts 4-9 (10.210.0.14-19)"
  bash "$testbed" up 9 >/dev/null
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
# A Swarm of manager $1 and workers $2 $3. A worker already in it is left alone even while Down: another run's test may
# have cut its link for a moment (SwarmNodeLossTest), and it comes back by itself; leaving and rejoining would not.
swarm() {
  local m=$1 ip="10.210.0.$((10 + $1))" token i id
  if [ "$(state "$m")" != active ] || [ "$(d "$m" info --format '{{.Swarm.ControlAvailable}}')" != true ]; then
    d "$m" swarm leave --force >/dev/null 2>&1 || true
    d "$m" swarm init --advertise-addr "$ip" >/dev/null
  fi
  token=$(d "$m" swarm join-token -q worker)
  for i in "${@:2}"; do
    id=$(d "$i" info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)
    if [ "$(state "$i")" = active ] && [ -n "$id" ] && d "$m" node inspect "$id" >/dev/null 2>&1; then continue; fi
    d "$i" swarm leave --force >/dev/null 2>&1 || true
    d "$i" swarm join --token "$token" "$ip:2377" >/dev/null
  done
  for _ in $(seq 60); do
    [ "$(d "$m" node ls --format '{{.Hostname}} {{.Status}}' | grep -cE "^bgh($m|$2|$3) Ready$")" -ge 3 ] && break; sleep 0.5
  done
  # every node pulls the fixture images from the registry over plain HTTP
  for i in "$@"; do
    # read whole first: grep -q stops reading at its match, and under pipefail docker's SIGPIPE would fail the check
    registries=$(d "$i" info --format '{{range .RegistryConfig.IndexConfigs}}{{.Name}} {{.Secure}}{{"\n"}}{{end}}')
    grep -qx '10.210.0.1:5000 false' <<<"$registries" \
      || { echo "swarm-up: bgh$i does not trust the registry 10.210.0.1:5000 as insecure; restart its dockerd with --insecure-registry 10.210.0.1:5000" >&2; exit 1; }
  done
  echo "swarm-up: Swarm of $(d "$m" node ls --format '{{.Hostname}}:{{.Status}}' | tr '\n' ' ')(manager bgh$m at tcp://$ip:2376), registry at 10.210.0.1:5000"
}
swarm 4 5 6
swarm 7 8 9
# Ready nodes are not yet an overlay that carries traffic: after the daemons of Swarm 1 had restarted, the first deploy's
# gate waited 40 s in vain for a task on another node
bash "$(dirname "${BASH_SOURCE[0]}")/swarm-warm.sh" 4 5 6
bash "$(dirname "${BASH_SOURCE[0]}")/swarm-warm.sh" 7 8 9

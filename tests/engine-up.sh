#!/usr/bin/env bash
# Brings up a local Docker Engine (and the tools the tests use) on Debian, as ../shared/ENGINE.md describes.
# Idempotent: does nothing that is already done. Needs root.
set -euo pipefail

need=()
command -v dockerd >/dev/null || need+=(docker.io)
# The fixture images copy /bin/busybox into FROM-scratch images: it must be the static build, with httpd.
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v nginx >/dev/null || need+=(nginx)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v git >/dev/null || need+=(git)
command -v curl >/dev/null || need+=(curl)
# FrontEdgeTest makes its TLS certificates with the openssl CLI
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "engine-up: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "engine-up: starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
fi
docker info >/dev/null 2>&1 || { echo "engine-up: dockerd did not come up; see /var/log/dockerd.log" >&2; exit 1; }
echo "engine-up: Docker Engine $(docker version --format '{{.Server.Version}}') answers"

# The simulated remote Docker hosts RemoteTest deploys to (../shared/ENGINE.md "Remote hosts"), next to the checkout.
# Skipped when host 3 already answers: `hosts.sh up N` rewrites known_hosts for hosts 1..N, which would cut off
# a larger bed someone else brought up, and briefly fail their ssh.
# The test bed sits beside the checkout (../shared/testbed); BGDEPLOY_TESTBED names it when the checkout is elsewhere.
testbed="${BGDEPLOY_TESTBED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/testbed/hosts.sh}"
[ -f "$testbed" ] || [ ! -f /work/shared/testbed/hosts.sh ] || testbed=/work/shared/testbed/hosts.sh
bed_up() {
  docker -H unix:///run/bgh3/docker.sock info >/dev/null 2>&1 && [ -f /run/bgh3/sshd.pid ] && kill -0 "$(cat /run/bgh3/sshd.pid)" 2>/dev/null \
    && grep -q '^10\.210\.0\.13 ' "${BGH_DIR:-/tmp/bgh}/known_hosts" 2>/dev/null
}
if ! bed_up; then
  if [ ! -f "$testbed" ]; then
    echo "engine-up: no $testbed: RemoteTest needs the test bed" >&2
  elif [ "$(id -u)" != 0 ]; then
    echo "engine-up: the test bed needs root: sudo bash $testbed up 3" >&2
  else
    echo "engine-up: starting 3 test-bed hosts (10.210.0.11-13)"
    bash "$testbed" up 3 >/dev/null
  fi
fi
if bed_up; then echo "engine-up: test-bed hosts 10.210.0.11-13 answer (TLS and ssh)"; fi

# The two Swarms the Swarm tests deploy to (hosts 4-6 and 7-9, and a registry on 10.210.0.1:5000): tests/swarm-up.sh.
if [ "$(id -u)" = 0 ] && [ -f "$testbed" ]; then BGDEPLOY_TESTBED="$testbed" bash "$(dirname "${BASH_SOURCE[0]}")/swarm-up.sh"; fi

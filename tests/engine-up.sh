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

#!/usr/bin/env bash
# Does a published port refuse connections (RST) or accept and then close them, when the app behind it does not
# listen yet or any more? And does a passive front (compose/front/nginx.conf) lose POSTs across a deploy-like sequence?
# Runs against test-bed host N (/work/shared/testbed/hosts.sh), inside its network namespace bghN, with whatever
# --userland-proxy setting its dockerd has; see bench/USERLAND-PROXY.md for how host 5 was restarted without it.
# Usage: [BIND=ADDR] bench/userland-proxy.sh [N]   (default host 5; ports published on BIND, default 127.0.0.1 as in
# compose/docker-compose.*.yml; BIND=0.0.0.0 publishes on every address; UPSTREAM=ADDR points the front at ADDR
# instead of 127.0.0.1). Needs curl, nginx, bc and busybox-static here.
set -euo pipefail
n="${1:-5}"
ns="bgh$n"; ip="10.210.0.$((10 + n))"
d=(docker -H "unix:///run/$ns/docker.sock")
in_ns=(nsenter --net="/var/run/netns/$ns")
blue=18401; green=18402; front=18400; bind="${BIND:-127.0.0.1}"; upstream="${UPSTREAM:-127.0.0.1}"
work="$(mktemp -d /tmp/sp-userland.XXXXXX)"
nginx_pid=""; loop_pid=""
cleanup() {
  [ -n "$loop_pid" ] && kill "$loop_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  "${d[@]}" rm -f sp-late sp-gone sp-blue sp-green >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The app image: busybox httpd with a CGI that answers POST with the colour (FROM scratch, no registry).
mkdir -p "$work/img/www/cgi-bin"
cp "$(command -v busybox)" "$work/img/busybox"
printf 'ok\n' > "$work/img/www/index.html"
printf '#!/bin/sh\ncat >/dev/null\necho "Content-Type: text/plain"\necho\necho "$COLOUR"\n' > "$work/img/www/cgi-bin/c"
chmod +x "$work/img/www/cgi-bin/c"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY www /www\n' > "$work/img/Dockerfile"
"${d[@]}" build -q -t sp-bb:1 "$work/img" >/dev/null 2>&1

echo "engine bgh$n: $("${d[@]}" info --format '{{.ServerVersion}}'), dockerd: $(tr '\0' ' ' < "/proc/$(cat "/run/$ns/docker.pid")/cmdline" | grep -o -- '--userland-proxy[^ ]*' || echo 'default --userland-proxy=true')"

# One connection attempt: the HTTP code, or curl's exit code and message (7 = refused, 52 = empty reply, 56 = reset).
attempt() { # [command prefix...] url
  local url="${*: -1}" out rc=0
  out="$("${@:1:$#-1}" curl -sS -o /dev/null -w '%{http_code}' -m 3 "$url" 2>&1)" || rc=$?
  echo "$out" | tr '\n' ' ' | sed "s/^/rc=$rc /"
}
probe() { # port
  echo "  docker-proxy processes for port $1: $(pgrep -a -x docker-proxy | grep -c -- "-host-port $1 " || true)"
  printf '  %-34s %s\n' "from the host (netns) 127.0.0.1:$1" "$(attempt "${in_ns[@]}" "http://127.0.0.1:$1/")"
  printf '  %-34s %s\n' "from the host (netns) $ip:$1" "$(attempt "${in_ns[@]}" "http://$ip:$1/")"
  printf '  %-34s %s\n' "from another machine $ip:$1" "$(attempt "http://$ip:$1/")"
}
running() { [ "$("${d[@]}" inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
wait_until() { # tries command...: bounded poll, 10 s
  local t="$1"; shift
  for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
  echo "gave up waiting for: $t" >&2; return 1
}
listening() { "${d[@]}" exec "$1" sh -c 'netstat -ltn | grep -q ":8080 "'; }

echo "1. container running, app not listening yet (sleep 30 before httpd):"
"${d[@]}" run -d --name sp-late -p "$bind:$blue:8080" sp-bb:1 sh -c 'sleep 30; exec httpd -f -p 8080 -h /www' >/dev/null
wait_until "sp-late running" running sp-late
probe "$blue"

echo "2. container running, app stopped listening (httpd killed after 1 s, container sleeps on):"
"${d[@]}" run -d --name sp-gone -p "$bind:$green:8080" sp-bb:1 sh -c 'httpd -f -p 8080 -h /www & sleep 1; kill $!; exec sleep 60' >/dev/null
wait_until "sp-gone running" running sp-gone
wait_until "httpd in sp-gone gone" sh -c "! ${d[*]} exec sp-gone sh -c 'netstat -ltn | grep -q :8080'"
probe "$green"
"${d[@]}" rm -f sp-late sp-gone >/dev/null

echo "3. no container (port unpublished):"
probe "$blue"

echo "4. passive front: nginx in $ns with compose/front/nginx.conf balancing $upstream:$blue (blue) and :$green (green);"
echo "   green serves; blue starts, listens 3 s later; then docker stop -t 3 green, whose PID 1 (sh) ignores SIGTERM."
conf="$(dirname "${BASH_SOURCE[0]}")/../compose/front/nginx.conf"
sed -e "s|/tmp/front-nginx.pid|$work/nginx.pid|" -e "s|127.0.0.1:8080|$upstream:$blue|" -e "s|127.0.0.1:8081|$upstream:$green|" \
    -e "s|listen 127.0.0.1:8000|listen 127.0.0.1:$front|" \
    -e "s|access_log off;|access_log off; client_body_temp_path $work/body; proxy_temp_path $work/proxy;|" "$conf" > "$work/nginx.conf"
"${in_ns[@]}" nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' > "$work/nginx.log" 2>&1 &
nginx_pid=$!
"${d[@]}" run -d --name sp-green -e COLOUR=green -p "$bind:$green:8080" sp-bb:1 sh -c 'httpd -f -p 8080 -h /www & wait' >/dev/null
wait_until "green listening" listening sp-green
# POSTs through the front: 200 of them, one every ~50 ms, each bounded by 5 s.
(
  for i in $(seq 200); do
    t="$(date +%s.%N)"
    r="$("${in_ns[@]}" curl -sS -m 5 -X POST -d "n=$i" "http://127.0.0.1:$front/cgi-bin/c" 2>&1 | tr '\n' ' ')" || true
    echo "$t $r"
    sleep 0.05
  done > "$work/posts"
) &
loop_pid=$!
t0="$(date +%s.%N)"
sleep 1
"${d[@]}" run -d --name sp-blue -e COLOUR=blue -p "$bind:$blue:8080" sp-bb:1 sh -c 'sleep 3; httpd -f -p 8080 -h /www & wait' >/dev/null
echo "   blue started at +$(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4) s"
wait_until "blue listening" listening sp-blue
echo "   blue listening at +$(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4) s"
sleep 1
echo "   docker stop -t 3 green at +$(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4) s"
"${d[@]}" stop -t 3 sp-green >/dev/null
echo "   green stopped at +$(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4) s"
wait "$loop_pid"; loop_pid=""
echo "   POST results (count, answer):"
answer() { sed -E 's/ *$//; s/<html>.*<title>([^<]*)<.*/\1/'; }
cut -d' ' -f2- "$work/posts" | answer | sort | uniq -c | sed 's/^/    /'
echo "   failures, at +seconds:"
awk -v t0="$t0" '$2 != "blue" && $2 != "green" { printf "+%.2f %s\n", $1 - t0, substr($0, index($0, " ") + 1) }' "$work/posts" | answer | sed 's/^/    /'
echo "   nginx error log, by kind (count, message, upstream):"
sed -nE 's/^.*\[(error|warn)\] [0-9#]+: \*[0-9]+ ([^,]*),.*upstream: "([^"]*)".*/\2 \3/p' "$work/nginx.log" | sort | uniq -c | sed 's/^/    /'

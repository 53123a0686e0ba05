#!/bin/sh
# Boots (optionally slowly, or crashing), publishes this image's files into the shared /www volume, then serves.
if [ "$CRASH" = 1 ]; then echo "fatal: cannot connect to database (simulated crash at start)" >&2; exit 1; fi
if [ "$START_DELAY" != 0 ]; then echo "warming up for ${START_DELAY}s"; sleep "$START_DELAY"; fi
cp -r /www-image/. /www/
echo "$VERSION" > /www/version.txt
if [ "$UNHEALTHY" = 1 ]; then rm -f /www/health.txt; fi
echo "app $VERSION listening on :9000"
# busybox httpd ignores SIGTERM as PID 1; run it as a child so the trap can stop it promptly.
httpd -f -p 9000 -h /www &
trap 'kill $!; exit 0' TERM INT
wait

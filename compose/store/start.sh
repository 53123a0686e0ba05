#!/bin/sh
# Serves /srv/cgi-bin on $PORT; the data lives in $DATA (a volume). Records its start so tests can tell a restart.
mkdir -p "$DATA/keys"
date +%s >> "$DATA/starts"
echo "store listening on :$PORT, data in $DATA"
httpd -f -p "$PORT" -h /srv &
trap 'kill $!; exit 0' TERM INT
wait

#!/bin/sh
# What a shell script would do: one msmtp process per message.
#   sh bench/msmtp-fanout.sh COUNT PORT MESSAGE-FILE
# Sends MESSAGE-FILE COUNT times to 127.0.0.1:PORT, each to its own
# recipient, with no configuration file (-C /dev/null) and no TLS or AUTH,
# as convened does on loopback.
set -eu
count=$1
port=$2
msg=$3
i=0
while [ "$i" -lt "$count" ]; do
	msmtp -C /dev/null --host=127.0.0.1 --port="$port" --auth=off \
		--tls=off --from=agenda@conferencia.example.org \
		"m$i@mides.example.org" <"$msg"
	i=$((i + 1))
done

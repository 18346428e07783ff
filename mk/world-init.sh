#!/bin/sh
# PID 1 of the world container: the simulated internet of docs/testing.md.
# It owns public-looking addresses on its own loopback, answers DNS for them
# and listens on the ports the tests probe; every query and connection is
# logged under /var/log/world so tests can read what actually arrived.
set -eu

LOG=/var/log/world
mkdir -p "$LOG"

# Resolvers and hosts of the simulated world. 198.51.100.0/24 and
# 203.0.113.0/24 are TEST-NET ranges: even a mistake routes nowhere.
RESOLVERS="8.8.8.8 1.1.1.1 9.9.9.9"
# 203.0.113.20 and .30 are the code host and the package registry of the
# agent nameplate.
HOSTS="160.79.104.1 160.79.104.10 160.79.105.20 142.250.1.1 93.184.216.34 198.51.100.7 203.0.113.10 203.0.113.11 203.0.113.20 203.0.113.30"
for a in $RESOLVERS $HOSTS; do
	ip addr add "$a/32" dev lo
done
# A zone whose every name answers its own address (test/070: fresh names,
# each answered with another address): h160-79-112-7.rot.anthropic.com is
# 160.79.112.7, anywhere in 160.79.112.0/20, all of which the world owns.
# Outside RBRN_UPLINK_ALLOWED_CIDRS of the example nameplates, so only the
# learned answer can open one.
ROTATE=160.79.112.0/20
ip route add local "$ROTATE" dev lo

# Names whose answer tests change at run time (then SIGHUP the resolvers).
[ -f /etc/rb/world.hosts ] || cat >/etc/rb/world.hosts <<HOSTS
203.0.113.10 cdn.anthropic.com
HOSTS

# Every answer has TTL 0 (a resolver in between caches none: each question
# reaches the world), but cached.anthropic.com's, 300 s: the one name a
# sentry may answer from its cache (bench/confine.sh's repeated name).
for r in $RESOLVERS; do
	dnsmasq --listen-address="$r" --bind-interfaces --no-resolv --no-hosts \
		--addn-hosts=/etc/rb/world.hosts --cache-size=0 --user=root --group=root \
		--synth-domain="rot.anthropic.com,$ROTATE,h" \
		--host-record=cached.anthropic.com,160.79.104.10,300 \
		--address=/rebind.anthropic.com/10.0.0.1 \
		--address=/lo.rebind.anthropic.com/127.0.0.1 \
		--address=/meta.rebind.anthropic.com/169.254.169.254 \
		--address=/host.rebind.anthropic.com/10.243.0.1 \
		--address=/anthropic.com/160.79.104.10 \
		--address=/google.com/142.250.1.1 \
		--address=/example.com/93.184.216.34 \
		--address=/debian.org/93.184.216.34 \
		--address=/github.com/203.0.113.20 \
		--address=/pypi.org/203.0.113.30 \
		--log-queries=extra --log-facility="$LOG/dns-$r.log" \
		--pid-file="/run/dnsmasq-$r.pid"
done

# TCP listeners on every address; socat -d -d logs the peer and the local
# address of each connection ("accepting connection from ... on ...").
for p in 22 80 443 853 5353 8443; do
	socat -d -d "TCP-LISTEN:$p,fork,reuseaddr" SYSTEM:'echo world' 2>>"$LOG/tcp-$p.log" &
done
for p in 123 5000 5353; do
	socat -d -d "UDP-RECVFROM:$p,fork" SYSTEM:'echo world' 2>>"$LOG/udp-$p.log" &
done
iperf3 -s -D --logfile "$LOG/iperf3.log"

echo ready >"$LOG/ready"
exec sleep infinity

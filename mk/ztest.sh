#!/bin/bash
# ztests: the RBM prototype's checks (docs/design.md), run inside a started bottle against the
# simulated world. Each asserts on what the bottle saw AND on what the world
# logged (a blocked packet must not have arrived).
# Usage: mk/ztest.sh NAME|all NAMEPLATE
set -uo pipefail

# A podman client's bottle is handled on the podman host (mk/remote.sh).
# shellcheck source=mk/remote.sh
. "$(dirname "${BASH_SOURCE[0]}")/remote.sh"
rb_remote_hand_over 2 ztest.sh "$@"

RB_BIN=${RB_BIN:-build/bin}
WORLD=rb-world
LOGDIR=/var/log/world

np=$2
RB_NAMEPLATES=${RB_NAMEPLATES:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/nameplates}
case $np in */* | *.mk) file=$np ;; *) file=$RB_NAMEPLATES/$np.mk ;; esac
env=$("$RB_BIN/rb-net-create" --check --print-env --nameplate "$file") || exit 1
eval "$env"
M=$RBRN_MONIKER
BOTTLE=rb-$M-bottle
SENTRY_IP=$RBRN_ENCLAVE_SENTRY_IP
ICPT=$RBRN_UPLINK_DNS_INTERCEPT
DNS=$RBRN_UPLINK_DNS_ENABLED
DNSG=$RBRN_UPLINK_DNS_GLOBAL
ACCG=$RBRN_UPLINK_ACCESS_GLOBAL

podman container exists "$BOTTLE" || { echo "ztest: $BOTTLE is not running: make bottle-start NAMEPLATE=$np" >&2; exit 1; }
podman container exists "$WORLD" || { echo "ztest: the world is not running: make world-start" >&2; exit 1; }

FAILS=0
TAG=zt$$$RANDOM # a unique label: lets us look for *this run* in the world's logs

in_bottle() { podman exec "$BOTTLE" "$@"; }
world_log() { podman exec "$WORLD" cat "$LOGDIR/$1" 2>/dev/null; }
ok() { echo "  ok:   $*"; }
bad() { echo "  FAIL: $*"; FAILS=$((FAILS + 1)); }
expect_ok() { local what=$1; shift; if in_bottle "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what (command failed: $*)"; fi; }
# A blocked probe must fail as a probe: exit 126/127 (no such command) is a
# broken test, not a blocked packet.
expect_fail() {
	local what=$1 rc; shift
	in_bottle "$@" >/dev/null 2>&1; rc=$?
	case $rc in
	0) bad "$what (command succeeded: $*)" ;;
	125 | 126 | 127) bad "$what (could not run: $*, exit $rc)" ;;
	*) ok "$what" ;;
	esac
}
# dig's answer section, or nothing.
answer() { in_bottle dig +short +time=2 +tries=1 "$@" 2>/dev/null | grep -E '^[0-9.]+$'; }
status() { in_bottle dig +time=2 +tries=1 "$@" 2>/dev/null | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
world_saw() { grep -q -- "$2" <<<"$(world_log "$1")"; }  # no pipe: grep -q would SIGPIPE the writer under pipefail
expect_world_not() { if world_saw "$1" "$2"; then bad "world $1 received '$2'"; else ok "world $1 did not receive '$2'"; fi; }
# The world's listeners log asynchronously: give a positive a moment to land.
expect_world() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		world_saw "$1" "$2" && { ok "world $1 received '$2'"; return; }
		sleep 0.2
	done
	bad "world $1 did not receive '$2'"
}

ztest_bottle_dns_allow() {
	[ "$RBRN_UPLINK_DNS_ENABLED" = 1 ] || { ok "dns disabled: allow test does not apply"; return; }
	local a; a=$(answer @"$SENTRY_IP" "$TAG.anthropic.com")
	[ "$a" = 160.79.104.10 ] && ok "$TAG.anthropic.com resolves via the sentry" || bad "$TAG.anthropic.com via the sentry gave '$a'"
	expect_world dns-8.8.8.8.log "$TAG.anthropic.com"
}

# With intercept on, a query for a name that is not allowed sent to server
# is answered by the sentry's policy (NXDOMAIN, or upstream's answer with
# global DNS) and the server itself never sees it (8.8.8.8 is also the
# sentry's upstream, so with global DNS it legitimately sees the sentry ask).
expect_intercepted() {
	local server=$1 name=$2 s
	s=$(status @"$server" "$name")
	if [ "$DNSG" = 1 ]; then
		[ "$s" = NOERROR ] && ok "@$server $name answered via the sentry" || bad "@$server $name gave '$s'"
		[ "$server" = 8.8.8.8 ] || expect_world_not "dns-$server.log" "$name"
	else
		[ "$s" = NXDOMAIN ] && ok "@$server $name intercepted: NXDOMAIN" || bad "@$server $name gave '$s'"
		expect_world_not "dns-$server.log" "$name"
	fi
}

ztest_bottle_dns_block() {
	local a
	if [ "$ICPT" = 1 ]; then
		# Intercepted: the sentry answers by policy, the foreign server sees nothing.
		a=$(answer @1.1.1.1 "$TAG-a.anthropic.com")
		[ "$a" = 160.79.104.10 ] && ok "allowed name via 1.1.1.1 answered by the sentry" || bad "allowed name via 1.1.1.1 gave '$a'"
		expect_world_not dns-1.1.1.1.log "$TAG-a.anthropic.com"
		expect_intercepted 8.8.8.8 "$TAG-b.google.com"
	else
		expect_fail "dig @8.8.8.8 anthropic.com" dig +time=2 +tries=1 @8.8.8.8 "$TAG-b.anthropic.com"
		expect_fail "nc -w 2 -zv 8.8.8.8 53" nc -w 2 -zv 8.8.8.8 53
		expect_world_not dns-8.8.8.8.log "$TAG-b.anthropic.com"
	fi
	ztest_bottle_dns_allow
}

ztest_bottle_dns_block_direct_rule() {
	# The RBM prototype's failing test: direct DNS to 8.8.8.8 must be stopped by the
	# sentry's FORWARD (or intercepted by its PREROUTING), never reach 8.8.8.8.
	if [ "$ICPT" = 1 ]; then
		expect_intercepted 8.8.8.8 "$TAG-d.google.com"
	else
		expect_fail "dig @8.8.8.8 anthropic.com" dig +time=2 +tries=1 @8.8.8.8 "$TAG-d.anthropic.com"
		expect_fail "nc -w 2 -zv 8.8.8.8 53" nc -w 2 -zv 8.8.8.8 53
		expect_world_not dns-8.8.8.8.log "$TAG-d."
	fi
}

ztest_bottle_tcp443_allow() {
	[ "$RBRN_UPLINK_ACCESS_ENABLED" = 1 ] || { expect_fail "no egress: 160.79.104.10:443" nc -w 2 -z 160.79.104.10 443; return; }
	expect_ok "tcp 160.79.104.10:443 (allowed CIDR)" nc -w 2 -z 160.79.104.10 443
	expect_world tcp-443.log "on AF=2 160.79.104.10:443"
}

ztest_bottle_tcp443_block() {
	if [ "$RBRN_UPLINK_ACCESS_GLOBAL" = 1 ]; then
		expect_ok "global access: tcp 198.51.100.7:443" nc -w 2 -z 198.51.100.7 443
		return
	fi
	local before after
	before=$(world_log tcp-443.log | grep -c 'on AF=2 198.51.100.7:443')
	expect_fail "tcp 198.51.100.7:443 (unlisted)" nc -w 2 -z 198.51.100.7 443
	expect_fail "tcp 93.184.216.34:443 (unlisted)" nc -w 2 -z 93.184.216.34 443
	after=$(world_log tcp-443.log | grep -c 'on AF=2 198.51.100.7:443')
	[ "$before" = "$after" ] && ok "world saw no connection to 198.51.100.7:443" || bad "world saw a connection to 198.51.100.7:443"
}

# What the sentry must answer for a name that is not allowed: NXDOMAIN,
# locally; with DNS disabled, no answer at all.
expect_local_nx() {
	local what=$1 name=$2 s
	s=$(status @"$SENTRY_IP" "$name")
	if [ "$DNS" = 0 ]; then
		[ -z "$s" ] || [ "$s" = NXDOMAIN ] || [ "$s" = REFUSED ] && ok "$what: no answer (DNS disabled)" || bad "$what gave '$s' with DNS disabled"
	elif [ "$DNSG" = 1 ]; then
		[ -n "$s" ] && ok "$what: answered by upstream (global DNS)" || bad "$what: no answer with global DNS"
		return
	else
		[ "$s" = NXDOMAIN ] && ok "$what is NXDOMAIN" || bad "$what gave '$s'"
	fi
	expect_world_not dns-8.8.8.8.log "$name"
}

ztest_bottle_nonexistent() {
	expect_local_nx "unknown name" "$TAG-nx.example.invalid"
}

ztest_bottle_dns_tcp_udp() {
	if [ "$RBRN_UPLINK_DNS_ENABLED" = 1 ]; then
		[ "$(answer +tcp @"$SENTRY_IP" "$TAG-t.anthropic.com")" = 160.79.104.10 ] && ok "DNS over TCP via the sentry" || bad "DNS over TCP via the sentry"
		[ "$(answer +notcp @"$SENTRY_IP" "$TAG-u.anthropic.com")" = 160.79.104.10 ] && ok "DNS over UDP via the sentry" || bad "DNS over UDP via the sentry"
	fi
	[ "$ICPT" = 1 ] || expect_fail "DNS over TCP to 8.8.8.8" dig +tcp +time=2 +tries=1 @8.8.8.8 "$TAG-t2.anthropic.com"
	expect_world_not dns-8.8.8.8.log "$TAG-t2."
}

ztest_bottle_altport() {
	expect_fail "DNS to 8.8.8.8:5353" dig -p 5353 +time=2 +tries=1 @8.8.8.8 "$TAG-p.anthropic.com"
	expect_fail "tcp 8.8.8.8:853 (DoT)" nc -w 2 -z 8.8.8.8 853
	[ "$ACCG" = 1 ] || expect_fail "tcp 1.1.1.1:443 (DoH)" nc -w 2 -z 1.1.1.1 443
	expect_world_not udp-5353.log "8.8.8.8:5353"
	expect_world_not tcp-853.log "8.8.8.8:853"
}

ztest_bottle_cloudflare_quad9() {
	local r
	for r in 1.1.1.1 9.9.9.9; do
		if [ "$ICPT" = 1 ]; then
			expect_intercepted "$r" "$TAG-q.google.com"
		else
			expect_fail "dig @$r" dig +time=2 +tries=1 @$r "$TAG-q.anthropic.com"
			expect_world_not "dns-$r.log" "$TAG-q."
		fi
	done
}

ztest_bottle_zone_transfer() {
	expect_fail "AXFR anthropic.com from the sentry" sh -c "dig +time=2 +tries=1 axfr anthropic.com @$SENTRY_IP | grep -q SOA"
	expect_fail "AXFR anthropic.com from 8.8.8.8" sh -c "dig +time=2 +tries=1 axfr anthropic.com @8.8.8.8 | grep -q SOA"
}

ztest_bottle_ipv6() {
	expect_fail "bottle has an IPv6 address" sh -c "ip -6 addr show | grep -q inet6"
	expect_fail "tcp to [2001:db8::1]:443" nc -6 -w 2 -z 2001:db8::1 443
	# No host on the enclave link has IPv6 (rb strips the bridge's and the
	# sentry's), so a unicast neighbour probe would fail whatever the bottle
	# could do. Every IPv6 host has the all-nodes address, the bottle's own
	# stack included: with IPv6 on eth0 this echo is answered, by the bottle
	# itself at least.
	expect_fail "ping6 all nodes ff02::1 on eth0" ping -6 -c 1 -W 2 ff02::1%eth0
}

ztest_bottle_multicast() {
	expect_fail "mDNS query to 224.0.0.251" sh -c "dig -p 5353 +time=1 +tries=1 @224.0.0.251 $TAG-m.local | grep -q 'status: NOERROR'"
	# an SSDP search gets an answer wherever a responder is reachable
	expect_fail "SSDP search to 239.255.255.250:1900" sh -c "printf 'M-SEARCH * HTTP/1.1\\r\\nST: ssdp:all\\r\\nMX: 1\\r\\n\\r\\n' | nc -u -w 2 239.255.255.250 1900 | grep -q ."
	expect_world_not dns-8.8.8.8.log "$TAG-m."
}

ztest_bottle_tunneling() {
	# Data in the labels of a name that is not allowed must never leave.
	expect_local_nx "exfil name" "$TAG-6b7a7a79726f6f747061737377726f6f74.exfil.example"
	expect_fail "ICMP to 8.8.8.8" ping -c 1 -W 1 8.8.8.8
	[ "$ACCG" = 1 ] && return
	expect_fail "UDP to 198.51.100.7:5000 (unlisted, not DNS)" sh -c "echo $TAG | nc -u -w 1 198.51.100.7 5000 | grep -q world"
	expect_world_not udp-5000.log "on AF=2 198.51.100.7:5000"
}

ztest_bottle_package_manager() {
	[ "$ACCG" = 1 ] && [ "$DNSG" = 1 ] && { ok "global access and DNS: package manager allowed by policy"; return; }
	expect_fail "curl http://deb.debian.org/" curl -sS --max-time 3 -o /dev/null http://deb.debian.org/
	[ "$ACCG" = 1 ] || expect_fail "curl http://93.184.216.34/ by address" curl -sS --max-time 3 -o /dev/null http://93.184.216.34/
	expect_world_not dns-8.8.8.8.log "deb.debian.org"
}

ztest_bottle_icmp() {
	expect_ok "ping the sentry" ping -c 1 -W 2 "$SENTRY_IP"
	expect_fail "ping 8.8.8.8" ping -c 1 -W 1 8.8.8.8
	expect_fail "ping 160.79.104.10" ping -c 1 -W 1 160.79.104.10
}

ZTESTS="dns_allow dns_block dns_block_direct_rule tcp443_allow tcp443_block nonexistent dns_tcp_udp
altport cloudflare_quad9 zone_transfer ipv6 multicast tunneling package_manager icmp"

run() {
	echo "ztest_bottle_$1 ($M, intercept=$ICPT)"
	"ztest_bottle_$1"
}

if [ "$1" = all ]; then
	for t in $ZTESTS; do run "$t"; done
else
	name=${1#ztest_bottle_}
	case " $(echo $ZTESTS) " in *" $name "*) run "$name" ;; *) echo "ztest: unknown test $1" >&2; exit 1 ;; esac
fi
if [ $FAILS -gt 0 ]; then
	echo "ztest: $FAILS failed"
	exit 3
fi
echo "ztest: all passed"

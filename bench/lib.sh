# -*- bash -*-
# shellcheck shell=bash
# Shared by bench/*.sh: timing, medians, the bench nameplate, and one
# cleanup list that runs on every exit path. Sourced, never run.
#
# Everything a bench creates is named so that nobody else's objects can
# match: netns rbt-bench-<pid>-<n>, moniker rbbench (rb-rbbench-*),
# bare containers and network rbt-bench-*. Cleanup removes exactly those.

RB_TOP=${RB_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RB_BIN=${RB_BIN:-$RB_TOP/build/bin}
case $RB_BIN in /*) ;; *) RB_BIN=$RB_TOP/$RB_BIN ;; esac
export RB_BIN

BENCH_MONIKER=rbbench
BENCH_SUBNET=10.242.8.0/24
BENCH_SENTRY_IP=10.242.8.2
BENCH_BOTTLE_IP=10.242.8.3
# The one address the bench sends packets to: an iperf3 server of the
# simulated world (mk/world-init.sh), inside the allowed 160.79.104.0/23.
BENCH_TARGET=160.79.104.10
BENCH_ALLOWED=160.79.104.0/23

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (netns, podman, xtables)"

# ---- cleanup ---------------------------------------------------------------
# bench_on_exit CMD: run CMD (a string, eval'd) at exit, last added first.
BENCH_CLEANUP=()
bench_on_exit() { BENCH_CLEANUP=("$1" "${BENCH_CLEANUP[@]}"); }
bench_cleanup() {
	local c
	for c in "${BENCH_CLEANUP[@]}"; do
		eval "$c" || true
	done
	BENCH_CLEANUP=()
}
trap 'rc=$?; trap - EXIT; bench_cleanup; exit $rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

BENCH_TMP=$(mktemp -d /tmp/rb-bench.XXXXXX)
bench_on_exit 'rm -rf "$BENCH_TMP"'

# ---- timing ----------------------------------------------------------------
# EPOCHREALTIME needs no fork: the clock is read in this shell, right
# before and after the command, in microseconds.
now_us() { REPLY=${EPOCHREALTIME/./}; }

# median FILE: median of the numbers in FILE, one a line.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratios A B OUT: line k of OUT is A_k / B_k, for two files of per-round
# values (line k = round k); rounds missing from either file are skipped.
# Runs of one round are seconds apart, so the median of these paired
# ratios is not moved by the load drifting between rounds.
ratios() { paste "$1" "$2" | awk 'NF == 2 && $2 > 0 { print $1 / $2 }' >"$3"; }

# quartiles FILE: "Q1 Q3" of the numbers in FILE.
quartiles() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan nan"; exit }
		print v[int((NR - 1) * 0.25 + 0.5) + 1], v[int((NR - 1) * 0.75 + 0.5) + 1] }'
}

# percentile FILE P: the P-th percentile (nearest rank) of the numbers in
# FILE, one a line: the smallest value at least P% of them do not exceed.
percentile() {
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		k = int(NR * p / 100); if (k < NR * p / 100) k++; if (k < 1) k = 1
		print v[k] }'
}

# ms US: microseconds as milliseconds for the tables.
ms() { awk -v u="$1" 'BEGIN { if (u == "nan") print "n/a"; else if (u >= 100000) printf "%.0f", u / 1000; else printf "%.1f", u / 1000 }'; }

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "nan" || b == "nan") print "n/a"; else printf "%.2f", a / b }'; }

# pct R: R as a whole percentage, rounded down: every percent target is a
# floor, and 0.896 shown as 90% beside a FAIL reads as a wrong verdict.
pct() { awk -v r="$1" 'BEGIN { printf "%d%%", int(100 * r + 1e-9) }'; }
# pct_quartiles FILE: the quartiles of the ratios in FILE as a percent
# range (how noisy the rounds were; no verdict reads it).
pct_quartiles() { quartiles "$1" | awk '{ printf "%.0f–%.0f%%", 100 * $1, 100 * $2 }'; }

# le A B: true when A <= B (numbers, awk).
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

passfail() { if "$@"; then echo PASS; else echo FAIL; fi; }

# ---- CIDRs and nameplates --------------------------------------------------
# bench_cidrs N: the allowed CIDR of the bench plus N-1 /24s inside
# 11.0.0.0/8. Those are only written into rules; the bench sends nothing
# there (the world does not own them and the one probe target stays
# 160.79.104.10). None overlaps the enclave, the world or private ranges.
bench_cidrs() {
	local n=$1
	echo "$BENCH_ALLOWED"
	[ "$n" -gt 1 ] || return 0
	awk -v n="$n" 'BEGIN { for (i = 0; i < n - 1; i++) printf "11.%d.%d.0/24\n", int(i / 256), i % 256 }'
}

# bench_cidrs_apart N: like bench_cidrs, but every other /24 (11/8 to
# 14/8), so no two are adjacent and an interval set keeps N intervals.
bench_cidrs_apart() {
	local n=$1
	echo "$BENCH_ALLOWED"
	[ "$n" -gt 1 ] || return 0
	awk -v n="$n" 'BEGIN { for (i = 0; i < n - 1; i++) printf "%d.%d.%d.0/24\n", 11 + int(i / 32768), int(i / 128) % 256, (i % 128) * 2 }'
}

# bench_nameplate FILE N [ENTRY_PORT]: the bench nameplate, nsproto's policy
# (DNS to allowlisted names, egress to the allowlist, entry port) with its
# own moniker, subnet and port, and N allowed CIDRs.
bench_nameplate() {
	local file=$1 n=$2
	{
		cat <<-EOF
		# written by bench/lib.sh for make bench; removed when the bench exits
		RBRN_MONIKER                = $BENCH_MONIKER
		RBRN_DESCRIPTION            = make bench
		RBRN_SENTRY_IMAGE           = localhost/rb-sentry:latest
		RBRN_BOTTLE_IMAGE           = localhost/rb-bottle:latest
		RBRN_BOTTLE_UID             = 1000
		RBRN_ENCLAVE_SUBNET         = $BENCH_SUBNET
		RBRN_ENCLAVE_SENTRY_IP      = $BENCH_SENTRY_IP
		RBRN_ENCLAVE_BOTTLE_IP      = $BENCH_BOTTLE_IP
		RBRN_UPLINK_NETWORK         = rb-world
		RBRN_UPLINK_GATEWAY         = 10.243.0.2
		RBRN_UPLINK_DNS_SERVER      = 8.8.8.8
		RBRN_ENTRY_ENABLED          = 1
		RBRN_ENTRY_PORT_WORKSTATION = 8898
		RBRN_ENTRY_PORT_ENCLAVE     = 8888
		RBRN_UPLINK_DNS_ENABLED     = 1
		RBRN_UPLINK_DNS_GLOBAL      = 0
		RBRN_UPLINK_DNS_INTERCEPT   = 0
		RBRN_UPLINK_ACCESS_ENABLED  = 1
		RBRN_UPLINK_ACCESS_GLOBAL   = 0
		RBRN_UPLINK_ALLOWED_DOMAINS = anthropic.com
		EOF
		printf 'RBRN_UPLINK_ALLOWED_CIDRS   = '
		bench_cidrs "$n" | paste -sd' '
	} >"$file"
}

# A nameplate value in the environment would override the bench nameplate.
unset "${!RBRN_@}"

# ---- netns -----------------------------------------------------------------
BENCH_NS_N=0
BENCH_NS_LIST=()
# bench_netns_new: a fresh empty netns (loopback up), removed at exit.
# Sets REPLY to its name.
bench_netns_new() {
	local ns=rbt-bench-$$-$((BENCH_NS_N += 1))
	ip netns add "$ns" || die "cannot create netns $ns"
	BENCH_NS_LIST+=("$ns")
	ip -n "$ns" link set lo up || die "cannot set up netns $ns"
	REPLY=$ns
}
# bench_netns_sentry: a fresh netns standing in for a sentry: a veth pair
# en0 (enclave, the sentry IP) and up0 (uplink), nothing connected to it.
# Sets REPLY to its name.
bench_netns_sentry() {
	local ns
	bench_netns_new
	ns=$REPLY
	ip -n "$ns" link add en0 type veth peer name up0 &&
		ip -n "$ns" addr add "$BENCH_SENTRY_IP/24" dev en0 &&
		ip -n "$ns" addr add 198.51.100.2/24 dev up0 &&
		ip -n "$ns" link set en0 up &&
		ip -n "$ns" link set up0 up || die "cannot set up netns $ns"
	REPLY=$ns
}
bench_netns_del() { ip netns del "$1" 2>/dev/null || true; }
bench_netns_cleanup() {
	local ns
	for ns in "${BENCH_NS_LIST[@]}"; do
		[ -e "/run/netns/$ns" ] && bench_netns_del "$ns"
	done
	BENCH_NS_LIST=()
}
bench_on_exit bench_netns_cleanup

# ---- world and bench bottle -----------------------------------------------
bottle_sh() { (cd "$RB_TOP" && RB_BIN=$RB_BIN bash mk/bottle.sh "$@"); }

# bench_world_up: starts the simulated world unless it runs. Others' test
# runs share it (and `make check` stops it when done), so it is checked
# before every step that needs it. At exit the bench stops it only if the
# bench started it and no other container is attached to it then.
BENCH_WORLD_STARTED=0
bench_world_up() {
	if podman container exists rb-world &&
		[ "$(podman inspect -f '{{.State.Running}}' rb-world)" = true ]; then
		return 0
	fi
	(cd "$RB_TOP" && bash mk/world.sh start) >&2 || die "cannot start the simulated world"
	if [ $BENCH_WORLD_STARTED = 0 ]; then
		BENCH_WORLD_STARTED=1
		bench_on_exit bench_world_release
	fi
}
bench_world_release() {
	local users
	podman network exists rb-world || return 0
	users=$(podman ps -a --filter network=rb-world --format '{{.Names}}' | grep -vx rb-world || true)
	if [ -n "$users" ]; then
		say "leaving the simulated world up: in use by ${users//$'\n'/ }"
		return 0
	fi
	(cd "$RB_TOP" && bash mk/world.sh stop) >&2
}

BENCH_SENTRY=rb-$BENCH_MONIKER-sentry
BENCH_BOTTLE=rb-$BENCH_MONIKER-bottle

bench_bottle_exists() {
	podman container exists "$BENCH_BOTTLE" || podman container exists "$BENCH_SENTRY" ||
		podman network exists "rb-$BENCH_MONIKER-enclave"
}

# bench_bottle_stop FILE: removes the bench bottle if any part of it exists.
bench_bottle_stop() {
	bench_bottle_exists || return 0
	bottle_sh stop "$1" >&2
}

# bench_bottle_up FILE: the bench bottle (moniker rbbench) with the 1-CIDR
# nameplate FILE, started here unless a caller (bench/run.sh) already did;
# whoever starts it stops it at exit.
bench_bottle_up() {
	local np=$1
	bench_nameplate "$np" 1
	if [ "${RB_BENCH_BOTTLE_UP:-0}" = 1 ]; then
		podman container exists "$BENCH_BOTTLE" || die "RB_BENCH_BOTTLE_UP=1 but $BENCH_BOTTLE is not there"
		return 0
	fi
	bench_bottle_exists &&
		die "$BENCH_MONIKER is up already (another make bench, or left over: bash mk/bottle.sh stop FILE with moniker $BENCH_MONIKER)"
	bench_world_up
	bench_on_exit "bench_bottle_stop '$np'"
	bottle_sh start "$np" >&2 || die "cannot start the bench bottle"
}

# bench_sentry_ns: the sentry's netns path (REPLY).
bench_sentry_ns() {
	REPLY=$(podman inspect -f '{{.NetworkSettings.SandboxKey}}' "$BENCH_SENTRY") && [ -e "$REPLY" ] ||
		die "cannot find the netns of $BENCH_SENTRY"
}

# bench_child PID COMM: the child of PID named COMM (rb-sentryd's dnsmasq,
# rb-learner).
bench_child() {
	local c kids=()
	read -ra kids <"/proc/$1/task/$1/children" || true
	for c in "${kids[@]}"; do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$2" ] && { echo "$c"; return 0; }
	done
	return 1
}

# bench_set_entries NETNS SET: number of entries of an ipset in NETNS.
bench_set_entries() {
	nsenter --net="$1" ipset list "$2" -t | awk -F': ' '/^Number of entries/ { print $2 }'
}

# bench_iperf C SECS: bits/s the world received in one iperf3 TCP stream
# of SECS s from container C to BENCH_TARGET (REPLY). The world runs one
# iperf3 server: if it is busy, wait and retry.
bench_iperf() {
	local out
	for _ in 1 2 3 4 5; do
		out=$(podman exec "$1" iperf3 -c "$BENCH_TARGET" -t "$2" -O 1 -J 2>/dev/null || true)
		REPLY=$(jq -r '.end.sum_received.bits_per_second // empty' <<<"$out" 2>/dev/null || true)
		[ -n "$REPLY" ] && return 0
		say "iperf3: $(jq -r '.error // "no result"' <<<"$out" 2>/dev/null || echo "no result"); retrying"
		sleep 2
	done
	die "iperf3 from $1 to $BENCH_TARGET gave no result"
}

# bench_flows C N: new TCP connections per second, timed inside container
# C (REPLY): curl opens N in a row; the world refuses each (RST).
bench_flows() {
	REPLY=$(podman exec "$1" bash -c 't0=${EPOCHREALTIME/./}
		curl -s -o /dev/null --connect-timeout 2 "http://'"$BENCH_TARGET"':9/[1-'"$2"']"
		t1=${EPOCHREALTIME/./}; echo $(( '"$2"' * 1000000 / (t1 - t0) ))') ||
		die "the flow test failed in $1"
}

# bench_machine: one markdown line per fact about this machine.
bench_machine() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- host: $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
	# a guest's idle CPU sleeps in the hypervisor: wakeups there cost more
	grep -qw hypervisor /proc/cpuinfo && cpu="$cpu, a virtual machine's (cpu flag hypervisor)"
	echo "- cpu: ${cpu:-unknown}, $(nproc) cores; load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- tools: $(podman --version), $(iptables-legacy --version), $(ipset --version | head -1 | cut -d, -f1), $(iperf3 --version | head -1 | cut -d' ' -f1-2), dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2; exit }'), $(dnsmasq --version | head -1 | cut -d' ' -f1,3)"
	local run want
	run=$(podman inspect -f '{{.Image}}' rb-world 2>/dev/null || true)
	want=$(podman image inspect -f '{{.Id}}' localhost/rb-world:latest 2>/dev/null || true)
	if [ -z "$run" ]; then
		echo "- simulated world: started by the bench from localhost/rb-world:latest"
	elif [ "$run" = "$want" ]; then
		echo "- simulated world: running localhost/rb-world:latest (${run:0:12})"
	else
		echo "- simulated world: running an older image (${run:0:12}) than localhost/rb-world:latest (${want:0:12}); left as found, others use it"
	fi
	echo "- rb: $(git -C "$RB_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$RB_TOP" diff --quiet HEAD -- lib cmd 2>/dev/null || echo ' (lib/ or cmd/ modified)')"
}

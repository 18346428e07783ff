#!/bin/bash
# Many bottles on one host: nameplates made from the bench nameplate by
# mk/nameplates.sh (monikers rbbf01.., enclaves 10.252.N.0/24, entry ports
# 19201..), brought up beside the bench bottle until N others run.
#   bring-up   one more bottle (rbbfx, 10.252.255.0/24) started and stopped
#              REPS times with 0 others up, then with 29: the time to ready
#   flows      the bench bottle's new TCP flows/s (curl to the world, which
#              answers RST) alone, with 9 and with 29 others up: the host's
#              rules of every bottle must not slow down another one's packets
#   verify     rb-verify of every bottle at N=30: how many are clean
#   memory     per bottle: the sentry container's processes (rb-sentryd,
#              dnsmasq, the learner, the log) and the bottle's, VmRSS summed
#   stop       all of them stopped: no container, network or host chain left
# Packets go only from bottles to the simulated world. Prints a markdown
# section; with RB_BENCH_SUMMARY=FILE appends its target lines there.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

REPS=${RB_BENCH_FLEET_REPS:-3}
FLOWS=${RB_BENCH_FLOWS:-2000}
NMAX=30
PREFIX=rbbf
T_BRINGUP=1.2
T_FLOWS=0.90

NP1=$BENCH_TMP/np-1.mk
bench_bottle_up "$NP1"
NPD=$BENCH_TMP/fleet
mkdir -p "$NPD"
RB_BIN=$RB_BIN bash "$RB_TOP/mk/nameplates.sh" "$NP1" "$NPD" $((NMAX - 1)) "$PREFIX" 10.252.0.0/16 19200 >&2 ||
	die "cannot write the fleet's nameplates"
# the extra one, started and stopped for the bring-up time
sed -e "s/^RBRN_MONIKER .*/RBRN_MONIKER = ${PREFIX}x/" -e 's/10\.252\.0\./10.252.255./' \
	-e 's/^RBRN_ENTRY_PORT_WORKSTATION .*/RBRN_ENTRY_PORT_WORKSTATION = 19199/' \
	"$NPD/${PREFIX}01.mk" >"$BENCH_TMP/${PREFIX}x.mk"
UP=()
fleet_stop() {
	local f
	for f in "${UP[@]}" "$BENCH_TMP/${PREFIX}x.mk"; do
		bottle_sh stop "$f" >/dev/null 2>&1 || true
	done
}
bench_on_exit fleet_stop

# up N: N fleet bottles running besides the bench bottle
up() {
	local i f
	for ((i = ${#UP[@]} + 1; i <= $1; i++)); do
		f=$(printf '%s/%s%02d.mk' "$NPD" "$PREFIX" "$i")
		bottle_sh start "$f" >/dev/null || die "cannot start $f"
		UP+=("$f")
	done
}
# bringup OUT: REPS times the time (ms) to start the extra bottle, to OUT
bringup() {
	local r t0 t1
	for ((r = 0; r < REPS; r++)); do
		now_us; t0=$REPLY
		bottle_sh start "$BENCH_TMP/${PREFIX}x.mk" >/dev/null || die "cannot start ${PREFIX}x"
		now_us; t1=$REPLY
		echo $(((t1 - t0) / 1000)) >>"$1"
		bottle_sh stop "$BENCH_TMP/${PREFIX}x.mk" >/dev/null || die "cannot stop ${PREFIX}x"
	done
}
# flows OUT: the bench bottle's new flows/s, REPS runs after a warm-up
flows() {
	local r
	for ((r = 0; r <= REPS; r++)); do
		bench_flows "$BENCH_BOTTLE" "$FLOWS"
		[ "$r" = 0 ] || echo "$REPLY" >>"$1"
	done
}
# rss PID: VmRSS (KiB) of PID and its children, summed
rss() {
	local p sum=0
	for p in $1 $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		sum=$((sum + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$sum"
}

say "fleet: 0 others"
: >"$BENCH_TMP/bu-0"; : >"$BENCH_TMP/fl-0"
bringup "$BENCH_TMP/bu-0"
flows "$BENCH_TMP/fl-0"
say "fleet: 9 others"
up 9
: >"$BENCH_TMP/fl-9"
flows "$BENCH_TMP/fl-9"
say "fleet: 29 others"
up $((NMAX - 1))
: >"$BENCH_TMP/bu-29"; : >"$BENCH_TMP/fl-29"
bringup "$BENCH_TMP/bu-29"
flows "$BENCH_TMP/fl-29"
# What every bottle adds to each packet of the host, as the kernel holds
# it at N=30: rb's jumps from the built-in chains (xtables; on nft each
# bottle's table hooks its own base chains, whose first rules are these).
jumps_f=$( { iptables-legacy-save -t filter 2>/dev/null; nft list ruleset 2>/dev/null | grep -E '^\s+(iif|oif)name'; } | grep -c 'rb:jump' || true)
jumps_n=$( { iptables-legacy-save -t nat 2>/dev/null; nft list ruleset 2>/dev/null | grep -E 'tcp dport [0-9]+ fib|ip saddr 127\.0\.0\.0/8 .* jump'; } | grep -c 'rb:jump' || true)
jumps_plain=$( { iptables-legacy-save -t filter 2>/dev/null; iptables-legacy-save -t nat 2>/dev/null; } |
	grep -E '^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) -m (comment|addrtype)' | grep -c 'rb:jump' || true)

# every bottle verified, and its memory
clean=0 sm=0 bm=0
for f in "$NP1" "${UP[@]}"; do
	if "$RB_BIN/rb-verify" --nameplate "$f" >/dev/null 2>&1; then clean=$((clean + 1)); fi
	m=$(sed -n 's/^RBRN_MONIKER *= *//p' "$f")
	sm=$((sm + $(rss "$(podman inspect -f '{{.State.Pid}}' "rb-$m-sentry")")))
	bm=$((bm + $(rss "$(podman inspect -f '{{.State.Pid}}' "rb-$m-bottle")")))
done
n_all=$((${#UP[@]} + 1))

fleet_stop
UP=()
left=$( { podman ps -a --format '{{.Names}}'; podman network ls --format '{{.Name}}'; } | grep -c "^rb-$PREFIX" || true)
left_fw=$( { iptables-legacy-save 2>/dev/null; iptables-legacy-save -t nat 2>/dev/null; nft list tables 2>/dev/null; } |
	grep -cE "RB-(H|E|EPOST)-$PREFIX|rb-$PREFIX" || true)

bu0=$(median "$BENCH_TMP/bu-0") bu29=$(median "$BENCH_TMP/bu-29")
fl0=$(median "$BENCH_TMP/fl-0") fl9=$(median "$BENCH_TMP/fl-9") fl29=$(median "$BENCH_TMP/fl-29")
r_bu=$(ratio "$bu29" "$bu0")
r_fl9=$(ratio "$fl9" "$fl0") r_fl29=$(ratio "$fl29" "$fl0")
ok_bu=$(passfail le "$r_bu" "$T_BRINGUP")
ok_fl=$(passfail le "$T_FLOWS" "$r_fl29")
ok_v=$([ "$clean" = "$n_all" ] && echo PASS || echo FAIL)
ok_s=$([ "$left$left_fw" = 00 ] && echo PASS || echo FAIL)
mib() { awk -v k="$1" -v n="$2" 'BEGIN { printf "%.1f MiB", k / n / 1024 }'; }

echo "## Many bottles"
echo
echo "Bottles made by \`make bottle-nameplates\` from the bench nameplate (each its own enclave /24 and"
echo "entry port), started beside the bench bottle. Bring-up: \`mk/bottle.sh start\` of one more bottle"
echo "to ready, $REPS times with no other fleet bottle up and $REPS times with 29 (it is stopped after each);"
echo "median. New flows: the bench bottle's $FLOWS TCP connections in a row (the world answers RST), $REPS"
echo "runs after a warm-up, median. Memory: VmRSS of each container's processes as the host sees them."
echo
echo "| measure | alone | N=10 | N=30 | ratio | target | verdict |"
echo "|---|---:|---:|---:|---:|---|:---:|"
printf '| bring-up of one more bottle | %s ms | | %s ms | **%sx** | <= %sx | %s |\n' "$bu0" "$bu29" "$r_bu" "$T_BRINGUP" "$ok_bu"
printf '| new TCP flows/s of one bottle | %.0f | %.0f (%s) | %.0f | **%s** | >= 90%% | %s |\n' \
	"$fl0" "$fl9" "$(pct "$r_fl9")" "$fl29" "$(pct "$r_fl29")" "$ok_fl"
printf '| rb-verify clean | | | %d of %d | | all | %s |\n' "$clean" "$n_all" "$ok_v"
printf '| memory per bottle: sentry (rb-sentryd, dnsmasq, learner, log) | | | %s | | reported | |\n' "$(mib "$sm" "$n_all")"
printf '| memory per bottle: bottle | | | %s | | reported | |\n' "$(mib "$bm" "$n_all")"
printf '| left after stopping all | | | %d containers or networks, %d host chains or tables | | nothing | %s |\n' \
	"$left" "$left_fw" "$ok_s"
echo
echo "The host's rules at N=30: $jumps_f filter and $jumps_n nat jumps of rb's, one set per bottle, each naming"
echo "its bottle's bridge (filter) or entry port (nat) before anything costlier; $jumps_plain of them without"
echo "such a header match. A packet of one bottle passes the others' jumps on a compare each: no chain is"
echo "entered, no route looked up for an address type."
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	{
		echo "| many bottles: bring-up | one more at N=30 within 1.2x of at N=1 | ${r_bu}x | $ok_bu |"
		echo "| many bottles: new flows | one bottle with 29 others >= 90% of alone | $(pct "$r_fl29") | $ok_fl |"
		echo "| many bottles: verify, stop | rb-verify clean at N=30; bottle-stop of all leaves nothing | $clean of $n_all; $left+$left_fw left | $([ "$ok_v$ok_s" = PASSPASS ] && echo PASS || echo FAIL) |"
	} >>"$RB_BENCH_SUMMARY"
fi

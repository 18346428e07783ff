#!/bin/bash
# Policy change on a live bottle: `mk/bottle.sh reapply` with a changed
# nameplate while the bench bottle has a TCP transfer running (iperf3 to
# the world, RB_BENCH_LIVE_SECS s; the reapply 2 s into it). Each round
# changes one thing and measures the time until the new policy holds (the
# reapply to its return; `rb-fw-apply --check` clean and the sentry
# forwarding right after) and what the running transfer lost: it must
# complete (a reset or a stall fails iperf3), its retransmits are reported.
# Kinds of change, RB_BENCH_LIVE_REPS rounds each:
#   cidr     a CIDR added, then taken away again (the transfer's address,
#            160.79.104.10, stays allowed by its own CIDR)
#   learned  the same, with the transfer going to a learned answer of an
#            allowed name (an address outside every CIDR): the answers set
#            is kept across the apply (xtables here: nft has no learner
#            on a kernel without nft queue)
#   name     an allowed name added, then taken away (the resolver and the
#            learner reload in the running sentry, which must not restart)
# A revoked destination is shown to stop too: after each cidr round that
# takes 11.0.0.0/24 away, nothing is asked of it (the bench sends only to
# the world), but the policy in force is checked to no longer have it.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

REPS=${RB_BENCH_LIVE_REPS:-3}
SECS=${RB_BENCH_LIVE_SECS:-8}

NP=$BENCH_TMP/np-live.mk
bench_bottle_up "$NP"
BASE=$BENCH_TMP/np-live-base.mk
cp "$NP" "$BASE"
# the bench nameplate again, whatever a round left
bench_on_exit "cp '$BASE' '$NP' && bottle_sh reapply '$NP' >/dev/null 2>&1"

started() { podman inspect -f '{{.State.StartedAt}} {{.State.Pid}}' "$BENCH_SENTRY"; }

# np_set VAR VALUE: the nameplate with VAR's value replaced.
np_set() { sed -i "s|^$1 *=.*|$1 = $2|" "$NP"; }

# learned: a fresh name of the world's rotating zone resolved in the
# bottle; its address (REPLY) is opened by the learner only.
learned() {
	local n=$((RANDOM % 250 + 2))
	REPLY=$(podman exec "$BENCH_BOTTLE" dig +short +time=2 +tries=1 "h160-79-114-$n.rot.anthropic.com" 2>/dev/null) || true
	[ "$REPLY" = "160.79.114.$n" ] || die "no learned answer for h160-79-114-$n.rot.anthropic.com"
}

# round KIND TARGET CHANGE: one transfer to TARGET with CHANGE (a function
# that edits the nameplate) applied 2 s into it. Appends the reapply time
# (us) to t-KIND, the transfer's retransmits to re-KIND, 1 to lost-KIND when
# the transfer did not complete, 1 to restart-KIND when the sentry restarted.
round() {
	local kind=$1 target=$2 change=$3 out=$BENCH_TMP/iperf.json pid t0 was
	was=$(started)
	timeout $((SECS + 30)) podman exec "$BENCH_BOTTLE" iperf3 -c "$target" -t "$SECS" -J >"$out" 2>/dev/null &
	pid=$!
	sleep 2
	"$change"
	now_us; t0=$REPLY
	bottle_sh reapply "$NP" >/dev/null || die "reapply failed"
	now_us; echo $((REPLY - t0)) >>"$BENCH_TMP/t-$kind"
	"$RB_BIN/rb-fw-apply" check --nameplate "$NP" >/dev/null || die "the new policy does not hold after reapply ($kind)"
	if wait "$pid" && jq -e '.end.sum_received.bytes > 0' "$out" >/dev/null 2>&1; then
		jq -r '.end.sum_sent.retransmits // 0' "$out" >>"$BENCH_TMP/re-$kind"
	else
		say "live: $kind: the transfer to $target did not complete: $(jq -r '.error // "no result"' "$out" 2>/dev/null || echo "no result")"
		echo 1 >>"$BENCH_TMP/lost-$kind"
	fi
	[ "$(started)" = "$was" ] || echo 1 >>"$BENCH_TMP/restart-$kind"
}

cidr_change() {
	if grep -q '11\.0\.0\.0/24' "$NP"; then
		np_set RBRN_UPLINK_ALLOWED_CIDRS "$BENCH_ALLOWED"
	else
		np_set RBRN_UPLINK_ALLOWED_CIDRS "$BENCH_ALLOWED 11.0.0.0/24"
	fi
}
name_change() {
	if grep -q 'example\.com' "$NP"; then
		np_set RBRN_UPLINK_ALLOWED_DOMAINS anthropic.com
	else
		np_set RBRN_UPLINK_ALLOWED_DOMAINS "anthropic.com example.com"
	fi
}

for k in cidr learned name; do
	: >"$BENCH_TMP/t-$k"; : >"$BENCH_TMP/re-$k"; : >"$BENCH_TMP/lost-$k"; : >"$BENCH_TMP/restart-$k"
done
for ((r = 1; r <= 2 * REPS; r++)); do
	say "live: round $r of $((2 * REPS))"
	bench_world_up
	round cidr "$BENCH_TARGET" cidr_change
	learned
	round learned "$REPLY" cidr_change
	round name "$BENCH_TARGET" name_change
done
# what the last cidr round took away is out of the policy in force
bench_sentry_ns
revoked=$( { nsenter --net="$REPLY" ipset list RB-CIDR 2>/dev/null
	nsenter --net="$REPLY" nft list set inet rb RB-CIDR 2>/dev/null; } | grep -c '11\.0\.0\.0/24' || true)

count() { wc -l <"$1" | tr -d ' '; }
echo "## Policy change on a live bottle"
echo
echo "\`mk/bottle.sh reapply\` with a changed nameplate while the bench bottle sends one iperf3 TCP stream"
echo "of $SECS s to the world; the reapply starts 2 s into it. $((2 * REPS)) rounds of each kind, changing it back"
echo "and forth. Time until the new policy holds: the reapply to its return (then \`rb-fw-apply"
echo "--check\` is clean); median and range. Lost: transfers that did not complete (a reset, or a"
echo "stall past the end of iperf3's run). The sentry restarted: its podman start time or pid changed."
echo
echo "| change | transfer to | new policy holds after | retransmits (median) | lost | sentry restarted | verdict |"
echo "|---|---|---:|---:|---:|---:|:---:|"
declare -A V LOST T
for k in cidr learned name; do
	case $k in
	cidr) what="a CIDR added / taken away" to="$BENCH_TARGET (CIDR, allowed throughout)" ;;
	learned) what="a CIDR added / taken away" to="a learned answer (allowed throughout)" ;;
	name) what="a name added / taken away (resolver reload)" to="$BENCH_TARGET (CIDR, allowed throughout)" ;;
	esac
	lost=$(count "$BENCH_TMP/lost-$k") restarts=$(count "$BENCH_TMP/restart-$k")
	read -r q1 q3 < <(quartiles "$BENCH_TMP/t-$k")
	v=$([ "$lost$restarts" = 00 ] && echo PASS || echo FAIL)
	printf '| %s | %s | %s ms (%s–%s) | %s | %d of %d | %d | %s |\n' "$what" "$to" \
		"$(ms "$(median "$BENCH_TMP/t-$k")")" "$(ms "$q1")" "$(ms "$q3")" \
		"$(median "$BENCH_TMP/re-$k")" "$lost" "$((2 * REPS))" "$restarts" "$v"
	V[$k]=$v LOST[$k]=$lost T[$k]=$(ms "$(median "$BENCH_TMP/t-$k")")
done
echo
echo "After the last round, the CIDR taken away is in the policy in force: $revoked time(s) (0: it is gone)."
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	{
		echo "| live policy change: allowlist | a running transfer to an address allowed before and after: 0 lost (CIDR; learned answer) | lost ${LOST[cidr]}, ${LOST[learned]} of $((2 * REPS)) each; new policy after ${T[cidr]} ms, ${T[learned]} ms | $([ "${V[cidr]}${V[learned]}" = PASSPASS ] && echo PASS || echo FAIL) |"
		echo "| live policy change: resolver | a name added or taken away: the sentry not restarted, 0 transfers lost | lost ${LOST[name]} of $((2 * REPS)); new policy after ${T[name]} ms | ${V[name]} |"
	} >>"$RB_BENCH_SUMMARY"
fi

#!/bin/bash
# Forwarding through the sentry: bottle -> sentry -> simulated world, with
# the bench nameplate allowing 1 CIDR and then 10,000 (rb-fw-apply swaps
# the policy on the running sentry). Two measures, REPS rounds:
#   iperf3   one TCP stream for T seconds to the world's iperf3 server
#            (160.79.104.10:5201). conntrack accepts an established flow at
#            the top of RB-FORWARD, so the allowlist decides its first
#            packet only;
#   flows    new TCP connections per second (curl to 160.79.104.10:9,
#            where the world's kernel answers RST): every SYN goes through
#            RB-EGRESS and is matched against the allowlist. This is the
#            per-packet cost of a large allowlist.
# For comparison (not rb): the same policy with 10,000 per-CIDR -d rules
# instead of the ipset, the allowed CIDR last, loaded with
# iptables-legacy-restore into the same sentry. rb's policy is re-applied
# and `rb-fw-apply --check` must find no difference afterwards.
# Packets go only to 160.79.104.10, a world address inside the allowlist.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# Single samples here swing by +-30% with the load of others' jobs on the
# two cores: many short rounds, a multiple of 3 so each policy takes each
# place in the rotation equally often.
REPS=${RB_BENCH_TPUT_REPS:-9}
SECS=${RB_BENCH_IPERF_SECS:-2}
FLOWS=${RB_BENCH_FLOWS:-2000}
FLOW_RUNS=${RB_BENCH_FLOW_RUNS:-3}
BIG=10000

for t in iperf3 jq; do command -v $t >/dev/null || die "$t is missing (make deps)"; done

NP1=$BENCH_TMP/np-1.mk
NPBIG=$BENCH_TMP/np-$BIG.mk
bench_bottle_up "$NP1"
bench_nameplate "$NPBIG" "$BIG"
bench_sentry_ns; SNS=$REPLY

# The naive ruleset: rb's plan for the sentry (its netns part), the ipset
# rule replaced by one rule per CIDR in reverse order, so the allowed
# 160.79.104.0/23 is the last one: the worst case a linear list has.
"$RB_BIN/rb-fw-apply" show --nameplate "$NPBIG" | sed '/^# host netns/,$d' >"$BENCH_TMP/dry-big.txt"
bench_cidrs "$BIG" | tac >"$BENCH_TMP/cidrs-rev.txt"
awk -v cidrs="$BENCH_TMP/cidrs-rev.txt" '
	/^#/ { next }
	/--match-set RB-CIDR dst/ {
		while ((getline c < cidrs) > 0)
			printf "-A %s -d %s -m comment --comment \"rb:cidr\" -j ACCEPT\n", $2, c
		next
	}
	{ print }' "$BENCH_TMP/dry-big.txt" >"$BENCH_TMP/naive-big.txt"
grep -q -- '--match-set RB-CIDR dst' "$BENCH_TMP/dry-big.txt" || die "no RB-CIDR rule in the plan: the bench needs updating"

# policy NAME: puts the policy in place and proves it is there.
policy() {
	local got
	case $1 in
	rb1 | rbbig)
		local np=$NP1 want=1
		[ "$1" = rb1 ] || { np=$NPBIG; want=$BIG; }
		"$RB_BIN/rb-fw-apply" --nameplate "$np" >/dev/null || die "rb-fw-apply --nameplate $np failed"
		got=$(bench_set_entries "$SNS" RB-CIDR)
		[ "$got" = "$want" ] || die "RB-CIDR holds $got entries, not $want"
		;;
	naive)
		nsenter --net="$SNS" iptables-legacy-restore -w 10 "$BENCH_TMP/naive-big.txt" ||
			die "iptables-legacy-restore of the naive ruleset failed"
		got=$(nsenter --net="$SNS" iptables-legacy-save -t filter | grep -c -- '--comment "\?rb:cidr"\? -j ACCEPT' || true)
		[ "$got" = "$BIG" ] || die "the naive ruleset holds $got per-CIDR rules, not $BIG"
		;;
	esac
}

iperf() { bench_iperf "$BENCH_BOTTLE" "$SECS"; }
flows() { bench_flows "$BENCH_BOTTLE" "$FLOWS"; }

# ---- measure -----------------------------------------------------------------
VARIANTS=(rb1 rbbig naive)
for v in "${VARIANTS[@]}"; do : >"$BENCH_TMP/iperf-$v"; : >"$BENCH_TMP/flows-$v"; done
bench_on_exit '"$RB_BIN/rb-fw-apply" --nameplate "$NP1" >/dev/null 2>&1'
# One untimed round of each, then REPS rounds; the order rotates per round.
for ((r = 0; r <= REPS; r++)); do
	for ((k = 0; k < ${#VARIANTS[@]}; k++)); do
		v=${VARIANTS[(k + r) % ${#VARIANTS[@]}]}
		say "throughput round $r: $v"
		policy "$v"
		# the first flow run after an apply (conntrack just flushed) is
		# slower for every policy alike: a warm-up, not counted
		flows
		[ "$r" -gt 0 ] || continue
		iperf; echo "$REPLY" >>"$BENCH_TMP/iperf-$v"
		: >"$BENCH_TMP/round"
		for ((f = 0; f < FLOW_RUNS; f++)); do
			flows; echo "$REPLY" >>"$BENCH_TMP/round"
		done
		median "$BENCH_TMP/round" >>"$BENCH_TMP/flows-$v"
	done
done
policy rb1
"$RB_BIN/rb-fw-apply" check --nameplate "$NP1" >/dev/null ||
	die "after the naive ruleset, rb-fw-apply --check still finds differences"

# Rates: median over rounds. Ratios are paired (lib.sh ratios); the
# quartiles of the per-round ratios show how noisy they were.
declare -A IP FL RIP RFL QIP QFL
for v in "${VARIANTS[@]}"; do
	IP[$v]=$(median "$BENCH_TMP/iperf-$v")
	FL[$v]=$(median "$BENCH_TMP/flows-$v")
	ratios "$BENCH_TMP/iperf-$v" "$BENCH_TMP/iperf-rb1" "$BENCH_TMP/r-iperf-$v"
	ratios "$BENCH_TMP/flows-$v" "$BENCH_TMP/flows-rb1" "$BENCH_TMP/r-flows-$v"
	RIP[$v]=$(median "$BENCH_TMP/r-iperf-$v")
	RFL[$v]=$(median "$BENCH_TMP/r-flows-$v")
	QIP[$v]=$(pct_quartiles "$BENCH_TMP/r-iperf-$v")
	QFL[$v]=$(pct_quartiles "$BENCH_TMP/r-flows-$v")
done
gbit() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }
ok_ip=$(passfail le 0.9 "${RIP[rbbig]}")
ok_fl=$(passfail le 0.9 "${RFL[rbbig]}")

# ---- report -------------------------------------------------------------------
echo "## Forwarding throughput"
echo
echo "Bottle -> sentry -> simulated world (\`$BENCH_BOTTLE\` to $BENCH_TARGET), $REPS rounds after an"
echo "untimed one; in each round every policy is applied and measured in turn (the order rotates)."
echo "iperf3: one TCP stream, ${SECS} s (first second omitted), received rate. New flows: $FLOWS TCP"
echo "connections in a row (curl; the world answers RST), connections per second timed inside the"
echo "bottle, $FLOW_RUNS run(s) per round after an uncounted one (the median if more). Rates: median over"
echo "rounds; \"of 1 CIDR\": the ratio to rb's 1-CIDR rate of the same round, median over rounds, in"
echo "brackets the quartiles of those ratios (how noisy this run was)."
echo
echo "| sentry policy | iperf3 TCP | of 1 CIDR | new flows/s | of 1 CIDR |"
echo "|---|---:|---:|---:|---:|"
printf '| rb, 1 allowed CIDR | %s Gbit/s | 100%% | %.0f | 100%% |\n' "$(gbit "${IP[rb1]}")" "${FL[rb1]}"
printf '| rb, %s allowed CIDRs (ipset RB-CIDR, one rule) | %s Gbit/s | **%s** (%s) %s | %.0f | **%s** (%s) %s |\n' "$BIG" \
	"$(gbit "${IP[rbbig]}")" "$(pct "${RIP[rbbig]}")" "${QIP[rbbig]}" "$ok_ip" \
	"${FL[rbbig]}" "$(pct "${RFL[rbbig]}")" "${QFL[rbbig]}" "$ok_fl"
printf '| not rb: %s per-CIDR `-d` rules, allowed CIDR last | %s Gbit/s | %s (%s) | %.0f | %s (%s) |\n' "$BIG" \
	"$(gbit "${IP[naive]}")" "$(pct "${RIP[naive]}")" "${QIP[naive]}" \
	"${FL[naive]}" "$(pct "${RFL[naive]}")" "${QFL[naive]}"
echo
echo "Target: with $BIG CIDRs rb keeps at least 90% of its 1-CIDR rate. A single TCP stream says"
echo "little about matching: conntrack accepts it at \`rb:est\` after the first packet, which is why"
echo "even the per-CIDR list keeps its throughput. New flows are matched packet by packet against"
echo "the allowlist; there the linear list loses, and rb's hash:net set does not."
echo "Before each measurement the bench checks the sentry holds the intended policy (RB-CIDR entries,"
echo "or the number of per-CIDR rules); at the end rb's 1-CIDR policy is re-applied and"
echo "\`rb-fw-apply --check\` finds no difference."
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	{
		echo "| forwarding throughput | iperf3 TCP with $BIG CIDRs >= 90% of 1 CIDR | $(pct "${RIP[rbbig]}") | $ok_ip |"
		echo "| new-flow rate (per-packet matching) | with $BIG CIDRs >= 90% of 1 CIDR | $(pct "${RFL[rbbig]}") (per-CIDR rules: $(pct "${RFL[naive]}")) | $ok_fl |"
	} >>"$RB_BENCH_SUMMARY"
fi

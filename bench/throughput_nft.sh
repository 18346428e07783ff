#!/bin/bash
# New TCP flows per second through the sentry on the nft backend, with 1
# allowed CIDR and with 10,000 (none adjacent, so the interval set holds
# 10,000 intervals): every SYN is matched against RB-CIDR in RB-EGRESS.
# Same bench bottle, world target and flow test as throughput.sh; the
# sentry's policy is put back on its own backend when done.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

REPS=${RB_BENCH_TPUT_REPS:-9}
FLOWS=${RB_BENCH_FLOWS:-2000}
FLOW_RUNS=${RB_BENCH_FLOW_RUNS:-3}
BIG=10000

NP1=$BENCH_TMP/np-1.mk
NPBIG=$BENCH_TMP/np-nft-$BIG.mk
bench_bottle_up "$NP1"
bench_nameplate "$NPBIG" 1
sed -i '/^RBRN_UPLINK_ALLOWED_CIDRS/d' "$NPBIG"
printf 'RBRN_UPLINK_ALLOWED_CIDRS = %s\n' "$(bench_cidrs_apart "$BIG" | paste -sd' ')" >>"$NPBIG"
bench_sentry_ns; SNS=$REPLY

policy() {
	local np=$NP1 want=1 got
	[ "$1" = nft1 ] || { np=$NPBIG; want=$BIG; }
	"$RB_BIN/rb-fw-apply" --nameplate "$np" --backend nft >/dev/null || die "rb-fw-apply --backend nft failed"
	got=$(nsenter --net="$SNS" nft -j list set inet rb RB-CIDR | jq '[.nftables[].set? | select(.) | .elem[]] | length')
	[ "$got" = "$want" ] || die "RB-CIDR holds $got intervals, not $want"
}

flows() { bench_flows "$BENCH_BOTTLE" "$FLOWS"; }

VARIANTS=(nft1 nftbig)
for v in "${VARIANTS[@]}"; do : >"$BENCH_TMP/nflows-$v"; done
bench_on_exit '"$RB_BIN/rb-fw-apply" --nameplate "$NP1" --backend auto >/dev/null 2>&1'
for ((r = 0; r <= REPS; r++)); do
	for ((k = 0; k < ${#VARIANTS[@]}; k++)); do
		v=${VARIANTS[(k + r) % ${#VARIANTS[@]}]}
		say "nft flows round $r: $v"
		policy "$v"
		flows
		[ "$r" -gt 0 ] || continue
		: >"$BENCH_TMP/round"
		for ((f = 0; f < FLOW_RUNS; f++)); do
			flows; echo "$REPLY" >>"$BENCH_TMP/round"
		done
		median "$BENCH_TMP/round" >>"$BENCH_TMP/nflows-$v"
	done
done
"$RB_BIN/rb-fw-apply" --nameplate "$NP1" --backend auto >/dev/null || die "cannot put the policy back"

ratios "$BENCH_TMP/nflows-nftbig" "$BENCH_TMP/nflows-nft1" "$BENCH_TMP/r-nflows"
rel=$(median "$BENCH_TMP/r-nflows")
f1=$(median "$BENCH_TMP/nflows-nft1")
fb=$(median "$BENCH_TMP/nflows-nftbig")
ok=$(passfail le 0.9 "$rel")
echo "## New flows, nft backend"
echo
echo "New TCP connections per second from the bench bottle to $BENCH_TARGET:9 (the world's kernel"
echo "answers RST), $FLOWS per run, $FLOW_RUNS runs per round (median), $REPS rounds after a warm-up, the"
echo "two policies alternating. RB-CIDR is an nft interval set; with $BIG CIDRs it holds $BIG intervals."
echo
echo "| sentry policy (nft) | new flows/s | of 1 CIDR | >= 90% |"
echo "|---|---:|---:|:---:|"
printf '| 1 CIDR | %s | 100%% | |\n' "$f1"
printf '| %s CIDRs | %s | **%s** (%s) | %s |\n' "$BIG" "$fb" "$(pct "$rel")" \
	"$(pct_quartiles "$BENCH_TMP/r-nflows")" "$ok"
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	echo "| new flows, nft | new TCP flows/s with $BIG CIDRs >= 90% of 1 CIDR on the nft backend | $(pct "$rel") | $ok |" >>"$RB_BENCH_SUMMARY"
fi

#!/bin/bash
# Rule application on the nft backend: the time from an empty netns to the
# whole sentry policy, at 10, 100, 1,000, 10,000 and 100,000 allowed CIDRs,
#   rb   rb-fw-apply --backend nft (libnftables, one transaction, then the
#        CIDRs as netlink messages of its own; also
#        sets sysctls and flushes conntrack)
#   nft  `nft -f` of exactly what `rb-fw-apply --backend nft --dry-run`
#        prints (the same transaction)
# Each run gets a fresh netns (outside the timing); runs alternate. nft is
# timed inside the netns (nsenter not counted); rb-fw-apply whole,
# including entering the netns. Prints a markdown section; with
# RB_BENCH_SUMMARY=FILE appends its target line there. The CIDRs are /24s
# with a gap between each two (bench_cidrs_apart): nft's auto-merge would
# join adjacent ones into a few intervals and measure nothing.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SIZES=${RB_BENCH_NFT_SIZES:-10 100 1000 10000 100000}
# At 10 to 1,000 CIDRs a run is 10-15 ms, and 7-15 ms of it is the kernel's
# wait, when the first netfilter socket closes after a commit, for the RCU
# grace period that frees the transaction (nft_rcv_nl_event): both variants
# pay it, and it varies by milliseconds. 15 rounds for a median.
REPS=${RB_BENCH_NFT_REPS:-15}

[ -x "$RB_BIN/rb-fw-apply" ] || die "$RB_BIN/rb-fw-apply missing: run make"


prepare() {
	local n=$1 d=$BENCH_TMP/nft-$1
	mkdir -p "$d"
	bench_nameplate "$d/np.mk" 1
	sed -i '/^RBRN_UPLINK_ALLOWED_CIDRS/d' "$d/np.mk"
	printf 'RBRN_UPLINK_ALLOWED_CIDRS = %s\n' "$(bench_cidrs_apart "$n" | paste -sd' ')" >>"$d/np.mk"
	bench_netns_sentry
	"$RB_BIN/rb-fw-apply" show --nameplate "$d/np.mk" --backend nft --netns "/run/netns/$REPLY" \
		--enclave-if en0 --uplink-if up0 --no-host >"$d/dry.nft"
	bench_netns_del "$REPLY"
}

in_ns() {
	REPLY=$(nsenter --net="/run/netns/$1" bash -c 'set -e; t0=${EPOCHREALTIME/./}; '"$2"' >/dev/null; t1=${EPOCHREALTIME/./}; echo $((t1 - t0))') ||
		die "run failed in $1: $2"
}

run_variant() {
	local v=$1 n=$2 ns=$3 d=$BENCH_TMP/nft-$2 t0
	case $v in
	rb)
		now_us; t0=$REPLY
		"$RB_BIN/rb-fw-apply" --nameplate "$d/np.mk" --backend nft --netns "/run/netns/$ns" \
			--enclave-if en0 --uplink-if up0 --no-host >/dev/null || die "rb-fw-apply failed in $ns"
		now_us; REPLY=$((REPLY - t0))
		;;
	nft) in_ns "$ns" "nft -f $d/dry.nft" ;;
	esac
}

# After the first run of each: both left the same table (nft's own
# listing, without counters) with the allowlist in RB-CIDR.
check() {
	local v=$1 n=$2 ns=$3 d=$BENCH_TMP/nft-$2
	ip netns exec "$ns" nft -s list table inet rb >"$d/state-$v.txt" || die "$v at $n: no table inet rb"
	grep -q 'ip daddr @RB-CIDR counter accept comment "rb:cidr"' "$d/state-$v.txt" ||
		die "$v at $n: no rb:cidr rule"
	[ "$v" = rb ] || cmp -s "$d/state-rb.txt" "$d/state-nft.txt" ||
		{ diff "$d/state-rb.txt" "$d/state-nft.txt" | head >&2 || true; die "at $n CIDRs rb-fw-apply and nft -f left different tables"; }
}

declare -A MED REL
for n in $SIZES; do
	prepare "$n"
	say "nft rule application, $n CIDRs"
	for v in rb nft; do : >"$BENCH_TMP/nft-$n/t-$v"; done
	for ((r = 0; r <= REPS; r++)); do
		for v in rb nft; do
			bench_netns_sentry; ns=$REPLY
			run_variant "$v" "$n" "$ns"
			[ "$r" -eq 0 ] || echo "$REPLY" >>"$BENCH_TMP/nft-$n/t-$v"
			[ "$r" -ne 1 ] || check "$v" "$n" "$ns"
			bench_netns_del "$ns"
		done
	done
	for v in rb nft; do MED[$v,$n]=$(median "$BENCH_TMP/nft-$n/t-$v"); done
	ratios "$BENCH_TMP/nft-$n/t-nft" "$BENCH_TMP/nft-$n/t-rb" "$BENCH_TMP/nft-$n/r-nft"
	REL[$n]=$(median "$BENCH_TMP/nft-$n/r-nft")
done

all_ok=1
echo "## Rule application, nft backend"
echo
echo "From an empty netns to the whole sentry policy on the nft backend (nsproto's policy with N"
echo "allowed CIDRs in the interval set RB-CIDR). $REPS rounds after a warm-up, a fresh netns per run,"
echo "the two alternating. Times: median over rounds; in brackets \`nft -f\`'s time relative to"
echo "rb-fw-apply in the same round (median; 2.00x = twice as long), and its quartiles."
echo
echo "| allowed CIDRs | rb-fw-apply --backend nft | \`nft -f\` of the same transaction | rb-fw-apply <= nft -f |"
echo "|---:|---:|---:|:---:|"
for n in $SIZES; do
	ok=$(passfail le 1 "${REL[$n]}")
	[ "$ok" = PASS ] || all_ok=0
	printf '| %s | %s ms | %s ms (**%sx**, %s) | %s |\n' "$n" "$(ms "${MED[rb,$n]}")" "$(ms "${MED[nft,$n]}")" \
		"$(ratio "${REL[$n]}" 1)" "$(quartiles "$BENCH_TMP/nft-$n/r-nft" | awk '{ printf "%.2f–%.2fx", $1, $2 }')" "$ok"
done
echo
echo "Both leave the same \`nft -s list table inet rb\` (checked after the first counted run)."
echo "rb-fw-apply sends what \`--dry-run\` prints through libnftables, but for RB-CIDR's elements:"
echo "those it sends as netlink messages of its own (lib/fw_nft_intervals.c), right after. \`nft -f\`"
echo "parses and evaluates every element (most of its user-space time at 100,000); rb-fw-apply adds"
echo "its own start, the nameplate, setns, the sysctls, a second batch and the conntrack flush."
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	got=
	for n in $SIZES; do got+="${got:+, }$n: $(ratio "${REL[$n]}" 1)x"; done
	echo "| rule application, nft | rb-fw-apply --backend nft at least as fast as nft -f of the same ruleset at ${SIZES// /, } CIDRs (nft -f time / rb-fw-apply time) | $got | $([ $all_ok = 1 ] && echo PASS || echo FAIL) |" >>"$RB_BENCH_SUMMARY"
fi

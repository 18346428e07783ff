#!/bin/bash
# Rule application: the time from an empty netns to the whole sentry
# policy, at 10, 100, 1,000 and 10,000 allowed CIDRs, for
#   rb      rb-fw-apply (libiptc, one commit per table, CIDRs in the
#           RB-CIDR ipset; also sets sysctls and flushes conntrack)
#   restore `ipset restore` + `iptables-legacy-restore` of exactly what
#           `rb-fw-apply --dry-run` prints (the same ruleset)
#   naive   `iptables-legacy-restore` of that ruleset with one -A rule per
#           CIDR instead of the RB-CIDR ipset (the plan's other, small
#           sets are created first with `ipset restore`)
#   loop    the RBM prototype's way: one `iptables-legacy` process per rule of the
#           naive ruleset (-P, -N, then -A); every process rewrites the
#           whole table, so it is slow: measured
#           up to RB_BENCH_LOOP_MAX CIDRs and extrapolated above
# Each run gets a fresh netns (created and deleted outside the timing);
# runs are interleaved so drift on this noisy machine hits all alike. The
# competitors are timed inside the netns (nsenter's own start is not
# counted); rb-fw-apply is timed whole, including entering the netns.
# Prints a markdown section; with RB_BENCH_SUMMARY=FILE appends its
# target lines there.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

SIZES=${RB_BENCH_SIZES:-10 100 1000 10000}
REPS=${RB_BENCH_REPS:-7}
LOOP_MAX=${RB_BENCH_LOOP_MAX:-1000}
LOOP_REPS=${RB_BENCH_LOOP_REPS:-3}

[ -x "$RB_BIN/rb-fw-apply" ] || die "$RB_BIN/rb-fw-apply missing: run make"

# ---- inputs per size -------------------------------------------------------
prepare() {
	local n=$1 d=$BENCH_TMP/fw-$1
	mkdir -p "$d"
	bench_nameplate "$d/np.mk" "$n"
	# Against a netns like the ones timed: the plan includes the rules
	# that depend on the uplink's address.
	bench_netns_sentry
	"$RB_BIN/rb-fw-apply" show --nameplate "$d/np.mk" --netns "/run/netns/$REPLY" \
		--enclave-if en0 --uplink-if up0 >"$d/dry.txt"
	bench_netns_del "$REPLY"
	sed -n 's/^# ipset //p' "$d/dry.txt" >"$d/sets.txt"
	bench_cidrs "$n" >"$d/cidrs.txt"
	# The ipset match becomes one rule per CIDR, in allowlist order; the
	# other sets of the plan (DNS answers, host addresses) stay, created
	# first with ipset restore (small, but counted).
	awk -v cidrs="$d/cidrs.txt" '
		/^#/ { next }
		/--match-set RB-CIDR dst/ {
			chain = $2
			while ((getline c < cidrs) > 0)
				printf "-A %s -d %s -m comment --comment \"rb:cidr\" -j ACCEPT\n", chain, c
			next
		}
		{ print }' "$d/dry.txt" >"$d/naive.txt"
	grep -v ' RB-CIDR ' "$d/sets.txt" >"$d/naive-sets.txt" || true
	grep -q -- '--match-set RB-CIDR dst' "$d/dry.txt" || die "no RB-CIDR rule in the dry run: the bench needs updating"
	# The RBM prototype's loop: those sets, then every line of the naive ruleset as
	# its own process.
	{
		[ ! -s "$d/naive-sets.txt" ] || echo "ipset restore -file $d/naive-sets.txt"
		awk '
		/^\*/ { t = substr($0, 2); next }
		/^:/ { c = substr($1, 2)
		       if ($2 == "-") printf "iptables-legacy -w 10 -t %s -N %s\n", t, c
		       else if ($2 != "ACCEPT") printf "iptables-legacy -w 10 -t %s -P %s %s\n", t, c, $2
		       next }
		/^-A / { printf "iptables-legacy -w 10 -t %s %s\n", t, $0 }' "$d/naive.txt"
	} >"$d/loop.sh"
}

# ---- one timed run; REPLY = microseconds ----------------------------------
# in_ns NS SCRIPT: runs SCRIPT in bash inside NS, timed there.
in_ns() {
	REPLY=$(nsenter --net="/run/netns/$1" bash -c 'set -e; t0=${EPOCHREALTIME/./}; '"$2"' >/dev/null; t1=${EPOCHREALTIME/./}; echo $((t1 - t0))') ||
		die "run failed in $1: $2"
}

run_variant() {
	local v=$1 n=$2 ns=$3 d=$BENCH_TMP/fw-$2 t0
	case $v in
	rb)
		now_us; t0=$REPLY
		"$RB_BIN/rb-fw-apply" --nameplate "$d/np.mk" --netns "/run/netns/$ns" \
			--enclave-if en0 --uplink-if up0 --no-host >/dev/null || die "rb-fw-apply failed in $ns"
		now_us; REPLY=$((REPLY - t0))
		;;
	restore) in_ns "$ns" "ipset restore -file $d/sets.txt && iptables-legacy-restore -w 10 $d/dry.txt" ;;
	naive)
		if [ -s "$d/naive-sets.txt" ]; then
			in_ns "$ns" "ipset restore -file $d/naive-sets.txt && iptables-legacy-restore -w 10 $d/naive.txt"
		else
			in_ns "$ns" "iptables-legacy-restore -w 10 $d/naive.txt"
		fi
		;;
	loop) in_ns "$ns" ". $d/loop.sh" ;;
	esac
}

# The state a variant left, comparable across variants: the rules without
# counters and without the save's "#" lines.
state() {
	ip netns exec "$1" iptables-legacy-save | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]$/[0:0]/'
}

# check V N NS: after the first run of each variant, prove it wrote what
# it should: rb and restore the same rules and N set entries; naive and
# loop the same rules with N per-CIDR rules.
check() {
	local v=$1 n=$2 ns=$3 d=$BENCH_TMP/fw-$2 got
	state "$ns" >"$d/state-$v.txt"
	case $v in
	rb | restore)
		got=$(ip netns exec "$ns" ipset list RB-CIDR -t | awk -F': ' '/^Number of entries/ { print $2 }')
		[ "$got" = "$n" ] || die "$v at $n: RB-CIDR holds ${got:-nothing}, not $n"
		[ "$v" = rb ] || cmp -s "$d/state-rb.txt" "$d/state-restore.txt" ||
			{ diff "$d/state-rb.txt" "$d/state-restore.txt" | head >&2 || true; die "at $n CIDRs rb-fw-apply and iptables-legacy-restore left different rules"; }
		;;
	naive | loop)
		got=$(grep -c -- '--comment "\?rb:cidr"\? -j ACCEPT' "$d/state-$v.txt" || true)
		[ "$got" = "$n" ] || die "$v at $n: $got per-CIDR rules, not $n"
		[ "$v" = naive ] || cmp -s "$d/state-naive.txt" "$d/state-loop.txt" ||
			{ diff "$d/state-naive.txt" "$d/state-loop.txt" | head >&2 || true; die "at $n CIDRs the loop and the naive restore left different rules"; }
		;;
	esac
}

# ---- measure ----------------------------------------------------------------
declare -A MED
for n in $SIZES; do
	prepare "$n"
	variants="rb restore naive"
	[ "$n" -le "$LOOP_MAX" ] && variants+=" loop"
	say "rule application, $n CIDRs: $variants"
	for v in $variants; do : >"$BENCH_TMP/fw-$n/t-$v"; done
	# Round 0 is a warm-up (binaries and modules cached), not counted.
	# What each variant wrote is checked once, after its first run.
	# The loop gets no warm-up and, from 1,000 CIDRs on, one run.
	loop_reps=$LOOP_REPS
	[ "$n" -lt 1000 ] || loop_reps=1
	for ((r = 0; r <= REPS; r++)); do
		for v in $variants; do
			if [ "$v" = loop ] && { [ "$r" -eq 0 ] || [ "$r" -gt "$loop_reps" ]; }; then continue; fi
			bench_netns_sentry; ns=$REPLY
			run_variant "$v" "$n" "$ns"
			[ "$r" -eq 0 ] || echo "$REPLY" >>"$BENCH_TMP/fw-$n/t-$v"
			first=0
			[ "$v" != loop ] || first=1
			[ "$r" -ne "$first" ] || check "$v" "$n" "$ns"
			bench_netns_del "$ns"
		done
	done
	for v in $variants; do
		MED[$v,$n]=$(median "$BENCH_TMP/fw-$n/t-$v")
	done
done

# The loop above LOOP_MAX: every process costs at least what one cost at
# the largest measured size (each -A reads and rewrites the whole table, so
# later ones cost more), times the number of processes: a lower bound.
loop_top=
for n in $SIZES; do [ -n "${MED[loop,$n]:-}" ] && loop_top=$n; done
extrapolate() {
	[ -n "$loop_top" ] || { echo nan; return; }
	awk -v t="${MED[loop,$loop_top]}" -v p1="$(wc -l <"$BENCH_TMP/fw-$loop_top/loop.sh")" \
		-v p="$(wc -l <"$BENCH_TMP/fw-$1/loop.sh")" 'BEGIN { printf "%.0f", t / p1 * p }'
}

# ---- report -----------------------------------------------------------------
all_ok=1
echo "## Rule application"
echo
echo "From an empty netns to the whole sentry policy (nsproto's policy with N allowed CIDRs)."
echo "$REPS rounds after a warm-up, each run in a fresh netns, the variants one after the other in"
echo "each round (the per-rule loop: $LOOP_REPS rounds below 1,000 CIDRs, then one). Times: median over"
echo "rounds. In brackets the time relative to rb-fw-apply in the same round, median over rounds"
echo "(2.00x = twice as long as rb-fw-apply); for the same-ruleset restore also its quartiles."
echo
echo "| allowed CIDRs | rb-fw-apply | ipset restore + iptables-legacy-restore, same ruleset | iptables-legacy-restore, one rule per CIDR | per-rule \`iptables-legacy\` loop (RBM) | rb-fw-apply <= same-ruleset restore |"
echo "|---:|---:|---:|---:|---:|:---:|"
declare -A REL
for n in $SIZES; do
	d=$BENCH_TMP/fw-$n
	for v in restore naive loop; do
		[ -s "$d/t-$v" ] || continue
		ratios "$d/t-$v" "$d/t-rb" "$d/r-$v"
		REL[$v,$n]=$(median "$d/r-$v")
	done
	rb=${MED[rb,$n]}
	if [ -n "${MED[loop,$n]:-}" ]; then
		loop="$(ms "${MED[loop,$n]}") ms ($(ratio "${REL[loop,$n]}" 1)x)"
	else
		e=$(extrapolate "$n")
		loop="> $(ms "$e") ms (> $(ratio "$e" "$rb")x), extrapolated*"
	fi
	ok=$(passfail le 1 "${REL[restore,$n]}")
	[ "$ok" = PASS ] || all_ok=0
	printf '| %s | %s ms | %s ms (**%sx**, %s) | %s ms (%sx) | %s | %s |\n' "$n" "$(ms "$rb")" \
		"$(ms "${MED[restore,$n]}")" "$(ratio "${REL[restore,$n]}" 1)" \
		"$(quartiles "$d/r-restore" | awk '{ printf "%.2f–%.2fx", $1, $2 }')" \
		"$(ms "${MED[naive,$n]}")" "$(ratio "${REL[naive,$n]}" 1)" "$loop" "$ok"
done
echo
if [ -n "$loop_top" ] && [ "$loop_top" != "${SIZES##* }" ]; then
	echo "\\* not run above $LOOP_MAX CIDRs (RB_BENCH_LOOP_MAX), it would take minutes: a lower bound from"
	echo "the time per \`iptables-legacy\` process at $loop_top CIDRs times the number of processes (each -A"
	echo "reads and rewrites the whole table, so later processes cost more, never less)."
	echo "\`RB_BENCH_LOOP_MAX=10000 make bench\` measures it."
	echo
fi
echo "Every variant's result is checked after its first run: rb-fw-apply and the same-ruleset"
echo "restore leave identical \`iptables-legacy-save\` output and N entries in RB-CIDR; the naive"
echo "restore and the loop leave identical rules with N per-CIDR ACCEPT rules. rb-fw-apply also"
echo "sets the sentry's sysctls and flushes conntrack, which the restore variants do not; the restore"
echo "variants are timed inside the netns (nsenter not counted), rb-fw-apply including its setns."
echo "rb-fw-apply fills RB-CIDR through libipset's data API into a set sized for N up front;"
echo "\`ipset restore\` goes through libipset's text parser, which resolves each element with"
echo "gethostbyname2() (a stat of /etc/resolv.conf per element): most of the gap at 10,000."
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	got=
	for n in $SIZES; do got+="${got:+, }$n: $(ratio "${REL[restore,$n]}" 1)x"; done
	read -ra sz <<<"$SIZES"
	sizes=$(printf "%s, " "${sz[@]}")
	echo "| rule application | rb-fw-apply at least as fast as ipset + iptables-legacy-restore at ${sizes%, } CIDRs (restore time / rb-fw-apply time) | $got | $([ $all_ok = 1 ] && echo PASS || echo FAIL) |" >>"$RB_BENCH_SUMMARY"
fi

#!/bin/bash
# Bring-up: `make bottle-start` to ready (mk/bottle.sh start returns: the
# enclave exists, the sentry runs with the policy committed, the bottle
# runs with its route) against the bare minimum podman needs for the same
# two containers: `podman network create` of the enclave and two
# `podman run -d` (sentry on enclave + world, bottle on enclave), no rb.
# Everything is removed between runs (untimed); runs alternate.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

REPS=${RB_BENCH_BRINGUP_REPS:-5}

NP=$BENCH_TMP/np-1.mk
bench_nameplate "$NP" 1
bench_bottle_exists && die "$BENCH_MONIKER is up already (another make bench, or left over)"
bench_world_up

BARE_NET=rbt-bench-enclave
BARE_SENTRY=rbt-bench-sentry
BARE_BOTTLE=rbt-bench-bottle
for o in "$BARE_SENTRY" "$BARE_BOTTLE"; do
	podman container exists "$o" && die "$o exists already (another make bench, or left over)"
done
podman network exists "$BARE_NET" && die "$BARE_NET exists already (another make bench, or left over)"

bare_rm() {
	podman rm -f -t 0 "$BARE_BOTTLE" "$BARE_SENTRY" >/dev/null 2>&1 || true
	podman network rm -f "$BARE_NET" >/dev/null 2>&1 || true
}
bench_on_exit bare_rm
bench_on_exit "bench_bottle_stop '$NP'"

# The bare sentry runs the same dnsmasq with rb's configuration, so both
# sides start the same processes.
"$RB_BIN/rb-fw-apply" --nameplate "$NP" --resolver-conf >"$BENCH_TMP/dnsmasq.conf"
chmod 0644 "$BENCH_TMP/dnsmasq.conf"
chmod 0755 "$BENCH_TMP"

bare_up() {
	podman network create --internal --disable-dns --subnet "$BENCH_SUBNET" "$BARE_NET" >/dev/null &&
		podman run -d --name "$BARE_SENTRY" --network "$BARE_NET:ip=$BENCH_SENTRY_IP" --network rb-world --cap-add NET_ADMIN \
			-v "$BENCH_TMP/dnsmasq.conf:/etc/rb/dnsmasq.conf:ro" localhost/rb-sentry:latest >/dev/null &&
		podman run -d --name "$BARE_BOTTLE" --network "$BARE_NET:ip=$BENCH_BOTTLE_IP" \
			localhost/rb-bottle:latest >/dev/null
}

running() { [ "$(podman inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

: >"$BENCH_TMP/t-rb"
: >"$BENCH_TMP/t-bare"
for ((r = 0; r <= REPS; r++)); do
	say "bring-up round $r"
	bench_world_up
	now_us; t0=$REPLY
	bottle_sh start "$NP" >/dev/null || die "mk/bottle.sh start failed"
	now_us; t=$((REPLY - t0))
	running "$BENCH_SENTRY" && running "$BENCH_BOTTLE" || die "rb's sentry or bottle is not running after start"
	[ "$r" -eq 0 ] || echo "$t" >>"$BENCH_TMP/t-rb"
	bottle_sh stop "$NP" >/dev/null || die "mk/bottle.sh stop failed"

	now_us; t0=$REPLY
	bare_up || die "the bare podman commands failed"
	now_us; t=$((REPLY - t0))
	running "$BARE_SENTRY" && running "$BARE_BOTTLE" || die "the bare sentry or bottle is not running"
	[ "$r" -eq 0 ] || echo "$t" >>"$BENCH_TMP/t-bare"
	bare_rm
done

# One more, untimed, traced run: where mk/bottle.sh start spends its time.
# Each traced line is charged the time until the next one, grouped by
# podman subcommand or rb binary (and --stage).
bench_world_up
(cd "$RB_TOP" && RB_BIN=$RB_BIN bash -c 'PS4="+\${EPOCHREALTIME} "; set -x; source mk/bottle.sh start "$1"' _ "$NP") \
	>/dev/null 2>"$BENCH_TMP/trace" || die "traced mk/bottle.sh start failed"
bottle_sh stop "$NP" >/dev/null || die "mk/bottle.sh stop failed"
awk '
	/^\++[0-9]/ {
		t = $1; sub(/^\++/, "", t)
		if (prev != "") { d[prev] += t - pt }
		k = "shell (bash, tests, files)"
		if ($2 == "podman") k = "`podman " $3 "`"
		else if ($2 ~ /\/rb-[a-z-]+$/) {
			b = $2; sub(/.*\//, "", b); k = "`" b
			for (i = 3; i <= NF; i++) if ($i ~ /^--(stage|check|resolver-conf)$/) { k = k " " $i; if ($i == "--stage") k = k " " $(i + 1) }
			k = k "`"
		}
		if ($2 == "podman" || $2 ~ /\/rb-[a-z-]+$/) n[k]++
		prev = k; pt = t
	}
	END { for (k in d) printf "%.0f\t%s\t%d\n", d[k] * 1000, k, n[k] }' "$BENCH_TMP/trace" |
	sort -rn >"$BENCH_TMP/steps"

RB=$(median "$BENCH_TMP/t-rb")
BARE=$(median "$BENCH_TMP/t-bare")
R=$(ratio "$RB" "$BARE")
OK=$(passfail le "$R" 1.5)

echo "## Bring-up"
echo
echo "Median of $REPS runs after an untimed round, alternating, everything removed between runs."
echo
echo "| | to ready | ratio |"
echo "|---|---:|---:|"
printf '| `make bottle-start` (mk/bottle.sh start: enclave, sentry, policy, bottle, routes) | %s ms | **%sx** %s |\n' "$(ms "$RB")" "$R" "$OK"
printf '| bare podman: `network create` + `podman run -d` sentry + `podman run -d` bottle | %s ms | 1.00x |\n' "$(ms "$BARE")"
echo
echo "Target: within 1.5x of bare podman. Ready means the command returned; both sides are checked"
echo "to have their two containers running (the bare sentry runs the same dnsmasq configuration,"
echo "which needs \`--cap-add NET_ADMIN\`)."
echo
echo "Where \`mk/bottle.sh start\` spends its time (one more, traced run, $(awk '{ s += $1 } END { print s }' "$BENCH_TMP/steps") ms in all;"
echo "each traced command is charged until the next one starts):"
echo
echo "| step | calls | time |"
echo "|---|---:|---:|"
awk -F'\t' '$1 >= 20 { printf "| %s | %s | %s ms |\n", $2, ($3 ? $3 : ""), $1 }' "$BENCH_TMP/steps"
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	echo "| bring-up | \`make bottle-start\` within 1.5x of two bare \`podman run\` | ${R}x | $OK |" >>"$RB_BENCH_SUMMARY"
fi

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
"$RB_BIN/rb-fw-apply" resolver-conf --nameplate "$NP" >"$BENCH_TMP/dnsmasq.conf"
chmod 0644 "$BENCH_TMP/dnsmasq.conf"
chmod 0755 "$BENCH_TMP"

bare_up() {
	podman network create --internal --disable-dns --subnet "$BENCH_SUBNET" "$BARE_NET" >/dev/null &&
		podman run -d --name "$BARE_SENTRY" --network "$BARE_NET:ip=$BENCH_SENTRY_IP" --network rb-world --cap-add NET_ADMIN \
			-v "$BENCH_TMP/dnsmasq.conf:/etc/rb/dnsmasq.conf:ro" --entrypoint /usr/sbin/dnsmasq \
			localhost/rb-sentry:latest --keep-in-foreground --conf-file=/etc/rb/dnsmasq.conf >/dev/null &&
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

# One more, untimed, traced run: podman and the rb tools wrapped so that
# each call logs when it started and how long it took (nested calls too:
# the tools' own podman calls).
WRAP=$BENCH_TMP/wrap
mkdir -p "$WRAP/bin"
for c in podman rb-net-create rb-fw-apply; do
	real=$(command -v podman)
	[ "$c" = podman ] || real=$RB_BIN/$c
	cat >"$WRAP/bin/$c" <<EOF
#!/bin/bash
s=\${EPOCHREALTIME/./}
RB_WRAP_BY=$c "$real" "\$@"
rc=\$?
e=\${EPOCHREALTIME/./}
echo "\$s \$e \${RB_WRAP_BY:--} $c \$*" >>"$WRAP/log"
exit \$rc
EOF
	chmod 0755 "$WRAP/bin/$c"
done
: >"$WRAP/log"
bench_world_up
now_us; t0=$REPLY
(cd "$RB_TOP" && PATH=$WRAP/bin:$PATH RB_PODMAN=$WRAP/bin/podman RB_BIN=$WRAP/bin \
	bash mk/bottle.sh start "$NP") >/dev/null || die "traced mk/bottle.sh start failed"
now_us; TRACE_TOTAL=$((REPLY - t0))
bottle_sh stop "$NP" >/dev/null || die "mk/bottle.sh stop failed"
# start offset, duration, what was called: podman's subcommand (and the
# container), an rb tool's mode; a call made by an rb tool says so.
sort -n "$WRAP/log" | awk -v t0="$t0" '
	{
		d = $4
		if (d == "podman") {
			for (i = 5; i <= NF && $i !~ /^-/; i++) d = d " " $i
			for (i = 5; i < NF; i++) if ($i == "--name") d = d " " $(i + 1)
		} else {
			for (i = 5; i <= NF; i++) {
				if ($i ~ /^--(check|resolver-conf|remove|host)$/) d = d " " $i
				if ($i == "--stage" && i < NF) d = d " --stage " $(i + 1)
			}
		}
		printf "| %d ms | %d ms | `%s`%s |\n", ($1 - t0) / 1000, ($2 - $1) / 1000, d, ($3 != "-" ? " (by " $3 ")" : "")
	}' >"$BENCH_TMP/steps"

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
echo "Where \`mk/bottle.sh start\` spends its time: one more run ($(ms "$TRACE_TOTAL") ms), every podman and rb"
echo "call with when it started and how long it took. Calls overlap where the script runs them"
echo "side by side; a tool's own podman calls are listed too."
echo
echo "| start | took | call |"
echo "|---:|---:|---|"
cat "$BENCH_TMP/steps"
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	echo "| bring-up | \`make bottle-start\` within 1.5x of two bare \`podman run\` | ${R}x | $OK |" >>"$RB_BENCH_SUMMARY"
fi

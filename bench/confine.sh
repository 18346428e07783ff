#!/bin/bash
# The price of confinement: the bench bottle (rb-rbbench-bottle, behind its
# sentry with rb's policy and resolver) against the same image unconfined:
# a plain container on the uplink network (rb-world) whose default route the
# bench points at the world's gateway, asking the world's resolver (8.8.8.8)
# itself. Per round, both in turn (the order alternates):
#   iperf3   one TCP stream, SECS s, to 160.79.104.10:5201
#   flows    FLOWS new TCP connections in a row (curl; the world answers RST)
#   dns      dnsperf in each one's netns at RATE queries a second (open
#            loop), each reply's latency from dnsperf -v: one name again
#            and again (after the first, the sentry answers from its cache,
#            and no user-space process holds the reply),
#            and fresh names (fR-V-K.fresh.anthropic.com, round R, variant
#            V, each asked once; the world answers 160.79.104.10 with TTL 0:
#            through the sentry each is asked upstream and learned before
#            dnsmasq has it); fresh names once more from the unconfined
#            container through a plain dnsmasq (rb's image and resolver
#            configuration, no rb: no policy, no learner), which tells the
#            price of one more resolver hop apart from rb's share
# Packets go only to the simulated world. Prints a markdown section; with
# RB_BENCH_SUMMARY=FILE appends its target lines there.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

REPS=${RB_BENCH_CONFINE_REPS:-6}
SECS=${RB_BENCH_IPERF_SECS:-2}
FLOWS=${RB_BENCH_FLOWS:-2000}
# a round's queries of each kind: REPS x QUERIES replies for each p99
QUERIES=${RB_BENCH_CONFINE_QUERIES:-1000}
# replies of each kind and variant over all rounds: what each p99 is of
NQ=$((REPS * QUERIES))
RATE=${RB_BENCH_DNS_RATE:-1000}
PLAIN=rbt-bench-plain
HOP=rbt-bench-hop
WORLD_GW=10.243.0.2
# Targets of the issue: throughput and new flows against unconfined, the
# p99 of DNS against asking the world's resolver directly.
T_TPUT=0.90
T_FLOWS=0.80
T_P99_CACHED=1.2
T_P99_FRESH=2.0

for t in iperf3 jq dnsperf; do command -v $t >/dev/null || die "$t is missing (make deps)"; done

NP1=$BENCH_TMP/np-1.mk
bench_bottle_up "$NP1"
BPID=$(podman inspect -f '{{.State.Pid}}' "$BENCH_BOTTLE")

# on_world NAME PODMAN-RUN-ARGS...: a bare container on rb-world (the
# uplink network), removed at exit, its default route pointed at the
# world by the bench; REPLY is its PID.
on_world() {
	local name=$1
	shift
	podman container exists "$name" && die "$name exists (left over? podman rm -f $name)"
	bench_on_exit "podman rm -f -t 0 '$name' >/dev/null 2>&1"
	podman run -d --pull never --name "$name" --network rb-world "$@" >/dev/null ||
		die "cannot start $name"
	REPLY=$(podman inspect -f '{{.State.Pid}}' "$name")
	nsenter -t "$REPLY" -n ip route replace default via "$WORLD_GW" ||
		die "cannot route $name to the world via $WORLD_GW"
}

# The unconfined twin: same image, uid, capabilities and limits as rb gives
# the bottle.
on_world "$PLAIN" --user 1000:1000 --cap-drop ALL --security-opt no-new-privileges \
	--memory 2g --cpus 1 --pids-limit 1024 localhost/rb-bottle:latest
PPID_=$REPLY
[ "$(podman exec "$PLAIN" dig +short +time=2 +tries=1 @8.8.8.8 anthropic.com)" = 160.79.104.10 ] ||
	die "$PLAIN does not reach the world's resolver"

# The plain resolver hop: the sentry image's dnsmasq with no capability and
# the bench nameplate's own resolver configuration (rb-fw-apply
# resolver-conf, but for the sentry's listen addresses), alone: no policy,
# no learner.
"$RB_BIN/rb-fw-apply" --nameplate "$NP1" resolver-conf | grep -v -e '^listen-address=' -e '^bind-interfaces$' \
	>"$BENCH_TMP/hop.conf" || die "cannot write the resolver configuration for $HOP"
on_world "$HOP" --user dnsmasq --cap-drop ALL --security-opt no-new-privileges \
	--sysctl net.ipv4.ip_unprivileged_port_start=53 -v "$BENCH_TMP/hop.conf:/etc/rb/dnsmasq.conf:ro" \
	--entrypoint /usr/sbin/dnsmasq localhost/rb-sentry:latest --keep-in-foreground \
	--conf-file=/etc/rb/dnsmasq.conf
HOP_IP=$(podman inspect -f '{{(index .NetworkSettings.Networks "rb-world").IPAddress}}' "$HOP")
[ "$(podman exec "$PLAIN" dig +short +time=2 +tries=1 @"$HOP_IP" anthropic.com)" = 160.79.104.10 ] ||
	die "$PLAIN does not reach the world's resolver through $HOP ($HOP_IP)"

# lat PID SERVER FILE OUT: each reply's latency (us) of dnsperf from PID's
# netns to SERVER, appended to OUT; dies unless every query was answered
lat() {
	local out=$BENCH_TMP/perf.out
	nsenter -t "$1" -n dnsperf -s "$2" -d "$3" -n 1 -t 2 -Q "$RATE" -q 100 -c 1 -v >"$out" 2>&1 ||
		die "dnsperf to $2 failed: $(tail -3 "$out")"
	[ "$(awk '/Queries lost:/ { print $3 }' "$out")" = 0 ] || die "dnsperf to $2: queries lost ($3)"
	awk '$1 == ">" && $2 == "NOERROR" { printf "%d\n", $NF * 1000000 + 0.5 }' "$out" >>"$4"
}
# fresh R V: QUERIES names of round R and variant V, never asked before
fresh() {
	awk -v r="$1" -v v="$2" -v n="$QUERIES" 'BEGIN { for (k = 0; k < n; k++)
		printf "f%d-%s-%d.fresh.anthropic.com A\n", r, v, k }'
}

for v in rb plain; do
	for m in iperf flows cached fresh; do : >"$BENCH_TMP/$m-$v"; done
done
: >"$BENCH_TMP/fresh-hop"
# The repeated name: the world answers it with TTL 300 (mk/world-init.sh),
# so the sentry's dnsmasq answers it from its cache after the first time.
CACHED=cached.anthropic.com
awk -v n="$QUERIES" -v c="$CACHED" 'BEGIN { for (k = 0; k < n; k++) print c " A" }' >"$BENCH_TMP/q-cached"
# one untimed query of the cached name each, so both are warm
lat "$BPID" "$BENCH_SENTRY_IP" <(echo "$CACHED A") /dev/null
lat "$PPID_" 8.8.8.8 <(echo "$CACHED A") /dev/null
SPID=$(podman inspect -f '{{.State.Pid}}' "$BENCH_SENTRY")
# hits: the sentry dnsmasq's cache hits (CHAOS TXT hits.bind, on loopback)
hits() { nsenter -t "$SPID" -n dig +short +time=2 +tries=1 chaos txt hits.bind @127.0.0.1 | tr -d '"'; }
HITS0=$(hits)
# Where a fresh answer's time goes in the sentry: its learner's and
# dnsmasq's time on a CPU and waiting for one (/proc/PID/schedstat, ns),
# summed over the fresh rounds.
LPID=$(bench_child "$SPID" rb-learner) || die "the sentry runs no learner"
DPID=$(bench_child "$SPID" dnsmasq) || die "the sentry runs no dnsmasq"
declare -A SCHED=([l-run]=0 [l-wait]=0 [l-n]=0 [d-run]=0 [d-wait]=0 [d-n]=0)
sched_add() { # KEY PID SIGN (-1 before the round, 1 after)
	local run wait n
	read -r run wait n <"/proc/$2/schedstat"
	SCHED[$1-run]=$((SCHED[$1-run] + $3 * run)) SCHED[$1-wait]=$((SCHED[$1-wait] + $3 * wait))
	SCHED[$1-n]=$((SCHED[$1-n] + $3 * n))
}
for ((r = 1; r <= REPS; r++)); do
	order="rb plain"
	[ $((r % 2)) -eq 1 ] || order="plain rb"
	say "confine round $r/$REPS ($order)"
	for v in $order; do
		if [ "$v" = rb ]; then c=$BENCH_BOTTLE pid=$BPID srv=$BENCH_SENTRY_IP; else c=$PLAIN pid=$PPID_ srv=8.8.8.8; fi
		bench_flows "$c" "$FLOWS" # warm-up
		bench_iperf "$c" "$SECS"; echo "$REPLY" >>"$BENCH_TMP/iperf-$v"
		bench_flows "$c" "$FLOWS"; echo "$REPLY" >>"$BENCH_TMP/flows-$v"
		lat "$pid" "$srv" "$BENCH_TMP/q-cached" "$BENCH_TMP/cached-$v"
		fresh "$r" "$v" >"$BENCH_TMP/q-fresh"
		if [ "$v" = rb ]; then sched_add l "$LPID" -1; sched_add d "$DPID" -1; fi
		lat "$pid" "$srv" "$BENCH_TMP/q-fresh" "$BENCH_TMP/fresh-$v"
		if [ "$v" = rb ]; then sched_add l "$LPID" 1; sched_add d "$DPID" 1; fi
		if [ "$v" = plain ]; then
			fresh "$r" hop >"$BENCH_TMP/q-fresh"
			lat "$pid" "$HOP_IP" "$BENCH_TMP/q-fresh" "$BENCH_TMP/fresh-hop"
		fi
	done
done
# the confined bottle kept its policy throughout
"$RB_BIN/rb-fw-apply" check --nameplate "$NP1" >/dev/null || die "the bench bottle's policy changed during the run"
# every repeated question was answered from the sentry's cache (the CHAOS
# question that reads the counter counts as one more hit)
HITS=$(($(hits) - HITS0 - 1))
[ "$HITS" -eq $NQ ] ||
	die "the sentry answered $HITS of $NQ repeated questions from its cache"

declare -A RES
for m in iperf flows; do
	ratios "$BENCH_TMP/$m-rb" "$BENCH_TMP/$m-plain" "$BENCH_TMP/r-$m"
	RES[$m]=$(median "$BENCH_TMP/r-$m")
done
for m in cached fresh; do
	for v in rb plain; do
		RES[$m-$v-p50]=$(percentile "$BENCH_TMP/$m-$v" 50)
		RES[$m-$v-p99]=$(percentile "$BENCH_TMP/$m-$v" 99)
	done
	RES[$m-p50]=$(ratio "${RES[$m-rb-p50]}" "${RES[$m-plain-p50]}")
	RES[$m-p99]=$(ratio "${RES[$m-rb-p99]}" "${RES[$m-plain-p99]}")
done
for q in 50 99; do
	RES[hop-p$q]=$(percentile "$BENCH_TMP/fresh-hop" $q)
	RES[rb-hop-p$q]=$(ratio "${RES[fresh-rb-p$q]}" "${RES[hop-p$q]}")
	RES[hop-plain-p$q]=$(ratio "${RES[hop-p$q]}" "${RES[fresh-plain-p$q]}")
done
gbit() { awk -v b="$(median "$1")" 'BEGIN { printf "%.2f", b / 1e9 }'; }
ok_tput=$(passfail le "$T_TPUT" "${RES[iperf]}")
ok_flows=$(passfail le "$T_FLOWS" "${RES[flows]}")
ok_cached=$(passfail le "${RES[cached-p99]}" "$T_P99_CACHED")
ok_fresh=$(passfail le "${RES[fresh-p99]}" "$T_P99_FRESH")
us() { awk -v u="$1" 'BEGIN { printf "%.0f us", u }'; }

echo "## Price of confinement"
echo
echo "The bench bottle ($BENCH_BOTTLE: rb's policy and resolver in its sentry) against the same image"
echo "unconfined ($PLAIN: a plain container on rb-world, routed to the world via $WORLD_GW, with the"
echo "bottle's uid, capabilities and limits), $REPS rounds, both in turn (the order alternates). iperf3:"
echo "one TCP stream, ${SECS} s, to $BENCH_TARGET. New flows: $FLOWS TCP connections in a row (curl; the world"
echo "answers RST), timed inside the container, after an uncounted run. DNS: \`dnsperf -Q $RATE\` in each"
echo "one's netns, $QUERIES queries a round, latency of each reply (\`-v\`); confined asks its sentry, unconfined the"
echo "world's resolver 8.8.8.8. \"Repeated\": $CACHED again and again, which the world answers with TTL 300"
echo "(the sentry answered all $NQ from its cache: dnsmasq's hits.bind; nothing in user space holds"
echo "the reply; the world answers from its configuration); \"fresh\": names never asked before (the sentry asks the world,"
echo "the learner adds the world's answer to RB-DNS before dnsmasq gets it). TCP and new flows: rb / unconfined"
echo "paired per round, median; DNS: median and p99 over all $NQ replies of each."
echo
echo "| measure | confined (rb) | unconfined | ratio | target | verdict |"
echo "|---|---:|---:|---:|---|:---:|"
printf '| TCP throughput | %s Gbit/s | %s Gbit/s | **%s** | >= 90%% | %s |\n' \
	"$(gbit "$BENCH_TMP/iperf-rb")" "$(gbit "$BENCH_TMP/iperf-plain")" "$(pct "${RES[iperf]}")" "$ok_tput"
printf '| new TCP flows/s | %.0f | %.0f | **%s** | >= 80%% | %s |\n' \
	"$(median "$BENCH_TMP/flows-rb")" "$(median "$BENCH_TMP/flows-plain")" "$(pct "${RES[flows]}")" "$ok_flows"
for m in cached fresh; do
	if [ $m = cached ]; then name=repeated t=$T_P99_CACHED ok=$ok_cached; else name=fresh t=$T_P99_FRESH ok=$ok_fresh; fi
	printf '| DNS %s names, median | %s | %s | %sx | | |\n' "$name" \
		"$(us "${RES[$m-rb-p50]}")" "$(us "${RES[$m-plain-p50]}")" "${RES[$m-p50]}"
	printf '| DNS %s names, p99 | %s | %s | **%sx** | <= %sx | %s |\n' "$name" \
		"$(us "${RES[$m-rb-p99]}")" "$(us "${RES[$m-plain-p99]}")" "${RES[$m-p99]}" "$t" "$ok"
done
over2ms() { awk '$1 > 2000 { n++ } END { printf "%d", n }' "$1"; }
printf '| DNS fresh names, replies over 2 ms | %s | %s | | | |\n' \
	"$(over2ms "$BENCH_TMP/fresh-rb") of $NQ" "$(over2ms "$BENCH_TMP/fresh-plain") of $NQ"
for q in 50 99; do
	printf '| DNS fresh names, p%s: rb against a plain dnsmasq hop | %s | %s (hop) | %sx | | |\n' "$q" \
		"$(us "${RES[fresh-rb-p$q]}")" "$(us "${RES[hop-p$q]}")" "${RES[rb-hop-p$q]}"
done
echo
per() { awk -v v="$1" -v n="$NQ" 'BEGIN { printf "%.0f us", v / n / 1000 }'; }
sched_n() { awk -v a="$1" -v n="$NQ" 'BEGIN { printf "%.1f", a / n }'; }
echo "Where a fresh name's time goes in the sentry (/proc/PID/schedstat of its processes over the fresh"
echo "rounds, per question): dnsmasq $(per "${SCHED[d-run]}") on a CPU, $(per "${SCHED[d-wait]}") waiting for one, $(sched_n "${SCHED[d-n]}") times scheduled;"
echo "the learner $(per "${SCHED[l-run]}") on a CPU, $(per "${SCHED[l-wait]}") waiting for one, $(sched_n "${SCHED[l-n]}") times scheduled. A fresh"
echo "answer is one hop more than asking the world (bottle, sentry, world) and one trip through the"
echo "learner, a process of its own so that the parser holding CAP_NET_ADMIN is not the one the bottle"
echo "talks to; a repeated one is neither (answered from dnsmasq's cache, the reply not held)."
echo
echo "The fresh p99 is set by stalls more than by that median: now and then one question waits several"
echo "ms and those sent behind it queue ($RATE a second); the row above counts replies over 2 ms. The"
echo "plain dnsmasq hop ($HOP: the unconfined container asks a dnsmasq with rb's options and no rb, which"
echo "asks the world) tells one more resolver process apart from rb's share: p50 $(us "${RES[hop-p50]}"), p99"
echo "$(us "${RES[hop-p99]}") (${RES[hop-plain-p99]}x direct), $(over2ms "$BENCH_TMP/fresh-hop") of $NQ replies over 2 ms. The stalls come"
echo "with each process a question wakes on its way, whichever process it is: on a virtual machine (the"
echo "machine section says whether this one is) a process woken on a CPU that was idle waits for the"
echo "hypervisor to run that CPU again. rb's fresh path wakes one process more than the hop's: the"
echo "learner, which holds the world's answer until its addresses are in the policy."
echo
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	{
		echo "| price of confinement: TCP | confined >= 90% of unconfined | $(pct "${RES[iperf]}") | $ok_tput |"
		echo "| price of confinement: new flows | confined >= 80% of unconfined | $(pct "${RES[flows]}") | $ok_flows |"
		echo "| price of confinement: DNS p99 | repeated names <= 1.2x direct, fresh <= 2x | ${RES[cached-p99]}x, ${RES[fresh-p99]}x (a plain dnsmasq hop, no rb: ${RES[hop-plain-p99]}x) | $([ "$ok_cached$ok_fresh" = PASSPASS ] && echo PASS || echo FAIL) |"
	} >>"$RB_BENCH_SUMMARY"
fi

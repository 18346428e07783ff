#!/bin/bash
# make bench: every benchmark in one run, side by side with the
# alternatives, written to bench/RESULTS.md (RB_BENCH_OUT) and printed.
# Progress goes to stderr. Exit 0 when every measurement ran (a missed
# target is reported, not an error), 1 when one could not be made.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

OUT=${RB_BENCH_OUT:-$RB_TOP/bench/RESULTS.md}
HERE=$RB_TOP/bench

# One make bench at a time: they would share the rbbench moniker.
exec 9>/run/rb-bench.lock
flock -n 9 || die "another make bench is running"
bench_on_exit 'rm -f /run/rb-bench.lock'

for c in rb-fw-apply rb-net-create rb-sentryd; do
	[ -x "$RB_BIN/$c" ] || die "$RB_BIN/$c missing: run make"
done
for i in sentry bottle world; do
	podman image exists "localhost/rb-$i:latest" || die "localhost/rb-$i:latest missing: run make images"
done
bench_bottle_exists && die "$BENCH_MONIKER is up already (left over? bash mk/bottle.sh stop with moniker $BENCH_MONIKER)"

export RB_BENCH_SUMMARY=$BENCH_TMP/summary
: >"$RB_BENCH_SUMMARY"
SECTIONS=$BENCH_TMP/sections
: >"$SECTIONS"
errors=0
start=$SECONDS
MACHINE=$(bench_machine)

# section NAME SCRIPT: runs one bench; a failure is recorded and the run goes on.
section() {
	local name=$1 script=$2 out=$BENCH_TMP/section.md
	say "== $name"
	if bash "$HERE/$script" >"$out"; then
		cat "$out" >>"$SECTIONS"
	else
		errors=$((errors + 1))
		printf '## %s\n\n**Not measured**: bench/%s failed (its messages are on stderr of `make bench`).\n\n' \
			"$name" "$script" >>"$SECTIONS"
		echo "| $name | | bench/$script failed | ERROR |" >>"$RB_BENCH_SUMMARY"
	fi
}

bench_world_up
section "Rule application" fw.sh
section "Rule application, nft backend" fw_nft.sh
section "Resolver" dns.sh
section "Bring-up" bringup.sh
# Throughput and rb-verify share one bench bottle.
NP=$BENCH_TMP/np-1.mk
bench_bottle_up "$NP"
export RB_BENCH_BOTTLE_UP=1
section "Forwarding throughput" throughput.sh
section "New flows, nft backend" throughput_nft.sh
section "Price of confinement" confine.sh
section "Many bottles" fleet.sh
section "Policy change on a live bottle" live.sh
section "rb-verify" verify.sh

elapsed=$((SECONDS - start))
{
	echo "# rb benchmarks"
	echo
	echo "Reproduce (as root, on a host set up with \`make deps\` and \`make images\`):"
	echo
	echo '```'
	echo "make bench"
	echo '```'
	echo
	echo "It builds rb, starts the simulated world if it is not running, measures everything below"
	echo "in one run ($((elapsed / 60)) min $((elapsed % 60)) s this time), removes everything it created and writes"
	echo "this file. Only ratios measured side by side in the same run mean something: this is a"
	echo "shared 2-core VM whose load comes and goes, so absolute times are noise. Nothing leaves"
	echo "the machine: rule application and the resolver run in netns the bench creates, other traffic"
	echo "goes only from the bench bottle to the simulated world. Knobs (environment): RB_BENCH_REPS,"
	echo "RB_BENCH_SIZES, RB_BENCH_LOOP_MAX, RB_BENCH_TPUT_REPS, RB_BENCH_IPERF_SECS, RB_BENCH_FLOWS,"
	echo "RB_BENCH_BRINGUP_REPS, RB_BENCH_VERIFY_REPS, RB_BENCH_VERIFY_GAP, RB_BENCH_NFT_SIZES,"
	echo "RB_BENCH_NFT_REPS, RB_BENCH_DNS_QUERIES, RB_BENCH_DNS_ROUNDS, RB_BENCH_DNS_RATE,"
	echo "RB_BENCH_DNS_QPS_QUERIES, RB_BENCH_DNS_OUTSTANDING, RB_BENCH_LIVE_REPS, RB_BENCH_LIVE_SECS."
	echo "\`make check\` has no timing asserts; these"
	echo "targets live here only."
	echo
	echo "## Machine"
	echo
	echo "$MACHINE"
	echo
	echo "## Targets"
	echo
	echo "| measure | target | result | verdict |"
	echo "|---|---|---|:---:|"
	cat "$RB_BENCH_SUMMARY"
	echo
	cat "$SECTIONS"
} >"$OUT.new"
mv "$OUT.new" "$OUT"
cat "$OUT"
say "written to ${OUT#"$RB_TOP"/} in ${elapsed}s"
[ "$errors" -eq 0 ] || die "$errors benchmark(s) could not be measured"

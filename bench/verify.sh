#!/bin/bash
# rb-verify's full default probe set on the running bench bottle (1 CIDR,
# nsproto's policy): wall time of `rb-verify --nameplate FILE`, median.
# A REJECTed probe or one to an address nobody owns is answered by an ICMP
# error, which the kernel that sends it rate-limits per destination
# (net.ipv4.icmp_ratelimit: a burst, then one a second); a probe whose
# error was suppressed waits for rb-verify's batch deadline. A user runs
# rb-verify now and then, so the headline runs are spaced by GAP seconds
# (the budget refills); back-to-back runs are reported too, with the
# probes that waited. Checks without probes (--no-default-probes) show
# the fixed cost (podman inspect, rules, routes).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

REPS=${RB_BENCH_VERIFY_REPS:-5}
GAP=${RB_BENCH_VERIFY_GAP:-7}
TARGET_MS=1000

if [ ! -x "$RB_BIN/rb-verify" ]; then
	echo "## rb-verify"
	echo
	echo "**rb-verify not built** ($RB_BIN/rb-verify is missing): not measured."
	echo
	[ -z "${RB_BENCH_SUMMARY:-}" ] ||
		echo "| rb-verify | full default probe set under 1 s | rb-verify not built | NOT RUN |" >>"$RB_BENCH_SUMMARY"
	exit 0
fi

NP=$BENCH_TMP/np-1.mk
bench_bottle_up "$NP"
"$RB_BIN/rb-fw-apply" --nameplate "$NP" >/dev/null || die "cannot apply the 1-CIDR policy"

# timed FILE ARGS...: one run of rb-verify, its time appended to FILE; the
# exit status is kept (3 = a check failed, which is reported, not fatal).
timed() {
	local out=$1 t0 rc=0
	shift
	now_us; t0=$REPLY
	"$RB_BIN/rb-verify" --nameplate "$NP" "$@" >/dev/null 2>"$BENCH_TMP/verify.err" || rc=$?
	now_us
	case $rc in
	0 | 3) ;;
	*) die "rb-verify exited $rc: $(cat "$BENCH_TMP/verify.err")" ;;
	esac
	echo $((REPLY - t0)) >>"$out"
	echo "$rc" >>"$out.rc"
}

say "rb-verify: warm-up and one --json run"
timed "$BENCH_TMP/warm"
sleep "$GAP"
rc=0
"$RB_BIN/rb-verify" --nameplate "$NP" --json >"$BENCH_TMP/verify.json" 2>/dev/null || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || die "rb-verify --json exited $rc"

for v in spaced b2b checks; do : >"$BENCH_TMP/t-$v"; : >"$BENCH_TMP/t-$v.rc"; done
for ((r = 1; r <= REPS; r++)); do
	say "rb-verify round $r: spaced by ${GAP}s"
	sleep "$GAP"
	timed "$BENCH_TMP/t-spaced"
done
for ((r = 1; r <= REPS; r++)); do timed "$BENCH_TMP/t-b2b"; done
"$RB_BIN/rb-verify" --nameplate "$NP" --json >"$BENCH_TMP/verify-b2b.json" 2>/dev/null || true
for ((r = 1; r <= REPS; r++)); do timed "$BENCH_TMP/t-checks" --no-default-probes; done
# For scale: what one podman command costs here (rb-verify asks podman to
# find the containers' netns and the enclave).
: >"$BENCH_TMP/t-podman"
for ((r = 1; r <= REPS; r++)); do
	now_us; t0=$REPLY
	podman container inspect "$BENCH_BOTTLE" >/dev/null
	now_us; echo $((REPLY - t0)) >>"$BENCH_TMP/t-podman"
done

declare -A MED MIN MAX
for v in spaced b2b checks podman; do
	MED[$v]=$(median "$BENCH_TMP/t-$v")
	MIN[$v]=$(sort -n "$BENCH_TMP/t-$v" | head -1)
	MAX[$v]=$(sort -n "$BENCH_TMP/t-$v" | tail -1)
done
OK=$(passfail le "${MED[spaced]}" $((TARGET_MS * 1000)))
n_probes=$(jq '.probes | length' "$BENCH_TMP/verify.json")
n_checks=$(jq '.checks | length' "$BENCH_TMP/verify.json")
row() { printf '| %s | %s ms | %s–%s ms | %s |\n' "$1" "$(ms "${MED[$2]}")" "$(ms "${MIN[$2]}")" "$(ms "${MAX[$2]}")" "$3"; }
verdicts() { sort "$BENCH_TMP/t-$1.rc" | uniq -c | awk '{ printf "%s%sx exit %s", (NR > 1 ? ", " : ""), $1, $2 }'; }

echo "## rb-verify"
echo
echo "\`rb-verify --nameplate FILE\` on the running bench bottle: $n_checks state checks and $n_probes default probes"
echo "(nsproto's policy). $REPS runs each."
echo
echo "| run | median | range | exit status |"
echo "|---|---:|---:|---|"
row "full default probe set, runs ${GAP} s apart (headline)" spaced "$(verdicts spaced)"
row "full default probe set, back to back" b2b "$(verdicts b2b)"
row "state checks only (\`--no-default-probes\`)" checks "$(verdicts checks)"
row "for scale: one \`podman container inspect\`" podman "-"
echo
echo "Target: the full default probe set under 1 s: **$(ms "${MED[spaced]}") ms, $OK**."
slow() { jq -r '.probes | map(select(.elapsed_ms >= 1000)) | .[] | "- \(.kind) \(.target): \(.elapsed_ms) ms, \(.observed)"' "$1" 2>/dev/null || true; }
for f in verify verify-b2b; do
	w=$(slow "$BENCH_TMP/$f.json")
	[ -n "$w" ] || continue
	[ $f = verify ] && echo "Probes that waited 1 s or more in a spaced \`--json\` run:" ||
		echo "Probes that waited 1 s or more in a back-to-back \`--json\` run (an ICMP error that was rate-limited"
	[ $f = verify ] || echo "is never seen: the probe waits for the batch deadline, \`--timeout\`):"
	echo
	echo "$w"
	echo
done
failed=$(jq -r '[.checks[], .probes[]] | map(select(.ok == false)) | .[] | "- \(.kind // .name // "check") \(.target // .subject // ""): expected \(.expect // "?"), observed \(.observed // "?")\(if .note then " (\(.note))" else "" end)"' "$BENCH_TMP/verify.json")
if [ -n "$failed" ]; then
	echo "rb-verify reported a failure in this setup (exit 3; the time is measured all the same):"
	echo
	echo "$failed"
	echo
fi
if [ -n "${RB_BENCH_SUMMARY:-}" ]; then
	echo "| rb-verify | full default probe set under 1 s | $(ms "${MED[spaced]}") ms | $OK |" >>"$RB_BENCH_SUMMARY"
fi

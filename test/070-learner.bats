#!/usr/bin/env bats
# The sentry's runtime (rb-sentryd, PID 1 of the sentry): dnsmasq without
# any capability, the learner that opens the answers of allowed names before
# the bottle gets them (NFQUEUE, RB-DNS with timeouts), and the denial log
# (NFLOG). A real bottle and sentry on the simulated world, under the suite
# lock. The world answers every h<a-b-c-d>.rot.anthropic.com with a.b.c.d
# in 160.79.112.0/20 (all of it its own, outside the nameplate's CIDRs) and
# *.rebind.anthropic.com with private, loopback and metadata addresses.
#
# Its own nameplate (lrn, 10.242.7.0/24, entry 8897) made from nsproto, with
# answers kept for TTL clamped to [TTL, TTL] seconds so that expiry shows.

load helpers

M=lrn
SENTRY_IP=10.242.7.2
BOTTLE_IP=10.242.7.3
ENTRY=8897
TTL=6
S=rb-$M-sentry
B=rb-$M-bottle

bottle() { (cd "$RB_TOP" && RB_BIN=$RB_BIN RB_LEARN_TTL_MIN=$TTL RB_LEARN_TTL_MAX=$TTL bash mk/bottle.sh "$@"); }
pid_of() { podman inspect -f '{{.State.Pid}}' "$1"; }
rb_make() {
    local san=
    case $RB_BIN in */build-san/*) san=SAN=1 ;; esac
    RB_LEARN_TTL_MIN=$TTL RB_LEARN_TTL_MAX=$TTL \
        make -s -C "$RB_TOP" --no-print-directory "$@" NAMEPLATE="$NP" RB_BIN="$RB_BIN" $san
}
refresh() {
    export SPID BPID
    SPID=$(pid_of $S)
    BPID=$(pid_of $B)
}
# rot NUMBER: a fresh name of the rotating zone and the address it answers
rot_addr() { echo "160.79.$((112 + $1 / 250)).$((1 + $1 % 250))"; }
rot_name() { local a; a=$(rot_addr "$1"); echo "h${a//./-}.rot.anthropic.com"; }
rb_dns_set() { nsenter -t "$SPID" -n ipset list RB-DNS; }
learner_bound() {
    nsenter -t "$SPID" -n cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | awk '$1 == 0 {f = 1} END {exit !f}'
}
denials() { cat "/proc/$SPID/root/var/log/rb/denials/denials.jsonl"; }
# each test picks its own part of the rotating zone. (Its index is not
# named i: with bats 1.8.2, after a failed `run`, $(rot_name $i) read i as
# 2, the start of bats' own stack-trace loop over i.)
base() { echo $((BATS_TEST_NUMBER * 1000 % 3000)); }

setup_file() {
    rb_require_images
    bash "$RB_TOP/mk/world.sh" start >/dev/null
    export NP=$BATS_FILE_TMPDIR/$M.mk
    sed -e "s/^RBRN_MONIKER .*/RBRN_MONIKER = $M/" -e 's/10\.242\.0\./10.242.7./g' \
        -e "s/^RBRN_ENTRY_PORT_WORKSTATION .*/RBRN_ENTRY_PORT_WORKSTATION = $ENTRY/" \
        "$RB_TOP/nameplates/nsproto.mk" >"$NP"
    bottle stop "$NP" >/dev/null 2>&1 || true
    bottle start "$NP" >/dev/null
}

teardown_file() {
    bottle stop "$NP" >/dev/null 2>&1 || true
}

setup() {
    if [ "$(podman inspect -f '{{.State.Running}}' $S 2>/dev/null)" != true ]; then
        bottle stop "$NP" >/dev/null 2>&1 || true
        bottle start "$NP" >/dev/null
    fi
    refresh
    learner_bound || rb_make bottle-reapply >/dev/null
    refresh
}

@test "dnsmasq has no capability at all; the learner NET_ADMIN only; the log none" {
    local dns lrn log
    dns=$(rb_sentryd_child "$SPID" dnsmasq) || fail "no dnsmasq under rb-sentryd"
    lrn=$(rb_sentryd_child "$SPID" rb-learner) || fail "no learner under rb-sentryd"
    log=$(rb_sentryd_child "$SPID" rb-denials) || fail "no denial log under rb-sentryd"
    run cat /proc/$SPID/comm
    assert_output rb-sentryd
    # after binding: dnsmasq answers on port 53 and holds nothing
    run nsenter -t "$SPID" -n ss -Hlunp "sport = :53"
    assert_output --partial "pid=$dns,"
    # as the image's dnsmasq user, whose uid its package picked (999 on
    # bookworm and trixie, 996 on sid)
    local duid
    duid=$(awk -F: '$1 == "dnsmasq" {print $3}' "/proc/$SPID/root/etc/passwd")
    [ -n "$duid" ] && [ "$duid" -ne 0 ] || fail "no dnsmasq user in the sentry image"
    run grep -E '^(Uid|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):' /proc/$dns/status
    assert_line --regexp "^Uid:[[:space:]]+$duid[[:space:]]"
    assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapPrm:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapBnd:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapAmb:[[:space:]]+0000000000000000$'
    assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
    # dnsmasq fills no set: that was what kept CAP_NET_ADMIN in it
    run cat /proc/$dns/cmdline
    refute_output --partial ipset
    run nsenter -t "$SPID" -m cat /proc/$dns/root/etc/rb/dnsmasq.conf
    refute_output --partial "ipset="
    # the learner: its own uid, CAP_NET_ADMIN (bit 12) and nothing else
    run grep -E '^(Uid|CapEff|CapPrm|CapBnd):' /proc/$lrn/status
    assert_line --regexp '^Uid:[[:space:]]+990[[:space:]]'
    assert_line --regexp '^CapEff:[[:space:]]+0000000000001000$'
    assert_line --regexp '^CapPrm:[[:space:]]+0000000000001000$'
    assert_line --regexp '^CapBnd:[[:space:]]+0000000000001000$'
    # the denial log reads packets the bottle sent: nothing at all
    run grep -E '^(Uid|CapEff|CapPrm|CapBnd):' /proc/$log/status
    assert_line --regexp '^Uid:[[:space:]]+991[[:space:]]'
    assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapPrm:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapBnd:[[:space:]]+0000000000000000$'
    run --separate-stderr podman inspect -f '{{json .EffectiveCaps}}' $S
    refute_output --partial NET_BIND_SERVICE
}

@test "1,000 fresh names, each answered with another address, each connected at once: 0 failures" {
    local b n=1000 idx script
    b=$(base)
    script=$(for ((idx = b; idx < b + n; idx++)); do
        printf 'a=$(dig +short +time=2 +tries=1 %s); [ "$a" = %s ] && nc -w 2 -z "$a" 443 || echo "FAIL %s $a"\n' \
            "$(rot_name $idx)" "$(rot_addr $idx)" "$(rot_name $idx)"
    done)
    run --separate-stderr podman exec -i $B sh -s <<<"$script"
    assert_success
    assert_output ""
    # the world saw each connection arrive (the entries have expired by
    # now: answers live for $TTL s in this file)
    run --separate-stderr bash -c "podman exec rb-world cat /var/log/world/tcp-443.log | grep -cE 'on AF=2 160\.79\.(11[2-9]|12[0-7])\.'"
    [ "$output" -ge $n ] || fail "the world saw $output of the $n connections"
}

@test "DNS over TCP is learned the same way" {
    local idx a
    idx=$(($(base) + 7))
    a=$(rot_addr $idx)
    run --separate-stderr podman exec $B nc -w 2 -z "$a" 443
    assert_failure
    run --separate-stderr podman exec $B dig +tcp +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    run --separate-stderr podman exec $B nc -w 2 -z "$a" 443
    assert_success
    run rb_dns_set
    assert_line --regexp "^${a//./\\.} timeout [0-9]+$"
}

@test "an answer expires after its timeout: a new flow is rejected, an established one goes on" {
    local idx a
    idx=$(($(base) + 3))
    a=$(rot_addr $idx)
    run --separate-stderr podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    run rb_dns_set
    assert_line --regexp "^${a//./\\.} timeout [1-$TTL]$"
    # a flow that outlives the entry (iperf3 to the world, 3 * TTL seconds)
    # (bounded: a cut flow makes iperf3 retransmit for minutes; fd 3 closed,
    # or bats would wait for it)
    timeout $((3 * TTL + 20)) podman exec $B iperf3 -c "$a" -t $((3 * TTL)) -J \
        >"$BATS_TEST_TMPDIR/iperf.json" 2>/dev/null 3>&- &
    local flow=$!
    sleep $((TTL + 2))
    run rb_dns_set
    refute_output --partial "$a "
    run --separate-stderr podman exec $B sh -c "exec nc -v -w 2 -z $a 443 2>&1"
    assert_failure
    assert_output --partial "refused"
    wait $flow || fail "the established flow was cut: $(cat "$BATS_TEST_TMPDIR/iperf.json")"
    run jq -e '.end.sum_received.bytes > 0 and .end.sum_received.seconds >= '$((3 * TTL - 1)) "$BATS_TEST_TMPDIR/iperf.json"
    assert_success
}

@test "rebinding: allowed names answering private, loopback, metadata or host addresses open nothing" {
    local n
    for n in x.rebind.anthropic.com lo.rebind.anthropic.com meta.rebind.anthropic.com host.rebind.anthropic.com; do
        run --separate-stderr podman exec $B dig +short +time=2 +tries=1 "$n"
        [ -n "$output" ] || fail "no answer for $n"
    done
    run rb_dns_set
    refute_output --partial "10.0.0.1"
    refute_output --partial "127.0.0.1"
    refute_output --partial "169.254.169.254"
    refute_output --partial "10.243.0.1"
    run --separate-stderr podman exec $B sh -c "exec nc -v -w 2 -z 169.254.169.254 80 2>&1"
    assert_failure
    assert_output --partial refused
}

@test "the learner killed: nothing new opens, status and rb-verify say so, reapply restores; flows survive" {
    local idx a b lrn
    idx=$(($(base) + 11))
    a=$(rot_addr $idx)
    b=$(rot_addr $((idx + 1)))
    run --separate-stderr podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    timeout 40 podman exec $B iperf3 -c "$a" -t 12 -J >"$BATS_TEST_TMPDIR/iperf.json" 2>/dev/null 3>&- &
    local flow=$!
    sleep 1
    lrn=$(rb_sentryd_child "$SPID" rb-learner) || fail "no learner"
    kill -KILL "$lrn"
    for _ in $(seq 50); do learner_bound || break; sleep 0.1; done
    run learner_bound
    assert_failure
    # fail closed: the reply is dropped, its address never enters the set
    run --separate-stderr podman exec $B dig +short +time=2 +tries=1 "$(rot_name $((idx + 1)))"
    refute_output "$b"
    run rb_dns_set
    refute_output --partial "$b "
    run --separate-stderr podman exec $B nc -w 2 -z "$b" 443
    assert_failure
    run bottle status "$NP"
    assert_failure 3
    assert_line --partial "learner: NOT running"
    run "$RB_BIN/rb-verify" --nameplate "$NP" --json
    assert_failure 3
    run jq -e '.checks[] | select(.name == "learner") | .ok == false' <<<"$output"
    assert_success
    run rb_make bottle-reapply
    assert_success
    run learner_bound
    assert_success
    run bottle status "$NP"
    assert_success
    assert_line --regexp "^learner: running \(pid [0-9]+\), bound to NFQUEUE 0$"
    run --separate-stderr podman exec $B dig +short +time=2 +tries=1 "$(rot_name $((idx + 1)))"
    assert_output "$b"
    run --separate-stderr podman exec $B nc -w 2 -z "$b" 443
    assert_success
    wait $flow || fail "the established flow was cut: $(cat "$BATS_TEST_TMPDIR/iperf.json")"
    run jq -e '.end.sum_received.seconds >= 11' "$BATS_TEST_TMPDIR/iperf.json"
    assert_success
}

@test "the denial log: a blocked connection and a blocked name, with the deciding rule ids" {
    local t
    t=$(printf 'lrn%s' "$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')")
    run --separate-stderr podman exec $B nc -w 2 -z 198.51.100.7 443
    assert_failure
    run --separate-stderr podman exec $B dig +time=2 +tries=1 "$t.google.com"
    assert_output --partial NXDOMAIN
    run --separate-stderr podman exec $B dig +short +time=2 +tries=1 meta.rebind.anthropic.com
    assert_output 169.254.169.254
    run --separate-stderr podman exec $B nc -w 2 -z 169.254.169.254 80
    assert_failure
    sleep 1.5
    # the JSON lines the log wrote, and the kernel's counters behind them
    run denials
    assert_line --regexp '"proto":"tcp","src":"10\.242\.7\.3","dst":"198\.51\.100\.7","port":443,"rule":"rb:reject"'
    assert_line --regexp "\"proto\":\"dns\",\"name\":\"$t\\.google\\.com\",\"qtype\":1,\"rule\":\"rb:dns-refused\""
    assert_line --regexp '"dst":"169\.254\.169\.254","port":80,"rule":"rb:never-private","name":"meta\.rebind\.anthropic\.com"'
    run bash -c "nsenter -t $SPID -n iptables-legacy-save -c -t filter | grep -E 'rb:(reject|never-private)\"' | grep -vc '^\[0:'"
    [ "$output" -ge 2 ]
    run rb_make bottle-log JSON=1
    assert_success
    run jq -e -s 'map(select(.rule == "rb:reject" and .dst == "198.51.100.7")) | length >= 1' <<<"$output"
    assert_success
    run rb_make bottle-log
    assert_success
    assert_line --regexp '^[0-9T:.-]+Z +tcp +198\.51\.100\.7 +443 +rb:reject +-$'
    assert_line --regexp "^[0-9T:.-]+Z +dns +- +- +rb:dns-refused +$t\\.google\\.com$"
    run rb_make bottle-suggest
    assert_success
    assert_line --regexp "^RBRN_UPLINK_ALLOWED_DOMAINS = anthropic\\.com .*$t\\.google\\.com"
    assert_line --regexp '^RBRN_UPLINK_ALLOWED_CIDRS = 160\.79\.104\.0/23 .*198\.51\.100\.7/32'
    # never applied
    run grep -c google "$NP"
    assert_output 0
    run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --check
    assert_success
}

@test "100,000 blocked packets in a burst: the log stays bounded, the sentry answers DNS" {
    local idx a before
    before=$(nsenter -t "$SPID" -n iptables-legacy-save -c -t filter | grep -- '--comment "rb:reject" -j REJECT' | sed -E 's/^\[([0-9]+):.*/\1/')
    # as the bottle's uid, from its netns: 100,000 UDP datagrams to an
    # address no policy allows
    nsenter -t "$BPID" -n setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all \
        /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(100000):
    try:
        s.sendto(b"x", ("198.51.100.7", 5000 + i % 100))
    except OSError:
        pass
'
    run bash -c "nsenter -t $SPID -n iptables-legacy-save -c -t filter | grep -- '--comment \"rb:reject\" -j REJECT' | sed -E 's/^\\[([0-9]+):.*/\\1/'"
    [ $((output - before)) -ge 90000 ] || fail "rb:reject counted only $((output - before)) packets"
    # the sentry still answers, at once
    idx=$(($(base) + 21))
    a=$(rot_addr $idx)
    run --separate-stderr podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    run --separate-stderr podman exec $B nc -w 2 -z "$a" 443
    assert_success
    sleep 2
    # bounded: two files of at most 512 KiB, a line per record the rate allowed
    run bash -c "du -b /proc/$SPID/root/var/log/rb/denials/* | awk '{s += \$1} END {print s}'"
    [ "$output" -le $((2 * 524288)) ] || fail "the log holds $output bytes"
    run bash -c "cat /proc/$SPID/root/var/log/rb/denials/* | grep -c '\"dst\":\"198.51.100.7\"'"
    [ "$output" -lt 5000 ] || fail "$output lines for a burst the kernel limits to 50/s"
    [ "$output" -ge 50 ] || fail "only $output lines logged"
    run --separate-stderr podman inspect -f '{{.State.Running}}' $S
    assert_output true
    run learner_bound
    assert_success
}

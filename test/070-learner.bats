#!/usr/bin/env bats
# The sentry's runtime (rb-sentryd, PID 1 of the sentry): dnsmasq without
# any capability, the learner that opens the answers of allowed names before
# the bottle gets them (NFQUEUE, RB-DNS with timeouts), and the denial log
# (NFLOG). A real bottle and sentry on the simulated world, under the suite
# lock. The world answers every h<a-b-c-d>.rot.anthropic.com with a.b.c.d
# in 160.79.112.0/20 (all of it its own, outside the nameplate's CIDRs) and
# *.rebind.anthropic.com with private, loopback and metadata addresses.
# What the world cannot do (answers with a TTL: its own are 0, so the
# sentry caches nothing; log records past the kernel's limit) runs against
# rb-sentryd in a bottle/sentry/world of netns (test/helpers.bash).
#
# Its own nameplate (lrn, 10.242.7.0/24, entry 8897) made from nsproto, with
# answers kept for TTL clamped to [TTL, TTL] seconds so that expiry shows:
# 6 s, longer on a slow machine (RB_TEST_SLOW, test/helpers.bash) where a
# few podman execs take that long.
#
# On both backends (make check RB_FW_BACKEND=nft). The learner sits in the
# path through a queue rule; a kernel whose nftables has no queue
# (CONFIG_NFT_QUEUE not set, probed at run time: rb_nft_has_queue) has none
# on nft: there its tests skip, and one shows that an allowed name then
# opens nothing.

load helpers

M=lrn
SENTRY_IP=10.242.7.2
BOTTLE_IP=10.242.7.3
ENTRY=8897
TTL=$((6 * RB_SLOW))
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
    SX=(nsenter -t "$SPID" -n)
}
# rot NUMBER: a fresh name of the rotating zone and the address it answers
rot_addr() { echo "160.79.$((112 + $1 / 250)).$((1 + $1 % 250))"; }
rot_name() { local a; a=$(rot_addr "$1"); echo "h${a//./-}.rot.anthropic.com"; }
# milliseconds of the clock, to time reads of entries that count down
ms_now() { echo $(($(date +%s%N) / 1000000)); }
# set_list SET: the elements of the sentry's SET (SX runs a command in its
# netns), one a line: "ADDR timeout SECONDS-LEFT comment "TAG"" (the
# question it was learned from), or "ADDR" in a set without timeouts; read
# with the backend's own tool
set_list() {
    if [ "$BACKEND" = nft ]; then
        "${SX[@]}" nft -j list set inet rb "$1" | jq -r '.nftables[].set? | select(.) | .elem[]? |
            if type == "object" then "\(.elem.val) timeout \(.elem.expires // .elem.timeout)" +
                (if .elem.comment then " comment \"\(.elem.comment)\"" else "" end) else tostring end'
    else
        "${SX[@]}" ipset list "$1" | sed '1,/^Members:/d'
    fi
}
rb_dns_set() { set_list RB-DNS; }
# entry_timeout ADDR: the seconds left to ADDR's entry in RB-DNS
entry_timeout() { set_list RB-DNS | awk -v a="$1" '$1 == a && $2 == "timeout" { print $3 }'; }
learner_bound() {
    "${SX[@]}" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | awk '$1 == 0 {f = 1} END {exit !f}'
}
# bound, and not stopped (a test that stopped it may have failed)
learner_ok() {
    local l
    learner_bound && l=$(rb_sentryd_child "$SPID" rb-learner) &&
        ! grep -qE '^State:[[:space:]]+[tTZ]' "/proc/$l/status"
}
denials() { cat "/proc/$SPID/root/var/log/rb/denials/denials.jsonl"; }
# each test picks its own part of the rotating zone. (Its index is not
# named i: with bats 1.8.2, after a failed `run`, $(rot_name $i) read i as
# 2, the start of bats' own stack-trace loop over i.)
base() { echo $((BATS_TEST_NUMBER * 1000 % 3000)); }

setup_file() {
    rb_require_images
    export BACKEND LEARNS=1
    BACKEND=$(rb_backend)
    # the kernel's word (test/helpers.bash): does nft take a queue rule?
    if [ "$BACKEND" = nft ]; then
        local rc=0
        rb_nft_has_queue || rc=$?
        case $rc in
        0) ;;
        1) rb_fail_if_learner_required; LEARNS=0 ;;
        *) fail "cannot ask the kernel whether nftables has a queue" ;;
        esac
    fi
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
    learner_ok || rb_make bottle-reapply >/dev/null
    refresh
}

teardown() {
    # the host address test's link, should it have failed half way
    if ip link show rbt-lrnhost >/dev/null 2>&1; then
        ip link del rbt-lrnhost
        rb_make bottle-reapply >/dev/null 2>&1 || true
    fi
    rb_default_teardown
}

@test "dnsmasq has no capability at all; the learner NET_ADMIN only; the log none" {
    local dns lrn log
    dns=$(rb_sentryd_child "$SPID" dnsmasq) || fail "no dnsmasq under rb-sentryd"
    lrn=$(rb_sentryd_child "$SPID" rb-learner) || fail "no learner under rb-sentryd"
    log=$(rb_sentryd_child "$SPID" rb-denials) || fail "no denial log under rb-sentryd"
    rb_run cat /proc/$SPID/comm
    assert_output rb-sentryd
    # after binding: dnsmasq answers on port 53 and holds nothing
    rb_run '?' nsenter -t "$SPID" -n ss -Hlunp "sport = :53"
    assert_output --partial "pid=$dns,"
    # as the image's dnsmasq user, whose uid its package picked (999 on
    # bookworm and trixie, 996 on sid)
    local duid
    duid=$(awk -F: '$1 == "dnsmasq" {print $3}' "/proc/$SPID/root/etc/passwd")
    [ -n "$duid" ] && [ "$duid" -ne 0 ] || fail "no dnsmasq user in the sentry image"
    rb_run grep -E '^(Uid|CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs):' /proc/$dns/status
    assert_line --regexp "^Uid:[[:space:]]+$duid[[:space:]]"
    assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapPrm:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapBnd:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapAmb:[[:space:]]+0000000000000000$'
    assert_line --regexp '^NoNewPrivs:[[:space:]]+1$'
    # dnsmasq fills no set: that was what kept CAP_NET_ADMIN in it
    rb_run cat /proc/$dns/cmdline
    refute_output --partial ipset
    rb_run '?' nsenter -t "$SPID" -m cat /proc/$dns/root/etc/rb/dnsmasq.conf
    refute_output --partial "ipset="
    # the learner: its own uid, CAP_NET_ADMIN (bit 12) and nothing else
    rb_run grep -E '^(Uid|CapEff|CapPrm|CapBnd):' /proc/$lrn/status
    assert_line --regexp '^Uid:[[:space:]]+990[[:space:]]'
    assert_line --regexp '^CapEff:[[:space:]]+0000000000001000$'
    assert_line --regexp '^CapPrm:[[:space:]]+0000000000001000$'
    assert_line --regexp '^CapBnd:[[:space:]]+0000000000001000$'
    # the denial log reads packets the bottle sent: nothing at all
    rb_run grep -E '^(Uid|CapEff|CapPrm|CapBnd):' /proc/$log/status
    assert_line --regexp '^Uid:[[:space:]]+991[[:space:]]'
    assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapPrm:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapBnd:[[:space:]]+0000000000000000$'
    rb_run --separate-stderr podman inspect -f '{{json .EffectiveCaps}}' $S
    refute_output --partial NET_BIND_SERVICE
}

@test "1,000 fresh names, each answered with another address, each connected at once: 0 failures" {
    rb_need_learner
    # fewer where commands are costly (RB_TEST_SHRINK: check-vm's guest
    # spends 2 s on a name), with waits grown on a slow machine
    local b n=$((1000 / RB_SHRINK)) w=$((2 * RB_SLOW)) idx script
    b=$(base)
    script=$(for ((idx = b; idx < b + n; idx++)); do
        printf 'a=$(dig +short +time=%s +tries=1 %s); [ "$a" = %s ] && nc -w %s -z "$a" 443 || echo "FAIL %s $a"\n' \
            "$w" "$(rot_name $idx)" "$(rot_addr $idx)" "$w" "$(rot_name $idx)"
    done)
    rb_run --separate-stderr podman exec -i $B sh -s <<<"$script"
    assert_output ""
    # the world saw each connection arrive (the entries have expired by
    # now: answers live for $TTL s in this file)
    rb_run --separate-stderr '?' bash -c "podman exec rb-world cat /var/log/world/tcp-443.log | grep -cE 'on AF=2 160\.79\.(11[2-9]|12[0-7])\.'"
    [ "$output" -ge $n ] || fail "the world saw $output of the $n connections"
}

@test "DNS over TCP is learned the same way" {
    rb_need_learner
    local idx a
    idx=$(($(base) + 7))
    a=$(rot_addr $idx)
    rb_run --separate-stderr '?' podman exec $B nc -w 2 -z "$a" 443
    assert_failure
    rb_run --separate-stderr '?' podman exec $B dig +tcp +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    rb_run --separate-stderr podman exec $B nc -w 2 -z "$a" 443
    rb_run '?' rb_dns_set
    assert_line --regexp "^${a//./\\.} timeout [0-9]+ comment \"$(rot_name $idx)\"$"
}

@test "an answer expires after its timeout: a new flow is rejected, an established one goes on" {
    rb_need_learner
    local idx a
    idx=$(($(base) + 3))
    a=$(rot_addr $idx)
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    # tagged with its question; its seconds left (no [1-$TTL]: TTL may have
    # two digits) between 1 and TTL
    rb_run '?' rb_dns_set
    assert_line --regexp "^${a//./\\.} timeout [0-9]+ comment \"$(rot_name $idx)\"$"
    local left
    left=$(entry_timeout "$a")
    [ -n "$left" ] && [ "$left" -ge 1 ] && [ "$left" -le "$TTL" ] ||
        fail "$a: timeout \"$left\", not 1 to $TTL s: $(rb_dns_set)"
    # a flow that outlives the entry (iperf3 to the world, 3 * TTL seconds)
    # (bounded: a cut flow makes iperf3 retransmit for minutes; fd 3 closed,
    # or bats would wait for it)
    timeout $((3 * TTL + 20)) podman exec $B iperf3 -c "$a" -t $((3 * TTL)) -J \
        >"$BATS_TEST_TMPDIR/iperf.json" 2>/dev/null 3>&- &
    local flow=$!
    sleep $((TTL + 2))
    rb_run '?' rb_dns_set
    refute_output --partial "$a "
    rb_run --separate-stderr '?' podman exec $B sh -c "exec nc -v -w 2 -z $a 443 2>&1"
    assert_failure
    assert_output --partial "refused"
    wait $flow || fail "the established flow was cut: $(cat "$BATS_TEST_TMPDIR/iperf.json")"
    rb_run jq -e '.end.sum_received.bytes > 0 and .end.sum_received.seconds >= '$((3 * TTL - 1)) "$BATS_TEST_TMPDIR/iperf.json"
}

@test "rebinding: allowed names answering private, loopback, metadata or host addresses open nothing" {
    rb_need_learner
    local n
    for n in x.rebind.anthropic.com lo.rebind.anthropic.com meta.rebind.anthropic.com host.rebind.anthropic.com; do
        rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$n"
        [ -n "$output" ] || fail "no answer for $n"
    done
    rb_run '?' rb_dns_set
    refute_output --partial "10.0.0.1"
    refute_output --partial "127.0.0.1"
    refute_output --partial "169.254.169.254"
    refute_output --partial "10.243.0.1"
    rb_run --separate-stderr '?' podman exec $B sh -c "exec nc -v -w 2 -z 169.254.169.254 80 2>&1"
    assert_failure
    assert_output --partial refused
}

@test "the learner killed: nothing new opens, status and rb-verify say so, reapply restores; flows survive" {
    rb_need_learner
    local idx a b lrn
    idx=$(($(base) + 11))
    a=$(rot_addr $idx)
    b=$(rot_addr $((idx + 1)))
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    # a flow that lasts past the reapply below (which takes a minute under
    # TCG: 12 s scaled by RB_SLOW)
    local secs=$((12 * RB_SLOW))
    timeout $((secs + 28)) podman exec $B iperf3 -c "$a" -t $secs -J >"$BATS_TEST_TMPDIR/iperf.json" 2>/dev/null 3>&- &
    local flow=$!
    sleep 1
    lrn=$(rb_sentryd_child "$SPID" rb-learner) || fail "no learner"
    kill -KILL "$lrn"
    for _ in $(seq 50); do learner_bound || break; sleep 0.1; done
    rb_run '?' learner_bound
    assert_failure
    # fail closed: the reply is dropped, its address never enters the set
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $((idx + 1)))"
    refute_output "$b"
    rb_run '?' rb_dns_set
    refute_output --partial "$b "
    rb_run --separate-stderr '?' podman exec $B nc -w 2 -z "$b" 443
    assert_failure
    rb_run 3 bottle status "$NP"
    assert_line --partial "learner: NOT running"
    rb_run 3 "$RB_BIN/rb-verify" --nameplate "$NP" --json
    rb_run jq -e '.checks[] | select(.name == "learner") | .ok == false' <<<"$output"
    rb_run rb_make bottle-reapply
    rb_run learner_bound
    rb_run bottle status "$NP"
    assert_line --regexp "^learner: running \(pid [0-9]+\), bound to NFQUEUE 0$"
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $((idx + 1)))"
    assert_output "$b"
    rb_run --separate-stderr podman exec $B nc -w 2 -z "$b" 443
    wait $flow || fail "the established flow was cut: $(cat "$BATS_TEST_TMPDIR/iperf.json")"
    rb_run jq -e ".end.sum_received.seconds >= $((secs - 1))" "$BATS_TEST_TMPDIR/iperf.json"
}

@test "the denial log: a blocked connection and a blocked name, with the deciding rule ids" {
    local t
    t=$(printf 'lrn%s' "$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')")
    rb_run --separate-stderr '?' podman exec $B nc -w 2 -z 198.51.100.7 443
    assert_failure
    rb_run --separate-stderr '?' podman exec $B dig +time=2 +tries=1 "$t.google.com"
    assert_output --partial NXDOMAIN
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 meta.rebind.anthropic.com
    assert_output 169.254.169.254
    rb_run --separate-stderr '?' podman exec $B nc -w 2 -z 169.254.169.254 80
    assert_failure
    sleep 1.5
    # the JSON lines the log wrote, and the kernel's counters behind them;
    # names come from the log's copies of the replies (rb:reply-udp, NFLOG),
    # on every backend, nft without a queue too
    rb_run '?' denials
    assert_line --regexp '"proto":"tcp","src":"10\.242\.7\.3","dst":"198\.51\.100\.7","port":443,"rule":"rb:reject"'
    assert_line --regexp "\"proto\":\"dns\",\"name\":\"$t\\.google\\.com\",\"qtype\":1,\"rule\":\"rb:dns-refused\""
    assert_line --regexp '"dst":"169\.254\.169\.254","port":80,"rule":"rb:never-private","name":"meta\.rebind\.anthropic\.com"'
    [ "$(rb_pkts "$SPID" reject)" -ge 1 ] || fail "rb:reject counted nothing"
    [ "$(rb_pkts "$SPID" never-private)" -ge 1 ] || fail "rb:never-private counted nothing"
    rb_run rb_make bottle-log JSON=1
    rb_run jq -e -s 'map(select(.rule == "rb:reject" and .dst == "198.51.100.7")) | length >= 1' <<<"$output"
    rb_run rb_make bottle-log
    assert_line --regexp '^[0-9T:.-]+Z +tcp +198\.51\.100\.7 +443 +rb:reject +-$'
    assert_line --regexp "^[0-9T:.-]+Z +dns +- +- +rb:dns-refused +$t\\.google\\.com$"
    rb_run rb_make bottle-suggest
    assert_line --regexp "^RBRN_UPLINK_ALLOWED_DOMAINS = anthropic\\.com .*$t\\.google\\.com"
    assert_line --regexp '^RBRN_UPLINK_ALLOWED_CIDRS = 160\.79\.104\.0/23 .*198\.51\.100\.7/32'
    # never applied
    rb_run 1 grep -c google "$NP"
    assert_output 0
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --check
}

@test "100,000 blocked packets in a burst: the log stays bounded, the sentry answers DNS" {
    local idx a before after
    before=$(rb_pkts "$SPID" reject)
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
    after=$(rb_pkts "$SPID" reject)
    [ $((after - before)) -ge 90000 ] || fail "rb:reject counted only $((after - before)) packets"
    # the sentry still answers, at once (and learns, where it can)
    idx=$(($(base) + 21))
    a=$(rot_addr $idx)
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    if [ "$LEARNS" = 1 ]; then
        rb_run --separate-stderr podman exec $B nc -w 2 -z "$a" 443
    fi
    sleep 2
    # bounded: two files of at most 512 KiB, a line per record the rate allowed
    rb_run '?' bash -c "du -b /proc/$SPID/root/var/log/rb/denials/* | awk '{s += \$1} END {print s}'"
    [ "$output" -le $((2 * 524288)) ] || fail "the log holds $output bytes"
    rb_run '?' bash -c "cat /proc/$SPID/root/var/log/rb/denials/* | grep -c '\"dst\":\"198.51.100.7\"'"
    [ "$output" -lt 5000 ] || fail "$output lines for a burst the kernel limits to 50/s"
    [ "$output" -ge 50 ] || fail "only $output lines logged"
    rb_run --separate-stderr podman inspect -f '{{.State.Running}}' $S
    assert_output true
    rb_run learner_bound
}

@test "each new answer refreshes its entry's timeout" {
    rb_need_learner
    local idx a t1 t2 t3
    idx=$(($(base) + 31))
    a=$(rot_addr $idx)
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    t1=$(entry_timeout "$a")
    sleep 3
    t2=$(entry_timeout "$a")
    [ -n "$t1" ] && [ -n "$t2" ] && [ "$t2" -lt "$t1" ] || fail "the entry did not count down: $t1 s, then $t2 s"
    # the world answers with TTL 0: the sentry caches nothing, this is a
    # new answer from upstream. Refreshed to the full TTL, less the time
    # from before the answer to after the read (seconds under TCG) and 1 s
    # of rounding.
    local m0 m1
    m0=$(ms_now)
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    t3=$(entry_timeout "$a")
    m1=$(ms_now)
    [ -n "$t3" ] && [ "$t3" -gt "$t2" ] && [ $((t3 * 1000)) -ge $((TTL * 1000 - (m1 - m0) - 1000)) ] ||
        fail "not refreshed: $t1 s, $t2 s 3 s later, $t3 s after a second answer ($((m1 - m0)) ms around it)"
}

@test "rebinding to the host's own public address: the answer passes, the set never holds it" {
    rb_need_learner
    # a public-looking address of the host, on a link of this test (a
    # bridge: the kernel may have no dummy links, podman needs bridges); the
    # world answers any address of 160.79.112.0/20 for the rotating zone
    local h=160.79.127.253 other=160.79.127.252
    ip link add rbt-lrnhost type bridge
    ip addr add "$h/32" dev rbt-lrnhost
    # the host's addresses are read at each apply (RB-HOST)
    rb_run rb_make bottle-reapply
    rb_run rb_set_members "$SPID" RB-HOST
    assert_line "$h"
    # both answers reach the bottle; only the one that is not the host's
    # enters the answers set
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 h160-79-127-253.rot.anthropic.com
    assert_output "$h"
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 h160-79-127-252.rot.anthropic.com
    assert_output "$other"
    rb_run '?' rb_dns_set
    assert_line --regexp "^${other//./\\.} timeout [0-9]+ comment \"h160-79-127-252\.rot\.anthropic\.com\"$"
    refute_line --regexp "^${h//./\\.}( |$)"
    rb_run --separate-stderr '?' podman exec $B nc -w 2 -z "$h" 443
    assert_failure
    ip link del rbt-lrnhost
    rb_run rb_make bottle-reapply
    rb_run rb_set_members "$SPID" RB-HOST
    refute_line "$h"
}

@test "the learner hung (SIGSTOP): nothing new opens, status and rb-verify say it does not answer, reapply replaces it" {
    rb_need_learner
    local idx b lrn new
    idx=$(($(base) + 41))
    b=$(rot_addr $idx)
    lrn=$(rb_sentryd_child "$SPID" rb-learner) || fail "no learner"
    kill -STOP "$lrn"
    # still bound to its queue: while no reply waits, its state says it
    rb_run learner_bound
    rb_run 3 bottle status "$NP"
    assert_line "learner: NOT answering: pid $lrn is stopped; nothing new opens (make bottle-reapply)"
    rb_run 3 "$RB_BIN/rb-verify" --nameplate "$NP" --json --no-default-probes
    rb_run jq -e --arg p "$lrn" '.checks[] | select(.name == "learner") | .ok == false and (.observed | test("pid " + $p + " is stopped"))' <<<"$output"
    # fail closed: the reply waits in the queue, unreleased and unlearned
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    refute_output "$b"
    rb_run '?' rb_dns_set
    refute_output --partial "$b "
    rb_run --separate-stderr '?' podman exec $B nc -w 2 -z "$b" 443
    assert_failure
    rb_run bash -c "nsenter -t $SPID -n cat /proc/net/netfilter/nfnetlink_queue | awk '\$1 == 0 { print \$3 }'"
    [ "$output" -ge 1 ] || fail "no reply waits in NFQUEUE 0: $output"
    # replies waiting with no verdict: what a learner stuck anywhere shows
    rb_run 3 bottle status "$NP"
    assert_line --regexp "^learner: NOT answering: [0-9]+ answers wait, no verdict in 2 s \\(pid $lrn, state T\\)"
    rb_run 3 "$RB_BIN/rb-verify" --nameplate "$NP" --json
    rb_run jq -e '.checks[] | select(.name == "learner") | .ok == false and (.observed | test("answers wait, no verdict"))' <<<"$output"
    rb_run rb_make bottle-reapply
    # ended (and reaped by rb-sentryd), replaced
    [ ! -e "/proc/$lrn" ] || fail "the stopped learner $lrn is still there: $(grep State "/proc/$lrn/status")"
    new=$(rb_sentryd_child "$SPID" rb-learner) || fail "no learner after reapply"
    rb_run bottle status "$NP"
    assert_line "learner: running (pid $new), bound to NFQUEUE 0"
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$b"
    rb_run --separate-stderr podman exec $B nc -w 2 -z "$b" 443
}

@test "make bottle-log FOLLOW=1: a new denial shows in the followed table within 5 s" {
    local port out pid san=
    case $RB_BIN in */build-san/*) san=SAN=1 ;; esac
    port=$((40000 + RANDOM % 20000))
    out=$BATS_TEST_TMPDIR/follow
    # a session of its own: the whole pipeline (make, bash, tail, jq, awk)
    # is killed at the end
    RB_LEARN_TTL_MIN=$TTL RB_LEARN_TTL_MAX=$TTL setsid make -s -C "$RB_TOP" --no-print-directory \
        bottle-log FOLLOW=1 NAMEPLATE="$NP" RB_BIN="$RB_BIN" $san >"$out" 2>&1 </dev/null 3>&- &
    pid=$!
    for _ in $(seq 100); do grep -q '^TIME ' "$out" && break; sleep 0.1; done
    rb_run cat "$out"
    assert_line --regexp '^TIME +PROTO +DESTINATION +PORT +RULE +NAME$'
    refute_output --regexp " $port +rb:"
    rb_run --separate-stderr '?' podman exec $B nc -w 2 -z 198.51.100.7 "$port"
    assert_failure
    for _ in $(seq 50); do grep -qE "tcp +198\.51\.100\.7 +$port +rb:reject" "$out" && break; sleep 0.1; done
    rb_run cat "$out"
    assert_line --regexp "^[0-9T:.-]+Z +tcp +198\\.51\\.100\\.7 +$port +rb:reject +-$"
    # still following
    kill -0 "$pid" || fail "the follower ended by itself: $(cat "$out")"
    kill -TERM -- "-$pid"
    wait "$pid" || true
    for _ in $(seq 50); do pgrep -s "$pid" >/dev/null || break; sleep 0.1; done
    rb_run '?' pgrep -s "$pid"
    assert_failure
}

@test "nft without a queue (CONFIG_NFT_QUEUE not set): an allowed name resolves and opens nothing" {
    rb_learnerless
    local idx a seen
    idx=$(($(base) + 51))
    a=$(rot_addr $idx)
    # the policy holds no queue rule: replies pass unlearned
    rb_run 1 bash -c "nsenter -t $SPID -n nft list table inet rb | grep -c -e queue -e NFQUEUE"
    assert_output 0
    seen=$(podman exec rb-world cat /var/log/world/tcp-443.log 2>/dev/null | grep -c "on AF=2 $a:443" || true)
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 "$(rot_name $idx)"
    assert_output "$a"
    rb_run '?' rb_dns_set
    refute_output --partial "$a"
    rb_run --separate-stderr '?' podman exec $B sh -c "exec nc -v -w 2 -z $a 443 2>&1"
    assert_failure
    assert_output --partial refused
    rb_run '?' bash -c "podman exec rb-world cat /var/log/world/tcp-443.log 2>/dev/null | grep -c 'on AF=2 $a:443' || true"
    assert_output "$seen"
}

# netns_sentry [rb-sentryd options]: a bottle/sentry/world of netns (B, S,
# W: test/helpers.bash), the world's resolver on 8.8.8.8 answering
# ttl.anthropic.com and short.anthropic.com with 160.79.104.10, for 30 s
# and 3 s, logging each query; the policy of a nameplate allowing
# anthropic.com, and rb-sentryd with these options.
netns_sentry() {
    rb_topology_bsw
    SX=(ip netns exec "$S")
    ip -n "$W" addr add 8.8.8.8/32 dev lo
    WLOG=$BATS_TEST_TMPDIR/world.log
    : >"$WLOG"
    chmod 0666 "$WLOG"
    ip netns exec "$W" dnsmasq -k --listen-address=8.8.8.8 --bind-interfaces --no-resolv \
        --no-hosts --pid-file= --log-queries --log-facility="$WLOG" \
        --host-record=ttl.anthropic.com,160.79.104.10,30 \
        --host-record=short.anthropic.com,160.79.104.10,3 \
        </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 53
    NP=$BATS_TEST_TMPDIR/np.mk
    cat >"$NP" <<NP
RBRN_MONIKER = rbtlrn
RBRN_ENCLAVE_SUBNET = 10.242.0.0/24
RBRN_ENCLAVE_SENTRY_IP = 10.242.0.2
RBRN_ENCLAVE_BOTTLE_IP = 10.242.0.3
RBRN_UPLINK_NETWORK = rbt-none
RBRN_UPLINK_DNS_SERVER = 8.8.8.8
RBRN_ENTRY_ENABLED = 0
RBRN_UPLINK_DNS_ENABLED = 1
RBRN_UPLINK_DNS_GLOBAL = 0
RBRN_UPLINK_DNS_INTERCEPT = 1
RBRN_UPLINK_ACCESS_ENABLED = 1
RBRN_UPLINK_ACCESS_GLOBAL = 0
RBRN_UPLINK_ALLOWED_CIDRS =
RBRN_UPLINK_ALLOWED_DOMAINS = anthropic.com
NP
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S"
    rb_sentryd "$S" "$NP" "$@" || fail "rb-sentryd did not start"
}
# ns_ttl NAME: the TTL of NAME's A record as the bottle gets it
ns_ttl() {
    ip netns exec "$B" dig +time=2 +tries=1 +noall +answer @10.242.0.2 "$1" A |
        awk '$4 == "A" { print $2; exit }'
}

@test "no answer outlives its entry: dnsmasq caches and hands out less than the entry's timeout, a cached answer too" {
    rb_need_learner
    local dns arg maxttl maxcache t1 e1 t2 e2
    # the margin covers the reads below too: longer where they are slow
    netns_sentry --ttl-min 5 --ttl-max 20 --ttl-margin $((2 * RB_SLOW))
    # dnsmasq as rb-sentryd runs it: its real command line
    dns=$(rb_sentryd_child "$SD_PID" dnsmasq) || fail "no dnsmasq"
    for arg in $(tr '\0' ' ' </proc/$dns/cmdline); do
        case $arg in
        --max-ttl=*) maxttl=${arg#*=} ;;
        --max-cache-ttl=*) maxcache=${arg#*=} ;;
        esac
    done
    [ -n "$maxttl" ] && [ -n "$maxcache" ] || fail "dnsmasq runs without --max-ttl/--max-cache-ttl: $(tr '\0' ' ' </proc/$dns/cmdline)"
    # the world says 30 s; the bottle gets at most --max-ttl
    t1=$(ns_ttl ttl.anthropic.com)
    e1=$(entry_timeout 160.79.104.10)
    [ -n "$t1" ] && [ -n "$e1" ] || fail "no answer ($t1) or no entry ($e1): $(set_list RB-DNS)"
    [ "$t1" -le "$maxttl" ] || fail "the bottle got TTL $t1, above --max-ttl=$maxttl"
    # strictly longer, after the time it took to read it
    [ "$e1" -gt "$t1" ] || fail "entry timeout $e1 s, answer TTL $t1 s: the answer outlives its entry"
    [ "$e1" -gt "$maxcache" ] || fail "entry timeout $e1 s, dnsmasq caches for $maxcache s"
    # the same name again: from dnsmasq's cache (the world saw one query)
    sleep 2
    t2=$(ns_ttl ttl.anthropic.com)
    e2=$(entry_timeout 160.79.104.10)
    rb_run grep -c 'query\[A\] ttl.anthropic.com' "$WLOG"
    assert_output 1
    [ "$t2" -lt "$t1" ] || fail "not a cached answer: TTL $t2 after $t1"
    [ "$e2" -gt "$t2" ] || fail "cached answer: entry timeout $e2 s, answer TTL $t2 s"
}

@test "a shorter answer for the same address never shortens its entry, also after the learner restarted" {
    rb_need_learner
    local t e1 e2 e3 lrn
    netns_sentry --ttl-min 1 --ttl-max 20
    t=$(ns_ttl ttl.anthropic.com)
    [ -n "$t" ] && [ "$t" -ge 15 ] || fail "ttl.anthropic.com: answered for \"$t\" s"
    # the reads are timed: between two reads the entry counts down by at
    # most the time from before the first to after the second (seconds
    # under TCG), and by 1 s of rounding
    local m1 m2 m3 m4
    m1=$(ms_now)
    e1=$(entry_timeout 160.79.104.10)
    [ "$e1" -ge "$t" ] || fail "entry for $e1 s, answer for $t s"
    # another name on that address, for 3 s: the entry keeps its end
    [ "$(ns_ttl short.anthropic.com)" = 3 ] || fail "short.anthropic.com: not answered for 3 s"
    m2=$(ms_now)
    e2=$(entry_timeout 160.79.104.10)
    m3=$(ms_now)
    [ $((e2 * 1000)) -ge $((e1 * 1000 - (m3 - m1) - 1000)) ] ||
        fail "entry cut from $e1 s to $e2 s by a 3 s answer ($((m3 - m1)) ms around the reads)"
    # a new learner does not know what the old one gave: it keeps any
    # entry up to the maximum
    lrn=$(rb_sentryd_child "$SD_PID" rb-learner) || fail "no learner"
    kill -KILL "$lrn"
    for _ in $(seq 50); do rb_sentryd_child "$SD_PID" rb-learner >/dev/null || break; sleep 0.1; done
    kill -HUP "$SD_PID"
    for _ in $(seq 50); do rb_sentryd_child "$SD_PID" rb-learner >/dev/null && break; sleep 0.1; done
    sleep 0.5
    rb_run '?' ip netns exec "$B" dig +short +time=2 +tries=1 @10.242.0.2 short.anthropic.com
    assert_output 160.79.104.10
    e3=$(entry_timeout 160.79.104.10)
    m4=$(ms_now)
    [ $((e3 * 1000)) -ge $((e2 * 1000 - (m4 - m2) - 1000)) ] ||
        fail "entry cut from $e2 s to $e3 s after a restart ($((m4 - m2)) ms around the reads)"
}

@test "the denial log's own caps: a flood past its rate is counted in a dropped line, files rotate and stay bounded" {
    local dir f bytes n dropped overruns t0 t1 written last
    netns_sentry --log-max-bytes 4096 --log-group 7
    dir=$SD/log/denials
    # a log rule without the kernel's limit (the policy's are 50/s per
    # rule), in a table of this test: every datagram of the bottle to the
    # world's port 9 becomes a record (and is then rejected by the policy)
    ip netns exec "$S" nft -f - <<'NFT'
table ip rbt-flood {
    chain pre {
        type filter hook prerouting priority -300;
        udp dport 9 counter log prefix "rb:flood" group 7
    }
}
NFT
    t0=$(date +%s)
    ip netns exec "$B" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20000):
    try:
        s.sendto(b"x", ("198.51.100.1", 9))
    except OSError:
        pass
'
    sleep 2.5
    # the log took all it will take once its dropped count stops growing:
    # a slow machine (check-vm's guest) drains the flood for longer, and the
    # rate below counts that time too
    last=-1
    for _ in $(seq 40); do
        dropped=$(cat "$dir"/* 2>/dev/null | jq -s '[.[] | select(has("dropped")) | .dropped] | add // 0' 2>/dev/null) || dropped=-2
        [ "$dropped" = "$last" ] && break
        last=$dropped
        sleep 1.5
    done
    t1=$(date +%s)
    n=$(ip netns exec "$S" nft -j list table ip rbt-flood | jq '[.nftables[].rule? | select(.) | .expr[] | .counter? | select(.) | .packets] | add')
    [ "$n" -ge 15000 ] || fail "only $n records for the log"
    # rotated, never more than the file and one rotation, each at most
    # --log-max-bytes
    rb_run '?' ls "$dir"
    assert_output $'denials.jsonl\ndenials.jsonl.1'
    for f in "$dir"/*; do
        bytes=$(stat -c %s "$f")
        [ "$bytes" -le 4096 ] || fail "$f holds $bytes bytes"
    done
    [ "$(stat -c %s "$dir/denials.jsonl.1")" -gt 3500 ] || fail "denials.jsonl.1 was not full when it rotated"
    rb_run jq -e -s 'length > 0' "$dir/denials.jsonl.1" "$dir/denials.jsonl"
    rb_run grep -c '"rule":"rb:flood"' "$dir/denials.jsonl.1"
    # what the log left out is said: the records over its rate (400 at
    # once, then 200 a second), and any the kernel could not hand over
    dropped=$(cat "$dir"/* | jq -s '[.[] | select(has("dropped")) | .dropped] | add // 0')
    overruns=$(cat "$dir"/* | jq -s '[.[] | select(has("dropped")) | .overruns] | add // 0')
    [ "$dropped" -gt 0 ] || fail "no dropped line"
    if [ "$overruns" = 0 ]; then
        # every record the kernel handed over is a line or counted
        written=$((n - dropped))
        [ "$written" -ge 400 ] || fail "$written lines of $n records: less than the burst"
        [ "$written" -le $((400 + 200 * (t1 - t0 + 1))) ] ||
            fail "$written lines of $n records in $((t1 - t0)) s: over the rate"
    fi
}

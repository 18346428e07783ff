#!/usr/bin/env bats
# A policy change on a live bottle: `make bottle-reapply` with a changed
# allowlist or resolver while the bottle has traffic running. A transfer to
# an address allowed before and after goes on to the end (the world's
# iperf3 log has it whole); a flow to what is no longer allowed stops at
# once (the world's log of it stops growing) and a new connection to it is
# refused; a resolver change reloads the running sentry (podman's start
# time and pid unchanged) instead of restarting it.
#
# Its own nameplate (lv, 10.242.9.0/24, entry 8899) made from nsproto,
# allowing 160.79.104.0/23 and 203.0.113.0/24 and the names below.

load helpers

M=lv
S=rb-$M-sentry
B=rb-$M-bottle

bottle() { (cd "$RB_TOP" && RB_BIN=$RB_BIN bash mk/bottle.sh "$@"); }
pid_of() { podman inspect -f '{{.State.Pid}}' "$1"; }
started() { podman inspect -f '{{.State.StartedAt}} {{.State.Pid}}' "$1"; }
world() { podman exec rb-world "$@" 2>>"$BATS_TEST_TMPDIR/podman.stderr"; }

# nameplate CIDRS DOMAINS: nsproto as lv
nameplate() {
    sed -e "s/^RBRN_MONIKER .*/RBRN_MONIKER = $M/" \
        -e 's/10\.242\.0\./10.242.9./g' \
        -e "s/^RBRN_ENTRY_PORT_WORKSTATION .*/RBRN_ENTRY_PORT_WORKSTATION = 8899/" \
        -e "s|^RBRN_UPLINK_ALLOWED_CIDRS .*|RBRN_UPLINK_ALLOWED_CIDRS = $1|" \
        -e "s|^RBRN_UPLINK_ALLOWED_DOMAINS .*|RBRN_UPLINK_ALLOWED_DOMAINS = $2|" \
        "$RB_TOP/nameplates/nsproto.mk" >"$NP"
}

BASE_CIDRS="160.79.104.0/23 203.0.113.0/24"

setup_file() {
    rb_require_images
    bash "$RB_TOP/mk/world.sh" start >/dev/null
    export NP=$BATS_FILE_TMPDIR/$M.mk
    nameplate "$BASE_CIDRS" "anthropic.com example.com"
    bottle stop "$NP" >/dev/null 2>&1 || true
    bottle start "$NP" >/dev/null
}

teardown_file() {
    bottle stop "$NP" >/dev/null 2>&1 || true
}

teardown() {
    # back to the file's policy, whatever a test changed
    nameplate "$BASE_CIDRS" "anthropic.com example.com"
    bottle reapply "$NP" >/dev/null 2>&1 || true
    world sh -c 'kill "$(cat /run/lv-socat.pid)"; rm -f /run/lv-socat.pid /var/log/world/lv-*.log' || true
    rb_default_teardown
}

# learned: a learned answer of an allowed name in LEARNED: a fresh name of
# the world's rotating zone (test/070), outside every CIDR of the nameplate.
learned() {
    local n=$((RANDOM % 250 + 2))
    rb_run --separate-stderr 0 podman exec $B dig +short +time=2 +tries=1 "h160-79-113-$n.rot.anthropic.com"
    assert_output "160.79.113.$n"
    LEARNED=160.79.113.$n
}

# stream ADDR: one TCP connection from the bottle to ADDR:5299 sending a
# line every 0.2 s for 20 s; the world writes what arrives to its log
# /var/log/world/lv-ADDR.log.
stream() {
    world sh -c "rm -f /var/log/world/lv-$1.log; socat -u TCP-LISTEN:5299,bind=$1,reuseaddr OPEN:/var/log/world/lv-$1.log,creat,append </dev/null >/dev/null 2>&1 & echo \$! >/run/lv-socat.pid"
    # listening: port 5299 (14B3) in state LISTEN (0A)
    for _ in $(seq 50); do
        world grep -q ':14B3 00000000:0000 0A' /proc/net/tcp && break
        sleep 0.1
    done
    podman exec -d $B sh -c "i=0; while [ \$i -lt 100 ]; do echo line\$i; i=\$((i + 1)); sleep 0.2; done | nc $1 5299" \
        2>>"$BATS_TEST_TMPDIR/podman.stderr" >/dev/null
    for _ in $(seq 50); do
        [ "$(lines "$1")" -ge 2 ] && return 0
        sleep 0.1
    done
    fail "the stream to $1 never came up"
}
lines() { world sh -c "cat /var/log/world/lv-$1.log 2>/dev/null" | grep -c '^line' || true; }

# A transfer from the bottle to the world's iperf3 at ADDR for SECONDS, in
# the background: its JSON in $BATS_TEST_TMPDIR/iperf.json, its pid FLOW.
transfer() {
    # bounded: a cut flow retransmits for minutes; fd 3 closed for bats
    timeout $(($2 + 30)) podman exec $B iperf3 -c "$1" -t "$2" -J \
        >"$BATS_TEST_TMPDIR/iperf.json" 2>/dev/null 3>&- &
    FLOW=$!
}

# The transfer ended well, and the world's iperf3 logged it whole.
transfer_completed() {
    local before=$1 secs=$2
    wait "$FLOW" || fail "the transfer was cut: $(cat "$BATS_TEST_TMPDIR/iperf.json")"
    rb_run 0 jq -e ".end.sum_received.bytes > 0 and .end.sum_received.seconds >= $((secs - 1))
        and .end.sum_sent.retransmits >= 0" "$BATS_TEST_TMPDIR/iperf.json"
    for _ in $(seq 30); do
        [ "$(world cat /var/log/world/iperf3.log | grep -c 'receiver$')" -gt "$before" ] && break
        sleep 0.1
    done
    rb_run 0 bash -c "podman exec rb-world cat /var/log/world/iperf3.log 2>/dev/null | grep 'receiver\$' | tail -1"
    assert_output --regexp "0\.00-$((secs - 1))\.|0\.00-$secs\."
    refute_output --regexp " 0\.00 Bytes "
}

@test "a changed allowlist on a live bottle: a transfer to a learned answer completes, a stream to a revoked CIDR stops, a new connection is refused" {
    rb_need_learner
    local a before n
    learned
    a=$LEARNED
    before=$(world cat /var/log/world/iperf3.log | grep -c 'receiver$' || true)
    stream 203.0.113.10
    transfer "$a" 8
    sleep 2
    nameplate "160.79.104.0/23" "anthropic.com example.com"
    rb_run 0 bottle reapply "$NP"
    # the revoked CIDR's stream got nothing through from here on
    n=$(lines 203.0.113.10)
    sleep 2
    [ "$(lines 203.0.113.10)" -le $((n + 1)) ] || fail "the stream to the revoked CIDR went on: $n, then $(lines 203.0.113.10) lines"
    [ "$(lines 203.0.113.10)" -lt 100 ]
    rb_run 1 podman exec $B nc -w 2 -z 203.0.113.10 443
    transfer_completed "$before" 8
    # the learned answer is still in the set, the policy is the new one
    rb_run 0 rb_set_members "$(pid_of $S)" RB-DNS
    assert_line "$a"
    rb_run 0 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --check
}

@test "a resolver change (a name added) reloads the running sentry: not restarted, flows go on, the name opens" {
    rb_need_learner
    local a before was
    nameplate "$BASE_CIDRS" "anthropic.com"
    rb_run 0 bottle reapply "$NP"
    learned
    a=$LEARNED
    rb_run --separate-stderr 0 podman exec $B dig +short +time=2 +tries=1 example.com
    assert_output ""
    was=$(started $S)
    before=$(world cat /var/log/world/iperf3.log | grep -c 'receiver$' || true)
    transfer "$a" 8
    sleep 2
    nameplate "$BASE_CIDRS" "anthropic.com example.com"
    rb_run 0 bottle reapply "$NP"
    [ "$(started $S)" = "$was" ] || fail "the sentry was restarted: $was, now $(started $S)"
    rb_run --separate-stderr 0 podman exec $B dig +short +time=2 +tries=1 example.com
    assert_output 93.184.216.34
    rb_run 0 podman exec $B nc -w 2 -z 93.184.216.34 443
    transfer_completed "$before" 8
    rb_run 0 bottle status "$NP"
}

@test "a name taken away on a live bottle: its stream stops at once, it is NXDOMAIN, a new connection is refused; a transfer to the other name's answer completes; the sentry is not restarted" {
    rb_need_learner
    local n was a before
    learned
    a=$LEARNED
    rb_run --separate-stderr 0 podman exec $B dig +short +time=2 +tries=1 example.com
    assert_output 93.184.216.34
    stream 93.184.216.34
    before=$(world cat /var/log/world/iperf3.log | grep -c 'receiver$' || true)
    transfer "$a" 8
    sleep 2
    was=$(started $S)
    nameplate "$BASE_CIDRS" "anthropic.com"
    rb_run 0 bottle reapply "$NP"
    [ "$(started $S)" = "$was" ] || fail "the sentry was restarted: $was, now $(started $S)"
    n=$(lines 93.184.216.34)
    sleep 2
    [ "$(lines 93.184.216.34)" -le $((n + 1)) ] || fail "the stream to the name taken away went on: $n, then $(lines 93.184.216.34) lines"
    rb_run 0 rb_set_members "$(pid_of $S)" RB-DNS
    refute_output --partial 93.184.216.34
    rb_run --separate-stderr 0 podman exec $B dig +time=2 +tries=1 example.com
    assert_output --partial "status: NXDOMAIN"
    rb_run 1 podman exec $B nc -w 2 -z 93.184.216.34 443
    # what the name still allowed opened stays open: the running transfer
    # completes, its answer is still in the set, tagged with its question
    transfer_completed "$before" 8
    rb_run 0 rb_set_tags "$(pid_of $S)" RB-DNS
    assert_line "$a h${a//./-}.rot.anthropic.com"
    refute_line --partial 93.184.216.34
    rb_run 0 podman exec $B nc -w 2 -z "$a" 443
}

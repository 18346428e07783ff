#!/usr/bin/env bats
# The sentry's resolver: a real dnsmasq run with the configuration
# `rb-fw-apply --resolver-conf` prints, in a sentry netns whose policy
# rb-fw-apply wrote, asking a fake upstream (another dnsmasq owning 8.8.8.8
# in a world netns) that logs every query it gets.
#
#   B: b0 10.242.0.3 --- en0 10.242.0.2  S  up0 198.51.100.2 --- w0 198.51.100.1  W
#                                                          8.8.8.8, 160.79.104.10 on lo

bats_require_minimum_version 1.5.0
load helpers

setup() {
    rb_topology_bsw
    ip -n "$W" addr add 8.8.8.8/32 dev lo
    ip -n "$W" addr add 160.79.104.10/32 dev lo
    ip -n "$W" addr add 142.250.1.1/32 dev lo
    WLOG=$BATS_TEST_TMPDIR/world.log
    SLOG=$BATS_TEST_TMPDIR/sentry.log
    NP=$BATS_TEST_TMPDIR/np.mk
    : >"$WLOG"
    chmod 0666 "$WLOG"
    world_up 0
}

# world_up TTL: the fake upstream (anthropic.com and its subdomains,
# google.com), its answers with TTL: with 0 the sentry's dnsmasq caches
# none of them, so every question reaches it.
world_up() {
    ip netns exec "$W" dnsmasq -k --listen-address=8.8.8.8 --bind-interfaces --no-resolv \
        --no-hosts --pid-file= --log-queries --log-facility="$WLOG" --local-ttl="$1" \
        --address=/anthropic.com/160.79.104.10 --address=/google.com/142.250.1.1 \
        --address=/notanthropic.com/192.0.2.1 \
        </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 53
}

# world_ttl TTL: the fake upstream again, answering with TTL.
world_ttl() {
    ip netns pids "$W" | xargs -r kill
    for _ in $(seq 50); do
        [ -z "$(ip netns pids "$W")" ] && break
        sleep 0.1
    done
    world_up "$1"
}

teardown() {
    rb_default_teardown
}

# np_write's base nameplate (test/helpers.bash)
NP_BASE=(
    "RBRN_MONIKER=rbtdns"
    "RBRN_ENCLAVE_SUBNET=10.242.0.0/24"
    "RBRN_ENCLAVE_SENTRY_IP=10.242.0.2"
    "RBRN_ENCLAVE_BOTTLE_IP=10.242.0.3"
    "RBRN_UPLINK_NETWORK=rbt-none"
    "RBRN_UPLINK_DNS_SERVER=8.8.8.8"
    "RBRN_ENTRY_ENABLED=0"
    "RBRN_UPLINK_DNS_ENABLED=1"
    "RBRN_UPLINK_DNS_GLOBAL=0"
    "RBRN_UPLINK_DNS_INTERCEPT=1"
    "RBRN_UPLINK_ACCESS_ENABLED=1"
    "RBRN_UPLINK_ACCESS_GLOBAL=0"
    "RBRN_UPLINK_ALLOWED_CIDRS="
    "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com"
)

# sentry_up [NAME=VALUE]...: policy and resolver of that nameplate, run the
# way the sentry container runs them (rb-sentryd: dnsmasq and the learner).
sentry_up() {
    np_write "$NP" "$@"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S"
    rb_sentryd "$S" "$NP" || fail "rb-sentryd did not start"
    cp "$SD/dnsmasq.conf" "$BATS_TEST_TMPDIR/dnsmasq.conf"
    SLOG=$SD/sentryd.log
}

# ask NAME [dig options]: the bottle asks the sentry; prints status and answers.
ask() {
    local name=$1
    shift
    rb_run '?' ip netns exec "$B" dig +time=2 +tries=1 +noall +comments +answer "$@" @10.242.0.2 "$name"
}

@test "--resolver-conf: the configuration, and nothing touched" {
    np_write "$NP"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --resolver-conf
    assert_line "listen-address=10.242.0.2"
    assert_line "no-resolv"
    assert_line "cache-size=1000"
    assert_line "address=/#/"
    assert_line "server=/anthropic.com/8.8.8.8"
    refute_line --partial "ipset="
    refute_line "server=8.8.8.8"
    refute_line "log-queries"
    rb_run ip netns exec "$S" iptables-legacy-save
    assert_output ""
}

@test "an allowed name and its subdomains resolve upstream and land in RB-DNS" {
    rb_need_learner
    sentry_up
    rb_run rb_set_members "$S" RB-DNS
    refute_output --partial "160.79.104.10"
    ask anthropic.com
    assert_success
    assert_output --partial "status: NOERROR"
    assert_output --regexp "anthropic\.com\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+160\.79\.104\.10"
    ask api.anthropic.com +tcp
    assert_output --partial "160.79.104.10"
    rb_run grep -c "query\[A\] anthropic.com from 198.51.100.2" "$WLOG"
    rb_run grep -c "query\[A\] api.anthropic.com from" "$WLOG"
    rb_run rb_set_members "$S" RB-DNS
    assert_output "160.79.104.10"
    if [ "$(rb_backend)" = nft ]; then
        rb_run ip netns exec "$S" nft -j list set inet rb RB-DNS
        rb_run jq '[.nftables[].set? | select(.) | .elem[] | select(.elem.val == "160.79.104.10" and .elem.expires > 0)] | length' <<<"$output"
        assert_output 1
    else
        rb_run ip netns exec "$S" ipset list RB-DNS
        assert_line --regexp '^160\.79\.104\.10 timeout [0-9]+ comment "(api\.)?anthropic\.com"$'
    fi
}

@test "only the upstream's answers wait for the learner: a cached answer passes without it, a fresh name waits while it is stopped" {
    rb_need_learner
    world_ttl 300
    sentry_up
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    rb_run rb_pkts "$S" learn-udp
    assert_output 1
    # again: from the sentry's cache, upstream is not asked, nothing is queued
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    rb_run grep -c "query\[A\] anthropic.com from 198.51.100.2" "$WLOG"
    assert_output 1
    rb_run rb_pkts "$S" learn-udp
    assert_output 1
    rb_run rb_pkts "$S" reply-udp
    assert_output 2
    local l
    l=$(rb_sentryd_child "$SD_PID" rb-learner) || fail "no learner"
    kill -STOP "$l"
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    # a fresh name: its answer waits in the queue, the bottle hears nothing
    ask api.anthropic.com
    refute_output --partial "160.79.104.10"
    rb_run grep -c "query\[A\] api.anthropic.com from 198.51.100.2" "$WLOG"
    kill -CONT "$l"
    ask api.anthropic.com
    assert_output --partial "160.79.104.10"
    rb_run rb_pkts "$S" learn-udp
    assert_output 2
}

@test "an answer nobody asked for is never parsed: a datagram from 8.8.8.8:53 outside a query opens nothing" {
    rb_need_learner
    sentry_up
    # the world's resolver gone, its address and port are free to forge from
    ip netns pids "$W" | xargs -r kill
    for _ in $(seq 50); do
        [ -z "$(ip netns pids "$W")" ] && break
        sleep 0.1
    done
    # id 0x1234, a response: anthropic.com A 160.79.104.77, TTL 60
    local f=$BATS_TEST_TMPDIR/forged
    printf '\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x09anthropic\x03com\x00\x00\x01\x00\x01' >"$f"
    printf '\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xa0\x4f\x68\x4d' >>"$f"
    local port
    for port in 1024 33333 65535; do
        ip netns exec "$W" nc -u -w 1 -s 8.8.8.8 -p 53 198.51.100.2 "$port" <"$f" || true
    done
    rb_run rb_pkts "$S" learn-udp
    assert_output 0
    rb_run rb_set_members "$S" RB-DNS
    refute_output --partial "160.79.104.77"
}

@test "SIGHUP (make bottle-reapply) empties the resolver's cache: an answer the sets lost is learned again at the next question" {
    rb_need_learner
    world_ttl 300
    sentry_up
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    rb_run rb_set_members "$S" RB-DNS
    assert_output "160.79.104.10"
    # the sets replaced under the resolver (an apply on the other backend)
    if [ "$(rb_backend)" = nft ]; then
        ip netns exec "$S" nft flush set inet rb RB-DNS
    else
        ip netns exec "$S" ipset flush RB-DNS
    fi
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    rb_run rb_set_members "$S" RB-DNS
    assert_output ""
    kill -HUP "$SD_PID"
    for _ in $(seq 50); do
        ask anthropic.com
        [ -n "$(rb_set_members "$S" RB-DNS)" ] && break
        sleep 0.1
    done
    rb_run rb_set_members "$S" RB-DNS
    assert_output "160.79.104.10"
    rb_run grep -c "query\[A\] anthropic.com from 198.51.100.2" "$WLOG"
    assert_output 2
}

@test "a name not allowed is NXDOMAIN from the sentry and never reaches upstream" {
    sentry_up
    local n
    for n in google.com notanthropic.com anthropic.com.google.com com; do
        ask "$n"
        assert_output --partial "status: NXDOMAIN"
    done
    ask google.com +tcp
    assert_output --partial "status: NXDOMAIN"
    rb_run 1 grep -E "google|notanthropic|query\[A\] com " "$WLOG"
    assert_output ""
    rb_run rb_set_members "$S" RB-DNS
    refute_output --partial "142.250.1.1"
    refute_output --partial "192.0.2.1"
    # no line per question unless asked for (RBRN_UPLINK_DNS_LOG)
    rb_run 1 grep -c "query\[A\]" "$SLOG"
}

@test "RBRN_UPLINK_DNS_LOG=1: the resolver logs every question and where its answer came from (podman logs shows them)" {
    sentry_up "RBRN_UPLINK_DNS_LOG=1"
    ask google.com
    assert_output --partial "status: NXDOMAIN"
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    rb_run grep -c "query\[A\] google.com from 10.242.0.3" "$SLOG"
    rb_run grep -c "query\[A\] anthropic.com from 10.242.0.3" "$SLOG"
    rb_run grep -c "forwarded anthropic.com to 8.8.8.8" "$SLOG"
}

@test "intercepted: DNS sent to 8.8.8.8 is answered by the sentry's policy" {
    sentry_up
    rb_run ip netns exec "$B" dig +time=2 +tries=1 @8.8.8.8 google.com
    assert_output --partial "status: NXDOMAIN"
    rb_run ip netns exec "$B" dig +short +time=2 +tries=1 @8.8.8.8 anthropic.com
    assert_output "160.79.104.10"
    rb_run 1 grep -c "google" "$WLOG"
    assert_output 0
}

@test "egress follows the answers: an allowed name's address opens after it resolves" {
    rb_need_learner
    ip netns exec "$W" nc -lk 0.0.0.0 443 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 443
    sentry_up
    rb_run 1 ip netns exec "$B" nc -v -w 2 -z 160.79.104.10 443
    assert_output --partial "refused"
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    rb_run ip netns exec "$B" nc -v -w 2 -z 160.79.104.10 443
    # google.com's address never entered the set: still refused
    rb_run 1 ip netns exec "$B" nc -v -w 2 -z 142.250.1.1 443
    assert_output --partial "refused"
}

# ported_name BACKEND: a ported name's answer opens its port only, learned
# into the ported answers set of BACKEND by the learner: the real one on
# NFQUEUE, or, on nft without nft_queue (no learner there: names open
# nothing), its add path run on the same answer by rb-sentryd --parse --add.
ported_name() {
    ip netns exec "$W" nc -lk 0.0.0.0 443 </dev/null >/dev/null 2>&1 3>&- &
    ip netns exec "$W" nc -lk 0.0.0.0 80 </dev/null >/dev/null 2>&1 3>&- &
    ip netns exec "$W" nc -lk 0.0.0.0 22 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 443
    wait_listen "$W" 80
    wait_listen "$W" 22
    np_write "$NP" "RBRN_UPLINK_ALLOWED_DOMAINS=google.com:443 anthropic.com:22,443"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" --backend "$1"
    rb_sentryd "$S" "$NP" || fail "rb-sentryd did not start"
    rb_run '?' ip netns exec "$B" nc -v -w 2 -z 160.79.104.10 443
    assert_failure
    # one learner, one answer after another (its sets stay open between them)
    ask google.com
    assert_output --partial "142.250.1.1"
    ask api.anthropic.com
    assert_output --partial "160.79.104.10"
    if ! "$RB_BIN/rb-fw-apply" --nameplate "$NP" --backend "$1" --dry-run --enclave-if en0 --uplink-if up0 |
        grep -q -e 'queue to' -e NFQUEUE; then
        python3 -c 'import struct, sys
n = b"".join(bytes([len(l)]) + l.encode() for l in "api.anthropic.com".split(".")) + b"\0"
sys.stdout.buffer.write(struct.pack(">HHHHHH", 1, 0x8180, 1, 1, 0, 0) + n + struct.pack(">HH", 1, 1) + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([160, 79, 104, 10]))' >"$BATS_TEST_TMPDIR/reply"
        rb_run --separate-stderr '?' ip netns exec "$S" "$RB_BIN/rb-sentryd" --parse "$BATS_TEST_TMPDIR/reply" --add --learner-conf "$SD/learner.conf"
        [ "$status" = 0 ] || fail "rb-sentryd --parse --add: $stderr $(ip netns exec "$S" nft list sets)"
        assert_line "add 160.79.104.10 ports 22,443 timeout 302"
        assert_line "added 1 host 0"
    fi
    rb_run ip netns exec "$B" nc -v -w 2 -z 160.79.104.10 443
    rb_run '?' ip netns exec "$B" nc -v -w 2 -z 160.79.104.10 80
    assert_failure
    assert_output --partial "refused"
}

# hold_open ADDR PORT: a connection from the bottle that sends "before"
# now and "after" once the test writes to $BATS_TEST_TMPDIR/go; the world's
# side writes what arrived to $BATS_TEST_TMPDIR/recv.
hold_open() {
    ip netns exec "$W" nc -l "$1" "$2" >"$BATS_TEST_TMPDIR/recv" </dev/null 2>/dev/null 3>&- &
    wait_listen "$W" "$2"
    mkfifo "$BATS_TEST_TMPDIR/go"
    ip netns exec "$B" bash -c "exec 4<>/dev/tcp/$1/$2 && echo before >&4 &&
        read -r x <'$BATS_TEST_TMPDIR/go' && echo after >&4 && echo after >&4; sleep 1" </dev/null >/dev/null 2>&1 3>&- &
    for _ in $(seq 50); do grep -q before "$BATS_TEST_TMPDIR/recv" && break; sleep 0.1; done
    grep -q before "$BATS_TEST_TMPDIR/recv" || fail "the connection to $1:$2 never came up"
}

# reload [NAME=VALUE]...: the files of that nameplate written over the
# running rb-sentryd's in place, then its SIGUSR1 (what make bottle-reapply
# does); waits for the new dnsmasq and learner.
reload() {
    local old new
    np_write "$NP" "$@"
    "$RB_BIN/rb-fw-apply" --nameplate "$NP" --resolver-conf >"$SD/dnsmasq.conf.new"
    "$RB_BIN/rb-fw-apply" --nameplate "$NP" --learner-conf >"$SD/learner.conf.new"
    cat "$SD/dnsmasq.conf.new" >"$SD/dnsmasq.conf"
    cat "$SD/learner.conf.new" >"$SD/learner.conf"
    old=$(rb_sentryd_child "$SD_PID" dnsmasq)
    kill -USR1 "$SD_PID"
    for _ in $(seq 100); do
        new=$(rb_sentryd_child "$SD_PID" dnsmasq) && [ "$new" != "$old" ] && break
        sleep 0.05
    done
    [ -n "$new" ] && [ "$new" != "$old" ] || fail "no new dnsmasq after SIGUSR1: $(cat "$SD/sentryd.log")"
    wait_listen "$S" 53
    for _ in $(seq 100); do
        ip netns exec "$S" cat /proc/net/netfilter/nfnetlink_queue | grep -q . && break
        sleep 0.05
    done
}

@test "reload (SIGUSR1) with a name added: it resolves and opens, in the same rb-sentryd; learned answers and flows stay" {
    rb_need_learner
    ip netns exec "$W" nc -lk 0.0.0.0 443 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 443
    sentry_up
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    hold_open 160.79.104.10 444
    ask google.com
    assert_output --partial "status: NXDOMAIN"
    reload "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com google.com"
    kill -0 "$SD_PID" || fail "rb-sentryd is gone: $(cat "$SD/sentryd.log")"
    rb_run 0 rb_set_members "$S" RB-DNS
    assert_output "160.79.104.10"
    ask google.com
    assert_output --partial "142.250.1.1"
    rb_run 0 ip netns exec "$B" nc -w 2 -z 142.250.1.1 443
    # the connection opened before the reload carries on
    echo go >"$BATS_TEST_TMPDIR/go"
    for _ in $(seq 30); do grep -q after "$BATS_TEST_TMPDIR/recv" && break; sleep 0.1; done
    rb_run 0 grep -c after "$BATS_TEST_TMPDIR/recv"
    assert_output 2
}

@test "reload (SIGUSR1) with a name taken away: its answers and its flow end at once, it is NXDOMAIN, a new connection is refused; the other name's answer stays open" {
    rb_need_learner
    ip netns exec "$W" nc -lk 0.0.0.0 443 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 443
    sentry_up "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com google.com"
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    ask google.com
    assert_output --partial "142.250.1.1"
    hold_open 142.250.1.1 444
    reload "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com"
    kill -0 "$SD_PID" || fail "rb-sentryd is gone: $(cat "$SD/sentryd.log")"
    # only what google.com opened is gone: anthropic.com's answer stays,
    # tagged with its question, and opens without a new question
    rb_run 0 rb_set_members "$S" RB-DNS
    assert_output "160.79.104.10"
    rb_run 0 rb_set_tags "$S" RB-DNS
    assert_output "160.79.104.10 anthropic.com"
    rb_run 0 ip netns exec "$B" nc -w 2 -z 160.79.104.10 443
    echo go >"$BATS_TEST_TMPDIR/go"
    sleep 2
    rb_run 1 grep -c after "$BATS_TEST_TMPDIR/recv"
    rb_run 1 ip netns exec "$B" nc -w 2 -z 142.250.1.1 443
    ask google.com
    assert_output --partial "status: NXDOMAIN"
}

# reload_sets BACKEND: what a reload does to the answers sets of BACKEND,
# filled by hand as the learner fills them, each element tagged with its
# question (no queue needed): a wider allowlist keeps them all, a narrower
# one removes exactly what the names and ports it lost opened, and what
# has no tag.
#
# tagged_add BACKEND SET TAG ADDR [PROTO PORT]: an element as the learner
# adds it, for 600 s; TAG - for none
tagged_add() {
    local b=$1 set=$2 tag=$3 v
    if [ "$b" = nft ]; then
        v="$4${5:+ . $5 . $6} timeout 600s"
        [ "$tag" = - ] || v+=" comment \"$tag\""
        rb_run 0 ip netns exec "$S" nft add element inet rb "$set" "{ $v }"
    elif [ "$tag" = - ]; then
        rb_run 0 ip netns exec "$S" ipset add "$set" "$4${5:+,$5:$6}" timeout 600
    else
        rb_run 0 ip netns exec "$S" ipset add "$set" "$4${5:+,$5:$6}" timeout 600 comment "$tag"
    fi
}

reload_sets() {
    np_write "$NP" "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com google.com:443,80"
    rb_run 0 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" --backend "$1"
    rb_sentryd "$S" "$NP" || fail "rb-sentryd did not start"
    tagged_add "$1" RB-DNS api.anthropic.com 160.79.104.10
    tagged_add "$1" RB-DNS - 160.79.104.11
    tagged_add "$1" RB-DNS-PORT google.com 142.250.1.1 tcp 443
    tagged_add "$1" RB-DNS-PORT mail.google.com 142.250.1.2 tcp 80
    reload "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com google.com:443,80 example.com"
    RB_FW_BACKEND=$1 rb_run 0 rb_set_members "$S" RB-DNS
    assert_output $'160.79.104.10\n160.79.104.11'
    RB_FW_BACKEND=$1 rb_run 0 rb_set_members "$S" RB-DNS-PORT
    assert_output $'142.250.1.1,tcp:443\n142.250.1.2,tcp:80'
    # google.com's port 443 taken away: anthropic.com's answer and
    # google.com's port 80 stay; port 443 and the untagged element go
    reload "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com google.com:80 example.com"
    RB_FW_BACKEND=$1 rb_run 0 rb_set_tags "$S" RB-DNS
    assert_output "160.79.104.10 api.anthropic.com"
    RB_FW_BACKEND=$1 rb_run 0 rb_set_tags "$S" RB-DNS-PORT
    assert_output "142.250.1.2,tcp:80 mail.google.com"
    # anthropic.com and google.com taken away: nothing of theirs stays
    reload "RBRN_UPLINK_ALLOWED_DOMAINS=example.com"
    RB_FW_BACKEND=$1 rb_run 0 rb_set_members "$S" RB-DNS
    assert_output ""
    RB_FW_BACKEND=$1 rb_run 0 rb_set_members "$S" RB-DNS-PORT
    assert_output ""
    kill -0 "$SD_PID" || fail "rb-sentryd is gone: $(cat "$SD/sentryd.log")"
}

@test "reload (SIGUSR1): a wider allowlist keeps the answers, a narrower one removes what only the names it lost opened (xtables)" {
    reload_sets xtables
}

@test "reload (SIGUSR1): a wider allowlist keeps the answers, a narrower one removes what only the names it lost opened (nft)" {
    reload_sets nft
}

@test "a ported name: its answer opens its ports only (xtables: RB-DNS-PORT, hash:ip,port)" {
    [ -e /proc/net/ip_tables_names ] || skip "no legacy xtables"
    ported_name xtables
    rb_run ip netns exec "$S" ipset list RB-DNS-PORT
    assert_line --regexp '^160\.79\.104\.10,tcp:443 timeout [0-9]+ comment "api\.anthropic\.com"$'
    assert_line --regexp '^160\.79\.104\.10,tcp:22 timeout [0-9]+ comment "api\.anthropic\.com"$'
    [ "$(grep -c '^160' <<<"$output")" -eq 2 ] || fail "RB-DNS-PORT: $output"
    rb_run ip netns exec "$S" ipset list RB-DNS
    refute_output --partial "160.79.104.10"
}

@test "answers sets an older rb made (no comment extension): answers are learned untagged, a ported name's too (xtables)" {
    [ -e /proc/net/ip_tables_names ] || skip "no legacy xtables"
    ip netns exec "$S" ipset create RB-DNS hash:ip family inet timeout 900
    ip netns exec "$S" ipset create RB-DNS-PORT hash:ip,port family inet timeout 900
    ported_name xtables
    rb_run ip netns exec "$S" ipset list RB-DNS-PORT
    assert_line --regexp '^160\.79\.104\.10,tcp:443 timeout [0-9]+$'
    assert_line --regexp '^142\.250\.1\.1,tcp:443 timeout [0-9]+$'
}

@test "a ported name: its answer opens its ports only (nft: RB-DNS-PORT, address . protocol . port)" {
    local want='[["160.79.104.10","tcp",22],["160.79.104.10","tcp",443]]' rc=0
    ported_name nft
    # the learner in the path (nft queue) learned google.com:443's answer
    # too; without it only the add path ran, on api.anthropic.com's
    rb_nft_has_queue || rc=$?
    case $rc in
    0) want='[["142.250.1.1","tcp",443],'${want#[} ;;
    1) ;;
    *) fail "cannot ask the kernel whether nftables has a queue" ;;
    esac
    rb_run ip netns exec "$S" nft -j list set inet rb RB-DNS-PORT
    rb_run jq -c '[.nftables[].set? | select(.) | .elem[]?.elem.val.concat] | sort' <<<"$output"
    assert_output "$want"
    rb_run ip netns exec "$S" nft -j list set inet rb RB-DNS
    refute_output --partial "160.79.104.10"
}

@test "DNS_GLOBAL=1 resolves any name, but only allowed names open egress" {
    rb_need_learner
    sentry_up "RBRN_UPLINK_DNS_GLOBAL=1"
    rb_run grep -x "server=8.8.8.8" "$BATS_TEST_TMPDIR/dnsmasq.conf"
    ask google.com
    assert_output --partial "142.250.1.1"
    ask anthropic.com
    assert_output --partial "160.79.104.10"
    rb_run rb_set_members "$S" RB-DNS
    assert_output "160.79.104.10"
}

@test "nft on a kernel without nft queue: an allowed name resolves, and its answer opens nothing" {
    local rc=0
    rb_nft_has_queue || rc=$?
    [ $rc -ne 0 ] || skip "this kernel's nftables has a queue (CONFIG_NFT_QUEUE): the learner runs"
    [ $rc -eq 1 ] || fail "cannot ask the kernel whether nftables has a queue"
    ip netns exec "$W" nc -lk 0.0.0.0 443 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 443
    np_write "$NP"
    rb_run --separate-stderr "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" --backend nft
    rb_sentryd "$S" "$NP" || fail "rb-sentryd did not start"
    # no rule hands a reply to the learner: nothing can open a name's answer
    rb_run ip netns exec "$S" nft -j list table inet rb
    rb_run jq '[.nftables[].rule? | select(.) | .expr[] | select(has("queue"))] | length' <<<"$output"
    assert_output 0
    ask anthropic.com
    assert_output --partial "status: NOERROR"
    assert_output --partial "160.79.104.10"
    rb_run 1 ip netns exec "$B" nc -v -w 2 -z 160.79.104.10 443
    assert_output --partial "refused"
    RB_FW_BACKEND=nft rb_run rb_set_members "$S" RB-DNS
    assert_output ""
    RB_FW_BACKEND=nft rb_run rb_pkts "$S" dns-set
    assert_output 0
    RB_FW_BACKEND=nft rb_run rb_pkts "$S" reject
    [ "$output" -ge 1 ] || fail "rb:reject counted nothing"
}

@test "DNS_ENABLED=0: nothing resolves, nothing is forwarded" {
    sentry_up "RBRN_UPLINK_DNS_ENABLED=0" "RBRN_UPLINK_DNS_INTERCEPT=0"
    rb_run 1 grep -E "^server=" "$BATS_TEST_TMPDIR/dnsmasq.conf"
    assert_output ""
    # the bottle may not even ask; the resolver itself knows nothing
    ask anthropic.com
    refute_output --partial "160.79.104.10"
    rb_run ip netns exec "$S" dig +time=2 +tries=1 @127.0.0.1 anthropic.com
    assert_output --partial "status: NXDOMAIN"
    rb_run cat "$WLOG"
    refute_output --partial "anthropic"
}

@test "the denial log: a rejected connection and a refused name, by an unprivileged process" {
    sentry_up
    rb_run 1 ip netns exec "$B" nc -v -w 2 -z 142.250.1.1 443
    assert_output --partial refused
    ask google.com
    assert_output --partial "status: NXDOMAIN"
    ask api.anthropic.com
    rb_run 1 ip netns exec "$B" nc -v -w 2 -z 10.242.0.2 22
    sleep 1
    rb_run cat "$SD/log/denials/denials.jsonl"
    assert_line --regexp '"proto":"tcp","src":"10\.242\.0\.3","dst":"142\.250\.1\.1","port":443,"rule":"rb:reject"\}$'
    # a refused name is read from the NFLOG copy of the reply (rb:reply-udp):
    # no learner, no NFQUEUE needed, on nft without nft_queue too
    assert_line --regexp '"proto":"dns","name":"google\.com","qtype":1,"rule":"rb:dns-refused"\}$'
    assert_line --regexp '"dst":"10\.242\.0\.2","port":22,"rule":"rb:in-reject"'
    local log
    log=$(rb_sentryd_child "$SD_PID" rb-denials) || fail "no denial log"
    rb_run grep -E '^(Uid|CapEff|CapPrm|CapBnd):' /proc/$log/status
    assert_line --regexp '^Uid:[[:space:]]+65532[[:space:]]'
    assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
    assert_line --regexp '^CapBnd:[[:space:]]+0000000000000000$'
}

@test "--learner-conf: what the learner learns from, and nothing touched" {
    np_write "$NP" "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com example.com"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --learner-conf
    assert_line "learn 1"
    assert_line "dns-global 0"
    assert_line "allow anthropic.com"
    assert_line "allow example.com"
    np_write "$NP" "RBRN_UPLINK_ACCESS_GLOBAL=1"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --learner-conf
    assert_line "learn 0"
    np_write "$NP" "RBRN_UPLINK_DNS_GLOBAL=1"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --learner-conf
    assert_line "dns-global 1"
    rb_run ip netns exec "$S" iptables-legacy-save
    assert_output ""
}

@test "--resolver-conf refuses a nameplate that could inject directives" {
    np_write "$NP" "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com/#/1.2.3.4"
    rb_run 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --resolver-conf
    refute_output --partial "server="
    # unset and no resolver on the host to take (test/012 covers the choice)
    np_write "$NP" "RBRN_UPLINK_DNS_SERVER="
    RB_RESOLV_CONF=/dev/null rb_run 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --resolver-conf
}

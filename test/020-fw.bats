#!/usr/bin/env bats
# rb-fw-apply against network namespaces built here: a bottle netns, a
# sentry netns and a "world" netns that owns the public-looking addresses
#
#   B: b0 10.242.0.3 --- en0 10.242.0.2  S  up0 198.51.100.2 --- w0 198.51.100.1  W
#                                                    (W also owns 8.8.8.8, 1.1.1.1,
#                                                     160.79.104.10, 10.99.0.1 on lo)
#
# Every test asserts on what the kernel holds (iptables-legacy-save, ipset,
# sysctl, conntrack) or on packets that did or did not arrive. The tests
# that read xtables state skip on the nft backend (RB_FW_BACKEND=nft):
# test/021-fw-nft.bats asserts the same on `nft -j list`.

bats_require_minimum_version 1.5.0
load helpers
load fw_helpers

# The rules of one table as iptables-save prints them, counters zeroed and
# the "# Generated" lines dropped, so two states compare with diff.
save_table() {
    ip netns exec "$1" iptables-legacy-save -t "$2" | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]$/[0:0]/'
}

dry_table() {
    sed -n "/^\*$2\$/,/^COMMIT\$/p" "$1"
}

@test "--dry-run prints both tables and touches nothing" {
    rb_xtables_only
    local before after
    before=$(ip netns exec "$S" iptables-legacy-save; ip netns exec "$S" ipset list -n)
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --dry-run --enclave-if en0 --uplink-if up0
    assert_line ":FORWARD DROP [0:0]"
    assert_line '-A FORWARD -m comment --comment "rb:jump" -j RB-FORWARD'
    assert_line '-A RB-POSTROUTING -s 10.242.0.3/32 -o up0 -m comment --comment "rb:masq" -j MASQUERADE'
    assert_line "# ipset add RB-CIDR 160.79.104.0/24"
    assert_line "*nat"
    rb_run fw --dry-run
    assert_line '-A RB-EGRESS -d 198.51.100.0/24 -m comment --comment "rb:never-uplink" -j REJECT --reject-with icmp-port-unreachable'
    after=$(ip netns exec "$S" iptables-legacy-save; ip netns exec "$S" ipset list -n)
    [ "$before" = "$after" ] || fail "dry-run changed the netns: $after"
    rb_run ip netns exec "$S" sysctl -n net.ipv4.ip_forward
    assert_output 0
}

@test "apply: iptables-legacy-save prints back exactly what --dry-run printed" {
    rb_xtables_only
    fw --dry-run >"$BATS_TEST_TMPDIR/dry"
    rb_run fw
    local t
    for t in filter nat; do
        diff -u <(dry_table "$BATS_TEST_TMPDIR/dry" "$t") <(save_table "$S" "$t") ||
            fail "table $t differs from the dry run"
    done
    rb_run ip netns exec "$S" iptables-legacy-save
    refute_output --partial "unsupported revision"
    assert_line --partial ":INPUT DROP"
    assert_line --partial ":OUTPUT DROP"
    # every rule rb wrote names itself
    rb_run 1 bash -c "ip netns exec $S iptables-legacy-save | grep '^-A' | grep -vc 'rb:'"
    assert_output 0
    rb_run ip netns exec "$S" ipset list RB-CIDR
    assert_line "160.79.104.0/24"
    rb_run ip netns exec "$S" ipset list -t RB-DNS
    assert_line "Number of entries: 0"
    # answers expire on their own (the learner gives each its own timeout)
    # and carry the question they were learned from
    assert_line --regexp "^Header: family inet .* timeout 900 .*comment( |$)"
}

@test "forwarding is off before the policy and on after it" {
    rb_run ip netns exec "$S" sysctl -n net.ipv4.ip_forward
    assert_output 0
    rb_run fw
    rb_run ip netns exec "$S" sysctl -n net.ipv4.ip_forward
    assert_output 1
    rb_run ip netns exec "$S" sysctl -n net.ipv6.conf.all.disable_ipv6
    assert_output 1
    rb_run ip netns exec "$S" sysctl -n net.ipv6.conf.all.forwarding
    assert_output 0
}

@test "re-applying is idempotent: same rules, no duplicates, one jump" {
    rb_xtables_only
    rb_run fw
    save_table "$S" filter >"$BATS_TEST_TMPDIR/1.f"
    save_table "$S" nat >"$BATS_TEST_TMPDIR/1.n"
    rb_run fw
    rb_run fw
    diff -u "$BATS_TEST_TMPDIR/1.f" <(save_table "$S" filter) || fail "filter changed"
    diff -u "$BATS_TEST_TMPDIR/1.n" <(save_table "$S" nat) || fail "nat changed"
    rb_run bash -c "grep '^-A' $BATS_TEST_TMPDIR/1.f | sort | uniq -d"
    assert_output ""
    rb_run bash -c "grep -c '^-A FORWARD' $BATS_TEST_TMPDIR/1.f"
    assert_output 1
    rb_run ip netns exec "$S" ipset list -n
    assert_output $'RB-CIDR\nRB-DNS\nRB-HOST'
    rb_run fw --check
    check_clean
}

@test "allowed CIDR passes; unlisted, private, uplink and DNS are refused at once" {
    listen_world 443 53 853
    # without rb, everything is reachable (the test would prove nothing)
    ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$S" iptables-legacy -t nat -A POSTROUTING -o up0 -j MASQUERADE
    connect 1.1.1.1 443
    assert_success
    ip netns exec "$S" iptables-legacy -t nat -F POSTROUTING
    rb_run fw
    connect 160.79.104.10 443
    assert_success
    local a
    for a in "1.1.1.1 443" "10.99.0.1 443" "198.51.100.1 443" "8.8.8.8 53" "160.79.104.10 53" "8.8.8.8 853"; do
        # shellcheck disable=SC2086
        connect $a
        assert_failure
        assert_output --partial "refused" # REJECT, not a timeout
    done
    # which rule decided shows in the kernel's counters
    rb_run fw --counters
    assert_line --regexp '^filter RB-EGRESS [0-9]+ [1-9][0-9]* [0-9]+ rb:reject '
    assert_line --regexp '^filter RB-EGRESS [0-9]+ [1-9][0-9]* [0-9]+ rb:never-uplink '
    assert_line --regexp '^filter RB-EGRESS [0-9]+ [1-9][0-9]* [0-9]+ rb:cidr '
    rb_run rule_pkts RB-EGRESS reject
    [ "$output" -gt 0 ] || fail "rb:reject counted nothing: $output"
}

@test "a CIDR may name a private range explicitly" {
    listen_world 443
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=10.99.0.0/16"
    rb_run fw
    connect 10.99.0.1 443
    assert_success
    connect 160.79.104.10 443
    assert_failure
    assert_output --partial "refused"
}

# udp_world ADDR PORT: a UDP receiver in the world that writes what it got
# to $BATS_TEST_TMPDIR/udp-PORT.
udp_world() {
    ip netns exec "$W" nc -lu "$1" "$2" </dev/null >"$BATS_TEST_TMPDIR/udp-$2" 2>/dev/null 3>&- &
    local i
    for i in $(seq 50); do
        ip netns exec "$W" ss -Hlun "sport = :$2" | grep -q . && return 0
        sleep 0.1
    done
    fail "nothing listens on udp $1:$2"
}

@test "ported CIDRs: the allowed port and protocol pass, other ports of the same CIDR are rejected" {
    rb_xtables_only
    listen_world 443 80 22
    udp_world 1.1.1.1 5000
    udp_world 1.1.1.1 5001
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/24:443,22 1.1.1.1/32:5000/udp"
    rb_run fw
    connect 160.79.104.10 443
    assert_success
    connect 160.79.104.10 22
    assert_success
    connect 160.79.104.10 80
    assert_failure
    assert_output --partial "refused" # rejected by the sentry, not a timeout
    # the protocol is part of the entry: TCP to the UDP port is refused
    connect 1.1.1.1 5000
    assert_failure
    assert_output --partial "refused"
    ip netns exec "$B" sh -c 'echo allowed | nc -u -w1 1.1.1.1 5000; echo other | nc -u -w1 1.1.1.1 5001' || true
    rb_run cat "$BATS_TEST_TMPDIR/udp-5000"
    assert_output allowed
    [ ! -s "$BATS_TEST_TMPDIR/udp-5001" ] || fail "udp 5001 got through: $(cat "$BATS_TEST_TMPDIR/udp-5001")"
    rb_run rule_pkts RB-EGRESS cidr-port
    [ "$output" -ge 3 ] || fail "rb:cidr-port counted $output packets"
    # one rule and one set, whatever the number of entries
    rb_run ip netns exec "$S" iptables-legacy-save -t filter
    assert_line '-A RB-EGRESS -m set --match-set RB-CIDR-PORT dst,dst -m comment --comment "rb:cidr-port" -j ACCEPT'
    rb_run bash -c "ip netns exec $S ipset save RB-CIDR-PORT | sort"
    assert_output --partial "create RB-CIDR-PORT hash:net,port family inet"
    assert_line "add RB-CIDR-PORT 1.1.1.1,udp:5000"
    assert_line "add RB-CIDR-PORT 160.79.104.0/24,tcp:22"
    assert_line "add RB-CIDR-PORT 160.79.104.0/24,tcp:443"
    [ "${#lines[@]}" -eq 4 ] || fail "RB-CIDR-PORT: $output"
    rb_run ip netns exec "$S" ipset list -t RB-CIDR
    assert_line "Number of entries: 0"
    rb_run fw --dry-run
    assert_line "# ipset add RB-CIDR-PORT 160.79.104.0/24,tcp:443"
    rb_run fw --check
    check_clean
    # drift in the port set is named, and a re-apply repairs it
    ip netns exec "$S" ipset add RB-CIDR-PORT 160.79.104.0/24,tcp:80
    ip netns exec "$S" ipset del RB-CIDR-PORT 160.79.104.0/24,tcp:22
    rb_run 3 fw --check
    assert_line "ipset RB-CIDR-PORT: unexpected member 160.79.104.0/24,tcp:80"
    assert_line "ipset RB-CIDR-PORT: member 160.79.104.0/24,tcp:22 is missing"
    rb_run fw
    rb_run fw --check
    check_clean
    # without ported entries the set goes, and the policy is the old one
    np_write "$NP"
    rb_run fw
    rb_run ip netns exec "$S" ipset list -n
    assert_output $'RB-CIDR\nRB-DNS\nRB-HOST'
    rb_run ip netns exec "$S" iptables-legacy-save -t filter
    refute_output --partial "PORT"
    connect 160.79.104.10 80
    assert_success
}

@test "ported CIDRs: a port set the plan does not have is named by --check" {
    rb_xtables_only
    rb_run fw
    ip netns exec "$S" ipset create RB-DNS-PORT hash:ip,port
    rb_run 3 fw --check
    assert_line "ipset RB-DNS-PORT: unexpected set"
    rb_run fw
    rb_run ip netns exec "$S" ipset list -n
    assert_output $'RB-CIDR\nRB-DNS\nRB-HOST'
}

@test "ACCESS_GLOBAL=1 allows public addresses, still refuses private ones and DNS" {
    listen_world 443 53
    np_write "$NP" "RBRN_UPLINK_ACCESS_GLOBAL=1"
    rb_run fw
    connect 1.1.1.1 443
    assert_success
    connect 10.99.0.1 443
    assert_failure
    assert_output --partial "refused"
    connect 8.8.8.8 53
    assert_failure
    assert_output --partial "refused"
}

@test "ACCESS_ENABLED=0 lets nothing out, not even the CIDRs" {
    listen_world 443
    np_write "$NP" "RBRN_UPLINK_ACCESS_ENABLED=0"
    rb_run fw
    connect 160.79.104.10 443
    assert_failure
    assert_output --partial "refused"
    rb_run ip netns exec "$S" iptables-legacy-save -t filter
    refute_output --partial "match-set"
}

@test "DNS_INTERCEPT=1: DNS to any server is answered by the sentry's resolver" {
    rb_xtables_only
    np_write "$NP" "RBRN_UPLINK_DNS_INTERCEPT=1"
    rb_run fw
    rb_run ip netns exec "$S" iptables-legacy-save -t nat
    assert_line '-A RB-PREROUTING -s 10.242.0.3/32 ! -d 10.242.0.2/32 -i en0 -p udp -m udp --dport 53 -m comment --comment "rb:intercept-udp" -j DNAT --to-destination 10.242.0.2:53'
    assert_line '-A RB-PREROUTING -s 10.242.0.3/32 ! -d 10.242.0.2/32 -i en0 -p tcp -m tcp --dport 53 -m comment --comment "rb:intercept-tcp" -j DNAT --to-destination 10.242.0.2:53'
    # the world would say 192.0.2.66 for every name; the sentry's resolver
    # knows only what its configuration says
    ip netns exec "$W" dnsmasq -k --listen-address=8.8.8.8 --bind-interfaces --no-resolv \
        --no-hosts --pid-file= --address=/#/192.0.2.66 --log-queries \
        --log-facility="$BATS_TEST_TMPDIR/world.log" </dev/null >/dev/null 2>&1 3>&- &
    # the sentry's runtime as ever (the learner sees the replies), with a
    # resolver that knows one name
    printf '%s\n' listen-address=10.242.0.2 bind-interfaces no-resolv no-hosts pid-file= \
        address=/probe.test/192.0.2.77 >"$BATS_TEST_TMPDIR/probe.conf"
    SD_DNSMASQ_CONF=$BATS_TEST_TMPDIR/probe.conf rb_sentryd "$S" "$NP"
    wait_listen "$W" 53
    rb_run ip netns exec "$B" dig +short +time=2 +tries=1 @8.8.8.8 probe.test
    assert_output 192.0.2.77
    rb_run ip netns exec "$B" dig +tcp +short +time=2 +tries=1 @8.8.8.8 probe.test
    assert_output 192.0.2.77
    rb_run 1 grep -c probe.test "$BATS_TEST_TMPDIR/world.log"
    assert_output 0
}

@test "conntrack flush: a connection opened before the policy dies with it" {
    ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$S" iptables-legacy -t nat -A POSTROUTING -o up0 -j MASQUERADE
    mkfifo "$BATS_TEST_TMPDIR/go"
    rm -f "$BATS_TEST_TMPDIR/sent"
    # a long-lived connection to an address the policy will not allow
    ip netns exec "$W" nc -l 1.1.1.1 444 >"$BATS_TEST_TMPDIR/recv" </dev/null 2>/dev/null 3>&- &
    wait_listen "$W" 444
    ip netns exec "$B" bash -c "exec 4<>/dev/tcp/1.1.1.1/444 && echo before >&4 &&
        read -r x <'$BATS_TEST_TMPDIR/go' && echo after >&4 && echo after >&4 &&
        touch '$BATS_TEST_TMPDIR/sent'; sleep 1" </dev/null >/dev/null 2>&1 3>&- &
    local i
    for i in $(seq 50); do grep -q before "$BATS_TEST_TMPDIR/recv" && break; sleep 0.1; done
    grep -q before "$BATS_TEST_TMPDIR/recv" || fail "the connection never came up"
    rb_run ip netns exec "$S" conntrack -L -p tcp --dport 444
    assert_output --partial ESTABLISHED
    ip netns exec "$S" iptables-legacy -t nat -F POSTROUTING
    rb_run fw
    echo go >"$BATS_TEST_TMPDIR/go"
    for i in $(seq 20); do [ -e "$BATS_TEST_TMPDIR/sent" ] && break; sleep 0.1; done
    sleep 1
    rb_run 1 grep -c after "$BATS_TEST_TMPDIR/recv"
    assert_output 0
}

# What `make bottle-reapply` does to a running bottle: `rb-net-create
# --stage sentry` turns forwarding off, then rb-fw-apply runs again. With
# the policy still in force that must not flush conntrack (nor the learned
# answers): the bottle's connections, some to answers whose TTL is over,
# would die. A changed policy still flushes.
@test "re-applying the policy in force keeps the bottle's connections; a changed one flushes them" {
    local i
    rb_run fw
    mkfifo "$BATS_TEST_TMPDIR/go"
    rm -f "$BATS_TEST_TMPDIR/sent"
    ip netns exec "$W" nc -l 160.79.104.10 445 >"$BATS_TEST_TMPDIR/recv" </dev/null 2>/dev/null 3>&- &
    wait_listen "$W" 445
    ip netns exec "$B" bash -c "exec 4<>/dev/tcp/160.79.104.10/445 && echo before >&4 &&
        read -r x <'$BATS_TEST_TMPDIR/go' && echo after >&4 &&
        touch '$BATS_TEST_TMPDIR/sent'; sleep 1" </dev/null >/dev/null 2>&1 3>&- &
    for i in $(seq 50); do grep -q before "$BATS_TEST_TMPDIR/recv" && break; sleep 0.1; done
    grep -q before "$BATS_TEST_TMPDIR/recv" || fail "the connection never came up"
    ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=0
    rb_run fw
    rb_run ip netns exec "$S" sysctl -n net.ipv4.ip_forward
    assert_output 1
    rb_run ip netns exec "$S" conntrack -L -p tcp --dport 445
    assert_output --partial ESTABLISHED
    echo go >"$BATS_TEST_TMPDIR/go"
    for i in $(seq 30); do [ -e "$BATS_TEST_TMPDIR/sent" ] && break; sleep 0.1; done
    for i in $(seq 30); do grep -q after "$BATS_TEST_TMPDIR/recv" && break; sleep 0.1; done
    rb_run grep -c after "$BATS_TEST_TMPDIR/recv"
    assert_output 1
    # the connection is idle now: a changed policy takes its entry away
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/24 9.9.9.0/24"
    rb_run fw
    rb_run ip netns exec "$S" conntrack -L -p tcp --dport 445
    refute_output --partial ESTABLISHED
}

# add_answer ADDR SECONDS TAG: a learned answer, as the learner adds it
# (lib/answers.h), tagged with the question it answered.
add_answer() {
    if [ "$(rb_backend)" = nft ]; then
        ip netns exec "$S" nft add element inet rb RB-DNS "{ $1 timeout ${2}s comment \"$3\" }"
    else
        ip netns exec "$S" ipset add RB-DNS "$1" timeout "$2" comment "$3"
    fi
}

# `make bottle-reapply` with a changed allowlist while the bottle has
# traffic running (turning forwarding off as stage sentry does): the
# learned answers stay in their sets, so a transfer to one goes on to the
# end; a connection to a CIDR the new policy no longer has stops at once
# (conntrack is flushed: its next packet meets the new rules).
@test "a changed policy keeps the learned answers: a transfer to one completes, one to a revoked CIDR stops" {
    local i
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/24 9.9.9.0/24"
    rb_run fw
    ip -n "$W" addr add 203.0.113.10/32 dev lo
    ip -n "$W" addr add 9.9.9.10/32 dev lo
    add_answer 203.0.113.10 600 www.example.com
    ip netns exec "$W" iperf3 -s -1 -J -B 203.0.113.10 -p 5201 --logfile "$BATS_TEST_TMPDIR/world-iperf.json" </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 5201
    ip netns exec "$W" nc -l 9.9.9.10 446 >"$BATS_TEST_TMPDIR/recv" </dev/null 2>/dev/null 3>&- &
    wait_listen "$W" 446
    mkfifo "$BATS_TEST_TMPDIR/go"
    ip netns exec "$B" bash -c "exec 4<>/dev/tcp/9.9.9.10/446 && echo before >&4 &&
        read -r x <'$BATS_TEST_TMPDIR/go' && echo after >&4 && echo after >&4; sleep 1" </dev/null >/dev/null 2>&1 3>&- &
    for i in $(seq 50); do grep -q before "$BATS_TEST_TMPDIR/recv" && break; sleep 0.1; done
    grep -q before "$BATS_TEST_TMPDIR/recv" || fail "the connection to the CIDR never came up"
    listen_world 447
    rb_run 0 ip netns exec "$B" nc -w 2 -z 9.9.9.10 447
    ip netns exec "$B" iperf3 -c 203.0.113.10 -p 5201 -t 6 -b 20M -J >"$BATS_TEST_TMPDIR/bottle-iperf.json" 2>&1 </dev/null 3>&- &
    local client=$!
    sleep 2
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/24"
    ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=0
    rb_run fw
    # the answer, its tag and what was left of its timeout stay
    rb_run 0 rb_set_tags "$S" RB-DNS
    assert_output "203.0.113.10 www.example.com"
    echo go >"$BATS_TEST_TMPDIR/go"
    wait "$client" || fail "the transfer to the learned answer failed: $(cat "$BATS_TEST_TMPDIR/bottle-iperf.json")"
    # the world received the whole transfer: 6 s at 20 Mbit/s
    for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/world-iperf.json" ] && break; sleep 0.1; done
    rb_run 0 jq -e '.end.sum_received.bytes > 12000000 and .end.sum_received.seconds > 5.5' "$BATS_TEST_TMPDIR/world-iperf.json"
    # the revoked CIDR's connection got nothing through after the apply,
    # and a new one is refused
    sleep 1
    rb_run 1 grep -c after "$BATS_TEST_TMPDIR/recv"
    assert_output 0
    rb_run 1 ip netns exec "$B" nc -w 2 -z 9.9.9.10 447
}

@test "entry port: the uplink reaches the bottle's service through DNAT" {
    rb_run fw
    ip netns exec "$B" nc -l 10.242.0.3 8888 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$B" 8888
    rb_run ip netns exec "$W" nc -v -w 2 -z 198.51.100.2 8080
    # only through the published port: with a route into the enclave the
    # world still reaches none of the bottle's ports directly
    ip netns exec "$B" nc -l 10.242.0.3 8888 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$B" 8888
    ip -n "$W" route add 10.242.0.0/24 via 198.51.100.2
    rb_run 1 ip netns exec "$W" nc -w 1 -z 10.242.0.3 8888
}

@test "the sentry answers ping and DNS from the bottle only, nothing else" {
    rb_run fw
    rb_run ip netns exec "$B" busybox ping -c1 -W2 10.242.0.2
    ip netns exec "$S" nc -l 10.242.0.2 22 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$S" 22
    connect 10.242.0.2 22
    assert_failure
    assert_output --partial "refused"
    rb_run 1 ip netns exec "$W" nc -w 1 -z 198.51.100.2 22
}

@test "--check names drift and a re-apply repairs it" {
    rb_xtables_only
    rb_run fw
    ip netns exec "$S" iptables-legacy -I RB-EGRESS 1 -d 1.1.1.1 -j ACCEPT
    ip netns exec "$S" iptables-legacy -P FORWARD ACCEPT
    ip netns exec "$S" ipset add RB-CIDR 9.9.9.0/24
    rb_run 3 fw --check
    assert_line 'filter RB-EGRESS: unexpected rule 1 "-A RB-EGRESS -d 1.1.1.1/32 -j ACCEPT"'
    assert_line "filter FORWARD: policy is ACCEPT, expected DROP"
    assert_line "ipset RB-CIDR: unexpected member 9.9.9.0/24"
    rb_run fw
    rb_run fw --check
    check_clean
    rb_run ip netns exec "$S" iptables-legacy-save -t filter
    refute_output --partial "1.1.1.1"
    rb_run ip netns exec "$S" ipset list RB-CIDR
    refute_output --partial "9.9.9.0"
}

@test "a temporary set left by an apply killed before its swap: --check names it, the next apply takes it" {
    rb_xtables_only
    rb_run fw
    # what rb_ipset_replace leaves when it is killed between create and swap
    ip netns exec "$S" ipset create RB-CIDR-new hash:net
    ip netns exec "$S" ipset add RB-CIDR-new 9.9.9.0/24
    ip netns exec "$S" ipset create RB-DNS-PORT-new hash:ip,port
    rb_run 3 fw --check
    assert_line "ipset RB-CIDR-new: left over from an interrupted apply"
    assert_line "ipset RB-DNS-PORT-new: left over from an interrupted apply"
    # the policy itself was whole: the apply must still take them
    rb_run fw
    rb_run ip netns exec "$S" ipset list -n
    assert_output "$(printf 'RB-CIDR\nRB-DNS\nRB-HOST')"
    rb_run fw --check
}

@test "rb leaves rules and chains that are not its own alone" {
    rb_xtables_only
    ip netns exec "$S" iptables-legacy -N OTHER
    ip netns exec "$S" iptables-legacy -A OTHER -s 192.0.2.9 -j DROP
    ip netns exec "$S" iptables-legacy -A INPUT -j OTHER
    ip netns exec "$S" iptables-legacy -t nat -A POSTROUTING -s 192.0.2.9 -j RETURN
    rb_run fw
    rb_run fw
    rb_run ip netns exec "$S" iptables-legacy-save
    assert_line "-A OTHER -s 192.0.2.9/32 -j DROP"
    assert_line "-A INPUT -j OTHER"
    assert_line "-A POSTROUTING -s 192.0.2.9/32 -j RETURN"
    # rb's jump comes first
    rb_run bash -c "ip netns exec $S iptables-legacy-save -t filter | grep -m1 '^-A INPUT'"
    assert_output '-A INPUT -m comment --comment "rb:jump" -j RB-INPUT'
}

@test "a bad nameplate or interface: exit 1/2 and the netns is unchanged" {
    rb_xtables_only
    rb_run fw
    local before
    before=$(save_table "$S" filter; save_table "$S" nat; ip netns exec "$S" ipset save)
    np_write "$NP" "RBRN_ENCLAVE_BOTTLE_IP=10.242.0.300"
    rb_run 1 fw
    assert_output --partial "RBRN_ENCLAVE_BOTTLE_IP"
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.1/24"
    rb_run 1 fw
    np_write "$NP"
    rb_run 2 fw --enclave-if nosuch0 --uplink-if up0
    rb_run 1 fw --enclave-if en0
    rb_run 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" --pid 1
    [ "$before" = "$(save_table "$S" filter; save_table "$S" nat; ip netns exec "$S" ipset save)" ] ||
        fail "a failed run changed the netns"
    # and a failure on a fresh netns leaves it fresh, forwarding off
    local fresh
    fresh=$(rb_netns_new)
    np_write "$NP" "RBRN_UPLINK_DNS_SERVER=8.8.8"
    rb_run 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$fresh" --enclave-if lo --uplink-if lo
    rb_run ip netns exec "$fresh" iptables-legacy-save
    assert_output ""
}

# The sentry netns as both backends and the kernel hold it.
fw_state() {
    save_table "$S" filter
    save_table "$S" nat
    ip netns exec "$S" nft list ruleset
    ip netns exec "$S" sysctl -n net.ipv4.ip_forward
    ip -n "$S" -o link show | awk -F': ' '{ print $2 }' # names; carrier comes and goes
}

# The options' values go through lib/addr.h's one check per concept:
# interface names (15 bytes at most, no '/', ':', '+', '!', '%', blank),
# the PID and the uplink address (decimal, no leading zero).
@test "option values: interface names, --pid, --sentry-uplink-ip refused with one wording, netns unchanged" {
    local before bad host=(--host-only --dry-run --uplink-bridge up0 --sentry-uplink-ip 192.0.2.1)
    rb_run 0 fw
    before=$(fw_state)
    # 15 characters is the most an interface name has
    rb_run --separate-stderr 0 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --dry-run \
        --enclave-if abcdefghijklmno --uplink-if up0
    [[ "$output" == *abcdefghijklmno* ]] || fail "the 15-character name is not in the plan"
    rb_run --separate-stderr 0 "$RB_BIN/rb-fw-apply" --nameplate "$NP" "${host[@]}" --bridge abcdefghijklmno
    [[ "$output" == *abcdefghijklmno* ]] || fail "the 15-character bridge is not in the plan"
    for bad in abcdefghijklmnop 'a/b' 'a:b' 'eth+' '!eth0' 'a%b' 'a b' . ..; do
        rb_run --separate-stderr 1 fw --enclave-if "$bad" --uplink-if up0
        assert_equal "$stderr" "rb-fw-apply: enclave interface: \"$bad\": not an interface name (1..15 of A-Z a-z 0-9 _ . -, not . or ..)"
        rb_run --separate-stderr 1 fw --enclave-if en0 --uplink-if "$bad"
        [[ "$stderr" == *"uplink interface: \"$bad\": not an interface name"* ]] || fail "$stderr"
        rb_run --separate-stderr 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" "${host[@]}" --bridge "$bad"
        [[ "$stderr" == *"bridge: \"$bad\": not an interface name"* ]] || fail "$stderr"
        refute_line --regexp '^(-A|\*|table)' # no rule of a plan printed
    done
    for bad in 0 04 4194305 -1 1x ''; do
        rb_run --separate-stderr 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --pid "$bad"
        [[ "$stderr" == *"--pid"* ]] || fail "$stderr"
    done
    for bad in 010.0.0.1 192.0.2 192.0.2.256 0.0.0.0; do
        rb_run --separate-stderr 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --host-only --dry-run \
            --bridge br0 --uplink-bridge up0 --sentry-uplink-ip "$bad"
        [[ "$stderr" == *"--sentry-uplink-ip: not an IPv4 address"* ]] || fail "$stderr"
    done
    [ "$before" = "$(fw_state)" ] || fail "a refused run changed the netns: $(diff <(echo "$before") <(fw_state))"
}

@test "the sentry policy is never written into the host's netns" {
    rb_run 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns /proc/self/ns/net --dry-run
    assert_output --partial "host's network namespace"
}

@test "host hardening: the enclave bridge carries bottle<->sentry and nothing else" {
    rb_xtables_only
    local H HB HS HO
    # the entry port's host part has a test of its own
    np_write "$NP" "RBRN_ENTRY_ENABLED=0"
    H=$(rb_netns_new) && HB=$(rb_netns_new) && HS=$(rb_netns_new) && HO=$(rb_netns_new)
    ip -n "$H" link add rbtbr0 type bridge
    ip -n "$H" addr add 10.242.0.1/24 dev rbtbr0
    ip -n "$H" link set rbtbr0 up
    ip link add pb netns "$H" type veth peer name eth0 netns "$HB"
    ip link add ps netns "$H" type veth peer name eth0 netns "$HS"
    ip link add po netns "$H" type veth peer name eth0 netns "$HO"
    ip -n "$H" link set pb master rbtbr0 up
    ip -n "$H" link set ps master rbtbr0 up
    ip -n "$H" addr add 192.0.2.1/24 dev po
    ip -n "$H" link set po up
    ip netns exec "$H" sysctl -qw net.ipv4.ip_forward=1
    ip -n "$HB" addr add 10.242.0.3/24 dev eth0
    ip -n "$HB" link set eth0 up
    ip -n "$HB" route add default via 10.242.0.1
    ip -n "$HS" addr add 10.242.0.2/24 dev eth0
    ip -n "$HS" link set eth0 up
    ip -n "$HO" addr add 192.0.2.2/24 dev eth0
    ip -n "$HO" link set eth0 up
    ip -n "$HO" route add default via 192.0.2.1
    # before: the bottle reaches the host and, through it, the other net
    rb_run ip netns exec "$HB" busybox ping -c1 -W1 10.242.0.1
    rb_run ip netns exec "$HB" busybox ping -c1 -W1 192.0.2.2

    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --host-only --bridge rbtbr0 --netns "/run/netns/$H"
    rb_run ip netns exec "$H" iptables-legacy-save -t filter
    # the jumps name the bridge: another bottle's packets never enter the chain
    assert_line '-A INPUT -i rbtbr0 -m comment --comment "rb:jump" -j RB-H-rbtfw'
    assert_line '-A FORWARD -i rbtbr0 -m comment --comment "rb:jump" -j RB-H-rbtfw'
    assert_line '-A FORWARD -o rbtbr0 -m comment --comment "rb:jump" -j RB-H-rbtfw'
    assert_line '-A RB-H-rbtfw -i rbtbr0 ! -o rbtbr0 -m comment --comment "rb:host-from-enclave" -j DROP'
    assert_line --partial ":FORWARD ACCEPT" # the host's policies are not rb's
    rb_run ip netns exec "$HB" busybox ping -c1 -W1 10.242.0.2
    rb_run 1 ip netns exec "$HB" busybox ping -c1 -W1 10.242.0.1
    rb_run 1 ip netns exec "$HB" busybox ping -c1 -W1 192.0.2.2
    rb_run 1 ip netns exec "$HO" busybox ping -c1 -W1 10.242.0.3
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --host-only --bridge rbtbr0 --netns "/run/netns/$H"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --host-only --bridge rbtbr0 --netns "/run/netns/$H" --check
    rb_run bash -c "ip netns exec $H iptables-legacy-save -t filter | grep -c 'rb:jump'"
    assert_output 3
    # a second bottle on the same host: both chains, each one's check clean
    local np1=$NP
    NP=$BATS_TEST_TMPDIR/np2.mk
    np_write "$NP" "RBRN_MONIKER=rbtfw2" "RBRN_ENTRY_ENABLED=0"
    ip -n "$H" link add rbtbr1 type bridge
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --host-only --bridge rbtbr1 --netns "/run/netns/$H"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$np1" --host-only --bridge rbtbr0 --netns "/run/netns/$H" --check
    check_clean
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --remove --host-only --netns "/run/netns/$H"
    NP=$np1

    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --remove --host-only --netns "/run/netns/$H"
    rb_run ip netns exec "$H" iptables-legacy-save -t filter
    refute_output --partial "RB-"
    rb_run ip netns exec "$HB" busybox ping -c1 -W1 10.242.0.1
}

@test "ICMP goes to the sentry only: no ping through an all-ports CIDR" {
    rb_xtables_only
    listen_world 443
    # without rb the bottle pings the world (the test would prove nothing)
    ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$S" iptables-legacy -t nat -A POSTROUTING -o up0 -j MASQUERADE
    rb_run ip netns exec "$B" busybox ping -c1 -W2 160.79.104.10
    ip netns exec "$S" iptables-legacy -t nat -F POSTROUTING
    rb_run fw
    rb_run ip netns exec "$S" iptables-legacy-save -t filter
    assert_line '-A RB-EGRESS -p icmp -m comment --comment "rb:icmp" -j REJECT --reject-with icmp-port-unreachable'
    # 160.79.104.0/24 is allowed for every port, but not for ICMP
    connect 160.79.104.10 443
    assert_success
    rb_run 1 ip netns exec "$B" busybox ping -c1 -W2 160.79.104.10
    rb_run fw --counters
    assert_line --regexp '^filter RB-EGRESS [0-9]+ 1 [0-9]+ rb:icmp '
    rb_run ip netns exec "$B" busybox ping -c1 -W2 10.242.0.2
}

@test "an allowed flow still gets its ICMP errors back (RELATED)" {
    rb_run fw
    # nothing listens on 160.79.104.10 udp/9999: the world answers port
    # unreachable, which reaches the bottle although rb:icmp exists
    # (without it dig would time out instead)
    rb_run 9 ip netns exec "$B" dig +time=2 +tries=1 -p 9999 @160.79.104.10 x.test
    assert_output --partial "connection refused"
    rb_run fw --counters
    assert_line --regexp '^filter RB-FORWARD 1 [1-9][0-9]* [0-9]+ rb:est '
    assert_line --regexp '^filter RB-EGRESS [0-9]+ 0 0 rb:icmp '
    assert_line --regexp '^filter RB-EGRESS [0-9]+ 1 [0-9]+ rb:cidr '
}

@test "the host's own addresses are rejected unless a CIDR names them" {
    rb_xtables_only
    listen_world 443
    # W, the sentry's gateway, plays the host: it gets a public-looking
    # address, and rb-fw-apply runs in its netns (where it reads them)
    ip -n "$W" addr add 203.0.113.7/24 dev w0
    np_write "$NP" "RBRN_UPLINK_ACCESS_GLOBAL=1"
    # applied from elsewhere, W's addresses are just the internet
    rb_run fw
    connect 203.0.113.7 443
    assert_success
    connect 1.1.1.1 443
    assert_success

    rb_run ip netns exec "$W" "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S"
    rb_run ip netns exec "$S" ipset list RB-HOST
    assert_line "203.0.113.7"
    assert_line "203.0.113.255" # the host takes its subnet's broadcast too
    assert_line "1.1.1.1"
    assert_line "198.51.100.1"
    connect 203.0.113.7 443
    assert_failure
    assert_output --partial "refused"
    connect 1.1.1.1 443
    assert_failure
    assert_output --partial "refused"
    # an explicit CIDR comes first
    connect 160.79.104.10 443
    assert_success
    rb_run fw --counters
    assert_line --regexp '^filter RB-EGRESS [0-9]+ 2 [0-9]+ rb:never-host '
    # the set is the host's view: checked from W it is clean, from
    # elsewhere it is drift
    rb_run ip netns exec "$W" "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" --check
    check_clean
    rb_run 3 fw --check
    assert_line "ipset RB-HOST: unexpected member 203.0.113.7/32"

    np_write "$NP" "RBRN_UPLINK_ACCESS_GLOBAL=1" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/24 203.0.113.7/32"
    rb_run ip netns exec "$W" "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S"
    connect 203.0.113.7 443
    assert_success
    connect 1.1.1.1 443
    assert_failure
}

# serve_once NS ADDR PORT LOG: one TCP connection to ADDR:PORT in NS gets
# "hello"; nc -v writes the peer it saw into LOG.
serve_once() {
    ip netns exec "$1" sh -c "echo hello | exec nc -n -v -l -N $2 $3" </dev/null >/dev/null 2>"$4" 3>&- &
    wait_listen "$1" "$3"
}

@test "entry port, host side: every host address and 127.0.0.1 reach the sentry's uplink" {
    rb_xtables_only
    local H HS HC
    H=$(rb_netns_new) && HS=$(rb_netns_new) && HC=$(rb_netns_new)
    # H plays the host: rbtup0 is the uplink bridge, HS the sentry on it,
    # HC a machine on another network that H routes for
    ip -n "$H" link add rbtup0 type bridge
    ip -n "$H" addr add 198.51.100.1/24 dev rbtup0
    ip -n "$H" link set rbtup0 up
    ip link add hs0 netns "$H" type veth peer name eth0 netns "$HS"
    ip -n "$H" link set hs0 master rbtup0 up
    ip -n "$HS" addr add 198.51.100.2/24 dev eth0
    ip -n "$HS" link set eth0 up
    ip -n "$HS" route add default via 198.51.100.1
    ip link add hc0 netns "$H" type veth peer name eth0 netns "$HC"
    ip -n "$H" addr add 203.0.113.1/24 dev hc0
    ip -n "$H" link set hc0 up
    ip -n "$HC" addr add 203.0.113.2/24 dev eth0
    ip -n "$HC" link set eth0 up
    ip -n "$HC" route add default via 203.0.113.1
    ip netns exec "$H" sysctl -qw net.ipv4.ip_forward=1
    rb_run ip netns exec "$H" sysctl -n net.ipv4.conf.rbtup0.route_localnet
    assert_output 0
    np_write "$NP" "RBRN_ENTRY_PORT_WORKSTATION=8181"
    local apply=("$RB_BIN/rb-fw-apply" --nameplate "$NP" --host-only --netns "/run/netns/$H"
        --bridge rbtbr0 --uplink-bridge rbtup0 --sentry-uplink-ip 198.51.100.2)
    # before: the sentry serves, but the host publishes nothing
    serve_once "$HS" 198.51.100.2 8181 "$BATS_TEST_TMPDIR/s1"
    rb_run 1 ip netns exec "$H" nc -w 2 -z 198.51.100.1 8181

    rb_run "${apply[@]}"
    rb_run ip netns exec "$H" iptables-legacy-save -t nat
    refute_output --partial "unsupported revision"
    # the jumps match the port before the address type's route lookup
    assert_line '-A PREROUTING -p tcp -m tcp --dport 8181 -m addrtype --dst-type LOCAL --limit-iface-in -m comment --comment "rb:jump" -j RB-E-rbtfw'
    assert_line '-A OUTPUT -p tcp -m tcp --dport 8181 -m addrtype --dst-type LOCAL -m comment --comment "rb:jump" -j RB-E-rbtfw'
    assert_line '-A POSTROUTING -s 127.0.0.0/8 -d 198.51.100.2/32 -p tcp -m comment --comment "rb:jump" -j RB-EPOST-rbtfw'
    assert_line '-A RB-E-rbtfw -p tcp -m tcp --dport 8181 -m comment --comment "rb:entry-host" -j DNAT --to-destination 198.51.100.2:8181'
    assert_line '-A RB-EPOST-rbtfw -s 127.0.0.0/8 -d 198.51.100.2/32 -p tcp -m tcp --dport 8181 -m comment --comment "rb:entry-localhost" -j MASQUERADE'
    rb_run ip netns exec "$H" sysctl -n net.ipv4.conf.rbtup0.route_localnet
    assert_output 1

    # from the host, to its address on the uplink bridge (the listener
    # from before is still waiting)
    rb_run ip netns exec "$H" nc -w 3 198.51.100.1 8181 </dev/null
    assert_output hello
    # from the host to 127.0.0.1: the sentry sees the bridge's address
    serve_once "$HS" 198.51.100.2 8181 "$BATS_TEST_TMPDIR/s2"
    rb_run ip netns exec "$H" nc -w 3 127.0.0.1 8181 </dev/null
    assert_output hello
    rb_run grep -c "Connection received on 198.51.100.1 " "$BATS_TEST_TMPDIR/s2"
    # from another machine, to the host's address on its network
    serve_once "$HS" 198.51.100.2 8181 "$BATS_TEST_TMPDIR/s3"
    rb_run ip netns exec "$HC" nc -w 3 203.0.113.1 8181 </dev/null
    assert_output hello
    rb_run grep -c "Connection received on 203.0.113.2 " "$BATS_TEST_TMPDIR/s3"
    # other ports are not published
    rb_run 1 ip netns exec "$HC" nc -w 2 -z 203.0.113.1 8182

    # idempotent, and --check agrees
    rb_run "${apply[@]}"
    rb_run "${apply[@]}" --check
    check_clean
    rb_run bash -c "ip netns exec $H iptables-legacy-save -t nat | grep -c 'rb:jump'"
    assert_output 3
    # entry off: the nat part goes away at the next apply
    np_write "$NP" "RBRN_ENTRY_ENABLED=0"
    rb_run "${apply[@]}"
    rb_run ip netns exec "$H" iptables-legacy-save -t nat
    refute_output --partial "RB-"
    np_write "$NP" "RBRN_ENTRY_PORT_WORKSTATION=8181"
    rb_run "${apply[@]}"

    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --remove --host-only --netns "/run/netns/$H"
    rb_run ip netns exec "$H" iptables-legacy-save
    refute_output --partial "RB-"
    # route_localnet stays: others on the bridge may rely on it
    rb_run ip netns exec "$H" sysctl -n net.ipv4.conf.rbtup0.route_localnet
    assert_output 1
    rb_run 1 ip netns exec "$H" nc -w 2 -z 198.51.100.1 8181
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --remove --host-only --netns "/run/netns/$H"
}

# Podman 5 gives an --internal network no gateway unless asked: its first
# container may get the address the host put on the bridge, and a DNAT to
# it would send the entry port back to the host.
@test "entry port: a sentry uplink address that is the host's own is refused, nothing written" {
    local H a
    H=$(rb_netns_new)
    ip -n "$H" link add rbtup0 type bridge
    ip -n "$H" addr add 198.51.100.1/24 dev rbtup0
    ip -n "$H" link set rbtup0 up
    np_write "$NP" "RBRN_ENTRY_PORT_WORKSTATION=8181"
    # the address itself and the subnet's broadcast, which the host takes too
    for a in 198.51.100.1 198.51.100.255; do
        rb_run 1 "$RB_BIN/rb-fw-apply" --nameplate "$NP" --host-only --netns "/run/netns/$H" \
            --bridge rbtbr0 --uplink-bridge rbtup0 --sentry-uplink-ip "$a"
        assert_output --partial "uplink address $a is also this host's"
        rb_run ip netns exec "$H" iptables-legacy-save
        refute_output --partial "RB-"
        rb_run ip netns exec "$H" nft list ruleset
        refute_output --partial "rb"
    done
    rb_run ip netns exec "$H" sysctl -n net.ipv4.conf.rbtup0.route_localnet
    assert_output 0
}

# mk/bottle.sh start names the sentry by PID: the entry port then goes to
# the address on the sentry's uplink interface, with no podman to ask.
@test "entry port with --netns --host: DNAT to the address found on the sentry's uplink" {
    rb_xtables_only
    local H
    H=$(rb_netns_new)
    ip -n "$H" link add rbtup0 type bridge
    np_write "$NP" "RBRN_ENTRY_PORT_WORKSTATION=8181"
    rb_run ip netns exec "$H" "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" \
        --host --bridge rbtbr0 --uplink-bridge rbtup0
    rb_run ip netns exec "$H" iptables-legacy-save -t nat
    assert_line '-A RB-E-rbtfw -p tcp -m tcp --dport 8181 -m comment --comment "rb:entry-host" -j DNAT --to-destination 198.51.100.2:8181'
    rb_run ip netns exec "$S" iptables-legacy-save -t filter
    assert_line --partial '-A FORWARD -m comment --comment "rb:jump" -j RB-FORWARD'
}

@test "no name resolution: a large allowlist is applied without the resolver's files" {
    rb_xtables_only
    # 2,000 CIDRs, the first one the world's: each went through libipset's
    # text parser once, and gethostbyname2() stat()ed /etc/resolv.conf for
    # every one of them
    local cidrs tr=$BATS_TEST_TMPDIR/trace
    cidrs=$(awk 'BEGIN { for (i = 0; i < 1999; i++) printf " 11.%d.%d.0/24", int(i / 256), i % 256 }')
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/24$cidrs"
    # LeakSanitizer cannot run under ptrace; the runs below check leaks
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 rb_run \
        strace -f -qq -e trace=open,openat,stat,lstat,newfstatat,statx,access -o "$tr" \
        "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S"
    # the trace saw the run: rb-fw-apply read its nameplate
    rb_run grep -c -- "$NP" "$tr"
    rb_run 1 grep -m3 -E '/etc/(resolv\.conf|hosts|host\.conf|nsswitch\.conf|gai\.conf)' "$tr"
    assert_output ""
    rb_run ip netns exec "$S" ipset list -t RB-CIDR
    assert_line "Number of entries: 2000"
    # sized for its members: no resize while it was filled
    assert_line --regexp '^Header: family inet hashsize 2048 maxelem 262144 '
    rb_run ip netns exec "$S" ipset list -n
    assert_output $'RB-CIDR\nRB-DNS\nRB-HOST'
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 rb_run \
        strace -f -qq -e trace=open,openat,stat,lstat,newfstatat,statx,access -o "$tr" \
        "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" --check
    check_clean
    rb_run 1 grep -m3 -E '/etc/(resolv\.conf|hosts|host\.conf|nsswitch\.conf|gai\.conf)' "$tr"
    # and without the tracer (leak checks on under make SAN=1): re-applying
    # replaces the members exactly
    ip netns exec "$S" ipset add RB-CIDR 9.9.9.0/24
    ip netns exec "$S" ipset del RB-CIDR 11.3.7.0/24
    rb_run fw
    rb_run fw --check
    check_clean
    rb_run ip netns exec "$S" ipset test RB-CIDR 11.3.7.1
    rb_run 1 ip netns exec "$S" ipset test RB-CIDR 9.9.9.1
}

@test "verbs: each verb and its old flag exit, print and leave iptables-legacy-save and ipset alike" {
    verbs_same_state xtables
}

@test "verbs: two verbs, a verb and a mode flag, an unknown verb: exit 1, and the netns is unchanged" {
    verbs_usage xtables
}

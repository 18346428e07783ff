#!/usr/bin/env bats
# The entry port end to end, with real containers: the simulated world
# (mk/world.sh, an --internal podman network where podman cannot publish
# ports) as the uplink, a bottle started by mk/bottle.sh from a test
# nameplate, a service in the bottle as the bottle's user, and connections
# from the host. rb-fw-apply publishes the port on the host (nat RB-E-<M>,
# RB-EPOST-<M>; on nft, those chains of table inet rb-<M>), the sentry
# DNATs it on to the bottle.
#
#   host 10.243.0.1:WS / 127.0.0.1:WS -> sentry uplink:WS -> bottle 10.242.56.3:ES

bats_require_minimum_version 1.5.0
load helpers

M=rbtentry
WS=18455 # RBRN_ENTRY_PORT_WORKSTATION: used by no other test or nameplate
ES=8888  # RBRN_ENTRY_PORT_ENCLAVE
HOST_IP=10.243.0.1 # the host's address on rb-world (mk/world.sh)

setup() {
    rb_require_images
    bash "$RB_TOP/mk/world.sh" start >/dev/null || fail "cannot start the world"
    NP=$BATS_TEST_TMPDIR/$M.mk
    cat >"$NP" <<EOF
RBRN_MONIKER                = $M
RBRN_DESCRIPTION            = test/055-entry.bats
RBRN_ENCLAVE_SUBNET         = 10.242.56.0/24
RBRN_ENCLAVE_SENTRY_IP      = 10.242.56.2
RBRN_ENCLAVE_BOTTLE_IP      = 10.242.56.3
RBRN_UPLINK_NETWORK         = rb-world
RBRN_UPLINK_GATEWAY         = 10.243.0.2
RBRN_UPLINK_DNS_SERVER      = 8.8.8.8
RBRN_ENTRY_ENABLED          = 1
RBRN_ENTRY_PORT_WORKSTATION = $WS
RBRN_ENTRY_PORT_ENCLAVE     = $ES
RBRN_UPLINK_DNS_ENABLED     = 1
RBRN_UPLINK_DNS_GLOBAL      = 0
RBRN_UPLINK_DNS_INTERCEPT   = 0
RBRN_UPLINK_ACCESS_ENABLED  = 1
RBRN_UPLINK_ACCESS_GLOBAL   = 0
RBRN_UPLINK_ALLOWED_CIDRS   = 160.79.104.0/23
RBRN_UPLINK_ALLOWED_DOMAINS = anthropic.com
EOF
}

teardown() {
    # stop is idempotent: also after a failed start or a stop in the test
    bottle stop >/dev/null 2>&1 || true
    rb_default_teardown
}

bottle() { (cd "$RB_TOP" && RB_BIN="$RB_BIN" bash mk/bottle.sh "$1" "$NP"); }

# One connection to the bottle's service gets "hello"; nc -v writes the
# peer it saw into /tmp/peer inside the bottle.
serve() {
    podman exec -d "rb-$M-bottle" sh -c "echo hello | exec nc -n -v -l -N $ES 2>/tmp/peer" >/dev/null
    local i
    for i in $(seq 50); do
        podman exec "rb-$M-bottle" ss -Hltn "sport = :$ES" | grep -q LISTEN && return 0
        sleep 0.1
    done
    fail "the bottle's service does not listen on $ES"
}

@test "entry port: the host's address and 127.0.0.1 reach the bottle, the bottle cannot go back" {
    rb_run rb_host_objects "$M"
    assert_output ''
    rb_run bottle start
    local up br
    up=$(podman inspect -f '{{(index .NetworkSettings.Networks "rb-world").IPAddress}}' "rb-$M-sentry")
    [[ $up == 10.243.0.* ]] || fail "no uplink address for the sentry: '$up'"
    br=$(podman network inspect -f '{{.NetworkInterface}}' rb-world)

    # the host's part, as the kernel holds it
    if [ "$(rb_backend)" = nft ]; then
        rb_run nft -s list table inet "rb-$M"
        assert_line --regexp "^[[:space:]]+type nat hook prerouting priority dstnat; policy accept;$"
        assert_line --regexp "^[[:space:]]+tcp dport $WS fib daddr \. iif type local counter jump RB-E-$M comment \"rb:jump\"$"
        assert_line --regexp "^[[:space:]]+tcp dport $WS fib daddr type local counter jump RB-E-$M comment \"rb:jump\"$"
        assert_line --regexp "^[[:space:]]+ip saddr 127\.0\.0\.0/8 ip daddr ${up//./\\.} ip protocol tcp counter jump RB-EPOST-$M comment \"rb:jump\"$"
        rb_run rb_host_chain "$M" "RB-E-$M"
        assert_output "tcp dport $WS counter dnat ip to $up:$WS comment \"rb:entry-host\""
        rb_run rb_host_chain "$M" "RB-EPOST-$M"
        assert_output "ip saddr 127.0.0.0/8 ip daddr $up tcp dport $WS counter masquerade comment \"rb:entry-localhost\""
    else
        rb_run iptables-legacy-save -t nat
        refute_output --partial "unsupported revision"
        assert_line "-A PREROUTING -p tcp -m tcp --dport $WS -m addrtype --dst-type LOCAL --limit-iface-in -m comment --comment \"rb:jump\" -j RB-E-$M"
        assert_line "-A OUTPUT -p tcp -m tcp --dport $WS -m addrtype --dst-type LOCAL -m comment --comment \"rb:jump\" -j RB-E-$M"
        assert_line "-A POSTROUTING -s 127.0.0.0/8 -d $up/32 -p tcp -m comment --comment \"rb:jump\" -j RB-EPOST-$M"
        assert_line "-A RB-E-$M -p tcp -m tcp --dport $WS -m comment --comment \"rb:entry-host\" -j DNAT --to-destination $up:$WS"
        assert_line "-A RB-EPOST-$M -s 127.0.0.0/8 -d $up/32 -p tcp -m tcp --dport $WS -m comment --comment \"rb:entry-localhost\" -j MASQUERADE"
    fi
    rb_run sysctl -n "net.ipv4.conf.$br.route_localnet"
    assert_output 1

    # the host's address on the uplink
    serve
    rb_run nc -w 3 "$HOST_IP" "$WS" </dev/null
    assert_output hello
    rb_run --separate-stderr podman exec "rb-$M-bottle" cat /tmp/peer
    assert_output --partial "Connection received on $HOST_IP "
    # 127.0.0.1: masqueraded to the bridge's address on its way out
    serve
    rb_run nc -w 3 127.0.0.1 "$WS" </dev/null
    assert_output hello
    rb_run --separate-stderr podman exec "rb-$M-bottle" cat /tmp/peer
    assert_output --partial "Connection received on $HOST_IP "
    # the host DNATed both, the sentry counted both on its way in: the
    # kernel's counters, and rb-fw-apply --counters reading them
    local sp
    sp=$(podman inspect -f '{{.State.Pid}}' "rb-$M-sentry")
    [ "$(rb_host_pkts "$M" "RB-E-$M")" -eq 2 ] || fail "the host's RB-E-$M counted $(rb_host_pkts "$M" "RB-E-$M") packets, not 2"
    [ "$(rb_pkts "$sp" entry-dnat nat)" -eq 2 ] || fail "the sentry's rb:entry-dnat counted $(rb_pkts "$sp" entry-dnat nat) packets, not 2"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --counters
    assert_line --regexp "^nat RB-PREROUTING [0-9]+ 2 [0-9]+ rb:entry-dnat "

    # backwards: from the bottle, neither the host's address nor the
    # sentry's uplink address leads into the entry path (the service still
    # waits for its one connection)
    serve
    # nc's own message, moved to stdout inside the bottle: podman's stderr is not read
    rb_run --separate-stderr '?' podman exec "rb-$M-bottle" sh -c 'exec nc -v -w 2 -z "$1" "$2" 2>&1' sh "$HOST_IP" "$WS"
    assert_failure
    assert_output --partial "refused"
    # nc's own message, moved to stdout inside the bottle: podman's stderr is not read
    rb_run --separate-stderr '?' podman exec "rb-$M-bottle" sh -c 'exec nc -v -w 2 -z "$1" "$2" 2>&1' sh "$up" "$WS"
    assert_failure
    assert_output --partial "refused"
    rb_run --separate-stderr podman exec "rb-$M-bottle" ss -Hltn "sport = :$ES"
    assert_output --partial LISTEN
    rb_run --separate-stderr podman exec "rb-$M-bottle" cat /tmp/peer
    refute_output --partial "Connection received"
    # refused by the sentry: the host's address is one of RB-HOST's, the
    # sentry's own address is its INPUT's
    [ "$(rb_pkts "$sp" never-host)" -eq 1 ] || fail "rb:never-host counted $(rb_pkts "$sp" never-host) packets, not 1"
    [ "$(rb_pkts "$sp" in-reject)" -eq 1 ] || fail "rb:in-reject counted $(rb_pkts "$sp" in-reject) packets, not 1"
    [ "$(rb_host_pkts "$M" "RB-E-$M")" -eq 2 ] || fail "the host's RB-E-$M counted the bottle's attempts"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --counters
    assert_line --regexp "^filter RB-EGRESS [0-9]+ 1 [0-9]+ rb:never-host "
    assert_line --regexp "^filter RB-INPUT [0-9]+ 1 [0-9]+ rb:in-reject "

    rb_run bottle stop
    rb_run rb_host_objects "$M"
    assert_output ''
    rb_run '?' nc -w 2 -z 127.0.0.1 "$WS"
    assert_failure
    # route_localnet is never reset (other bottles, netavark may need it)
    rb_run sysctl -n "net.ipv4.conf.$br.route_localnet"
    assert_output 1
}

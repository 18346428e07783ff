#!/usr/bin/env bats
# The real uplink (RBRN_UPLINK_NETWORK=podman): the sentry's resolver is
# the host's when RBRN_UPLINK_DNS_SERVER is unset, and its gateway is the
# uplink network's. Chosen from fake resolv.conf files ($RB_RESOLV_CONF)
# and a fake podman ($RB_PODMAN) answering `network ls`: no packet is sent.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    D=$BATS_TEST_TMPDIR
    cat >"$D/podman" <<'SH'
#!/bin/bash
# fake podman: `network ls --format json` answers $FAKE_NETS
[ "$*" = "network ls --format json" ] || { echo "fake podman: unexpected: $*" >&2; exit 125; }
cat "$FAKE_NETS"
SH
    chmod +x "$D/podman"
    export RB_PODMAN="$D/podman" FAKE_NETS="$D/nets.json"
    # podman's default network (routed, NAT) and an --internal one
    cat >"$FAKE_NETS" <<'JSON'
[
 {"name": "podman", "id": "2f259bab93aa", "driver": "bridge", "network_interface": "podman0",
  "subnets": [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}],
  "ipv6_enabled": false, "internal": false, "dns_enabled": false},
 {"name": "rbt-inner", "id": "db3e3c19b446", "driver": "bridge", "network_interface": "podman9",
  "subnets": [{"subnet": "10.199.9.0/24", "gateway": "10.199.9.1"}],
  "ipv6_enabled": false, "internal": true, "dns_enabled": false}
]
JSON
    NP=$D/np.mk
    printf '%s\n' "RBRN_MONIKER = rbtup" "RBRN_ENCLAVE_SUBNET = 10.199.8.0/24" \
        "RBRN_ENCLAVE_SENTRY_IP = 10.199.8.2" "RBRN_ENCLAVE_BOTTLE_IP = 10.199.8.3" \
        "RBRN_UPLINK_NETWORK = podman" "RBRN_UPLINK_DNS_ENABLED = 1" \
        "RBRN_UPLINK_ACCESS_ENABLED = 1" "RBRN_UPLINK_ALLOWED_DOMAINS = example.com" >"$NP"
}

# conf NAME LINE...: a fake resolv.conf
conf() {
    local f="$D/$1"
    shift
    printf '%s\n' "$@" >"$f"
    echo "$f"
}

# uplink_env RESOLV_CONF [NAME=VALUE...]: the DNS server and gateway the
# check chose, as mk/bottle.sh reads them.
uplink_env() {
    local rc=$1 out
    shift
    rb_run --separate-stderr '?' env RB_RESOLV_CONF="$rc" "$@" \
        "$RB_BIN/rb-net-create" --check --print-env --nameplate "$NP"
    [ "$status" -eq 0 ] || { echo "check failed: $stderr"; return 1; }
    out=$output
    rb_run '?' env -i bash -c "$out"$'\n''echo "dns=$RBRN_UPLINK_DNS_SERVER gw=$RBRN_UPLINK_GATEWAY seen=$RB_UPLINK_GATEWAY"'
}

@test "unset RBRN_UPLINK_DNS_SERVER: the host's first usable IPv4 resolver" {
    uplink_env "$(conf a 'search example.org' 'nameserver 192.0.2.53' 'nameserver 192.0.2.54')"
    assert_output "dns=192.0.2.53 gw= seen=10.88.0.1"
    # IPv6 resolvers are skipped (the sentry has no IPv6), so is loopback
    uplink_env "$(conf b 'nameserver 2001:db8::53' 'nameserver 127.0.0.1' '  nameserver	198.51.100.53 ')"
    assert_output "dns=198.51.100.53 gw= seen=10.88.0.1"
    # a resolver inside the enclave is the bottle's own network, not the uplink
    uplink_env "$(conf c 'nameserver 10.199.8.53' 'nameserver 192.0.2.9')"
    assert_output "dns=192.0.2.9 gw= seen=10.88.0.1"
    # a value given wins over the host's
    uplink_env "$D/a" RBRN_UPLINK_DNS_SERVER=203.0.113.53
    assert_output "dns=203.0.113.53 gw= seen=10.88.0.1"
}

@test "behind systemd-resolved's stub the upstream list is read next" {
    local stub upstream
    stub=$(conf stub 'nameserver 127.0.0.53' 'options edns0 trust-ad')
    upstream=$(conf upstream 'nameserver 192.0.2.77')
    uplink_env "$stub:$upstream"
    assert_output "dns=192.0.2.77 gw= seen=10.88.0.1"
}

@test "no usable resolver: one message naming RBRN_UPLINK_DNS_SERVER, exit 1" {
    rb_run --separate-stderr 1 env RB_RESOLV_CONF="$(conf s 'nameserver 127.0.0.53')" \
        "$RB_BIN/rb-net-create" --check --print-env --nameplate "$NP"
    [ -z "$output" ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *'RBRN_UPLINK_DNS_SERVER: "": not set, and the host'\''s resolver 127.0.0.53'*'set it'* ]]
    rb_run --separate-stderr 1 env RB_RESOLV_CONF="$(conf e '# nothing')" \
        "$RB_BIN/rb-net-create" --check --nameplate "$NP"
    [[ "$stderr" == *"RBRN_UPLINK_DNS_SERVER"*"names no IPv4 resolver"* ]]
    rb_run --separate-stderr 1 env RB_RESOLV_CONF="$D/missing" \
        "$RB_BIN/rb-net-create" --check --nameplate "$NP"
    [[ "$stderr" == *"RBRN_UPLINK_DNS_SERVER"* ]]
    # the policy tools read the same choice
    rb_run --separate-stderr 1 env RB_RESOLV_CONF="$D/s" "$RB_BIN/rb-fw-apply" --nameplate "$NP" --resolver-conf
    rb_run --separate-stderr env RB_RESOLV_CONF="$(conf a 'nameserver 192.0.2.53')" \
        "$RB_BIN/rb-fw-apply" --nameplate "$NP" --resolver-conf
    assert_line "server=/example.com/192.0.2.53"
}

@test "an --internal uplink: the host's resolver only when inside its subnet; no gateway" {
    rb_run --separate-stderr 1 env RB_RESOLV_CONF="$(conf a 'nameserver 192.0.2.53')" \
        RBRN_UPLINK_NETWORK=rbt-inner "$RB_BIN/rb-net-create" --check --nameplate "$NP"
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *'RBRN_UPLINK_DNS_SERVER: "": not set, and the host'\''s resolver 192.0.2.53 is not reachable from the --internal network "rbt-inner"'* ]]
    uplink_env "$(conf in 'nameserver 10.199.9.53')" RBRN_UPLINK_NETWORK=rbt-inner
    assert_output "dns=10.199.9.53 gw= seen="
    # a gateway of the nameplate's own is not replaced
    uplink_env "$D/a" RBRN_UPLINK_GATEWAY=10.88.0.7
    assert_output "dns=192.0.2.53 gw=10.88.0.7 seen="
}

# -*- bash -*-
# Shared by test/020-fw.bats (both backends, xtables state) and
# test/021-fw-nft.bats (nft state, IPv6, coexistence): the B/S/W netns
# topology with the world's public-looking addresses, the test nameplate,
# rb-fw-apply against the sentry netns, and TCP from the bottle.

setup() {
    rb_topology_bsw
    local a
    for a in 8.8.8.8 1.1.1.1 160.79.104.10 10.99.0.1; do
        ip -n "$W" addr add "$a/32" dev lo
    done
    # The world answers back to the sentry's uplink only (masquerade).
    # A new netns copies ip_forward from the host; the sentry container
    # starts without it, and so does this one.
    ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=0
    ip netns exec "$S" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
    NP=$BATS_TEST_TMPDIR/np.mk
    np_write
}

teardown() {
    rb_default_teardown
}

# np_write [NAME=VALUE]...: the test nameplate, with values replaced.
NP_BASE=(
    "RBRN_MONIKER=rbtfw"
    "RBRN_ENCLAVE_SUBNET=10.242.0.0/24"
    "RBRN_ENCLAVE_SENTRY_IP=10.242.0.2"
    "RBRN_ENCLAVE_BOTTLE_IP=10.242.0.3"
    "RBRN_UPLINK_NETWORK=rbt-none"
    "RBRN_UPLINK_DNS_SERVER=8.8.8.8"
    "RBRN_ENTRY_ENABLED=1"
    "RBRN_ENTRY_PORT_WORKSTATION=8080"
    "RBRN_ENTRY_PORT_ENCLAVE=8888"
    "RBRN_UPLINK_DNS_ENABLED=1"
    "RBRN_UPLINK_DNS_GLOBAL=0"
    "RBRN_UPLINK_DNS_INTERCEPT=0"
    "RBRN_UPLINK_ACCESS_ENABLED=1"
    "RBRN_UPLINK_ACCESS_GLOBAL=0"
    "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/24"
    "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com"
)
np_write() {
    local kv o val
    : >"$NP"
    for kv in "${NP_BASE[@]}"; do
        val=${kv#*=}
        for o in "$@"; do
            [ "${o%%=*}" = "${kv%%=*}" ] && val=${o#*=}
        done
        echo "${kv%%=*} = $val" >>"$NP"
    done
}

fw() { "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" "$@"; }

# After `run ... --check`: the backend was named, and there is no difference.
check_clean() {
    assert_line --regexp '^# backend (xtables|nft) '
    refute_line --regexp '^[^#]'
}

# A TCP listener in the world on every address; nc exits 0 when it connects.
listen_world() {
    local port
    for port in "$@"; do
        ip netns exec "$W" nc -lk 0.0.0.0 "$port" </dev/null >/dev/null 2>&1 3>&- &
    done
    for port in "$@"; do
        wait_listen "$W" "$port"
    done
}

# connect ADDR PORT: TCP connect from the bottle; nc -v says why it failed.
connect() {
    run ip netns exec "$B" nc -v -w 2 -z "$1" "$2"
}



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
    np_write "$NP"
}

teardown() {
    rb_default_teardown
}

# The test nameplate: np_write's base (test/helpers.bash).
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
    rb_run '?' ip netns exec "$B" nc -v -w 2 -z "$1" "$2"
}



# ---- verbs and their old flags (020 on xtables, 021 on nft) ----------------

# verb_ns: a fresh sentry netns made like $S (en0 10.242.0.2/24, up0
# 198.51.100.2/24, forwarding off) with the bridges a host part needs
# (rbtbr0, rbtup0); prints its name.
verb_ns() {
    local x l
    x=$(rb_netns_new) || return 1
    ip -n "$x" link add en0 type veth peer name en0p || return 1
    ip -n "$x" link add up0 type veth peer name up0p || return 1
    ip -n "$x" addr add 10.242.0.2/24 dev en0
    ip -n "$x" addr add 198.51.100.2/24 dev up0
    ip -n "$x" link add rbtbr0 type bridge
    ip -n "$x" link add rbtup0 type bridge
    for l in en0 en0p up0 up0p rbtup0; do ip -n "$x" link set "$l" up; done
    ip netns exec "$x" sysctl -qw net.ipv4.ip_forward=0
    echo "$x"
}

# verb_state NS BACKEND: what rb-fw-apply may change in NS, on BACKEND's
# own tool, counters and handles left out.
verb_state() {
    ip netns exec "$1" sysctl net.ipv4.ip_forward net.ipv6.conf.all.disable_ipv6 \
        net.ipv4.conf.rbtup0.route_localnet
    if [ "$2" = nft ]; then
        ip netns exec "$1" nft -j list ruleset | rb_nft_norm
    else
        ip netns exec "$1" iptables-legacy-save | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]$/[0:0]/'
        # a set's hash seed is its own each time; members come in hash order
        ip netns exec "$1" ipset save | sed -E 's/ initval 0x[0-9a-f]+//' | sort
    fi
}

# verbs_same_state BACKEND: each verb and its old flag, run on two netns of
# the same make, exit alike, print alike and leave the same state.
verbs_same_state() {
    local be=$1 p v flag rc a b sa sa2 sb oa ob fresh
    local fwa=("$RB_BIN/rb-fw-apply" --backend "$be" --nameplate "$NP")
    local host=(--host-only --bridge rbtbr0 --uplink-bridge rbtup0 --sentry-uplink-ip 198.51.100.9)
    fresh=$(verb_state "$(verb_ns)" "$be")
    # VERB:OLD FLAG:EXIT; apply's old form is no flag at all
    for p in apply::0 show:--dry-run:0 check:--check:3 counters:--counters:0 \
        resolver-conf:--resolver-conf:0 learner-conf:--learner-conf:0 remove:--remove:0; do
        IFS=: read -r v flag rc <<<"$p"
        a=$(verb_ns) && b=$(verb_ns) || fail "cannot make the netns"
        case $v in
        check | counters)
            # a policy to check and count, drifted alike in both
            rb_run 0 "${fwa[@]}" --netns "/run/netns/$a" apply
            rb_run 0 "${fwa[@]}" --netns "/run/netns/$b" apply
            ip netns exec "$a" sysctl -qw net.ipv4.ip_forward=0
            ip netns exec "$b" sysctl -qw net.ipv4.ip_forward=0
            ;;
        remove)
            # the host part, to be removed
            rb_run 0 "${fwa[@]}" --netns "/run/netns/$a" "${host[@]}" apply
            rb_run 0 "${fwa[@]}" --netns "/run/netns/$b" "${host[@]}" apply
            [ -n "$(rb_fw_objects "$a")" ] || fail "no host part to remove"
            ;;
        esac
        sa=$(verb_state "$a" "$be")
        if [ "$v" = remove ]; then
            rb_run --separate-stderr "$rc" "${fwa[@]}" --netns "/run/netns/$a" --host-only "$v"
            oa=$output
            rb_run --separate-stderr "$rc" "${fwa[@]}" --netns "/run/netns/$b" --host-only ${flag:+"$flag"}
        else
            rb_run --separate-stderr "$rc" "${fwa[@]}" --netns "/run/netns/$a" "$v"
            oa=$output
            rb_run --separate-stderr "$rc" "${fwa[@]}" --netns "/run/netns/$b" ${flag:+"$flag"}
        fi
        ob=$output
        if [ "$v" = counters ]; then
            # a netns's own packets (its veths coming up) count where they fall
            oa=$(awk '{ $4 = $5 = 0 } 1' <<<"$oa")
            ob=$(awk '{ $4 = $5 = 0 } 1' <<<"$ob")
        fi
        [ "$oa" = "$ob" ] || fail "$v and ${flag:-no flag} print differently: $(diff <(echo "$oa") <(echo "$ob"))"
        sb=$(verb_state "$b" "$be")
        sa2=$(verb_state "$a" "$be")
        [ "$sa2" = "$sb" ] || fail "$v and ${flag:-no flag} leave different states: $(diff <(echo "$sa2") <(echo "$sb"))"
        case $v in
        apply) [ "$sa2" != "$fresh" ] || fail "apply changed nothing" ;;
        remove) [ -z "$(rb_fw_objects "$a")" ] || fail "remove left $(rb_fw_objects "$a")" ;;
        show) [ -n "$oa" ] && [ "$sa2" = "$fresh" ] || fail "show printed nothing or changed the netns" ;;
        check) [[ $oa == *"sysctl net.ipv4.ip_forward: is 0, expected 1"* ]] && [ "$sa2" = "$sa" ] ||
            fail "check missed the drift or changed the netns: $oa" ;;
        counters) [[ $oa == *" rb:"* ]] && [ "$sa2" = "$sa" ] || fail "counters: $oa" ;;
        *) [ -n "$oa" ] && [ "$sa2" = "$fresh" ] || fail "$v printed nothing or changed the netns" ;;
        esac
    done
}

# verbs_usage BACKEND: two verbs, a verb and an old flag, or an unknown
# verb: exit 1, iproute2's words, nothing printed, the netns untouched.
verbs_usage() {
    local be=$1 x before args want
    x=$(verb_ns) || fail "cannot make the netns"
    before=$(verb_state "$x" "$be")
    while IFS='|' read -r args want; do
        # shellcheck disable=SC2086
        rb_run --separate-stderr 1 "$RB_BIN/rb-fw-apply" --backend "$be" --nameplate "$NP" \
            --netns "/run/netns/$x" $args
        [ "$stderr" = "$want" ] || fail "$args: $stderr"
        [ -z "$output" ] || fail "$args printed: $output"
    done <<'EOF2'
apply show|Error: duplicate "apply": "show" is the second value.
show apply|Error: duplicate "show": "apply" is the second value.
apply apply|Error: duplicate "apply": "apply" is the second value.
--check apply|Error: duplicate "--check": "apply" is the second value.
apply --dry-run|Error: duplicate "--dry-run": "apply" is the second value.
--remove --check|Error: duplicate "--remove": "--check" is the second value.
aply|Error: argument "aply" is wrong: not a verb: apply, show, check, counters, resolver-conf, learner-conf or remove
apply bogus|Error: argument "bogus" is wrong: not a verb: apply, show, check, counters, resolver-conf, learner-conf or remove
--host-only counters|Error: argument "--host-only" is wrong: goes with apply, show, check or remove, not counters
EOF2
    [ "$(verb_state "$x" "$be")" = "$before" ] || fail "a usage error changed the netns"
}

#!/usr/bin/env bats
# The nft backend against the netns topology of test/020 (fw_helpers.bash),
# whatever RB_FW_BACKEND says: state read with `nft -j list` / `nft -s list`
# inside the netns, packets that did or did not arrive, IPv6 closed by
# policy on both backends, switching backends, the apply lock on both
# backends, and other nft tables left byte for byte as they were.

bats_require_minimum_version 1.5.0
load helpers
load fw_helpers

nfw() { fw --backend nft "$@"; }

# The backends this kernel has (legacy xtables may be built out).
both_backends() {
    [ ! -e /proc/net/ip_tables_names ] || echo xtables
    echo nft
}

# The table as the dry run printed it, and as the kernel lists it, without
# set elements (nft merges the CIDR intervals and wraps long lists).
no_elements() { grep -v -e 'elements = ' -e '^[[:space:]]*[0-9.]*,\? *[0-9., ]*}\?$' | grep -v '^$'; }

@test "nft --dry-run: a ruleset that nft -c -f takes unchanged, and nothing is touched" {
    rb_run nfw --dry-run
    assert_line '# backend nft (chosen)'
    assert_line 'table inet rb {'
    assert_line --partial 'type filter hook forward priority filter; policy drop;'
    assert_line --partial 'ip saddr 10.242.0.3 oifname "up0" counter masquerade comment "rb:masq"'
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/dry.nft"
    rb_run ip netns exec "$S" nft -c -f "$BATS_TEST_TMPDIR/dry.nft"
    rb_run ip netns exec "$S" nft list ruleset
    assert_output ""
    rb_run ip netns exec "$S" sysctl -n net.ipv4.ip_forward
    assert_output 0
    # without a sentry at all, from interface names
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --backend nft --dry-run --enclave-if en0 --uplink-if up0
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/dry2.nft"
    rb_run ip netns exec "$S" nft -c -f "$BATS_TEST_TMPDIR/dry2.nft"
}

@test "nft apply: the kernel lists back what --dry-run printed; no xtables objects" {
    nfw --dry-run | sed -n '/^delete table/,$p' | tail -n +2 >"$BATS_TEST_TMPDIR/want"
    rb_run nfw
    ip netns exec "$S" nft -s list table inet rb >"$BATS_TEST_TMPDIR/got"
    diff -u <(no_elements <"$BATS_TEST_TMPDIR/want") <(no_elements <"$BATS_TEST_TMPDIR/got") ||
        fail "the live table differs from the dry run"
    rb_run ip netns exec "$S" nft -j list table inet rb
    local j=$output
    # policy drop on every filter hook, IPv6 dropped first in each
    rb_run jq -r '.nftables[].chain? | select(.hook) | "\(.name) \(.type) \(.hook) \(.policy)"' <<<"$j"
    assert_output $'filter-input filter input drop\nfilter-forward filter forward drop\nfilter-output filter output drop\nnat-prerouting nat prerouting accept\nnat-postrouting nat postrouting accept'
    rb_run jq -r '[.nftables[].rule? | select(.chain == "filter-forward") | .comment] | join(" ")' <<<"$j"
    assert_output "rb:ipv6 rb:jump"
    # (each REJECT follows its rate-limited log rule, rb:log-<id>: left out here)
    rb_run jq -r '[.nftables[].rule? | select(.chain == "RB-EGRESS") | .comment | select(startswith("rb:log-") | not)] | join(" ")' <<<"$j"
    assert_output "rb:dns-udp rb:dns-tcp rb:dns-udp rb:dns-tcp rb:dns-udp rb:dns-tcp rb:icmp rb:cidr rb:never-host $(printf 'rb:never-private %.0s' 1 2 3 4 5 6 7 8 9)rb:never-uplink rb:dns-set rb:reject"
    # every rule carries its id, and a counter
    rb_run jq '[.nftables[].rule? | select(.) | select((.comment // "" | startswith("rb:")) | not)] | length' <<<"$j"
    assert_output 0
    rb_run jq '[.nftables[].rule? | select(.) | select([.expr[] | has("counter")] | any | not)] | length' <<<"$j"
    assert_output 0
    rb_run jq -r '.nftables[].set? | select(.) | "\(.name) \(.type) \(.flags // [] | join(",")) \(.timeout // 0)"' <<<"$j"
    assert_output $'RB-CIDR ipv4_addr interval 0\nRB-DNS ipv4_addr timeout 900\nRB-HOST ipv4_addr  0'
    rb_run jq -c '.nftables[].set? | select(.name == "RB-CIDR") | .elem' <<<"$j"
    assert_output '[{"prefix":{"addr":"160.79.104.0","len":24}}]'
    rb_run ip netns exec "$S" sysctl -n net.ipv4.ip_forward
    assert_output 1
    # nothing of the xtables backend
    rb_run ip netns exec "$S" iptables-legacy-save
    refute_output --partial "RB-"
    rb_run ip netns exec "$S" ipset list -n
    assert_output ""
    rb_run nfw --check
    check_clean
    assert_line '# backend nft (chosen)'
}

# cidrs_become CIDRS ELEMS: with the allowlist CIDRS applied, RB-CIDR lists
# ELEMS (nft -j) and --check agrees
cidrs_become() {
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=$1"
    rb_run nfw
    rb_run ip netns exec "$S" nft -j list set inet rb RB-CIDR
    rb_run jq -c '.nftables[].set? | select(.) | .elem' <<<"$output"
    assert_output "$2"
    rb_run nfw --check
    check_clean
}

@test "nft: overlapping CIDRs are one interval, and --check still agrees" {
    cidrs_become "160.79.104.0/24 160.79.0.0/16 9.9.8.0/24 9.9.9.0/24" \
        '[{"prefix":{"addr":"9.9.8.0","len":23}},{"prefix":{"addr":"160.79.0.0","len":16}}]'
}

# rb-fw-apply sends the allowlist's elements as netlink messages of its own
# making (lib/fw_nft_intervals.c), not as the text it prints: the kernel
# must end up with the set that nft makes of that text, for nested,
# adjacent, /32 and top-of-range CIDRs, and for more elements than one
# message holds.
@test "nft: the allowlist rb-fw-apply loads is the set nft -f makes of its --dry-run" {
    local many i
    many=$(for ((i = 0; i < 4000; i++)); do printf '%d.%d.%d.0/24 ' $((20 + i / 128)) $(((i % 128) * 2)) 7; done)
    for cidrs in "128.0.0.0/1 1.2.3.4/32 1.2.3.5/32 1.2.3.6/31 9.0.0.0/8 9.1.0.0/16 11.0.0.0/8 9.255.255.255/32" "$many"; do
        np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=$cidrs"
        rb_run nfw
        rb_run ip netns exec "$S" nft -j list set inet rb RB-CIDR
        jq -c '.nftables[].set? | select(.) | .elem' <<<"$output" >"$BATS_TEST_TMPDIR/rb"
        nfw --dry-run >"$BATS_TEST_TMPDIR/dry.nft"
        rb_run ip netns exec "$S" nft delete table inet rb
        rb_run ip netns exec "$S" nft -f "$BATS_TEST_TMPDIR/dry.nft"
        rb_run ip netns exec "$S" nft -j list set inet rb RB-CIDR
        jq -c '.nftables[].set? | select(.) | .elem' <<<"$output" >"$BATS_TEST_TMPDIR/nft"
        cmp "$BATS_TEST_TMPDIR/rb" "$BATS_TEST_TMPDIR/nft" ||
            fail "rb-fw-apply's set differs from nft -f's: $(diff "$BATS_TEST_TMPDIR/rb" "$BATS_TEST_TMPDIR/nft" | head -c 600)"
    done
    # the second list: 4000 intervals, more than one message's worth
    rb_run jq length "$BATS_TEST_TMPDIR/rb"
    assert_output 4000
    # the first: what nft merged, element by element
    cidrs_become "128.0.0.0/1 1.2.3.4/32 1.2.3.5/32 1.2.3.6/31 9.0.0.0/8 9.1.0.0/16 11.0.0.0/8" \
        '[{"prefix":{"addr":"1.2.3.4","len":30}},{"prefix":{"addr":"9.0.0.0","len":8}},{"prefix":{"addr":"11.0.0.0","len":8}},{"prefix":{"addr":"128.0.0.0","len":1}}]'
}

@test "nft --check names drift rule by rule and a re-apply repairs it" {
    rb_run nfw
    ip netns exec "$S" nft insert rule inet rb RB-EGRESS ip daddr 1.1.1.1 accept
    ip netns exec "$S" nft add chain inet rb filter-forward '{ policy accept; }'
    ip netns exec "$S" nft add element inet rb RB-CIDR '{ 9.9.9.0/24 }'
    ip netns exec "$S" nft add chain inet rb RB-MINE
    rb_run 3 nfw --check
    assert_line 'filter RB-EGRESS: unexpected rule 1 "ip daddr 1.1.1.1 accept"'
    # priorities by number, whichever form this release's nft lists
    assert_line 'filter filter-forward: is "type filter hook forward priority 0; policy accept;", expected "type filter hook forward priority 0; policy drop;"'
    assert_line 'set RB-CIDR: unexpected member 9.9.9.0/24'
    assert_line 'filter RB-MINE: unexpected chain'
    # auto reads the backend that holds the policy
    RB_FW_BACKEND=auto rb_run 3 fw --check
    assert_line '# backend nft (auto: the one holding the policy)'
    rb_run nfw
    rb_run nfw --check
    check_clean
    rb_run ip netns exec "$S" nft -s list table inet rb
    refute_output --partial "1.1.1.1"
    refute_output --partial "RB-MINE"
}

@test "nft: allowed CIDR passes; the rest is refused at once; counters name the rule" {
    listen_world 443 53
    rb_run nfw
    connect 160.79.104.10 443
    assert_success
    local a
    for a in "1.1.1.1 443" "10.99.0.1 443" "198.51.100.1 443" "8.8.8.8 53"; do
        # shellcheck disable=SC2086
        connect $a
        assert_failure
        assert_output --partial "refused"
    done
    rb_run nfw --counters
    assert_line --regexp '^filter RB-EGRESS [0-9]+ [1-9][0-9]* [0-9]+ rb:cidr ip daddr @RB-CIDR counter accept comment "rb:cidr"$'
    assert_line --regexp '^filter RB-EGRESS [0-9]+ [1-9][0-9]* [0-9]+ rb:reject '
    assert_line --regexp '^filter RB-EGRESS [0-9]+ [1-9][0-9]* [0-9]+ rb:never-uplink '
    assert_line --regexp '^nat RB-POSTROUTING 1 [1-9][0-9]* [0-9]+ rb:masq '
    RB_FW_BACKEND=nft rb_run rule_pkts RB-EGRESS never-private
    [ "$output" -gt 0 ] || fail "rb:never-private counted nothing: $output"
}

@test "nft ported CIDRs: the allowed port and protocol pass, other ports of the same CIDR are rejected" {
    listen_world 443 80 22
    ip netns exec "$W" nc -lu 1.1.1.1 5000 </dev/null >"$BATS_TEST_TMPDIR/udp-5000" 2>/dev/null 3>&- &
    ip netns exec "$W" nc -lu 1.1.1.1 5001 </dev/null >"$BATS_TEST_TMPDIR/udp-5001" 2>/dev/null 3>&- &
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/24:443,22 1.1.1.1/32:5000/udp 160.79.104.0/25:443,8443"
    rb_run nfw
    connect 160.79.104.10 443
    assert_success
    connect 160.79.104.10 22
    assert_success
    connect 160.79.104.10 80
    assert_failure
    assert_output --partial "refused"
    connect 1.1.1.1 5000
    assert_failure
    assert_output --partial "refused"
    ip netns exec "$B" sh -c 'echo allowed | nc -u -w1 1.1.1.1 5000; echo other | nc -u -w1 1.1.1.1 5001' || true
    rb_run cat "$BATS_TEST_TMPDIR/udp-5000"
    assert_output allowed
    [ ! -s "$BATS_TEST_TMPDIR/udp-5001" ] || fail "udp 5001 got through"
    RB_FW_BACKEND=nft rb_run rule_pkts RB-EGRESS cidr-port
    [ "$output" -ge 3 ] || fail "rb:cidr-port counted $output packets"
    rb_run ip netns exec "$S" nft -j list table inet rb
    local j=$output
    rb_run jq -r '.nftables[].rule? | select(.comment == "rb:cidr-port") | .expr[0].match | "\(.left.concat | map(.payload.field // .meta.key) | join(".")) \(.op) \(.right)"' <<<"$j"
    assert_output "daddr.l4proto.dport == @RB-CIDR-PORT"
    rb_run jq -r '.nftables[].set? | select(.name == "RB-CIDR-PORT") | "\(.type | join(".")) \(.flags | join(","))"' <<<"$j"
    assert_output "ipv4_addr.inet_proto.inet_service interval"
    # the /25's 443 is inside the /24's: one element, never two that overlap
    rb_run jq -c '[.nftables[].set? | select(.name == "RB-CIDR-PORT") | .elem[].concat] | sort' <<<"$j"
    assert_output '[["1.1.1.1","udp",5000],[{"prefix":{"addr":"160.79.104.0","len":24}},"tcp",22],[{"prefix":{"addr":"160.79.104.0","len":24}},"tcp",443],[{"prefix":{"addr":"160.79.104.0","len":25}},"tcp",8443]]'
    rb_run nfw --check
    check_clean
    ip netns exec "$S" nft add element inet rb RB-CIDR-PORT '{ 160.79.104.0/24 . tcp . 80 }'
    ip netns exec "$S" nft delete element inet rb RB-CIDR-PORT '{ 160.79.104.0/24 . tcp . 22 }'
    rb_run 3 nfw --check
    assert_line "set RB-CIDR-PORT: unexpected member 160.79.104.0/24 . tcp . 80"
    assert_line "set RB-CIDR-PORT: member 160.79.104.0/24 . tcp . 22 is missing"
    rb_run nfw
    rb_run nfw --check
    check_clean
    connect 160.79.104.10 80
    assert_failure
    # without ported entries: no port set, no rule, the old policy
    np_write "$NP"
    rb_run nfw
    rb_run ip netns exec "$S" nft -j list table inet rb
    rb_run jq -r '[.nftables[].set? | select(.) | .name] | join(" ")' <<<"$output"
    assert_output "RB-CIDR RB-DNS RB-HOST"
    connect 160.79.104.10 80
    assert_success
}

@test "switching backends: the new one's objects first, then the other's go" {
    rb_run fw --backend xtables
    rb_run ip netns exec "$S" iptables-legacy-save -t filter
    assert_line ":FORWARD DROP [0:0]"
    rb_run ip netns exec "$S" ip6tables-legacy-save -t filter
    assert_line ":FORWARD DROP [0:0]"
    rb_run nfw
    rb_run ip netns exec "$S" iptables-legacy-save
    refute_output --partial "RB-"
    refute_output --partial "DROP"
    rb_run ip netns exec "$S" ip6tables-legacy-save
    refute_output --partial "DROP"
    rb_run ip netns exec "$S" ipset list -n
    assert_output ""
    rb_run ip netns exec "$S" nft list tables
    assert_output "table inet rb"
    rb_run fw --check
    check_clean
    rb_run fw --backend xtables
    rb_run ip netns exec "$S" nft list tables
    assert_output ""
    rb_run fw --backend xtables --check
    check_clean
    # a check of the wrong backend finds the other one's objects
    rb_run nfw
    rb_run 3 fw --backend xtables --check
    assert_line "inet rb: table of the nft backend is there too"
}

# IPv6 by hand on every side of the sentry: what rb must close by policy,
# whatever the sysctls say.
ipv6_on() {
    local ns
    for ns in "$B" "$S" "$W"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
    done
    ip netns exec "$B" sysctl -qw net.ipv6.conf.b0.disable_ipv6=0
    ip netns exec "$S" sysctl -qw net.ipv6.conf.en0.disable_ipv6=0 net.ipv6.conf.up0.disable_ipv6=0
    ip netns exec "$W" sysctl -qw net.ipv6.conf.w0.disable_ipv6=0
    ip netns exec "$S" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip -n "$B" -6 addr replace fd00:b::3/64 dev b0 nodad
    ip -n "$S" -6 addr replace fd00:b::2/64 dev en0 nodad
    ip -n "$S" -6 addr replace fd00:f::2/64 dev up0 nodad
    ip -n "$W" -6 addr replace fd00:f::1/64 dev w0 nodad
    ip -n "$B" -6 route replace default via fd00:b::2
    ip -n "$W" -6 route replace fd00:b::/64 via fd00:f::2
}

@test "IPv6 is closed by policy on both backends, even with IPv6 turned back on by hand" {
    ipv6_on
    ip netns exec "$W" nc -6 -lk fd00:f::1 443 </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$W" 443
    # without rb the bottle reaches the world over IPv6 (else this proves nothing)
    local i
    for i in 1 2 3; do
        rb_run '?' ip netns exec "$B" nc -6 -w 2 -z fd00:f::1 443
        [ "$status" -eq 0 ] && break
        sleep 1
    done
    assert_success
    local b
    for b in xtables nft; do
        rb_run fw --backend "$b"
        ipv6_on
        ip netns exec "$W" tcpdump -i w0 -nn -U -w "$BATS_TEST_TMPDIR/w0-$b.pcap" ip6 2>/dev/null &
        local dump=$!
        sleep 1
        rb_run 1 ip netns exec "$B" nc -6 -w 2 -z fd00:f::1 443
        rb_run ip netns exec "$B" nc -6 -u -w 1 -z fd00:f::1 53
        # to the sentry itself: nothing either
        rb_run 1 ip netns exec "$B" nc -6 -w 2 -z fd00:b::2 53
        sleep 1
        kill "$dump"
        wait "$dump" || true
        # not one IPv6 packet of the bottle's reached the world's side
        rb_run bash -c "tcpdump -nn -r '$BATS_TEST_TMPDIR/w0-$b.pcap' src fd00:b::3 2>/dev/null"
        assert_output ""
        # and the kernel counted what the policy dropped
        if [ "$b" = nft ]; then
            rb_run ip netns exec "$S" nft -j list chain inet rb filter-forward
            rb_run jq '[.nftables[].rule? | select(.comment == "rb:ipv6") | .expr[] | .counter? | select(.) | .packets][0]' <<<"$output"
        else
            rb_run ip netns exec "$S" ip6tables-legacy -vxnL FORWARD
            assert_line --regexp '^Chain FORWARD \(policy DROP [1-9][0-9]* packets'
            rb_run ip netns exec "$S" bash -c "ip6tables-legacy -vxnL FORWARD | sed -nE 's/^Chain FORWARD \(policy DROP ([0-9]+) packets.*/\1/p'"
        fi
        [ "$output" -gt 0 ] || fail "$b: no IPv6 packet was dropped by the policy: $output"
    done
}

@test "other nft tables and chains are left byte for byte as they were" {
    # stand-ins for netavark's, firewalld's and a user's own tables
    ip netns exec "$S" nft -f - <<'EOF'
table inet rbtnetavark {
	set rbtnv {
		type ipv4_addr
		flags interval
		elements = { 10.88.0.0/16 }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr @rbtnv counter accept
	}
	chain rbtpost {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.88.0.0/16 masquerade
	}
}
table ip rbtfirewalld {
	chain input {
		type filter hook input priority 10; policy accept;
		tcp dport 22 counter accept comment "rbt keep"
	}
}
table inet rbx {
	chain c {
		counter
	}
}
EOF
    local before after
    before=$(ip netns exec "$S" nft -s list table inet rbtnetavark; ip netns exec "$S" nft -s list table ip rbtfirewalld; ip netns exec "$S" nft -s list table inet rbx)
    rb_run nfw
    rb_run nfw
    rb_run fw --backend xtables
    rb_run nfw
    # (the host part into the sentry's netns, as a host with foreign tables:
    # DNAT to an address that netns does not own, which rb-fw-apply refuses)
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --backend nft --host-only --bridge en0 --netns "/run/netns/$S" \
        --uplink-bridge up0 --sentry-uplink-ip 198.51.100.9
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --remove --host-only --netns "/run/netns/$S"
    after=$(ip netns exec "$S" nft -s list table inet rbtnetavark; ip netns exec "$S" nft -s list table ip rbtfirewalld; ip netns exec "$S" nft -s list table inet rbx)
    [ "$before" = "$after" ] || fail "a foreign table changed: $(diff <(echo "$before") <(echo "$after"))"
    # the whole ruleset is exactly theirs plus table inet rb
    rb_run bash -c "ip netns exec $S nft list tables | sort"
    assert_output $'table inet rb\ntable inet rbtnetavark\ntable inet rbx\ntable ip rbtfirewalld'
}

@test "nft host part: one table per moniker; bridge lockdown and entry DNAT; --remove drops only it" {
    local H
    H=$(rb_netns_new)
    ip -n "$H" link add rbtbr0 type bridge
    ip -n "$H" link add rbtup0 type bridge
    ip -n "$H" link set rbtup0 up
    local host=("$RB_BIN/rb-fw-apply" --backend nft --host-only --netns "/run/netns/$H" --bridge rbtbr0
        --uplink-bridge rbtup0 --sentry-uplink-ip 198.51.100.2)
    rb_run "${host[@]}" --nameplate "$NP"
    rb_run ip netns exec "$H" nft -j list table inet rb-rbtfw
    local j=$output
    rb_run jq -r '.nftables[].chain? | select(.hook) | "\(.name) \(.hook) \(.policy)"' <<<"$j"
    assert_output $'filter-input input accept\nfilter-forward forward accept\nnat-prerouting prerouting accept\nnat-output output accept\nnat-postrouting postrouting accept'
    rb_run ip netns exec "$H" nft -s list chain inet rb-rbtfw RB-H-rbtfw
    assert_line --partial 'iifname "rbtbr0" oifname "rbtbr0" counter accept comment "rb:host-bridged"'
    assert_line --partial 'iifname "rbtbr0" oifname != "rbtbr0" counter drop comment "rb:host-from-enclave"'
    rb_run ip netns exec "$H" nft -s list chain inet rb-rbtfw nat-prerouting
    assert_line --partial 'fib daddr . iif type local counter jump RB-E-rbtfw comment "rb:jump"'
    rb_run ip netns exec "$H" nft -s list chain inet rb-rbtfw RB-E-rbtfw
    assert_line --partial 'tcp dport 8080 counter dnat ip to 198.51.100.2:8080 comment "rb:entry-host"'
    rb_run ip netns exec "$H" sysctl -n net.ipv4.conf.rbtup0.route_localnet
    assert_output 1
    rb_run "${host[@]}" --nameplate "$NP" --check
    check_clean
    # a second moniker beside it, entry off: its own table, filter only
    local np1=$NP
    NP=$BATS_TEST_TMPDIR/np2.mk
    np_write "$NP" "RBRN_MONIKER=rbtfw2" "RBRN_ENTRY_ENABLED=0"
    ip -n "$H" link add rbtbr1 type bridge
    rb_run "$RB_BIN/rb-fw-apply" --backend nft --host-only --netns "/run/netns/$H" --bridge rbtbr1 --nameplate "$NP"
    rb_run ip netns exec "$H" nft list tables
    assert_output $'table inet rb-rbtfw\ntable inet rb-rbtfw2'
    rb_run ip netns exec "$H" nft -j list table inet rb-rbtfw2
    rb_run jq -r '[.nftables[].chain? | select(.) | .name] | join(" ")' <<<"$output"
    assert_output "filter-input filter-forward RB-H-rbtfw2"
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --remove --host-only --netns "/run/netns/$H"
    rb_run ip netns exec "$H" nft list tables
    assert_output "table inet rb-rbtfw"
    rb_run "${host[@]}" --nameplate "$np1" --check
    check_clean
    # the host part moved to xtables: the nft table goes
    rb_run "$RB_BIN/rb-fw-apply" --backend xtables --host-only --netns "/run/netns/$H" --bridge rbtbr0 \
        --uplink-bridge rbtup0 --sentry-uplink-ip 198.51.100.2 --nameplate "$np1"
    rb_run ip netns exec "$H" nft list tables
    assert_output ""
    rb_run ip netns exec "$H" iptables-legacy-save -t filter
    assert_line --partial "RB-H-rbtfw"
}

@test "nft entry port: the uplink reaches the bottle's service through the sentry's DNAT" {
    ip netns exec "$B" sh -c 'echo hello | exec nc -l -N 10.242.0.3 8888' </dev/null >/dev/null 2>&1 3>&- &
    wait_listen "$B" 8888
    rb_run nfw
    rb_run ip netns exec "$W" nc -w 3 198.51.100.2 8080 </dev/null
    assert_output hello
    rb_run nfw --counters
    assert_line --regexp '^nat RB-PREROUTING [0-9]+ [1-9][0-9]* [0-9]+ rb:entry-dnat '
    assert_line --regexp '^filter RB-FORWARD [0-9]+ [1-9][0-9]* [0-9]+ rb:entry '
}

@test "auto: --dry-run and --check name the backend this kernel gets and why, or the one holding the policy" {
    local want why b
    # what the kernel offers, read apart from rb: legacy ip_tables (its
    # /proc file exists only with them) and ip_set (ipset can talk to it)
    if [ ! -e /proc/net/ip_tables_names ]; then
        want=nft why="auto: no legacy ip_tables in the kernel"
    elif ! ip netns exec "$S" ipset list -n >/dev/null 2>&1; then
        want=nft why="auto: no ip_set in the kernel"
    else
        want=xtables why="auto: legacy ip_tables and ip_set present"
    fi
    RB_FW_BACKEND=auto rb_run fw --dry-run
    assert_line --index 0 "# backend $want ($why)"
    if [ "$want" = nft ]; then assert_line 'table inet rb {'; else assert_line '*filter'; fi
    # nothing applied: --check takes the kernel's choice too, and finds it all missing
    RB_FW_BACKEND=auto rb_run 3 fw --check
    assert_line --index 0 "# backend $want ($why)"
    # applied by either backend: --check reads the one that holds it
    for b in $(both_backends); do
        rb_run fw --backend "$b"
        RB_FW_BACKEND=auto rb_run fw --check
        assert_line --index 0 "# backend $b (auto: the one holding the policy)"
        check_clean
        rb_run rb_fw_objects "$S"
        if [ "$b" = nft ]; then assert_output "table inet rb"; else refute_output --partial 'table inet'; fi
    done
    # named, by the option or the environment: chosen
    RB_FW_BACKEND=auto rb_run fw --dry-run --backend nft
    assert_line --index 0 "# backend nft (chosen)"
    RB_FW_BACKEND=xtables rb_run fw --dry-run
    assert_line --index 0 "# backend xtables (chosen)"
}

# ---- the apply lock (lib/fw.c, lib/fw_lock.c), on both backends ----------

# The sentry netns as both backends' tools see it, without counters.
fw_state() {
    ip netns exec "$S" iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
    ip netns exec "$S" ipset list -n
    ip netns exec "$S" nft -s list ruleset
    ip netns exec "$S" sysctl -n net.ipv4.ip_forward
}

# hold_lock FILE SECONDS: a process that holds an flock on FILE for that
# long, as another rb-fw-apply would hold its lock; HOLDER is its PID, and
# the kernel lists the lock before this returns.
hold_lock() {
    local ino i
    # one process that locks and waits: the kernel lists a lock only while
    # the process that took it lives (in a PID namespace)
    perl -MFcntl=:flock -e 'open(my $f, ">", $ARGV[0]) or die "$ARGV[0]: $!\n";
        flock($f, LOCK_EX) or die "flock: $!\n"; sleep $ARGV[1]' "$1" "$2" </dev/null >/dev/null 2>&1 3>&- &
    HOLDER=$!
    echo "$HOLDER" >>"$BATS_TEST_TMPDIR/.pids"
    ino=$(stat -c %i "$1") || fail "no lock file $1"
    for i in $(seq 100); do
        grep -qE "^[0-9]+: FLOCK +ADVISORY +WRITE +[0-9]+ [0-9a-f]+:[0-9a-f]+:$ino " /proc/locks && return 0
        sleep 0.05
    done
    fail "the lock on $1 is not held"
}

# fw_locked FILE ARGS...: fw ARGS in a mount namespace of its own where
# FILE is bound over /run/rb-fw.lock: the lock it takes is FILE's, and no
# other apply on this machine waits for this test's.
fw_locked() {
    local lk=$1
    shift
    # the mount point (rb-fw-apply creates it as well, mode 0600)
    [ -e /run/rb-fw.lock ] || (umask 077 && : >>/run/rb-fw.lock)
    unshare --mount --propagation private -- bash -c 'mount --bind "$1" /run/rb-fw.lock && shift && exec "$@"' \
        _ "$lk" "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S" "$@"
}

@test "the apply lock, both backends: an apply waits while another holds the lock, then applies" {
    local b lk before ap rc
    for b in $(both_backends); do
        lk=$BATS_TEST_TMPDIR/lock-$b
        : >"$lk"
        before=$(fw_state)
        # held until this test lets go (at most 25 s, within the apply's
        # 30 s wait): how long the holder took to start does not matter
        hold_lock "$lk" 25
        fw_locked "$lk" --backend "$b" >"$BATS_TEST_TMPDIR/out-$b" 2>&1 3>&- &
        ap=$!
        sleep 1.5
        kill -0 "$ap" 2>/dev/null || fail "$b: the apply did not wait for the lock: $(cat "$BATS_TEST_TMPDIR/out-$b")"
        [ "$(fw_state)" = "$before" ] || fail "$b: the netns changed while the lock was held: $(diff <(echo "$before") <(fw_state))"
        kill -0 "$ap" 2>/dev/null || fail "$b: the apply ended while the lock was held: $(cat "$BATS_TEST_TMPDIR/out-$b")"
        kill "$HOLDER"
        wait "$HOLDER" || true
        wait "$ap" && rc=0 || rc=$?
        [ "$rc" = 0 ] || fail "$b: the apply failed (exit $rc): $(cat "$BATS_TEST_TMPDIR/out-$b")"
        # in force now: that backend's objects only, forwarding on
        rb_run rb_fw_objects "$S"
        if [ "$b" = nft ]; then
            assert_output "table inet rb"
        else
            assert_line --regexp '^:RB-FORWARD '
            refute_output --partial 'table inet'
        fi
        rb_run ip netns exec "$S" sysctl -n net.ipv4.ip_forward
        assert_output 1
        rb_run fw --backend "$b" --check
        check_clean
    done
}

@test "the apply lock, both backends: held past its 30 s, an apply fails with one message and changes nothing" {
    local lk before b rc out
    rb_run fw --backend nft
    # a policy the held applies would change, had they got the lock
    np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=9.9.9.0/24"
    lk=$BATS_TEST_TMPDIR/lock
    : >"$lk"
    hold_lock "$lk" 60
    before=$(fw_state)
    for b in $(both_backends); do
        fw_locked "$lk" --backend "$b" >"$BATS_TEST_TMPDIR/out-$b" 2>&1 3>&- &
        echo $! >"$BATS_TEST_TMPDIR/pid-$b"
    done
    for b in $(both_backends); do
        wait "$(cat "$BATS_TEST_TMPDIR/pid-$b")" && rc=0 || rc=$?
        out=$(grep -v '^rb-fw-apply: warning: ' "$BATS_TEST_TMPDIR/out-$b")
        [ "$rc" = 2 ] || fail "$b: exit $rc, not 2: $out"
        [ "$out" = "rb-fw-apply: /run/rb-fw.lock is held by another program for 30 s" ] ||
            fail "$b: not one message naming the lock: $out"
    done
    kill "$HOLDER"
    [ "$(fw_state)" = "$before" ] || fail "the netns changed: $(diff <(echo "$before") <(fw_state))"
    rb_run ip netns exec "$S" nft list set inet rb RB-CIDR
    assert_output --partial "160.79.104.0/24"
    refute_output --partial "9.9.9.0/24"
}

@test "nft queue probe: made once per boot, its answer kept in /run/rb-nft-queue by boot id" {
    local cache=/run/rb-nft-queue id truth lie
    id=$(cat /proc/sys/kernel/random/boot_id)
    if rb_nft_has_queue; then truth=1 lie=0; else truth=0 lie=1; fi
    rb_keep_file "$cache"
    # no file: probed, and the answer written for this boot
    rm -f "$cache"
    rb_run nfw --dry-run
    queued() { grep -c 'queue to' <<<"$output" || true; }
    [ "$(queued)" -gt 0 ] || [ "$truth" = 0 ] || fail "queue kernel, no queue rule"
    [ "$(queued)" = 0 ] || [ "$truth" = 1 ] || fail "no queue in this kernel, but a queue rule"
    rb_run cat "$cache"
    assert_output "$id $truth"
    # this boot's answer is taken as it stands: no second probe
    echo "$id $lie" >"$cache"
    rb_run nfw --dry-run
    local with_lie other_boot garbage rewritten
    with_lie=$(queued)
    # another boot's answer, or a file that is not one, is probed again
    echo "00000000-0000-0000-0000-000000000000 $lie" >"$cache"
    rb_run nfw --dry-run
    other_boot=$(queued)
    rb_run cat "$cache"
    rewritten=$output
    echo garbage >"$cache"
    rb_run nfw --dry-run
    garbage=$(queued)
    if [ "$lie" = 1 ]; then [ "$with_lie" -gt 0 ]; else [ "$with_lie" = 0 ]; fi
    assert_equal "$rewritten" "$id $truth"
    if [ "$truth" = 1 ]; then [ "$other_boot" -gt 0 ] && [ "$garbage" -gt 0 ]; else [ "$other_boot" = 0 ] && [ "$garbage" = 0 ]; fi
}

@test "nft verbs: each verb and its old flag exit, print and leave nft list ruleset alike" {
    verbs_same_state nft
}

@test "nft verbs: two verbs, a verb and a mode flag, an unknown verb: exit 1, and the ruleset is unchanged" {
    verbs_usage nft
}

#!/usr/bin/env bats
# End to end: make bottle-start / ztests / bottle-stop against the simulated
# world, asserting on podman inspect, the sentry's firewall as the kernel
# holds it (legacy tables or table inet rb, per RB_FW_BACKEND), the
# bottle's routes and what the world received.

load helpers

NP=nsproto

setup_file() {
    bash "$RB_TOP/mk/world.sh" start >&3
}

teardown_file() {
    for np in nsproto open offline; do
        RB_BIN=$RB_BIN bash "$RB_TOP/mk/bottle.sh" stop "$RB_TOP/nameplates/$np.mk" >/dev/null 2>&1 || true
    done
}

teardown() {
    rb_podman_cleanup
}

bottle() { (cd "$RB_TOP" && RB_BIN=$RB_BIN bash mk/bottle.sh "$@"); }
ztest() { (cd "$RB_TOP" && RB_BIN=$RB_BIN bash mk/ztest.sh "$@"); }
pid_of() { podman inspect -f '{{.State.Pid}}' "$1"; }
in_netns() { local pid=$1; shift; nsenter -t "$pid" -n "$@"; }

# A nameplate of its own for starts that must fail: never nsproto's objects.
RBTIMG=(RBRN_MONIKER=rbtimg RBRN_ENCLAVE_SUBNET=10.242.77.0/24
    RBRN_ENCLAVE_SENTRY_IP=10.242.77.2 RBRN_ENCLAVE_BOTTLE_IP=10.242.77.3)

start_with() { (if [ $# -gt 0 ]; then export "$@"; fi; bottle start "$NP"); }

# start_refused TEXT [NAME=VALUE...]: bottle start, with those variables,
# exits 1 saying TEXT and changes nothing a snapshot sees.
start_refused() {
    local text=$1 before after
    shift
    before=$(snapshot)
    run start_with "$@"
    assert_failure 1
    assert_output --partial "$text"
    after=$(snapshot)
    [ "$before" = "$after" ]
}

# Everything a start could change, for "changes nothing" assertions.
snapshot() {
    {
        podman ps -a --format '{{.Names}} {{.Status}}' | sort | sed 's/Up .*/Up/'
        podman network ls --format '{{.Name}}' | sort
        iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
        iptables-legacy-save -t nat | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
        nft list tables | awk '$2 == "inet" && $3 ~ /^rb(-|$)/ {print $3}' |
            while read -r t; do nft -s list table inet "$t"; done
        ip -br link | awk '{print $1}' | sort
        ls /run/rb 2>/dev/null
    }
}

@test "bottle-start: topology, privileges and policy are as the nameplate says" {
    run make -C "$RB_TOP" --no-print-directory bottle-start NAMEPLATE=$NP RB_BIN=$RB_BIN
    assert_success

    # The bottle: no capability, its uid, no-new-privileges, only the enclave.
    run --separate-stderr podman inspect -f '{{json .EffectiveCaps}} {{.Config.User}} {{json .HostConfig.SecurityOpt}}' rb-$NP-bottle
    assert_output --partial 'null 1000:1000'
    assert_output --partial 'no-new-privileges'
    run --separate-stderr podman inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' rb-$NP-bottle
    assert_output "rb-$NP-enclave=10.242.0.3 "
    run --separate-stderr podman inspect -f '{{json .HostConfig.Privileged}} {{.HostConfig.NetworkMode}}' rb-$NP-sentry
    assert_output --regexp '^false bridge'
    # The sentry holds exactly what rb-sentryd needs: NET_ADMIN for its
    # learner and log, the rest to start each child as its own uid with an
    # emptied bounding set. No NET_BIND_SERVICE: dnsmasq gets no capability.
    run --separate-stderr podman inspect -f '{{json .EffectiveCaps}}' rb-$NP-sentry
    assert_output '["CAP_NET_ADMIN","CAP_SETGID","CAP_SETPCAP","CAP_SETUID"]'

    # Bottle: a single default route, via the sentry; no IPv6.
    local bp sp
    bp=$(pid_of rb-$NP-bottle)
    run bash -c "nsenter -t $bp -n ip -j route show default | jq -r '.[] | .gateway'"
    assert_output 10.242.0.2
    run in_netns "$bp" cat /proc/sys/net/ipv6/conf/all/disable_ipv6
    assert_output 1

    # Sentry: forwarding on only because the policy is in place.
    sp=$(pid_of rb-$NP-sentry)
    run in_netns "$sp" cat /proc/sys/net/ipv4/ip_forward
    assert_output 1
    if [ "$(rb_backend)" = nft ]; then
        run -0 in_netns "$sp" nft -j list table inet rb
        local j=$output
        run -0 jq -r '.nftables[].chain? | select(.name == "filter-forward") | "\(.hook) \(.policy)"' <<<"$j"
        assert_output 'forward drop'
        run -0 jq -r '.nftables[].rule? | select(.chain == "filter-forward") | .expr[] | .jump?.target | select(.)' <<<"$j"
        assert_output RB-FORWARD
        run -0 in_netns "$sp" nft -s list chain inet rb RB-FORWARD
        assert_output --regexp 'ip saddr 10\.242\.0\.3 iifname "[^"]+" oifname "[^"]+" counter jump RB-EGRESS comment "rb:egress"'
    else
        run in_netns "$sp" iptables-legacy-save
        assert_output --partial ':FORWARD DROP'
        assert_output --regexp '-A FORWARD .*-j RB-FORWARD'
        assert_output --partial '-s 10.242.0.3/32 -i'
        refute_output --partial 'unsupported revision'
    fi
    # ... and nothing of the other backend
    run -0 rb_fw_objects "$sp"
    if [ "$(rb_backend)" = nft ]; then assert_output 'table inet rb'; else refute_output --partial 'table inet'; fi

    # The enclave bridge: no address the bottle could reach the host on.
    local br
    br=$(podman network inspect -f '{{.NetworkInterface}}' rb-$NP-enclave)
    run bash -c "ip -j addr show dev $br | jq -r '.[0].addr_info | length'"
    assert_output 0
}

@test "make ztest_bottle_dns_block and ..._direct_rule pass on the started bottle" {
    run make -C "$RB_TOP" --no-print-directory ztest_bottle_dns_block NAMEPLATE=$NP RB_BIN=$RB_BIN
    assert_success
    assert_output --partial 'ztest: all passed'
    run make -C "$RB_TOP" --no-print-directory ztest_bottle_dns_block_direct_rule NAMEPLATE=$NP RB_BIN=$RB_BIN
    assert_success
}

@test "every ztest passes (intercept off)" {
    run ztest all $NP
    assert_success
    refute_output --partial FAIL
}

@test "starting a started nameplate is an error that changes nothing" {
    start_refused 'already started'
}

@test "a missing image or seccomp profile: exit 1 naming it, and whatever the start created is gone" {
    local img=localhost/rbt-no-such-image:latest
    # found when podman run fails: before anything, and after the sentry
    start_refused "\"$img\": no such image" "${RBTIMG[@]}" RBRN_SENTRY_IMAGE=$img
    start_refused "\"$img\": no such image" "${RBTIMG[@]}" RBRN_BOTTLE_IMAGE=$img
    # no seccomp profile to derive the bottle's from
    start_refused 'RB_SECCOMP_BASE: "/nonexistent/seccomp.json"' "${RBTIMG[@]}" \
        RB_SECCOMP_BASE=/nonexistent/seccomp.json
    # one that is no profile rb can carry over: rb-net-create says what is wrong
    local bad=$BATS_TEST_TMPDIR/bad-seccomp.json
    printf '%s' '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "clone", "action": "SCMP_ACT_ALLOW"}]}' >"$bad"
    start_refused "seccomp profile \"$bad\": syscalls[0]: \"name\"" "${RBTIMG[@]}" RB_SECCOMP_BASE="$bad"
}

@test "a container of the same name, not rb's: start fails and leaves it alone" {
    local c
    for c in sentry bottle; do
        rb_track container rb-rbtimg-$c
        podman run -d --name rb-rbtimg-$c --network none localhost/rb-bottle:latest >/dev/null
        start_refused "rb-rbtimg-$c exists" "${RBTIMG[@]}"
        run --separate-stderr podman inspect -f '{{.State.Running}} {{.HostConfig.NetworkMode}}' rb-rbtimg-$c
        assert_output "true none"
        podman rm -f -t 0 rb-rbtimg-$c >/dev/null
    done
}

@test "the bottle cannot change its routes, addresses, sysctls or rules" {
    local bp
    bp=$(pid_of rb-$NP-bottle)
    run --separate-stderr podman exec rb-$NP-bottle ip route replace default via 10.242.0.9
    assert_failure
    run --separate-stderr podman exec rb-$NP-bottle ip addr add 10.242.0.77/24 dev eth0
    assert_failure
    run --separate-stderr podman exec rb-$NP-bottle sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
    assert_failure
    run bash -c "nsenter -t $bp -n ip -j route show default | jq -r '.[] | .gateway'"
    assert_output 10.242.0.2
    # Its netns has no rules it could flush: the policy lives in the sentry.
    run -0 rb_fw_objects "$bp"
    assert_output ''
}

@test "bottle-status: 0 when all is in force; 3 naming drift in the policy or the resolver" {
    local sp b why
    b=$(rb_backend)
    case ${RB_FW_BACKEND:-auto} in xtables | nft) why=chosen ;; *) why="auto: the one holding the policy" ;; esac
    sp=$(pid_of rb-$NP-sentry)
    run bottle status $NP
    assert_success
    assert_line "policy: in force"
    # the backend that holds the policy, and why it was read
    assert_line "firewall: backend $b ($why)"
    RB_FW_BACKEND=auto run bottle status $NP
    assert_success
    assert_line "firewall: backend $b (auto: the one holding the policy)"
    run -0 rb_fw_objects "$sp"
    if [ "$b" = nft ]; then assert_output 'table inet rb'; else assert_line --regexp '^:RB-FORWARD '; fi
    # a rule slipped into the sentry's forwarding chain
    if [ "$b" = nft ]; then
        in_netns "$sp" nft insert rule inet rb RB-FORWARD ip saddr 10.242.0.3 accept comment '"rbt-slipped"'
    else
        in_netns "$sp" iptables-legacy -I RB-FORWARD 1 -s 10.242.0.3 -m comment --comment rbt-slipped -j ACCEPT
    fi
    run bottle status $NP
    assert_failure 3
    assert_output --partial "policy: differs"
    if [ "$b" = nft ]; then
        assert_output --partial "RB-FORWARD: unexpected rule 1 \"ip saddr 10.242.0.3 accept"
    else
        assert_output --partial "RB-FORWARD: unexpected rule 1 \"-A RB-FORWARD -s 10.242.0.3/32 -j ACCEPT"
    fi
    # the nameplate now allows another name; dnsmasq runs the old configuration
    RBRN_UPLINK_ALLOWED_DOMAINS="anthropic.com example.org" run bottle status $NP
    assert_failure 3
    assert_line "resolver: configuration differs from the nameplate (make bottle-reapply)"
    run bottle reapply $NP
    assert_success
    run bottle status $NP
    assert_success
    run -0 rb_policy "$(pid_of rb-$NP-sentry)"
    refute_output --partial rbt-slipped
}

@test "names that resolve to new addresses become reachable, others stay closed" {
    rb_need_learner
    local wpids='$(cat /run/dnsmasq-8.8.8.8.pid)'
    run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 203.0.113.11 443
    assert_failure
    run --separate-stderr podman exec rb-$NP-bottle dig +short @10.242.0.2 cdn.anthropic.com
    assert_output 203.0.113.10
    run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 203.0.113.10 443
    assert_success
    # The upstream now answers another address for the same name.
    podman exec rb-world sh -c "echo '203.0.113.11 cdn.anthropic.com' >/etc/rb/world.hosts && kill -HUP $wpids"
    run --separate-stderr podman exec rb-$NP-bottle dig +short @10.242.0.2 cdn.anthropic.com
    podman exec rb-world sh -c "echo '203.0.113.10 cdn.anthropic.com' >/etc/rb/world.hosts && kill -HUP $wpids"
    assert_output 203.0.113.11
    run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 203.0.113.11 443
    assert_success
}

@test "nft without a queue in the kernel: an allowed name resolves, and its answer opens nothing" {
    rb_learnerless
    local sp before rej
    sp=$(pid_of rb-$NP-sentry)
    # no rule of the policy hands a reply to the learner
    run -0 in_netns "$sp" nft -j list table inet rb
    run -0 jq '[.nftables[].rule? | select(.) | .expr[] | select(has("queue"))] | length' <<<"$output"
    assert_output 0
    before=$(podman exec rb-world cat /var/log/world/tcp-443.log | grep -c 'on AF=2 203\.0\.113\.10:443' || true)
    rej=$(rb_pkts "$sp" reject)
    run --separate-stderr podman exec rb-$NP-bottle dig +short @10.242.0.2 cdn.anthropic.com
    assert_output 203.0.113.10
    run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 203.0.113.10 443
    assert_failure
    run -0 rb_set_members "$sp" RB-DNS
    assert_output ''
    [ "$(rb_pkts "$sp" reject)" -gt "$rej" ] || fail "rb:reject did not count the connection"
    run --separate-stderr podman exec rb-world cat /var/log/world/tcp-443.log
    [ "$(grep -c 'on AF=2 203\.0\.113\.10:443' <<<"$output" || true)" -eq "$before" ] ||
        fail "the world saw a connection to 203.0.113.10:443"
}

@test "a restarted sentry forwards nothing until bottle-reapply" {
    run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 160.79.104.10 443
    assert_success
    podman restart -t 0 rb-$NP-sentry >/dev/null
    run in_netns "$(pid_of rb-$NP-sentry)" cat /proc/sys/net/ipv4/ip_forward
    assert_output 0
    run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 160.79.104.10 443
    assert_failure
    run bottle reapply $NP
    assert_success
    run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 160.79.104.10 443
    assert_success
    run ztest ztest_bottle_dns_block $NP
    assert_success
}

@test "intercept on: foreign DNS is answered by policy and never reaches its server" {
    run bottle stop $NP
    assert_success
    RBRN_UPLINK_DNS_INTERCEPT=1 run bottle start $NP
    assert_success
    if [ "$(rb_backend)" = nft ]; then
        run -0 in_netns "$(pid_of rb-$NP-sentry)" nft -s list chain inet rb RB-PREROUTING
        assert_output --regexp 'ip saddr 10\.242\.0\.3 ip daddr != 10\.242\.0\.2 iifname "[^"]+" udp dport 53 counter dnat ip to 10\.242\.0\.2:53 comment "rb:intercept-udp"'
    else
        run in_netns "$(pid_of rb-$NP-sentry)" iptables-legacy-save -t nat
        assert_output --regexp '-A RB-PREROUTING .*-p udp .*--dport 53 .*-j DNAT --to-destination 10.242.0.2:53'
    fi
    RBRN_UPLINK_DNS_INTERCEPT=1 run ztest all $NP
    assert_success
    assert_output --partial 'intercept=1'
    refute_output --partial FAIL
    run bottle stop $NP
    assert_success
    run bottle start $NP
    assert_success
}

@test "three nameplates at once do not interfere" {
    run bottle start open
    assert_success
    run bottle start offline
    assert_success
    local np
    for np in $NP open offline; do
        run ztest all $np
        assert_success
        refute_output --partial FAIL
    done
    # No bottle reaches another's enclave.
    run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 10.242.2.3 8888
    assert_failure
    run --separate-stderr podman exec rb-open-bottle nc -w 2 -z 10.242.0.3 8888
    assert_failure
    run --separate-stderr podman exec rb-open-bottle nc -w 2 -z 10.242.1.3 8888
    assert_failure
    run bottle stop open
    assert_success
    run bottle stop offline
    assert_success
    # ... and stopping them leaves the first intact.
    run ztest ztest_bottle_tcp443_allow $NP
    assert_success
}

@test "world-stop refuses while a sentry uses the world, and names it" {
    run bash "$RB_TOP/mk/world.sh" stop
    assert_failure 1
    assert_output --partial "rb-$NP-sentry"
    run --separate-stderr podman inspect -f '{{.State.Running}}' rb-world rb-$NP-sentry rb-$NP-bottle
    assert_output $'true\ntrue\ntrue'
    run --separate-stderr podman network exists rb-world
    assert_success
}

@test "bottle-stop leaves no container, network, rule, route or run file behind" {
    local br
    br=$(podman network inspect -f '{{.NetworkInterface}}' rb-$NP-enclave)
    run make -C "$RB_TOP" --no-print-directory bottle-stop NAMEPLATE=$NP RB_BIN=$RB_BIN
    assert_success
    run --separate-stderr podman ps -a --format '{{.Names}}'
    refute_output --partial rb-$NP-
    run --separate-stderr podman network exists rb-$NP-enclave
    assert_failure
    run -0 rb_host_objects $NP
    assert_output ''
    run ip link show dev "$br"
    assert_failure
    run ip -j route
    refute_output --partial 10.242.0.
    [ ! -e /run/rb/$NP ]
}

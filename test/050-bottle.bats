#!/usr/bin/env bats
# End to end: make bottle-start / ztests / bottle-stop against the simulated
# world, asserting on podman inspect, the sentry's firewall as the kernel
# holds it (legacy tables or table inet rb, per RB_FW_BACKEND), the
# bottle's routes and what the world received.

load helpers

NP=nsproto

# The nsproto bottle every test but the failing starts works on, started
# here once (as a user would: make bottle-start) so that any one test runs
# alone (bats -f); setup() brings it back to the nameplate's state when a
# test before left it stopped, changed or drifted.
setup_file() {
    bash "$RB_TOP/mk/world.sh" start >&3
    RB_BIN=$RB_BIN bash "$RB_TOP/mk/bottle.sh" stop "$RB_TOP/nameplates/$NP.mk" >/dev/null 2>&1 || true
    make -C "$RB_TOP" --no-print-directory bottle-start NAMEPLATE=$NP RB_BIN=$RB_BIN >&3
}

setup() {
    if ! bottle status $NP >/dev/null 2>&1; then
        bottle stop $NP >/dev/null 2>&1 || true
        bottle start $NP >/dev/null
    fi
}

teardown_file() {
    for np in nsproto open offline; do
        RB_BIN=$RB_BIN bash "$RB_TOP/mk/bottle.sh" stop "$RB_TOP/nameplates/$np.mk" >/dev/null 2>&1 || true
    done
}

teardown() {
    rb_default_teardown
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
    rb_run 1 start_with "$@"
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
    # (started by setup_file with make bottle-start)
    # The bottle: no capability, its uid, no-new-privileges, only the enclave.
    rb_run --separate-stderr podman inspect -f '{{json .EffectiveCaps}} {{.Config.User}} {{json .HostConfig.SecurityOpt}}' rb-$NP-bottle
    assert_output --partial 'null 1000:1000'
    assert_output --partial 'no-new-privileges'
    rb_run --separate-stderr podman inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' rb-$NP-bottle
    assert_output "rb-$NP-enclave=10.242.0.3 "
    rb_run --separate-stderr podman inspect -f '{{json .HostConfig.Privileged}} {{.HostConfig.NetworkMode}}' rb-$NP-sentry
    assert_output --regexp '^false bridge'
    # The sentry holds exactly what rb-sentryd needs: NET_ADMIN for its
    # learner and log, the rest to start each child as its own uid with an
    # emptied bounding set. No NET_BIND_SERVICE: dnsmasq gets no capability.
    rb_run --separate-stderr podman inspect -f '{{json .EffectiveCaps}}' rb-$NP-sentry
    assert_output '["CAP_NET_ADMIN","CAP_SETGID","CAP_SETPCAP","CAP_SETUID"]'

    # Bottle: a single default route, via the sentry; no IPv6.
    local bp sp
    bp=$(pid_of rb-$NP-bottle)
    rb_run bash -c "nsenter -t $bp -n ip -j route show default | jq -r '.[] | .gateway'"
    assert_output 10.242.0.2
    rb_run in_netns "$bp" cat /proc/sys/net/ipv6/conf/all/disable_ipv6
    assert_output 1

    # Sentry: forwarding on only because the policy is in place.
    sp=$(pid_of rb-$NP-sentry)
    rb_run in_netns "$sp" cat /proc/sys/net/ipv4/ip_forward
    assert_output 1
    if [ "$(rb_backend)" = nft ]; then
        rb_run in_netns "$sp" nft -j list table inet rb
        local j=$output
        rb_run jq -r '.nftables[].chain? | select(.name == "filter-forward") | "\(.hook) \(.policy)"' <<<"$j"
        assert_output 'forward drop'
        rb_run jq -r '.nftables[].rule? | select(.chain == "filter-forward") | .expr[] | .jump?.target | select(.)' <<<"$j"
        assert_output RB-FORWARD
        rb_run in_netns "$sp" nft -s list chain inet rb RB-FORWARD
        assert_output --regexp 'ip saddr 10\.242\.0\.3 iifname "[^"]+" oifname "[^"]+" counter jump RB-EGRESS comment "rb:egress"'
    else
        rb_run in_netns "$sp" iptables-legacy-save
        assert_output --partial ':FORWARD DROP'
        assert_output --regexp '-A FORWARD .*-j RB-FORWARD'
        assert_output --partial '-s 10.242.0.3/32 -i'
        refute_output --partial 'unsupported revision'
    fi
    # ... and nothing of the other backend
    rb_run rb_fw_objects "$sp"
    if [ "$(rb_backend)" = nft ]; then assert_output 'table inet rb'; else refute_output --partial 'table inet'; fi

    # The enclave bridge: no address the bottle could reach the host on.
    local br
    br=$(podman network inspect -f '{{.NetworkInterface}}' rb-$NP-enclave)
    rb_run bash -c "ip -j addr show dev $br | jq -r '.[0].addr_info | length'"
    assert_output 0
}

@test "make ztest_bottle_dns_block and ..._direct_rule pass on the started bottle" {
    rb_run make -C "$RB_TOP" --no-print-directory ztest_bottle_dns_block NAMEPLATE=$NP RB_BIN=$RB_BIN
    assert_output --partial 'ztest: all passed'
    rb_run make -C "$RB_TOP" --no-print-directory ztest_bottle_dns_block_direct_rule NAMEPLATE=$NP RB_BIN=$RB_BIN
}

@test "every ztest passes (intercept off)" {
    rb_run ztest all $NP
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
        rb_run --separate-stderr podman inspect -f '{{.State.Running}} {{.HostConfig.NetworkMode}}' rb-rbtimg-$c
        assert_output "true none"
        podman rm -f -t 0 rb-rbtimg-$c >/dev/null
    done
}

@test "the bottle cannot change its routes, addresses, sysctls or rules" {
    local bp
    bp=$(pid_of rb-$NP-bottle)
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle ip route replace default via 10.242.0.9
    assert_failure
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle ip addr add 10.242.0.77/24 dev eth0
    assert_failure
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
    assert_failure
    rb_run bash -c "nsenter -t $bp -n ip -j route show default | jq -r '.[] | .gateway'"
    assert_output 10.242.0.2
    # Its netns has no rules it could flush: the policy lives in the sentry.
    rb_run rb_fw_objects "$bp"
    assert_output ''
}

@test "bottle-status: 0 when all is in force; 3 naming drift in the policy or the resolver" {
    local sp b why
    b=$(rb_backend)
    case ${RB_FW_BACKEND:-auto} in xtables | nft) why=chosen ;; *) why="auto: the one holding the policy" ;; esac
    sp=$(pid_of rb-$NP-sentry)
    rb_run bottle status $NP
    assert_line "policy: in force"
    # the backend that holds the policy, and why it was read
    assert_line "firewall: backend $b ($why)"
    RB_FW_BACKEND=auto rb_run bottle status $NP
    assert_line "firewall: backend $b (auto: the one holding the policy)"
    rb_run rb_fw_objects "$sp"
    if [ "$b" = nft ]; then assert_output 'table inet rb'; else assert_line --regexp '^:RB-FORWARD '; fi
    # a rule slipped into the sentry's forwarding chain
    if [ "$b" = nft ]; then
        in_netns "$sp" nft insert rule inet rb RB-FORWARD ip saddr 10.242.0.3 accept comment '"rbt-slipped"'
    else
        in_netns "$sp" iptables-legacy -I RB-FORWARD 1 -s 10.242.0.3 -m comment --comment rbt-slipped -j ACCEPT
    fi
    rb_run 3 bottle status $NP
    assert_output --partial "policy: differs"
    if [ "$b" = nft ]; then
        assert_output --partial "RB-FORWARD: unexpected rule 1 \"ip saddr 10.242.0.3 accept"
    else
        assert_output --partial "RB-FORWARD: unexpected rule 1 \"-A RB-FORWARD -s 10.242.0.3/32 -j ACCEPT"
    fi
    # the nameplate now allows another name; dnsmasq runs the old configuration
    RBRN_UPLINK_ALLOWED_DOMAINS="anthropic.com example.org" rb_run 3 bottle status $NP
    assert_line "resolver: configuration differs from the nameplate (make bottle-reapply)"
    rb_run bottle reapply $NP
    rb_run bottle status $NP
    rb_run rb_policy "$(pid_of rb-$NP-sentry)"
    refute_output --partial rbt-slipped
}

@test "names that resolve to new addresses become reachable, others stay closed" {
    rb_need_learner
    local wpids='$(cat /run/dnsmasq-8.8.8.8.pid)'
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle nc -w 2 -z 203.0.113.11 443
    assert_failure
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle dig +short @10.242.0.2 cdn.anthropic.com
    assert_output 203.0.113.10
    rb_run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 203.0.113.10 443
    # The upstream now answers another address for the same name.
    podman exec rb-world sh -c "echo '203.0.113.11 cdn.anthropic.com' >/etc/rb/world.hosts && kill -HUP $wpids"
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle dig +short @10.242.0.2 cdn.anthropic.com
    podman exec rb-world sh -c "echo '203.0.113.10 cdn.anthropic.com' >/etc/rb/world.hosts && kill -HUP $wpids"
    assert_output 203.0.113.11
    rb_run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 203.0.113.11 443
}

@test "nft without a queue in the kernel: an allowed name resolves, and its answer opens nothing" {
    rb_learnerless
    local sp before rej
    sp=$(pid_of rb-$NP-sentry)
    # no rule of the policy hands a reply to the learner
    rb_run in_netns "$sp" nft -j list table inet rb
    rb_run jq '[.nftables[].rule? | select(.) | .expr[] | select(has("queue"))] | length' <<<"$output"
    assert_output 0
    before=$(podman exec rb-world cat /var/log/world/tcp-443.log | grep -c 'on AF=2 203\.0\.113\.10:443' || true)
    rej=$(rb_pkts "$sp" reject)
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle dig +short @10.242.0.2 cdn.anthropic.com
    assert_output 203.0.113.10
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle nc -w 2 -z 203.0.113.10 443
    assert_failure
    rb_run rb_set_members "$sp" RB-DNS
    assert_output ''
    [ "$(rb_pkts "$sp" reject)" -gt "$rej" ] || fail "rb:reject did not count the connection"
    rb_run --separate-stderr podman exec rb-world cat /var/log/world/tcp-443.log
    [ "$(grep -c 'on AF=2 203\.0\.113\.10:443' <<<"$output" || true)" -eq "$before" ] ||
        fail "the world saw a connection to 203.0.113.10:443"
}

@test "a restarted sentry forwards nothing until bottle-reapply" {
    rb_run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 160.79.104.10 443
    podman restart -t 0 rb-$NP-sentry >/dev/null
    rb_run '?' in_netns "$(pid_of rb-$NP-sentry)" cat /proc/sys/net/ipv4/ip_forward
    assert_output 0
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle nc -w 2 -z 160.79.104.10 443
    assert_failure
    rb_run bottle reapply $NP
    rb_run --separate-stderr podman exec rb-$NP-bottle nc -w 2 -z 160.79.104.10 443
    rb_run ztest ztest_bottle_dns_block $NP
}

@test "intercept on: foreign DNS is answered by policy and never reaches its server" {
    rb_run bottle stop $NP
    RBRN_UPLINK_DNS_INTERCEPT=1 rb_run bottle start $NP
    if [ "$(rb_backend)" = nft ]; then
        rb_run in_netns "$(pid_of rb-$NP-sentry)" nft -s list chain inet rb RB-PREROUTING
        assert_output --regexp 'ip saddr 10\.242\.0\.3 ip daddr != 10\.242\.0\.2 iifname "[^"]+" udp dport 53 counter dnat ip to 10\.242\.0\.2:53 comment "rb:intercept-udp"'
    else
        rb_run '?' in_netns "$(pid_of rb-$NP-sentry)" iptables-legacy-save -t nat
        assert_output --regexp '-A RB-PREROUTING .*-p udp .*--dport 53 .*-j DNAT --to-destination 10.242.0.2:53'
    fi
    RBRN_UPLINK_DNS_INTERCEPT=1 rb_run ztest all $NP
    assert_output --partial 'intercept=1'
    refute_output --partial FAIL
    rb_run bottle stop $NP
    rb_run bottle start $NP
}

@test "three nameplates at once do not interfere" {
    rb_run bottle start open
    rb_run bottle start offline
    local np
    for np in $NP open offline; do
        rb_run ztest all $np
        refute_output --partial FAIL
    done
    # No bottle reaches another's enclave.
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle nc -w 2 -z 10.242.2.3 8888
    assert_failure
    rb_run --separate-stderr '?' podman exec rb-open-bottle nc -w 2 -z 10.242.0.3 8888
    assert_failure
    rb_run --separate-stderr '?' podman exec rb-open-bottle nc -w 2 -z 10.242.1.3 8888
    assert_failure
    rb_run bottle stop open
    rb_run bottle stop offline
    # ... and stopping them leaves the first intact.
    rb_run ztest ztest_bottle_tcp443_allow $NP
}

@test "world-stop refuses while a sentry uses the world, and names it" {
    rb_run 1 bash "$RB_TOP/mk/world.sh" stop
    assert_output --partial "rb-$NP-sentry"
    rb_run --separate-stderr podman inspect -f '{{.State.Running}}' rb-world rb-$NP-sentry rb-$NP-bottle
    assert_output $'true\ntrue\ntrue'
    rb_run --separate-stderr podman network exists rb-world
}

@test "bottle-stop leaves no container, network, rule, route or run file behind" {
    local br
    br=$(podman network inspect -f '{{.NetworkInterface}}' rb-$NP-enclave)
    rb_run make -C "$RB_TOP" --no-print-directory bottle-stop NAMEPLATE=$NP RB_BIN=$RB_BIN
    rb_run --separate-stderr podman ps -a --format '{{.Names}}'
    refute_output --partial rb-$NP-
    rb_run --separate-stderr '?' podman network exists rb-$NP-enclave
    assert_failure
    rb_run rb_host_objects $NP
    assert_output ''
    rb_run '?' ip link show dev "$br"
    assert_failure
    rb_run ip -j route
    refute_output --partial 10.242.0.
    [ ! -e /run/rb/$NP ]
}

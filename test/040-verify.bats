#!/usr/bin/env bats
# rb-verify without podman: three namespaces stand in for the bottle, the
# sentry and the world. The sentry's policy is written by rb-fw-apply and
# its resolver is dnsmasq with rb-fw-apply's configuration, exactly as in a
# real sentry; the world owns the public-looking addresses, answers DNS for
# them (with a query log) and listens on the probed ports.
#
#   B: eth0 10.242.0.3 --- S: eth0 10.242.0.2 (enclave, dnsmasq)
#                          S: eth1 192.0.2.2 (uplink) --- W: eth0 192.0.2.1
#   W: lo 8.8.8.8 160.79.104.1 160.79.104.10 198.51.100.7 169.254.169.254
#         10.0.0.1 192.168.1.1; TCP accept + UDP echo on 22 80 443;
#         dnsmasq on 8.8.8.8 (anthropic.com, example.com)
#
# Each test breaks one thing on purpose and asserts on rb-verify's JSON,
# and on the real state that explains it (iptables-legacy-save, the world's
# DNS log), never on the report alone.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	unset "${!RBRN_@}"
	T=$BATS_TEST_TMPDIR
	B=$(rb_netns_new)
	S=$(rb_netns_new)
	W=$(rb_netns_new)
	NP=$T/np.mk
	np_write "$NP"
}

teardown() {
	# a bottle started by the podman test: its host chains too
	if [ -f "$T/.bottle" ]; then
		(cd "$RB_TOP" && RB_BIN=$RB_BIN bash mk/bottle.sh stop "$(cat "$T/.bottle")") >/dev/null 2>&1 3>&- || true
	fi
	rb_default_teardown
}

# The nameplate: nsproto's policy on the test topology (np_write's base).
NP_BASE=(
	"RBRN_MONIKER=rbtverify"
	"RBRN_BOTTLE_UID=1000"
	"RBRN_ENCLAVE_SUBNET=10.242.0.0/24"
	"RBRN_ENCLAVE_SENTRY_IP=10.242.0.2"
	"RBRN_ENCLAVE_BOTTLE_IP=10.242.0.3"
	"RBRN_UPLINK_NETWORK=rb-world"
	"RBRN_UPLINK_DNS_SERVER=8.8.8.8"
	"RBRN_UPLINK_DNS_ENABLED=1"
	"RBRN_UPLINK_DNS_GLOBAL=0"
	"RBRN_UPLINK_DNS_INTERCEPT=0"
	"RBRN_UPLINK_ACCESS_ENABLED=1"
	"RBRN_UPLINK_ACCESS_GLOBAL=0"
	"RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/23"
	"RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com"
)

world_py() {
	cat >"$T/world.py" <<-'EOF'
	# world.py "ADDR..." PORT...: TCP accept on every address, UDP echo
	# bound per address so each reply leaves from the address asked
	import selectors, socket, sys
	sel = selectors.DefaultSelector()
	for p in map(int, sys.argv[2:]):
	    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	    t.bind(("0.0.0.0", p)); t.listen(64); t.setblocking(False)
	    sel.register(t, selectors.EVENT_READ, "tcp")
	    for a in sys.argv[1].split():
	        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	        u.bind((a, p)); u.setblocking(False)
	        sel.register(u, selectors.EVENT_READ, "udp")
	print("ready", flush=True)
	while True:
	    for key, _ in sel.select():
	        try:
	            if key.data == "tcp":
	                c, _ = key.fileobj.accept(); c.close()
	            else:
	                d, a = key.fileobj.recvfrom(2048); key.fileobj.sendto(d, a)
	        except OSError:
	            pass
	EOF
}

# Waits up to 5 s for a command to succeed.
wait_for() {
	local i
	for i in $(seq 50); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $*"
}

sentry_dns_up() {
	ip netns exec "$S" dig +time=1 +tries=1 @127.0.0.1 example.com | grep -q 'status: NXDOMAIN'
}

# The sentry's runtime as the container runs it (rb-sentryd: dnsmasq, the
# learner, the denial log).
start_sentry_dns() {
	rb_sentryd "$S" "$NP" || fail "rb-sentryd did not start"
	echo "$SD_PID" >"$T/sentry-dns.pid"
	wait_for sentry_dns_up
}

# The whole topology, the policy from rb-fw-apply, both resolvers.
world_up() {
	ip netns exec "$B" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	# the bottle's uid may use ping sockets, so ICMP is testable
	ip netns exec "$B" sysctl -qw net.ipv4.ping_group_range="1000 1000"
	ip -n "$B" link add eth0 type veth peer name eth0 netns "$S"
	ip -n "$B" addr add 10.242.0.3/24 dev eth0
	ip -n "$B" link set eth0 up
	ip -n "$S" addr add 10.242.0.2/24 dev eth0
	ip -n "$S" link set eth0 up
	ip -n "$B" route add default via 10.242.0.2
	ip -n "$S" link add eth1 type veth peer name eth0 netns "$W"
	ip -n "$S" addr add 192.0.2.2/24 dev eth1
	ip -n "$S" link set eth1 up
	ip -n "$W" addr add 192.0.2.1/24 dev eth0
	ip -n "$W" link set eth0 up
	ip -n "$S" route add default via 192.0.2.1
	local a addrs="8.8.8.8 160.79.104.1 160.79.104.10 198.51.100.7 169.254.169.254 10.0.0.1 192.168.1.1"
	for a in $addrs; do
		ip -n "$W" addr add "$a/32" dev lo
	done
	world_py
	ip netns exec "$W" python3 "$T/world.py" "$addrs" 22 80 443 >"$T/world.out" 2>&1 3>&- &
	ip netns exec "$W" dnsmasq --conf-file=/dev/null --no-resolv --no-hosts \
		--listen-address=8.8.8.8 --bind-interfaces \
		--address=/anthropic.com/160.79.104.10 --address=/example.com/198.51.100.7 \
		--log-queries --log-facility="$T/world-dns.log" --pid-file="$T/world-dns.pid" \
		--user=root --group=root 3>&-
	wait_for grep -q ready "$T/world.out"

	rb_run "$RB_BIN/rb-fw-apply" --nameplate "$NP" --netns "/run/netns/$S"
	start_sentry_dns
}

verify() {
	rb_run --separate-stderr '?' "$RB_BIN/rb-verify" --nameplate "$NP" \
		--netns-bottle "/run/netns/$B" --netns-sentry "/run/netns/$S" "$@"
}

# jq over the last JSON report
jqr() {
	jq -r "$@" <<<"$output"
}

# The probe whose spec is $1 (kind:target as --probe writes it).
probe() {
	jqr --arg s "$1" '.probes[] | select(.spec | startswith($s + "="))' | jq -s -c '.[0]'
}

# ---- usage ----------------------------------------------------------------

@test "rb-verify: a bad --probe spec is a usage error that names the spec" {
	local spec
	for spec in 'tcp:1.2.3.4' 'tcp:1.2.3.4:0' 'tcp:1.2.3.4:65536' 'tcp:999.1.1.1:80' \
		'icmp:[2001:db8::1]' 'udp-dns:8.8.8.8:bad..name' 'dns:x=maybe' \
		'tcp:1.2.3.4:80=nxdomain' 'smtp:1.2.3.4:25' 'tcp:[2001:db8::1:443' \
		'tcp:[fe80::1%]:22'; do
		rb_run --separate-stderr 1 "$RB_BIN/rb-verify" --nameplate /nonexistent --probe "$spec"
		[[ "$stderr" == *"bad probe \"$spec\""* ]] || fail "no spec in: $stderr"
		assert_output ''
	done
	rb_run --separate-stderr 1 "$RB_BIN/rb-verify" --probe tcp:1.2.3.4:80
	rb_run --separate-stderr 1 "$RB_BIN/rb-verify" --nameplate "$NP" --timeout 0
	rb_run --separate-stderr 1 "$RB_BIN/rb-verify" --nameplate "$NP" --netns-bottle /run/netns/x
	rb_run "$RB_BIN/rb-verify" --help
	assert_line '         { udp-dns | tcp-dns }:ADDR:NAME'
}

@test "rb-verify: a netns that does not exist is a system failure (exit 2)" {
	rb_run --separate-stderr 2 "$RB_BIN/rb-verify" --nameplate "$NP" \
		--netns-bottle /run/netns/rbt-nope-b --netns-sentry /run/netns/rbt-nope-s
	[[ "$stderr" == *rbt-nope-s* ]] || fail "stderr: $stderr"
}

# ---- an intact policy -------------------------------------------------------

@test "rb-verify: an intact policy holds (exit 0), JSON schema, counters name the rules" {
	world_up
	verify --json
	assert_success
	jqr -e '.ok == true and .summary.failed == 0 and .moniker == "rbtverify"'
	jqr -e '.nameplate | endswith("np.mk")'
	# schema: every check and probe carries its fields, with their types
	jqr -e '.checks | length > 0 and all(.[];
		(.name|type) == "string" and (.subject|type) == "string" and
		(.expect|type) == "string" and (.observed|type) == "string" and .ok == true)'
	jqr -e '.probes | length >= 15 and all(.[];
		(.kind|IN("tcp","udp","icmp","dns","udp-dns","tcp-dns")) and
		(.target|type) == "string" and (.expect|IN("pass","fail","nxdomain")) and
		(.observed|type) == "string" and (.ok|type) == "boolean" and
		(.verdict|IN("ok","fail","untestable")) and (.origin == "default") and
		(.rule == null or ((.rule.table|type) == "string" and (.rule.chain|type) == "string" and
			(.rule.id|type) == "string" and (.rule.packets|type) == "number")) and
		(.rules|type) == "array")'
	jqr -e '.counters | length > 0 and all(.[]; .packets > 0 and (.text|startswith("-A RB-") or contains(" counter ")))'
	jqr -e --arg b "$(rb_backend)" '.backend == $b'
	jqr -e '.summary.checks == (.checks|length) + (.probes|length)'
	jqr -e '.summary.passed == .summary.checks'

	# what must pass passed, through the allowlist
	probe tcp:160.79.104.1:443 | jq -e '.ok and .observed == "open" and
		.rule.chain == "RB-EGRESS" and .rule.id == "rb:cidr"'
	probe dns:anthropic.com | jq -e '.ok and .rcode == "NOERROR" and .answers == ["160.79.104.10"] and
		.rule.chain == "RB-INPUT" and .rule.id == "rb:dns-in-udp"'
	probe tcp:160.79.104.10:443 | jq -e '.ok and .observed == "open"'
	probe icmp:10.242.0.2 | jq -e '.ok and .observed == "reply" and .rule.chain == "RB-INPUT" and .rule.id == "rb:ping"'
	# the sentry answered the not-allowed name itself
	probe dns:example.com | jq -e '.ok and .expect == "nxdomain" and .rcode == "NXDOMAIN"'
	# what must fail failed, each at the rule that should stop it
	probe tcp:8.8.8.8:53 | jq -e '.ok and .rule.id == "rb:dns-tcp"'
	probe udp-dns:8.8.8.8:example.com | jq -e '.ok and .expect == "fail" and .rule.id == "rb:dns-udp"'
	probe tcp-dns:8.8.8.8:example.com | jq -e '.ok and .rule.id == "rb:dns-tcp"'
	probe tcp:198.51.100.7:443 | jq -e '.ok and .expect == "fail" and .rule.id == "rb:reject"'
	probe udp:198.51.100.7:443 | jq -e '.ok and .rule.id == "rb:reject"'
	probe icmp:198.51.100.7 | jq -e '.ok and .expect == "fail" and .rule.chain == "RB-EGRESS" and .rule.target == "REJECT"'
	probe tcp:169.254.169.254:80 | jq -e '.ok and .rule.id == "rb:never-private"'
	probe tcp:10.0.0.1:22 | jq -e '.ok and .rule.id == "rb:never-private"'
	probe tcp:192.168.1.1:80 | jq -e '.ok and .rule.id == "rb:never-private"'
	probe 'tcp:[2001:db8::1]:443' | jq -e '.ok and .expect == "fail"'
	probe tcp:10.242.0.2:22 | jq -e '.ok and .rule.chain == "RB-INPUT" and .rule.id == "rb:in-reject"'
	# FORWARD really sees the bottle's packets (RBM 2, docs/design.md)
	jqr -e '.checks[] | select(.subject == "filter FORWARD -> RB-FORWARD") | .ok'

	# real state: the kernel's own counters agree, and the world's resolver
	# never heard of the names it must not be asked about
	local id
	for id in RB-EGRESS:reject RB-EGRESS:cidr RB-FORWARD:egress; do
		rb_run rule_pkts "${id%%:*}" "${id#*:}"
		[ "$output" -gt 0 ] || fail "rb:${id#*:} counted nothing in the kernel: $output"
	done
	rb_run grep -c 'query\[A\] anthropic.com from 192.0.2.2' "$T/world-dns.log"
	rb_run 1 grep 'example.com' "$T/world-dns.log"
}

@test "rb-verify: a ported CIDR is probed on an allowed and a refused port; drift in its set is named" {
	np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/23:443"
	world_up
	verify --json
	assert_success
	jqr -e '.ok == true and .summary.failed == 0'
	# its port passes at rb:cidr-port, another one is rejected
	probe tcp:160.79.104.1:443 | jq -e '.ok and .expect == "pass" and .observed == "open" and
		.rule.id == "rb:cidr-port"'
	probe tcp:160.79.104.1:80 | jq -e '.ok and .expect == "fail" and .rule.id == "rb:reject"'
	rb_run rule_pkts RB-EGRESS cidr-port
	[ "$output" -gt 0 ] || fail "rb:cidr-port counted nothing in the kernel"
	# a port too many in the set: drift, and the refused probe gets through
	if [ "$(rb_backend)" = xtables ]; then
		ip netns exec "$S" ipset add RB-CIDR-PORT 160.79.104.0/23,tcp:80
	else
		ip netns exec "$S" nft add element inet rb RB-CIDR-PORT '{ 160.79.104.0/23 . tcp . 80 }'
	fi
	verify --json
	assert_failure 3
	jqr -e '[.checks[] | select(.ok | not)] | length == 1 and (.[0].subject | endswith(" RB-CIDR-PORT")) and
		(.[0].observed | test("^unexpected member 160\\.79\\.104\\.0/23(,tcp:| \\. tcp \\. )80$"))'
	probe tcp:160.79.104.1:80 | jq -e '(.ok | not) and .observed == "open"'
}

@test "rb-verify: a ported name's answer is probed on its port and on a refused one" {
	np_write "$NP" "RBRN_UPLINK_ALLOWED_CIDRS=160.79.104.0/23:443" "RBRN_UPLINK_ALLOWED_DOMAINS=anthropic.com:22"
	rb_need_learner
	world_up
	verify --json
	assert_success
	jqr -e '.ok == true and .summary.failed == 0'
	# the CIDR holding the answer opens 443 only: 22 is the learned answer's
	probe dns:anthropic.com | jq -e '.ok and .answers == ["160.79.104.10"]'
	probe tcp:160.79.104.10:22 | jq -e '.ok and .expect == "pass" and .observed == "open" and
		.rule.id == "rb:dns-port"'
	probe tcp:160.79.104.10:80 | jq -e '.ok and .expect == "fail" and .rule.id == "rb:reject"'
}

@test "rb-verify: the report names the backend it read and why; another backend named is a failed check" {
	world_up
	local b other
	b=$(rb_backend)
	if [ "$b" = nft ]; then other=xtables; else other=nft; fi
	# the kernel's view: the policy is in that backend's objects only
	rb_run rb_fw_objects "$S"
	if [ "$b" = nft ]; then
		assert_output "table inet rb"
	else
		assert_line ':RB-FORWARD - '
		refute_line --partial 'table inet'
	fi
	# auto: the one that holds the policy
	RB_FW_BACKEND=auto verify --json --no-default-probes
	assert_success
	jqr -e --arg b "$b" '.backend == $b and .backend_why == "auto: the one holding the policy"'
	jqr -e --arg b "$b" '.checks[] | select(.name == "backend") | .ok and .expect == "auto" and .observed == $b'
	RB_FW_BACKEND=auto verify --no-default-probes
	assert_success
	assert_line "firewall: $b (auto: the one holding the policy)"
	# named (the option over the environment): chosen
	RB_FW_BACKEND=$other verify --json --no-default-probes --backend "$b"
	assert_success
	jqr -e --arg b "$b" '.backend == $b and .backend_why == "chosen"'
	# the other one named: it does not hold the policy
	if [ "$other" = xtables ] && [ ! -e /proc/net/ip_tables_names ]; then
		return 0
	fi
	verify --json --no-default-probes --backend "$other"
	assert_failure 3
	jqr -e --arg o "$other" '.backend == $o and .backend_why == "chosen"'
	jqr -e --arg o "$other" '.checks[] | select(.name == "backend") | (.ok | not) and .expect == $o'
}

@test "rb-verify: the table has one line per check and probe and the summary line" {
	world_up
	verify --json
	assert_success
	local n_checks n_probes total
	n_checks=$(jqr '.checks | length')
	n_probes=$(jqr '.probes | length')
	total=$((n_checks + n_probes))
	verify
	assert_success
	assert_line --regexp '^CHECK +SUBJECT +RESULT +EXPECTED +OBSERVED$'
	assert_line --regexp '^PROBE +TARGET +EXPECT +RESULT +OBSERVED +RULE +WHY$'
	assert_line --regexp '^tcp +160\.79\.104\.1:443 +pass +ok +open +filter RB-EGRESS rb:cidr +in allowed CIDR 160\.79\.104\.0/23$'
	assert_line "$total checks, $total passed, 0 failed"
	[ "$(grep -cE '^(backend|fw|ip_forward|route|ipv6|address|resolver|learner|counters) ' <<<"$output")" -eq "$n_checks" ]
	[ "$(grep -cE '^(tcp|udp|icmp|dns|udp-dns|tcp-dns) ' <<<"$output")" -eq "$n_probes" ]
}

@test "rb-verify: --probe adds probes; a wrong expectation is a violation" {
	world_up
	verify --json --no-default-probes --probe tcp:160.79.104.1:443=pass --probe dns:api.anthropic.com
	assert_success
	jqr -e '.probes | length == 2 and all(.[]; .origin == "cli" and .ok)'
	# no expectation given: the nameplate's (a subdomain of an allowed name)
	probe dns:api.anthropic.com | jq -e '.expect == "pass" and .answers == ["160.79.104.10"]'

	verify --json --no-default-probes --probe tcp:198.51.100.7:443=pass
	assert_failure 3
	probe tcp:198.51.100.7:443 | jq -e '.ok == false and (.observed|IN("refused","timeout")) and .rule.id == "rb:reject"'
	jqr -e '.ok == false and .summary.failed == 1'
}

# ---- broken on purpose -------------------------------------------------------

@test "rb-verify: a deleted rule is drift and breaks the allowlist (exit 3)" {
	world_up
	if [ "$(rb_backend)" = nft ]; then
		rb_nft_delete_rule "$S" RB-EGRESS cidr
		rb_run '?' ip netns exec "$S" nft list chain inet rb RB-EGRESS
	else
		ip netns exec "$S" iptables-legacy -D RB-EGRESS -m set --match-set RB-CIDR dst \
			-m comment --comment rb:cidr -j ACCEPT
		rb_run '?' ip netns exec "$S" iptables-legacy-save -t filter
	fi
	refute_output --partial '"rb:cidr"'

	verify --json
	assert_failure 3
	jqr -e '.ok == false'
	jqr -e '[.checks[] | select(.name == "fw" and .ok == false and .subject == "filter RB-EGRESS")] | length >= 1'
	jqr -e '[.checks[] | select(.name == "fw" and .ok == false) | .observed] | any(test("rb:cidr"))'
	probe tcp:160.79.104.1:443 | jq -e '.ok == false and .expect == "pass" and .rule.id == "rb:reject"'
	# the table says the same
	verify
	assert_failure 3
	assert_line --regexp '^fw +filter RB-EGRESS +FAIL .*rb:cidr'
	# refused, or timeout when the kernel rate-limits REJECT's ICMP errors
	assert_line --regexp '^tcp +160\.79\.104\.1:443 +pass +FAIL +(refused|timeout).* filter RB-EGRESS rb:reject '
}

@test "rb-verify: an added ACCEPT lets the bottle out, and the report shows it (exit 3)" {
	world_up
	if [ "$(rb_backend)" = nft ]; then
		ip netns exec "$S" nft insert rule inet rb RB-EGRESS counter accept
	else
		ip netns exec "$S" iptables-legacy -I RB-EGRESS 1 -j ACCEPT
	fi
	verify --json
	assert_failure 3
	jqr -e '[.checks[] | select(.name == "fw" and .ok == false and .subject == "filter RB-EGRESS")] | length >= 1'
	# the world answered DNS it must never see, and the culprit is rule 1
	probe udp-dns:8.8.8.8:example.com | jq -e '.ok == false and .answers == ["198.51.100.7"] and
		.rule.chain == "RB-EGRESS" and .rule.index == 1 and .rule.id == ""'
	probe tcp:198.51.100.7:443 | jq -e '.ok == false and .observed == "open"'
	probe tcp:10.0.0.1:22 | jq -e '.ok == false and .observed == "open"'
	rb_run grep 'query\[A\] example.com from 192.0.2.2' "$T/world-dns.log"
}

@test "rb-verify: a probe that must fail must be stopped by the sentry, not by the world" {
	world_up
	if [ "$(rb_backend)" = nft ]; then
		ip netns exec "$S" nft insert rule inet rb RB-EGRESS ip daddr 198.51.100.7 tcp dport 8443 counter accept
	else
		ip netns exec "$S" iptables-legacy -I RB-EGRESS 1 -d 198.51.100.7/32 -p tcp --dport 8443 -j ACCEPT
	fi
	# nothing listens on 8443: the world refuses, as a REJECT would
	verify --json --no-default-probes --probe tcp:198.51.100.7:8443=fail
	assert_failure 3
	probe tcp:198.51.100.7:8443 | jq -e '.ok == false and .observed == "refused" and
		.rule.index == 1 and .rule.target == "ACCEPT" and (.note|test("let it through"))'
	if [ "$(rb_backend)" = nft ]; then
		rb_run ip netns exec "$S" nft list chain inet rb RB-EGRESS
		assert_line --regexp 'ip daddr 198\.51\.100\.7 tcp dport 8443 counter packets [1-9][0-9]* bytes [0-9]+ accept$'
	else
		rb_run '?' ip netns exec "$S" iptables-legacy-save -c -t filter
		assert_output --regexp '\[[1-9][0-9]*:[0-9]+\] -A RB-EGRESS -d 198\.51\.100\.7/32 -p tcp -m tcp --dport 8443 -j ACCEPT'
	fi
}

@test "rb-verify: a stopped resolver is caught (exit 3)" {
	world_up
	kill "$(cat "$T/sentry-dns.pid")"
	wait_for bash -c "! ip netns exec $S ss -lnu | grep -q ':53 '"
	verify --json
	assert_failure 3
	probe dns:anthropic.com | jq -e '.ok == false and .expect == "pass" and (.observed|IN("refused","timeout"))'
	jqr -e '.checks[] | select(.name == "resolver") | .ok == false and .expect == "answers anthropic.com"'
	# the resolver's port is open in the policy, nothing listens behind it
	probe dns:anthropic.com | jq -e '.rule.id == "rb:dns-in-udp"'
	# the allowlist by address still works
	probe tcp:160.79.104.1:443 | jq -e '.ok'
}

@test "rb-verify: a bottle without its route via the sentry is caught (exit 3)" {
	world_up
	ip -n "$B" route del default
	verify --json
	assert_failure 3
	jqr -e '.checks[] | select(.name == "route") | .ok == false and .observed == "no default route"'
	probe tcp:160.79.104.1:443 | jq -e '.ok == false and (.observed|startswith("unreachable"))'

	# a default route that goes elsewhere is as wrong as none
	ip -n "$B" route add default via 10.242.0.9
	verify --json
	assert_failure 3
	jqr -e '.checks[] | select(.name == "route") | .ok == false and (.observed|test("via 10.242.0.9"))'
}

@test "rb-verify: forwarding off in the sentry is caught (exit 3)" {
	world_up
	ip netns exec "$S" sysctl -qw net.ipv4.ip_forward=0
	verify --json
	assert_failure 3
	jqr -e '.checks[] | select(.name == "ip_forward") | .ok == false and .observed == "0"'
	jqr -e '[.checks[] | select(.name == "fw" and .subject == "sysctl net.ipv4.ip_forward")] | .[0].ok == false'
	probe tcp:160.79.104.1:443 | jq -e '.ok == false'
}

@test "rb-verify: IPv6 on in the bottle is caught (exit 3)" {
	world_up
	ip netns exec "$B" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
	verify --json
	assert_failure 3
	jqr -e '.checks[] | select(.name == "ipv6") | .ok == false'
}

@test "rb-verify: traffic that bypasses the sentry is caught by its counters (RBM 0, docs/design.md)" {
	world_up
	# a second way out that skips the sentry; the default route is intact
	ip -n "$B" link add eth1 type veth peer name eth1 netns "$W"
	ip -n "$B" addr add 203.0.113.2/24 dev eth1
	ip -n "$B" link set eth1 up
	ip -n "$W" addr add 203.0.113.1/24 dev eth1
	ip -n "$W" link set eth1 up
	ip -n "$B" route add 160.79.104.0/23 via 203.0.113.1
	verify --json
	assert_failure 3
	jqr -e '.checks[] | select(.name == "route") | .ok'
	# it connected, as the policy allows, but no rule of the sentry saw it
	probe tcp:160.79.104.1:443 | jq -e '.ok == false and .observed == "open" and .rule == null and
		(.note|test("bypassed"))'
}

@test "rb-verify: ICMP is not testable when the bottle's uid may not ping, and that is not a pass" {
	world_up
	# root's group could ping; the prober runs as 1000:1000 and cannot
	ip netns exec "$B" sysctl -qw net.ipv4.ping_group_range="0 0"
	verify --json
	assert_success
	jqr -e '.summary.untestable == 2'
	probe icmp:198.51.100.7 | jq -e '.ok == null and .verdict == "untestable" and
		(.observed|test("ping_group_range"))'
	verify
	assert_success
	assert_line --regexp ', 0 failed, 2 not testable$'
}

# ---- other modes --------------------------------------------------------------

@test "rb-verify: DNS_INTERCEPT=1: DNS to other servers is answered by the sentry's policy" {
	np_write "$NP" RBRN_UPLINK_DNS_INTERCEPT=1
	world_up
	verify --json
	assert_success
	probe udp-dns:8.8.8.8:example.com | jq -e '.ok and .expect == "nxdomain" and .rcode == "NXDOMAIN" and
		.rule.chain == "RB-INPUT" and .nat.chain == "RB-PREROUTING" and .nat.id == "rb:intercept-udp"'
	probe tcp-dns:8.8.8.8:example.com | jq -e '.ok and .rcode == "NXDOMAIN" and .nat.id == "rb:intercept-tcp"'
	probe udp-dns:8.8.8.8:anthropic.com | jq -e '.ok and .expect == "pass" and .nat.id == "rb:intercept-udp"'
	# PREROUTING really DNATs the bottle's DNS (RBM 2, docs/design.md)
	jqr -e '.checks[] | select(.subject == "nat PREROUTING -> RB-PREROUTING") | .ok'
	rb_run 1 grep 'example.com' "$T/world-dns.log"
}

@test "rb-verify: DNS_INTERCEPT=1: an answer that skipped the sentry's DNAT is caught" {
	np_write "$NP" RBRN_UPLINK_DNS_INTERCEPT=1
	world_up
	# the interception gone and the world's resolver open: the world now
	# answers an allowed name with the very address the sentry would give
	if [ "$(rb_backend)" = nft ]; then
		rb_nft_delete_rule "$S" RB-PREROUTING intercept-udp
		ip netns exec "$S" nft insert rule inet rb RB-EGRESS udp dport 53 accept
		rb_run '?' ip netns exec "$S" nft list table inet rb
	else
		ip netns exec "$S" iptables-legacy -t nat -D RB-PREROUTING -s 10.242.0.3/32 ! -d 10.242.0.2/32 \
			-i eth0 -p udp -m udp --dport 53 -m comment --comment rb:intercept-udp \
			-j DNAT --to-destination 10.242.0.2:53
		ip netns exec "$S" iptables-legacy -I RB-EGRESS 1 -p udp --dport 53 -j ACCEPT
		rb_run '?' ip netns exec "$S" iptables-legacy-save -t nat
	fi
	refute_output --partial 'rb:intercept-udp'
	verify --json
	assert_failure 3
	probe udp-dns:8.8.8.8:anthropic.com | jq -e '.ok == false and .observed == "NOERROR 160.79.104.10" and
		.nat == null and (.note|test("not the sentry"))'
	jqr -e '[.checks[] | select(.name == "fw" and .ok == false)] | length >= 2'
}

@test "rb-verify: ACCESS_GLOBAL=1: unlisted public addresses pass, private ones still fail" {
	np_write "$NP" RBRN_UPLINK_ACCESS_GLOBAL=1
	world_up
	verify --json
	assert_success
	probe tcp:198.51.100.7:443 | jq -e '.ok and .expect == "pass" and .observed == "open" and .rule.id == "rb:global"'
	probe udp:198.51.100.7:443 | jq -e '.ok and .observed == "reply"'
	probe tcp:10.0.0.1:22 | jq -e '.ok and .expect == "fail" and .rule.id == "rb:never-private"'
	probe tcp:8.8.8.8:53 | jq -e '.ok and .expect == "fail"'
}

@test "rb-verify: DNS and egress disabled: nothing resolves, nothing gets out" {
	np_write "$NP" RBRN_UPLINK_DNS_ENABLED=0 RBRN_UPLINK_ACCESS_ENABLED=0
	world_up
	verify --json
	assert_success
	probe dns:anthropic.com | jq -e '.ok and .expect == "fail" and .rule.id == "rb:in-reject"'
	probe tcp:160.79.104.1:443 | jq -e '.ok and .expect == "fail" and .rule.id == "rb:reject"'
	jqr -e '[.probes[] | select(.kind == "tcp" and .observed == "open")] | length == 0'
}

# ---- podman mode ----------------------------------------------------------------

@test "rb-verify (podman): a started bottle verifies clean; a rule deleted in its sentry is caught" {
	rb_require_images
	bash "$RB_TOP/mk/world.sh" start >/dev/null
	# its own moniker and subnet, no entry port: nothing shared with other tests
	cat >"$NP" <<-'EOF'
	RBRN_MONIKER = rbtvpod
	RBRN_ENCLAVE_SUBNET = 10.242.40.0/24
	RBRN_ENCLAVE_SENTRY_IP = 10.242.40.2
	RBRN_ENCLAVE_BOTTLE_IP = 10.242.40.3
	RBRN_UPLINK_NETWORK = rb-world
	RBRN_UPLINK_GATEWAY = 10.243.0.2
	RBRN_UPLINK_DNS_SERVER = 8.8.8.8
	RBRN_UPLINK_DNS_ENABLED = 1
	RBRN_UPLINK_ACCESS_ENABLED = 1
	RBRN_UPLINK_ALLOWED_CIDRS = 160.79.104.10/32
	RBRN_UPLINK_ALLOWED_DOMAINS = anthropic.com
	EOF
	rb_track container rb-rbtvpod-bottle
	rb_track container rb-rbtvpod-sentry
	rb_track network rb-rbtvpod-enclave
	(cd "$RB_TOP" && RB_BIN=$RB_BIN bash mk/bottle.sh start "$NP") >/dev/null 3>&-
	echo "$NP" >"$T/.bottle"

	rb_run --separate-stderr "$RB_BIN/rb-verify" --nameplate "$NP" --json
	jqr -e '.ok and .moniker == "rbtvpod"'
	jqr -e '.checks[] | select(.name == "fw") | .ok and (.observed|startswith("no drift"))'
	probe tcp:160.79.104.10:443 | jq -e '.ok and .observed == "open" and .rule.id == "rb:cidr"'
	probe dns:anthropic.com | jq -e '.ok and .answers == ["160.79.104.10"]'
	probe tcp:198.51.100.7:443 | jq -e '.ok and .observed == "refused" and .rule.id == "rb:reject"'

	local sp
	sp=$(podman inspect -f '{{.State.Pid}}' rb-rbtvpod-sentry)
	rb_del_rule "$sp" RB-EGRESS cidr
	rb_run rb_policy "$sp"
	refute_output --partial 'rb:cidr'
	rb_run --separate-stderr 3 "$RB_BIN/rb-verify" --nameplate "$NP" --json
	jqr -e '[.checks[] | select(.name == "fw" and .ok == false and .subject == "filter RB-EGRESS")] | length >= 1'
	if [ "$(rb_backend)" = nft ] && ! rb_nft_has_queue; then
		# no learner on this kernel's nft (CONFIG_NFT_QUEUE): the resolver's
		# answer for anthropic.com opened nothing, the address is refused
		probe tcp:160.79.104.10:443 | jq -e '(.observed|IN("refused","timeout")) and .rule.id == "rb:reject"'
		rb_run rb_set_members "$sp" RB-DNS
		assert_output ''
	else
		# still open, but now only because the sentry's resolver answered
		# anthropic.com with it (RB-DNS): the counters say which rule it was
		probe tcp:160.79.104.10:443 | jq -e '.observed == "open" and .rule.id == "rb:dns-set"'
		rb_run rb_set_members "$sp" RB-DNS
		assert_line 160.79.104.10
	fi
}

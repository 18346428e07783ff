#!/usr/bin/env bats
# Many bottles on one host: ten nameplates made from nsproto by
# `make bottle-nameplates` (10.251.0.0/16, entry ports 19101..19110), all up
# at once. bottle-list shows each as it is; each verifies clean; no bottle
# reaches another bottle, another sentry or another bottle's entry port;
# stopping them leaves nothing.

load helpers

N=10
PREFIX=rbfl
SUBNETS=10.251.0.0/16
ENTRY_BASE=19100

bottle() { (cd "$RB_TOP" && RB_BIN=$RB_BIN bash mk/bottle.sh "$@"); }
rb_make() { make -C "$RB_TOP" --no-print-directory -s RB_BIN="$RB_BIN" "$@"; }
m_of() { printf '%s%02d' $PREFIX "$1"; }
np_of() { echo "$NPD/$(m_of "$1").mk"; }
pid_of() { podman inspect -f '{{.State.Pid}}' "$1"; }

setup_file() {
    rb_require_images
    bash "$RB_TOP/mk/world.sh" start >/dev/null
    export NPD=$BATS_FILE_TMPDIR/np
    mkdir -p "$NPD"
    rb_make bottle-nameplates N=$N DIR="$NPD" TEMPLATE=nsproto PREFIX=$PREFIX \
        SUBNETS=$SUBNETS ENTRY_BASE=$ENTRY_BASE >/dev/null
    local i
    for i in $(seq $N); do
        bottle start "$(np_of "$i")" >/dev/null || return 1
    done
}

teardown_file() {
    local i
    for i in $(seq $N); do bottle stop "$(np_of "$i")" >/dev/null 2>&1 || true; done
}

# a failed test's leftovers named in its log (rb_leak_report)
teardown() {
    rb_default_teardown
}

@test "bottle-nameplates: distinct monikers, enclaves and entry ports; bad requests write nothing" {
    local f
    rb_run '?' bash -c "cat '$NPD'/*.mk | sed -n 's/^RBRN_MONIKER *= *//p' | sort -u | wc -l"
    assert_output $N
    rb_run '?' bash -c "cat '$NPD'/*.mk | sed -n 's/^RBRN_ENCLAVE_SUBNET *= *//p' | sort -u | wc -l"
    assert_output $N
    rb_run '?' bash -c "cat '$NPD'/*.mk | sed -n 's/^RBRN_ENTRY_PORT_WORKSTATION *= *//p' | sort -u | wc -l"
    assert_output $N
    # the rest is the template's
    rb_run diff <(grep -vE '^(#|RBRN_MONIKER|RBRN_ENCLAVE_|RBRN_ENTRY_PORT_WORKSTATION)' "$RB_TOP/nameplates/nsproto.mk") \
        <(grep -vE '^(#|RBRN_MONIKER|RBRN_ENCLAVE_|RBRN_ENTRY_PORT_WORKSTATION)' "$(np_of 7)")
    grep -qx 'RBRN_ENCLAVE_BOTTLE_IP *= 10.251.6.3' "$(np_of 7)"
    f=$BATS_TEST_TMPDIR/bad
    mkdir "$f"
    for args in "N=0" "N=257" "N=3 SUBNETS=10.251.0.0/24" "N=3 SUBNETS=10.999.0.0/16" \
        "N=3 PREFIX=Bad" "N=3 ENTRY_BASE=65534" "N=3 TEMPLATE=$f/none.mk"; do
        # shellcheck disable=SC2086
        rb_run '?' rb_make bottle-nameplates DIR="$f" $args
        assert_failure
        [ -z "$(ls -A "$f")" ] || fail "$args wrote $(ls -A "$f")"
    done
    # an existing nameplate is never overwritten, and nothing else is written
    echo keep >"$f/rbfl02.mk"
    rb_run '?' rb_make bottle-nameplates N=3 DIR="$f" PREFIX=rbfl
    assert_failure
    assert_output --partial 'rbfl02.mk exists'
    [ "$(ls -A "$f")" = rbfl02.mk ]
    [ "$(cat "$f/rbfl02.mk")" = keep ]
}

@test "ten bottles up: bottle-list shows each with its policy in force, as the kernel and podman have it" {
    local i m
    rb_run rb_make bottle-list
    for i in $(seq $N); do
        m=$(m_of "$i")
        # podman's and the kernel's word that the line is true
        [ "$(podman inspect -f '{{.State.Running}}' "rb-$m-sentry")" = true ]
        [ "$(podman inspect -f '{{.State.Running}}' "rb-$m-bottle")" = true ]
        [ "$(nsenter -t "$(pid_of "rb-$m-sentry")" -n cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
        assert_line --regexp "^$m +running +running +(xtables|nft) +in-force +ok +running +10\.251\.$((i - 1))\.3$"
    done
}

@test "bottle-list follows the real state: a deleted rule and a stopped bottle show, on that bottle only" {
    local m3 m5 spid
    m3=$(m_of 3) m5=$(m_of 5)
    spid=$(pid_of "rb-$m3-sentry")
    local est
    est=$(rb_policy "$spid" | grep -c '"rb:est"')
    rb_del_rule "$spid" RB-FORWARD est
    [ "$(rb_policy "$spid" | grep -c '"rb:est"')" -eq $((est - 1)) ] || fail "rb:est is still in RB-FORWARD"
    podman stop -t 0 "rb-$m5-bottle" >/dev/null
    rb_run '?' rb_make bottle-list
    assert_failure 2 # make's status for a failed recipe (bottle.sh exits 3)
    assert_line --regexp "^$m3 +running +running +[a-z]+ +DIFFERS "
    assert_line --regexp "^$m5 +running +exited "
    for i in 1 2 4 6 7 8 9 10; do
        assert_line --regexp "^$(m_of "$i") +running +running +[a-z]+ +in-force +ok +running "
    done
    bottle reapply "$(np_of 3)" >/dev/null
    bottle reapply "$(np_of 5)" >/dev/null
    rb_run rb_make bottle-list
}

@test "each of the ten verifies clean (rb-verify: state, counters and probes)" {
    local i
    for i in $(seq $N); do
        rb_run --separate-stderr '?' "$RB_BIN/rb-verify" --nameplate "$(np_of "$i")"
        [ "$status" -eq 0 ] || fail "$(m_of "$i"): rb-verify exit $status: $output"
    done
}

@test "no bottle reaches another bottle, another sentry or another bottle's entry port" {
    local i j m mj sup
    # a listener in every bottle that writes down whatever reaches it
    for i in $(seq $N); do
        podman exec -d "rb-$(m_of "$i")-bottle" sh -c 'rm -f /tmp/got; nc -lk 7000 >>/tmp/got' >/dev/null
    done
    for i in $(seq $N); do
        j=$((i % N + 1))
        m=$(m_of "$i") mj=$(m_of "$j")
        sup=$(podman inspect -f '{{(index .NetworkSettings.Networks "rb-world").IPAddress}}' "rb-$mj-sentry")
        rb_run --separate-stderr '?' podman exec "rb-$m-bottle" sh -c "
            r=0
            echo from-$m | nc -w 2 -N 10.251.$((j - 1)).3 7000 && r=1
            dig +time=2 +tries=1 @10.251.$((j - 1)).2 anthropic.com >/dev/null && r=2
            nc -w 2 -z $sup 53 && r=3
            nc -w 2 -z 10.243.0.1 $((ENTRY_BASE + j)) && r=4
            echo r=\$r" 2>/dev/null
        assert_output --partial "r=0"
    done
    # and nothing arrived: every listener is still there and saw no byte
    for i in $(seq $N); do
        rb_run --separate-stderr podman exec "rb-$(m_of "$i")-bottle" sh -c 'nc -z -w 2 127.0.0.1 7000 && wc -c </tmp/got'
        assert_output 0
    done
    # the listeners work: from inside its own bottle, each one hears
    rb_run --separate-stderr '?' podman exec "rb-$(m_of 1)-bottle" sh -c 'echo self | nc -w 2 -N 127.0.0.1 7000; sleep 0.3; cat /tmp/got'
    assert_output self
}

@test "stopping the ten leaves nothing: containers, networks, rules, run files" {
    local i m
    for i in $(seq $N); do
        rb_run bottle stop "$(np_of "$i")"
    done
    rb_run --separate-stderr '?' bash -c "podman ps -a --format '{{.Names}}' | grep '^rb-$PREFIX' || true"
    assert_output ""
    rb_run --separate-stderr '?' bash -c "podman network ls --format '{{.Name}}' | grep '^rb-$PREFIX' || true"
    assert_output ""
    for i in $(seq $N); do
        m=$(m_of "$i")
        [ ! -e "/run/rb/$m" ] || fail "/run/rb/$m left"
        rb_run '?' bash -c "{ iptables-legacy-save; iptables-legacy-save -t nat; } | grep -cE '^:RB-(H|E|EPOST)-$m ' || true"
        assert_output 0
        rb_run '?' bash -c "nft list tables 2>/dev/null | grep -c 'inet rb-$m\$' || true"
        assert_output 0
    done
    rb_run rb_make bottle-list
    refute_output --partial "$PREFIX"
}

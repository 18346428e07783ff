#!/usr/bin/env bats
# A bottle from an installed copy: make install into a DESTDIR, then
# rb-make from a directory outside the tree starts a nameplate of its own
# against the simulated world, and stops it. Asserts on podman inspect, the
# bottle's routes, the sentry's forwarding and what the bottle reaches; the
# build tree's commands are never on the path (the installed Makefile
# ignores the environment's RB_BIN). Runs under the suite lock.

load helpers

NPM=rbtinst

setup_file() {
    rb_require_images
    export D=$BATS_FILE_TMPDIR/dest WORK=$BATS_FILE_TMPDIR/work
    mkdir -p "$D" "$WORK"
    # the plain build: the sentry image gets this rb-sentryd (no sanitizer)
    make -C "$RB_TOP" --no-print-directory -s install DESTDIR="$D" PREFIX=/usr SAN=0
    # a nameplate of its own (nsproto's policy on its own enclave), beside
    # where rb-make runs
    sed -e "s/^RBRN_MONIKER .*/RBRN_MONIKER = $NPM/" -e 's/10\.242\.0\./10.242.79./g' \
        -e 's/^RBRN_ENTRY_ENABLED .*/RBRN_ENTRY_ENABLED = 0/' \
        "$D/usr/share/rb/nameplates/nsproto.mk" >"$WORK/$NPM.mk"
    export NP=$WORK/$NPM.mk
    cd "$WORK"
    # the installed copy's images are the tree's (same recipes, same
    # rb-sentryd): up to date, nothing is built
    "$D/usr/sbin/rb-make" images world-start >&3
}

teardown_file() {
    # with the tree's script, which works even if the installed copy broke
    RB_BIN=$RB_BIN bash "$RB_TOP/mk/bottle.sh" stop "$NP" >/dev/null 2>&1 || true
}

# a failed test's leftovers named in its log (rb_leak_report)
teardown() {
    rb_default_teardown
}

rbmake() { (cd "$WORK" && "$D/usr/sbin/rb-make" "$@"); }

@test "installed copy: bottle-start from another directory brings the nameplate up" {
    rb_run rbmake bottle-start NAMEPLATE=./$NPM.mk
    rb_run --separate-stderr podman inspect -f '{{.State.Running}} {{.Config.User}} {{json .EffectiveCaps}}' rb-$NPM-bottle
    assert_output 'true 1000:1000 null'
    local bp sp
    bp=$(podman inspect -f '{{.State.Pid}}' rb-$NPM-bottle)
    sp=$(podman inspect -f '{{.State.Pid}}' rb-$NPM-sentry)
    rb_run bash -c "nsenter -t $bp -n ip -j route show default | jq -r '.[].gateway'"
    assert_output 10.242.79.2
    rb_run nsenter -t "$sp" -n cat /proc/sys/net/ipv4/ip_forward
    assert_output 1
    # the sentry runs the installed rb-sentryd (the image's copy of it)
    rb_run --separate-stderr '?' podman exec rb-$NPM-sentry sha256sum /usr/local/sbin/rb-sentryd
    assert_output --partial "$(sha256sum <"$D/usr/libexec/rb/rb-sentryd" | cut -d' ' -f1)"
}

@test "installed copy: the bottle reaches what the nameplate allows and nothing else" {
    rb_run --separate-stderr '?' podman exec rb-$NPM-bottle dig +short +time=2 +tries=1 anthropic.com
    assert_output 160.79.104.10
    rb_run --separate-stderr podman exec rb-$NPM-bottle nc -w 2 -z 160.79.104.10 443
    rb_run --separate-stderr '?' podman exec rb-$NPM-bottle nc -w 2 -z 8.8.8.8 53
    assert_failure
    # rb-verify and the status, through the installed fragments
    rb_run --separate-stderr rbmake bottle-verify NAMEPLATE=./$NPM.mk
    rb_run --separate-stderr rbmake bottle-status NAMEPLATE=./$NPM.mk
    assert_line 'policy: in force'
}

@test "installed copy: bottle-stop removes everything the start made" {
    rb_run rbmake bottle-stop NAMEPLATE=./$NPM.mk
    rb_run '?' podman container exists rb-$NPM-bottle
    assert_failure
    rb_run '?' podman container exists rb-$NPM-sentry
    assert_failure
    rb_run '?' podman network exists rb-$NPM-enclave
    assert_failure
    [ ! -e /run/rb/$NPM ]
    # the host's part, on either backend
    rb_run rb_host_objects "$NPM"
    assert_output ''
}

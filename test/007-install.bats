#!/usr/bin/env bats
# make install / make uninstall into a staging DESTDIR: exactly the files a
# package would hold, commands and man pages that work from there, and an
# installed copy whose make targets run the installed commands from any
# directory (no podman object is created: bottle-check only reads).

load helpers

# The build the suite runs against (make check SAN=1 tests the sanitizer build).
san() { [ "$RB_BUILD" = build-san ] && echo 1 || echo 0; }

setup() {
    D=$BATS_TEST_TMPDIR/dest
    mkdir -p "$D"
}

install_to() { # DESTDIR [make variables...]
    local d=$1
    shift
    make -C "$RB_TOP" --no-print-directory -s install DESTDIR="$d" SAN="$(san)" "$@"
}

# What a package of PREFIX=/usr holds, named here rather than taken from
# the Makefile, so that a file install stops writing shows up.
expected_files() {
    local f
    printf '/usr/sbin/%s\n' rb-fw-apply rb-make rb-net-create rb-verify
    echo /usr/libexec/rb/rb-sentryd
    echo /usr/share/rb/Makefile
    printf '/usr/share/rb/mk/%s\n' bottle.mk bottle.sh denials.sh help.mk images.mk images.sh nameplates.sh \
        release.sh remote.mk remote.sh world-init.sh world.mk world.sh ztest.mk ztest.sh
    for f in "$RB_TOP"/nameplates/*.mk; do echo "/usr/share/rb/nameplates/${f##*/}"; done
    for f in "$RB_TOP"/man/*.[1-8]; do echo "/usr/share/man/man${f##*.}/${f##*/}"; done
}

installed_files() { (cd "$1" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort); }

@test "make install PREFIX=/usr DESTDIR=...: exactly the package's files, with their modes" {
    rb_run install_to "$D" PREFIX=/usr
    rb_run installed_files "$D"
    assert_output "$(expected_files | LC_ALL=C sort)"
    # install-list, for packagers, names the same files
    [ "$(make -C "$RB_TOP" --no-print-directory -s install-list PREFIX=/usr | LC_ALL=C sort)" = "$(expected_files | LC_ALL=C sort)" ]
    local f
    for f in /usr/sbin/rb-fw-apply /usr/sbin/rb-make /usr/sbin/rb-net-create /usr/sbin/rb-verify \
        /usr/libexec/rb/rb-sentryd /usr/share/rb/mk/bottle.sh; do
        [ "$(stat -c %a "$D$f")" = 755 ] || fail "$f: mode $(stat -c %a "$D$f")"
    done
    for f in /usr/share/rb/Makefile /usr/share/rb/mk/bottle.mk /usr/share/man/man8/rb-verify.8 \
        /usr/share/rb/nameplates/nsproto.mk; do
        [ "$(stat -c %a "$D$f")" = 644 ] || fail "$f: mode $(stat -c %a "$D$f")"
    done
    # the nameplates and fragments are the tree's, byte for byte
    cmp "$RB_TOP/mk/bottle.sh" "$D/usr/share/rb/mk/bottle.sh"
    cmp "$RB_TOP/nameplates/nsproto.mk" "$D/usr/share/rb/nameplates/nsproto.mk"
}

@test "the installed commands run, and their man pages render from the installed tree" {
    install_to "$D" PREFIX=/usr
    local c
    for c in rb-fw-apply rb-net-create rb-verify; do
        rb_run --separate-stderr "$D/usr/sbin/$c" --help
        assert_line --index 0 --regexp "^Usage: $c "
    done
    rb_run --separate-stderr "$D/usr/libexec/rb/rb-sentryd" --help
    assert_line --index 0 --regexp '^Usage: rb-sentryd '
    # by name, through the section directories man looks in
    for c in rb-fw-apply.8 rb-net-create.8 rb-verify.8 rb-sentryd.8 rb-make.8 rb-nameplate.5; do
        MANWIDTH=80 MAN_DISABLE_SECCOMP=1 rb_run --separate-stderr man -M "$D/usr/share/man" "${c##*.}" "${c%.*}"
        [ -z "$stderr" ] || fail "man ${c%.*}: $stderr"
        assert_line --regexp "^$(echo "${c%.*}" | tr 'a-z' 'A-Z')\\(${c##*.}\\)"
    done
}

@test "the installed make targets run the installed commands, from any directory" {
    install_to "$D" PREFIX=/usr
    local rbmake=$D/usr/sbin/rb-make work=$BATS_TEST_TMPDIR/work
    mkdir -p "$work"
    cd "$work"
    # the environment's RB_BIN (the build tree, from helpers.bash) does not count
    [ -n "$RB_BIN" ]
    rb_run --separate-stderr "$rbmake" -n bottle-check NAMEPLATE=nsproto
    assert_output "$D/usr/sbin/rb-net-create --check --nameplate $D/usr/share/rb/nameplates/nsproto.mk"
    rb_run --separate-stderr "$rbmake" -n bottle-start NAMEPLATE=nsproto
    assert_output --partial "RB_BIN=$D/usr/sbin RB_NAMEPLATES=$D/usr/share/rb/nameplates bash $D/usr/share/rb/mk/bottle.sh start nsproto"
    rb_run --separate-stderr "$rbmake" -n images
    assert_output "RB_SENTRYD=$D/usr/libexec/rb/rb-sentryd RB_TOOLS_BIN=$D/usr/sbin bash $D/usr/share/rb/mk/images.sh"

    # a moniker, through the installed fragments and rb-net-create --check
    rb_run --separate-stderr "$rbmake" bottle-check NAMEPLATE=nsproto
    # a bad value: rb-net-create's refusal, naming variable and value
    RBRN_ENCLAVE_BOTTLE_IP=10.242.0.2 rb_run --separate-stderr 2 "$rbmake" bottle-check NAMEPLATE=nsproto
    [[ $stderr == *'rb-net-create: environment: RBRN_ENCLAVE_BOTTLE_IP: "10.242.0.2": same address as RBRN_ENCLAVE_SENTRY_IP'* ]]
    # a nameplate of one's own, relative to where rb-make runs; make -f is the same
    sed 's/^RBRN_MONIKER .*/RBRN_MONIKER = rbtmine/; s/^RBRN_ENCLAVE_SUBNET .*/RBRN_ENCLAVE_SUBNET = 10.242.80.0\/24/' \
        "$RB_TOP/nameplates/offline.mk" | sed 's/10\.242\.1\./10.242.80./' >mine.mk
    rb_run --separate-stderr make --no-print-directory -f "$D/usr/share/rb/Makefile" bottle-check NAMEPLATE=./mine.mk
    assert_output "$D/usr/sbin/rb-net-create --check --nameplate ./mine.mk"
    echo 'RBRN_NO_SUCH = 1' >>mine.mk
    rb_run --separate-stderr 2 "$rbmake" bottle-check NAMEPLATE=mine.mk
    [[ $stderr == *'mine.mk:'*'RBRN_NO_SUCH: unknown variable'* ]]
    # the copy builds and tests nothing
    rb_run --separate-stderr "$rbmake" help
    assert_output --partial 'make bottle-start'
    refute_output --partial 'make check'
    rb_run --separate-stderr 2 "$rbmake" check
}

@test "install follows sbindir, libexecdir and datadir, and the copy stays relocatable" {
    install_to "$D" PREFIX=/opt/rb libexecdir=/opt/rb/lib datadir=/opt/rb/data
    [ -x "$D/opt/rb/lib/rb/rb-sentryd" ]
    [ -f "$D/opt/rb/data/rb/Makefile" ]
    [ -f "$D/opt/rb/data/man/man5/rb-nameplate.5" ]
    rb_run --separate-stderr "$D/opt/rb/sbin/rb-make" -n images
    assert_output "RB_SENTRYD=$D/opt/rb/lib/rb/rb-sentryd RB_TOOLS_BIN=$D/opt/rb/sbin bash $D/opt/rb/data/rb/mk/images.sh"
    # moved elsewhere as a whole (a staging tree copied into place)
    mv "$D/opt" "$BATS_TEST_TMPDIR/moved"
    rb_run --separate-stderr "$BATS_TEST_TMPDIR/moved/rb/sbin/rb-make" -n bottle-check NAMEPLATE=open
    assert_output "$BATS_TEST_TMPDIR/moved/rb/sbin/rb-net-create --check --nameplate $BATS_TEST_TMPDIR/moved/rb/data/rb/nameplates/open.mk"
}

@test "make uninstall removes every file install wrote and rb's own directories" {
    install_to "$D" PREFIX=/usr
    # something of someone else's in a shared directory stays
    echo other >"$D/usr/sbin/rbt-other"
    rb_run make -C "$RB_TOP" --no-print-directory -s uninstall DESTDIR="$D" PREFIX=/usr
    rb_run installed_files "$D"
    assert_output /usr/sbin/rbt-other
    rm "$D/usr/sbin/rbt-other"
    # left: only the standard directories install -d made, all empty
    rb_run bash -c "cd '$D' && find . -mindepth 1 -type d | LC_ALL=C sort"
    assert_output "./usr
./usr/libexec
./usr/sbin
./usr/share
./usr/share/man
./usr/share/man/man5
./usr/share/man/man8"
    # and a second uninstall has nothing to do, without failing
    rb_run make -C "$RB_TOP" --no-print-directory -s uninstall DESTDIR="$D" PREFIX=/usr
}

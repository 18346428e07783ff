#!/usr/bin/env bats
# make deps and the list of commands rb runs (mk/commands.list): a fresh
# machine gets every command the targets, scripts and tests use, and a
# command used without being listed fails here, not on someone's machine.

load helpers

SCAN() { bash "$RB_TOP/mk/commands.sh" "$@"; }

@test "every command mk/, test/ and bench/ run is in mk/commands.list" {
    rb_run --separate-stderr SCAN scan
    assert_output ""
}

@test "every listed command is on this machine" {
    rb_run --separate-stderr SCAN check
}

@test "scan: a command used but not listed is named with its file and line" {
    local list=$BATS_TEST_TMPDIR/list f=$BATS_TEST_TMPDIR/uses.sh
    grep -v '^busybox ' "$RB_TOP/mk/commands.list" >"$list"
    cp "$RB_TOP/test/data/unlisted-busybox.sh" "$f"
    RB_COMMANDS_LIST=$list rb_run --separate-stderr 1 SCAN scan "$f"
    assert_output "commands: $f:2 runs 'busybox', which mk/commands.list does not name
commands: $f:3 runs 'busybox', which mk/commands.list does not name
commands: $f:4 runs 'busybox', which mk/commands.list does not name"
    # listed, the same file is clean
    rb_run --separate-stderr SCAN scan "$f"
    assert_output ""
}

@test "check: a listed command that is missing is named; packages per release" {
    local list=$BATS_TEST_TMPDIR/list
    { cat "$RB_TOP/mk/commands.list"; echo "rbt-no-such-command rbt-pkg"; } >"$list"
    RB_COMMANDS_LIST=$list rb_run --separate-stderr 1 SCAN check
    [[ "$stderr" == *"missing on this machine: rbt-no-such-command"* ]]
    RB_COMMANDS_LIST=$list rb_run --separate-stderr SCAN packages trixie
    assert_line rbt-pkg
    assert_line pkgconf
    refute_line pkg-config
    RB_COMMANDS_LIST=$list rb_run --separate-stderr SCAN packages bookworm
    assert_line pkg-config
}

# deps.sh with os-release and debian_version of another system, and apt-get,
# dpkg-query and podman replaced by stubs that record being called.
deps_on() {
    local d=$BATS_TEST_TMPDIR/os c
    mkdir -p "$d/bin"
    rm -f "$d/calls"
    printf '%s\n' "$1" >"$d/os-release"
    printf '%s\n' "$2" >"$d/debian_version"
    for c in apt-get dpkg-query podman; do
        # dpkg-query knows no package, apt-get update works, install fails
        # (so deps stops there: it never writes the host's podman config)
        printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n[ "%s $1" = "apt-get update" ]\n' "$c" "$d" "$c" >"$d/bin/$c"
        chmod +x "$d/bin/$c"
    done
    RB_OS_RELEASE=$d/os-release RB_DEBIAN_VERSION=$d/debian_version PATH="$d/bin:$PATH" \
        rb_run --separate-stderr '?' bash "$RB_TOP/mk/deps.sh"
}

@test "deps on an unsupported distribution says so and installs nothing" {
    deps_on $'ID=ubuntu\nVERSION_CODENAME=resolute\nPRETTY_NAME="Ubuntu 26.04 LTS"' "trixie/sid"
    assert_failure 1
    [[ "$stderr" == *"unsupported distribution: Ubuntu 26.04 LTS"* ]]
    [[ "$stderr" == *"bookworm"*"trixie"*"sid"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/os/calls" ]

    deps_on $'ID=debian\nVERSION_CODENAME=bullseye\nPRETTY_NAME="Debian GNU/Linux 11 (bullseye)"' "11.11"
    assert_failure 1
    [[ "$stderr" == *"unsupported distribution: Debian GNU/Linux 11 (bullseye)"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/os/calls" ]
}

@test "deps knows unstable by its debian_version and asks for its package names" {
    deps_on $'ID=debian\nVERSION_CODENAME=forky\nPRETTY_NAME="Debian GNU/Linux forky/sid"' "forky/sid"
    # the stubs fail: what matters is which release it installs for
    assert_failure
    grep -q '^apt-get install .* pkgconf' "$BATS_TEST_TMPDIR/os/calls"
    ! grep -qw 'pkg-config' "$BATS_TEST_TMPDIR/os/calls"
}

#!/usr/bin/env bats
# mk/remote.sh against a fake podman: when podman is remote (the
# environment podman reads, or `podman info`, whose answer is cached until
# podman or its configuration changes), and what a podman client's make
# targets ask podman to run on the podman host: the rb-tools container,
# privileged in the host's namespaces, with the client's nameplate as
# text, its RBRN_* overrides, and never a command of this host's build.
# The same targets against a real podman service: test/080-remote.bats.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    FAKE=$BATS_TEST_TMPDIR/fake
    mkdir -p "$FAKE"
    # records every call, one argument a line (newlines as \\n), answers `info` with
    # $FAKE/remote and anything else with exit $FAKE/rc
    cat >"$FAKE/podman" <<'EOF'
#!/bin/bash
d=$(dirname "$0")
{ echo "--- call"; for a; do printf '%s\n' "${a//$'\n'/\\n}"; done; } >>"$d/calls"
rm -f "$d/np_gz"
for a; do case $a in RB_NP_GZ_[0-9]*=*) printf '%s' "${a#*=}" >>"$d/np_gz" && echo "${a%%=*}" >>"$d/np_chunks" ;; esac; done
if [ "$1" = info ]; then
    [ -f "$d/info_rc" ] && exit "$(cat "$d/info_rc")"
    cat "$d/remote"
    exit 0
fi
exit "$(cat "$d/rc" 2>/dev/null || echo 0)"
EOF
    chmod +x "$FAKE/podman"
    echo false >"$FAKE/remote"
    export RB_PODMAN=$FAKE/podman HOME=$BATS_TEST_TMPDIR/home XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
    unset XDG_CACHE_HOME CONTAINER_HOST CONTAINER_CONNECTION RB_REMOTE RB_MODE RB_PODMAN_SOCKET RB_RUN
    mkdir -p "$HOME" "$XDG_CONFIG_HOME/containers"
    # what must never run in remote mode
    NOBIN=$BATS_TEST_TMPDIR/nobin
    mkdir -p "$NOBIN"
    for c in rb-net-create rb-fw-apply rb-verify rb-sentryd; do
        printf '#!/bin/sh\necho "%s ran" >>%s/ran\nexit 99\n' "$c" "$NOBIN" >"$NOBIN/$c"
        chmod +x "$NOBIN/$c"
    done
}

calls() { grep -c '^--- call' "$FAKE/calls" 2>/dev/null || echo 0; }
mode() { rb_run "${1:-0}" bash "$RB_TOP/mk/remote.sh" mode; }

@test "mode: CONTAINER_HOST or CONTAINER_CONNECTION is remote without asking podman; RB_REMOTE decides alone" {
    CONTAINER_HOST=unix:///run/x.sock mode
    assert_output remote
    CONTAINER_CONNECTION=machine mode
    assert_output remote
    RB_REMOTE=1 mode
    assert_output remote
    echo true >"$FAKE/remote"
    RB_REMOTE=0 mode
    assert_output local
    [ "$(calls)" = 0 ]
    RB_REMOTE=yes mode 1
    assert_output --partial 'RB_REMOTE: "yes": must be 0 or 1'
}

@test "mode: podman info's answer, cached until podman or its configuration changes" {
    mode
    assert_output local
    [ "$(calls)" = 1 ]
    grep -qx 'info' "$FAKE/calls"
    grep -qx -e --format "$FAKE/calls"
    # the next calls read the cache: podman is not asked
    echo true >"$FAKE/remote"
    mode
    assert_output local
    [ "$(calls)" = 1 ]
    # a newer containers.conf (a default connection, remote = true) asks again
    sleep 1.1
    touch "$XDG_CONFIG_HOME/containers/containers.conf"
    mode
    assert_output remote
    [ "$(calls)" = 2 ]
    mode
    assert_output remote
    [ "$(calls)" = 2 ]
    # a new podman binary asks again
    sleep 1.1
    touch "$FAKE/podman"
    echo false >"$FAKE/remote"
    mode
    assert_output local
    [ "$(calls)" = 3 ]
    # a cache of another podman is not taken
    printf '%s remote\n' /usr/bin/other-podman >"$HOME/.cache/rb/podman-mode"
    mode
    assert_output local
    [ "$(calls)" = 4 ]
}

@test "mode: podman info failing or saying neither true nor false is an error, and nothing is cached" {
    echo 125 >"$FAKE/info_rc"
    mode 1
    assert_output --partial 'podman info failed'
    rm "$FAKE/info_rc"
    echo maybe >"$FAKE/remote"
    mode 1
    assert_output --partial 'ServiceIsRemote: "maybe": neither true nor false'
    [ ! -e "$HOME/.cache/rb/podman-mode" ]
}

@test "make bottle-start on a remote podman: rb-tools on the podman host, privileged in its namespaces, no command of this host" {
    export CONTAINER_HOST=unix:///run/rbt-remote/podman.sock RBRN_ENTRY_PORT_WORKSTATION=18890
    rb_run make -s -C "$RB_TOP" bottle-start NAMEPLATE=nsproto RB_BIN="$NOBIN"
    [ ! -e "$NOBIN/ran" ]
    [ "$(calls)" = 1 ]
    rb_run cat "$FAKE/calls"
    for a in run --rm --privileged --pid host --network host --cgroupns host \
        type=bind,source=/run,target=/run/rb-host \
        type=bind,source=/run/rbt-remote/podman.sock,target=/run/podman/podman.sock \
        RB_MODE=tools RB_RUN=/run/rb CONTAINER_HOST=unix:///run/podman/podman.sock \
        RBRN_ENTRY_PORT_WORKSTATION localhost/rb-tools:latest; do
        assert_line "$a"
    done
    # the script and the nameplate as the tools container has them, last
    assert_equal "$(tail -n 6 "$FAKE/calls" | tr '\n' ' ')" \
        "bash /usr/local/share/rb/mk/remote.sh enter /usr/local/share/rb/mk/bottle.sh start /tmp/rb-nameplate/nsproto.mk "
    # the client's nameplate, byte for byte, compressed
    base64 -d "$FAKE/np_gz" | gunzip | cmp - "$RB_TOP/nameplates/nsproto.mk"
    assert_equal "$(cat "$FAKE/np_chunks")" RB_NP_GZ_0
    # the client's paths stay here
    refute_line --regexp '^RB_BIN|^RB_NAMEPLATES'
}

@test "remote: the tools container's exit code is the target's; bottle-verify and bottle-check run there too" {
    export CONTAINER_HOST=ssh://root@127.0.0.1:2222/run/podman/podman.sock
    echo 3 >"$FAKE/rc"
    rb_run 3 bash "$RB_TOP/mk/bottle.sh" status nsproto
    grep -qx 'type=bind,source=/run/podman/podman.sock,target=/run/podman/podman.sock' "$FAKE/calls"
    echo 0 >"$FAKE/rc"
    rm "$FAKE/calls"
    rb_run make -s -C "$RB_TOP" bottle-verify NAMEPLATE=offline RB_BIN="$NOBIN"
    assert_equal "$(tail -n 6 "$FAKE/calls" | tr '\n' ' ')" \
        "bash /usr/local/share/rb/mk/remote.sh enter rb-verify --nameplate /tmp/rb-nameplate/offline.mk "
    rb_run make -s -C "$RB_TOP" bottle-check NAMEPLATE=open RB_BIN="$NOBIN"
    grep -qx 'rb-net-create' "$FAKE/calls"
    [ ! -e "$NOBIN/ran" ]
    # a moniker with no nameplate, a bad RB_RUN: refused here, podman not run
    rm "$FAKE/calls"
    rb_run 1 bash "$RB_TOP/mk/bottle.sh" stop rbt-none
    assert_output --partial 'no nameplate'
    RB_RUN=run/rb rb_run 1 bash "$RB_TOP/mk/bottle.sh" stop nsproto
    assert_output --partial 'RB_RUN: "run/rb": not an absolute path'
    [ ! -e "$FAKE/calls" ]
}

@test "remote: a large nameplate goes in pieces below the kernel's limit for one value; one too large is refused here" {
    export CONTAINER_HOST=unix:///run/rbt-remote/podman.sock
    local np=$BATS_TEST_TMPDIR/big.mk
    # 300 KiB that do not compress: five pieces of 64 KiB
    { cat "$RB_TOP/nameplates/nsproto.mk"; printf '# %s\n' "$(head -c 230000 /dev/urandom | base64 -w0)"; } >"$np"
    rb_run bash "$RB_TOP/mk/bottle.sh" status "$np"
    base64 -d "$FAKE/np_gz" | gunzip | cmp - "$np"
    assert_equal "$(tr '\n' ' ' <"$FAKE/np_chunks")" "RB_NP_GZ_0 RB_NP_GZ_1 RB_NP_GZ_2 RB_NP_GZ_3 RB_NP_GZ_4 "
    rb_run awk 'length($0) > 65536 + 11' "$FAKE/calls"
    assert_output ""
    rm "$FAKE/calls"
    { cat "$RB_TOP/nameplates/nsproto.mk"; printf '# %s\n' "$(head -c 1300000 /dev/urandom | base64 -w0)"; } >"$np"
    rb_run 1 bash "$RB_TOP/mk/bottle.sh" status "$np"
    assert_output --regexp 'too large to hand to the podman host \([0-9]+ bytes compressed, at most 1.5 MiB\)'
    [ ! -e "$FAKE/calls" ]
}

@test "local podman: the make targets run this host's commands, and podman is asked once for all of them" {
    RB_BIN=$NOBIN rb_run 1 bash "$RB_TOP/mk/bottle.sh" status nsproto
    grep -qx 'rb-net-create ran' "$NOBIN/ran"
    RB_BIN=$NOBIN rb_run 1 bash "$RB_TOP/mk/ztest.sh" all nsproto
    [ "$(grep -c ran "$NOBIN/ran")" = 2 ]
    # the first asked podman info, the second read the cache; neither ran rb-tools
    [ "$(calls)" = 1 ]
    refute grep -q '^run$' "$FAKE/calls"
    rb_run make -s -n -C "$RB_TOP" bottle-verify NAMEPLATE=nsproto RB_BIN="$NOBIN"
    assert_output "$NOBIN/rb-verify --nameplate ./nameplates/nsproto.mk"
}

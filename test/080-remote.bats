#!/usr/bin/env bats
# rb from a podman client, with the client as separate from the podman
# host as a workstation is from a podman machine VM: make, rb's scripts
# and a podman client in a container of their own (their filesystem, PID
# namespace, no network), with a copy of the checkout without any build,
# and only the API socket of the podman host's podman. Every step that
# touches the kernel runs in rb-tools on the host (mk/remote.sh); the
# assertions read the host's kernel and podman. Runs in make check's
# remote pass (mk/check-remote.sh), which sets CONTAINER_HOST.

load helpers

NP=nsproto

setup_file() {
    [[ ${CONTAINER_HOST:-} == unix://* ]] && [ -S "${CONTAINER_HOST#unix://}" ] ||
        { echo "080 runs in make check's remote pass (mk/check-remote.sh): CONTAINER_HOST=unix://SOCKET" >&2; return 1; }
    podman image exists localhost/rb-tools:latest || { echo "localhost/rb-tools missing: make images" >&2; return 1; }
    bash "$RB_TOP/mk/world.sh" start >&3
    # The workstation: rb-tools' podman client and bash, and this host's
    # make (a client needs make, the scripts and podman; nothing of rb's
    # build). Its checkout is the tree without build output.
    export CLIENT_IMAGE=localhost/rbt-client-$$:latest CLIENT_SRC=$BATS_FILE_TMPDIR/src
    local ctx=$BATS_FILE_TMPDIR/ctx
    mkdir -p "$ctx" "$CLIENT_SRC"
    install -m 0755 "$(command -v make)" "$ctx/make"
    printf '%s\n' "FROM localhost/rb-tools:latest" "COPY make /usr/bin/make" >"$ctx/Containerfile"
    podman build -q --pull=never --network=none -t "$CLIENT_IMAGE" "$ctx" >/dev/null
    tar -C "$RB_TOP" --exclude=./build --exclude=./build-san --exclude=./.git -cf - . | tar -C "$CLIENT_SRC" -xf -
}

teardown_file() {
    client make -s bottle-stop NAMEPLATE=$NP >/dev/null 2>&1 || true
    podman image rm -f "$CLIENT_IMAGE" >/dev/null 2>&1 || true
}

# client CMD...: CMD in the workstation container, from the checkout, with
# the podman host's socket as its only way to it.
client() {
    local sock=${CONTAINER_HOST#unix://}
    podman run --rm -i --pull never --network none \
        -v "$sock:/run/podman/podman.sock" -e CONTAINER_HOST=unix:///run/podman/podman.sock \
        -e RB_PODMAN_SOCKET="$sock" -v "$CLIENT_SRC:/src" -w /src "$CLIENT_IMAGE" "$@"
}
pid_of() { podman inspect -f '{{.State.Pid}}' "$1"; }
tools_left() { podman ps -a --filter ancestor=localhost/rb-tools:latest --format '{{.Names}}'; }

@test "the workstation has no build and no /run/rb, and sees podman as remote" {
    rb_run client bash -c 'ls build build-san /run/rb 2>&1; command -v gcc cc; make -s --version | head -1'
    refute_output --partial 'rb-net-create'
    assert_line "ls: cannot access 'build': No such file or directory"
    assert_line "ls: cannot access '/run/rb': No such file or directory"
    rb_run client bash mk/remote.sh mode
    assert_output remote
}

@test "make bottle-start from the workstation: the policy in the sentry's netns, the route in the bottle's, state on the host" {
    rb_run --separate-stderr client make -s bottle-start NAMEPLATE=$NP
    assert_output --partial "bottle: $NP started"
    local spid bpid
    spid=$(pid_of rb-$NP-sentry)
    bpid=$(pid_of rb-$NP-bottle)
    # the policy as rb-fw-apply prints it for the nameplate, held by the kernel
    rb_run rb_policy "$spid"
    local pol=$output
    if [ "$(rb_backend)" = nft ]; then
        assert_output --partial '"comment": "rb:reject"'
    else
        assert_line --regexp '^-A RB-EGRESS .*--comment "rb:reject" -j REJECT'
        assert_line --regexp '^-A RB-EGRESS .*--comment "rb:cidr" -j ACCEPT'
    fi
    [ -n "$pol" ]
    # exactly the nameplate's, as this host's own rb-fw-apply reads the kernel
    rb_run "$RB_BIN/rb-fw-apply" --nameplate "$RB_TOP/nameplates/$NP.mk" --check
    rb_run nsenter -t "$bpid" -n ip -j route show default
    assert_equal "$(jq -r '.[0].gateway' <<<"$output")" 10.242.0.2
    rb_run nsenter -t "$spid" -n cat /proc/sys/net/ipv4/ip_forward
    assert_output 1
    # state on the podman host, with the nameplate list reads
    [ -s "/run/rb/$NP/dnsmasq.conf" ] && [ -s "/run/rb/$NP/nameplate" ]
    cmp "/run/rb/$NP/nameplate.mk" "$RB_TOP/nameplates/$NP.mk"
    grep -qx "RB_NP_FILE=/run/rb/$NP/nameplate.mk" "/run/rb/$NP/nameplate"
    # each step's tools container is gone with its step
    rb_run tools_left
    assert_output ""
}

@test "bottle-verify, bottle-status and bottle-list from the workstation read the host's kernel" {
    rb_run --separate-stderr client make -s bottle-verify NAMEPLATE=$NP
    rb_run --separate-stderr client make -s bottle-status NAMEPLATE=$NP
    assert_line 'policy: in force'
    assert_line --regexp '^learner: running \(pid [0-9]+\)'
    rb_run --separate-stderr client make -s bottle-list
    assert_line --regexp "^$NP +running +running +[a-z]+ +in-force +ok +running +10\.242\.0\.3$"
    # drift made on the host is what the workstation's status sees
    local spid
    spid=$(pid_of rb-$NP-sentry)
    nsenter -t "$spid" -n sysctl -qw net.ipv4.ip_forward=0
    # (make's own exit code: rb-verify's 3 is in its message)
    rb_run --separate-stderr 2 client make -s bottle-verify NAMEPLATE=$NP
    assert_line --regexp '^ip_forward +sentry net.ipv4.ip_forward +FAIL +1 +0$'
    assert_equal "$stderr" "make: *** [mk/bottle.mk:20: bottle-verify] Error 3"
    rb_run --separate-stderr client make -s bottle-reapply NAMEPLATE=$NP
    rb_run nsenter -t "$spid" -n cat /proc/sys/net/ipv4/ip_forward
    assert_output 1
    rb_run --separate-stderr client make -s bottle-verify NAMEPLATE=$NP
}

@test "bottle-exec from the workstation: the command runs in the bottle as its uid, stdin passed" {
    # (rb_run's command has no stdin of the test's: the pipe is the workstation's)
    rb_run --separate-stderr client bash -c "echo 'from the workstation' | make -s bottle-exec NAMEPLATE=$NP CMD='id -u; cat'"
    assert_line 1000
    assert_line "from the workstation"
}

@test "every ztest from the workstation, and the world saw what they say" {
    rb_run --separate-stderr client bash mk/ztest.sh all $NP
    refute_output --partial FAIL
    [ "$(grep -c '^  ok: ' <<<"$output")" -ge 15 ]
    # the world logged the allowed connection of tcp443_allow
    rb_run --separate-stderr podman exec rb-world cat /var/log/world/tcp-443.log
    assert_output --partial 'on AF=2 160.79.104.10:443'
}

@test "make bottle-stop from the workstation leaves nothing on the host" {
    rb_run --separate-stderr client make -s bottle-stop NAMEPLATE=$NP
    rb_run podman ps -a --format '{{.Names}}'
    refute_line --regexp "^rb-$NP-"
    rb_run podman network ls --format '{{.Name}}'
    refute_line "rb-$NP-enclave"
    [ ! -e "/run/rb/$NP" ]
    rb_run rb_host_objects "$NP"
    assert_output ""
    rb_run tools_left
    assert_output ""
}

@test "a volume and an env file of the podman host, named from the workstation: the bottle has them, and the workstation never had them" {
    local ws=$BATS_TEST_TMPDIR/ws env=$BATS_TEST_TMPDIR/agent.env
    mkdir -p "$ws"
    echo "on the podman host" >"$ws/note"
    printf 'RBT_SECRET=s3cret-%s\n' "$$" >"$env"
    chmod 0600 "$env"
    rb_run --separate-stderr client make -s bottle-start NAMEPLATE=$NP \
        "RBRN_BOTTLE_VOLUMES=$ws:/workspace:ro" "RBRN_BOTTLE_ENV_FILE=$env"
    rb_run --separate-stderr podman exec rb-$NP-bottle cat /workspace/note
    assert_output "on the podman host"
    rb_run --separate-stderr podman exec rb-$NP-bottle printenv RBT_SECRET
    assert_output "s3cret-$$"
    rb_run podman inspect -f '{{range .Mounts}}{{.Source}} {{.Destination}} {{.RW}}{{"\n"}}{{end}}' rb-$NP-bottle
    assert_line "$ws /workspace false"
    rb_run client test ! -e "$ws"
    rb_run --separate-stderr client make -s bottle-stop NAMEPLATE=$NP
    # a path the host does not have is refused on the host, nothing started
    rb_run --separate-stderr 2 client make -s bottle-start NAMEPLATE=$NP "RBRN_BOTTLE_VOLUMES=$ws-none:/workspace:ro"
    [[ $stderr == *"RBRN_BOTTLE_VOLUMES: \"$ws-none"* ]]
    rb_run podman ps -a --format '{{.Names}}'
    refute_line --regexp "^rb-$NP-"
}

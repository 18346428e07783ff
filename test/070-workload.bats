#!/usr/bin/env bats
# A real workload in the bottle: the agent nameplate runs its own command
# in a mounted workspace against the simulated world; volumes, the env
# file, limits, the SSH entry, and the bottle-shell/exec/logs/attach
# targets, asserted on podman inspect, /proc, the cgroup and what the
# world received.

bats_require_minimum_version 1.5.0
load helpers

NP=agent
EP=18456 # the entry's host port (agent.mk's 2222 overridden): used by no other test
HOST_IP=10.243.0.1 # the host's address on rb-world (mk/world.sh)

setup_file() {
    bash "$RB_TOP/mk/world.sh" start >&3
    export WS RO SECRET ENVF HOSTDIR
    # Canonical host paths of this run, the workspace writable by the
    # bottle's uid, the read-only one not.
    HOSTDIR=$(realpath "$BATS_FILE_TMPDIR")
    WS=$HOSTDIR/ws RO=$HOSTDIR/ro
    mkdir -p "$WS" "$RO"
    chown 1000:1000 "$WS"
    echo seen-by-the-bottle >"$RO/readme"
    chmod 0755 "$HOSTDIR" "$RO"
    echo host-only >"$HOSTDIR/host-marker"
    SECRET=rbt-secret-$(head -c8 /dev/urandom | od -An -tx1 | tr -d ' \n')
    ENVF=$HOSTDIR/agent.env
    (umask 077 && printf 'RBT_TOKEN=%s\n' "$SECRET" >"$ENVF")
    # The secret must not be in any argv: not even this suite's grep.
    printf '%s\n' "$SECRET" >"$HOSTDIR/secret.pattern"
    # the SSH entry as docs/workload.md has it: on, to the nameplate's 22
    bottle start $NP "RBRN_BOTTLE_VOLUMES=$WS:/workspace:rw $RO:/ro" \
        "RBRN_BOTTLE_ENV_FILE=$ENVF" RBRN_BOTTLE_PIDS=128 \
        RBRN_ENTRY_ENABLED=1 RBRN_ENTRY_PORT_WORKSTATION=$EP >"$HOSTDIR/start.out" 2>&1 ||
        { cat "$HOSTDIR/start.out" >&3; return 1; }
}

teardown_file() {
    bottle stop $NP >/dev/null 2>&1 || true
}

# a failed test's leftovers named in its log (rb_leak_report)
teardown() {
    rb_default_teardown
}

# bottle VERB NAMEPLATE [NAME=VALUE...]
bottle() {
    local verb=$1 np=$2
    shift 2
    (cd "$RB_TOP" && if [ $# -gt 0 ]; then export "$@"; fi &&
        RB_BIN=$RB_BIN bash mk/bottle.sh "$verb" "$np")
}
pid_of() { podman inspect -f '{{.State.Pid}}' "$1"; }

# pids_cgroup PID: the directory of the cgroup that limits PID's number of
# processes: the nearest of PID's own cgroup and its parents whose
# pids.max is a number, in the pids hierarchy on cgroup v1 ("N:pids:/path"
# in /proc/PID/cgroup) or the unified one on v2 ("0::/path"; under systemd
# the limit may sit on the container's scope above a leaf). RBT_CGFS and
# RBT_PROC stand in for /sys/fs/cgroup and /proc (the layout test).
pids_cgroup() {
    local fs=${RBT_CGFS:-/sys/fs/cgroup} proc=${RBT_PROC:-/proc} rel dir
    rel=$(awk -F: '$2 ~ /(^|,)pids(,|$)/ { print $2 $3; exit }' "$proc/$1/cgroup")
    [ -n "$rel" ] || rel=$(awk '/^0::/ { print substr($0, 4); exit }' "$proc/$1/cgroup")
    [ -n "$rel" ] || { echo "no pids cgroup in $proc/$1/cgroup" >&2; return 1; }
    dir=$fs/${rel#/}
    while [[ $dir == "$fs"/* ]]; do
        if [ -r "$dir/pids.max" ] && [ "$(cat "$dir/pids.max")" != max ]; then
            echo "$dir"
            return 0
        fi
        dir=${dir%/*}
    done
    echo "no pids.max limit above $fs/${rel#/}" >&2
    return 1
}

# pkts TABLE ID: the packets the sentry's rules of that rb id counted.
pkts() {
    "$RB_BIN/rb-fw-apply" --nameplate "$RB_TOP/nameplates/$NP.mk" --counters |
        awk -v t="$1" -v id="$2" '$1 == t && $6 == id { n += $4 } END { print n + 0 }'
}

# A stand-in for sshd: the bottle's uid listening on the entry's enclave
# port 22 for one connection, greeting like one; nc -v writes the peer it
# saw to /tmp/peer inside the bottle.
ssh_serve() {
    local i
    podman exec -d rb-$NP-bottle sh -c 'echo SSH-2.0-rbt | exec nc -n -v -l -N 22 2>/tmp/peer' >/dev/null
    for i in $(seq 50); do
        podman exec rb-$NP-bottle ss -Hltn 'sport = :22' 2>/dev/null | grep -q LISTEN && return 0
        sleep 0.1
    done
    fail "nothing listens on the bottle's port 22: $(podman exec rb-$NP-bottle cat /tmp/peer 2>&1)"
}
# fs_path DIR: DIR as mountinfo's 4th field names it, the path inside its
# filesystem: a fresh root (check-distro) or a tmpfs /tmp is a mount whose
# root is not the disk's
fs_path() {
    local target fsroot
    target=$(findmnt -n -o TARGET --target "$1")
    fsroot=$(findmnt -n -o FSROOT --target "$1")
    [ "$target" = / ] && target=
    fsroot=${fsroot%/}
    printf '%s%s\n' "$fsroot" "${1#"$target"}"
}

# What the world logged for connections to ADDR:PORT (socat -d -d).
world_tcp_log() {
    podman exec rb-world cat "/var/log/world/tcp-$1.log"
}

@test "agent: its own command runs in the mounted workspace and reaches its API and code host" {
    rb_need_learner
    local i
    rb_run --separate-stderr podman inspect -f '{{json .Config.Cmd}} {{.Config.WorkingDir}} {{.Config.Tty}}' rb-$NP-bottle
    assert_output --partial '["/bin/sh","-c","echo agent: started; cd /workspace || exit 1; while'
    assert_output --partial ' /workspace true'
    # the command wrote into the host's directory, as the bottle's uid,
    # what the world answered on 443 and 22. Waited for up to a round and a
    # half (45 s: its 20 s sleep, two nc -w 3, a resolver's 5 s retry): a
    # loaded machine can cut the first round short, the next must succeed.
    for i in $(seq 225); do
        [ "$(grep -c '^world' "$WS/.agent-last" 2>/dev/null)" = 2 ] && break
        sleep 0.2
    done
    rb_run cat "$WS/.agent-last"
    [ "${#lines[@]}" -ge 3 ] || fail "the agent's last round: $output; the sentry: $(podman logs rb-$NP-sentry 2>&1 | grep -e learner -e 'github' | tail -5)"
    assert_line --index 1 world
    assert_line --index 2 world
    [ "$(stat -c %u "$WS/.agent-last")" = 1000 ]
    rb_run '?' world_tcp_log 443
    assert_output --partial 'on AF=2 160.79.104.10:443'
    rb_run '?' world_tcp_log 22
    assert_output --regexp 'on AF=2 203\.0\.113\.20:22'
    rb_run --separate-stderr '?' podman logs rb-$NP-bottle
    assert_output --partial 'agent: started'
}

@test "agent: the code host is reached on its ports only (github.com:22,443), as the world saw it" {
    rb_need_learner
    local before after
    # 443 is one of github.com's ports: the world saw the connection
    rb_run --separate-stderr podman exec rb-$NP-bottle sh -c 'nc -w 3 github.com 443 </dev/null'
    assert_output world
    rb_run '?' world_tcp_log 443
    assert_output --partial 'on AF=2 203.0.113.20:443'
    # 80 is not, though the world listens there too (the world's own
    # connection below shows it does, and is logged)
    before=$(world_tcp_log 80 | grep -c 'on AF=2 203\.0\.113\.20:80' || true)
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle sh -c 'nc -w 3 github.com 80 </dev/null'
    assert_failure
    rb_run --separate-stderr '?' podman exec rb-world socat -T3 - TCP:203.0.113.20:80 </dev/null
    assert_output world
    after=$(world_tcp_log 80 | grep -c 'on AF=2 203\.0\.113\.20:80' || true)
    [ "$after" -eq $((before + 1)) ] ||
        fail "the world saw $((after - before)) connections to 203.0.113.20:80, expected only its own"
    # the learned answer is in the ported answers set with the name's ports
    rb_run rb_set_members "$(pid_of rb-$NP-sentry)" RB-DNS-PORT
    assert_line '203.0.113.20,tcp:443'
    assert_line '203.0.113.20,tcp:22'
    refute_output --partial "203.0.113.20,tcp:80"
}

@test "agent, nft without a queue in the kernel: its names resolve, and their answers open nothing" {
    rb_learnerless
    local i sp sup d0 b443 b22
    sp=$(pid_of rb-$NP-sentry)
    sup=$(podman inspect -f '{{(index .NetworkSettings.Networks "rb-world").IPAddress}}' rb-$NP-sentry)
    [ -n "$sup" ] || fail "no uplink address for rb-$NP-sentry"
    b443=$(world_tcp_log 443 | grep -cF "from AF=2 $sup:" || true)
    b22=$(world_tcp_log 22 | grep -cF "from AF=2 $sup:" || true)
    # a whole round of the agent from here: its date line, then its two
    # connections (each refused, or given up after 3 s)
    d0=$(head -n 1 "$WS/.agent-last" 2>/dev/null)
    for i in $(seq 150); do
        [ "$(head -n 1 "$WS/.agent-last" 2>/dev/null)" != "$d0" ] && break
        sleep 0.2
    done
    [ "$(head -n 1 "$WS/.agent-last")" != "$d0" ] || fail "the agent started no round in 30 s"
    sleep 7
    rb_run cat "$WS/.agent-last"
    refute_line world
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle dig +short github.com
    assert_output 203.0.113.20
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle sh -c 'nc -w 3 github.com 443 </dev/null'
    assert_failure
    rb_run rb_set_members "$sp" RB-DNS-PORT
    assert_output ''
    rb_run rb_set_members "$sp" RB-DNS
    assert_output ''
    # the world saw nothing of this sentry on the agent's ports
    [ "$(world_tcp_log 443 | grep -cF "from AF=2 $sup:" || true)" -eq "$b443" ] || fail "the world saw $sup on 443"
    [ "$(world_tcp_log 22 | grep -cF "from AF=2 $sup:" || true)" -eq "$b22" ] || fail "the world saw $sup on 22"
}

@test "limits, env file and volumes are what podman was given" {
    rb_run --separate-stderr podman inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}' rb-$NP-bottle
    assert_output "$((2 << 30)) $((2 << 30)) 1000000000 128"
    # podman lists mounts in no set order (4.3 and 5.x differ)
    rb_run --separate-stderr podman inspect -f '{{range .Mounts}}{{.Source}}>{{.Destination}}:{{.RW}}{{println}}{{end}}' rb-$NP-bottle
    rb_run '?' sort <<<"$output"
    assert_output "$RO>/ro:false
$WS>/workspace:true"
    # the kernel's view: the cgroup that holds the bottle's processes
    local cg
    cg=$(pids_cgroup "$(pid_of rb-$NP-bottle)")
    rb_run cat "$cg/pids.max"
    assert_output 128
}

@test "the bottle sees its workspace, writes only where :rw, and sees nothing else of the host" {
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle sh -c 'touch /workspace/rbt-w && echo ok'
    assert_output ok
    [ -e "$WS/rbt-w" ]
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle cat /ro/readme
    assert_output seen-by-the-bottle
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle touch /ro/rbt-w
    assert_failure
    [ ! -e "$RO/rbt-w" ]
    # nothing but the two volumes comes from the host's filesystem: every
    # other mount is the image's root, podman's files or a kernel one
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle find / -xdev -name host-marker
    assert_output ''
    # of this run's directory, exactly the two volumes are mounted
    local root
    root=$(fs_path "$HOSTDIR")
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle sh -c \
        "awk '\$4 ~ \"^$root/\" {print \$4}' /proc/self/mountinfo | sort; ls /workspace/.."
    assert_line --index 0 "$root/ro"
    assert_line --index 1 "$root/ws"
    refute_output --partial host-marker
    # the bottle's mounts from the host's disk: the volumes only (and the
    # files podman writes for every container: hosts, resolv.conf, ...)
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle awk '$5 != "/" && $9 !~ /^(proc|sysfs|tmpfs|devpts|mqueue|cgroup|overlay|shm)$/ {print $5}' /proc/self/mountinfo
    refute_output --regexp '^/(etc|home|root|var|usr)?$'
    assert_line /workspace
    assert_line /ro
}

@test "the env file reaches the process and appears in no argv and no output of rb" {
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle sh -c 'tr "\0" "\n" </proc/1/environ | grep ^RBT_TOKEN='
    assert_output "RBT_TOKEN=$SECRET"
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle printenv RBT_TOKEN
    assert_output "$SECRET"
    # every process's argv on the host (the bottle's are among them)
    rb_run '?' bash -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " 2>/dev/null <"$f"; echo; done | grep -c -F -f "$HOSTDIR/secret.pattern"'
    assert_output 0
    # the podman run rb made, as podman recorded it
    rb_run --separate-stderr podman inspect -f '{{json .Config.CreateCommand}}' rb-$NP-bottle
    assert_output --partial -- "--env-file\",\"$ENVF\""
    refute_output --partial "$SECRET"
    rb_run 1 grep -c -F -f "$HOSTDIR/secret.pattern" "$HOSTDIR/start.out"
    assert_output 0
}

@test "bottle-exec and bottle-logs run as the bottle's uid" {
    rb_run --separate-stderr make -C "$RB_TOP" --no-print-directory -s bottle-exec NAMEPLATE=$NP RB_BIN=$RB_BIN \
        CMD='id -u; pwd; echo "quoted  words"'
    assert_output $'1000\n/workspace\nquoted  words'
    rb_run --separate-stderr 2 make -C "$RB_TOP" --no-print-directory -s bottle-exec NAMEPLATE=$NP RB_BIN=$RB_BIN
    [[ "$stderr" == *"CMD: not set"* ]]
    rb_run --separate-stderr make -C "$RB_TOP" --no-print-directory -s bottle-logs NAMEPLATE=$NP RB_BIN=$RB_BIN
    assert_output --partial 'agent: started'
    # FOLLOW=1 keeps following: still running after a second
    rb_run 124 timeout 2 make -C "$RB_TOP" --no-print-directory -s bottle-logs NAMEPLATE=$NP RB_BIN=$RB_BIN FOLLOW=1
    assert_output --partial 'agent: started'
}

@test "make bottle-shell works under a pseudo-terminal" {
    local out="$BATS_TEST_TMPDIR/typescript"
    # script(1) gives make a terminal; the shell reads our lines from it
    printf 'id -u\ntty\necho rbt-$((6*7))\nexit\n' |
        timeout 30 script -qec "make -C $RB_TOP --no-print-directory -s bottle-shell NAMEPLATE=$NP RB_BIN=$RB_BIN" "$out" >/dev/null
    rb_run cat "$out"
    assert_output --partial rbt-42
    assert_output --regexp '[^0-9]1000[^0-9]'
    assert_output --regexp '/dev/pts/[0-9]+'
}

# The limit checks find the bottle's pids cgroup on both layouts; this
# host has one (cgroup v1), so the other is laid out here as the kernel
# would show it.
@test "pids_cgroup finds the limiting cgroup on cgroup v1 and on v2" {
    local t=$BATS_TEST_TMPDIR/cg
    mkdir -p "$t/proc/42" "$t/proc/43" "$t/fs/pids/libpod_parent/libpod-abc" \
        "$t/fs/machine.slice/libpod-abc.scope/container" "$t/fs/unified"
    # v1 (hybrid: a unified line too, which must not be taken)
    printf '%s\n' 12:pids:/libpod_parent/libpod-abc 1:name=systemd:/libpod_parent/libpod-abc \
        0::/libpod_parent/libpod-abc >"$t/proc/42/cgroup"
    echo 128 >"$t/fs/pids/libpod_parent/libpod-abc/pids.max"
    # v2 under systemd: the limit on the scope, the process in a leaf below
    echo 0::/machine.slice/libpod-abc.scope/container >"$t/proc/43/cgroup"
    echo max >"$t/fs/machine.slice/libpod-abc.scope/container/pids.max"
    echo 128 >"$t/fs/machine.slice/libpod-abc.scope/pids.max"
    echo max >"$t/fs/machine.slice/pids.max"
    RBT_CGFS=$t/fs RBT_PROC=$t/proc rb_run '?' pids_cgroup 42
    assert_output "$t/fs/pids/libpod_parent/libpod-abc"
    RBT_CGFS=$t/fs RBT_PROC=$t/proc rb_run '?' pids_cgroup 43
    assert_output "$t/fs/machine.slice/libpod-abc.scope"
    # no limit anywhere: an error, not the hierarchy's root
    echo max >"$t/fs/machine.slice/libpod-abc.scope/pids.max"
    RBT_CGFS=$t/fs RBT_PROC=$t/proc rb_run '?' pids_cgroup 43
    assert_failure
}

@test "the SSH entry: the host reaches the bottle's port 22 through the entry port, the bottle cannot come back" {
    local up h0 i0
    up=$(podman inspect -f '{{(index .NetworkSettings.Networks "rb-world").IPAddress}}' rb-$NP-sentry)
    [[ $up == 10.243.0.* ]] || fail "no uplink address for the sentry: '$up'"
    # the bottle's uid may bind 22 and above in its own netns, nothing lower
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle cat /proc/sys/net/ipv4/ip_unprivileged_port_start
    assert_output 22
    # from the host's address on the uplink and from 127.0.0.1
    ssh_serve
    rb_run nc -w 3 "$HOST_IP" "$EP" </dev/null
    assert_output SSH-2.0-rbt
    rb_run --separate-stderr podman exec rb-$NP-bottle cat /tmp/peer
    assert_output --partial "Connection received on $HOST_IP "
    ssh_serve
    rb_run nc -w 3 127.0.0.1 "$EP" </dev/null
    assert_output SSH-2.0-rbt
    rb_run --separate-stderr podman exec rb-$NP-bottle cat /tmp/peer
    assert_output --partial "Connection received on $HOST_IP "
    [ "$(pkts nat rb:entry-dnat)" -eq 2 ] || fail "the sentry DNATed $(pkts nat rb:entry-dnat) connections, expected 2"
    # backwards: from the bottle, neither the host's address nor the
    # sentry's uplink address leads into the entry (the listener waits)
    ssh_serve
    h0=$(pkts filter rb:never-host) i0=$(pkts filter rb:in-reject)
    # nc's own message, moved to stdout inside the bottle: podman's stderr is not read
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle sh -c 'exec nc -v -w 2 -z "$1" "$2" 2>&1' sh "$HOST_IP" "$EP"
    assert_failure
    assert_output --partial refused
    rb_run --separate-stderr '?' podman exec rb-$NP-bottle sh -c 'exec nc -v -w 2 -z "$1" "$2" 2>&1' sh "$up" "$EP"
    assert_failure
    assert_output --partial refused
    [ "$(pkts filter rb:never-host)" -eq $((h0 + 1)) ] || fail "rb:never-host: $h0 -> $(pkts filter rb:never-host)"
    [ "$(pkts filter rb:in-reject)" -eq $((i0 + 1)) ] || fail "rb:in-reject: $i0 -> $(pkts filter rb:in-reject)"
    rb_run --separate-stderr podman exec rb-$NP-bottle ss -Hltn 'sport = :22'
    assert_output --partial LISTEN
    rb_run --separate-stderr podman exec rb-$NP-bottle cat /tmp/peer
    refute_output --partial "Connection received"
}

# attach_round TAG: types TAG and Enter into make bottle-attach under a
# pseudo-terminal (script), waits until the agent's command has it, then
# detaches with Ctrl-P Ctrl-Q; the typescript in $BATS_TEST_TMPDIR/TAG.out,
# make's exit status in TAG.rc.
attach_round() {
    local tag=$1 d=$BATS_TEST_TMPDIR i
    {
        sleep 1
        printf '%s\r' "$tag"
        for i in $(seq 100); do
            grep -qx "$tag" "$WS/.agent-heard" 2>/dev/null && break
            sleep 0.1
        done
        # a key a read, as typed: podman matches the detach keys only so
        printf '\020'
        sleep 0.5
        printf '\021'
        # stdin stays open until make is done: script would pass on its EOF
        for i in $(seq 100); do
            [ -s "$d/$tag.rc" ] && break
            sleep 0.1
        done
    } | timeout 30 script -qfec "make -C $RB_TOP --no-print-directory -s bottle-attach NAMEPLATE=$NP RB_BIN=$RB_BIN; echo \$? >$d/$tag.rc" "$d/$tag.out" >/dev/null || {
        local rc=$?
        echo "attach round $tag: exit $rc; typescript:" >&3
        cat -v "$d/$tag.out" >&3
        echo "--- heard:" >&3
        cat -v "$WS/.agent-heard" >&3
        echo "--- logs:" >&3
        podman logs --tail 5 rb-$NP-bottle 2>/dev/null | cat -v >&3
        return $rc
    }
}

@test "make bottle-attach: what is typed reaches the bottle's command, its answer comes back; Ctrl-P Ctrl-Q detaches" {
    local tag pid1
    rb_run --separate-stderr podman inspect -f '{{.Config.Tty}} {{.Config.OpenStdin}}' rb-$NP-bottle
    assert_output "true true"
    pid1=$(pid_of rb-$NP-bottle)
    # twice: a detach leaves the command running and reading its terminal
    for tag in rbt-one-$RANDOM rbt-two-$RANDOM; do
        attach_round "$tag"
        # the command read the line from its terminal (its own record)
        rb_run grep -cx "$tag" "$WS/.agent-heard"
        assert_output 1
        # its answer came back through the attach
        rb_run cat "$BATS_TEST_TMPDIR/$tag.out"
        assert_output --partial "agent heard: $tag"
        assert_output --partial "Ctrl-P Ctrl-Q detaches"
        rb_run cat "$BATS_TEST_TMPDIR/$tag.rc"
        assert_output 0
        rb_run --separate-stderr podman inspect -f '{{.State.Running}} {{.State.Pid}}' rb-$NP-bottle
        assert_output "true $pid1"
    done
}

# What podman answers decides; a fake one (first in PATH, for rb-net-create
# too) stands in for a bottle without a terminal or not running.
@test "bottle-attach refuses a bottle that is not running or has no terminal, and attaches to nothing" {
    local fake=$BATS_TEST_TMPDIR/fake
    mkdir -p "$fake"
    cat >"$fake/podman" <<'SH'
#!/bin/bash
printf '%s\n' "$*" >>"$(dirname "$0")/args"
case $1 in
network) echo '[]' ;;
inspect) [ -n "$FAKE_STATE" ] || { echo 'Error: no such object' >&2; exit 125; }; echo "$FAKE_STATE" ;;
attach) echo attached ;;
*) exit 125 ;;
esac
SH
    chmod +x "$fake/podman"
    attach() { (cd "$RB_TOP" && FAKE_STATE=$1 PATH="$fake:$PATH" RB_BIN=$RB_BIN bash mk/bottle.sh attach $NP); }
    rb_run --separate-stderr 1 attach 'true false false'
    [[ $stderr == *"rb-$NP-bottle's command has no terminal (started with RBRN_BOTTLE_TTY=0)"* ]] || fail "$stderr"
    rb_run --separate-stderr 1 attach 'false true true'
    [[ $stderr == *"$NP is not started (rb-$NP-bottle is not running)"* ]] || fail "$stderr"
    rb_run --separate-stderr 1 attach ''
    [[ $stderr == *"$NP is not started: no rb-$NP-bottle"* ]] || fail "$stderr"
    rb_run 1 grep -c '^attach' "$fake/args"
    assert_output 0
    rb_run --separate-stderr attach 'true true true'
    assert_output attached
    rb_run '?' grep '^attach' "$fake/args"
    assert_output "attach --detach-keys ctrl-p,ctrl-q --sig-proxy=false rb-$NP-bottle"
}

# Last: the bottle is then full of processes until it is stopped.
@test "a fork bomb stops at RBRN_BOTTLE_PIDS; the host and the sentry stay responsive" {
    local cg sp i n max=0 hit=0
    cg=$(pids_cgroup "$(pid_of rb-$NP-bottle)")
    [ "$(cat "$cg/pids.max")" = 128 ] || fail "$cg/pids.max: $(cat "$cg/pids.max")"
    podman exec -d rb-$NP-bottle sh -c 'b() { b | b & }; b' >/dev/null
    # its processes come and go (each whose fork fails ends), never above
    # the limit; the kernel counts each fork it refused at the limit in
    # pids.events: the bomb ran into it (sampling pids.current alone may
    # miss the peak on a loaded machine, where podman 5 may also take
    # seconds to start it)
    for i in $(seq 300); do
        n=$(cat "$cg/pids.current")
        [ "$n" -le 128 ] || fail "pids.current $n above the limit"
        [ "$n" -le "$max" ] || max=$n
        hit=$(awk '$1 == "max" { print $2 }' "$cg/pids.events")
        [ "${hit:-0}" -gt 0 ] && break
        sleep 0.1
    done
    [ "${hit:-0}" -gt 0 ] ||
        fail "the bomb never reached the limit (at most $max processes seen; pids.events: $(cat "$cg/pids.events"))"
    # the host answers, the sentry still resolves for the bottle's names
    rb_run timeout 10 podman ps --format '{{.Names}}'
    assert_line rb-$NP-sentry
    sp=$(pid_of rb-$NP-sentry)
    rb_run '?' timeout 10 nsenter -t "$sp" -n dig +short +time=2 @127.0.0.1 api.anthropic.com
    assert_output 160.79.104.10
}

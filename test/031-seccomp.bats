#!/usr/bin/env bats
# The bottle's seccomp profile (rb-net-create --seccomp-profile BASE OUT,
# lib/seccomp.c) without containers: the rules derived from a small base are
# pinned in test/golden/seccomp-bottle.json; from the host's podman profile
# they are checked against the base with jq (the derivation mk/bottle.sh
# used to run); bad bases are refused with OUT and its directory untouched.
# That the kernel enforces the profile in a real bottle is test/060's
# "no user namespace" test.

bats_require_minimum_version 1.5.0
load helpers

setup() {
    D=$BATS_TEST_TMPDIR/out
    mkdir -p "$D"
    OUT=$D/bottle-seccomp.json
    BASE=$RB_TOP/test/data/seccomp-base.json
}

teardown() {
    rb_default_teardown
}

seccomp() { rb_run --separate-stderr '?' "$RB_BIN/rb-net-create" --seccomp-profile "$@"; }

@test "seccomp: a small base gives test/golden/seccomp-bottle.json" {
    seccomp "$BASE" "$OUT"
    assert_success
    assert_output ""
    diff -u "$RB_TOP/test/golden/seccomp-bottle.json" "$OUT" ||
        fail "the profile derived from test/data/seccomp-base.json is not test/golden/seccomp-bottle.json"
}

@test "seccomp: podman's profile on this host: its rules without clone, clone3, unshare, then rb's" {
    local base=/usr/share/containers/seccomp.json
    [ -r "$base" ] || fail "$base missing: podman's containers-common is a dependency (make deps)"
    seccomp "$base" "$OUT"
    assert_success
    # everything but the rules is the base's
    rb_run diff <(jq -S 'del(.syscalls)' "$base") <(jq -S 'del(.syscalls)' "$OUT")
    # the base's rules, less the three calls, in order; rules left empty gone
    rb_run diff <(jq -S '.syscalls | map(.names -= ["clone", "clone3", "unshare"] | select(.names | length > 0))' "$base") \
        <(jq -S '.syscalls[:-7]' "$OUT")
    # then rb's seven, the ones pinned from the small base
    rb_run diff <(jq -S '.syscalls[-7:]' "$RB_TOP/test/golden/seccomp-bottle.json") <(jq -S '.syscalls[-7:]' "$OUT")
    # and they are the only rules that name the three calls
    rb_run jq -c '[.syscalls[] | select(.names | any(. == "clone" or . == "clone3" or . == "unshare"))] | length' "$OUT"
    assert_output 7
    # CLONE_NEWUSER (0x10000000) gets EPERM (1) wherever clone or unshare
    # has its flags, and clone3 ENOSYS (38)
    rb_run jq -c '[.syscalls[-7:][] | [.names[0], .action, .errnoRet, (.args[0] | .index, .value, .valueTwo)]]' "$OUT"
    assert_output '[["clone","SCMP_ACT_ALLOW",null,0,268435456,0],["clone","SCMP_ACT_ERRNO",1,0,268435456,268435456],["clone","SCMP_ACT_ALLOW",null,1,268435456,0],["clone","SCMP_ACT_ERRNO",1,1,268435456,268435456],["unshare","SCMP_ACT_ALLOW",null,0,268435456,0],["unshare","SCMP_ACT_ERRNO",1,0,268435456,268435456],["clone3","SCMP_ACT_ERRNO",38,null,null,null]]'
}

@test "seccomp: OUT is replaced whole, mode 0644, no temporary file left; the same base gives the same bytes" {
    echo old >"$OUT"
    chmod 0600 "$OUT"
    seccomp "$BASE" "$OUT"
    assert_success
    [ "$(stat -c %a "$OUT")" = 644 ]
    rb_run ls -A "$D"
    assert_output bottle-seccomp.json
    cp "$OUT" "$BATS_TEST_TMPDIR/first"
    seccomp "$BASE" "$OUT"
    assert_success
    cmp "$BATS_TEST_TMPDIR/first" "$OUT"
    # a relative OUT lands in the working directory
    cd "$D"
    seccomp "$BASE" rel.json
    assert_success
    cmp "$BATS_TEST_TMPDIR/first" "$D/rel.json"
}

# BASE (one line of JSON) | what the message says after 'seccomp profile "BASE": '
BAD_BASES='
{ | not JSON
<empty> | not JSON
{} x | data after the JSON value
[] | not a JSON object
{"syscalls": []} | "defaultAction" is not an SCMP_ACT_ action
{"defaultAction": 1, "syscalls": []} | "defaultAction" is not an SCMP_ACT_ action
{"defaultAction": "SCMP_ACT_ERRNO"} | "syscalls" is not an array
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}} | "syscalls" is not an array
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [], "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW"}]} | the profile: keys "syscalls" and "syscalls" are the same to podman
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [], "SysCalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW"}]} | the profile: keys "syscalls" and "SysCalls" are the same to podman
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [], "\u017fyscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW"}]} | the profile: a key that is not printable ASCII
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [1]} | syscalls[0] is not an object
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"]}, {"name": "clone", "action": "SCMP_ACT_ALLOW"}]} | syscalls[1]: "name" (rb reads "names" only)
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "Name": "clone"}]} | syscalls[0]: "name" (rb reads "names" only)
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "Names": ["clone"]}]} | syscalls[0]: keys "names" and "Names" are the same to podman
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]} | syscalls[0]: "names" is not an array
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "clone"}]} | syscalls[0]: "names" is not an array
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", 5]}]} | syscalls[0].names[1] is not a syscall name
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["CLONE"]}]} | syscalls[0].names[0] is not a syscall name
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone x"]}]} | syscalls[0].names[0] is not a syscall name
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [""]}]} | syscalls[0].names[0] is not a syscall name
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "args": [{"value": 18446744073709551615}]}]} | "value": 1.8446744073709552e+19 is not an integer below 2^53
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "args": [{"value": 9007199254740993}]}]} | "value": 9007199254740992 is not an integer below 2^53
{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1, "syscalls": []} | "defaultErrnoRet": -1 is not an integer below 2^53
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "errnoRet": 1.5}]} | "errnoRet": 1.5 is not an integer below 2^53
'

# refused WHAT: exit 1, one line naming the base and WHAT, nothing on stdout.
refused() {
    [ "$status" -eq 1 ] || fail "exit $status, expected 1: $stderr"
    [ "${#stderr_lines[@]}" -eq 1 ] || fail "not one line: $stderr"
    [ -z "$output" ] || fail "stdout not empty: $output"
    [[ "$stderr" == *"$1"* ]] || fail "stderr lacks '$1': $stderr"
}

@test "seccomp: a bad base is refused with what is wrong, and OUT and its directory stay as they were" {
    local line json why n=0 b=$BATS_TEST_TMPDIR/base.json
    echo old >"$OUT"
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        json=${line% | *} why=${line##* | }
        [ "$json" = "<empty>" ] && json=
        printf '%s' "$json" >"$b"
        seccomp "$b" "$OUT"
        refused "seccomp profile \"$b\": $why"
        n=$((n + 1))
    done <<<"$BAD_BASES"
    [ "$n" -ge 25 ]

    # more keys than a profile has: refused before comparing them all
    jq -c '. + ([range(70)] | map({key: "k\(.)", value: 0}) | from_entries)' "$BASE" >"$b"
    seccomp "$b" "$OUT"
    refused "seccomp profile \"$b\": the profile: more than 64 keys"
    # over 1 MiB
    { printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [], "comment": "'; head -c $((1 << 20)) /dev/zero | tr '\0' x; printf '"}'; } >"$b"
    seccomp "$b" "$OUT"
    refused "seccomp profile \"$b\": larger than 1048576 bytes"
    # not a file: a directory, and a FIFO, which must not hang the start
    seccomp "$BATS_TEST_TMPDIR" "$OUT"
    refused "seccomp profile \"$BATS_TEST_TMPDIR\": not a regular file"
    mkfifo "$BATS_TEST_TMPDIR/fifo"
    RB_RUN_TIMEOUT=10 rb_run --separate-stderr 1 "$RB_BIN/rb-net-create" --seccomp-profile "$BATS_TEST_TMPDIR/fifo" "$OUT"
    refused "seccomp profile \"$BATS_TEST_TMPDIR/fifo\": not a regular file"
    seccomp "$BATS_TEST_TMPDIR/none.json" "$OUT"
    refused "cannot open seccomp profile \"$BATS_TEST_TMPDIR/none.json\": No such file or directory"

    [ "$(cat "$OUT")" = old ]
    rb_run ls -A "$D"
    assert_output bottle-seccomp.json
}

@test "seccomp: an OUT that cannot be written is exit 2, and nothing is left behind" {
    seccomp "$BASE" "$D/nodir/p.json"
    [ "$status" -eq 2 ] || fail "exit $status: $stderr"
    [[ "$stderr" == *"cannot write seccomp profile \"$D/nodir/p.json\": No such file or directory"* ]]
    # a directory in OUT's place is not replaced
    mkdir "$D/isdir"
    seccomp "$BASE" "$D/isdir"
    [ "$status" -eq 2 ] || fail "exit $status: $stderr"
    [[ "$stderr" == *"cannot write seccomp profile \"$D/isdir\": Is a directory"* ]]
    [ -d "$D/isdir" ]
    rb_run ls -A "$D"
    assert_output isdir
    seccomp "$BASE" "$D/"
    [ "$status" -eq 1 ] || fail "exit $status: $stderr"
    [[ "$stderr" == *"not a file name"* ]]
}

@test "seccomp: usage errors exit 1 and write nothing" {
    seccomp "$BASE"
    [ "$status" -eq 1 ]
    [ "$stderr" = 'Error: argument "OUT" is required.' ]
    seccomp "$BASE" "$OUT" "$OUT.2"
    [ "$status" -eq 1 ]
    [ "$stderr" = "Error: argument \"$OUT.2\" is wrong: --seccomp-profile BASE takes one OUT file" ]
    rb_run --separate-stderr 1 "$RB_BIN/rb-net-create" --nameplate "$RB_TOP/nameplates/nsproto.mk" \
        --seccomp-profile "$BASE" "$OUT"
    [ "$stderr" = 'Error: argument "--seccomp-profile" is wrong: goes alone' ]
    rb_run --separate-stderr 1 "$RB_BIN/rb-net-create" --stage bottle --seccomp-profile "$BASE" "$OUT"
    rb_run ls -A "$D"
    assert_output ""
}

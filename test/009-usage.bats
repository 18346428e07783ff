#!/usr/bin/env bats
# The commands' command lines: --help is syntax, one line per option, each
# option documented in the man page; a usage error is one line in iproute2's
# words (invarg, duparg, missarg), exit 1, nothing on stdout. rb-fw-apply's
# usage errors leaving the netns unchanged: test/020 and 021.

bats_require_minimum_version 1.5.0
load helpers

CMDS=(rb-net-create rb-fw-apply rb-verify rb-sentryd)

# The long options a command's getopt table takes.
longopts() {
    sed -n '/struct option/,/^	};/p' "$RB_TOP/cmd/$1.c" | grep -oE '^[[:space:]]*\{ "[a-z-]+"' | grep -oE '[a-z-]+'
}

@test "--help: usage lines, then one line per option, then the man page" {
    local c o n
    for c in "${CMDS[@]}"; do
        rb_run --separate-stderr 0 "$RB_BIN/$c" --help
        [ -z "$stderr" ] || fail "$c --help wrote to stderr: $stderr"
        assert_line --index 0 --regexp "^Usage: $c "
        assert_line "See $c(8)."
        # nothing wider than a terminal, no paragraph of prose
        n=$(awk 'length > 79' <<<"$output" | wc -l)
        [ "$n" = 0 ] || fail "$c --help has lines over 79 columns"
        # after the usage block: option lines only
        rb_run 1 bash -c 'sed "1,/^\$/d" <<<"$1" | grep -v -e "^\$" -e "^See " |
            grep -vE "^    (-[a-z], |    )--[a-z-]+( [A-Z]+)? {2,}[^ ]"' _ "$output"
        [ -z "$output" ] || fail "$c --help: not an option line: $output"
        rb_run 0 "$RB_BIN/$c" --help
        for o in $(longopts "$c"); do
            n=$(grep -cE "^    (-[a-z], |    )--$o( [A-Z]+)? {2,}" <<<"$output")
            [ "$n" = 1 ] || fail "$c --help: --$o on $n lines"
            # groff's hyphens: \-\-print\-env
            grep -qF -- "\\-\\-${o//-/\\-}" "$RB_TOP/man/$c.8" || fail "man/$c.8 does not document --$o"
        done
    done
}

# usage_error WANT CMD...: exit 1, WANT on stderr alone, nothing on stdout.
usage_error() {
    local want=$1
    shift
    rb_run --separate-stderr 1 "$@"
    [ "$stderr" = "$want" ] || fail "$*: stderr \"$stderr\", expected \"$want\""
    [ -z "$output" ] || fail "$*: printed \"$output\""
}

@test "invarg: a bad value, an unknown option or verb, a value missing, in iproute2's words" {
    local np=$RB_TOP/nameplates/nsproto.mk
    usage_error 'Error: argument "x" is wrong: --stage is not sentry, bottle or all' \
        "$RB_BIN/rb-net-create" --nameplate "$np" --stage x
    usage_error 'Error: argument "--nope" is wrong: unknown option (see --help)' \
        "$RB_BIN/rb-net-create" --nope
    usage_error 'Error: argument "--print-env" is wrong: goes with --check' \
        "$RB_BIN/rb-net-create" --nameplate "$np" --print-env
    usage_error 'Error: argument "0" is wrong: --pid is not a PID' \
        "$RB_BIN/rb-fw-apply" --nameplate "$np" --pid 0
    usage_error 'Error: argument "shwo" is wrong: not a verb: apply, show, check, counters, resolver-conf, learner-conf or remove' \
        "$RB_BIN/rb-fw-apply" --nameplate "$np" shwo
    usage_error 'Error: argument "--backend" is wrong: needs a value' \
        "$RB_BIN/rb-fw-apply" --nameplate "$np" --backend
    usage_error 'Error: argument "iptables" is wrong: --backend is not xtables, nft or auto' \
        "$RB_BIN/rb-verify" --nameplate "$np" --backend iptables
    usage_error 'Error: argument "0" is wrong: --timeout is not milliseconds from 1 to 60000' \
        "$RB_BIN/rb-verify" --nameplate "$np" --timeout 0
    usage_error 'Error: argument "-x" is wrong: unknown option (see --help)' \
        "$RB_BIN/rb-verify" -x
    usage_error 'Error: argument "70000" is wrong: --queue is not a number from 0 to 65535' \
        "$RB_BIN/rb-sentryd" --queue 70000
    usage_error 'Error: argument "--add" is wrong: goes with --parse' \
        "$RB_BIN/rb-sentryd" --add
    usage_error 'Error: argument "extra" is wrong: unexpected argument' \
        "$RB_BIN/rb-sentryd" extra
    # a bad value in the environment too
    RB_FW_BACKEND=iptables usage_error 'Error: argument "iptables" is wrong: RB_FW_BACKEND is not xtables, nft or auto' \
        "$RB_BIN/rb-fw-apply" --nameplate "$np"
}

@test "duparg: an option or a mode given twice, in iproute2's words" {
    local np=$RB_TOP/nameplates/nsproto.mk
    usage_error 'Error: duplicate "--nameplate": "b" is the second value.' \
        "$RB_BIN/rb-net-create" --nameplate a --nameplate b
    usage_error 'Error: duplicate "--check": "--remove" is the second value.' \
        "$RB_BIN/rb-net-create" --nameplate "$np" --check --remove
    usage_error 'Error: duplicate "--netns": "/run/netns/b" is the second value.' \
        "$RB_BIN/rb-fw-apply" --nameplate "$np" --netns /run/netns/a --netns /run/netns/b
    usage_error 'Error: duplicate "check": "show" is the second value.' \
        "$RB_BIN/rb-fw-apply" --nameplate "$np" check show
    usage_error 'Error: duplicate "--host": "--no-host" is the second value.' \
        "$RB_BIN/rb-fw-apply" --nameplate "$np" --host --no-host
    usage_error 'Error: duplicate "--timeout": "20" is the second value.' \
        "$RB_BIN/rb-verify" --nameplate "$np" --timeout 10 --timeout 20
    usage_error 'Error: duplicate "--log-dir": "/b" is the second value.' \
        "$RB_BIN/rb-sentryd" --log-dir /a --log-dir /b
}

@test "missarg: a required argument missing, in iproute2's words" {
    local c np=$RB_TOP/nameplates/nsproto.mk
    for c in rb-net-create rb-fw-apply rb-verify; do
        usage_error 'Error: argument "--nameplate" is required.' "$RB_BIN/$c"
    done
    usage_error 'Error: argument "--bridge" is required.' \
        "$RB_BIN/rb-net-create" --nameplate "$np" --netns-sentry /run/netns/a
    usage_error 'Error: argument "OUT" is required.' \
        "$RB_BIN/rb-net-create" --seccomp-profile /nonexistent
    usage_error 'Error: argument "--uplink-if" is required.' \
        "$RB_BIN/rb-fw-apply" --nameplate "$np" --enclave-if en0
    usage_error 'Error: argument "--netns-sentry" is required.' \
        "$RB_BIN/rb-verify" --nameplate "$np" --netns-bottle /run/netns/a
    # rb-sentryd has defaults for everything but --parse's FILE
    usage_error 'Error: argument "--parse" is wrong: needs a value' \
        "$RB_BIN/rb-sentryd" --parse
}

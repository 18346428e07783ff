#!/usr/bin/env bats
# The suite itself: make check runs every test under a per-test timeout, so
# that a hung podman, nc or probe fails that one test and the run goes on.

bats_require_minimum_version 1.5.0
load helpers

@test "make check sets a per-test timeout" {
    [ -n "${BATS_TEST_TIMEOUT:-}" ] || fail "BATS_TEST_TIMEOUT is not set: run the suite with make check"
    [ "$BATS_TEST_TIMEOUT" -gt 0 ] && [ "$BATS_TEST_TIMEOUT" -le 600 ]
}

@test "a test that hangs fails by itself after the timeout, and the next one runs" {
    # (printf: an @test line here would be one of this file's own tests)
    printf '%s\n' '@test "hangs" {' '    sleep 60 3>&-' '}' '@test "after" {' '    true' '}' \
        >"$BATS_TEST_TMPDIR/hang.bats"
    # a clean environment: this run's BATS_* and PATH (bats' libexec first)
    # would steer the inner bats
    rb_run 1 env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" BATS_TEST_TIMEOUT=1 bats --tap "$BATS_TEST_TMPDIR/hang.bats"
    assert_line --regexp '^not ok 1 hangs # timeout after 1s'
    assert_line 'ok 2 after'
}

@test "rb_run checks the exit code, logs the command, and kills a hung command's whole group" {
    rb_run 3 sh -c 'echo out; exit 3'
    assert_output out
    rb_run '?' false
    assert_equal "$status" 1
    rb_run --separate-stderr sh -c 'echo o; echo e >&2'
    assert_equal "$stderr" e
    # the caller's stdin reaches the command (commands for a bottle come in
    # a heredoc), and so do the caller's VAR=value assignments
    RB_X=1 rb_run sh -c 'cat; echo "RB_X=$RB_X"' <<<in
    assert_output $'in\nRB_X=1'
    # a command expected to succeed that fails makes the test fail, naming it
    # (${at}test: an @test line here would be one of this file's own tests)
    local at=@
    cat >"$BATS_TEST_TMPDIR/inner.bats" <<EOF
load $BATS_TEST_DIRNAME/helpers
${at}test "wrong exit" {
    rb_run sh -c 'exit 2'
}
${at}test "hangs" {
    RB_RUN_TIMEOUT=1 rb_run sh -c 'sleep 30 & echo \$! >$BATS_TEST_TMPDIR/child; wait'
}
EOF
    local t0=$SECONDS
    rb_run 1 env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" BATS_LIB_PATH="${BATS_LIB_PATH:-}" \
        bats --tap "$BATS_TEST_TMPDIR/inner.bats"
    assert_line --regexp '^# exit 2, expected 0: sh -c exit 2'
    assert_line --regexp '^not ok 2 hangs'
    assert_line --regexp '^# timed out after 1 s: sh -c sleep 30'
    # the hung command's own child (sleep 30) died with it, well before 30 s
    [ $((SECONDS - t0)) -lt 20 ]
    local child
    child=$(cat "$BATS_TEST_TMPDIR/child")
    [ -n "$child" ]
    # gone, or a zombie that no one has reaped yet (dead all the same)
    local st
    st=$(sed 's/.*) //' "/proc/$child/stat" 2>/dev/null | cut -c1) || true
    [ -z "$st" ] || [[ $st == Z* ]] || fail "the hung command's child $child still runs ($st)"
}

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
    run -1 env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" BATS_TEST_TIMEOUT=1 bats --tap "$BATS_TEST_TMPDIR/hang.bats"
    assert_line --regexp '^not ok 1 hangs # timeout after 1s'
    assert_line 'ok 2 after'
}

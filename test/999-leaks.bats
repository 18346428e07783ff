#!/usr/bin/env bats
# Runs last: the suite must leave nothing behind (netns, containers,
# networks, rb chains, ipsets and nft tables, links, routes, a bottle's
# state in /run/rb, route_localnet turned on), whatever happened in the
# tests before. rb_leftovers (test/helpers.bash) is also what a failed
# test's teardown lists.

load helpers

@test "no test network namespace is left" {
    rb_run rb_leftovers netns
    assert_output ""
}

@test "no test or bottle container is left (the world may run)" {
    rb_run rb_leftovers container
    assert_output ""
}

@test "no test or enclave network is left (the world's may stay)" {
    rb_run rb_leftovers network
    assert_output ""
}

@test "no rb chain is left in the host's legacy tables (but the world's)" {
    rb_run rb_leftovers chain
    assert_output ""
}

@test "no rb ipset is left on the host" {
    rb_run rb_leftovers ipset
    assert_output ""
}

@test "no rb nft table is left in the host's netns (rb, rb-<moniker>, of any family)" {
    rb_run rb_leftovers nft-table
    assert_output ""
}

@test "no test link is left on the host" {
    rb_run rb_leftovers link
    assert_output ""
}

@test "no route to an enclave or through a test link is left on the host" {
    rb_run rb_leftovers route
    assert_output ""
}

@test "no bottle's state is left in /run/rb" {
    rb_run rb_leftovers run
    assert_output ""
}

@test "route_localnet is on nowhere but on the world's bridge" {
    rb_run rb_leftovers route_localnet
    assert_output ""
}

@test "no rb-tools container (a podman client's steps, mk/remote.sh) and no test image is left" {
    rb_run --separate-stderr podman ps -a --filter ancestor=localhost/rb-tools:latest --format '{{.Names}}'
    assert_output ""
    rb_run --separate-stderr bash -c "podman images --format '{{.Repository}}' | grep -E '^localhost/rbt' || true"
    assert_output ""
}

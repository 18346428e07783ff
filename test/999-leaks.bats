#!/usr/bin/env bats
# Runs last: the suite must leave nothing behind (netns, containers,
# networks, rb chains and nft tables), whatever happened in the tests before.

load helpers

@test "no test network namespace is left" {
    run bash -c "ip netns list | awk '{print \$1}' | grep -E '^rbt' || true"
    assert_output ""
}

@test "no test or bottle container is left (the world may run)" {
    run --separate-stderr bash -c "podman ps -a --format '{{.Names}}' | grep -E '^(rbt|rb-)' | grep -vx rb-world || true"
    assert_output ""
}

@test "no test or enclave network is left (the world's may stay)" {
    run --separate-stderr bash -c "podman network ls --format '{{.Name}}' | grep -E '^(rbt|rb-)' | grep -vx rb-world || true"
    assert_output ""
}

@test "no rb chain is left in the host's legacy tables (but the world's)" {
    run bash -c "iptables-legacy-save | grep -E '^:RB-' | grep -v '^:RB-WORLD ' || true"
    assert_output ""
    run bash -c "iptables-legacy-save -t nat | grep -E '^:RB-' || true"
    assert_output ""
}

@test "no rb nft table is left in the host's netns (rb, rb-<moniker>, of any family)" {
    run -0 nft list tables
    run grep -E '^table [a-z0-9]+ rb(-.*)?$' <<<"$output"
    assert_output ""
}

@test "no test link or route is left on the host" {
    run bash -c "ip -br link | awk '{print \$1}' | grep -E '^rbt' || true"
    assert_output ""
}

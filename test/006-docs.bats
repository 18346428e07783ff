#!/usr/bin/env bats
# The documentation a fresh clone gets: every relative link of README.md and
# docs/*.md resolves in the tree (anchors included), nothing points outside
# the repository, the README stays short, and every man page renders without
# a warning from groff or man.

load helpers

# The tree as a clone has it (check-distro copies it without .git).
tree_files() {
    (cd "$RB_TOP" && find . \( -path ./.git -o -path ./build -o -path ./build-san -o -path ./bench/out \) -prune \
        -o -type f -print | sed 's|^\./||' | sort)
}

# GitHub's anchor of a heading: lower case, punctuation but - and _ gone,
# blanks to -.
slug() { tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'; }

# broken_links FILE...: one "FILE: TARGET" line per relative link whose file
# or anchor is missing; FILEs and targets are relative to LINK_ROOT (the tree).
broken_links() {
    local f t path anchor dir LINK_ROOT=${LINK_ROOT:-$RB_TOP}
    for f; do
        dir=$(dirname "$f")
        # [text](target): inline links; code spans hold none in these files
        grep -oE '\]\([^) ]+\)' "$LINK_ROOT/$f" | sed -E 's/^\]\(//; s/\)$//' | while read -r t; do
            case $t in http://* | https://* | mailto:*) continue ;; esac
            path=${t%%#*}
            anchor=
            [[ $t == *'#'* ]] && anchor=${t#*#}
            if [ -z "$path" ]; then
                path=$f
            else
                path=$(realpath -m --relative-to="$LINK_ROOT" "$LINK_ROOT/$dir/$path")
            fi
            if [[ $path == ..* ]] || [ ! -e "$LINK_ROOT/$path" ]; then
                echo "$f: $t"
            elif [ -n "$anchor" ] && [[ $path == *.md ]] &&
                ! grep -E '^#+ ' "$LINK_ROOT/$path" | sed -E 's/^#+ //' | slug | grep -qx -- "$anchor"; then
                echo "$f: $t (no such heading)"
            fi
        done
    done
}

@test "every relative link of README.md and docs/*.md resolves in the tree" {
    local docs
    docs=$(cd "$RB_TOP" && ls README.md docs/*.md)
    [ -n "$docs" ]
    # shellcheck disable=SC2086
    rb_run broken_links $docs
    assert_output ""
}

@test "the link check finds a missing file, a missing heading and a path out of the tree" {
    local f=docs/links.md
    export LINK_ROOT=$BATS_TEST_TMPDIR/tree
    mkdir -p "$LINK_ROOT/docs"
    printf '%s\n' '# Design' '## What failed before' >"$LINK_ROOT/docs/design.md"
    printf '%s\n' '# Top' '[a](design.md) [b](nope.md) [c](design.md#no-such-heading)' \
        '[d](#top) [e](../../shar''ed/x.md) [f](https://example.com/x) [g](design.md#what-failed-before)' >"$LINK_ROOT/$f"
    rb_run broken_links "$f"
    assert_output "$f: nope.md
$f: design.md#no-such-heading (no such heading)
$f: ../../shar""ed/x.md"
}

@test "no file points outside the repository (the shared design notes, the RBM seeds)" {
    local hits
    # built so that this file does not match itself
    hits=$(
        cd "$RB_TOP" || exit 1
        tree_files | xargs -d '\n' grep -nIE -e '\.\./shar[e]d/|/work/shar[e]d|DESIG[N]\.md' || true
        tree_files | xargs -d '\n' grep -nIiE \
            -e '\bthe seed[s]?\b|seed[s]?'"'"'|\bseed[s]? [0-9]{3}\b|seed[-]era|seed[s]/' || true
    )
    [ -z "$hits" ] || fail "references outside the repository:
$hits"
}

@test "README.md is at most 15 KB" {
    local n
    n=$(wc -c <"$RB_TOP/README.md")
    [ "$n" -le 15360 ] || fail "README.md is $n bytes, more than 15360: move reference text to man/ or docs/"
}

@test "every man page renders with man -l and groff without a warning" {
    local f n=0
    for f in "$RB_TOP"/man/*.[1-8]; do
        n=$((n + 1))
        # groff with every warning, at a terminal's width
        rb_run --separate-stderr groff -ww -man -Tutf8 -rLL=78n -z "$f"
        [ -z "$stderr" ] || fail "groff on $f: $stderr"
        MANWIDTH=80 MAN_DISABLE_SECCOMP=1 rb_run --separate-stderr man -l "$f"
        [ -z "$stderr" ] || fail "man -l $f: $stderr"
        # the page's own title and its sections, not an empty rendering
        assert_line --regexp "^$(basename "${f%.*}" | tr 'a-z' 'A-Z')\\($(echo "${f##*.}")\\)"
        assert_line NAME
        assert_line DESCRIPTION
    done
    [ "$n" -ge 5 ]
}

@test "the man pages the README and the issue name are all there" {
    local p
    for p in rb-nameplate.5 rb-net-create.8 rb-fw-apply.8 rb-verify.8 rb-sentryd.8 rb-make.8; do
        [ -f "$RB_TOP/man/$p" ] || fail "man/$p is missing"
    done
}

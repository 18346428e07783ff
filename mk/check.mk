# make check: the whole suite, what CI runs. Builds, lints, brings up the
# simulated world, runs every test/NNN-*.bats (999-leaks.bats last: nothing
# may be left behind), and stops the world whatever happened.
# `make check SAN=1` runs the same suite against the ASan+UBSan build.
BATS_FLAGS ?= --print-output-on-failure
.PHONY: check check-unit
check: all lint images
	@bash mk/world.sh start
	@RB_BUILD=$(BUILD) bats $(BATS_FLAGS) test/; rc=$$?; bash mk/world.sh stop; exit $$rc

# Only the tests that need no containers (fast loop while developing).
check-unit: all
	RB_BUILD=$(BUILD) bats $(BATS_FLAGS) $(filter-out test/999-leaks.bats,$(wildcard test/0[0-3]*.bats))

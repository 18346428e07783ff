# make check: the whole suite, what CI runs. Builds, lints, brings up the
# simulated world, runs every test/NNN-*.bats (999-leaks.bats last: nothing
# may be left behind), and stops the world whatever happened.
# `make check SAN=1` runs the same suite against the ASan+UBSan build.
BATS_FLAGS ?= --print-output-on-failure --timing
TESTS      ?= test/
# A hung podman or probe fails its own test, not CI: the slowest test (a
# thousand learned names) takes under 2 minutes in a busy fresh root.
BATS_TEST_TIMEOUT ?= 300
export BATS_TEST_TIMEOUT
.PHONY: check check-unit check-san
# Lint reads the sources, not the build: the SAN pass skips it (CI runs
# both passes in one root, and lint is minutes with newer cppcheck), and so
# does CHECK_LINT=0 (check-vm's guest: CI lints these sources elsewhere).
CHECK_LINT ?= $(if $(filter 1,$(SAN)),0,1)
# The files TESTS names (files, or directories of them).
TEST_FILES = $(sort $(foreach t,$(TESTS),$(if $(filter %.bats,$t),$t,$(wildcard $(t:%/=%)/*.bats))))
# The remote pass (mk/check-remote.sh): these suites once more with podman
# remote, then 080 (remote only) and the leak check again. Not under SAN:
# rb-tools carries the plain build, and the pass adds podman time, not C paths.
# CHECK_REMOTE=0 leaves the pass out (CI runs it where podman 4 and 5 are).
CHECK_REMOTE ?= 1
REMOTE_SUITES := test/050-% test/055-% test/060-% test/065-% test/080-%
REMOTE_TESTS = $(if $(filter 1,$(SAN))$(filter 0,$(CHECK_REMOTE)),,$(if $(filter $(REMOTE_SUITES),$(TEST_FILES)),$(filter $(REMOTE_SUITES) test/999-%,$(TEST_FILES))))
check: all test-helpers $(if $(filter 1,$(CHECK_LINT)),lint) images
	@bash mk/world.sh start
	@set -o pipefail; rm -f $(BUILD)/check-remote.tap; \
	  RB_BUILD=$(BUILD) bats $(BATS_FLAGS) $(filter-out test/080-%,$(TEST_FILES)) | tee $(BUILD)/check.tap; rc=$$?; \
	  if [ -n "$(REMOTE_TESTS)" ]; then \
	    RB_BUILD=$(BUILD) BATS_FLAGS="$(BATS_FLAGS)" bash mk/check-remote.sh $(BUILD)/check-remote.tap $(REMOTE_TESTS) || rc=1; \
	  fi; \
	  bash mk/world.sh stop; \
	  echo "check: $$(cat $(BUILD)/check*.tap | grep -c '^ok') passed, $$(cat $(BUILD)/check*.tap | grep -c '^not ok') failed"; \
	  exit $$rc

# The ASan+UBSan pass of CI: every suite that drives rb's C code through
# its paths (parsers, libiptc, libnl, ipset, probes, podman mode in 040 and
# 055), then the leak check. The container end-to-end suites (050, 052, 060,
# 065, 070, 075) run once, in `make check`: they add podman time, not C paths (and
# 052 installs the plain build, whose rb-sentryd goes into the sentry image).
SAN_TESTS := $(filter-out test/050-% test/052-% test/060-% test/065-% test/070-% test/075-%,$(sort $(wildcard test/*.bats)))
check-san:
	$(MAKE) check SAN=1 TESTS="$(SAN_TESTS)"

# Only the tests that need no containers (fast loop while developing).
check-unit: all test-helpers
	RB_BUILD=$(BUILD) bats $(BATS_FLAGS) $(filter-out test/999-leaks.bats,$(wildcard test/0[0-3]*.bats))

# The fresh-machine proof (mk/distro.sh): a new Debian root of DISTRO, make
# deps and images in it, then DISTRO_TARGETS (default: check check-san) in a
# private network namespace; the host is checked unchanged afterwards.
.PHONY: check-distro
check-distro:
	@bash mk/distro.sh $(DISTRO)

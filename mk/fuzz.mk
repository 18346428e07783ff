# `make fuzz` builds every
# libFuzzer target in fuzz/ with clang (ASan+UBSan, libFuzzer) and runs each for
# FUZZ_SECONDS. Seeds are read from fuzz/corpus/<t>/ (never written); what the
# fuzzer finds goes to build/fuzz/corpus-<t>/. A crash fails the target and
# leaves crash-* / leak-* files in build/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
# (=, not :=: asked only when a fuzz target builds, so that make on a
# podman client without pkg-config runs the bottle targets quietly)
FUZZ_FLAGS    = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all -Ilib $(shell pkg-config --cflags libcjson)
FUZZ_LIBS     = $(shell pkg-config --libs libcjson)
FUZZ_NAMES   := nameplate cidr domain podman_json dns packet learn seccomp

# Sources of each target (the lib files it needs, nothing from cmd/). The
# nameplate's parser needs no podman code: the host's inventory is
# lib/host_nets.c, which no fuzzer links.
FUZZ_NP_SRC          := lib/nameplate.c lib/nameplate_ports.c lib/nameplate_workload.c lib/nameplate_uplink.c lib/addr.c lib/file.c lib/err.c
FUZZ_SRC_nameplate   := fuzz/nameplate.c $(FUZZ_NP_SRC)
FUZZ_SRC_domain      := fuzz/domain.c $(FUZZ_NP_SRC)
FUZZ_SRC_cidr        := fuzz/cidr.c lib/addr.c lib/err.c
FUZZ_SRC_podman_json := fuzz/podman_json.c lib/podman.c lib/addr.c lib/err.c
FUZZ_SRC_dns         := fuzz/dns.c lib/dns.c
FUZZ_SRC_packet      := fuzz/packet.c lib/dns_packet.c
FUZZ_SRC_seccomp     := fuzz/seccomp.c lib/seccomp.c lib/json.c lib/file.c lib/err.c
FUZZ_SRC_learn       := fuzz/learn.c lib/learn.c lib/learn_expiry.c lib/dns.c $(FUZZ_NP_SRC)
# Options of each run.
FUZZ_OPT_nameplate   := -max_len=8192 -dict=fuzz/nameplate.dict
FUZZ_OPT_domain      := -max_len=600
FUZZ_OPT_cidr        := -max_len=64
FUZZ_OPT_podman_json := -max_len=16384 -dict=fuzz/podman_json.dict
FUZZ_OPT_dns         := -max_len=4096
FUZZ_OPT_packet      := -max_len=1600
FUZZ_OPT_learn       := -max_len=4096
FUZZ_OPT_seccomp     := -max_len=8192 -dict=fuzz/seccomp.dict

FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz-%)

# fuzz-run-<t> are not .PHONY on purpose: make skips pattern rules for
# phony targets (and no file of that name is ever made).
.PHONY: fuzz fuzz-build
fuzz: $(FUZZ_NAMES:%=fuzz-run-%)
fuzz-build: $(FUZZ_BIN)

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz-%: $$(FUZZ_SRC_$$*) $(wildcard lib/*.h) mk/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRC_$*) $(FUZZ_LIBS)

fuzz-run-%: $(FUZZ_DIR)/fuzz-%
	@mkdir -p $(FUZZ_DIR)/corpus-$*
	@echo "fuzz $*: $(FUZZ_SECONDS) s"
	@$(FUZZ_DIR)/fuzz-$* $(FUZZ_OPT_$*) -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus-$* $(wildcard fuzz/corpus/$*) \
	  >$(FUZZ_DIR)/fuzz-$*.log 2>&1 || { tail -40 $(FUZZ_DIR)/fuzz-$*.log; exit 1; }
	@grep -E '^Done ' $(FUZZ_DIR)/fuzz-$*.log

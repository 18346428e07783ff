# Build cmd/ and lib/ (librb.a). `make SAN=1` builds with ASan+UBSan into
# build-san/, which is what the sanitizer pass of CI runs the tests with.

PKGS     := libnl-3.0 libnl-route-3.0 libiptc libcjson libipset libnftables libnetfilter_queue libnetfilter_log libmnl
CC       ?= cc
SAN      ?= 0
ifeq ($(SAN),1)
BUILD    := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD    := build
SANFLAGS :=
endif
RB_BIN   := $(BUILD)/bin
CFLAGS   ?= -O2 -g
RB_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
            -Wno-missing-field-initializers -Ilib $(SANFLAGS) \
            $(shell pkg-config --cflags $(PKGS))
# --as-needed: each command links only what it uses (rb-sentryd goes into
# the sentry image with its few libraries)
RB_LIBS   = -Wl,--as-needed $(shell pkg-config --libs $(PKGS))

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
CMDS     := $(patsubst cmd/%.c,%,$(sort $(wildcard cmd/rb-*.c)))
CMD_BIN  := $(CMDS:%=$(RB_BIN)/%)

# Small programs the tests run against lib/ (test/c/NAME.c ->
# $(BUILD)/test/NAME), built with the same flags as the commands.
TEST_SRC := $(sort $(wildcard test/c/*.c))
TEST_BIN := $(TEST_SRC:test/c/%.c=$(BUILD)/test/%)

.PHONY: all clean lint test-helpers
all: $(CMD_BIN)
test-helpers: $(TEST_BIN)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) mk/build.mk
	@mkdir -p $(@D)
	$(CC) $(RB_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/librb.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(RB_BIN)/%: cmd/%.c $(BUILD)/librb.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(RB_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/librb.a $(RB_LIBS) $(SANFLAGS)

$(BUILD)/test/%: test/c/%.c $(BUILD)/librb.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(RB_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/librb.a $(RB_LIBS) $(SANFLAGS)

# Static analysis: both tools must be clean (CI runs this in `make check`).
# clang-tidy runs once per file (several files in one run give false
# va_list reports) and only again when the file or a header changed.
TIDY_SRC  := $(LIB_SRC) $(wildcard cmd/*.c) $(TEST_SRC)
TIDY_OK   := $(TIDY_SRC:%.c=build/lint/%.ok)
TIDY_ARGS  = $(filter-out -fsanitize% -fno-sanitize%,$(RB_CFLAGS))

lint: cppcheck $(TIDY_OK)

# cppcheck >= 2.11 stops following branches past a limit unless told to go on,
# and says so as "information" that --error-exitcode counts: ask for the full
# analysis where the option exists (2.10, Debian 12's, always does it).
CPPCHECK_LEVEL := $(shell cppcheck --help 2>/dev/null | grep -q -- --check-level && echo --check-level=exhaustive)
# One job per core: the exhaustive analysis is minutes of one core otherwise.
LINT_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
.PHONY: cppcheck
cppcheck:
	cppcheck -j $(LINT_JOBS) --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance $(CPPCHECK_LEVEL) \
	  --suppress=missingIncludeSystem --inline-suppr -Ilib lib cmd fuzz test/c

build/lint/%.ok: %.c $(wildcard lib/*.h) .clang-tidy
	@mkdir -p $(@D)
	@clang-tidy --quiet $< -- $(TIDY_ARGS) 2>/dev/null >$@.log || { cat $@.log; exit 1; }
	@touch $@

clean:
	rm -rf build build-san

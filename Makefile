# rb: confine a bottle container behind a sentry container and prove it.
# Every target is in a fragment under mk/; `make help` lists them.
# `make install` puts a copy that runs bottles without this tree under
# $(PREFIX)/share/rb (mk/install.mk, mk/installed.mk).

.DEFAULT_GOAL := all
SHELL := /bin/bash
NAMEPLATE ?= nsproto
# Where the runtime fragments find their scripts and nameplates.
RB_HOME := .

include mk/build.mk
include mk/deps.mk
include mk/remote.mk
include mk/images.mk
include mk/world.mk
include mk/bottle.mk
include mk/ztest.mk
include mk/check.mk
include mk/vm.mk
include mk/bench.mk
include mk/fuzz.mk
include mk/install.mk
include mk/help.mk

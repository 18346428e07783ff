# Container images, built offline from Debian packages, cached by recipe hash.
.PHONY: images
# The sentry image gets rb-sentryd built without sanitizers (the image has
# no ASan runtime), whatever SAN says, and rb-tools (mk/remote.sh) the
# other commands the same way; an installed copy (mk/installed.mk) brings
# its commands ready-built.
RB_SENTRYD ?= build/bin/rb-sentryd
RB_TOOLS_BIN ?= build/bin
images:
ifndef RB_INSTALLED
	$(MAKE) --no-print-directory SAN=0 build/bin/rb-sentryd build/bin/rb-net-create build/bin/rb-fw-apply build/bin/rb-verify
endif
	RB_SENTRYD=$(RB_SENTRYD) RB_TOOLS_BIN=$(RB_TOOLS_BIN) bash $(RB_HOME)/mk/images.sh

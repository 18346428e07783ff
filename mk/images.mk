# Container images, built offline from Debian packages, cached by recipe hash.
.PHONY: images
# The sentry image gets rb-sentryd built without sanitizers (the image has
# no ASan runtime), whatever SAN says; an installed copy (mk/installed.mk)
# brings its rb-sentryd ready-built.
RB_SENTRYD ?= build/bin/rb-sentryd
images:
ifndef RB_INSTALLED
	$(MAKE) --no-print-directory SAN=0 build/bin/rb-sentryd
endif
	RB_SENTRYD=$(RB_SENTRYD) bash $(RB_HOME)/mk/images.sh

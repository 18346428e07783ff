# Container images, built offline from Debian packages, cached by recipe hash.
.PHONY: images
# The sentry image gets rb-sentryd built without sanitizers (the image has
# no ASan runtime), whatever SAN says.
images:
	$(MAKE) --no-print-directory SAN=0 build/bin/rb-sentryd
	RB_SENTRYD=build/bin/rb-sentryd bash mk/images.sh

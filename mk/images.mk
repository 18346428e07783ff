# Container images, built offline from Debian packages, cached by recipe hash.
.PHONY: images
images:
	bash mk/images.sh

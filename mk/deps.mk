# make deps: install and configure what a fresh Debian 12 host needs (idempotent).
.PHONY: deps
deps:
	bash mk/deps.sh

# make help: what each target does (an installed copy has only the targets
# that run bottles: it builds and tests nothing).
.PHONY: help
help:
	@echo 'rb: confine a bottle container behind a sentry container, and prove it'
	@echo
ifndef RB_INSTALLED
	@echo '  make deps             install and configure what this Debian host needs (idempotent)'
	@echo '  make                  build cmd/ (rb-net-create, rb-fw-apply, rb-verify, rb-sentryd) into $(RB_BIN)'
	@echo '  make check            the whole test suite (what CI runs); SAN=1 for ASan+UBSan,'
	@echo '                       RB_FW_BACKEND=nft|xtables|auto for the firewall backend (also bottle-*)'
	@echo '  make test-helpers     the test programs of test/c/ (make check builds them)'
	@echo '  make lint             cppcheck and clang-tidy'
	@echo '  make fuzz             run every libFuzzer target for FUZZ_SECONDS (default 60) each'
	@echo '  make install          commands, man pages and a copy that runs bottles (PREFIX, DESTDIR)'
	@echo '  make uninstall        remove what make install put there'
endif
	@echo '  make images           build localhost/rb-{sentry,bottle,world} offline from Debian packages'
	@echo '  make world-start      start the simulated internet (tests never leave this machine)'
	@echo '  make world-stop       stop it and remove everything it created'
	@echo '  make bottle-check     validate NAMEPLATE against this host, touch nothing'
	@echo '  make bottle-start     start NAMEPLATE (default nsproto): enclave, sentry, policy, bottle'
	@echo '  make bottle-stop      remove NAMEPLATE: containers, network, rules, run files'
	@echo '  make bottle-status    show what of NAMEPLATE is running'
	@echo '  make bottle-verify    rb-verify: rules, routes, resolver, and real probes from the bottle'
	@echo '  make bottle-reapply   re-run routes and policy (e.g. after the sentry restarted)'
	@echo '  make bottle-shell     an interactive shell in the bottle, as its uid'
	@echo "  make bottle-exec CMD='...'  run a command line in the bottle (its /bin/sh), as its uid"
	@echo '  make bottle-logs      the bottle command'"'"'s output; FOLLOW=1 keeps following'
	@echo '  make bottle-attach    the bottle command'"'"'s terminal (RBRN_BOTTLE_TTY=1); Ctrl-P Ctrl-Q detaches'
	@echo '  make bottle-log       what the sentry denied (FOLLOW=1, JSON=1); bottle-suggest: lines that allow it'
	@echo '  make bottle-list      every started bottle and its state (policy, resolver, learner)'
	@echo '  make bottle-nameplates N=.. DIR=..  N nameplates from TEMPLATE (default NAMEPLATE), own subnets and ports'
	@echo '  make ztest            start world and bottle, run every ztest, stop the bottle'
	@echo '  make ztest_bottle_dns_block (and ztest_bottle_<name>)  one ztest on a started bottle'
ifndef RB_INSTALLED
	@echo '  make bench            benchmarks, side by side with the alternatives (writes bench/RESULTS.md)'
	@echo '  make bench-one BENCH=live   one section alone (bench/live.sh), printed only'
endif
	@echo '  make help             this list'
	@echo
	@echo 'Variables: NAMEPLATE=<moniker or path>, any RBRN_*=value overrides the nameplate.'
ifdef RB_INSTALLED
	@echo 'This copy: $(RB_HOME); commands in $(RB_BIN); man rb-make, rb-nameplate.'
endif

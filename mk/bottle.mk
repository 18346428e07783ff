# Bottle life cycle for NAMEPLATE (default nsproto). Any RBRN_* given on the
# make command line overrides the nameplate (make exports it to the commands).
# NAMEPLATE is a moniker (RB_NAMEPLATES/<moniker>.mk) or a path (with a /
# or ending in .mk); mk/bottle.sh and mk/ztest.sh resolve it the same way.
RB_NAMEPLATES ?= $(RB_HOME)/nameplates
rb_nameplate = $(if $(or $(findstring /,$1),$(filter %.mk,$1)),$1,$(RB_NAMEPLATES)/$1.mk)
BOTTLE_SH = RB_BIN=$(RB_BIN) RB_NAMEPLATES=$(RB_NAMEPLATES) bash $(RB_HOME)/mk/bottle.sh
.PHONY: bottle-start bottle-stop bottle-status bottle-verify bottle-reapply \
	bottle-shell bottle-exec bottle-logs bottle-attach bottle-log bottle-suggest bottle-check \
	bottle-list bottle-nameplates
bottle-start: $(RB_BUILT)
	$(BOTTLE_SH) start $(NAMEPLATE)
bottle-stop: $(RB_BUILT)
	$(BOTTLE_SH) stop $(NAMEPLATE)
bottle-status: $(RB_BUILT)
	$(BOTTLE_SH) status $(NAMEPLATE)
bottle-reapply: $(RB_BUILT)
	$(BOTTLE_SH) reapply $(NAMEPLATE)
bottle-verify: $(RB_BUILT)
	$(call rb_cmd,rb-verify) --nameplate $(call rb_nameplate,$(NAMEPLATE))
# Validates the nameplate against this host (its podman networks and
# routes) and touches nothing: for a nameplate of one's own.
bottle-check: $(RB_BUILT)
	$(call rb_cmd,rb-net-create) --check --nameplate $(call rb_nameplate,$(NAMEPLATE))
# CMD and FOLLOW reach mk/bottle.sh through the environment (make exports
# command-line variables), never pasted into a recipe's shell line.
bottle-shell: $(RB_BUILT)
	$(BOTTLE_SH) shell $(NAMEPLATE)
bottle-exec: $(RB_BUILT)
	$(BOTTLE_SH) exec $(NAMEPLATE)
bottle-logs: $(RB_BUILT)
	$(BOTTLE_SH) logs $(NAMEPLATE)
# The command's terminal (RBRN_BOTTLE_TTY=1); Ctrl-P Ctrl-Q detaches.
bottle-attach: $(RB_BUILT)
	$(BOTTLE_SH) attach $(NAMEPLATE)
# The denial log: a table (FOLLOW=1 follows it, JSON=1 prints the JSON
# lines), and the nameplate lines that would have allowed what was denied.
bottle-log: $(RB_BUILT)
	$(BOTTLE_SH) log $(NAMEPLATE) $(if $(filter 1,$(FOLLOW)),--follow) $(if $(filter 1,$(JSON)),--json)
bottle-suggest: $(RB_BUILT)
	$(BOTTLE_SH) suggest $(NAMEPLATE)
# Every started bottle with its state, like podman ps (exit 3 when any
# is not up with its policy in force).
bottle-list: $(RB_BUILT)
	$(BOTTLE_SH) list
# N nameplates made from TEMPLATE (default NAMEPLATE) into DIR, each with
# its own moniker (PREFIX01..), enclave /24 of SUBNETS and entry port.
bottle-nameplates: $(RB_BUILT)
	RB_BIN=$(RB_BIN) bash $(RB_HOME)/mk/nameplates.sh "$(call rb_nameplate,$(or $(TEMPLATE),$(NAMEPLATE)))" \
		"$(DIR)" "$(N)" $(PREFIX) $(SUBNETS) $(ENTRY_BASE)

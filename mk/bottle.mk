# Bottle life cycle for NAMEPLATE (default nsproto). Any RBRN_* given on the
# make command line overrides the nameplate (make exports it to the commands).
.PHONY: bottle-start bottle-stop bottle-status bottle-verify bottle-reapply \
	bottle-shell bottle-exec bottle-logs bottle-log bottle-suggest
bottle-start: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh start $(NAMEPLATE)
bottle-stop: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh stop $(NAMEPLATE)
bottle-status: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh status $(NAMEPLATE)
bottle-reapply: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh reapply $(NAMEPLATE)
bottle-verify: all
	$(RB_BIN)/rb-verify --nameplate $(if $(findstring /,$(NAMEPLATE)),$(NAMEPLATE),nameplates/$(NAMEPLATE).mk)
# CMD and FOLLOW reach mk/bottle.sh through the environment (make exports
# command-line variables), never pasted into a recipe's shell line.
bottle-shell: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh shell $(NAMEPLATE)
bottle-exec: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh exec $(NAMEPLATE)
bottle-logs: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh logs $(NAMEPLATE)
# The denial log: a table (FOLLOW=1 follows it, JSON=1 prints the JSON
# lines), and the nameplate lines that would have allowed what was denied.
bottle-log: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh log $(NAMEPLATE) $(if $(filter 1,$(FOLLOW)),--follow) $(if $(filter 1,$(JSON)),--json)
bottle-suggest: all
	RB_BIN=$(RB_BIN) bash mk/bottle.sh suggest $(NAMEPLATE)

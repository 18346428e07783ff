# ztests: the RBM prototype's in-bottle checks (docs/design.md) against the
# simulated world.
# `make ztest` brings the world and the bottle up, runs them all, and takes
# the bottle down again whatever happened; a single ztest_bottle_* target
# runs against an already started bottle (make world-start bottle-start).
.PHONY: ztest
ZTEST_SH = RB_BIN=$(RB_BIN) RB_NAMEPLATES=$(RB_NAMEPLATES) bash $(RB_HOME)/mk/ztest.sh
ztest: $(RB_BUILT) $(if $(filter remote,$(RB_MODE)),,images)
	@bash $(RB_HOME)/mk/world.sh start
	@$(BOTTLE_SH) start $(NAMEPLATE)
	@$(ZTEST_SH) all $(NAMEPLATE); rc=$$?; \
	  $(BOTTLE_SH) stop $(NAMEPLATE); exit $$rc

ztest_bottle_%: $(RB_BUILT)
	@$(ZTEST_SH) $@ $(NAMEPLATE)

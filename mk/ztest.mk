# ztests: the seeds' in-bottle checks against the simulated world.
# `make ztest` brings the world and the bottle up, runs them all, and takes
# the bottle down again whatever happened; a single ztest_bottle_* target
# runs against an already started bottle (make world-start bottle-start).
.PHONY: ztest
ztest: all images
	@bash mk/world.sh start
	@RB_BIN=$(RB_BIN) bash mk/bottle.sh start $(NAMEPLATE)
	@RB_BIN=$(RB_BIN) bash mk/ztest.sh all $(NAMEPLATE); rc=$$?; \
	  RB_BIN=$(RB_BIN) bash mk/bottle.sh stop $(NAMEPLATE); exit $$rc

ztest_bottle_%: all
	@RB_BIN=$(RB_BIN) bash mk/ztest.sh $@ $(NAMEPLATE)

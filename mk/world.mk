# The simulated world (docs/design.md): the test uplink, never the internet.
.PHONY: world-start world-stop world-status
world-start: $(if $(filter remote,$(RB_MODE)),,images)
	bash $(RB_HOME)/mk/world.sh start
world-stop:
	bash $(RB_HOME)/mk/world.sh stop
world-status:
	bash $(RB_HOME)/mk/world.sh status

# The simulated world (DESIGN.md): the test uplink, never the internet.
.PHONY: world-start world-stop world-status
world-start: images
	bash mk/world.sh start
world-stop:
	bash mk/world.sh stop
world-status:
	bash mk/world.sh status

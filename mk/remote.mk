# Local or remote podman (mk/remote.sh): a podman client's bottle, world and
# ztest targets run rb's commands in the rb-tools container on the podman
# host and build nothing here. Asked only for those targets, once per make
# (mk/remote.sh caches podman's answer), and handed to the scripts.
RB_MODE := $(if $(filter bottle-% world-% ztest%,$(MAKECMDGOALS)),$(shell bash $(RB_HOME)/mk/remote.sh mode),local)
ifeq ($(RB_MODE),)
$(error cannot tell whether podman is local or remote (above); RB_REMOTE=0 or 1 decides)
endif
export RB_MODE
# What a bottle target needs built: rb's commands here, or nothing.
RB_BUILT := $(if $(filter remote,$(RB_MODE)),,all)
# One of rb's commands: this build's, or rb-tools' on the podman host.
rb_cmd = $(if $(filter remote,$(RB_MODE)),bash $(RB_HOME)/mk/remote.sh tool $1,$(RB_BIN)/$1)

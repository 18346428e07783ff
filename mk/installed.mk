# rb, as `make install` put it: the Makefile of $(PREFIX)/share/rb. It runs
# the images, the simulated world and the bottles' life cycle from this
# copy, from any directory, and builds nothing:
#   make -f /usr/local/share/rb/Makefile bottle-start NAMEPLATE=nsproto
#   rb-make bottle-start NAMEPLATE=/etc/rb/mine.mk      (the same)
# The commands are found relative to this file (paths fixed at install; the
# environment's RB_BIN does not count, the command line does), so
# a DESTDIR staging tree runs as well as the final place.

.DEFAULT_GOAL := help
SHELL := /bin/bash
NAMEPLATE ?= nsproto
RB_INSTALLED := 1
RB_HOME := $(abspath $(realpath $(lastword $(MAKEFILE_LIST)))/..)
RB_BIN := $(abspath $(RB_HOME)/@RB_BIN_REL@)
RB_SENTRYD := $(abspath $(RB_HOME)/@RB_SENTRYD_REL@)
RB_TOOLS_BIN := $(RB_BIN)

# Nothing to build: the commands are installed.
.PHONY: all
all:

include $(RB_HOME)/mk/remote.mk
include $(RB_HOME)/mk/images.mk
include $(RB_HOME)/mk/world.mk
include $(RB_HOME)/mk/bottle.mk
include $(RB_HOME)/mk/ztest.mk
include $(RB_HOME)/mk/help.mk

# make install / make uninstall: PREFIX (default /usr/local) and DESTDIR for
# staging, with sbindir, libexecdir, datadir and mandir as in the GNU coding
# standards (a Debian package passes libexecdir=/usr/lib). Installs the build
# of SAN (0 unless told). What goes where, and why:
#   $(sbindir)        rb-net-create, rb-fw-apply, rb-verify (root's tools) and
#                     rb-make, which runs the make targets of the copy below
#   $(libexecdir)/rb  rb-sentryd: PID 1 of the sentry image, never run on the host
#   $(datadir)/rb     a Makefile (mk/installed.mk) that builds nothing, the
#                     runtime fragments and scripts of mk/, the example nameplates
#   $(mandir)         man/*.5 and man/*.8
# uninstall removes exactly the files install writes, then rb's own
# directories if they are empty; never sbindir or mandir themselves.
PREFIX     ?= /usr/local
sbindir    ?= $(PREFIX)/sbin
libexecdir ?= $(PREFIX)/libexec
datadir    ?= $(PREFIX)/share
mandir     ?= $(datadir)/man
RB_SHARE    = $(datadir)/rb
RB_LIBEXEC  = $(libexecdir)/rb

INST_CMDS    := rb-net-create rb-fw-apply rb-verify
INST_MK      := mk/remote.mk mk/images.mk mk/world.mk mk/bottle.mk mk/ztest.mk mk/help.mk
INST_SCRIPTS := mk/bottle.sh mk/denials.sh mk/images.sh mk/nameplates.sh mk/release.sh mk/remote.sh mk/world.sh mk/world-init.sh mk/ztest.sh
INST_NP      := $(sort $(wildcard nameplates/*.mk))
INST_MAN5    := $(sort $(wildcard man/*.5))
INST_MAN8    := $(sort $(wildcard man/*.8))

INST_FILES = $(INST_CMDS:%=$(sbindir)/%) $(sbindir)/rb-make $(RB_LIBEXEC)/rb-sentryd \
	$(RB_SHARE)/Makefile $(INST_MK:%=$(RB_SHARE)/%) $(INST_SCRIPTS:%=$(RB_SHARE)/%) \
	$(INST_NP:%=$(RB_SHARE)/%) $(INST_MAN5:man/%=$(mandir)/man5/%) \
	$(INST_MAN8:man/%=$(mandir)/man8/%)
INST_DIRS  = $(RB_SHARE)/mk $(RB_SHARE)/nameplates $(RB_SHARE) $(RB_LIBEXEC)

# The installed copy finds its parts relative to itself, so the paths are
# lexical (-s): what the packager named, not where this host's symlinks lead.
rb_relpath = $(shell realpath -s -m --relative-to=$1 $2)

.PHONY: install uninstall install-list
install: all
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(RB_LIBEXEC) $(DESTDIR)$(RB_SHARE)/mk \
	  $(DESTDIR)$(RB_SHARE)/nameplates $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8
	install -m 0755 $(INST_CMDS:%=$(RB_BIN)/%) $(DESTDIR)$(sbindir)/
	install -m 0755 $(RB_BIN)/rb-sentryd $(DESTDIR)$(RB_LIBEXEC)/
	sed 's|@RB_SHARE_REL@|$(call rb_relpath,$(sbindir),$(RB_SHARE))|' mk/rb-make.in >$(DESTDIR)$(sbindir)/rb-make
	chmod 0755 $(DESTDIR)$(sbindir)/rb-make
	sed -e 's|@RB_BIN_REL@|$(call rb_relpath,$(RB_SHARE),$(sbindir))|' \
	  -e 's|@RB_SENTRYD_REL@|$(call rb_relpath,$(RB_SHARE),$(RB_LIBEXEC))/rb-sentryd|' \
	  mk/installed.mk >$(DESTDIR)$(RB_SHARE)/Makefile
	chmod 0644 $(DESTDIR)$(RB_SHARE)/Makefile
	install -m 0644 $(INST_MK) $(DESTDIR)$(RB_SHARE)/mk/
	install -m 0755 $(INST_SCRIPTS) $(DESTDIR)$(RB_SHARE)/mk/
	install -m 0644 $(INST_NP) $(DESTDIR)$(RB_SHARE)/nameplates/
	install -m 0644 $(INST_MAN5) $(DESTDIR)$(mandir)/man5/
	install -m 0644 $(INST_MAN8) $(DESTDIR)$(mandir)/man8/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INST_FILES))
	@for d in $(addprefix $(DESTDIR),$(INST_DIRS)); do \
	  [ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; done

# What install writes, one path a line (for packagers and test/007).
install-list:
	@printf '%s\n' $(INST_FILES)

# convened: plain Makefile, pkg-config for every library.
#   make                 ./convened
#   make SANITIZE=1      ASan + UBSan build (objects kept apart in build/san)
#   make check           install missing packages, build, run every test
#   make demo            install missing packages, build, run the demo
#   make install         PREFIX/DESTDIR; never overwrites an existing config

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d

CC      ?= cc
PKG_CONFIG ?= pkg-config
PKGS     = libcurl libical sqlite3 inih gmime-3.0 libsystemd jansson libgit2
# Compiled against, not linked: opened when first needed (daemon/dynlib.h).
LAZYPKGS = libical gmime-3.0 libsystemd libgit2
LINKPKGS = $(filter-out $(LAZYPKGS),$(PKGS)) glib-2.0
TESTPKGS = cmocka

CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes \
           -Wstrict-prototypes -Wpointer-arith -Wundef -Wvla
ifeq ($(DEVELOPER),1)
WARN    += -Werror
endif
STD      = -std=c11 -D_GNU_SOURCE

ifeq ($(SANITIZE),1)
BUILD    = build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD    = build/plain
SANFLAGS =
endif

# Recursively expanded on purpose: pkg-config runs when a recipe needs it,
# after `make deps` has had the chance to install what was missing.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(LINKPKGS))
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TESTPKGS))
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(TESTPKGS))

ALL_CFLAGS = $(STD) $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) \
             -DCONVENED_DATADIR='"$(DATADIR)/convened"' \
             -DCONVENED_SYSCONFDIR='"$(SYSCONFDIR)/convened"' -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

SRCS    = $(sort $(wildcard daemon/*.c))
OBJS    = $(SRCS:daemon/%.c=$(BUILD)/%.o)
LIBOBJS = $(filter-out $(BUILD)/main.o,$(OBJS))
TESTSRC = $(sort $(wildcard tests/unit/test_*.c))
TESTS   = $(TESTSRC:tests/unit/%.c=$(BUILD)/tests/%)
# cmocka programs that start real servers: the integration tier
ITESTSRC = $(sort $(wildcard tests/integration/test_*.c))
ITESTS   = $(ITESTSRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
TESTDIR  = $(BUILD)/tests/integration

.PHONY: all deps deps-test deps-demo check test unit integration demo install uninstall clean lint \
        bench soak

all: convened

# A rename, not a copy over: a running ./convened (a test, the demo) keeps
# its file, and cp would fail with ETXTBSY.
convened: $(BUILD)/convened
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/convened: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

$(BUILD)/%.o: daemon/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# What several tests share (tests/lib), and the fuzz targets' work on one
# input (fuzz/harness.c) for test_regress, built once per flavour.
$(BUILD)/tests/testlib.o: tests/lib/testlib.c | $(TESTDIR)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Idaemon -Ifuzz -c -o $@ $<

$(BUILD)/tests/harness.o: fuzz/harness.c | $(TESTDIR)
	$(CC) $(ALL_CFLAGS) -Idaemon -c -o $@ $<

TESTOBJS = $(BUILD)/tests/testlib.o $(BUILD)/tests/harness.o $(LIBOBJS)
# A test program is its source and the objects it depends on.
LINK_TEST = $(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Idaemon -Itests/lib -Ifuzz \
	    -o $@ $< $(filter %.o,$^) $(ALL_LDFLAGS) $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TESTOBJS) | $(TESTDIR)
	$(LINK_TEST)

$(BUILD)/tests/integration/%: tests/integration/%.c $(TESTOBJS) | $(TESTDIR)
	$(LINK_TEST)

# test_outbox talks to a fake SMTP server: tests/lib/fake_smtp.c stands in
# for smtp.o (smtp.h is the door) in that one binary; the others link the
# real objects.
$(BUILD)/tests/fake_smtp.o: tests/lib/fake_smtp.c | $(TESTDIR)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Idaemon -c -o $@ $<

OUTBOX_TEST_OBJS = $(filter-out $(BUILD)/smtp.o,$(TESTOBJS)) \
                   $(BUILD)/tests/fake_smtp.o

$(BUILD)/tests/test_outbox: tests/unit/test_outbox.c $(OUTBOX_TEST_OBJS) | $(TESTDIR)
	$(LINK_TEST)

$(BUILD) $(TESTDIR):
	mkdir -p $(TESTDIR)

-include $(OBJS:.o=.d) $(TESTS:=.d) $(ITESTS:=.d) \
    $(BUILD)/tests/testlib.d $(BUILD)/tests/harness.d \
    $(BUILD)/tests/fake_smtp.d

# The binary is rebuilt when the flavour changes: ./convened is a copy.
.PHONY: FORCE
convened: FORCE

deps:
	sh scripts/deps.sh build

deps-test:
	sh scripts/deps.sh test

deps-demo:
	sh scripts/deps.sh demo

# build the test programs (tests/run.sh runs them)
unit: convened $(TESTS)

integration: convened $(ITESTS)

test: unit integration
	BUILD=$(BUILD) sh tests/run.sh

check: deps-test
	$(MAKE) unit integration
	BUILD=$(BUILD) sh tests/run.sh

demo: deps-demo
	$(MAKE) convened
	sh scripts/demo.sh

# convened against msmtp, smtplib, smtp-source and mbsync on loopback:
# prints a table and writes bench/RESULTS.md (bench/bench.py says how)
bench:
	sh scripts/deps.sh bench
	$(MAKE) convened
	/usr/bin/python3 bench/bench.py

# Ten simulated years of the example configuration by mail: the state's
# size and the cycle time year by year, written to bench/SOAK.md (about a
# quarter of an hour; not part of check)
soak: deps-demo
	$(MAKE) convened
	/usr/bin/python3 bench/soak.py

lint:
	@! grep -nE '\<(sprintf|strtok|strncpy|strcpy|strcat|gets)[[:space:]]*\(' daemon/*.c \
	    tests/*/*.c fuzz/*.c
	@! grep -nE '.{101,}' daemon/*.c daemon/*.h

install: convened
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/convened/templates
	install -m 0755 convened $(DESTDIR)$(BINDIR)/convened
	for d in templates/*/; do \
	    install -d $(DESTDIR)$(DATADIR)/convened/$$d; \
	    for f in $$d*.txt; do [ -f "$$f" ] && install -m 0644 $$f $(DESTDIR)$(DATADIR)/convened/$$f; done; \
	done; true
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 man/convened.8 $(DESTDIR)$(MANDIR)/man8/convened.8
	install -m 0644 man/convened.ini.5 $(DESTDIR)$(MANDIR)/man5/convened.ini.5
	@# The unit names the binary where this install puts it.
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	sed 's#@BINDIR@#$(BINDIR)#g' contrib/systemd/convened.service.in \
	    > $(DESTDIR)$(UNITDIR)/convened.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/convened.service
	install -m 0644 contrib/systemd/convened.sysusers $(DESTDIR)$(SYSUSERSDIR)/convened.conf
	install -m 0644 contrib/systemd/convened.tmpfiles $(DESTDIR)$(TMPFILESDIR)/convened.conf
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/convened/groups.d
	@# An administrator's configuration is never replaced.
	[ -e $(DESTDIR)$(SYSCONFDIR)/convened/convened.ini ] || \
	    sed 's#^templates = .*#templates = $(DATADIR)/convened/templates#' \
	    config/convened.ini > $(DESTDIR)$(SYSCONFDIR)/convened/convened.ini
	@# Group files and the draft agendas they name (agenda = *.txt).
	for f in config/groups.d/*.ini config/groups.d/*.txt; do \
	    [ -f "$$f" ] || continue; \
	    t=$(DESTDIR)$(SYSCONFDIR)/convened/groups.d/$${f##*/}; \
	    [ -e "$$t" ] || install -m 0644 $$f $$t; \
	done
	@[ -n "$(DESTDIR)" ] || echo "next: systemd-sysusers; systemd-tmpfiles --create" \
	    "convened.conf; put the passwords in $(SYSCONFDIR)/convened/imap.pass and" \
	    "smtp.pass (mode 0600); systemctl daemon-reload; systemctl enable --now convened"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/convened
	rm -rf $(DESTDIR)$(DATADIR)/convened
	rm -f $(DESTDIR)$(MANDIR)/man8/convened.8 $(DESTDIR)$(MANDIR)/man5/convened.ini.5
	rm -f $(DESTDIR)$(UNITDIR)/convened.service
	rm -f $(DESTDIR)$(SYSUSERSDIR)/convened.conf $(DESTDIR)$(TMPFILESDIR)/convened.conf
	@# In a staging tree (DESTDIR) the directories left empty go too; on
	@# the live system they belong to the distribution and stay.
	@if [ -n "$(DESTDIR)" ]; then \
	    for d in $(BINDIR) $(DATADIR) $(MANDIR)/man8 $(MANDIR)/man5 \
	        $(UNITDIR) $(SYSUSERSDIR) $(TMPFILESDIR); do \
	        while [ -n "$$d" ] && rmdir "$(DESTDIR)$$d" 2>/dev/null; do \
	            d=$${d%/*}; \
	        done; \
	    done; \
	fi
	@echo "configuration in $(DESTDIR)$(SYSCONFDIR)/convened left in place"

clean:
	rm -rf build convened
include mk/fuzz.mk

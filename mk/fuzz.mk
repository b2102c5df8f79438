# mk/fuzz.mk: libFuzzer targets (included at the end of the Makefile).
#   make fuzz                         install clang if missing, build, run
#                                     every target FUZZ_SECONDS (300) each
#   make fuzz FUZZ_SECONDS=20         the short pass CI runs
#   make fuzz FUZZ_TARGETS=config     one target only
#   make fuzz FUZZ_JOBS=2             two targets at a time
#   make fuzz-build                   build only: build/fuzz/fuzz_<target>
# The daemon objects are compiled again with clang, coverage and ASan +
# UBSan into build/fuzz (main.o left out, as for the unit tests); each
# target is fuzz/fuzz_<target>.c, which names its part of fuzz/harness.c
# for fuzz/entry.c (the harness is test_regress's too).  fuzz/run.sh runs
# them, seeds them from the project's test data and ../shared/fixtures
# (read in place), keeps what they find in build/fuzz/corpus/<target>,
# crashing inputs in build/fuzz/artifacts/<target>, and exits 1 when any
# target crashed, leaked or timed out.  A crash gets a test in
# tests/unit/test_regress.c: its input in tests/data/regress/.

FUZZ_CC      ?= clang
FUZZ_BUILD    = build/fuzz
FUZZ_SECONDS ?= 300
FUZZ_JOBS    ?= 1
FUZZ_ALL      = classify config template
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
# clang, unlike gcc, warns of a vprintf-style call inside a function that
# carries the format attribute itself (log.c): that one is not wanted.
FUZZ_CFLAGS   = $(STD) $(WARN) -Wno-format-nonliteral -O1 -g $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link $(PKG_CFLAGS) \
                -DCONVENED_DATADIR='"$(DATADIR)/convened"' \
                -DCONVENED_SYSCONFDIR='"$(SYSCONFDIR)/convened"' -MMD -MP
FUZZ_OBJS     = $(filter-out $(FUZZ_BUILD)/main.o,\
                $(SRCS:daemon/%.c=$(FUZZ_BUILD)/%.o)) \
                $(FUZZ_BUILD)/harness.o $(FUZZ_BUILD)/entry.o
FUZZ_BINS     = $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-build deps-fuzz
# Built by a pattern rule for another one: kept, not intermediate.
.SECONDARY: $(FUZZ_OBJS)

deps-fuzz:
	sh scripts/deps.sh fuzz

fuzz: deps-fuzz
	$(MAKE) fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
	    sh fuzz/run.sh $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/%.o: daemon/%.c | $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/%.o: fuzz/%.c | $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Idaemon -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJS) | $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Idaemon -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_OBJS) $(LDFLAGS) $(PKG_LIBS)

$(FUZZ_BUILD):
	mkdir -p $(FUZZ_BUILD)

-include $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d)

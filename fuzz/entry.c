/* entry.c: libFuzzer's two entry points for one target of harness.h,
 * the one its fuzz/fuzz_<name>.c names in fuzz_target.  Its state is made
 * once and removed at exit; an input whose result is not sane aborts, so
 * that libFuzzer keeps it, after one line "fuzz_<name>: what" (fuzz/run.sh
 * shows those lines). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

extern const struct harness_target *const fuzz_target;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *state;

static void
cleanup(void)
{
	fuzz_target->done(state);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	state = fuzz_target->init();
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *bad = fuzz_target->one(state, (const char *)data, size);

	if (bad != NULL) {
		fprintf(stderr, "fuzz_%s: %s\n", fuzz_target->name, bad);
		abort();
	}
	return 0;
}

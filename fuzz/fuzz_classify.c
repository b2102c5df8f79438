/* fuzz_classify.c: libFuzzer target for the inbound path: one raw message
 * (or a bare .ics) through classify() and verdict_json().  harness.h says
 * how and what must hold; fuzz/entry.c is the rest of the program. */
#include "harness.h"

extern const struct harness_target *const fuzz_target;
const struct harness_target *const fuzz_target = &harness_classify;

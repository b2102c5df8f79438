/* fuzz_template.c: libFuzzer target for the template checker and renderer:
 * the administrator's template of one kind through template_check() and
 * template_render().  harness.h says how and what must hold; fuzz/entry.c
 * is the rest of the program. */
#include "harness.h"

extern const struct harness_target *const fuzz_target;
const struct harness_target *const fuzz_target = &harness_template;

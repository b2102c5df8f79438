/* fuzz_config.c: libFuzzer target for the configuration parser: a global
 * file, a group file or both, through config_load() and what the daemon
 * does with a configuration.  harness.h says how and what must hold;
 * fuzz/entry.c is the rest of the program. */
#include "harness.h"

extern const struct harness_target *const fuzz_target;
const struct harness_target *const fuzz_target = &harness_config;

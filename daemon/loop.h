/* loop.h: `convened run`, the daemon. */
#ifndef CONVENED_LOOP_H
#define CONVENED_LOOP_H

/* Run until SIGTERM or SIGINT.  config is the global file; now < 0 runs
 * on the real clock, otherwise time starts at `now` and advances with the
 * real clock (for tests).  Returns an exit status (sysexits). */
int loop_run(const char *config, int verbose, long long now);

#endif

/* loop.h: `convened run`, the daemon. */
#ifndef CONVENED_LOOP_H
#define CONVENED_LOOP_H

struct config;
struct store;

/* Run until SIGTERM or SIGINT.  config is the global file; now < 0 runs
 * on the real clock, otherwise time starts at `now` and advances with the
 * real clock (for tests).  Returns an exit status (sysexits). */
int loop_run(const char *config, long long now);

/* Whether a cycle starting at monotonic second t reads mail: 1 when t has
 * reached *next_poll, which then moves to t + poll; else 0, and it stays.
 * Asked once per cycle, before it runs, so a cycle that runs past the
 * deadline leaves the next one to read mail rather than skipping it. */
int loop_poll_due(long long *next_poll, long long t, int poll);

/* The store cfg->state names, opened as the daemon and every command that
 * reads it open it: NULL when it cannot be, with the reason logged.  cfg
 * stays the caller's; the store is closed with store_close(). */
struct store *loop_open_store(const struct config *cfg);

/* The reply-token key cfg->trust_key_file names, into cfg->trust_key, as
 * the commands that send read it: made on first start when it is a path
 * (token_key_load()), with a warning when the state database was there
 * before it (a lost key voids every token in flight).  Call it before
 * the store is opened.  0, or -1 with the reason logged. */
int loop_open_key(struct config *cfg);

#endif

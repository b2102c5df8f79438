/* loop.h: `convened run`, the daemon, and how every command opens the
 * state db. */
#ifndef CONVENED_LOOP_H
#define CONVENED_LOOP_H

struct config;
struct lock;
struct store;

/* Run until SIGTERM or SIGINT.  config is the global file; now < 0 runs
 * on the real clock, otherwise time starts at `now` and advances with the
 * real clock (for tests).  init and wait_s as for loop_claim().  Returns
 * an exit status (sysexits): EX_TEMPFAIL when another process holds the
 * state's lock. */
int loop_run(const char *config, long long now, int init, int wait_s);

/* Whether a cycle starting at monotonic second t reads mail: 1 when t has
 * reached *next_poll, which then moves to t + poll; else 0, and it stays.
 * Asked once per cycle, before it runs, so a cycle that runs past the
 * deadline leaves the next one to read mail rather than skipping it. */
int loop_poll_due(long long *next_poll, long long t, int poll);

/* The store cfg->state names, opened as the daemon and every command that
 * reads it open it; cfg stays the caller's; the store is closed with
 * store_close().  NULL when it cannot be, with the reason logged and *rc
 * set to the exit status:
 *   EX_CONFIG     the file is there but is no usable convened state db
 *                 (store_probe(): empty, truncated, not SQLite, another
 *                 program's), or there is none while the repository
 *                 already holds archived records and init is 0: either
 *                 would be a fresh start that sends everything again.
 *                 Nothing on disk is changed.
 *   EX_CANTCREAT  it cannot be read, opened or created. */
struct store *loop_open_store(const struct config *cfg, int init, int *rc);

/* What `once` and `run` do before touching the state: loop_open_store()'s
 * checks, then the state's lock (lock.h; wait_s seconds at most, 0: try
 * once), then the store.  On success *lk holds the lock: the caller
 * releases it after store_close().  On failure NULL, *lk NULL, the reason
 * logged and *rc set as loop_open_store(), or EX_TEMPFAIL when another
 * process holds the lock (the line names its pid and since when). */
struct store *loop_claim(const struct config *cfg, int init, int wait_s,
        struct lock **lk, int *rc);

/* Called by long loops between items (messages sent, messages read):
 * WATCHDOG=1 to systemd, at most once every half WatchdogSec, when `run`
 * has a watchdog; otherwise nothing.  The pings stop when the loop stops
 * moving, and that is the point: a cycle stuck longer than WatchdogSec is
 * a hang that systemd ends. */
void loop_alive(void);

/* The reply-token key cfg->trust_key_file names, into cfg->trust_key, as
 * the commands that send read it: made on first start when it is a path
 * (token_key_load()), with a warning when the state database was there
 * before it (a lost key voids every token in flight).  Call it before
 * the store is opened.  0, or -1 with the reason logged. */
int loop_open_key(struct config *cfg);

#endif

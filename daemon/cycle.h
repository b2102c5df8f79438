/* cycle.h: one cycle of the daemon's work, the same for `once` and for
 * every tick of `run`, and the runner of its per-group steps. */
#ifndef CONVENED_CYCLE_H
#define CONVENED_CYCLE_H

#include <signal.h>

/* Sent and failed messages, ignored replies and old quarantines are
 * kept this long (store_prune): bounces and duplicates of them are still
 * recognised for a year and a month. */
#define CYCLE_KEEP_DAYS 400

struct config;
struct group;
struct store;

struct cycle_stats {
	int replies_read;
	int replies_applied;
	int replies_failed;     /* their own fault: tried again, counted */
	int replies_waiting;    /* for the repository or the templates */
	int quarantined;
	int replies_refused;    /* the sender may not do what they ask */
	int mail_server_down;   /* IMAP unusable this cycle */
	int store_down;         /* the state db failed, or waits for its next
	                         * try (outage.h): the cycle stopped there */
	int meetings_new, meetings_changed, meetings_cancelled;
	int queued;             /* messages put in the outbox */
	int sent, deferred, failed;
	int smtp_refused;       /* the SMTP server refused us */
	long long pending;      /* rows still waiting after the cycle */
	int groups_failed;      /* group steps rolled back */
};

/* Replies first, so that what they change (an agenda, an address that
 * bounces) goes out in this same cycle; then planning, the coordinators'
 * mail, the quota and coordination-rule warnings (quota.h) and the
 * milestones' reminders and overdue notices (milestone.h); then
 * sending; then the notices about addresses found bouncing, by a DSN or
 * by the sending itself, which are sent too; last each group's calendar
 * feed in the repository, rewritten only when it changed.
 * collect 0 skips reading mail ([imap] poll may be longer than tick).
 * stop (may be NULL) ends the cycle early between messages.  cs may be
 * NULL.  A one-line summary is logged.  Last, what no guarantee needs
 * any more is pruned (store_prune: rows older than CYCLE_KEEP_DAYS).
 *
 * The state db failing for its surroundings (busy, full, read-only: an
 * outage, outage.h) stops the cycle where it is, logged once per outage,
 * and cs->store_down is set: the next cycles are skipped until its next
 * try, with backoff, and the first whole cycle after ends the outage and
 * tells the admin.  Returns 0 then; -1 only when the state db itself is
 * broken, or failed on the data it was given (*err set, caller frees). */
int cycle_run(const struct config *, struct store *, long long now,
        int collect, volatile sig_atomic_t *stop, struct cycle_stats *cs,
        char **err);

/* What every per-group step shares: borrowed for the cycle.  A step adds
 * what it did to *cs (queued, meetings_*). */
struct cycle_ctx {
	const struct config *cfg;
	struct store *st;
	long long now;
	struct cycle_stats *cs;
};

/* A step for one group, run inside the transaction the runner holds: 0,
 * or -1 with *err set (caller frees) when the group's work cannot be
 * done this cycle. */
typedef int cycle_group_fn(const struct cycle_ctx *, const struct group *,
        char **err);

/* Run step for every group of c->cfg, in order, in one transaction, each
 * group a part of it (store_part_begin()) that is kept or undone alone.
 * A group whose step fails is rolled back, its counts in *c->cs undone
 * and groups_failed raised, one line logged (step name, group, reason,
 * "trying again next cycle"), and the next group goes on.  Returns 0; or
 * -1 with *err set (caller frees) when the store cannot begin, commit or
 * roll back: the cycle stops there, and nothing of the step is kept
 * (steps write only the state db, so it is all done again next cycle). */
int cycle_groups(const struct cycle_ctx *c, const char *name,
        cycle_group_fn *step, char **err);

#endif

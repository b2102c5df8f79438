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
struct cycle_due;

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
	struct cycle_due *due;  /* NULL: every group runs, nothing is kept */
	struct cycle_send *send;        /* NULL: nothing goes while the steps
	                                 * run (outbox.h's early sending) */
};

/* Idle groups are left alone.  The state keeps, per group, the digest
 * of its file and of convened.ini, and the next moment one of its steps
 * may act as time passes; a cycle runs the steps of a group only when
 * its files changed, that moment came, mail was read this cycle, or the
 * last cycle sent, deferred or failed a message (what a step decides
 * may depend on any of that).  Each step tells, for every group it is
 * run for, when it next wants to run with cycle_due(): a step that
 * tells nothing has the group run every cycle, so forgetting is slow,
 * never wrong.  Moments a whole number of days from the start or end of
 * a stored meeting are added by the runner (store_due_meetings()), so
 * the meeting steps need tell nothing of their leads and reminders.
 * When a rule of what is due changes, CYCLE_DUE_RULES is raised: every
 * group then runs once. */
#define CYCLE_DUE_RULES 1
#define CYCLE_NEVER     0x7fffffffffffffffLL

/* The group being stepped is due again at `when` (at once, the next
 * cycle, when it is not after now). */
void cycle_due(const struct cycle_ctx *, long long when);
/* ... at the next midnight of its time zone (dates it keeps: quota
 * checkpoints, milestones, the year of its page). */
void cycle_due_midnight(const struct cycle_ctx *, const struct group *);

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

/*
 * cycle.c: one cycle of the daemon's work (see cycle.h), and the one place
 * that decides what a failing group or a failing store means.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "agenda.h"
#include "config.h"
#include "cycle.h"
#include "inbox.h"
#include "list.h"
#include "log.h"
#include "metrics.h"
#include "milestone.h"
#include "notice.h"
#include "outage.h"
#include "outbox.h"
#include "poll.h"
#include "plan.h"
#include "present.h"
#include "quota.h"
#include "repo.h"
#include "report.h"
#include "seminar.h"
#include "store.h"
#include "util.h"

/* The steps before sending, in order. */
static const struct {
	const char     *name;
	cycle_group_fn *step;
} before_send[] = {
	{ "seminar", seminar_group },   /* seats freed before the plan */
	{ "plan", plan_group },
	{ "presentations", present_group },
	{ "agenda", agenda_group },
	{ "quota", quota_group },
	{ "milestones", milestone_group },
	{ "list", list_group },
	{ "polls", poll_group },
};

/* Whether the templates are what failed (outage.h, told once), for a
 * group whose step failed on its own, not the store's surroundings.
 * outage.c records in a transaction of its own: the groups before are
 * committed first, and a new transaction carries the rest of the step.
 * -1 with *err when the store fails at that. */
static int
templates_down(const struct cycle_ctx *c, const char *name, char **err)
{
	char *terr = NULL;
	int down;

	if (store_failure(c->st) >= STORE_FAIL_ENV)
		return 0;
	if (store_commit(c->st) == -1) {
		store_rollback(c->st);
		*err = xasprintf("cannot commit step %s", name);
		return -1;
	}
	down = outage_templates(c->cfg, c->st, c->now, &terr) != 0;
	free(terr);
	if (store_begin(c->st) == -1) {
		*err = xasprintf("cannot begin step %s again in the state db",
		    name);
		return -1;
	}
	return down;
}

/* The group is rolled back, and what it counted with it. */
static int
group_failed(const struct cycle_ctx *c, const char *name,
    const struct group *g, const struct cycle_stats *before, char *gerr,
    char **err)
{
	int down;

	if (store_part_end(c->st, 0) == -1) {
		store_rollback(c->st);
		*err = xasprintf("cannot roll back step %s of group %s "
		    "after: %s", name, g->id, gerr ? gerr : "unknown error");
		free(gerr);
		return -1;
	}
	*c->cs = *before;
	c->cs->groups_failed++;
	/* Broken templates fail every group alike: told once, as an
	 * outage, rather than once per group and cycle. */
	if ((down = templates_down(c, name, err)) == -1) {
		free(gerr);
		return -1;
	}
	if (down)
		log_debug("step %s for group %s: %s", name, g->id, gerr ? gerr :
		    "unknown error");
	else
		log_warnx("cannot run step %s for group %s (%s): %s; nothing of "
		    "it was recorded, trying again next cycle", name, g->id,
		    g->file, gerr ? gerr : "unknown error");
	free(gerr);
	return 0;
}

int
cycle_groups(const struct cycle_ctx *c, const char *name,
    cycle_group_fn *step, char **err)
{
	const struct group *g;
	struct cycle_stats before;
	char *gerr;
	size_t i;

	/* One transaction for the step, each group a part of it: an idle
	 * group costs a savepoint, not a transaction's locks. */
	if (c->cfg->ngroups == 0)
		return 0;
	if (store_begin(c->st) == -1) {
		*err = xasprintf("cannot begin step %s of group %s in the state "
		    "db", name, c->cfg->groups[0].id);
		return -1;
	}
	for (i = 0; i < c->cfg->ngroups; i++) {
		g = &c->cfg->groups[i];
		before = *c->cs;
		gerr = NULL;
		if (store_part_begin(c->st) == -1) {
			store_rollback(c->st);
			*err = xasprintf("cannot begin step %s of group %s in "
			    "the state db", name, g->id);
			return -1;
		}
		if (step(c, g, &gerr) == -1) {
			if (group_failed(c, name, g, &before, gerr, err) == -1)
				return -1;
		} else if (store_part_end(c->st, 1) == -1) {
			store_rollback(c->st);
			*err = xasprintf("cannot commit step %s of group %s",
			    name, g->id);
			return -1;
		}
	}
	if (store_commit(c->st) == -1) {
		store_rollback(c->st);
		*err = xasprintf("cannot commit step %s of the %zu groups", name,
		    c->cfg->ngroups);
		return -1;
	}
	return 0;
}

/* Planning and the coordinators' mail, sending, then the bounce notices
 * found by sending, sent too. */
static int
steps_and_send(const struct cycle_ctx *c, volatile sig_atomic_t *stop,
    struct outbox_stats *os, struct outbox_stats *os2, char **err)
{
	size_t i;
	int queued;

	for (i = 0; i < sizeof before_send / sizeof before_send[0]; i++)
		if (cycle_groups(c, before_send[i].name, before_send[i].step,
		    err) == -1)
			return -1;
	if (outbox_flush(c->cfg, c->st, c->now, stop, os, err) == -1)
		return -1;
	queued = c->cs->queued;
	if (cycle_groups(c, "bounces", notice_bounces, err) == -1 ||
	    (c->cs->queued > queued && outbox_flush(c->cfg, c->st, c->now, stop,
	    os2, err) == -1))
		return -1;
	return 0;
}

/* The cycle stopped on a store failure (*err): the surroundings'
 * (busy, full, read-only) are an outage, told once and waited out with
 * backoff; anything else ends the daemon. */
static int
store_failed(const struct cycle_ctx *c, char **err)
{
	const char *reason = store_errmsg(c->st);
	char *why;

	if (store_failure(c->st) != STORE_FAIL_ENV)
		return -1;
	why = *err == NULL ? xstrdup(reason) : strstr(*err, reason) != NULL ?
	    xstrdup(*err) : xasprintf("%s: %s", *err, reason);
	outage_store_failed(c->cfg, why, c->now);
	free(why);
	free(*err);
	*err = NULL;
	c->cs->store_down = 1;
	return 0;
}

/* What a whole cycle ends with: old rows forgotten, the templates tried
 * again when they are down and due, the state db's outage over. */
static int
housekeeping(const struct cycle_ctx *c, char **err)
{
	int due;

	if (store_prune(c->st, c->now - CYCLE_KEEP_DAYS * DAY, err) == -1 ||
	    (due = outage_due(c->st, OUTAGE_TEMPLATES, c->now, err)) == -1)
		return -1;
	if (due == OUTAGE_TRY) {
		if ((due = outage_templates(c->cfg, c->st, c->now, err)) == -1 ||
		    (due == 0 && outage_ok(c->cfg, c->st, OUTAGE_TEMPLATES, c->now,
		    err) == -1))
			return -1;
	}
	outage_store_ok(c->cfg, c->st, c->now);
	return 0;
}

static void
summary(struct cycle_stats *cs, const struct inbox_stats *is,
    const struct outbox_stats *os, const struct outbox_stats *os2,
    struct store *st, long long now)
{
	cs->replies_read = is->fetched;
	cs->replies_applied = is->applied;
	cs->replies_refused = (int)store_inbound_count(st, "refused", now);
	cs->replies_failed = is->failed;
	cs->replies_waiting = is->waiting;
	cs->quarantined = is->quarantined;
	cs->mail_server_down = is->server_error;
	cs->sent = os->sent + os2->sent;
	cs->deferred = os->deferred + os2->deferred;
	cs->failed = os->failed + os2->failed;
	cs->smtp_refused = os->account_error || os2->account_error;
	cs->pending = store_outbox_count(st, "pending") +
	    store_outbox_count(st, "sending");
	log_info("cycle done: %d replies read, %d applied%s; %d meetings new, "
	    "%d changed, %d cancelled; %d messages queued, %d sent, "
	    "%d deferred, %d failed, %lld waiting%s", cs->replies_read,
	    cs->replies_applied, cs->mail_server_down ?
	    " (mail server unavailable)" : "", cs->meetings_new,
	    cs->meetings_changed, cs->meetings_cancelled, cs->queued, cs->sent,
	    cs->deferred, cs->failed, cs->pending, cs->smtp_refused ?
	    "; the mail server refused us" : "");
	if (cs->replies_failed || cs->replies_waiting || cs->quarantined)
		log_info("replies not applied: %d failed, %d waiting for the "
		    "repository or the templates, %d put in quarantine",
		    cs->replies_failed, cs->replies_waiting, cs->quarantined);
}

/* The figures for Prometheus: a file that cannot be written is logged
 * and does not stop the mail. */
static void
write_metrics(const struct config *cfg, struct store *st, long long now,
    const struct cycle_stats *cs)
{
	char *err = NULL;

	if (cfg->metrics != NULL && metrics_write(cfg, st, now, cs, &err) == -1) {
		log_warnx("%s", err);
		free(err);
	}
}

int
cycle_run(const struct config *cfg, struct store *st, long long now,
    int collect, volatile sig_atomic_t *stop, struct cycle_stats *out,
    char **err)
{
	struct cycle_stats cs;
	struct cycle_ctx c;
	struct inbox_stats is;
	struct outbox_stats os, os2;
	int rc = 0;

	memset(&cs, 0, sizeof cs);
	memset(&os, 0, sizeof os);
	memset(&os2, 0, sizeof os2);
	memset(&is, 0, sizeof is);
	c.cfg = cfg;
	c.st = st;
	c.now = now;
	c.cs = &cs;
	store_failure_clear(st);
	account_cycle_begin();
	if (!outage_store_due(now)) {
		log_debug("cycle skipped: the state db waits for its next try");
		cs.store_down = 1;
	} else if ((collect && inbox_collect(cfg, st, now, stop, &is, err) ==
	    -1) ||
	    /* How the accounts did is recorded after reading mail, so that
	     * the admin's notice of a failed one goes out in this cycle's
	     * sending. */
	    account_record(cfg, st, now, err) == -1 ||
	    account_notice(&c, err) == -1 ||
	    steps_and_send(&c, stop, &os, &os2, err) == -1 ||
	    account_record(cfg, st, now, err) == -1 ||
	    report_calendar_write(cfg, st, now, NULL, err) == -1 ||
	    repo_cycle(cfg, st, now, err) == -1 ||
	    housekeeping(&c, err) == -1)
		rc = store_failed(&c, err);
	else {
		summary(&cs, &is, &os, &os2, st, now);
		write_metrics(cfg, st, now, &cs);
	}
	if (out != NULL)
		*out = cs;
	return rc;
}

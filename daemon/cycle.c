/*
 * cycle.c: one cycle of the daemon's work (see cycle.h), and the one place
 * that decides what a failing group or a failing store means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "agenda.h"
#include "config.h"
#include "cycle.h"
#include "ical.h"
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

/* Sending while the steps run (outbox.h): a group that queued mail is
 * committed at once, and its rows handed to the sender. */
struct cycle_send {
	struct outbox_early *early;
	volatile sig_atomic_t *stop;
	int on;                 /* the steps before sending run */
	int started;            /* outbox_early_start() was called */
	int queued;             /* c->cs->queued when last committed */
};

/* Meetings ended this long ago still have moments due: the steps look
 * back 60 days (minutes reminders, materials); a year covers them. */
#define DUE_LOOK_BACK   (400 * DAY)

/* Which groups run this cycle, and what they tell of the next. */
struct cycle_due {
	unsigned char  *run;            /* per group: its steps run */
	long long      *next;           /* per group: the earliest moment told */
	char          **digest;         /* per group */
	size_t          cur;            /* the group being stepped */
	int             told;           /* its step called cycle_due() */
	size_t          nrun;
	int             all;            /* every group runs */
	int             gone;           /* a group of the last cycles is gone */
};

void
cycle_due(const struct cycle_ctx *c, long long when)
{
	struct cycle_due *d = c->due;

	if (d == NULL)
		return;
	d->told = 1;
	if (when < c->now)
		when = c->now;
	if (when < d->next[d->cur])
		d->next[d->cur] = when;
}

void
cycle_due_midnight(const struct cycle_ctx *c, const struct group *g)
{
	struct ical_tm tm;
	long long to;

	ical_localtime(c->now, g->timezone, &tm);
	to = DAY - (tm.hour * 3600LL + tm.minute * 60LL + c->now % 60);
	/* An hour early when there is time for it: a change of clocks
	 * moves midnight by an hour, and waking early only looks again. */
	cycle_due(c, c->now + (to > 3600 ? to - 3600 : to));
}

static int
due_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_due *)a)->group_id,
	    ((const struct store_due *)b)->group_id);
}

/* Whether the stored row r (may be NULL) lets group i rest now. */
static int
due_rests(const struct cycle_ctx *c, const struct store_due *r, size_t i)
{
	return r != NULL && strcmp(r->digest, c->due->digest[i]) == 0 &&
	    r->ran <= c->now && c->now < r->due;
}

/* Which groups run: all when mail was read (`all`); the rows of those
 * that run are dropped first, so that a cycle that stops half-way runs
 * them again.  0 / -1 with *err. */
static int
due_begin(struct cycle_ctx *c, struct cycle_due *d, int all, char **err)
{
	const struct config *cfg = c->cfg;
	struct store_due *rows = NULL, key, *r;
	unsigned long long base, h;
	size_t nrows = 0, i;
	char rules[64];
	int rc = -1;

	memset(d, 0, sizeof *d);
	d->run = xcalloc(cfg->ngroups + 1, 1);
	d->next = xcalloc(cfg->ngroups + 1, sizeof *d->next);
	d->digest = xcalloc(cfg->ngroups + 1, sizeof *d->digest);
	d->all = all;
	c->due = d;
	snprintf(rules, sizeof rules, "%d %d %016llx", CYCLE_DUE_RULES,
	    STORE_SCHEMA_VERSION, cfg->digest);
	base = util_fnv64(UTIL_FNV64, rules, strlen(rules));
	for (i = 0; i < cfg->ngroups; i++) {
		h = cfg->groups[i].digest;
		d->digest[i] = xasprintf("%016llx",
		    util_fnv64(base, &h, sizeof h));
		d->next[i] = CYCLE_NEVER;
	}
	if (store_due_all(c->st, &rows, &nrows, err) == -1)
		return -1;
	if (nrows > 0)
		qsort(rows, nrows, sizeof *rows, due_cmp);
	/* A group no longer configured: the rows go, and every group runs
	 * (the site's index is written again without it). */
	for (i = 0; i < nrows; i++)
		if (config_group(cfg, rows[i].group_id) == NULL)
			d->gone = d->all = all = 1;
	for (i = 0; i < cfg->ngroups; i++) {
		key.group_id = cfg->groups[i].id;
		r = key.group_id == NULL || nrows == 0 ? NULL : bsearch(&key,
		    rows, nrows, sizeof *rows, due_cmp);
		d->run[i] = all || !due_rests(c, r, i);
		d->nrun += d->run[i];
	}
	if (d->nrun == 0) {
		rc = 0;
		goto out;
	}
	if (store_begin(c->st) == -1) {
		*err = xstrdup("cannot begin the cycle in the state db");
		goto out;
	}
	if (d->gone && store_due_forget(c->st, NULL, err) == -1)
		goto fail;
	for (i = 0; i < cfg->ngroups && !d->gone; i++)
		if (d->run[i] && cfg->groups[i].id != NULL &&
		    store_due_forget(c->st, cfg->groups[i].id, err) == -1)
			goto fail;
	if (store_commit(c->st) == -1) {
		*err = xstrdup("cannot commit the cycle's start in the state db");
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	store_rollback(c->st);
out:
	store_due_free(rows, nrows);
	return rc;
}

/* Whether something the cycle writes for every group that ran waits
 * for the repository or the templates: 1, 0, -1 with *err. */
static int
waits(const struct cycle_ctx *c, char **err)
{
	static const char *const what[] = { OUTAGE_REPOSITORY,
	    OUTAGE_HISTORY, OUTAGE_TEMPLATES };
	size_t i;
	int due;

	for (i = 0; i < sizeof what / sizeof what[0]; i++)
		if ((due = outage_due(c->st, what[i], c->now, err)) == -1)
			return -1;
		else if (due != OUTAGE_UP)
			return 1;
	return 0;
}

/* What the groups that ran told, with their meetings' moments, kept;
 * nothing kept when the cycle sent or deferred mail (`busy`), or when
 * the repository or the templates are down: every group runs again
 * next cycle, and its feed and page are tried again.  0 / -1 with
 * *err. */
static int
due_end(const struct cycle_ctx *c, int busy, char **err)
{
	const struct config *cfg = c->cfg;
	struct cycle_due *d = c->due;
	size_t i;
	int w;

	if (busy || d->nrun == 0)
		return 0;
	if ((w = waits(c, err)) != 0)
		return w == -1 ? -1 : 0;
	if (store_begin(c->st) == -1) {
		*err = xstrdup("cannot begin to record when groups are due");
		return -1;
	}
	for (i = 0; i < cfg->ngroups; i++) {
		char *res;

		if (!d->run[i] || cfg->groups[i].id == NULL ||
		    config_group(cfg, cfg->groups[i].id) != &cfg->groups[i])
			continue;
		/* Its directory in the repository is down: its feed waits.
		 * (The repository itself is up: waits() said so.) */
		res = outage_group(cfg->groups[i].id);
		w = outage_due(c->st, res, c->now, err);
		free(res);
		if (w == -1)
			goto fail;
		if (w != OUTAGE_UP)
			d->next[i] = c->now;
		if (d->next[i] > c->now && store_due_meetings(c->st,
		    cfg->groups[i].id, c->now - DUE_LOOK_BACK, c->now,
		    &d->next[i], err) == -1)
			goto fail;
		if (d->next[i] > c->now && store_due_set(c->st,
		    cfg->groups[i].id, d->digest[i], c->now, d->next[i],
		    err) == -1)
			goto fail;
	}
	if (store_commit(c->st) == 0)
		return 0;
	*err = xstrdup("cannot record when groups are due");
fail:
	store_rollback(c->st);
	return -1;
}

static void
due_free(struct cycle_due *d)
{
	size_t i;

	if (d->digest != NULL)
		for (i = 0; d->digest[i] != NULL; i++)
			free(d->digest[i]);
	free(d->digest);
	free(d->run);
	free(d->next);
}

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

/* After a group of step name ended well: what it queued committed and
 * on its way, when early sending is on. */
static int
send_early(const struct cycle_ctx *c, const char *name, const struct group *g,
    char **err)
{
	struct cycle_send *s = c->send;

	if (s == NULL || !s->on || c->cs->queued == s->queued)
		return 0;
	if (store_commit(c->st) == -1) {
		store_rollback(c->st);
		*err = xasprintf("cannot commit step %s of group %s", name,
		    g->id);
		return -1;
	}
	if (store_begin(c->st) == -1) {
		*err = xasprintf("cannot begin step %s in the state db", name);
		return -1;
	}
	s->queued = c->cs->queued;
	if (s->started)
		outbox_early_more(s->early);
	else {
		s->started = 1;
		s->early = outbox_early_start(c->cfg, c->now, s->stop);
	}
	return 0;
}

int
cycle_groups(const struct cycle_ctx *c, const char *name,
    cycle_group_fn *step, char **err)
{
	struct cycle_due *d = c->due;
	const struct group *g;
	struct cycle_stats before;
	char *gerr;
	size_t i;
	int rc;

	/* One transaction for the step, each group a part of it: an idle
	 * group costs a savepoint, not a transaction's locks. */
	if (c->cfg->ngroups == 0 || (d != NULL && d->nrun == 0))
		return 0;
	if (store_begin(c->st) == -1) {
		*err = xasprintf("cannot begin step %s of group %s in the state "
		    "db", name, c->cfg->groups[0].id);
		return -1;
	}
	for (i = 0; i < c->cfg->ngroups; i++) {
		g = &c->cfg->groups[i];
		if (d != NULL && !d->run[i])
			continue;
		before = *c->cs;
		gerr = NULL;
		if (store_part_begin(c->st) == -1) {
			store_rollback(c->st);
			*err = xasprintf("cannot begin step %s of group %s in "
			    "the state db", name, g->id);
			return -1;
		}
		if (d != NULL) {
			d->cur = i;
			d->told = 0;
		}
		rc = step(c, g, &gerr);
		/* Silence is no promise: the group runs again next cycle. */
		if (d != NULL && (rc == -1 || !d->told))
			d->next[i] = c->now;
		if (rc == -1) {
			if (group_failed(c, name, g, &before, gerr, err) == -1)
				return -1;
		} else if (store_part_end(c->st, 1) == -1) {
			store_rollback(c->st);
			*err = xasprintf("cannot commit step %s of group %s",
			    name, g->id);
			return -1;
		} else if (send_early(c, name, g, err) == -1)
			return -1;
	}
	if (store_commit(c->st) == -1) {
		store_rollback(c->st);
		*err = xasprintf("cannot commit step %s of the %zu groups", name,
		    c->cfg->ngroups);
		return -1;
	}
	return 0;
}

/* Planning and the coordinators' mail, what they queue on its way as
 * each group is committed (outbox.h's early sending). */
static int
steps(const struct cycle_ctx *c, volatile sig_atomic_t *stop, char **err)
{
	size_t i;
	int rc = 0;

	c->send->on = 1;
	c->send->stop = stop;
	for (i = 0; rc == 0 && i < sizeof before_send / sizeof before_send[0];
	    i++)
		rc = cycle_groups(c, before_send[i].name, before_send[i].step,
		    err);
	c->send->on = 0;
	return rc;
}

/* Early sending ended where the cycle stops before its flush: what went
 * is marked, or the log kept says so. */
static void
send_end(const struct cycle_ctx *c)
{
	char *err = NULL;

	if (outbox_early_end(c->send->early, c->st, &err) == -1)
		log_warnx("%s", err);
	free(err);
	c->send->early = NULL;
}

/* The rest of the mail, then the bounce notices found by sending, sent
 * too.  After the feeds and the repository, which the early sender's
 * last messages do not wait for. */
static int
send_rest(const struct cycle_ctx *c, volatile sig_atomic_t *stop,
    struct outbox_stats *os, struct outbox_stats *os2, char **err)
{
	int queued, rc;

	rc = outbox_flush(c->cfg, c->st, c->now, c->send->early, stop, os,
	    err);
	c->send->early = NULL;  /* the flush freed it */
	if (rc == -1)
		return -1;
	queued = c->cs->queued;
	if (cycle_groups(c, "bounces", notice_bounces, err) == -1 ||
	    (c->cs->queued > queued && outbox_flush(c->cfg, c->st, c->now,
	    NULL, stop, os2, err) == -1))
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
 * again when they are down and due, the state db's outage over.  The
 * space that the texts of the messages sent leave goes back to the file
 * system in a cycle that sent nothing (quiet): after 5,000 invitations
 * the vacuum moved 23,000 pages, 0.6 s that delivery waited for. */
static int
housekeeping(const struct cycle_ctx *c, int quiet, char **err)
{
	int due;

	if (store_prune(c->st, c->now - CYCLE_KEEP_DAYS * DAY, quiet,
	    err) == -1 ||
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
	struct cycle_due due;
	struct cycle_send send;
	int rc = 0;

	memset(&cs, 0, sizeof cs);
	memset(&os, 0, sizeof os);
	memset(&os2, 0, sizeof os2);
	memset(&is, 0, sizeof is);
	c.cfg = cfg;
	c.st = st;
	c.now = now;
	c.cs = &cs;
	c.due = NULL;
	memset(&send, 0, sizeof send);
	c.send = &send;
	memset(&due, 0, sizeof due);
	store_failure_clear(st);
	account_cycle_begin();
	if (!outage_store_due(now)) {
		log_debug("cycle skipped: the state db waits for its next try");
		cs.store_down = 1;
	} else if (outbox_recover(cfg, st, err) == -1 ||
	    (collect && inbox_collect(cfg, st, now, stop, &is, err) ==
	    -1) ||
	    /* How the accounts did is recorded after reading mail, so that
	     * the admin's notice of a failed one goes out in this cycle's
	     * sending. */
	    account_record(cfg, st, now, err) == -1 ||
	    account_notice(&c, err) == -1 ||
	    due_begin(&c, &due, is.fetched > 0 || is.applied > 0 ||
	    is.failed > 0 || is.waiting > 0, err) == -1 ||
	    steps(&c, stop, err) == -1 ||
	    report_calendar_write_some(cfg, st, now, due.all ? NULL : due.run,
	    NULL, err) == -1 ||
	    repo_cycle(cfg, st, now, due.all ? NULL : due.run, err) == -1 ||
	    send_rest(&c, stop, &os, &os2, err) == -1 ||
	    account_record(cfg, st, now, err) == -1 ||
	    due_end(&c, c.cs->queued > 0 || os.sent + os.deferred + os.failed +
	    os2.sent + os2.deferred + os2.failed > 0, err) == -1 ||
	    housekeeping(&c, c.cs->queued == 0 && os.sent + os2.sent == 0,
	    err) == -1) {
		send_end(&c);
		rc = store_failed(&c, err);
	} else {
		summary(&cs, &is, &os, &os2, st, now);
		write_metrics(cfg, st, now, &cs);
	}
	if (due.run != NULL && (due.nrun > 0 || cs.groups_failed > 0))
		log_debug("cycle: %zu of %zu groups due", due.nrun,
		    cfg->ngroups);
	due_free(&due);
	if (out != NULL)
		*out = cs;
	return rc;
}

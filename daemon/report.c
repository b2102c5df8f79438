/*
 * report.c: `status`, `report` and the calendar feeds (see report.h).
 *
 * Every figure comes from quota_year(): status and the annual report are
 * two layouts of the same numbers.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "config.h"
#include "htmlreport.h"
#include "ical.h"
#include "list.h"
#include "log.h"
#include "milestone.h"
#include "seminar.h"
#include "outage.h"
#include "present.h"
#include "poll.h"
#include "quota.h"
#include "repo.h"
#include "report.h"
#include "store.h"
#include "trust.h"
#include "util.h"

#define FEED_MAX ((size_t)16 << 20)     /* a calendar.ics read back */

struct group_status {
	const struct group *g;
	int     depth;          /* 0 top level, 1 subgroup, ... */
	struct quota_year q;
	int     coordination_ok;
	const char *why;
	char  **bouncing;
	size_t  nbouncing;
	struct store_doc *docs; /* annual report only */
	size_t  ndocs;
	struct milestone_view *ms;      /* the plan of work's milestones */
	size_t  nms;
	struct store_presentation *pres;    /* the year's offers (present.h) */
	size_t  npres;
	char   *list;           /* the list's status object (list.h) */
	struct store_post_stats posts;      /* the list's posts */
	long long paused;       /* members whose list mail is paused */
	struct store_post_month *months;    /* posts relayed by month
	                                     * (annual report only) */
	size_t  nmonths;
	struct poll_view *polls;        /* scheduling polls */
	size_t  npolls;
	long long *seated, *waiting;    /* registrants (seminar.h), one a
	                                 * meeting of q.m */
};

static void
iso_utc(long long t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* iso_utc(), or "-" for none (t < 0). */
static void
time_or_dash(char out[21], long long t)
{
	if (t < 0)
		snprintf(out, 21, "-");
	else
		iso_utc(t, out);
}

static void
local_time(long long t, const char *tzid, char out[24])
{
	struct ical_tm tm;

	ical_localtime(t, tzid, &tm);
	snprintf(out, 24, "%04d-%02d-%02d %02d:%02d", tm.year % 10000,
	    tm.month % 100, tm.day % 100, tm.hour % 100, tm.minute % 100);
}

static void release(struct group_status *);
/* The registrants of each of the year's meetings (none for those the
 * store has not seen). */
static int
registrants(struct group_status *gs, struct store *st, char **err)
{
	size_t j, n = gs->q.nm ? gs->q.nm : 1;

	gs->seated = xcalloc(n, sizeof *gs->seated);
	gs->waiting = xcalloc(n, sizeof *gs->waiting);
	for (j = 0; j < gs->q.nm; j++)
		if (!gs->q.from_series[j] && seminar_counts(st, gs->q.m[j].uid,
		    &gs->seated[j], &gs->waiting[j], err) == -1)
			return -1;
	return 0;
}

static int
gather(struct group_status *gs, const struct config *cfg,
    const struct group *g, struct store *st, int year, long long now,
    int docs, char **err)
{
	long long from, to;

	memset(gs, 0, sizeof *gs);
	gs->g = g;
	if (quota_year(cfg, g, st, year, now, &gs->q, err) == -1)
		return -1;
	if (store_group_bouncing(st, g->id, &gs->bouncing, &gs->nbouncing,
	    err) == -1)
		goto fail;
	if (docs) {
		from = ical_year_start(year, g->timezone);
		to = ical_year_start(year + 1, g->timezone);
		if (store_group_documents(st, g->id, from, to, &gs->docs,
		    &gs->ndocs, err) == -1 ||
		    store_posts_months(st, g->id, from, to, &gs->months,
		    &gs->nmonths, err) == -1)
			goto fail;
	}
	if (milestone_views(st, g, now, &gs->ms, &gs->nms, err) == -1 ||
	    registrants(gs, st, err) == -1)
		goto fail;
	if (store_group_presentations(st, g->id, ical_year_start(year,
	    g->timezone), ical_year_start(year + 1, g->timezone), &gs->pres,
	    &gs->npres, err) == -1)
		goto fail;
	if ((gs->list = list_status_json(cfg, st, g, err)) == NULL ||
	    store_post_stats(st, g->id, &gs->posts, err) == -1 ||
	    (gs->paused = store_readers_paused(st, g->id, err)) == -1)
		goto fail;
	if (poll_views(st, g, now, &gs->polls, &gs->npolls, err) == -1)
		goto fail;
	gs->coordination_ok = config_coordination_ok(g, &gs->why);
	return 0;
fail:
	/* what was gathered so far; the rest is still zero */
	release(gs);
	return -1;
}

static void
release(struct group_status *gs)
{
	quota_year_free(&gs->q);
	strv_free(gs->bouncing, gs->nbouncing);
	store_docs_free(gs->docs, gs->ndocs);
	milestone_views_free(gs->ms, gs->nms);
	store_presentations_free(gs->pres, gs->npres);
	free(gs->list);
	free(gs->months);
	poll_views_free(gs->polls, gs->npolls);
	free(gs->seated);
	free(gs->waiting);
}

static int
flush_out(FILE *fp, struct buf *b, const char *what, char **err)
{
	if (fwrite(buf_str(b), 1, b->len, fp) != b->len || fflush(fp) == EOF) {
		*err = xasprintf("cannot write %s: output closed", what);
		return -1;
	}
	return 0;
}

/* ---- status ---- */

/* The configured accounts, each with its row in the store when a cycle
 * has tried it.  Filled in order imap, smtp; rows[i] may be NULL. */
struct account_view {
	const char *name, *auth;
	int oauth;
	const struct store_account *row;
};

static void
account_views(const struct config *cfg, const struct store_account *a,
    size_t n, struct account_view v[2])
{
	const struct endpoint *eps[2] = { &cfg->imap, &cfg->smtp };
	static const char *const names[2] = { "imap", "smtp" };
	size_t i, j;

	for (i = 0; i < 2; i++) {
		v[i].name = names[i];
		v[i].auth = config_auth_name(eps[i]->auth);
		v[i].oauth = CONFIG_AUTH_OAUTH(eps[i]->auth);
		v[i].row = NULL;
		for (j = 0; j < n; j++)
			if (strcmp(a[j].name, names[i]) == 0)
				v[i].row = &a[j];
	}
}

static void
json_time_or_null(struct buf *b, long long t)
{
	char when[21];

	if (t < 0) {
		buf_adds(b, "null");
		return;
	}
	iso_utc(t, when);
	buf_addf(b, "\"%s\"", when);
}

static void
json_accounts(struct buf *b, const struct account_view v[2])
{
	const struct store_account *r;
	size_t i;

	buf_adds(b, ",\n \"accounts\": [");
	for (i = 0; i < 2; i++) {
		r = v[i].row;
		buf_adds(b, i ? ",\n  {\"name\": " : "\n  {\"name\": ");
		json_str(b, v[i].name);
		buf_adds(b, ", \"auth\": ");
		json_str(b, v[i].auth);
		buf_addf(b, ", \"ok\": %s, \"last_success\": ",
		    r != NULL && r->ok ? "true" : "false");
		json_time_or_null(b, r != NULL ? r->last_success : -1);
		buf_adds(b, ", \"error\": ");
		json_str_or_null(b, r == NULL ? "not tried yet" : r->error);
		if (v[i].oauth) {
			buf_adds(b, ", \"token_expires\": ");
			json_time_or_null(b, r != NULL ? r->token_expires : -1);
		}
		buf_addc(b, '}');
	}
	buf_adds(b, "]");
}

static void
table_accounts(struct buf *b, const struct account_view v[2])
{
	const struct store_account *r;
	char last[21], exp[21];
	size_t i;

	buf_addf(b, "\n%-7s %-11s %-3s %-20s %-20s %s\n", "ACCOUNT", "AUTH",
	    "OK", "LAST SUCCESS", "TOKEN EXPIRES", "ERROR");
	for (i = 0; i < 2; i++) {
		r = v[i].row;
		time_or_dash(last, r != NULL ? r->last_success : -1);
		time_or_dash(exp, r != NULL && v[i].oauth ? r->token_expires : -1);
		buf_addf(b, "%-7s %-11s %-3s %-20s %-20s %s\n", v[i].name,
		    v[i].auth, r != NULL && r->ok ? "yes" : "no", last, exp,
		    r == NULL ? "not tried yet" : r->error ? r->error : "-");
	}
}

/* How many messages were refused for reason r (trust.h). */
static long long
refused_count(const struct store_refusal *rf, size_t n, enum trust_reason r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rf[i].reason, trust_reason_name(r)) == 0)
			return rf[i].count;
	return 0;
}

/* "refused": every reason, counted since the state db was made. */
static void
json_refused(struct buf *b, const struct store_refusal *rf, size_t n)
{
	int r;

	buf_adds(b, ",\n \"refused\": {");
	for (r = 0; r < TRUST__COUNT; r++)
		buf_addf(b, "%s\"%s\": %lld", r ? ", " : "",
		    trust_reason_name((enum trust_reason)r),
		    refused_count(rf, n, (enum trust_reason)r));
	buf_adds(b, "}");
}

static void
table_refused(struct buf *b, const struct store_refusal *rf, size_t n)
{
	long long k;
	int r, any = 0;

	buf_adds(b, "\nREFUSED (reason, messages)\n");
	for (r = 0; r < TRUST__COUNT; r++)
		if ((k = refused_count(rf, n, (enum trust_reason)r)) > 0) {
			buf_addf(b, "%-18s %lld\n",
			    trust_reason_name((enum trust_reason)r), k);
			any = 1;
		}
	if (!any)
		buf_adds(b, "none\n");
}

static void
json_group(struct buf *b, const struct group_status *gs, long long now)
{
	const struct quota_year *q = &gs->q;
	char when[21];
	size_t i, j;

	buf_adds(b, "{\"id\": ");
	json_str(b, gs->g->id);
	buf_addf(b, ", \"year\": %d, \"quota\": %d, \"held\": %d, "
	    "\"scheduled\": %d, \"short_by\": %d, \"coordination_ok\": %s,\n"
	    "   \"bouncing\": [", q->year, q->quota, q->held, q->scheduled,
	    q->short_by, gs->coordination_ok ? "true" : "false");
	for (i = 0; i < gs->nbouncing; i++) {
		if (i)
			buf_adds(b, ", ");
		json_str(b, gs->bouncing[i]);
	}
	buf_adds(b, "],\n   \"meetings\": [");
	for (i = 0; i < q->nm; i++) {
		const struct store_meeting *m = &q->m[i];

		iso_utc(m->start, when);
		buf_adds(b, i ? ",\n    {\"uid\": " : "\n    {\"uid\": ");
		json_str(b, m->uid);
		buf_addf(b, ", \"start\": \"%s\", \"status\": \"%s\", "
		    "\"agenda\": \"%s\", \"minutes\": ", when,
		    quota_meeting_state(m, now),
		    m->agenda_confirmed ? "confirmed" : "pending");
		json_str_or_null(b, m->minutes_path);
		buf_addf(b, ",\n     \"rsvp\": {\"accepted\": %d, \"declined\": %d, "
		    "\"tentative\": %d, \"needs_action\": %d},\n"
		    "     \"attendees\": [", m->accepted, m->declined,
		    m->tentative, m->needs_action);
		for (j = 0; j < m->nattendees; j++) {
			buf_adds(b, j ? ", {\"email\": " : "{\"email\": ");
			json_str(b, m->attendees[j].email);
			buf_adds(b, ", \"partstat\": ");
			json_str(b, m->attendees[j].partstat);
			buf_addc(b, '}');
		}
		buf_adds(b, "]");
		present_json_meeting(b, gs->pres, gs->npres, m->uid);
		buf_addf(b, ",\n     \"registered\": {\"count\": %lld, "
		    "\"waiting\": %lld}}", gs->seated[i], gs->waiting[i]);
	}
	buf_adds(b, "],\n   \"milestones\": ");
	milestone_json(b, gs->ms, gs->nms);
	if (gs->list != NULL) {
		buf_adds(b, ",\n   \"list\": ");
		buf_adds(b, gs->list);
	}
	buf_adds(b, ",\n   \"polls\": ");
	poll_json(b, gs->polls, gs->npolls);
	buf_addc(b, '}');
}

static void
table(struct buf *b, struct group_status *gs, size_t n, long long now,
    int detail)
{
	static const char *const head[] = { "GROUP", "YEAR", "QUOTA", "HELD",
	    "SCHED", "SHORT", "COORD", "BOUNCING" };
	size_t idw = strlen(head[0]), i, j;
	char when[21];

	for (i = 0; i < n; i++)
		if (strlen(gs[i].g->id) > idw)
			idw = strlen(gs[i].g->id);
	buf_addf(b, "%-*s %4s %5s %4s %5s %5s %-5s %s\n", (int)idw, head[0],
	    head[1], head[2], head[3], head[4], head[5], head[6], head[7]);
	for (i = 0; i < n; i++) {
		buf_addf(b, "%-*s %4d %5d %4d %5d %5d %-5s %zu\n", (int)idw,
		    gs[i].g->id, gs[i].q.year, gs[i].q.quota, gs[i].q.held,
		    gs[i].q.scheduled, gs[i].q.short_by,
		    gs[i].coordination_ok ? "ok" : "BROKEN", gs[i].nbouncing);
	}
	for (i = 0; i < n; i++) {
		if (!gs[i].coordination_ok)
			buf_addf(b, "%s: coordination rule broken: %s\n",
			    gs[i].g->id, gs[i].why);
		for (j = 0; j < gs[i].nbouncing; j++)
			buf_addf(b, "%s: bouncing: %s\n", gs[i].g->id,
			    gs[i].bouncing[j]);
		for (j = 0; j < gs[i].nms; j++)
			if (gs[i].ms[j].overdue)
				buf_addf(b, "%s: milestone overdue since %s: %s "
				    "(%s)\n", gs[i].g->id, gs[i].ms[j].ms->due,
				    gs[i].ms[j].ms->name, gs[i].ms[j].ms->summary);
		if (gs[i].posts.held > 0 || gs[i].paused > 0)
			buf_addf(b, "%s: list: %lld posts relayed, %lld held for "
			    "the coordinators, %lld members paused\n",
			    gs[i].g->id, gs[i].posts.relayed, gs[i].posts.held,
			    gs[i].paused);
		for (j = 0; j < gs[i].npolls; j++)
			if (gs[i].polls[j].open)
				buf_addf(b, "%s: poll open until %s: %s (%s), %d "
				    "of %zu members answered\n", gs[i].g->id,
				    gs[i].polls[j].p->closes, gs[i].polls[j].p->name,
				    gs[i].polls[j].p->summary,
				    gs[i].polls[j].answered, gs[i].g->nmembers);
	}
	if (!detail)
		return;
	for (i = 0; i < n; i++) {
		buf_addf(b, "\nmeetings of %s in %d:\n", gs[i].g->id,
		    gs[i].q.year);
		if (gs[i].q.nm == 0)
			buf_adds(b, "  none planned yet\n");
		for (j = 0; j < gs[i].q.nm; j++) {
			const struct store_meeting *m = &gs[i].q.m[j];

			iso_utc(m->start, when);
			if (gs[i].q.from_series[j]) {
				buf_addf(b, "  %s  %-9s  not announced yet\n",
				    when, quota_meeting_state(m, now));
				continue;
			}
			buf_addf(b, "  %s  %-9s  agenda %-9s  yes %d  no %d  "
			    "maybe %d  waiting %d  ", when,
			    quota_meeting_state(m, now),
			    m->agenda_confirmed ? "confirmed" : "pending",
			    m->accepted, m->declined, m->tentative,
			    m->needs_action);
			if (m->delegated > 0)
				buf_addf(b, "delegated %d  ", m->delegated);
			if (present_count(gs[i].pres, gs[i].npres, m->uid) > 0)
				buf_addf(b, "presentations %zu  ", present_count(
				    gs[i].pres, gs[i].npres, m->uid));
			buf_addf(b, "minutes %s\n",
			    m->minutes_path ? m->minutes_path : "-");
		}
	}
}

int
report_status(FILE *fp, const struct config *cfg, struct store *st,
    long long now, const char *group, int json, char **err)
{
	struct group_status *gs;
	struct buf b = BUF_INIT(BUF_OWN);
	struct store_account *acc = NULL;
	struct store_refusal *rf = NULL;
	struct account_view av[2];
	char when[21];
	size_t i, n = 0, nacc = 0, nrf = 0;
	int rc = 0;

	if (store_accounts(st, &acc, &nacc, err) == -1)
		return -1;
	if (store_refusals(st, &rf, &nrf, err) == -1) {
		store_accounts_free(acc, nacc);
		return -1;
	}
	account_views(cfg, acc, nacc, av);
	gs = xcalloc(cfg->ngroups ? cfg->ngroups : 1, sizeof *gs);
	for (i = 0; i < cfg->ngroups; i++) {
		const struct group *g = &cfg->groups[i];

		if (group != NULL && strcmp(g->id, group) != 0)
			continue;
		if (gather(&gs[n], cfg, g, st, ical_year_in_zone(now,
		    g->timezone), now, 0, err) == -1) {
			rc = -1;
			goto out;
		}
		n++;
	}
	if (json) {
		iso_utc(now, when);
		buf_addf(&b, "{\"now\": \"%s\",\n \"groups\": [", when);
		for (i = 0; i < n; i++) {
			buf_adds(&b, i ? ",\n  " : "\n  ");
			json_group(&b, &gs[i], now);
		}
		buf_adds(&b, "]");
		json_accounts(&b, av);
		json_refused(&b, rf, nrf);
		buf_adds(&b, "}\n");
	} else {
		table(&b, gs, n, now, group != NULL);
		table_accounts(&b, av);
		table_refused(&b, rf, nrf);
	}
	rc = flush_out(fp, &b, "status", err);
out:
	for (i = 0; i < n; i++)
		release(&gs[i]);
	store_accounts_free(acc, nacc);
	store_refusals_free(rf, nrf);
	free(gs);
	buf_release(&b);
	return rc;
}

/* ---- the annual report ---- */

static const char *
axis_title(enum axis a)
{
	switch (a) {
	case AXIS_PROTECTION:
		return "universal and comprehensive social protection systems";
	case AXIS_INCLUSION:
		return "policies to promote social and labour inclusion";
	case AXIS_INSTITUTIONS:
		return "social institutional framework";
	case AXIS_COOPERATION:
		return "regional cooperation and integration";
	default:
		return "other themes";
	}
}

/* Section of a top-level group: thematic by axis, then subregional, then
 * discussion groups. */
static int
section_of(const struct group *g)
{
	switch (g->kind) {
	case GKIND_THEMATIC:
		return g->axis == AXIS_NONE ? 5 : (int)g->axis;
	case GKIND_SUBREGIONAL:
		return 6;
	default:
		return 7;
	}
}

static const char *
section_title(int s, char *buf, size_t len)
{
	if (s <= 5) {
		snprintf(buf, len, "Thematic groups: %s",
		    axis_title(s == 5 ? AXIS_NONE : (enum axis)s));
		return buf;
	}
	return s == 6 ? "Subregional groups" : "Discussion groups";
}

static int
is_top(const struct config *cfg, const struct group *g)
{
	return g->parent == NULL || config_group(cfg, g->parent) == NULL ||
	    strcmp(g->parent, g->id) == 0;
}

/* Append g's subgroups after it, depth first, in configuration order.
 * depth is bounded: config.c refuses cycles of parents, and a group is
 * placed at most once. */
static void
place_children(const struct config *cfg, const struct group *g, int depth,
    const struct group **order, int *depths, unsigned char *placed,
    size_t *n)
{
	size_t i;

	for (i = 0; i < cfg->ngroups; i++) {
		const struct group *c = &cfg->groups[i];

		if (placed[i] || is_top(cfg, c) || strcmp(c->parent, g->id) != 0)
			continue;
		placed[i] = 1;
		order[*n] = c;
		depths[(*n)++] = depth;
		place_children(cfg, c, depth + 1, order, depths, placed, n);
	}
}

static size_t
report_order(const struct config *cfg, const struct group **order,
    int *depths)
{
	unsigned char *placed = xcalloc(cfg->ngroups + 1, 1);
	size_t n = 0, i;
	int s;

	for (s = 1; s <= 7; s++)
		for (i = 0; i < cfg->ngroups; i++) {
			const struct group *g = &cfg->groups[i];

			if (placed[i] || !is_top(cfg, g) || section_of(g) != s)
				continue;
			placed[i] = 1;
			order[n] = g;
			depths[n++] = 0;
			place_children(cfg, g, 1, order, depths, placed, &n);
		}
	/* Anything left (not reachable from a top-level group) goes last. */
	for (i = 0; i < cfg->ngroups; i++)
		if (!placed[i]) {
			order[n] = &cfg->groups[i];
			depths[n++] = 0;
		}
	free(placed);
	return n;
}

static int
invited(const struct store_meeting *m)
{
	return m->accepted + m->declined + m->tentative + m->needs_action;
}

static const char *
minutes_word(const struct store_meeting *m, long long now)
{
	const char *s = quota_meeting_state(m, now);

	if (m->minutes_path != NULL)
		return "archived";
	if (strcmp(s, "held") == 0)
		return "missing";
	return strcmp(s, "cancelled") == 0 ? "—" : "not yet";
}

/* The heading and the facts of one group: quota, coordination, bounces. */
static void
md_group_facts(struct buf *b, const struct group_status *gs,
    const struct config *cfg)
{
	const struct group *g = gs->g;
	const struct quota_year *q = &gs->q;
	const struct group *parent = g->parent ? config_group(cfg, g->parent) :
	    NULL;
	size_t i;
	int level = gs->depth + 3;

	buf_addf(b, "\n%.*s ", level > 6 ? 6 : level, "######");
	buf_adds(b, g->name);
	buf_addf(b, " (`%s`)\n\n", g->id);
	if (gs->depth > 0 && parent != NULL)
		buf_addf(b, "Subgroup of %s. ", parent->name);
	buf_addf(b, "A %s group", config_group_kind_name(g->kind));
	if (g->axis != AXIS_NONE)
		buf_addf(b, " of the axis on %s", axis_title(g->axis));
	buf_addf(b, "; times are given in %s.\n\n", g->timezone);
	if (!q->judged)
		buf_addf(b, "- Annual quota: %d meetings; %d is not judged: %s.\n",
		    q->quota, q->year, q->first_year ?
		    "the group's first meeting comes later" :
		    "the group has no meetings scheduled");
	else
		buf_addf(b, "- Annual quota: %d meetings.\n", q->quota);
	buf_addf(b, "- Held: %d. Still scheduled: %d. Short of quota by: %d%s\n",
	    q->held, q->scheduled, q->short_by, q->short_by > 0 ?
	    " (below quota)." : ".");
	if (gs->coordination_ok)
		buf_adds(b, "- Coordination rule (two coordinators, one from a "
		    "ministry, one from the secretariat): kept.\n");
	else
		buf_addf(b, "- Coordination rule: **not kept**: %s.\n",
		    gs->why);
	if (gs->nbouncing > 0) {
		buf_adds(b, "- Addresses that bounce: ");
		for (i = 0; i < gs->nbouncing; i++)
			buf_addf(b, "%s%s", i ? ", " : "", gs->bouncing[i]);
		buf_adds(b, ".\n");
	} else
		buf_adds(b, "- Addresses that bounce: none.\n");
	buf_adds(b, "- Posts to the group's list:");
	for (i = 0; i < gs->nmonths; i++)
		buf_addf(b, "%s %s: %lld", i ? "," : "", gs->months[i].month,
		    gs->months[i].posts);
	buf_adds(b, gs->nmonths ? ".\n" : " none.\n");
}

/* Registrants of open seminars, apart from the members above: one line
 * a meeting that has any. */
static void
md_registrants(struct buf *b, const struct group_status *gs)
{
	char when[24];
	size_t i;
	int any = 0;

	for (i = 0; i < gs->q.nm; i++) {
		if (gs->seated[i] == 0 && gs->waiting[i] == 0)
			continue;
		if (!any++)
			buf_adds(b, "\nRegistered from outside the group "
			    "(open seminars):\n\n");
		local_time(gs->q.m[i].start, gs->g->timezone, when);
		buf_addf(b, "- %s: %lld seated, %lld waiting.\n", when,
		    gs->seated[i], gs->waiting[i]);
	}
}

/* The group's meetings of the year as a table, one row a meeting. */
static void
md_meetings(struct buf *b, const struct group_status *gs, long long now)
{
	const struct quota_year *q = &gs->q;
	char when[24];
	size_t i;

	if (q->nm == 0) {
		buf_addf(b, "\nNo meetings in %d.\n", q->year);
		return;
	}
	buf_adds(b, "\n| Date | Kind | Status | Agenda | Accepted | "
	    "Declined | Tentative | No answer | Attendance | Minutes |\n"
	    "|---|---|---|---|--:|--:|--:|--:|--:|---|\n");
	for (i = 0; i < q->nm; i++) {
		const struct store_meeting *m = &q->m[i];
		int inv = invited(m);

		local_time(m->start, gs->g->timezone, when);
		buf_addf(b, "| %s | ", when);
		md_cell(b, m->kind ? m->kind : "meeting");
		buf_addf(b, " | %s%s | %s | %d | %d | %d | %d | ",
		    quota_meeting_state(m, now), q->from_series[i] ?
		    " (not announced yet)" : "",
		    m->agenda_confirmed ? "confirmed" : "not confirmed",
		    m->accepted, m->declined, m->tentative, m->needs_action);
		if (inv > 0)
			buf_addf(b, "%d%%", (m->accepted * 100 + inv / 2) / inv);
		else
			buf_adds(b, "—");
		buf_addf(b, " | %s |\n", minutes_word(m, now));
	}
}

/* The documents and agreements archived for the group, by local day. */
static void
md_documents(struct buf *b, const struct group_status *gs)
{
	char when[24], day[24];
	size_t i;

	if (gs->ndocs == 0) {
		buf_adds(b, "\nNo documents or agreements archived.\n");
		return;
	}
	buf_adds(b, "\nDocuments and agreements archived:\n\n");
	for (i = 0; i < gs->ndocs; i++) {
		local_time(gs->docs[i].received, gs->g->timezone, when);
		memcpy(day, when, 10);
		day[10] = '\0';
		buf_addf(b, "- %s, %s: `%s`\n", day, gs->docs[i].kind,
		    gs->docs[i].path);
	}
}

/* The plan of work's milestones: done on which day, or overdue. */
static void
md_milestones(struct buf *b, const struct group_status *gs)
{
	const struct milestone_view *v;
	size_t i;

	if (gs->nms == 0)
		return;
	buf_adds(b, "\nMilestones of the plan of work:\n\n| Milestone | Due | "
	    "Done |\n|---|---|---|\n");
	for (i = 0; i < gs->nms; i++) {
		v = &gs->ms[i];
		buf_adds(b, "| ");
		md_cell(b, v->ms->summary);
		buf_addf(b, " | %s | %s |\n", v->ms->due, v->done ? v->done :
		    v->overdue ? "**overdue**" : "not yet");
	}
}

static void
md_group(struct buf *b, const struct group_status *gs,
    const struct config *cfg, long long now)
{
	md_group_facts(b, gs, cfg);
	md_meetings(b, gs, now);
	md_registrants(b, gs);
	md_milestones(b, gs);
	md_documents(b, gs);
	if (gs->npres > 0 || present_group_has(gs->g))
		present_report_md_group(b, gs->g, gs->pres, gs->npres);
}

/* The Conference's experiences by country, when any group has slots
 * for them (present.h). */
static void
md_experiences(struct buf *b, const struct group_status *gs, size_t n)
{
	const struct store_presentation **rows;
	const struct group **groups;
	size_t *nrows, i, any = 0;

	for (i = 0; i < n; i++)
		any += gs[i].npres > 0 || present_group_has(gs[i].g);
	if (any == 0)
		return;
	rows = xcalloc(n + 1, sizeof *rows);
	groups = xcalloc(n + 1, sizeof *groups);
	nrows = xcalloc(n + 1, sizeof *nrows);
	for (i = 0; i < n; i++) {
		groups[i] = gs[i].g;
		rows[i] = gs[i].pres;
		nrows[i] = gs[i].npres;
	}
	present_report_md_conference(b, groups, rows, nrows, n);
	free(rows);
	free(groups);
	free(nrows);
}

static void
report_md(struct buf *b, const struct config *cfg, struct group_status *gs,
    size_t n, int year, long long now)
{
	char when[21], title[128];
	size_t i;
	int section = -1, held = 0, sched = 0, shortg = 0, broken = 0;

	iso_utc(now, when);
	for (i = 0; i < n; i++) {
		held += gs[i].q.held;
		sched += gs[i].q.scheduled;
		shortg += gs[i].q.short_by > 0;
		broken += !gs[i].coordination_ok;
	}
	buf_addf(b, "# Working groups: annual report %d\n\n", year);
	buf_addf(b, "Prepared by the technical secretariat (%s) on %.10s. The "
	    "plan of work asks every working group to meet at least a set "
	    "number of times a year (its quota). A meeting counts as held "
	    "once it has ended and was not cancelled; scheduled meetings are "
	    "those still to come in %d.\n\n", cfg->org_name, when, year);
	buf_addf(b, "In %d, %zu working groups held %d meetings, with %d "
	    "more scheduled. %d %s short of quota and %d %s the coordination "
	    "rule.\n\n", year, n, held, sched, shortg, shortg == 1 ?
	    "group is" : "groups are", broken, broken == 1 ? "breaks" :
	    "break");
	buf_adds(b, "## Summary\n\n| Group | Quota | Held | Scheduled | "
	    "Short by | Coordination |\n|---|--:|--:|--:|--:|---|\n");
	for (i = 0; i < n; i++) {
		buf_addf(b, "| %s", gs[i].depth ? "↳ " : "");
		md_cell(b, gs[i].g->name);
		buf_addf(b, " | %d | %d | %d | %d%s | %s |\n", gs[i].q.quota,
		    gs[i].q.held, gs[i].q.scheduled, gs[i].q.short_by,
		    gs[i].q.judged ? "" : " (not judged)",
		    gs[i].coordination_ok ? "kept" : "not kept");
	}
	for (i = 0; i < n; i++) {
		if (gs[i].depth == 0 && section_of(gs[i].g) != section) {
			section = section_of(gs[i].g);
			buf_addf(b, "\n## %s\n", section_title(section, title,
			    sizeof title));
		}
		md_group(b, &gs[i], cfg, now);
	}
	md_experiences(b, gs, n);
}

/* RFC 4180: quoted when it holds a comma, a quote or a line break. */
static void
csv_field(struct buf *b, const char *s, int last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		buf_addc(b, '"');
		for (; *s; s++) {
			if (*s == '"')
				buf_addc(b, '"');
			buf_addc(b, *s);
		}
		buf_addc(b, '"');
	} else
		buf_adds(b, s);
	buf_adds(b, last ? "\r\n" : ",");
}

static void
csv_int(struct buf *b, int v)
{
	buf_addf(b, "%d,", v);
}

static void
report_csv(struct buf *b, struct group_status *gs, size_t n, long long now)
{
	char when[24], utc[21], rate[16];
	size_t i, j;

	buf_adds(b, "year,axis,group_kind,group_id,group_name,parent,quota,"
	    "held,scheduled,short_by,judged,coordination_ok,meeting_uid,date,"
	    "start_utc,meeting_kind,summary,status,agenda,accepted,declined,"
	    "tentative,no_answer,attendance_rate,minutes\r\n");
	for (i = 0; i < n; i++) {
		const struct group *g = gs[i].g;
		const struct quota_year *q = &gs[i].q;

		for (j = 0; j < (q->nm ? q->nm : 1); j++) {
			const struct store_meeting *m = q->nm ? &q->m[j] : NULL;

			csv_int(b, q->year);
			csv_field(b, config_axis_name(g->axis), 0);
			csv_field(b, config_group_kind_name(g->kind), 0);
			csv_field(b, g->id, 0);
			csv_field(b, g->name, 0);
			csv_field(b, g->parent, 0);
			csv_int(b, q->quota);
			csv_int(b, q->held);
			csv_int(b, q->scheduled);
			csv_int(b, q->short_by);
			csv_field(b, q->judged ? "yes" : "no", 0);
			csv_field(b, gs[i].coordination_ok ? "yes" : "no", 0);
			if (m == NULL) {
				buf_adds(b, ",,,,,,,,,,,,\r\n");
				continue;
			}
			local_time(m->start, g->timezone, when);
			iso_utc(m->start, utc);
			csv_field(b, m->uid, 0);
			csv_field(b, when, 0);
			csv_field(b, utc, 0);
			csv_field(b, m->kind, 0);
			csv_field(b, m->summary, 0);
			csv_field(b, quota_meeting_state(m, now), 0);
			csv_field(b, m->agenda_confirmed ? "confirmed" :
			    "pending", 0);
			csv_int(b, m->accepted);
			csv_int(b, m->declined);
			csv_int(b, m->tentative);
			csv_int(b, m->needs_action);
			rate[0] = '\0';
			if (invited(m) > 0)
				snprintf(rate, sizeof rate, "%.2f",
				    (double)m->accepted / invited(m));
			csv_field(b, rate, 0);
			csv_field(b, m->minutes_path, 1);
		}
	}
}

/* One group's identity, quota and bouncing addresses, up to "bouncing". */
static void
json_group_facts(struct buf *b, const struct group_status *gs)
{
	const struct group *g = gs->g;
	const struct quota_year *q = &gs->q;
	size_t j;

	json_str(b, g->id);
	buf_adds(b, ", \"name\": ");
	json_str(b, g->name);
	buf_adds(b, ", \"kind\": ");
	json_str(b, config_group_kind_name(g->kind));
	buf_adds(b, ", \"axis\": ");
	json_str_or_null(b, config_axis_name(g->axis));
	buf_adds(b, ", \"parent\": ");
	json_str_or_null(b, g->parent);
	buf_adds(b, ", \"timezone\": ");
	json_str(b, g->timezone);
	buf_addf(b, ",\n   \"quota\": %d, \"judged\": %s, "
	    "\"first_year\": ", q->quota, q->judged ? "true" : "false");
	if (q->first_year)
		buf_addf(b, "%d", q->first_year);
	else
		buf_adds(b, "null");
	buf_addf(b, ", \"held\": %d, \"scheduled\": %d, \"short_by\": %d, "
	    "\"coordination_ok\": %s, \"coordination_problem\": ",
	    q->held, q->scheduled, q->short_by,
	    gs->coordination_ok ? "true" : "false");
	json_str_or_null(b, gs->coordination_ok ? NULL : gs->why);
	buf_adds(b, ",\n   \"bouncing\": [");
	for (j = 0; j < gs->nbouncing; j++) {
		if (j)
			buf_adds(b, ", ");
		json_str(b, gs->bouncing[j]);
	}
	buf_adds(b, "],\n   \"list_posts\": {");
	for (j = 0; j < gs->nmonths; j++)
		buf_addf(b, "%s\"%s\": %lld", j ? ", " : "", gs->months[j].month,
		    gs->months[j].posts);
	buf_adds(b, "}");
}

/* The elements of the group's "meetings" array. */
static void
json_meetings(struct buf *b, const struct group_status *gs, long long now)
{
	const struct quota_year *q = &gs->q;
	char when[24], utc[21];
	size_t j;

	for (j = 0; j < q->nm; j++) {
		const struct store_meeting *m = &q->m[j];

		iso_utc(m->start, utc);
		local_time(m->start, gs->g->timezone, when);
		buf_adds(b, j ? ",\n    {\"uid\": " : "\n    {\"uid\": ");
		json_str(b, m->uid);
		buf_addf(b, ", \"start\": \"%s\", \"local_start\": \"%s\", "
		    "\"kind\": ", utc, when);
		json_str(b, m->kind ? m->kind : "meeting");
		buf_adds(b, ", \"summary\": ");
		json_str_or_null(b, m->summary);
		buf_addf(b, ",\n     \"status\": \"%s\", \"announced\": %s, "
		    "\"agenda\": \"%s\", \"minutes\": ",
		    quota_meeting_state(m, now),
		    q->from_series[j] ? "false" : "true",
		    m->agenda_confirmed ? "confirmed" : "pending");
		json_str_or_null(b, m->minutes_path);
		buf_addf(b, ",\n     \"rsvp\": {\"accepted\": %d, "
		    "\"declined\": %d, \"tentative\": %d, "
		    "\"needs_action\": %d}, \"attendance_rate\": ",
		    m->accepted, m->declined, m->tentative, m->needs_action);
		if (invited(m) > 0)
			buf_addf(b, "%.4f", (double)m->accepted / invited(m));
		else
			buf_adds(b, "null");
		buf_addf(b, ",\n     \"registered\": {\"count\": %lld, "
		    "\"waiting\": %lld}}", gs->seated[j], gs->waiting[j]);
	}
}

/* The elements of the group's "documents" array. */
static void
json_documents(struct buf *b, const struct group_status *gs)
{
	char utc[21];
	size_t j;

	for (j = 0; j < gs->ndocs; j++) {
		const struct store_doc *d = &gs->docs[j];

		iso_utc(d->received, utc);
		buf_adds(b, j ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
		json_str(b, d->kind);
		buf_adds(b, ", \"path\": ");
		json_str(b, d->path);
		buf_adds(b, ", \"meeting_uid\": ");
		json_str_or_null(b, d->meeting_uid);
		buf_adds(b, ", \"sender\": ");
		json_str_or_null(b, d->sender);
		buf_addf(b, ", \"received\": \"%s\"}", utc);
	}
}

static void
report_json(struct buf *b, struct group_status *gs, size_t n, int year,
    long long now)
{
	char utc[21];
	size_t i;

	iso_utc(now, utc);
	buf_addf(b, "{\"year\": %d, \"now\": \"%s\",\n \"groups\": [", year,
	    utc);
	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ",\n  {\"id\": " : "\n  {\"id\": ");
		json_group_facts(b, &gs[i]);
		buf_adds(b, ",\n   \"meetings\": [");
		json_meetings(b, &gs[i], now);
		buf_adds(b, "],\n   \"documents\": [");
		json_documents(b, &gs[i]);
		buf_adds(b, "],\n   \"milestones\": ");
		milestone_json(b, gs[i].ms, gs[i].nms);
		if (gs[i].npres > 0 || present_group_has(gs[i].g))
			present_report_json_group(b, gs[i].g, gs[i].pres,
			    gs[i].npres);
		buf_addc(b, '}');
	}
	buf_adds(b, "]}\n");
}

int
report_annual(FILE *fp, const struct config *cfg, struct store *st,
    long long now, int year, const char *format, char **err)
{
	const struct group **order;
	struct group_status *gs;
	struct buf b = BUF_INIT(BUF_OWN);
	int *depths, rc = 0;
	size_t i, n, ok = 0;

	if (format == NULL)
		format = "md";
	if (strcmp(format, "html") == 0)
		return htmlreport_write(fp, cfg, st, now, year, err);
	if (strcmp(format, "md") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0) {
		*err = xasprintf("unknown report format '%s': md, csv, json "
		    "or html",
		    format);
		return -1;
	}
	order = xcalloc(cfg->ngroups + 1, sizeof *order);
	depths = xcalloc(cfg->ngroups + 1, sizeof *depths);
	gs = xcalloc(cfg->ngroups + 1, sizeof *gs);
	n = report_order(cfg, order, depths);
	for (i = 0; i < n; i++, ok++) {
		if (gather(&gs[i], cfg, order[i], st, year, now, 1, err) == -1) {
			rc = -1;
			goto out;
		}
		gs[i].depth = depths[i];
	}
	if (strcmp(format, "md") == 0)
		report_md(&b, cfg, gs, n, year, now);
	else if (strcmp(format, "csv") == 0)
		report_csv(&b, gs, n, now);
	else
		report_json(&b, gs, n, year, now);
	rc = flush_out(fp, &b, "report", err);
out:
	for (i = 0; i < ok; i++)
		release(&gs[i]);
	free(gs);
	free(order);
	free(depths);
	buf_release(&b);
	return rc;
}

/* ---- calendar feeds ---- */

char *
report_calendar(const struct config *cfg, struct store *st,
    const struct group *g, long long now, char **err)
{
	struct store_plan_meeting *rows = NULL;
	struct ical_event *ev;
	size_t n = 0, i;
	char *text;

	if (store_plan_meetings(st, g->id, LLONG_MIN, LLONG_MAX, &rows, &n,
	    err) == -1)
		return NULL;
	ev = xcalloc(n ? n : 1, sizeof *ev);
	for (i = 0; i < n; i++) {
		ev[i].uid = rows[i].uid;
		ev[i].sequence = rows[i].sequence;
		ev[i].dtstamp = now;
		ev[i].start = rows[i].start;
		ev[i].end = rows[i].end;
		ev[i].tzid = rows[i].tzid ? rows[i].tzid : g->timezone;
		ev[i].summary = rows[i].summary ? rows[i].summary : g->name;
		ev[i].description = rows[i].agenda_confirmed ? rows[i].agenda :
		    NULL;
		ev[i].location = rows[i].location;
		ev[i].org_name = cfg->org_name;
		ev[i].org_email = cfg->org_email;
		ev[i].cancelled = rows[i].cancelled;
		ev[i].categories = rows[i].kind;
	}
	text = ical_build("PUBLISH", ev, n);
	free(ev);
	store_plan_meetings_free(rows, n);
	return text;
}

/* The text without its DTSTAMP lines (and their folded continuations):
 * what decides whether the feed changed. */
static char *
without_dtstamp(const char *s)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *e;
	int skip = 0;

	for (; *s; s = e) {
		e = strchr(s, '\n');
		e = e ? e + 1 : s + strlen(s);
		if (*s == ' ' || *s == '\t') {
			if (!skip)
				buf_add(&b, s, (size_t)(e - s));
			continue;
		}
		skip = strncmp(s, "DTSTAMP", 7) == 0;
		if (!skip)
			buf_add(&b, s, (size_t)(e - s));
	}
	buf_adds(&b, "");
	return buf_detach(&b);
}

/* The digest of every field the feed carries: what it shows
 * ("feed-<hex>", caller frees), or NULL with *err when the store failed.
 * Rendering every group's feed every cycle costs more than the rest of
 * an idle cycle: the digest says whether it can have changed. */
static char *
feed_key(const struct config *cfg, struct store *st, const struct group *g,
    char **err)
{
	struct store_plan_meeting *rows = NULL;
	struct buf b = BUF_INIT(BUF_OWN);
	char hex[65];
	size_t n = 0, i;

	if (store_plan_meetings(st, g->id, LLONG_MIN, LLONG_MAX, &rows, &n,
	    err) == -1)
		return NULL;
	buf_addf(&b, "%s|%s|%s|%s\n", g->name, g->timezone, cfg->org_name,
	    cfg->org_email);
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s|%d|%d|%lld|%lld|%s|%s|%s|%s\n", rows[i].uid,
		    rows[i].sequence, rows[i].cancelled, rows[i].start,
		    rows[i].end, rows[i].tzid ? rows[i].tzid : "",
		    rows[i].summary ? rows[i].summary : "",
		    rows[i].location ? rows[i].location : "",
		    rows[i].kind ? rows[i].kind : "");
	store_plan_meetings_free(rows, n);
	sha256_hex(buf_str(&b), b.len, hex);
	buf_release(&b);
	return xasprintf("feed-%s", hex);
}

/* 1 when text is what the feed in gfd already says, DTSTAMP aside. */
static int
feed_same(int gfd, const char *text)
{
	char *old, *a, *b;
	int same;

	if (archive_read_file(gfd, "calendar.ics", FEED_MAX, &old) == -1)
		return 0;
	a = without_dtstamp(old);
	b = without_dtstamp(text);
	same = strcmp(a, b) == 0;
	free(a);
	free(b);
	free(old);
	return same;
}

/* The feed about to be replaced, journaled first (repo.h): whatever
 * is on disk after a crash gets its commit.  ARCHIVE_OK, or -1 (store,
 * *err). */
static int
journal_feed(struct store *st, const struct group *g, long long now,
    char **err)
{
	char *path = xasprintf("%s/calendar.ics", g->id);
	const char *paths[] = { path };
	int rc;

	rc = repo_commit_convened(st, g->id, "calendar", paths, 1, now,
	    err) == -1 ? -1 : ARCHIVE_OK;
	free(path);
	return rc;
}

/* The feeds of a cycle, written in file_batches (util.h): two syncs for
 * all, not two each.  A group's digest is recorded, and its outage
 * ended, once its feed is on the disk (feeds_commit()). */
struct feeds {
	struct file_batch b;
	struct feed_pending {
		const struct group *g;
		char       *key;        /* its digest, to record */
		int         was_try;    /* its outage ends with the write */
	} p[FILE_BATCH_MAX];
	int        *written;
};

/* What the write of g's feed came to (r, why: archive.h's), as an
 * outage of the repository or of g's directory: one that was being tried
 * again (was_try) ends with a write, a failure starts or goes on with
 * one, told once.  0, or -1 when the store failed (*err). */
static int
feed_told(const struct config *cfg, struct store *st, const struct group *g,
    long long now, int r, int was_try, const char *why, char **err)
{
	int rc;

	if (r == ARCHIVE_OK)
		return was_try ? outage_repository_ok(cfg, st, g->id, now,
		    err) : 0;
	if ((rc = outage_repository_failed(cfg, st, g->id, r, why, now,
	    err)) == 0)
		log_warnx("%s: cannot update the calendar feed: %s", g->id,
		    why);
	return rc == -1 ? -1 : 0;
}

/* The batch on the disk and what it wrote recorded; or each group of it
 * told of the failure, as a write of its own would have been.  0, or -1
 * when the store failed (*err). */
static int
feeds_commit(const struct config *cfg, struct store *st, long long now,
    struct feeds *fs, char **err)
{
	size_t i, n = fs->b.n;
	char *why = NULL;
	int r, rc = 0;

	r = archive_batch_commit(&fs->b, &why);
	for (i = 0; i < n; i++) {
		struct feed_pending *p = &fs->p[i];

		if (rc == 0 && r == ARCHIVE_OK) {
			log_debug("%s: calendar feed written", p->g->id);
			if (fs->written != NULL)
				(*fs->written)++;
			if (store_warning_replace(st, p->g->id,
			    "calendar-feed", p->key, 0, err) == -1)
				rc = -1;
		}
		if (rc == 0 && feed_told(cfg, st, p->g, now, r, p->was_try,
		    why, err) == -1)
			rc = -1;
		free(p->key);
	}
	free(why);
	return rc;
}

/* Render g's feed and put it into the batch unless it shows what it
 * showed when written last (the digest is recorded, and only after a
 * write: a write that fails is tried again).  ARCHIVE_OK (nothing to
 * write, its digest recorded), FEED_PENDING (in the batch), or the
 * write's failure with *werr; -1 when the store failed (*err). */
#define FEED_PENDING    (-2)
static int
put_feed(const struct config *cfg, struct store *st, const struct group *g,
    long long now, int gfd, int was_try, struct feeds *fs, char **werr,
    char **err)
{
	struct stat sb;
	char *key, *text = NULL;
	int has, rc = -1;

	if ((key = feed_key(cfg, st, g, err)) == NULL ||
	    (has = store_warning_has(st, g->id, "calendar-feed", key, err)) == -1)
		goto out;
	rc = ARCHIVE_OK;
	if (has && fstatat(gfd, "calendar.ics", &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(sb.st_mode))
		goto out;
	if ((text = report_calendar(cfg, st, g, now, err)) == NULL) {
		rc = -1;
		goto out;
	}
	if (!feed_same(gfd, text)) {
		if (fs->b.n == FILE_BATCH_MAX && feeds_commit(cfg, st, now, fs,
		    err) == -1) {
			rc = -1;
			goto out;
		}
		if ((rc = journal_feed(st, g, now, err)) == ARCHIVE_OK &&
		    (rc = archive_batch_file(&fs->b, gfd, "calendar.ics", text,
		    strlen(text), werr)) == ARCHIVE_OK) {
			fs->p[fs->b.n - 1] = (struct feed_pending){ g, key,
			    was_try };
			key = NULL;
			rc = FEED_PENDING;
		}
	} else if (store_warning_replace(st, g->id, "calendar-feed", key, 0,
	    err) == -1)
		rc = -1;
out:
	free(text);
	free(key);
	return rc;
}

/* One group's feed: not while the repository waits for its next try; a
 * failure of the repository or of the group's directory is an outage
 * (outage.h), told once. */
static int
group_feed(const struct config *cfg, struct store *st, const struct group *g,
    long long now, struct feeds *fs, char **err)
{
	char *werr = NULL;
	int due, gfd = -1, rc;

	if ((due = outage_repository_due(st, g->id, now, err)) != OUTAGE_UP &&
	    due != OUTAGE_TRY)
		return due;
	rc = archive_group_dir(cfg->repository, g->id, &gfd, &werr);
	if (rc == ARCHIVE_OK)
		rc = put_feed(cfg, st, g, now, gfd, due == OUTAGE_TRY, fs,
		    &werr, err);
	if (gfd != -1)
		close(gfd);
	if (rc == -1)
		return -1;
	/* In the batch: told when it is on the disk (feeds_commit()). */
	rc = rc == FEED_PENDING ? 0 : feed_told(cfg, st, g, now, rc,
	    due == OUTAGE_TRY, werr, err);
	free(werr);
	return rc;
}

int
report_calendar_write(const struct config *cfg, struct store *st,
    long long now, int *written, char **err)
{
	return report_calendar_write_some(cfg, st, now, NULL, written, err);
}

int
report_calendar_write_some(const struct config *cfg, struct store *st,
    long long now, const unsigned char *only, int *written, char **err)
{
	struct feeds *fs = xcalloc(1, sizeof *fs);
	size_t i;
	int rc = 0;

	fs->written = written;
	for (i = 0; i < cfg->ngroups && rc == 0; i++)
		if ((only == NULL || only[i]) && group_feed(cfg, st,
		    &cfg->groups[i], now, fs, err) == -1)
			rc = -1;
	/* What is in the batch goes even after a store failure: its
	 * journal rows are there for the next cycle's history. */
	if (rc == 0)
		rc = feeds_commit(cfg, st, now, fs, err);
	else {
		char *more = NULL;

		(void)feeds_commit(cfg, st, now, fs, &more);
		free(more);
	}
	free(fs);
	return rc;
}

/*
 * quota.c: held, scheduled and short_by for a group's year, and the
 * warnings built on them (see quota.h).
 * The warnings are notices (notice.h): once per group and key, to the
 * coordinators and the admin, with the values that depend on the reader
 * (dates, "six months", the rule broken) localized for each one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "letter.h"
#include "log.h"
#include "notice.h"
#include "plan.h"
#include "quota.h"
#include "store.h"
#include "template.h"
#include "util.h"

#define MAX_OCCURRENCES 1000    /* per series and year: daily is 366 */

const char *
quota_meeting_state(const struct store_meeting *m, long long now)
{
	if (m->cancelled)
		return "cancelled";
	return m->end <= now ? "held" : "scheduled";
}

/* Year of the group's first meeting in its own zone, 0 without series. */
static int
first_year(const struct group *g)
{
	struct ical_local lt;
	long long first = 0, t;
	int have = 0;
	size_t i;

	for (i = 0; i < g->nseries; i++) {
		if (ical_parse_local(g->series[i].start, 0, &lt) == -1)
			continue;
		t = ical_local_to_utc(&lt, g->series[i].timezone);
		if (!have || t < first)
			first = t;
		have = 1;
	}
	return have ? ical_year_in_zone(first, g->timezone) : 0;
}

struct entry {
	struct store_meeting m;
	unsigned char from_series;
};

static int
by_start(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->m.start != y->m.start)
		return x->m.start < y->m.start ? -1 : 1;
	return strcmp(x->m.uid, y->m.uid);
}

/* The year's occurrences of g's series that are still to end and that
 * the planner has not stored yet, because they lie beyond the horizon,
 * appended to *extra.  A stored UID decides, wherever its meeting has
 * moved since. */
static int
unstored(const struct config *cfg, const struct group *g, struct store *st,
    const struct store_meeting *m, size_t nm, long long from, long long to,
    long long now, struct store_meeting **extra, size_t *nextra, char **err)
{
	struct ical_occurrence *occ;
	struct store_meeting *e;
	size_t nocc, i, j, k;
	char *uid;
	int rc;

	for (i = 0; i < g->nseries && now < to; i++) {
		const struct series *s = &g->series[i];

		occ = NULL;
		nocc = 0;
		if (ical_expand(s->start, s->timezone, s->duration, s->rrule,
		    s->exdate, s->nexdate, from, to, MAX_OCCURRENCES, &occ,
		    &nocc, err) == -1)
			return -1;
		for (j = 0; j < nocc; j++) {
			if (occ[j].end <= now)
				continue;
			uid = plan_uid(cfg, g->id, s->name, occ[j].key);
			for (k = 0; k < nm && strcmp(m[k].uid, uid) != 0; k++)
				;
			rc = k < nm ? 1 : store_meeting_exists(st, uid, err);
			if (rc != 0) {
				free(uid);
				if (rc == -1) {
					free(occ);
					return -1;
				}
				continue;
			}
			*extra = xreallocarray(*extra, *nextra + 1,
			    sizeof **extra);
			e = &(*extra)[(*nextra)++];
			memset(e, 0, sizeof *e);
			e->uid = uid;
			e->group_id = xstrdup(g->id);
			e->series = xstrdup(s->name);
			e->start = occ[j].start;
			e->end = occ[j].end;
			e->kind = xstrdup(config_meeting_kind_name(s->kind));
			e->summary = xstrdup(s->summary);
			e->tzid = xstrdup(s->timezone);
		}
		free(occ);
	}
	return 0;
}

/* One list by start in q, the stored and the announced-later alike; m
 * and extra are taken over (their arrays freed, their rows moved). */
static void
merge(struct quota_year *q, struct store_meeting *m, size_t nm,
    struct store_meeting *extra, size_t nextra)
{
	struct entry *all;
	size_t i;

	q->nm = nm + nextra;
	all = xcalloc(q->nm ? q->nm : 1, sizeof *all);
	for (i = 0; i < nm; i++)
		all[i].m = m[i];
	for (i = 0; i < nextra; i++) {
		all[nm + i].m = extra[i];
		all[nm + i].from_series = 1;
	}
	free(m);
	free(extra);
	qsort(all, q->nm, sizeof *all, by_start);
	q->m = xcalloc(q->nm ? q->nm : 1, sizeof *q->m);
	q->from_series = xcalloc(q->nm ? q->nm : 1, 1);
	for (i = 0; i < q->nm; i++) {
		q->m[i] = all[i].m;
		q->from_series[i] = all[i].from_series;
	}
	free(all);
}

int
quota_year(const struct config *cfg, const struct group *g,
    struct store *st, int year, long long now, struct quota_year *q,
    char **err)
{
	struct store_meeting *m = NULL, *extra = NULL;
	size_t nm = 0, nextra = 0, i;
	long long from, to;

	memset(q, 0, sizeof *q);
	q->year = year;
	q->quota = g->quota;
	q->first_year = first_year(g);
	q->judged = q->first_year != 0 && year >= q->first_year;
	from = ical_year_start(year, g->timezone);
	to = ical_year_start(year + 1, g->timezone);
	if (store_group_meetings(st, g->id, from, to, &m, &nm, err) == -1)
		return -1;
	for (i = 0; i < nm; i++) {
		const char *s = quota_meeting_state(&m[i], now);

		if (strcmp(s, "held") == 0)
			q->held++;
		else if (strcmp(s, "scheduled") == 0)
			q->scheduled++;
	}
	if (unstored(cfg, g, st, m, nm, from, to, now, &extra, &nextra,
	    err) == -1) {
		store_meetings_free(m, nm);
		store_meetings_free(extra, nextra);
		return -1;
	}
	q->scheduled += (int)nextra;
	merge(q, m, nm, extra, nextra);
	q->short_by = q->judged ? q->quota - q->held - q->scheduled : 0;
	if (q->short_by < 0)
		q->short_by = 0;
	return 0;
}

void
quota_year_free(struct quota_year *q)
{
	store_meetings_free(q->m, q->nm);
	free(q->from_series);
	memset(q, 0, sizeof *q);
}

/* ---- localized values ---- */

/* Whole months from now to the end of the year, as words. */
static char *
months_left(const char *lang, long long now, long long year_end)
{
	static const char *const none[] = { "menos de un mes",
	    "less than a month", "menos de um mês", "moins d'un mois" };
	static const char *const one[] = { "1 mes", "1 month", "1 mês",
	    "1 mois" };
	static const char *const many[] = { "meses", "months", "meses",
	    "mois" };
	long long days = (year_end - now) / DAY;
	int l = template_lang(lang), n = (int)(days * 12 / 365);

	if (n <= 0)
		return xstrdup(none[l]);
	if (n == 1)
		return xstrdup(one[l]);
	return xasprintf("%d %s", n, many[l]);
}

/* The rule broken, in the reader's language.  config.c gives it in
 * English; an unknown reason (a rule added there later) is passed on. */
static const char *
why_word(const char *lang, const char *why)
{
	static const struct {
		const char *en_prefix;
		const char *text[4];
	} t[] = {
		{ "fewer than two", {
		    "el grupo tiene menos de dos coordinadores",
		    "the group has fewer than two coordinators",
		    "o grupo tem menos de dois coordenadores",
		    "le groupe compte moins de deux coordonnateurs" } },
		{ "no coordinator from a country", {
		    "ningún coordinador proviene del ministerio de un país",
		    "no coordinator comes from a country's ministry",
		    "nenhum coordenador provém do ministério de um país",
		    "aucun coordonnateur ne relève du ministère d'un pays" } },
		{ "no coordinator from the secretariat", {
		    "ningún coordinador proviene de la secretaría técnica",
		    "no coordinator comes from the technical secretariat",
		    "nenhum coordenador provém da secretaria técnica",
		    "aucun coordonnateur ne relève du secrétariat technique" } },
	};
	size_t i;

	for (i = 0; why != NULL && i < sizeof t / sizeof t[0]; i++)
		if (strncmp(why, t[i].en_prefix, strlen(t[i].en_prefix)) == 0)
			return t[i].text[template_lang(lang)];
	return why ? why : "";
}

/* The two roles the rule names, in the reader's language; the others as
 * the configuration spells them. */
static const char *
role_word(const char *lang, enum role r)
{
	static const char *const ministry[] = { "ministerio", "ministry",
	    "ministério", "ministère" };
	static const char *const secretariat[] = { "secretaría técnica",
	    "technical secretariat", "secretaria técnica",
	    "secrétariat technique" };

	if (r == ROLE_MINISTRY)
		return ministry[template_lang(lang)];
	if (r == ROLE_SECRETARIAT)
		return secretariat[template_lang(lang)];
	return config_role_name(r);
}

/* ---- sending ---- */

/* What a warning says, for one reader. */
struct qmsg {
	const char *kind;
	const char *key;
	const struct quota_year *q;     /* quota kinds */
	long long   now;
	long long   year_end;
	const char *why;                /* rule-warning */
	const struct group *g;
};

/* notice.h's vars_for: what depends on the reader's language and zone. */
static void
add_vars(void *arg, struct letter_vars *lv, const char *lang, const char *tz)
{
	const struct qmsg *w = arg;
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i, j;

	if (w->q != NULL) {
		letter_vars_take(lv, "year", xasprintf("%d", w->q->year));
		letter_vars_take(lv, "quota", xasprintf("%d", w->q->quota));
		letter_vars_take(lv, "held", xasprintf("%d", w->q->held));
		letter_vars_take(lv, "scheduled", xasprintf("%d",
		    w->q->scheduled));
		letter_vars_take(lv, "short_by", xasprintf("%d", w->q->short_by));
		letter_vars_take(lv, "months_left", months_left(lang, w->now,
		    w->year_end));
		letter_vars_take(lv, "checkpoint", template_date(lang, w->now,
		    tz));
		for (i = 0; i < w->q->nm; i++) {
			const struct store_meeting *m = &w->q->m[i];
			char *d;

			if (strcmp(quota_meeting_state(m, w->now),
			    "scheduled") != 0)
				continue;
			d = template_date(lang, m->start, tz);
			buf_addf(&b, "%s  - %s, %s", b.len ? "\n" : "", d,
			    template_kind_word(lang, m->kind ? m->kind :
			    "meeting"));
			free(d);
		}
		letter_vars_take(lv, "planned_dates", buf_detach(&b));
	}
	if (w->why != NULL) {
		letter_vars_add(lv, "why", why_word(lang, w->why));
		for (i = 0, j = 0; i < w->g->nmembers; i++) {
			const struct member *mb = &w->g->members[i];

			if (!mb->coordinator)
				continue;
			buf_addf(&b, "%s  - %s <%s> (%s)", j++ ? "\n" : "",
			    mb->name ? mb->name : mb->email, mb->email,
			    role_word(lang, mb->role));
		}
		letter_vars_take(lv, "coordinators", buf_detach(&b));
	}
	buf_release(&b);
}

/* Record the warning and queue it to every coordinator and the admin,
 * unless it went before.  1 queued, 0 sent before, -1 error. */
static int
warn(const struct cycle_ctx *c, const struct qmsg *w, char **err)
{
	struct notice n;

	memset(&n, 0, sizeof n);
	n.letter.kind = w->kind;
	n.letter.group = w->g;
	n.letter.ref = w->key;
	n.letter.vars_for = add_vars;
	n.letter.arg = (void *)w;
	n.copy_admin = 1;
	return notice_queue(c, &n, err);
}

/* ---- the checks ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
quota_rule_key(const struct group *g)
{
	struct buf b = BUF_INIT(BUF_OWN);
	char **lines, hex[65];
	size_t i;

	lines = xcalloc(g->nmembers ? g->nmembers : 1, sizeof *lines);
	for (i = 0; i < g->nmembers; i++)
		lines[i] = xasprintf("%s %d %s", g->members[i].email,
		    g->members[i].coordinator ? 1 : 0,
		    config_role_name(g->members[i].role));
	qsort(lines, g->nmembers, sizeof *lines, cmp_str);
	for (i = 0; i < g->nmembers; i++) {
		buf_adds(&b, lines[i]);
		buf_addc(&b, '\n');
	}
	sha256_hex(buf_str(&b), b.len, hex);
	strv_free(lines, g->nmembers);
	buf_release(&b);
	return xasprintf("rule-%.16s", hex);
}

/* kind about g's `year` to the coordinators and the admin when the group
 * is short of quota; checkpoint names the check in the log. */
static int
warn_short(const struct cycle_ctx *c, const struct group *g, int year,
    const char *kind, const char *key, const char *checkpoint, char **err)
{
	struct quota_year q;
	struct qmsg w;
	int rc;

	if (quota_year(c->cfg, g, c->st, year, c->now, &q, err) == -1)
		return -1;
	if (checkpoint != NULL)
		log_info("%s: quota checkpoint %s: %d held, %d scheduled, "
		    "quota %d", g->id, checkpoint, q.held, q.scheduled, q.quota);
	memset(&w, 0, sizeof w);
	w.g = g;
	w.now = c->now;
	w.kind = kind;
	w.key = key;
	w.q = &q;
	w.year_end = ical_year_start(year + 1, g->timezone);
	rc = q.short_by > 0 ? warn(c, &w, err) : 0;
	quota_year_free(&q);
	return rc;
}

/* The latest checkpoint the group's local date has reached this year,
 * looked at once. */
static int
checkpoint(const struct cycle_ctx *c, const struct group *g,
    const struct ical_tm *tm, char **err)
{
	int mmdd = tm->month * 100 + tm->day, best = 0, rc;
	char key[32];
	size_t i;

	for (i = 0; i < c->cfg->nquota_checks; i++)
		if (c->cfg->quota_checks[i] <= mmdd &&
		    c->cfg->quota_checks[i] > best)
			best = c->cfg->quota_checks[i];
	if (best == 0 || first_year(g) == 0 || tm->year < first_year(g))
		return 0;
	snprintf(key, sizeof key, "%04d-%02d-%02d", tm->year % 10000,
	    best / 100, best % 100);
	if ((rc = store_warning_add(c->st, g->id, "quota-check", key, c->now,
	    err)) != 1)
		return rc;
	return warn_short(c, g, tm->year, "quota-warning", key, key, err);
}

static int
rule(const struct cycle_ctx *c, const struct group *g, char **err)
{
	struct qmsg w;
	const char *why;
	char *key;
	int rc;

	if (config_coordination_ok(g, &why))
		return 0;
	key = quota_rule_key(g);
	memset(&w, 0, sizeof w);
	w.g = g;
	w.now = c->now;
	w.kind = "rule-warning";
	w.key = key;
	w.why = why;
	rc = warn(c, &w, err);
	free(key);
	return rc;
}

int
quota_group(const struct cycle_ctx *c, const struct group *g, char **err)
{
	struct ical_tm tm;
	char key[16];

	/* The warnings table names the group: it must be known even when
	 * its planning failed this cycle. */
	if (store_group_sync(c->st, g->id, g->name, c->now, err) == -1)
		return -1;
	/* Checkpoints and the year are dates of the group's zone. */
	cycle_due_midnight(c, g);
	ical_localtime(c->now, g->timezone, &tm);
	if (checkpoint(c, g, &tm, err) == -1)
		return -1;
	/* January: how the year that ended went. */
	if (tm.month == 1) {
		snprintf(key, sizeof key, "%04d", (tm.year - 1) % 10000);
		if (warn_short(c, g, tm.year - 1, "quota-year-end", key, NULL,
		    err) == -1)
			return -1;
	}
	return rule(c, g, err) == -1 ? -1 : 0;
}

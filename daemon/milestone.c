/*
 * milestone.c: the milestones of a group's plan of work (see milestone.h).
 *
 * Day arithmetic is done on civil day numbers (days since 1970-01-01 in
 * the proleptic Gregorian calendar), so that "14 days before 5 January"
 * crosses the year as the calendar does; only the last step, the local
 * midnight of the day found, asks libical (ical.h) about the zone.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "letter.h"
#include "log.h"
#include "milestone.h"
#include "msgid.h"
#include "store.h"
#include "template.h"
#include "util.h"

/* ---- days ---------------------------------------------------------------- */

/* Days since 1970-01-01 of y-m-d, for any Gregorian date. */
static long long
civil_days(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of day number z. */
static void
civil_date(long long z, int *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

int
milestone_day_start(const char *date, int days, const char *tzid,
    long long *out)
{
	struct ical_local lt;

	if (date == NULL || ical_parse_local(date, 1, &lt) == -1 ||
	    !lt.is_date)
		return -1;
	civil_date(civil_days(lt.year, lt.month, lt.day) + days, &lt.year,
	    &lt.month, &lt.day);
	lt.hour = lt.minute = 0;
	lt.is_date = 0;
	*out = ical_local_to_utc(&lt, tzid);
	return 0;
}

int
milestone_days(const struct milestone *ms, const char *tzid,
    struct milestone_days *out)
{
	if (milestone_day_start(ms->due, -ms->lead_days, tzid, &out->lead) ==
	    -1 || milestone_day_start(ms->due, 0, tzid, &out->due) == -1 ||
	    milestone_day_start(ms->due, 1, tzid, &out->overdue) == -1 ||
	    milestone_day_start(ms->due, MILESTONE_LATE_DAYS, tzid,
	    &out->late) == -1)
		return -1;
	return 0;
}

/* ---- the coordinators' answer ------------------------------------------- */

/* The base letter of the UTF-8 character at p (its length in *len), in
 * capitals: ASCII letters, and the Latin-1 letters the four languages
 * accent (two bytes, 0xC3 0x80..0xBF).  0 for anything else. */
static char
base_letter(const unsigned char *p, size_t *len)
{
	/* 0xC0 .. 0xFF of Latin-1, lower and upper case folded. */
	static const char latin1[] =
	    "AAAAAAACEEEEIIII" "DNOOOOO\0OUUUUY\0\0"
	    "AAAAAAACEEEEIIII" "DNOOOOO\0OUUUUY\0Y";

	*len = 1;
	if (isalpha(*p) && *p < 0x80)
		return (char)toupper(*p);
	if (*p == 0xc3 && p[1] >= 0x80 && p[1] <= 0xbf) {
		*len = 2;
		return latin1[p[1] - 0x80];
	}
	return 0;
}

int
milestone_first_word_in(const char *unquoted, const char *const *words)
{
	const unsigned char *p = (const unsigned char *)unquoted;
	char word[16], c;
	size_t n = 0, len, i;
	int ended = 0;

	for (; p != NULL && *p != '\0' && *p != '\n'; p += len) {
		if ((c = base_letter(p, &len)) != 0) {
			/* A second word, or a word too long for ours. */
			if (ended || n + 1 >= sizeof word)
				return 0;
			word[n++] = c;
		} else if (*p < 0x80 && (isspace(*p) || ispunct(*p)))
			ended = n > 0;
		else
			return 0;       /* digits, other scripts: not the word */
	}
	word[n] = '\0';
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(word, words[i]) == 0)
			return 1;
	return 0;
}

int
milestone_is_done_word(const char *unquoted)
{
	static const char *const words[] = { "DONE", "HECHO", "FEITO", "FAIT",
	    NULL };

	return milestone_first_word_in(unquoted, words);
}

/* The notice key of ms's reminder: "<name>.lead" or "<name>.due". */
static char *
reminder_key(const struct milestone *ms, int due)
{
	return xasprintf("%s.%s", ms->name, due ? "due" : "lead");
}

const struct milestone *
milestone_of_ref(const struct group *g, const char *ref)
{
	struct msgid id;
	char *key;
	size_t i;
	int k, hit;

	if (ref == NULL || *ref == '\0')
		return NULL;
	for (i = 0; i < g->nmilestones; i++)
		for (k = 0; k < 2; k++) {
			key = reminder_key(&g->milestones[i], k);
			memset(&id, 0, sizeof id);
			msgid_set_ref(&id, key);
			hit = strcmp(id.ref, ref) == 0;
			free(key);
			if (hit)
				return &g->milestones[i];
		}
	return NULL;
}

/* ---- reminders and the overdue notice ------------------------------------ */

/* What a letter about a milestone says to its reader: the due date in
 * their language. */
struct about {
	const struct group *g;
	const struct milestone *ms;
	long long due;          /* 00:00 of the due day, UTC */
};

static void
due_for(void *arg, struct letter_vars *lv, const char *lang, const char *tz)
{
	const struct about *a = arg;

	(void)tz;
	/* Noon of the day in the group's zone: its date wherever DST goes. */
	letter_vars_take(lv, "due", template_date(lang, a->due + 12 * 3600,
	    a->g->timezone));
}

/* kind about ms to one reader, with the note key (the Message-ID's ref).
 * 1 queued, 0 queued before, -1 error. */
static int
write_to(const struct cycle_ctx *c, const struct about *a, const char *kind,
    const char *key, int due_today, const char *to, char **err)
{
	char lead[16], tag[80];
	struct letter l;
	int rc;

	snprintf(lead, sizeof lead, "%d", a->ms->lead_days);
	snprintf(tag, sizeof tag, "[%s]", a->g->id);
	{
		const struct tvar vars[] = {
			{ "milestone", a->ms->name }, { "summary", a->ms->summary },
			{ "due_today", due_today ? "1" : NULL },
			{ "before_due", due_today ? NULL : "1" },
			{ "lead_days", lead }, { "tag", tag },
			{ "owner_secretariat", a->ms->owner == MOWNER_SECRETARIAT ?
			    "1" : NULL },
		};

		memset(&l, 0, sizeof l);
		l.kind = kind;
		l.group = a->g;
		l.to = to;
		l.ref = key;
		l.vars = vars;
		l.nvars = sizeof vars / sizeof vars[0];
		l.vars_for = due_for;
		l.arg = (void *)a;
		if ((rc = letter_queue(c->cfg, c->st, &l, c->now, err)) == 1)
			c->cs->queued++;
	}
	return rc;
}

/* 1 when m is one of the owners of ms in g (any coordinator when none has
 * the secretariat's role: `check` warned of it). */
static int
owns(const struct group *g, const struct milestone *ms,
    const struct member *m)
{
	size_t i;

	if (!m->coordinator)
		return 0;
	if (ms->owner == MOWNER_COORDINATORS || m->role == ROLE_SECRETARIAT)
		return 1;
	for (i = 0; i < g->nmembers; i++)
		if (g->members[i].coordinator &&
		    g->members[i].role == ROLE_SECRETARIAT)
			return 0;
	return 1;
}

/* The reminder (lead or due) of a, once: recorded, then queued to each
 * owner.  0, or -1 with *err. */
static int
remind(const struct cycle_ctx *c, const struct about *a, int due, char **err)
{
	char *key = reminder_key(a->ms, due);
	size_t i, n = 0;
	int rc;

	if ((rc = store_warning_add(c->st, a->g->id, MILESTONE_REMINDER, key,
	    c->now, err)) == 1)
		for (i = 0; i < a->g->nmembers && rc >= 0; i++)
			if (owns(a->g, a->ms, &a->g->members[i])) {
				rc = write_to(c, a, MILESTONE_REMINDER, key, due,
				    a->g->members[i].email, err);
				n++;
			}
	if (rc >= 0 && n > 0)
		log_info("%s: milestone %s: %s reminder queued for %zu owner%s",
		    a->g->id, a->ms->name, due ? "due-date" : "lead", n,
		    n == 1 ? "" : "s");
	free(key);
	return rc < 0 ? -1 : 0;
}

/* The admin told, once, that a is overdue. */
static int
tell_overdue(const struct cycle_ctx *c, const struct about *a, char **err)
{
	int rc;

	if ((rc = store_warning_add(c->st, a->g->id, MILESTONE_OVERDUE,
	    a->ms->name, c->now, err)) != 1)
		return rc;
	if (c->cfg->admin == NULL) {
		log_info("%s: milestone %s overdue since %s; no [policy] admin "
		    "to tell", a->g->id, a->ms->name, a->ms->due);
		return 0;
	}
	if (write_to(c, a, MILESTONE_OVERDUE, a->ms->name, 1, c->cfg->admin,
	    err) == -1)
		return -1;
	log_info("%s: milestone %s overdue since %s: the admin told",
	    a->g->id, a->ms->name, a->ms->due);
	return 0;
}

static int
one_milestone(const struct cycle_ctx *c, const struct group *g,
    const struct milestone *ms, char **err)
{
	struct milestone_days d;
	struct about a;
	char *done = NULL;
	int rc;

	if (milestone_days(ms, g->timezone, &d) == -1 || c->now < d.lead)
		return 0;
	if ((rc = store_milestone_done_on(c->st, g->id, ms->name, &done,
	    err)) != 0) {
		free(done);
		return rc == 1 ? 0 : -1;
	}
	a.g = g;
	a.ms = ms;
	a.due = d.due;
	if (c->now < d.due)
		return ms->lead_days > 0 ? remind(c, &a, 0, err) : 0;
	if (c->now < d.late && remind(c, &a, 1, err) == -1)
		return -1;
	if (c->now >= d.overdue)
		return tell_overdue(c, &a, err);
	return 0;
}

int
milestone_group(const struct cycle_ctx *c, const struct group *g, char **err)
{
	size_t i;

	/* Its dates are days of the group's zone. */
	if (g->nmilestones > 0)
		cycle_due_midnight(c, g);
	else
		cycle_due(c, CYCLE_NEVER);
	/* The notices' rows name the group: it is known to the store
	 * whatever step ran before. */
	if (g->nmilestones > 0 && store_group_sync(c->st, g->id, g->name,
	    c->now, err) == -1)
		return -1;
	for (i = 0; i < g->nmilestones; i++)
		if (one_milestone(c, g, &g->milestones[i], err) == -1)
			return -1;
	return 0;
}

/* ---- done ------------------------------------------------------------------ */

int
milestone_mark_done(struct store *st, const struct group *g,
    const struct milestone *ms, long long now, const char *message_id,
    const char *sender, char **err)
{
	struct store_milestone m;
	struct ical_tm tm;
	char day[16];

	ical_localtime(now, g->timezone, &tm);
	snprintf(day, sizeof day, "%04d-%02d-%02d", tm.year % 10000,
	    tm.month % 100, tm.day % 100);
	memset(&m, 0, sizeof m);
	m.group_id = g->id;
	m.name = ms->name;
	m.done = day;
	m.done_at = now;
	m.message_id = message_id;
	m.sender = sender;
	return store_milestone_done(st, &m, err);
}

/* ---- views ------------------------------------------------------------------ */

int
milestone_views(struct store *st, const struct group *g, long long now,
    struct milestone_view **out, size_t *n, char **err)
{
	struct milestone_days d;
	struct milestone_view *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (g->nmilestones == 0)
		return 0;
	v = xcalloc(g->nmilestones, sizeof *v);
	for (i = 0; i < g->nmilestones; i++) {
		v[i].ms = &g->milestones[i];
		if (store_milestone_done_on(st, g->id, v[i].ms->name,
		    &v[i].done, err) == -1) {
			milestone_views_free(v, i);
			return -1;
		}
		v[i].overdue = v[i].done == NULL &&
		    milestone_days(v[i].ms, g->timezone, &d) == 0 &&
		    now >= d.overdue;
	}
	*out = v;
	*n = g->nmilestones;
	return 0;
}

void
milestone_views_free(struct milestone_view *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].done);
	free(v);
}

void
milestone_json(struct buf *b, const struct milestone_view *v, size_t n)
{
	size_t i;

	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ",\n     {\"name\": " : "\n     {\"name\": ");
		json_str(b, v[i].ms->name);
		buf_adds(b, ", \"summary\": ");
		json_str(b, v[i].ms->summary);
		buf_adds(b, ", \"due\": ");
		json_str(b, v[i].ms->due);
		buf_adds(b, ", \"done\": ");
		json_str_or_null(b, v[i].done);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

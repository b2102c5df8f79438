/*
 * poll.c: scheduling polls (see poll.h).
 *
 * Answers are kept as the local times of the candidates they name,
 * joined by ','; the tally reads them back against the poll as it is
 * configured now.  The day the poll closes is milestone.c's day
 * arithmetic (milestone_day_start()), in the poll's zone.
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
#include "poll.h"
#include "store.h"
#include "template.h"
#include "util.h"

/* ---- times --------------------------------------------------------------- */

int
poll_closes_at(const struct poll *p, long long *out)
{
	return milestone_day_start(p->closes, 1, p->timezone, out);
}

long long
poll_candidate_utc(const struct poll *p, size_t i)
{
	struct ical_local lt;

	if (i >= p->ncandidates ||
	    ical_parse_local(p->candidates[i], 0, &lt) == -1)
		return -1;
	return ical_local_to_utc(&lt, p->timezone);
}

/* 1 when every candidate of p has started at now. */
static int
all_past(const struct poll *p, long long now)
{
	size_t i;

	for (i = 0; i < p->ncandidates; i++)
		if (poll_candidate_utc(p, i) > now)
			return 0;
	return 1;
}

/* ---- answers ------------------------------------------------------------- */

/* The first line of s, at most POLL_LINE_MAX bytes, trimmed, in *line
 * (size POLL_LINE_MAX + 1).  0, or -1 when it is longer. */
static int
first_line(const char *s, char *line)
{
	size_t n = strcspn(s ? s : "", "\n");

	if (n > POLL_LINE_MAX)
		return -1;
	memcpy(line, s ? s : "", n);
	line[n] = '\0';
	str_trim(line);
	return 0;
}

/* 1 when word (upper case) says "none" in one of the four languages. */
static int
none_word(const char *word)
{
	static const char *const words[] = { "NONE", "NINGUNA", "NINGUNO",
	    "NENHUMA", "NENHUM", "AUCUNE", "AUCUN", NULL };
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(word, words[i]) == 0)
			return 1;
	return 0;
}

/* The line in upper case, without its final punctuation ("None.", "1, 3."). */
static void
upper_plain(char *line)
{
	size_t n;

	for (n = 0; line[n] != '\0'; n++)
		line[n] = (char)toupper((unsigned char)line[n]);
	while (n > 0 && (line[n - 1] == '.' || line[n - 1] == '!'))
		line[--n] = '\0';
}

int
poll_parse_answer(const char *unquoted, size_t n, unsigned char *yes,
    const char **why)
{
	char line[POLL_LINE_MAX + 1], *p;
	size_t count = 0, named = 0;
	long v;

	memset(yes, 0, n);
	if (first_line(unquoted, line) == -1) {
		*why = "first line too long";
		return -1;
	}
	upper_plain(line);
	if (none_word(line))
		return 0;
	for (p = line; *p != '\0';) {
		if (*p == ',' || *p == ';' || isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (!isdigit((unsigned char)*p)) {
			*why = "not a list of numbers";
			return -1;
		}
		for (v = 0; isdigit((unsigned char)*p); p++)
			v = v > 1000 ? v : v * 10 + (*p - '0');
		if (v < 1 || (size_t)v > n) {
			*why = "a number out of range";
			return -1;
		}
		if (++count > 2 * n) {
			*why = "more numbers than candidates";
			return -1;
		}
		named += !yes[v - 1];
		yes[v - 1] = 1;
	}
	if (count == 0) {
		*why = "no number";
		return -1;
	}
	return (int)named;
}

int
poll_parse_confirm(const char *unquoted, size_t n)
{
	static const char *const words[] = { "CONFIRM", "CONFIRMAR",
	    "CONFIRMER", NULL };
	char line[POLL_LINE_MAX + 1], *p, *q;
	size_t i;
	long v;

	if (first_line(unquoted, line) == -1)
		return 0;
	upper_plain(line);
	for (p = line; isalpha((unsigned char)*p); p++)
		;
	if (p == line || !isspace((unsigned char)*p))
		return 0;
	*p++ = '\0';
	for (i = 0; words[i] != NULL && strcmp(line, words[i]) != 0; i++)
		;
	if (words[i] == NULL)
		return 0;
	while (isspace((unsigned char)*p) || *p == '#')
		p++;
	for (q = p, v = 0; isdigit((unsigned char)*q); q++)
		v = v > 1000 ? v : v * 10 + (*q - '0');
	if (q == p || *q != '\0')
		return 0;
	return v >= 1 && (size_t)v <= n ? (int)v : -1;
}

/* The refs of p's letters: a ballot's, the tally's, the reminder's. */
static char *
ref_key(const struct poll *p, int which)
{
	static const char *const suffix[] = { "", ".tally", ".reminder" };

	return xasprintf("%s%s", p->name, suffix[which]);
}

const struct poll *
poll_of_ref(const struct group *g, const char *ref)
{
	char *key;
	size_t i;
	int k, hit;

	for (i = 0; ref != NULL && i < g->npolls; i++)
		for (k = 0; k < 3; k++) {
			key = ref_key(&g->polls[i], k);
			hit = msgid_ref_is(ref, key);
			free(key);
			if (hit)
				return &g->polls[i];
		}
	return NULL;
}

int
poll_answer(struct store *st, const struct group *g, const struct poll *p,
    const char *email, const unsigned char *yes, long long now,
    const char *message_id, char **err)
{
	struct store_poll_answer a;
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;
	int rc;

	for (i = 0; i < p->ncandidates; i++)
		if (yes[i])
			buf_addf(&b, "%s%s", buf_str(&b)[0] ? "," : "",
			    p->candidates[i]);
	memset(&a, 0, sizeof a);
	a.group_id = g->id;
	a.poll = p->name;
	a.email = email;
	a.starts = buf_str(&b);
	a.at = now;
	a.message_id = message_id;
	rc = store_poll_answer(st, &a, err);
	buf_release(&b);
	return rc;
}

int
poll_choose(struct store *st, const struct group *g, const struct poll *p,
    int number, long long now, const char *message_id, const char *sender,
    char **err)
{
	struct store_poll_choice ch;

	memset(&ch, 0, sizeof ch);
	ch.group_id = g->id;
	ch.poll = p->name;
	ch.start = p->candidates[number - 1];
	ch.at = now;
	ch.message_id = message_id;
	ch.sender = sender;
	return store_poll_choose(st, &ch, err);
}

/* ---- the tally ----------------------------------------------------------- */

struct tally {
	int   yes[CONFIG_POLL_CANDIDATES_MAX];
	char *countries[CONFIG_POLL_CANDIDATES_MAX];   /* "AR, UY" or NULL */
	int   answered;
	int   leading;          /* index, -1 when nobody said yes */
};

/* 1 when starts (a stored answer) names candidate c. */
static int
names(const char *starts, const char *c)
{
	size_t n = strlen(c);
	const char *p;

	for (p = starts; (p = strstr(p, c)) != NULL; p += n)
		if ((p == starts || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

/* country added to the sorted, distinct list *list. */
static void
add_country(char **list, const char *country)
{
	char *old = *list;

	if (country == NULL || (old != NULL && names(old, country)))
		return;
	*list = old ? xasprintf("%s,%s", old, country) : xstrdup(country);
	free(old);
}

/* The answers of the members of g to p, counted. */
static int
tally(struct store *st, const struct group *g, const struct poll *p,
    struct tally *t, char **err)
{
	struct store_poll_row *rows;
	const struct member *m;
	size_t nrows, i, k;

	memset(t, 0, sizeof *t);
	t->leading = -1;
	if (store_poll_answers(st, g->id, p->name, &rows, &nrows, err) == -1)
		return -1;
	for (i = 0; i < nrows; i++) {
		/* One who left the group no longer counts. */
		if ((m = config_member(g, rows[i].email)) == NULL)
			continue;
		t->answered++;
		for (k = 0; k < p->ncandidates && k < CONFIG_POLL_CANDIDATES_MAX;
		    k++)
			if (names(rows[i].starts, p->candidates[k])) {
				t->yes[k]++;
				add_country(&t->countries[k], m->country);
			}
	}
	for (k = 0; k < p->ncandidates && k < CONFIG_POLL_CANDIDATES_MAX; k++)
		if (t->yes[k] > 0 && (t->leading < 0 ||
		    t->yes[k] > t->yes[t->leading]))
			t->leading = (int)k;
	store_poll_rows_free(rows, nrows);
	return 0;
}

static void
tally_clear(struct tally *t)
{
	size_t k;

	for (k = 0; k < CONFIG_POLL_CANDIDATES_MAX; k++)
		free(t->countries[k]);
}

/* ---- letters ------------------------------------------------------------- */

/* What a letter about a poll says to its reader. */
struct about {
	const struct group *g;
	const struct poll *p;
	const struct tally *t;  /* the tally's; NULL for a ballot */
	long long closes;       /* the instant it closes */
};

/* The candidates, numbered, in the reader's zone and language; with the
 * tally, each one's yes count and countries. */
static void
candidates_for(void *arg, struct letter_vars *lv, const char *lang,
    const char *tz)
{
	static const char *const yes[] = { "sí", "yes", "sim", "oui" };
	const struct about *a = arg;
	struct buf b = BUF_INIT(BUF_OWN);
	const char *country;
	char *when;
	size_t i, len;

	for (i = 0; i < a->p->ncandidates; i++) {
		when = template_when(lang, poll_candidate_utc(a->p, i), tz);
		buf_addf(&b, "  %zu. %s\n", i + 1, when);
		free(when);
		if (a->t == NULL)
			continue;
		buf_addf(&b, "     %s: %d", yes[template_lang(lang)],
		    a->t->yes[i]);
		for (country = a->t->countries[i]; country && *country;
		    country += len + (country[len] == ',')) {
			len = strcspn(country, ",");
			buf_addf(&b, "%s%.*s", country == a->t->countries[i] ?
			    " (" : ", ", (int)len, country);
		}
		buf_adds(&b, a->t->countries[i] ? ")\n" : "\n");
	}
	letter_vars_take(lv, "candidates", buf_detach(&b));
	/* Noon of the last day, in the poll's zone: its date wherever the
	 * reader is. */
	letter_vars_take(lv, "closes", template_date(lang, a->closes - 12 * 3600,
	    a->p->timezone));
	letter_vars_add(lv, "meeting_kind", template_kind_word(lang,
	    config_meeting_kind_name(a->p->kind)));
	if (a->t != NULL && a->t->leading >= 0)
		letter_vars_take(lv, "leading_when", template_when(lang,
		    poll_candidate_utc(a->p, (size_t)a->t->leading), tz));
}

/* kind about a to one reader, under the note key (the Message-ID's
 * ref).  1 queued, 0 queued before, -1 error. */
static int
write_to(const struct cycle_ctx *c, const struct about *a, const char *kind,
    const char *key, int reminder, const char *to, char **err)
{
	char duration[16], tag[80], leading[16], answered[16], members[16];
	struct letter l;
	int rc;

	snprintf(duration, sizeof duration, "%d", a->p->duration);
	snprintf(tag, sizeof tag, "[%s]", a->g->id);
	snprintf(leading, sizeof leading, "%d", a->t && a->t->leading >= 0 ?
	    a->t->leading + 1 : 0);
	snprintf(answered, sizeof answered, "%d", a->t ? a->t->answered : 0);
	snprintf(members, sizeof members, "%zu", a->g->nmembers);
	{
		const struct tvar vars[] = {
			{ "poll", a->p->name }, { "summary", a->p->summary },
			{ "duration", duration }, { "location", a->p->location },
			{ "tag", tag }, { "reminder", reminder ? "1" : NULL },
			{ "leading", a->t && a->t->leading >= 0 ? leading : NULL },
			{ "no_yes", a->t && a->t->leading < 0 ? "1" : NULL },
			{ "answered", answered }, { "members", members },
		};

		memset(&l, 0, sizeof l);
		l.kind = kind;
		l.group = a->g;
		l.to = to;
		l.ref = key;
		l.vars = vars;
		l.nvars = sizeof vars / sizeof vars[0];
		l.vars_for = candidates_for;
		l.arg = (void *)a;
		if ((rc = letter_queue(c->cfg, c->st, &l, c->now, err)) == 1)
			c->cs->queued++;
	}
	return rc;
}

/* Each member's ballot, once. */
static int
ballots(const struct cycle_ctx *c, const struct about *a, char **err)
{
	char *key = ref_key(a->p, 0), *note;
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < a->g->nmembers && rc >= 0; i++) {
		note = xasprintf("%s %s", a->p->name, a->g->members[i].email);
		rc = store_warning_add(c->st, a->g->id, POLL_BALLOT, note, c->now,
		    err);
		free(note);
		if (rc == 1 && (rc = write_to(c, a, POLL_BALLOT, key, 0,
		    a->g->members[i].email, err)) == 1)
			n++;
	}
	free(key);
	if (rc >= 0 && n > 0)
		log_info("%s: poll %s: %zu ballot%s queued", a->g->id,
		    a->p->name, n, n == 1 ? "" : "s");
	return rc < 0 ? -1 : 0;
}

/* The tally (reminder 0) or its reminder to the coordinators, once. */
static int
tell_tally(const struct cycle_ctx *c, struct about *a, int reminder,
    char **err)
{
	struct tally t;
	char *key;
	size_t i, n = 0;
	int rc;

	if ((rc = store_warning_add(c->st, a->g->id, reminder ? POLL_REMINDER :
	    POLL_TALLY, a->p->name, c->now, err)) != 1)
		return rc;
	if (tally(c->st, a->g, a->p, &t, err) == -1)
		return -1;
	a->t = &t;
	key = ref_key(a->p, reminder ? 2 : 1);
	for (i = 0; i < a->g->nmembers && rc >= 0; i++)
		if (a->g->members[i].coordinator) {
			rc = write_to(c, a, POLL_TALLY, key, reminder,
			    a->g->members[i].email, err);
			n++;
		}
	if (rc >= 0)
		log_info("%s: poll %s closed: %s to %zu coordinator%s; %d "
		    "answered, leading %d", a->g->id, a->p->name, reminder ?
		    "reminder" : "tally", n, n == 1 ? "" : "s", t.answered,
		    t.leading + 1);
	a->t = NULL;
	free(key);
	tally_clear(&t);
	return rc < 0 ? -1 : 0;
}

static int
one_poll(const struct cycle_ctx *c, const struct group *g,
    const struct poll *p, char **err)
{
	struct about a;
	char *chosen = NULL;
	int rc;

	memset(&a, 0, sizeof a);
	a.g = g;
	a.p = p;
	if (poll_closes_at(p, &a.closes) == -1 || all_past(p, c->now))
		return 0;
	if (c->now < a.closes)
		return ballots(c, &a, err);
	if ((rc = store_poll_chosen(c->st, g->id, p->name, &chosen, err)) != 0) {
		free(chosen);
		return rc == 1 ? 0 : -1;
	}
	if (tell_tally(c, &a, 0, err) == -1)
		return -1;
	if (c->now >= a.closes + POLL_REMINDER_DAYS * DAY)
		return tell_tally(c, &a, 1, err);
	return 0;
}

/* The moments a poll's step acts at on its own: its close, the second
 * tally, each candidate's start (after the last the poll is over). */
static void
poll_due(const struct cycle_ctx *c, const struct poll *p)
{
	long long closes;
	size_t i;

	if (poll_closes_at(p, &closes) == -1)
		return;
	if (closes > c->now)
		cycle_due(c, closes);
	if (closes + POLL_REMINDER_DAYS * DAY > c->now)
		cycle_due(c, closes + POLL_REMINDER_DAYS * DAY);
	for (i = 0; i < p->ncandidates; i++)
		if (poll_candidate_utc(p, i) > c->now)
			cycle_due(c, poll_candidate_utc(p, i));
}

int
poll_group(const struct cycle_ctx *c, const struct group *g, char **err)
{
	size_t i;

	cycle_due(c, CYCLE_NEVER);
	for (i = 0; i < g->npolls; i++)
		poll_due(c, &g->polls[i]);
	if (g->npolls > 0 && store_group_sync(c->st, g->id, g->name, c->now,
	    err) == -1)
		return -1;
	for (i = 0; i < g->npolls; i++)
		if (one_poll(c, g, &g->polls[i], err) == -1)
			return -1;
	return 0;
}

/* ---- the chosen meeting, for the planner --------------------------------- */

int
poll_with_chosen(struct store *st, const struct group *g, struct group **out,
    char **err)
{
	struct group *w = NULL;
	struct series *s;
	const struct poll *p;
	char *start;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < g->npolls; i++) {
		p = &g->polls[i];
		if ((rc = store_poll_chosen(st, g->id, p->name, &start,
		    err)) == -1) {
			poll_group_free(w);
			return -1;
		}
		if (rc == 0)
			continue;
		if (w == NULL) {
			w = xmalloc(sizeof *w);
			*w = *g;
			w->series = xcalloc(g->nseries + g->npolls, sizeof *s);
			if (g->nseries > 0)
				memcpy(w->series, g->series,
				    g->nseries * sizeof *s);
		}
		s = &w->series[w->nseries++];
		s->name = p->name;
		s->summary = p->summary;
		s->kind = p->kind;
		s->start = start;       /* the copy's own */
		s->duration = p->duration;
		s->timezone = p->timezone;
		s->location = p->location;
		s->line = p->line;
	}
	*out = w;
	return 0;
}

void
poll_group_free(struct group *w)
{
	size_t i;

	if (w == NULL)
		return;
	/* No series of the configuration has a poll's name (config.c):
	 * those that do are the copy's, and so is their start. */
	for (i = 0; i < w->nseries; i++)
		if (config_poll(w, w->series[i].name) != NULL)
			free(w->series[i].start);
	free(w->series);
	free(w);
}

/* ---- views --------------------------------------------------------------- */

int
poll_views(struct store *st, const struct group *g, long long now,
    struct poll_view **out, size_t *n, char **err)
{
	struct poll_view *v;
	struct tally t;
	long long closes;
	size_t i;

	*out = NULL;
	*n = 0;
	if (g->npolls == 0)
		return 0;
	v = xcalloc(g->npolls, sizeof *v);
	for (i = 0; i < g->npolls; i++) {
		v[i].p = &g->polls[i];
		if (tally(st, g, v[i].p, &t, err) == -1 ||
		    store_poll_chosen(st, g->id, v[i].p->name, &v[i].chosen,
		    err) == -1) {
			poll_views_free(v, i + 1);
			return -1;
		}
		memcpy(v[i].yes, t.yes, sizeof v[i].yes);
		v[i].answered = t.answered;
		tally_clear(&t);
		v[i].open = poll_closes_at(v[i].p, &closes) == 0 && now < closes;
	}
	*out = v;
	*n = g->npolls;
	return 0;
}

void
poll_views_free(struct poll_view *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].chosen);
	free(v);
}

/* The UTC instant of local time start in p's zone as ISO 8601, into b. */
static void
json_start(struct buf *b, const struct poll *p, const char *start)
{
	struct ical_local lt;
	struct ical_tm tm;

	if (start == NULL || ical_parse_local(start, 0, &lt) == -1) {
		buf_adds(b, "null");
		return;
	}
	ical_localtime(ical_local_to_utc(&lt, p->timezone), "UTC", &tm);
	buf_addf(b, "\"%04d-%02d-%02dT%02d:%02d:00Z\"", tm.year % 10000,
	    tm.month % 100, tm.day % 100, tm.hour % 100, tm.minute % 100);
}

void
poll_json(struct buf *b, const struct poll_view *v, size_t n)
{
	size_t i, k;

	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ",\n     {\"name\": " : "\n     {\"name\": ");
		json_str(b, v[i].p->name);
		buf_adds(b, ", \"closes\": ");
		json_str(b, v[i].p->closes);
		buf_adds(b, ", \"candidates\": [");
		for (k = 0; k < v[i].p->ncandidates; k++) {
			buf_adds(b, k ? ", {\"start\": " : "{\"start\": ");
			json_start(b, v[i].p, v[i].p->candidates[k]);
			buf_addf(b, ", \"yes\": %d}", k < CONFIG_POLL_CANDIDATES_MAX ?
			    v[i].yes[k] : 0);
		}
		buf_adds(b, "], \"chosen\": ");
		json_start(b, v[i].p, v[i].chosen);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

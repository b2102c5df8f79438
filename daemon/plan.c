/*
 * plan.c: series -> meetings -> messages in the outbox (see plan.h).
 *
 * Everything a group's cycle decides is written in one transaction: the
 * meetings, the invitations recorded as sent, and the messages queued.
 * If any step fails the group is rolled back whole, so the store never
 * says an attendee was invited when no message was queued, nor the
 * reverse.  Sending happens later, from the outbox (outbox.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "ical.h"
#include "log.h"
#include "outbox.h"
#include "plan.h"
#include "store.h"
#include "template.h"
#include "util.h"

#define MAX_OCCURRENCES 1000    /* per series and window: daily for 2 years */

/* One person a meeting goes to; strings borrowed from the configuration. */
struct attendee {
	const char *email;
	const char *name;       /* NULL for guests */
	const char *lang;       /* their language, NULL: the group's */
	const char *tz;
	int         chair;
	int         optional;
};

/* An occurrence as the configuration wants it now. */
struct want {
	const struct series *s;
	struct ical_occurrence o;
	char *uid;
	int   seen;             /* matched a stored meeting */
};

/* A meeting being reconciled: the store's row, updated in place. */
struct meeting {
	struct store_plan_meeting row;
	const struct series *s; /* NULL when its series is gone */
	int dirty;
};

struct ctx {
	const struct config *cfg;
	struct store *st;
	long long now;
	struct plan_stats *ps;
	const struct group *g;
	const char *domain;
	struct attendee *members;
	size_t nmembers;
	char **err;
};

void
plan_vars_add(struct plan_vars *pv, const char *name, const char *value)
{
	if (pv->n < PLAN_VARS_MAX)
		pv->v[pv->n++] = (struct tvar){ name, value };
}

void
plan_vars_take(struct plan_vars *pv, const char *name, char *value)
{
	if (pv->nown == sizeof pv->own / sizeof pv->own[0] ||
	    pv->n == PLAN_VARS_MAX) {
		free(value);
		return;
	}
	pv->own[pv->nown++] = value;
	plan_vars_add(pv, name, value);
}

void
plan_vars_init(struct plan_vars *pv, const struct config *cfg,
    const struct group *g, const struct store_plan_meeting *r, int open,
    const char *to_email, const char *to_name, const char *lang,
    const char *tz)
{
	const char *mkind = r->kind ? r->kind : "meeting";

	memset(pv, 0, sizeof *pv);
	plan_vars_add(pv, "member_name", to_name ? to_name : to_email);
	plan_vars_add(pv, "member_email", to_email);
	plan_vars_add(pv, "group_name", g->name);
	plan_vars_add(pv, "group_id", g->id);
	plan_vars_add(pv, "summary", r->summary);
	plan_vars_add(pv, "kind", template_kind_word(lang, mkind));
	plan_vars_add(pv, "openness", template_openness_word(lang, open));
	plan_vars_take(pv, "date", template_date(lang, r->start, tz));
	plan_vars_take(pv, "when_member", template_when(lang, r->start, tz));
	plan_vars_take(pv, "when_meeting", template_when(lang, r->start,
	    r->tzid));
	plan_vars_add(pv, "member_timezone", tz);
	plan_vars_add(pv, "meeting_timezone", r->tzid);
	plan_vars_take(pv, "duration", xasprintf("%lld",
	    (r->end - r->start) / 60));
	plan_vars_add(pv, "location", r->location);
	plan_vars_add(pv, "organizer_name", cfg->org_name);
	plan_vars_add(pv, "organizer_email", cfg->org_email);
	plan_vars_add(pv, "agenda", r->agenda_confirmed ? r->agenda : NULL);
	plan_vars_take(pv, "sequence", xasprintf("%d", r->sequence));
}

void
plan_vars_free(struct plan_vars *pv)
{
	size_t i;

	for (i = 0; i < pv->nown; i++)
		free(pv->own[i]);
	memset(pv, 0, sizeof *pv);
}

char *
plan_uid(const struct config *cfg, const char *group_id, const char *series,
    const char *key)
{
	return xasprintf("%s-%s-%s@%s", group_id, series, key,
	    addr_domain(cfg->org_email));
}

/* The recipient goes in as a short hash, so one person's address does not
 * travel in another person's headers. */
static char *
message_id(const char *uid, int seq, const char *method, const char *rcpt)
{
	const char *at = strrchr(uid, '@');

	return xasprintf("%.*s.%d.%s.%08x@%s", (int)(at - uid), uid, seq,
	    method, str_hash32(rcpt), at + 1);
}

/* The attendees of a meeting of series s: the members, then the guests of
 * an open series who are not members already. */
static struct attendee *
attendees_for(struct ctx *c, const struct series *s, size_t *n)
{
	struct attendee *v;
	size_t nv, i, j;

	v = xcalloc(c->nmembers + (s ? s->nguests : 0) + 1, sizeof *v);
	memcpy(v, c->members, c->nmembers * sizeof *v);
	nv = c->nmembers;
	for (i = 0; s != NULL && s->open && i < s->nguests; i++) {
		for (j = 0; j < nv; j++)
			if (strcmp(v[j].email, s->guests[i]) == 0)
				break;
		if (j < nv)
			continue;
		v[nv].email = s->guests[i];
		v[nv].tz = s->timezone;
		v[nv].optional = 1;
		nv++;
	}
	*n = nv;
	return v;
}

static const struct attendee *
find_attendee(const struct attendee *v, size_t n, const char *email)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i].email, email) == 0)
			return &v[i];
	return NULL;
}

static const struct store_invitee *
find_invitee(const struct store_invitee *v, size_t n, const char *email)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i].email, email) == 0)
			return &v[i];
	return NULL;
}

/* What the calendar of one message needs: built once the body is
 * rendered, so DESCRIPTION is the text in the recipient's language. */
struct ical_job {
	struct ical_event ev;
	const char *method;
};

static char *
build_ical(void *arg, const char *body)
{
	struct ical_job *j = arg;

	j->ev.description = body;
	return ical_build(j->method, &j->ev, 1);
}

/* Render, build and queue one message for one attendee. */
static int
queue_one(struct ctx *c, const struct meeting *m, const struct attendee *to,
    const char *kind, const struct attendee *list, size_t nlist,
    const struct store_invitee *inv, size_t ninv)
{
	const struct config *cfg = c->cfg;
	const struct group *g = c->g;
	const char *method = strcmp(kind, "cancel") == 0 ? "CANCEL" : "REQUEST";
	const char *lang = to->lang ? to->lang : g->language;
	const char *tz = to->tz ? to->tz : g->timezone;
	const char *mkind = m->row.kind ? m->row.kind : "meeting";
	struct ical_attendee *ia;
	struct ical_job job;
	struct outbox_msg om;
	struct plan_vars pv;
	char *mid;
	const struct store_invitee *known;
	size_t i;
	int rc;

	/* A CANCEL names only those it removes; a REQUEST everyone, with
	 * the answers already known so that their clients keep them. */
	ia = xcalloc(nlist ? nlist : 1, sizeof *ia);
	for (i = 0; i < nlist; i++) {
		ia[i].email = list[i].email;
		ia[i].name = list[i].name;
		ia[i].chair = list[i].chair;
		ia[i].optional = list[i].optional;
		known = find_invitee(inv, ninv, list[i].email);
		ia[i].partstat = known && !known->cancelled ? known->partstat :
		    NULL;
	}
	memset(&job, 0, sizeof job);
	job.method = method;
	job.ev.uid = m->row.uid;
	job.ev.sequence = m->row.sequence;
	job.ev.dtstamp = c->now;
	job.ev.start = m->row.start;
	job.ev.end = m->row.end;
	job.ev.tzid = m->row.tzid;
	job.ev.summary = m->row.summary;
	job.ev.location = m->row.location;
	job.ev.org_name = cfg->org_name;
	job.ev.org_email = cfg->org_email;
	job.ev.cancelled = strcmp(method, "CANCEL") == 0;
	job.ev.att = ia;
	job.ev.natt = nlist;
	job.ev.categories = mkind;

	mid = message_id(m->row.uid, m->row.sequence,
	    strcmp(method, "CANCEL") == 0 ? "cancel" : "request", to->email);
	plan_vars_init(&pv, cfg, g, &m->row, m->s ? m->s->open : 0, to->email,
	    to->name, lang, tz);
	memset(&om, 0, sizeof om);
	om.kind = kind;
	om.group_id = g->id;
	om.meeting_uid = m->row.uid;
	om.to_email = to->email;
	om.to_name = to->name;
	om.langs[0] = to->lang;
	om.langs[1] = g->language;
	om.langs[2] = cfg->language;
	om.vars = pv.v;
	om.nvars = pv.n;
	om.message_id = mid;
	om.ical_fn = build_ical;
	om.ical_arg = &job;
	om.ical_method = method;
	rc = outbox_queue(cfg, c->st, &om, c->now, c->err);
	plan_vars_free(&pv);
	if (rc == 1)
		c->ps->queued++;
	free(mid);
	free(ia);
	return rc < 0 ? -1 : 0;
}

static int
save_meeting(struct ctx *c, struct meeting *m)
{
	struct store_meeting_in in;

	memset(&in, 0, sizeof in);
	in.uid = m->row.uid;
	in.group_id = c->g->id;
	in.series = m->row.series;
	in.orig_start = m->row.orig_start;
	in.start = m->row.start;
	in.end = m->row.end;
	in.tzid = m->row.tzid;
	in.summary = m->row.summary;
	in.location = m->row.location;
	in.kind = m->row.kind;
	in.sequence = m->row.sequence;
	in.content_seq = m->row.content_seq;
	in.cancelled = m->row.cancelled;
	m->dirty = 0;
	return store_meeting_upsert(c->st, &in, c->err);
}

/* Invitations, updates and per-attendee cancellations of one meeting that
 * is still to come. */
static int
reconcile_attendees(struct ctx *c, struct meeting *m)
{
	struct store_invitee *inv = NULL;
	struct attendee *list, gone;
	size_t ninv = 0, nlist, i;
	const struct store_invitee *known;
	const char *kind;
	int due, rc = -1, bumped = 0;

	if (store_meeting_invitees(c->st, m->row.uid, &inv, &ninv, c->err) == -1)
		return -1;
	list = attendees_for(c, m->s, &nlist);

	/* Those invited who are no longer attendees hear that the meeting is
	 * off for them, under a SEQUENCE above what they last saw. */
	for (i = 0; i < ninv; i++) {
		if (inv[i].cancelled ||
		    find_attendee(list, nlist, inv[i].email) != NULL)
			continue;
		if (!bumped) {
			m->row.sequence++;
			bumped = m->dirty = 1;
		}
		memset(&gone, 0, sizeof gone);
		gone.email = inv[i].email;
		gone.tz = m->row.tzid;
		if (queue_one(c, m, &gone, "cancel", &gone, 1, inv, ninv) == -1 ||
		    store_invitation_cancel(c->st, m->row.uid, inv[i].email,
		    m->row.sequence, c->err) == -1)
			goto out;
		log_info("%s: %s left the group: cancelling %s for them",
		    c->g->id, inv[i].email, m->row.uid);
	}

	/* New invitations wait for the lead time; an update goes to whoever
	 * holds the old version, whenever it happens. */
	due = c->now >= m->row.start - c->cfg->invite_lead_days * DAY;
	for (i = 0; c->now < m->row.start && i < nlist; i++) {
		known = find_invitee(inv, ninv, list[i].email);
		if (known == NULL)
			kind = "invite";
		else if (known->cancelled) {
			/* Back after a CANCEL: the REQUEST must outrank it. */
			if (m->row.sequence <= known->sequence_sent) {
				m->row.sequence = known->sequence_sent + 1;
				m->dirty = 1;
			}
			kind = "invite";
		} else if (known->sequence_sent < m->row.content_seq)
			kind = "update";
		else
			continue;
		if (strcmp(kind, "invite") == 0 && !due)
			continue;
		if (m->dirty && save_meeting(c, m) == -1)
			goto out;
		if (queue_one(c, m, &list[i], kind, list, nlist, inv, ninv) == -1 ||
		    store_invitation_set(c->st, m->row.uid, list[i].email,
		    m->row.sequence, c->err) == -1)
			goto out;
	}
	rc = m->dirty ? save_meeting(c, m) : 0;
out:
	free(list);
	store_invitees_free(inv, ninv);
	return rc;
}

/* The meeting is off for everyone invited to it. */
static int
cancel_meeting(struct ctx *c, struct meeting *m)
{
	struct store_invitee *inv = NULL;
	struct attendee *list;
	size_t ninv = 0, nlist = 0, i;
	int rc = -1;

	m->row.sequence++;
	m->row.content_seq = m->row.sequence;
	m->row.cancelled = 1;
	if (save_meeting(c, m) == -1 ||
	    store_meeting_invitees(c->st, m->row.uid, &inv, &ninv, c->err) == -1)
		return -1;
	list = xcalloc(ninv ? ninv : 1, sizeof *list);
	for (i = 0; i < ninv; i++) {
		const struct attendee *a;

		if (inv[i].cancelled)
			continue;
		a = find_attendee(c->members, c->nmembers, inv[i].email);
		if (a != NULL)
			list[nlist] = *a;
		else {
			list[nlist].email = inv[i].email;
			list[nlist].tz = m->row.tzid;
			list[nlist].optional = 1;
		}
		nlist++;
	}
	for (i = 0; i < nlist; i++)
		if (queue_one(c, m, &list[i], "cancel", list, nlist, inv,
		    ninv) == -1 || store_invitation_cancel(c->st, m->row.uid,
		    list[i].email, m->row.sequence, c->err) == -1)
			goto out;
	c->ps->meetings_cancelled++;
	if (nlist > 0)
		log_info("%s: meeting %s is no longer in the schedule: "
		    "cancelled for %zu attendee%s", c->g->id, m->row.uid, nlist,
		    nlist == 1 ? "" : "s");
	else
		log_debug("%s: meeting %s, not yet announced, is no longer in "
		    "the schedule", c->g->id, m->row.uid);
	rc = 0;
out:
	free(list);
	store_invitees_free(inv, ninv);
	return rc;
}

static int
str_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* Bring a stored meeting in line with what its series wants now.  Returns
 * 1 when attendees must hear of it. */
static int
apply_want(struct meeting *m, const struct want *w, int *moved)
{
	const struct series *s = w->s;
	const char *kind = config_meeting_kind_name(s->kind);
	int changed = 0;

	*moved = m->row.start != w->o.start || m->row.end != w->o.end;
	changed = *moved || str_differs(m->row.summary, s->summary) ||
	    str_differs(m->row.location, s->location) ||
	    str_differs(m->row.kind, kind) ||
	    str_differs(m->row.tzid, s->timezone) || m->row.cancelled;
	if (!changed)
		return 0;
	m->row.start = w->o.start;
	m->row.end = w->o.end;
	free(m->row.summary);
	m->row.summary = xstrdup(s->summary);
	free(m->row.location);
	m->row.location = s->location ? xstrdup(s->location) : NULL;
	free(m->row.kind);
	m->row.kind = xstrdup(kind);
	free(m->row.tzid);
	m->row.tzid = xstrdup(s->timezone);
	m->row.cancelled = 0;
	m->row.sequence++;
	m->row.content_seq = m->row.sequence;
	m->dirty = 1;
	return 1;
}

static void
new_meeting(struct ctx *c, struct meeting *m, const struct want *w)
{
	memset(m, 0, sizeof *m);
	m->s = w->s;
	m->row.uid = xstrdup(w->uid);
	m->row.series = xstrdup(w->s->name);
	m->row.orig_start = w->o.start;
	m->row.start = w->o.start;
	m->row.end = w->o.end;
	m->row.tzid = xstrdup(w->s->timezone);
	m->row.summary = xstrdup(w->s->summary);
	m->row.location = w->s->location ? xstrdup(w->s->location) : NULL;
	m->row.kind = xstrdup(config_meeting_kind_name(w->s->kind));
	m->dirty = 1;
	c->ps->meetings_new++;
}

static int
plan_group(struct ctx *c)
{
	const struct group *g = c->g;
	struct store_plan_meeting *rows = NULL;
	struct store_member *sm;
	struct want *want = NULL;
	struct meeting m;
	size_t nrows = 0, nwant = 0, i, j, k;
	long long from = c->now, to = c->now + c->cfg->horizon_days * DAY;
	int rc = -1, moved;

	sm = xcalloc(g->nmembers ? g->nmembers : 1, sizeof *sm);
	for (i = 0; i < g->nmembers; i++) {
		sm[i].email = g->members[i].email;
		sm[i].name = g->members[i].name;
		sm[i].language = g->members[i].language;
		sm[i].timezone = g->members[i].timezone;
		sm[i].role = config_role_name(g->members[i].role);
		sm[i].coordinator = g->members[i].coordinator;
	}
	if (store_group_sync(c->st, g->id, g->name, c->now, c->err) == -1 ||
	    store_member_sync(c->st, g->id, sm, g->nmembers, c->now,
	    c->err) == -1)
		goto out;

	/* A day of margin each side: an occurrence moved within its day
	 * must still meet its stored row to be an update, not a new
	 * meeting and a cancellation. */
	for (i = 0; i < g->nseries; i++) {
		const struct series *s = &g->series[i];
		struct ical_occurrence *occ = NULL;
		size_t nocc = 0;

		if (ical_expand(s->start, s->timezone, s->duration, s->rrule,
		    s->exdate, s->nexdate, from - DAY, to + DAY, MAX_OCCURRENCES,
		    &occ, &nocc, c->err) == -1)
			goto out;
		want = xreallocarray(want, nwant + nocc, sizeof *want);
		for (j = 0; j < nocc; j++) {
			want[nwant].s = s;
			want[nwant].o = occ[j];
			want[nwant].uid = plan_uid(c->cfg, g->id, s->name,
			    occ[j].key);
			want[nwant].seen = 0;
			nwant++;
		}
		free(occ);
	}
	if (store_plan_meetings(c->st, g->id, from - 2 * DAY, to + 2 * DAY,
	    &rows, &nrows, c->err) == -1)
		goto out;

	/* Stored meetings: update, keep or cancel. */
	for (i = 0; i < nrows; i++) {
		memset(&m, 0, sizeof m);
		m.row = rows[i];
		m.s = config_series(g, rows[i].series);
		for (k = 0; k < nwant; k++)
			if (strcmp(want[k].uid, rows[i].uid) == 0)
				break;
		if (k < nwant && want[k].o.start >= from && want[k].o.start < to) {
			want[k].seen = 1;
			if (apply_want(&m, &want[k], &moved)) {
				c->ps->meetings_changed++;
				if (moved && store_invitation_reset(c->st,
				    m.row.uid, c->err) == -1)
					goto keep;
				log_info("%s: meeting %s changed: SEQUENCE %d",
				    g->id, m.row.uid, m.row.sequence);
			}
			m.s = want[k].s;
			if (reconcile_attendees(c, &m) == -1)
				goto keep;
		} else if (k < nwant) {
			want[k].seen = 1;       /* outside the window: later */
		} else if (!m.row.cancelled && m.row.start >= from &&
		    m.row.start < to) {
			if (cancel_meeting(c, &m) == -1)
				goto keep;
		}
		rows[i] = m.row;
		continue;
keep:
		rows[i] = m.row;
		goto out;
	}

	/* Occurrences the store has not seen yet. */
	for (k = 0; k < nwant; k++) {
		if (want[k].seen || want[k].o.start < from || want[k].o.start >= to)
			continue;
		new_meeting(c, &m, &want[k]);
		if (save_meeting(c, &m) == -1 || reconcile_attendees(c, &m) == -1) {
			store_plan_meeting_clear(&m.row);
			goto out;
		}
		store_plan_meeting_clear(&m.row);
	}
	rc = 0;
out:
	store_plan_meetings_free(rows, nrows);
	for (k = 0; k < nwant; k++)
		free(want[k].uid);
	free(want);
	free(sm);
	return rc;
}

int
plan_run(const struct config *cfg, struct store *st, long long now,
    struct plan_stats *ps, char **err)
{
	struct ctx c;
	char *gerr = NULL;
	size_t i, j;

	memset(ps, 0, sizeof *ps);
	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.st = st;
	c.now = now;
	c.ps = ps;
	c.domain = addr_domain(cfg->org_email);
	c.err = &gerr;
	for (i = 0; i < cfg->ngroups; i++) {
		const struct group *g = &cfg->groups[i];

		c.g = g;
		c.members = xcalloc(g->nmembers ? g->nmembers : 1,
		    sizeof *c.members);
		c.nmembers = g->nmembers;
		for (j = 0; j < g->nmembers; j++) {
			c.members[j].email = g->members[j].email;
			c.members[j].name = g->members[j].name;
			c.members[j].lang = g->members[j].language;
			c.members[j].tz = config_member_timezone(g,
			    &g->members[j]);
			c.members[j].chair = g->members[j].coordinator;
		}
		if (store_begin(st) == -1) {
			free(c.members);
			*err = xstrdup("cannot begin a transaction in the state db");
			return -1;
		}
		if (plan_group(&c) == -1) {
			store_rollback(st);
			ps->groups_failed++;
			log_warnx("cannot plan group %s (%s): %s; nothing of it "
			    "was recorded, trying again next cycle", g->id,
			    g->file, gerr ? gerr : "unknown error");
			free(gerr);
			gerr = NULL;
		} else if (store_commit(st) == -1) {
			free(c.members);
			*err = xasprintf("cannot commit the plan of group %s",
			    g->id);
			return -1;
		}
		free(c.members);
	}
	return 0;
}

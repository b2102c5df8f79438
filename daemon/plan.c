/*
 * plan.c: series -> meetings -> messages in the outbox (see plan.h).
 *
 * Everything a group's cycle decides is written in one transaction: the
 * meetings, the invitations recorded as sent, and the messages queued.
 * If any step fails the group is rolled back whole (cycle.c), so the
 * store never says an attendee was invited when no message was queued,
 * nor the reverse.  Sending happens later, from the outbox (outbox.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "letter.h"
#include "log.h"
#include "plan.h"
#include "poll.h"
#include "recur.h"
#include "store.h"
#include "template.h"
#include "util.h"

#define MAX_OCCURRENCES 1000    /* per series and window: daily for 2 years */

/* One person a meeting goes to, as the calendar names them; strings
 * borrowed from the configuration.  Their language and zone are the
 * letter's (letter.h). */
struct attendee {
	const char *email;
	const char *name;       /* NULL: none (a guest without [guest]) */
	int         chair;
	int         optional;
	const char *delegated_from;     /* a delegate's member, or NULL */
};


/* What a cycle changed in a meeting, for the updates it sends. */
struct change {
	int        moved, relocated, retitled;
	long long  old_start;
	char      *old_location;        /* owned; NULL: none */
	/* content_seq before the cycle: an attendee sent less has missed a
	 * change made elsewhere, the agenda confirmed (inbox.c) */
	int        old_content_seq;
};

/* A meeting being reconciled: the store's row, updated in place. */
struct meeting {
	struct store_plan_meeting row;
	const struct series *s; /* NULL when its series is gone */
	int dirty;
	struct change ch;
};

struct ctx {
	const struct config *cfg;
	struct store *st;
	long long now;
	struct cycle_stats *cs;
	const struct group *g;
	struct attendee *members;
	size_t nmembers;
	struct recur *rec;      /* the group's series events */
	struct store_delegate *evdel;   /* delegates to its series events */
	size_t nevdel;
	struct store_registrant *reg;   /* registrants (seminar.h) */
	size_t nreg;
	char **err;
};

char *
plan_uid(const struct config *cfg, const char *group_id, const char *series,
    const char *key)
{
	return xasprintf("%s-%s-%s@%s", group_id, series, key,
	    addr_domain(cfg->org_email));
}

/* A guest's name from their [guest] section, or NULL. */
static const char *
guest_name(const struct ctx *c, const char *email)
{
	const struct guest *gu = config_guest(c->g, email);

	return gu != NULL ? gu->name : NULL;
}

static const struct attendee *find_attendee(const struct attendee *,
    size_t, const char *);

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
		v[nv].name = guest_name(c, s->guests[i]);
		v[nv].optional = 1;
		nv++;
	}
	*n = nv;
	return v;
}

/* v[0..*n) and the registrants of meeting uid who hold a seat or held
 * one and declined (seminar.h), as guests without a section: optional,
 * no name.  Strings borrowed from c->reg. */
static struct attendee *
with_registrants(struct ctx *c, const char *uid, struct attendee *v,
    size_t *n)
{
	size_t i;

	v = xreallocarray(v, *n + c->nreg + 1, sizeof *v);
	for (i = 0; uid != NULL && i < c->nreg; i++) {
		if (strcmp(c->reg[i].uid, uid) != 0 ||
		    (strcmp(c->reg[i].state, "seated") != 0 &&
		    strcmp(c->reg[i].state, "declined") != 0) ||
		    find_attendee(v, *n, c->reg[i].email) != NULL)
			continue;
		memset(&v[*n], 0, sizeof v[*n]);
		v[*n].optional = 1;
		v[(*n)++].email = c->reg[i].email;
	}
	return v;
}

/* The attendees of series s and the delegates d[0..nd) to uid (a
 * meeting's or a series event's) whose member is still in the group and
 * who are not attendees already (store.h).  Strings are borrowed from
 * the configuration and d; the caller frees the array. */
static struct attendee *
with_delegates(struct ctx *c, const struct series *s, const char *uid,
    const struct store_delegate *d, size_t nd, size_t *n)
{
	struct attendee *v = attendees_for(c, s, n);
	size_t i;

	v = xreallocarray(v, *n + nd + 1, sizeof *v);
	for (i = 0; uid != NULL && i < nd; i++) {
		if (strcmp(d[i].uid, uid) != 0 ||
		    config_member(c->g, d[i].delegator) == NULL ||
		    find_attendee(v, *n, d[i].email) != NULL)
			continue;
		memset(&v[*n], 0, sizeof v[*n]);
		v[*n].delegated_from = d[i].delegator;
		v[(*n)++].email = d[i].email;
	}
	return with_registrants(c, uid, v, n);
}

/* The attendees of meeting m: with_delegates() of its own, or of its
 * series event's (read once a cycle: c->evdel).  A meeting's own
 * delegates live in *d, which the caller frees after the list with
 * store_delegates_free(*d, *nd).  NULL with *c->err on error. */
static struct attendee *
meeting_attendees(struct ctx *c, const struct meeting *m, size_t *n,
    struct store_delegate **d, size_t *nd)
{
	*d = NULL;
	*nd = 0;
	if (m->row.series_uid != NULL)
		return with_delegates(c, m->s, m->row.series_uid, c->evdel,
		    c->nevdel, n);
	if (store_meeting_delegates(c->st, m->row.uid, d, nd, c->err) == -1)
		return NULL;
	return with_delegates(c, m->s, m->row.uid, *d, *nd, n);
}

/* recur.h's attendees: those of with_delegates() for the event. */
static struct ical_attendee *
event_attendees(void *arg, const struct series *s, const char *uid,
    size_t *n)
{
	struct ctx *c = arg;
	struct attendee *list = with_delegates(c, s, uid, c->evdel, c->nevdel,
	    n);
	struct ical_attendee *a = xcalloc(*n ? *n : 1, sizeof *a);
	size_t i;

	for (i = 0; i < *n; i++) {
		a[i].email = list[i].email;
		a[i].name = list[i].name;
		a[i].chair = list[i].chair;
		a[i].optional = list[i].optional;
		a[i].delegated_from = list[i].delegated_from;
	}
	free(list);
	return a;
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
 * rendered, so DESCRIPTION is the text in the recipient's language; and
 * for an update, what it tells this recipient. */
struct ical_job {
	struct ical_event ev;
	const char *method;
	const struct meeting *m;
	const struct store_invitee *known;  /* the recipient's, or NULL */
};

static char *
build_ical(void *arg, const char *body, const char *organizer)
{
	struct ical_job *j = arg;

	j->ev.description = body;
	j->ev.org_email = organizer;
	return ical_build(j->method, &j->ev, 1);
}

/* The calendar of a message about m: a CANCEL names only those it
 * removes, a REQUEST everyone, with the answers already known so that
 * their clients keep them.  Returns j->ev.att, the caller's to free. */
static struct ical_attendee *
job_init(struct ical_job *j, const struct ctx *c, const struct meeting *m,
    const char *kind, const struct attendee *list, size_t nlist,
    const struct store_invitee *inv, size_t ninv)
{
	const struct store_invitee *known;
	struct ical_attendee *ia;
	size_t i;

	ia = xcalloc(nlist ? nlist : 1, sizeof *ia);
	for (i = 0; i < nlist; i++) {
		ia[i].email = list[i].email;
		ia[i].name = list[i].name;
		ia[i].chair = list[i].chair;
		ia[i].optional = list[i].optional;
		ia[i].delegated_from = list[i].delegated_from;
		known = find_invitee(inv, ninv, list[i].email);
		ia[i].partstat = known && !known->cancelled ? known->partstat :
		    NULL;
	}
	memset(j, 0, sizeof *j);
	j->method = strcmp(kind, "cancel") == 0 ? "CANCEL" : "REQUEST";
	j->ev.uid = m->row.uid;
	j->ev.sequence = m->row.sequence;
	j->ev.dtstamp = c->now;
	j->ev.start = m->row.start;
	j->ev.end = m->row.end;
	j->ev.tzid = m->row.tzid;
	j->ev.summary = m->row.summary;
	j->ev.location = m->row.location;
	j->ev.org_name = c->cfg->org_name;
	j->ev.org_email = c->cfg->org_email;    /* the reader's: build_ical */
	j->ev.cancelled = strcmp(j->method, "CANCEL") == 0;
	j->ev.att = ia;
	j->ev.natt = nlist;
	j->ev.categories = m->row.kind ? m->row.kind : "meeting";
	return ia;
}

/* An update's own variables for its reader: what changed, what was
 * before, and whether their answer stands (it does unless the meeting
 * moved) or is asked for again. */
static void
update_vars(void *arg, struct letter_vars *lv, const char *lang,
    const char *tz)
{
	const struct ical_job *j = arg;
	const struct change *ch = &j->m->ch;
	const struct store_invitee *k = j->known;
	const char *answer = k != NULL && !k->cancelled ?
	    template_answer_word(lang, k->partstat) : NULL;

	if (ch->moved) {
		letter_vars_add(lv, "changed_time", "yes");
		letter_vars_take(lv, "previous_when", template_when(lang,
		    ch->old_start, tz));
	}
	if (ch->relocated) {
		letter_vars_add(lv, "changed_place", "yes");
		letter_vars_add(lv, "previous_location", ch->old_location);
	}
	if (ch->retitled)
		letter_vars_add(lv, "changed_title", "yes");
	if (k != NULL && j->m->row.agenda_confirmed &&
	    k->sequence_sent < ch->old_content_seq)
		letter_vars_add(lv, "changed_agenda", "yes");
	if (answer != NULL)
		letter_vars_add(lv, "answer", answer);
	else
		letter_vars_add(lv, "reply_requested", "yes");
}

/* Queue kind (invite, update, cancel) about m to one attendee.  A
 * meeting of a series event goes as that occurrence of it: the event's
 * UID and SEQUENCE, its RECURRENCE-ID (recur.h). */
static int
queue_one(struct ctx *c, const struct meeting *m, const char *to,
    const char *kind, const struct attendee *list, size_t nlist,
    const struct store_invitee *inv, size_t ninv)
{
	static const struct tvar occurrence = { "occurrence", "yes" };
	struct store_plan_meeting show = m->row;
	struct ical_attendee *ia;
	struct ical_job job;
	struct letter l;
	char *ref = NULL;
	int rc = -1;

	ia = job_init(&job, c, m, kind, list, nlist, inv, ninv);
	memset(&l, 0, sizeof l);
	if (m->row.series_uid != NULL) {
		if (recur_occurrence(c->rec, m->row.series_uid, &show.sequence,
		    &show.plain_organizer, c->err) == -1)
			goto out;
		job.ev.uid = m->row.series_uid;
		job.ev.recurrence_id = m->row.recurrence_id;
		job.ev.sequence = show.sequence;
		ref = xasprintf("%s:%d", m->row.recurrence_id, show.sequence);
		l.vars = &occurrence;
		l.nvars = 1;
	}
	l.kind = kind;
	l.group = c->g;
	l.meeting = &show;
	l.to = to;
	l.ref = ref;
	l.calendar = build_ical;
	l.method = job.method;
	l.arg = &job;
	job.m = m;
	job.known = find_invitee(inv, ninv, to);
	if (strcmp(kind, "update") == 0)
		l.vars_for = update_vars;
	rc = letter_queue(c->cfg, c->st, &l, c->now, c->err);
	if (rc == 1)
		c->cs->queued++;
out:
	free(ref);
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
	in.series_uid = m->row.series_uid;
	in.recurrence_id = m->row.recurrence_id;
	m->dirty = 0;
	return store_meeting_upsert(c->st, &in, c->err);
}

/* Those invited who are no longer attendees hear that the meeting is off
 * for them, under a SEQUENCE above what they last saw, and as it was when
 * they were invited: the caller has not applied this cycle's change yet.
 * inv[] is updated for what follows. */
static int
cancel_departed(struct ctx *c, struct meeting *m, struct store_invitee *inv,
    size_t ninv, const struct attendee *list, size_t nlist)
{
	struct attendee gone;
	size_t i;
	int bumped = 0;

	/* A series event's are cancelled whole, by recur_begin(). */
	for (i = 0; m->row.series_uid == NULL && i < ninv; i++) {
		if (inv[i].cancelled ||
		    find_attendee(list, nlist, inv[i].email) != NULL)
			continue;
		if (!bumped) {
			m->row.sequence++;
			bumped = m->dirty = 1;
		}
		memset(&gone, 0, sizeof gone);
		gone.email = inv[i].email;
		if (queue_one(c, m, gone.email, "cancel", &gone, 1, inv,
		    ninv) == -1 ||
		    store_invitation_cancel(c->st, m->row.uid, inv[i].email,
		    m->row.sequence, c->err) == -1)
			return -1;
		inv[i].cancelled = 1;
		inv[i].sequence_sent = m->row.sequence;
		log_info("%s: %s left the group: cancelling %s for them",
		    c->g->id, inv[i].email, m->row.uid);
	}
	return 0;
}

/* cancel_departed() for a stored meeting, before it changes. */
static int
cancel_departed_first(struct ctx *c, struct meeting *m)
{
	struct store_invitee *inv = NULL;
	struct store_delegate *del;
	struct attendee *list;
	size_t ninv = 0, nlist, ndel;
	int rc = -1;

	if (store_meeting_invitees(c->st, m->row.uid, &inv, &ninv, c->err) == -1)
		return -1;
	if ((list = meeting_attendees(c, m, &nlist, &del, &ndel)) != NULL)
		rc = cancel_departed(c, m, inv, ninv, list, nlist);
	free(list);
	store_delegates_free(del, ndel);
	store_invitees_free(inv, ninv);
	return rc;
}

/* What a meeting of a series event owes one attendee (kind: invite or
 * update).  1: an update of this occurrence alone, to queue; 0: done,
 * for they hold the event (the invitation is recorded), or its master
 * brings them this change, or it is to be sent to them (recur_end(),
 * when due); -1: error. */
static int
event_attendee(struct ctx *c, struct meeting *m, const char *email,
    const char *kind, int due)
{
	const char *uid = m->row.series_uid;

	if (strcmp(kind, "update") == 0 && !recur_master_changes(c->rec, uid))
		return 1;
	if (strcmp(kind, "invite") == 0 && !recur_holds(c->rec, uid, email)) {
		if (due)
			recur_send(c->rec, uid, email);
		return 0;
	}
	return (m->dirty && save_meeting(c, m) == -1) ||
	    store_invitation_set(c->st, m->row.uid, email, m->row.sequence,
	    c->err) == -1 ? -1 : 0;
}

/* Invitations, updates and per-attendee cancellations of one meeting that
 * is still to come. */
static int
reconcile_attendees(struct ctx *c, struct meeting *m)
{
	struct store_invitee *inv = NULL;
	struct store_delegate *del;
	struct attendee *list;
	size_t ninv = 0, nlist, i, ndel;
	const struct store_invitee *known;
	const char *kind;
	int due, owed, rc = -1;

	if (store_meeting_invitees(c->st, m->row.uid, &inv, &ninv, c->err) == -1)
		return -1;
	if ((list = meeting_attendees(c, m, &nlist, &del, &ndel)) == NULL ||
	    cancel_departed(c, m, inv, ninv, list, nlist) == -1)
		goto out;

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
		if (m->row.series_uid != NULL &&
		    (owed = event_attendee(c, m, list[i].email, kind, due)) != 1) {
			if (owed == -1)
				goto out;
			continue;
		}
		if (strcmp(kind, "invite") == 0 && !due)
			continue;
		if (m->dirty && save_meeting(c, m) == -1)
			goto out;
		if (queue_one(c, m, list[i].email, kind, list, nlist, inv,
		    ninv) == -1 ||
		    store_invitation_set(c->st, m->row.uid, list[i].email,
		    m->row.sequence, c->err) == -1)
			goto out;
	}
	rc = m->dirty ? save_meeting(c, m) : 0;
out:
	free(list);
	store_delegates_free(del, ndel);
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
	int rc = -1, silent;

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
			list[nlist].name = guest_name(c, inv[i].email);
			list[nlist].optional = 1;
		}
		nlist++;
	}
	/* A meeting of a series event whose master goes out again now (or
	 * that has ended) leaves calendars with it: no message of its own. */
	silent = m->row.series_uid != NULL &&
	    recur_master_changes(c->rec, m->row.series_uid);
	for (i = 0; i < nlist; i++)
		if ((!silent && queue_one(c, m, list[i].email, "cancel", list,
		    nlist, inv, ninv) == -1) || store_invitation_cancel(c->st,
		    m->row.uid, list[i].email, m->row.sequence, c->err) == -1)
			goto out;
	c->cs->meetings_cancelled++;
	if (nlist > 0 && silent)
		log_info("%s: meeting %s is no longer in the schedule: its series "
		    "event says so", c->g->id, m->row.uid);
	else if (nlist > 0)
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
apply_want(struct meeting *m, const struct recur_want *w, int *moved)
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
	m->ch.moved = *moved;
	m->ch.old_start = m->row.start;
	m->ch.relocated = str_differs(m->row.location, s->location);
	free(m->ch.old_location);
	m->ch.old_location = m->row.location ? xstrdup(m->row.location) : NULL;
	m->ch.retitled = str_differs(m->row.summary, s->summary) ||
	    str_differs(m->row.kind, kind);
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
new_meeting(struct ctx *c, struct meeting *m, const struct recur_want *w)
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
	c->cs->meetings_new++;
}

/* The group and its members as the store knows them. */
static int
sync_members(struct ctx *c)
{
	const struct group *g = c->g;
	struct store_member *sm;
	size_t i;
	int rc;

	sm = xcalloc(g->nmembers ? g->nmembers : 1, sizeof *sm);
	for (i = 0; i < g->nmembers; i++) {
		sm[i].email = g->members[i].email;
		sm[i].name = g->members[i].name;
		sm[i].language = g->members[i].language;
		sm[i].timezone = g->members[i].timezone;
		sm[i].role = config_role_name(g->members[i].role);
		sm[i].coordinator = g->members[i].coordinator;
	}
	rc = store_group_sync(c->st, g->id, g->name, c->now, c->err) == -1 ||
	    store_member_sync(c->st, g->id, sm, g->nmembers, c->now,
	    c->err) == -1 ? -1 : 0;
	free(sm);
	return rc;
}

/* The occurrences every series of the group wants in [from, to), with a
 * day of margin each side: an occurrence moved within its day must still
 * meet its stored row to be an update, not a new meeting and a
 * cancellation.  *want grows; its uids are the caller's to free, also
 * after an error. */
static int
expand(struct ctx *c, long long from, long long to, struct recur_want **want,
    size_t *nwant)
{
	const struct group *g = c->g;
	struct ical_occurrence *occ;
	struct recur_want *w;
	size_t nocc, i, j;

	for (i = 0; i < g->nseries; i++) {
		const struct series *s = &g->series[i];

		occ = NULL;
		nocc = 0;
		if (ical_expand(s->start, s->timezone, s->duration, s->rrule,
		    s->exdate, s->nexdate, from - DAY, to + DAY, MAX_OCCURRENCES,
		    &occ, &nocc, c->err) == -1)
			return -1;
		*want = xreallocarray(*want, *nwant + nocc, sizeof **want);
		for (j = 0; j < nocc; j++) {
			w = &(*want)[(*nwant)++];
			w->s = s;
			w->o = occ[j];
			w->uid = plan_uid(c->cfg, g->id, s->name, occ[j].key);
			w->seen = 0;
		}
		free(occ);
	}
	return 0;
}

/* A stored meeting its series still wants, in the window. */
static int
update_meeting(struct ctx *c, struct meeting *m, const struct recur_want *w)
{
	int moved;

	m->s = w->s;
	m->ch.old_content_seq = m->row.content_seq;
	if (cancel_departed_first(c, m) == -1)
		return -1;
	/* Its RECURRENCE-ID follows the event's rule (recur.h). */
	if (m->row.series_uid != NULL &&
	    str_differs(m->row.recurrence_id, w->o.wall)) {
		free(m->row.recurrence_id);
		m->row.recurrence_id = xstrdup(w->o.wall);
		m->dirty = 1;
	}
	if (apply_want(m, w, &moved)) {
		c->cs->meetings_changed++;
		if (moved && store_invitation_reset(c->st, m->row.uid,
		    c->err) == -1)
			return -1;
		log_info("%s: meeting %s changed: SEQUENCE %d", c->g->id,
		    m->row.uid, m->row.sequence);
	}
	return reconcile_attendees(c, m);
}

/* One stored meeting: update, keep or cancel it.  *row is updated in
 * place, and stays the caller's to free. */
static int
reconcile_row(struct ctx *c, struct store_plan_meeting *row,
    struct recur_want *want, size_t nwant, long long from, long long to)
{
	struct meeting m;
	struct recur_want *w = NULL;
	size_t k;
	int rc = 0;

	memset(&m, 0, sizeof m);
	m.row = *row;
	m.s = config_series(c->g, row->series);
	for (k = 0; k < nwant && w == NULL; k++)
		if (strcmp(want[k].uid, row->uid) == 0)
			w = &want[k];
	if (w != NULL) {
		w->seen = 1;    /* outside the window: its turn comes later */
		if (w->o.start >= from && w->o.start < to)
			rc = update_meeting(c, &m, w);
	} else if (!m.row.cancelled && m.row.start >= from && m.row.start < to)
		rc = cancel_meeting(c, &m);
	*row = m.row;
	free(m.ch.old_location);
	return rc;
}

/* An occurrence the store has not seen yet. */
static int
add_meeting(struct ctx *c, const struct recur_want *w)
{
	struct meeting m;
	int rc;

	new_meeting(c, &m, w);
	recur_link(c->rec, &m.row, w);
	rc = save_meeting(c, &m) == -1 || (m.row.series_uid != NULL &&
	    store_series_share(c->st, m.row.uid, c->err) == -1) ||
	    reconcile_attendees(c, &m) == -1 ? -1 : 0;
	store_plan_meeting_clear(&m.row);
	return rc;
}

/* When the next occurrence comes within the horizon: the first wanted
 * beyond it (the expansion reaches a day past it), else a day from now
 * at the latest.  The rest of planning is days from stored meetings. */
static void
horizon_due(const struct cycle_ctx *cc, const struct recur_want *want,
    size_t nwant, long long to)
{
	long long next = cc->now + DAY;
	size_t i;

	for (i = 0; i < nwant; i++)
		if (want[i].o.start >= to && want[i].o.start - (to - cc->now) <
		    next)
			next = want[i].o.start - (to - cc->now);
	cycle_due(cc, next);
}

int
plan_group(const struct cycle_ctx *cc, const struct group *g, char **err)
{
	struct store_plan_meeting *rows = NULL;
	struct recur_want *want = NULL;
	struct recur_ctx rctx;
	struct group *polled;
	struct ctx c;
	size_t nrows = 0, nwant = 0, i;
	long long from = cc->now, to = cc->now + cc->cfg->horizon_days * DAY;
	int rc = -1;

	/* A poll's chosen time is planned as a series of its own (poll.h). */
	if (poll_with_chosen(cc->st, g, &polled, err) == -1)
		return -1;
	if (polled != NULL)
		g = polled;
	memset(&c, 0, sizeof c);
	c.cfg = cc->cfg;
	c.st = cc->st;
	c.now = cc->now;
	c.cs = cc->cs;
	c.g = g;
	c.err = err;
	c.nmembers = g->nmembers;
	c.members = xcalloc(g->nmembers ? g->nmembers : 1, sizeof *c.members);
	for (i = 0; i < g->nmembers; i++) {
		c.members[i].email = g->members[i].email;
		c.members[i].name = g->members[i].name;
		c.members[i].chair = g->members[i].coordinator;
	}
	rctx.cfg = cc->cfg;
	rctx.st = cc->st;
	rctx.now = cc->now;
	rctx.cs = cc->cs;
	rctx.g = g;
	rctx.attendees = event_attendees;
	rctx.arg = &c;
	if (sync_members(&c) == -1 ||
	    expand(&c, from, to, &want, &nwant) == -1 ||
	    store_group_event_delegates(c.st, g->id, &c.evdel, &c.nevdel,
	    err) == -1 ||
	    store_group_registrants(c.st, g->id, &c.reg, &c.nreg, err) == -1 ||
	    (c.rec = recur_begin(&rctx, want, nwant, err)) == NULL ||
	    store_plan_meetings(c.st, g->id, from - 2 * DAY, to + 2 * DAY,
	    &rows, &nrows, err) == -1)
		goto out;
	for (i = 0; i < nrows; i++)
		if (reconcile_row(&c, &rows[i], want, nwant, from, to) == -1)
			goto out;
	for (i = 0; i < nwant; i++)
		if (!want[i].seen && want[i].o.start >= from &&
		    want[i].o.start < to && add_meeting(&c, &want[i]) == -1)
			goto out;
	horizon_due(cc, want, nwant, to);
	rc = recur_end(c.rec, err);
	c.rec = NULL;
out:
	recur_free(c.rec);
	store_plan_meetings_free(rows, nrows);
	for (i = 0; i < nwant; i++)
		free(want[i].uid);
	free(want);
	free(c.members);
	store_delegates_free(c.evdel, c.nevdel);
	poll_group_free(polled);
	store_registrants_free(c.reg, c.nreg);
	return rc;
}

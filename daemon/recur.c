/*
 * recur.c: a series as one recurring event (see recur.h).
 *
 * Runs inside plan.c's transaction for the group: recur_begin() before
 * the meetings are reconciled, recur_end() after.  Everything it decides
 * is written in that transaction with the messages it queues.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "letter.h"
#include "log.h"
#include "recur.h"
#include "store.h"
#include "template.h"
#include "util.h"

/* One event while the cycle runs. */
struct event {
	struct store_series_event e;
	const struct series *s;     /* its series in the configuration, or
	                             * NULL when gone */
	struct store_invitee *inv;  /* everyone ever sent it */
	size_t      ninv;
	int         bumped;         /* SEQUENCE raised this cycle */
	int         changed;        /* its master goes to every holder */
	char      **send;           /* new holders (recur_send) */
	size_t      nsend;
	/* What a changed master tells its readers. */
	int         moved, relocated, retitled, redated;
	long long   old_start;
	char       *old_location;
};

struct recur {
	struct recur_ctx c;
	struct event    *ev;
	size_t           nev;
	struct store_plan_meeting *rows;    /* the group's meetings in the
	                                     * planning window */
	size_t           nrows;
	int              detached;          /* an event let meetings go */
};

char *
recur_uid(const struct config *cfg, const char *group_id, const char *series,
    const char *first_wall)
{
	return xasprintf("%s-%s-%.8s-series@%s", group_id, series, first_wall,
	    addr_domain(cfg->org_email));
}

static struct event *
find_event(struct recur *r, const char *uid)
{
	size_t i;

	for (i = 0; uid != NULL && i < r->nev; i++)
		if (strcmp(r->ev[i].e.uid, uid) == 0)
			return &r->ev[i];
	return NULL;
}

/* The event series s's meetings join now, or NULL. */
static struct event *
live_event(struct recur *r, const struct series *s)
{
	size_t i;

	for (i = 0; i < r->nev; i++)
		if (!r->ev[i].e.ended && strcmp(r->ev[i].e.series, s->name) == 0)
			return &r->ev[i];
	return NULL;
}

static struct store_invitee *
holder(const struct event *ev, const char *email)
{
	size_t i;

	for (i = 0; i < ev->ninv; i++)
		if (strcasecmp(ev->inv[i].email, email) == 0)
			return &ev->inv[i];
	return NULL;
}

/* The message about to go changes what someone holds: the SEQUENCE
 * rises, once a cycle. */
static void
bump(struct event *ev)
{
	if (!ev->bumped)
		ev->e.sequence++;
	ev->bumped = 1;
}

static int
save(struct recur *r, struct event *ev, char **err)
{
	return store_series_event_save(r->c.st, &ev->e, r->c.now, err);
}

/* ---- the master, and the message that carries it ---- */

/* The calendar of one message: the master (or, for a CANCEL, the master
 * alone) and its overrides; those without a text of their own take the
 * letter's body as DESCRIPTION. */
struct master_job {
	struct ical_event *ev;
	size_t             nev;
	const char        *method;
	const struct event *event;
	const struct store_invitee *known;  /* the reader's copy, or NULL */
	struct store_plan_meeting *rows;    /* the event's meetings */
	size_t             nrows;
	long long          now;
};

static char *
master_calendar(void *arg, const char *body, const char *organizer)
{
	struct master_job *j = arg;
	size_t i;

	for (i = 0; i < j->nev; i++) {
		j->ev[i].org_email = organizer;
		if (j->ev[i].description == NULL)
			j->ev[i].description = body;
	}
	return ical_build(j->method, j->ev, j->nev);
}

/* The planned meetings still to come, one a line in the reader's zone:
 * what a letter about the whole series lists. */
static char *
planned_lines(const struct master_job *j, const char *lang, const char *tz)
{
	struct buf b = BUF_INIT(BUF_OWN);
	char *when;
	size_t i;

	for (i = 0; i < j->nrows; i++) {
		if (j->rows[i].cancelled || j->rows[i].start <= j->now)
			continue;
		when = template_when(lang, j->rows[i].start, tz);
		buf_addf(&b, "%s  - %s", b.len ? "\n" : "", when);
		free(when);
	}
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* letter.h's vars_for: the series in the reader's terms, and for an
 * update what changed and whether their answer stands. */
static void
master_vars(void *arg, struct letter_vars *lv, const char *lang,
    const char *tz)
{
	const struct master_job *j = arg;
	const struct event *ev = j->event;
	const struct store_invitee *k = j->known;
	const char *answer = k != NULL && !k->cancelled && !ev->moved ?
	    template_answer_word(lang, k->partstat) : NULL;

	letter_vars_add(lv, "series", "yes");
	letter_vars_take(lv, "series_dates", planned_lines(j, lang, tz));
	if (ev->e.until != 0)
		letter_vars_take(lv, "series_until", template_date(lang,
		    ev->e.until, ev->e.tzid));
	if (ev->e.ended)
		letter_vars_add(lv, "series_ended", "yes");
	if (ev->moved) {
		letter_vars_add(lv, "changed_time", "yes");
		letter_vars_take(lv, "previous_when", template_when(lang,
		    ev->old_start, tz));
	}
	if (ev->relocated) {
		letter_vars_add(lv, "changed_place", "yes");
		letter_vars_add(lv, "previous_location", ev->old_location);
	}
	if (ev->retitled)
		letter_vars_add(lv, "changed_title", "yes");
	if (ev->redated)
		letter_vars_add(lv, "changed_dates", "yes");
	if (answer != NULL)
		letter_vars_add(lv, "answer", answer);
	else
		letter_vars_add(lv, "reply_requested", "yes");
}

/* The answer as a string that outlives the store's rows. */
static const char *
answer_of(const char *partstat)
{
	static const char *const known[] = { "ACCEPTED", "DECLINED",
	    "TENTATIVE", "DELEGATED", NULL };
	size_t i;

	for (i = 0; partstat != NULL && known[i] != NULL; i++)
		if (strcmp(partstat, known[i]) == 0)
			return known[i];
	return NULL;
}

static void
set_partstats(struct ical_attendee *a, size_t n,
    const struct store_invitee *inv, size_t ninv)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		a[i].partstat = NULL;
		for (k = 0; k < ninv; k++)
			if (strcasecmp(inv[k].email, a[i].email) == 0 &&
			    !inv[k].cancelled)
				a[i].partstat = answer_of(inv[k].partstat);
	}
}

/* An occurrence that differs from what the master says of it: its
 * agenda, or a wall time readers take apart (a DST gap or fold), which
 * its own DTSTART in UTC pins down. */
static int
needs_override(const struct store_plan_meeting *m, long long now)
{
	return !m->cancelled && m->start > now && m->recurrence_id != NULL &&
	    (m->agenda_confirmed ||
	    !ical_wall_exact(m->recurrence_id, m->tzid));
}

static void
job_release(struct master_job *j)
{
	size_t i;

	for (i = 1; i < j->nev; i++)
		free((void *)j->ev[i].att);
	free(j->ev);
	j->ev = NULL;
	j->nev = 0;
}

/* An override of the master for meeting m, with the answers known for
 * it.  0, or -1 with *err set. */
static int
add_override(struct recur *r, struct master_job *j,
    const struct store_plan_meeting *m, char **err)
{
	struct store_invitee *inv = NULL;
	struct ical_attendee *oa;
	struct ical_event *o;
	size_t ninv = 0, natt = j->ev[0].natt;

	if (store_meeting_invitees(r->c.st, m->uid, &inv, &ninv, err) == -1)
		return -1;
	oa = xcalloc(natt ? natt : 1, sizeof *oa);
	memcpy(oa, j->ev[0].att, natt * sizeof *oa);
	set_partstats(oa, natt, inv, ninv);
	store_invitees_free(inv, ninv);
	o = &j->ev[j->nev++];
	*o = j->ev[0];
	o->rrule = o->exdate = o->start_wall = NULL;
	o->recur_until = 0;
	o->recurrence_id = m->recurrence_id;
	o->start = m->start;
	o->end = m->end;
	o->summary = m->summary ? m->summary : "";
	o->location = m->location;
	o->description = m->agenda_confirmed ? m->agenda : NULL;
	o->att = oa;
	o->categories = m->kind;
	return 0;
}

/* The VEVENTs of a message about the whole event: the master, then, but
 * for a CANCEL, an override for each meeting that needs one.
 * att[0..natt) are the master's attendees, with their answers.  Strings
 * borrowed from the event and j->rows; job_release() frees the rest. */
static int
job_events(struct recur *r, struct master_job *j, struct ical_attendee *att,
    size_t natt, char **err)
{
	const struct store_series_event *e = &j->event->e;
	struct ical_event *o;
	size_t i;

	j->ev = xcalloc(j->nrows + 1, sizeof *j->ev);
	o = &j->ev[j->nev++];
	o->uid = e->uid;
	o->sequence = e->sequence;
	o->dtstamp = r->c.now;
	o->start = e->dtstart;
	o->end = e->dtstart + (long long)e->duration * 60;
	o->tzid = e->tzid;
	o->summary = e->summary ? e->summary : "";
	o->location = e->location;
	o->org_name = r->c.cfg->org_name;
	o->cancelled = strcmp(j->method, "CANCEL") == 0;
	o->att = att;
	o->natt = natt;
	o->categories = e->kind;
	o->rrule = e->rrule;
	o->exdate = e->exdate;
	o->recur_until = e->until;
	o->start_wall = e->dtstart_wall;
	for (i = 0; !o->cancelled && i < j->nrows; i++)
		if (needs_override(&j->rows[i], r->c.now) &&
		    add_override(r, j, &j->rows[i], err) == -1)
			return -1;
	return 0;
}

/* The meeting a letter about the whole event shows: the next one to
 * come, or else its last. */
static const struct store_plan_meeting *
shown_meeting(const struct master_job *j)
{
	size_t i;

	for (i = 0; i < j->nrows; i++)
		if (!j->rows[i].cancelled && j->rows[i].start > j->now)
			return &j->rows[i];
	return j->nrows > 0 ? &j->rows[j->nrows - 1] : NULL;
}

/* Queue kind (invite, update, cancel) about the whole event to one
 * attendee, naming the attendees att[0..natt) (their answers are filled
 * in here), and record it.  0, or -1 with *err set. */
static int
send_master(struct recur *r, struct event *ev, const char *to,
    const char *kind, struct ical_attendee *att, size_t natt, char **err)
{
	struct store_plan_meeting show;
	const struct store_plan_meeting *m;
	struct master_job j;
	struct letter l;
	char *ref;
	int rc = -1, cancel = strcmp(kind, "cancel") == 0;

	memset(&j, 0, sizeof j);
	j.method = cancel ? "CANCEL" : "REQUEST";
	j.event = ev;
	j.known = holder(ev, to);
	j.now = r->c.now;
	if (store_series_meetings(r->c.st, ev->e.uid, &j.rows, &j.nrows,
	    err) == -1)
		return -1;
	if ((m = shown_meeting(&j)) == NULL) {
		log_warnx("%s: series event %s has no meeting to show: nothing "
		    "sent to %s", r->c.g->id, ev->e.uid, to);
		store_plan_meetings_free(j.rows, j.nrows);
		return 0;
	}
	set_partstats(att, natt, ev->inv, ev->ninv);
	if (job_events(r, &j, att, natt, err) == -1)
		goto out;
	show = *m;
	show.series_uid = ev->e.uid;
	show.plain_organizer = ev->e.plain_organizer;
	show.sequence = ev->e.sequence;
	ref = xasprintf("all:%d", ev->e.sequence);
	memset(&l, 0, sizeof l);
	l.kind = kind;
	l.group = r->c.g;
	l.meeting = &show;
	l.to = to;
	l.ref = ref;
	l.calendar = master_calendar;
	l.method = j.method;
	l.arg = &j;
	l.vars_for = master_vars;
	rc = letter_queue(r->c.cfg, r->c.st, &l, r->c.now, err);
	free(ref);
	if (rc == 1)
		r->c.cs->queued++;
	if (rc >= 0)
		rc = cancel ? store_series_attendee_cancel(r->c.st, ev->e.uid,
		    to, ev->e.sequence, r->c.now, err) :
		    store_series_attendee_set(r->c.st, ev->e.uid, to,
		    ev->e.sequence, r->c.now, err);
out:
	job_release(&j);
	store_plan_meetings_free(j.rows, j.nrows);
	return rc < 0 ? -1 : 0;
}

/* Everyone ever sent ev, again from the store. */
static int
load_holders(struct recur *r, struct event *ev, char **err)
{
	store_invitees_free(ev->inv, ev->ninv);
	ev->inv = NULL;
	ev->ninv = 0;
	return store_meeting_invitees(r->c.st, ev->e.uid, &ev->inv, &ev->ninv,
	    err);
}

/* The attendees the event goes to: its series' (plan.c), or, once the
 * series is gone, those who hold it.  Caller frees the array. */
static struct ical_attendee *
event_attendees(struct recur *r, const struct event *ev, size_t *n)
{
	struct ical_attendee *a;
	size_t i;

	if (ev->s != NULL)
		return r->c.attendees(r->c.arg, ev->s, ev->e.uid, n);
	a = xcalloc(ev->ninv ? ev->ninv : 1, sizeof *a);
	*n = 0;
	for (i = 0; i < ev->ninv; i++)
		if (!ev->inv[i].cancelled)
			a[(*n)++].email = ev->inv[i].email;
	return a;
}

static int
listed(const struct ical_attendee *a, size_t n, const char *email)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(a[i].email, email) == 0)
			return 1;
	return 0;
}

/* ---- departures, ends, changes ---- */

/* Those who hold ev and are no longer its attendees: CANCEL of the whole
 * event to each, as they hold it, naming them alone. */
static int
cancel_departed(struct recur *r, struct event *ev, char **err)
{
	struct ical_attendee *list, gone;
	size_t nlist, i;
	int rc = 0, any = 0;

	list = event_attendees(r, ev, &nlist);
	for (i = 0; i < ev->ninv && rc == 0; i++) {
		if (ev->inv[i].cancelled ||
		    listed(list, nlist, ev->inv[i].email))
			continue;
		bump(ev);
		memset(&gone, 0, sizeof gone);
		gone.email = ev->inv[i].email;
		log_info("%s: %s left the group: cancelling series event %s "
		    "for them", r->c.g->id, gone.email, ev->e.uid);
		rc = send_master(r, ev, gone.email, "cancel", &gone, 1, err);
		any = 1;
	}
	free(list);
	if (rc == 0 && any)
		rc = load_holders(r, ev, err) == -1 || save(r, ev, err) == -1 ?
		    -1 : 0;
	return rc;
}

/* The last meeting of rows[0..n) that has started, or NULL. */
static const struct store_plan_meeting *
last_started(const struct store_plan_meeting *rows, size_t n, long long now)
{
	const struct store_plan_meeting *last = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (!rows[i].cancelled && rows[i].start <= now)
			last = &rows[i];
	return last;
}

/* ev takes no more meetings: its rule ends with its last started
 * meeting, and its holders get the master again (recur_end()), or, when
 * none has started, it is CANCELled whole.  Meetings still to come leave
 * it.  0, or -1 with *err set. */
static int
end_event(struct recur *r, struct event *ev, const char *why, char **err)
{
	struct store_plan_meeting *rows = NULL;
	const struct store_plan_meeting *last;
	struct ical_recurrence rr;
	struct ical_attendee *list;
	size_t nrows = 0, nlist, i;
	int rc = 0;

	if (store_series_meetings(r->c.st, ev->e.uid, &rows, &nrows, err) == -1)
		return -1;
	bump(ev);
	ev->e.ended = 1;
	if ((last = last_started(rows, nrows, r->c.now)) != NULL) {
		memset(&rr, 0, sizeof rr);
		rr.rrule = ev->e.rrule;
		ical_recurrence_end(&rr, ev->e.tzid, last->recurrence_id ?
		    last->recurrence_id : ev->e.dtstart_wall);
		ev->e.rrule = rr.rrule;
		ev->e.until = rr.until;
		ev->e.content_seq = ev->e.sequence;
		ev->changed = ev->redated = 1;
		log_info("%s: series event %s ends with its meeting %s: %s",
		    r->c.g->id, ev->e.uid, last->uid, why);
	} else {
		ev->e.cancelled = 1;
		log_info("%s: series event %s is cancelled: %s", r->c.g->id,
		    ev->e.uid, why);
		list = event_attendees(r, ev, &nlist);
		for (i = 0; i < ev->ninv && rc == 0; i++)
			if (!ev->inv[i].cancelled)
				rc = send_master(r, ev, ev->inv[i].email,
				    "cancel", list, nlist, err);
		free(list);
	}
	store_plan_meetings_free(rows, nrows);
	r->detached = 1;
	if (rc == -1 || save(r, ev, err) == -1 ||
	    store_series_detach(r->c.st, ev->e.uid, r->c.now, err) == -1)
		return -1;
	return 0;
}

static int
differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* The rule as written without its UNTIL (written last, ical.h). */
static int
same_pattern(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	const char *u;

	if ((u = strstr(a, "UNTIL=")) != NULL)
		na = (size_t)(u - a);
	if ((u = strstr(b, "UNTIL=")) != NULL)
		nb = (size_t)(u - b);
	return na == nb && strncmp(a, b, na) == 0;
}

/* 1 when every wall of the comma-separated list a is in the list b. */
static int
walls_within(const char *a, const char *b)
{
	char w[16];
	size_t n;

	for (; *a != '\0'; a += n + (a[n] == ',')) {
		n = strcspn(a, ",");
		if (n != 15)
			return 0;
		memcpy(w, a, n);
		w[n] = '\0';
		if (strstr(b, w) == NULL)
			return 0;
	}
	return 1;
}

/* 1 when the EXDATEs added in exdate (ev's kept) are all meetings of ev
 * still to come, which are planned, and so cancelled one by one (plan.c),
 * each with a message that says which.  -1 with *err set. */
static int
planned_exdates(struct recur *r, const struct event *ev, const char *exdate,
    char **err)
{
	struct store_plan_meeting *rows = NULL;
	struct buf mine = BUF_INIT(BUF_OWN);
	size_t nrows = 0, i;
	char w[16];
	int rc;

	if (!walls_within(ev->e.exdate, exdate))
		return 0;
	if (store_series_meetings(r->c.st, ev->e.uid, &rows, &nrows, err) == -1)
		return -1;
	for (i = 0; i < nrows; i++)
		if (rows[i].recurrence_id != NULL && rows[i].start > r->c.now)
			buf_addf(&mine, "%s,", rows[i].recurrence_id);
	buf_adds(&mine, ev->e.exdate);
	rc = 1;
	for (; *exdate != '\0' && rc == 1; exdate += 15 + (exdate[15] == ',')) {
		memcpy(w, exdate, 15);
		w[15] = '\0';
		rc = strstr(buf_str(&mine), w) != NULL;
	}
	buf_release(&mine);
	store_plan_meetings_free(rows, nrows);
	return rc;
}

/* ev's master, from rr and its series now. */
static void
take_master(struct event *ev, struct ical_recurrence *rr)
{
	const struct series *s = ev->s;

	free(ev->e.rrule);
	free(ev->e.exdate);
	ev->e.rrule = rr->rrule;
	ev->e.exdate = rr->exdate;
	rr->rrule = rr->exdate = NULL;
	ev->e.until = rr->until;
	ev->e.dtstart = rr->dtstart;
	free(ev->e.tzid);
	ev->e.tzid = xstrdup(s->timezone);
	ev->e.duration = s->duration;
	free(ev->e.summary);
	ev->e.summary = xstrdup(s->summary);
	free(ev->e.location);
	ev->e.location = s->location ? xstrdup(s->location) : NULL;
	free(ev->e.kind);
	ev->e.kind = xstrdup(config_meeting_kind_name(s->kind));
}

/* 1 when someone holds an invitation among inv[0..n). */
static int
invited(const struct store_invitee *inv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!inv[i].cancelled)
			return 1;
	return 0;
}

/* 1 when meeting m was invited as an event of its own (it is in no
 * event and someone holds an invitation to it), 0 not, -1 with *err set
 * when the store failed. */
static int
invited_alone(struct recur *r, const struct store_plan_meeting *m,
    char **err)
{
	struct store_invitee *inv;
	size_t ninv;
	int rc;

	if (m->series_uid != NULL || m->cancelled)
		return 0;
	if (store_meeting_invitees(r->c.st, m->uid, &inv, &ninv, err) == -1)
		return -1;
	rc = invited(inv, ninv);
	store_invitees_free(inv, ninv);
	return rc;
}

/* The first occurrence of s an event of it can start at: still to come,
 * and after every meeting of s invited as an event of its own (those
 * keep their events until they are over).  NULL: none in the window;
 * *err set when the store failed. */
static const struct recur_want *
first_want(struct recur *r, const struct series *s,
    const struct recur_want *want, size_t nwant, char **err)
{
	const struct recur_want *w = NULL;
	const struct store_plan_meeting *m;
	long long after = -1;
	size_t i, k;
	int alone;

	for (i = 0; i < r->nrows; i++) {
		m = &r->rows[i];
		if (m->start < r->c.now || strcmp(m->series, s->name) != 0)
			continue;
		if ((alone = invited_alone(r, m, err)) == -1)
			return NULL;
		/* Its occurrence, wherever it is wanted now, and all before. */
		for (k = 0; alone && k < nwant; k++)
			if (strcmp(want[k].uid, m->uid) == 0 &&
			    want[k].o.start > after)
				after = want[k].o.start;
		if (alone && m->start > after)
			after = m->start;
	}
	for (i = 0; i < nwant; i++)
		if (want[i].s == s && want[i].o.start >= r->c.now &&
		    want[i].o.start > after &&
		    (w == NULL || want[i].o.start < w->o.start))
			w = &want[i];
	return w;
}

/* A change of time: while nothing of ev has started, its master starts
 * again from the first occurrence now wanted and every answer is asked
 * afresh; after, ev ends and a new event follows (make_events()). */
static int
retime(struct recur *r, struct event *ev, const struct recur_want *want,
    size_t nwant, char **err)
{
	const struct recur_want *w;
	struct ical_recurrence rr;
	int rc;

	if (ev->e.dtstart <= r->c.now)
		return end_event(r, ev, "its time changed", err);
	*err = NULL;
	if ((w = first_want(r, ev->s, want, nwant, err)) == NULL)
		return *err != NULL ? -1 :
		    end_event(r, ev, "its series has no meeting to come", err);
	rc = ical_recurrence(ev->s->start, ev->s->timezone, ev->s->rrule,
	    ev->s->exdate, ev->s->nexdate, w->o.wall, &rr, err);
	if (rc != 0) {
		if (rc == 1)
			*err = xasprintf("series %s: no occurrence at %s",
			    ev->s->name, w->o.wall);
		return -1;
	}
	ev->moved = 1;
	ev->old_start = ev->e.dtstart;
	free(ev->e.dtstart_wall);
	ev->e.dtstart_wall = xstrdup(w->o.wall);
	take_master(ev, &rr);
	ical_recurrence_clear(&rr);
	bump(ev);
	ev->e.content_seq = ev->e.sequence;
	ev->changed = 1;
	log_info("%s: series event %s changed its time: SEQUENCE %d",
	    r->c.g->id, ev->e.uid, ev->e.sequence);
	return save(r, ev, err) == -1 ||
	    store_series_reset(r->c.st, ev->e.uid, err) == -1 ? -1 : 0;
}

/* Bring ev's master in line with its series. */
static int
apply_config(struct recur *r, struct event *ev, const struct recur_want *want,
    size_t nwant, char **err)
{
	const struct series *s = ev->s;
	const char *kind = config_meeting_kind_name(s->kind);
	struct ical_recurrence rr;
	int rc;

	rc = ical_recurrence(s->start, s->timezone, s->rrule, s->exdate,
	    s->nexdate, ev->e.dtstart_wall, &rr, err);
	if (rc == -1)
		return -1;
	if (rc == 1 || differs(s->timezone, ev->e.tzid) ||
	    s->duration != ev->e.duration || !same_pattern(rr.rrule,
	    ev->e.rrule)) {
		ical_recurrence_clear(&rr);
		return retime(r, ev, want, nwant, err);
	}
	ev->redated = differs(rr.rrule, ev->e.rrule) ||
	    differs(rr.exdate, ev->e.exdate);
	ev->relocated = differs(s->location, ev->e.location);
	ev->retitled = differs(s->summary, ev->e.summary) ||
	    differs(kind, ev->e.kind);
	if (!ev->redated && !ev->relocated && !ev->retitled) {
		ical_recurrence_clear(&rr);
		return 0;
	}
	if (!ev->relocated && !ev->retitled &&
	    !differs(rr.rrule, ev->e.rrule) &&
	    (rc = planned_exdates(r, ev, rr.exdate, err)) != 0) {
		/* The master follows what the CANCELs say, silently. */
		ev->redated = 0;
		if (rc == 1)
			take_master(ev, &rr);
		ical_recurrence_clear(&rr);
		return rc == -1 || save(r, ev, err) == -1 ? -1 : 0;
	}
	free(ev->old_location);
	ev->old_location = ev->e.location ? xstrdup(ev->e.location) : NULL;
	take_master(ev, &rr);
	ical_recurrence_clear(&rr);
	bump(ev);
	ev->e.content_seq = ev->e.sequence;
	ev->changed = 1;
	log_info("%s: series event %s changed: SEQUENCE %d", r->c.g->id,
	    ev->e.uid, ev->e.sequence);
	return save(r, ev, err);
}

/* A UID for an event of s starting at wall that no event had before:
 * the date of its first occurrence, and a number after a second event
 * that starts the same day.  NULL with *err set when the store failed. */
static char *
fresh_uid(struct recur *r, const struct series *s, const char *wall,
    char **err)
{
	struct store_series_event old;
	char *uid = recur_uid(r->c.cfg, r->c.g->id, s->name, wall), *at;
	int n, rc;

	for (n = 2; (rc = store_series_event_get(r->c.st, uid, &old,
	    err)) == 1; n++) {
		store_series_event_clear(&old);
		at = strchr(uid, '@');
		*at = '\0';
		free(uid);
		uid = xasprintf("%s-%s-%.8s-series%d@%s", r->c.g->id, s->name,
		    wall, n, addr_domain(r->c.cfg->org_email));
	}
	if (rc == -1) {
		free(uid);
		return NULL;
	}
	return uid;
}

/* An event for each recurring series of the group that has none to take
 * its meetings now. */
static int
make_events(struct recur *r, const struct recur_want *want, size_t nwant,
    char **err)
{
	const struct group *g = r->c.g;
	const struct recur_want *w;
	struct ical_recurrence rr;
	struct event *ev;
	size_t i;

	for (i = 0; i < g->nseries; i++) {
		const struct series *s = &g->series[i];

		if (!config_series_recurring(s) || live_event(r, s) != NULL)
			continue;
		*err = NULL;
		if ((w = first_want(r, s, want, nwant, err)) == NULL) {
			if (*err != NULL)
				return -1;
			continue;
		}
		if (ical_recurrence(s->start, s->timezone, s->rrule, s->exdate,
		    s->nexdate, w->o.wall, &rr, err) != 0) {
			if (*err == NULL)
				*err = xasprintf("series %s: no occurrence at %s",
				    s->name, w->o.wall);
			return -1;
		}
		r->ev = xreallocarray(r->ev, r->nev + 1, sizeof *r->ev);
		ev = &r->ev[r->nev++];
		memset(ev, 0, sizeof *ev);
		ev->s = s;
		ev->e.group_id = xstrdup(g->id);
		ev->e.series = xstrdup(s->name);
		ev->e.dtstart_wall = xstrdup(w->o.wall);
		take_master(ev, &rr);
		ical_recurrence_clear(&rr);
		if ((ev->e.uid = fresh_uid(r, s, w->o.wall, err)) == NULL ||
		    save(r, ev, err) == -1)
			return -1;
		log_info("%s: series %s goes as one recurring event, %s",
		    g->id, s->name, ev->e.uid);
	}
	return 0;
}

/* Meetings of a series still to come, invited to no event, join the
 * series' event when they start within it, and its holders are invited
 * to them. */
static int
link_rows(struct recur *r, const struct recur_want *want, size_t nwant,
    char **err)
{
	struct store_plan_meeting *m;
	const struct series *s;
	struct event *ev;
	size_t i, k;
	int alone;

	for (i = 0; i < r->nrows; i++) {
		m = &r->rows[i];
		s = config_series(r->c.g, m->series);
		if (m->series_uid != NULL || m->cancelled ||
		    m->start <= r->c.now || !config_series_recurring(s) ||
		    (ev = live_event(r, s)) == NULL || m->start < ev->e.dtstart)
			continue;
		for (k = 0; k < nwant && strcmp(want[k].uid, m->uid) != 0; k++)
			;
		if (k == nwant)
			continue;       /* off the schedule: plan.c cancels it */
		if ((alone = invited_alone(r, m, err)) == -1)
			return -1;
		if (alone)
			continue;       /* invited before, on its own */
		if (store_meeting_link(r->c.st, m->uid, ev->e.uid,
		    want[k].o.wall, err) == -1 ||
		    store_series_share(r->c.st, m->uid, err) == -1)
			return -1;
	}
	return 0;
}

/* 1 when a series of g goes as one recurring event. */
static int
any_recurring(const struct group *g)
{
	size_t i;

	for (i = 0; i < g->nseries; i++)
		if (config_series_recurring(&g->series[i]))
			return 1;
	return 0;
}

/* The group's meetings in the planning window (plan.c's). */
static int
load_rows(struct recur *r, char **err)
{
	long long h = (long long)r->c.cfg->horizon_days * DAY;

	return store_plan_meetings(r->c.st, r->c.g->id, r->c.now - 2 * DAY,
	    r->c.now + h + 2 * DAY, &r->rows, &r->nrows, err);
}

struct recur *
recur_begin(const struct recur_ctx *c, const struct recur_want *want,
    size_t nwant, char **err)
{
	struct store_series_event *v = NULL;
	struct recur *r = xcalloc(1, sizeof *r);
	struct event *ev;
	size_t nv = 0, i, n;

	r->c = *c;
	if (store_series_events(c->st, c->g->id, &v, &nv, err) == -1)
		goto fail;
	r->ev = xcalloc(nv ? nv : 1, sizeof *r->ev);
	for (i = 0; i < nv; i++) {
		ev = &r->ev[r->nev++];
		ev->e = v[i];
		ev->s = config_series(c->g, v[i].series);
		if (load_holders(r, ev, err) == -1)
			goto fail;
	}
	free(v);
	v = NULL;
	if (r->nev == 0 && !any_recurring(c->g))
		return r;       /* nothing of the group goes as one event */
	if (load_rows(r, err) == -1)
		goto fail;
	/* Those who left hear of it as they hold it, before any change. */
	n = r->nev;
	for (i = 0; i < n; i++)
		if (cancel_departed(r, &r->ev[i], err) == -1)
			goto fail;
	for (i = 0; i < n; i++) {
		ev = &r->ev[i];
		if (!config_series_recurring(ev->s)) {
			if (end_event(r, ev, ev->s == NULL ? "its series is gone" :
			    "its series is no longer one recurring event",
			    err) == -1)
				goto fail;
		} else if (apply_config(r, ev, want, nwant, err) == -1)
			goto fail;
	}
	/* What ended let its meetings go: read them again. */
	if (r->detached) {
		store_plan_meetings_free(r->rows, r->nrows);
		r->rows = NULL;
		r->nrows = 0;
		if (load_rows(r, err) == -1)
			goto fail;
	}
	if (make_events(r, want, nwant, err) == -1 ||
	    link_rows(r, want, nwant, err) == -1)
		goto fail;
	return r;
fail:
	store_series_events_free(v, nv);
	recur_free(r);
	return NULL;
}

void
recur_link(struct recur *r, struct store_plan_meeting *row,
    const struct recur_want *w)
{
	struct event *ev;

	if (!config_series_recurring(w->s) ||
	    (ev = live_event(r, w->s)) == NULL || w->o.start < ev->e.dtstart)
		return;
	row->series_uid = xstrdup(ev->e.uid);
	row->recurrence_id = xstrdup(w->o.wall);
}

int
recur_occurrence(struct recur *r, const char *uid, int *sequence, int *plain,
    char **err)
{
	struct event *ev = find_event(r, uid);

	if (ev == NULL) {
		*err = xasprintf("series event %s is not planned now", uid);
		return -1;
	}
	bump(ev);
	*sequence = ev->e.sequence;
	*plain = ev->e.plain_organizer;
	return 0;
}

int
recur_holds(struct recur *r, const char *uid, const char *email)
{
	struct event *ev = find_event(r, uid);
	const struct store_invitee *h = ev ? holder(ev, email) : NULL;

	return h != NULL && !h->cancelled;
}

void
recur_send(struct recur *r, const char *uid, const char *email)
{
	struct event *ev = find_event(r, uid);
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nsend; i++)
		if (strcasecmp(ev->send[i], email) == 0)
			return;
	ev->send = xreallocarray(ev->send, ev->nsend + 1, sizeof *ev->send);
	ev->send[ev->nsend++] = xstrdup(email);
}

int
recur_master_changes(struct recur *r, const char *uid)
{
	struct event *ev = find_event(r, uid);

	return ev == NULL || ev->changed || ev->e.ended;
}

/* The master again to every holder that has not had it since it
 * changed, then to those whose first meeting of it is due. */
static int
send_due(struct recur *r, struct event *ev, char **err)
{
	struct ical_attendee *list;
	struct store_invitee *h;
	size_t nlist, i, n = ev->ninv;
	int rc = 0;

	list = event_attendees(r, ev, &nlist);
	for (i = 0; ev->changed && i < n && rc == 0; i++)
		if (!ev->inv[i].cancelled &&
		    ev->inv[i].sequence_sent < ev->e.content_seq &&
		    listed(list, nlist, ev->inv[i].email))
			rc = send_master(r, ev, ev->inv[i].email, "update", list,
			    nlist, err);
	for (i = 0; i < ev->nsend && rc == 0; i++) {
		h = holder(ev, ev->send[i]);
		if (h != NULL && !h->cancelled)
			continue;
		/* Back after a CANCEL: the REQUEST must outrank it. */
		if (h != NULL && ev->e.sequence <= h->sequence_sent) {
			ev->e.sequence = h->sequence_sent + 1;
			ev->bumped = 1;
		}
		rc = send_master(r, ev, ev->send[i], "invite", list, nlist, err);
	}
	free(list);
	return rc;
}

int
recur_end(struct recur *r, char **err)
{
	struct event *ev;
	size_t i;
	int rc = 0;

	for (i = 0; i < r->nev && rc == 0; i++) {
		ev = &r->ev[i];
		if (send_due(r, ev, err) == -1 ||
		    ((ev->bumped || ev->changed) && save(r, ev, err) == -1))
			rc = -1;
	}
	recur_free(r);
	return rc;
}

void
recur_free(struct recur *r)
{
	struct event *ev;
	size_t i, k;

	if (r == NULL)
		return;
	for (i = 0; i < r->nev; i++) {
		ev = &r->ev[i];
		store_series_event_clear(&ev->e);
		store_invitees_free(ev->inv, ev->ninv);
		for (k = 0; k < ev->nsend; k++)
			free(ev->send[k]);
		free(ev->send);
		free(ev->old_location);
	}
	free(r->ev);
	store_plan_meetings_free(r->rows, r->nrows);
	free(r);
}

/* Unit tests for recur.c: a series as one recurring event, planned step
 * by step and read back from the calendars in the outbox (the
 * integration test sends them for real and has other readers expand
 * them): who gets the master, an occurrence alone or a CANCEL, under
 * which UID, RECURRENCE-ID and SEQUENCE; and what answers for the whole
 * series or one occurrence do to the meetings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "inbox.h"
#include "mime.h"
#include "plan.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

#define EVENT   "ss-monthly-20210217-series@example.org"
#define MARCH   "ss-monthly-20210317@example.org"
#define APRIL   "ss-monthly-20210421@example.org"
#define MAY     "ss-monthly-20210519@example.org"

static const char members[] =
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n"
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\nlanguage = en\n";
static const char kim[] =
	"[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n";

/* The series of these tests, at hour, with what a step changes in it. */
static void
put_group_at(struct tl_ws *fx, int with_kim, const char *hour,
    const char *series_extra)
{
	char *text = xasprintf("[group]\nid = ss\nname = Sur-Sur\n"
	    "kind = discussion\ntimezone = America/Montevideo\n%s%s"
	    "[series monthly]\nsummary = Mensual\nstart = 2021-02-17 %s\n"
	    "duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE;COUNT=6\n%s",
	    members, with_kim ? kim : "", hour, series_extra);

	tl_ws_group(fx, "10-ss.ini", text);
	free(text);
}

static void
put_group(struct tl_ws *fx, int with_kim, const char *series_extra)
{
	put_group_at(fx, with_kim, "15:00", series_extra);
}

static struct tl_ws *cur;

static int
setup(void **state)
{
	int rc = tl_setup_ws(state, NULL);

	cur = *state;
	return rc;
}

/* The ORGANIZER the event's invitations name for who, which their
 * client answers: the plus address with their token for the event's UID
 * (letter.h).  Caller frees. */
static char *
org_of(const char *who)
{
	return tl_reply_to(cur, 'm', EVENT, who);
}

static struct store_outbox *
plan(struct tl_ws *fx, const char *when, size_t *n)
{
	int queued = tl_step(fx, "plan", plan_group, when);
	struct store_outbox *v = tl_outbox_new(fx, n);

	assert_int_equal(*n, queued);
	return v;
}

/* A queued message taken apart: its calendar as read back, and its
 * text. */
struct got {
	struct verdict *v;
	const char *ical;           /* the calendar's text */
};

static void
got_of(const struct store_outbox *o, struct got *g)
{
	assert_non_null(o);
	g->v = NULL;
	assert_int_equal(classify(o->data, o->len, &g->v), 0);
	assert_non_null(g->v->itip);
	assert_non_null(g->v->msg);
	assert_true(g->v->msg->ncal > 0);
	g->ical = g->v->msg->cal[0].text;
}

static const struct store_outbox *
to(const struct store_outbox *v, size_t n, const char *rcpt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].recipient, rcpt) == 0)
			return &v[i];
	fail_msg("nothing queued to %s", rcpt);
	return NULL;
}

/* Each of v[0..n) is kind about the event, SEQUENCE seq, method, with nev
 * VEVENTs of the event's UID; the first has recurrence (a UTC instant,
 * NULL for the master). */
static void
all_are(const struct store_outbox *v, size_t n, const char *kind,
    const char *method, int seq, size_t nev, const char *recurrence)
{
	struct got g;
	size_t i, k;

	for (i = 0; i < n; i++) {
		assert_string_equal(v[i].kind, kind);
		got_of(&v[i], &g);
		assert_string_equal(g.v->itip->method, method);
		assert_int_equal(g.v->itip->nev, nev);
		for (k = 0; k < nev; k++) {
			assert_string_equal(g.v->itip->ev[k].uid, EVENT);
			assert_int_equal(g.v->itip->ev[k].sequence, seq);
		}
		if (recurrence == NULL)
			assert_null(g.v->itip->ev[0].recurrence_id);
		else
			assert_string_equal(g.v->itip->ev[0].recurrence_id,
			    recurrence);
		verdict_free(g.v);
	}
}

static const char *
partstat(struct tl_ws *fx, const char *uid, const char *email)
{
	static char out[32];
	struct store_invitee *inv = NULL;
	size_t n = 0, i;
	char *err = NULL;

	assert_int_equal(store_meeting_invitees(fx->st, uid, &inv, &n, &err), 0);
	snprintf(out, sizeof out, "none");
	for (i = 0; i < n; i++)
		if (strcmp(inv[i].email, email) == 0)
			snprintf(out, sizeof out, "%s%s", inv[i].partstat,
			    inv[i].cancelled ? " cancelled" : "");
	store_invitees_free(inv, n);
	return out;
}

/* The first month: one master to each member when February's meeting is
 * due, with the whole series in its rule, and nothing more as later
 * meetings are planned. */
static void
test_one_invitation(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	struct got g;
	size_t n;

	put_group(fx, 1, "");
	v = plan(fx, "2021-01-10 12:00", &n);     /* not due yet */
	assert_int_equal(n, 0);
	store_outbox_free(v, n);

	v = plan(fx, "2021-02-01 12:00", &n);
	assert_int_equal(n, 3);
	all_are(v, n, "invite", "REQUEST", 0, 1, NULL);
	got_of(to(v, n, "kim@gov.example.bb"), &g);
	assert_non_null(strstr(g.ical, "DTSTART;TZID=America/Montevideo:"
	    "20210217T150000"));
	/* COUNT=6 is July's meeting: the end of its day, in UTC. */
	assert_non_null(strstr(g.ical, "UNTIL=20210722T025959Z"));
	assert_non_null(strstr(g.ical, "BYDAY=3WE"));
	assert_null(strstr(g.ical, "COUNT="));
	assert_null(strstr(g.ical, "EXDATE"));
	/* Its reply token is the event's, in the Message-ID too. */
	assert_non_null(strstr(g.v->msg->message_id,
	    "cv1.invite.ss.ss-monthly-20210217-series."));
	assert_non_null(strstr(g.v->itip->ev[0].organizer, "agenda+"));
	verdict_free(g.v);
	store_outbox_free(v, n);

	v = plan(fx, "2021-02-01 12:00", &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
	/* Three months later May is planned, and theirs without a word. */
	v = plan(fx, "2021-02-20 12:00", &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, MAY, "kim@gov.example.bb"),
	    "NEEDS-ACTION");
}

/* An agenda for one meeting, a new room, an EXDATE, someone who leaves
 * and comes back, a new time: what each sends, and under which
 * SEQUENCE. */
static void
test_changes(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	struct got g;
	char *err = NULL;
	size_t n;

	put_group(fx, 1, "");
	v = plan(fx, "2021-02-01 12:00", &n);
	store_outbox_free(v, n);

	/* March's agenda confirmed: that occurrence alone, SEQUENCE 1. */
	assert_int_equal(store_meeting_confirm_agenda(fx->st, MARCH,
	    "1. Apertura\n2. Experiencias", &err), 0);
	assert_int_equal(store_meeting_bump(fx->st, MARCH, &err), 0);
	v = plan(fx, "2021-03-01 12:00", &n);
	assert_int_equal(n, 3);
	all_are(v, n, "update", "REQUEST", 1, 1, "2021-03-17T18:00:00Z");
	got_of(to(v, n, "ana@mides.example.uy"), &g);
	assert_non_null(strstr(g.ical, "RECURRENCE-ID;TZID=America/Montevideo:"
	    "20210317T150000"));
	assert_null(strstr(g.ical, "RRULE"));
	assert_non_null(strstr(g.v->msg->text, "Experiencias"));
	verdict_free(g.v);
	store_outbox_free(v, n);

	/* A new room: the master and March's override again, SEQUENCE 2,
	 * answers kept. */
	put_group(fx, 1, "location = https://meet.example.org/b\n");
	v = plan(fx, "2021-03-02 12:00", &n);
	assert_int_equal(n, 3);
	all_are(v, n, "update", "REQUEST", 2, 2, NULL);
	got_of(to(v, n, "luis@cepal.example.org"), &g);
	assert_string_equal(g.v->itip->ev[1].recurrence_id,
	    "2021-03-17T18:00:00Z");
	assert_non_null(strstr(g.v->msg->text, "the place or link"));
	verdict_free(g.v);
	store_outbox_free(v, n);

	/* April off: a CANCEL of that occurrence, SEQUENCE 3; the master
	 * takes the EXDATE without a message of its own. */
	put_group(fx, 1, "location = https://meet.example.org/b\n"
	    "exdate = 2021-04-21\n");
	v = plan(fx, "2021-03-03 12:00", &n);
	assert_int_equal(n, 3);
	all_are(v, n, "cancel", "CANCEL", 3, 1, "2021-04-21T18:00:00Z");
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, APRIL, "ana@mides.example.uy"),
	    "NEEDS-ACTION cancelled");

	/* Kim leaves: the whole event CANCELled for her alone. */
	put_group(fx, 0, "location = https://meet.example.org/b\n"
	    "exdate = 2021-04-21\n");
	v = plan(fx, "2021-03-04 12:00", &n);
	assert_int_equal(n, 1);
	all_are(v, n, "cancel", "CANCEL", 4, 1, NULL);
	assert_string_equal(v[0].recipient, "kim@gov.example.bb");
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, MAY, "kim@gov.example.bb"),
	    "NEEDS-ACTION cancelled");

	/* Back: the master with its EXDATE and March's override, above the
	 * CANCEL she holds; nobody else is mailed. */
	put_group(fx, 1, "location = https://meet.example.org/b\n"
	    "exdate = 2021-04-21\n");
	v = plan(fx, "2021-03-05 12:00", &n);
	assert_int_equal(n, 1);
	all_are(v, n, "invite", "REQUEST", 5, 2, NULL);
	got_of(&v[0], &g);
	assert_non_null(strstr(g.ical, "EXDATE;TZID=America/Montevideo:"
	    "20210421T150000"));
	verdict_free(g.v);
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, MAY, "kim@gov.example.bb"),
	    "NEEDS-ACTION");

	/* After March's meeting the time changes: the event ends with it,
	 * and a new one starts in May, invited when May is due. */
	put_group_at(fx, 1, "16:00", "location = https://meet.example.org/b\n"
	    "exdate = 2021-04-21\n");
	v = plan(fx, "2021-03-20 12:00", &n);
	assert_int_equal(n, 3);
	all_are(v, n, "update", "REQUEST", 6, 1, NULL);
	got_of(&v[0], &g);
	assert_non_null(strstr(g.ical, "UNTIL=20210318T025959Z"));
	verdict_free(g.v);
	store_outbox_free(v, n);
	v = plan(fx, "2021-05-01 12:00", &n);
	assert_int_equal(n, 3);
	got_of(&v[0], &g);
	assert_string_equal(g.v->itip->ev[0].uid,
	    "ss-monthly-20210519-series@example.org");
	assert_int_equal(g.v->itip->ev[0].sequence, 0);
	assert_non_null(strstr(g.ical, "DTSTART;TZID=America/Montevideo:"
	    "20210519T160000"));
	assert_non_null(strstr(g.ical, "UNTIL=20210722T025959Z"));
	verdict_free(g.v);
	store_outbox_free(v, n);
}

/* ---- answers ---- */

static enum inbox_result
apply(struct tl_ws *fx, const char *now, const char *msg)
{
	char *err = NULL;
	enum inbox_result r;

	r = inbox_apply(fx->cfg, fx->st, tl_utc(now), msg, strlen(msg),
	    "INBOX", 7, 1, &err);
	if (err != NULL)
		print_message("inbox_apply: %s\n", err);
	free(err);
	return r;
}

/* A REPLY for the event as a client writes it, from whom, its answer and
 * DTSTAMP, zone (a VTIMEZONE before the VEVENT, or "") and rid (a
 * RECURRENCE-ID line, or "": the whole series); n tells Message-IDs
 * apart. */
static char *
reply(const char *from, const char *partstat_, const char *stamp,
    const char *zone, const char *rid, int n)
{
	char *org = org_of(from), *m;

	m = xasprintf(
	    "From: %s\r\nTo: %s\r\nSubject: Reply\r\n"
	    "Message-ID: <reply-%d@client.example>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\r\n"
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	    "METHOD:REPLY\r\n%sBEGIN:VEVENT\r\nUID:" EVENT "\r\n%s"
	    "DTSTAMP:%s\r\nSEQUENCE:0\r\n"
	    "ORGANIZER:mailto:%s\r\n"
	    "ATTENDEE;PARTSTAT=%s:mailto:%s\r\nEND:VEVENT\r\n"
	    "END:VCALENDAR\r\n", from, org, n, zone, rid, stamp, org,
	    partstat_, from);
	free(org);
	return m;
}

/* A member who delegates the series: the delegate receives the event,
 * names the member in it, and answers for all of it; one meeting of the
 * event is not delegated alone. */
static void
test_delegated_series(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	struct got g;
	char *m;
	size_t n;

	put_group(fx, 1, "");
	v = plan(fx, "2021-02-01 12:00", &n);
	store_outbox_free(v, n);

	/* reply()'s PARTSTAT takes the parameters after it too. */
	m = reply("kim@gov.example.bb", "DELEGATED;DELEGATED-TO=\"mailto:"
	    "alt@gov.example.bb\"", "20210202T120000Z", "", "", 11);
	assert_int_equal(apply(fx, "2021-02-02 12:00", m), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat(fx, EVENT, "kim@gov.example.bb"),
	    "DELEGATED");
	assert_string_equal(partstat(fx, MARCH, "kim@gov.example.bb"),
	    "DELEGATED");

	/* The event goes to the delegate alone, naming who sent them. */
	v = plan(fx, "2021-02-02 12:00", &n);
	assert_int_equal(n, 1);
	all_are(v, n, "invite", "REQUEST", 0, 1, NULL);
	got_of(to(v, n, "alt@gov.example.bb"), &g);
	assert_non_null(strstr(g.ical, "DELEGATED-FROM=\"mailto:kim@gov."
	    "example.bb\""));
	{
		const struct ical_itip_event *e = &g.v->itip->ev[0];
		size_t i;
		int found = 0;

		for (i = 0; i < e->natt; i++)
			if (strcmp(e->att[i].email, "alt@gov.example.bb") == 0)
				found = e->att[i].delegated_from != NULL &&
				    strcmp(e->att[i].delegated_from,
				    "kim@gov.example.bb") == 0;
		assert_true(found);
	}
	verdict_free(g.v);
	store_outbox_free(v, n);
	v = plan(fx, "2021-02-02 13:00", &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);

	/* Their answer is for the series and each of its meetings. */
	m = reply("alt@gov.example.bb", "ACCEPTED;DELEGATED-FROM=\"mailto:"
	    "kim@gov.example.bb\"", "20210204T120000Z", "", "", 12);
	assert_int_equal(apply(fx, "2021-02-04 12:00", m), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat(fx, EVENT, "alt@gov.example.bb"),
	    "ACCEPTED");
	assert_string_equal(partstat(fx, MARCH, "alt@gov.example.bb"),
	    "ACCEPTED");

	/* Ana delegates March alone: her answer stands, nobody is added. */
	m = reply("ana@mides.example.uy", "DELEGATED;DELEGATED-TO=\"mailto:"
	    "other@x.example\"", "20210206T120000Z", "",
	    "RECURRENCE-ID:20210317T180000Z\r\n", 13);
	assert_int_equal(apply(fx, "2021-02-06 12:00", m), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat(fx, MARCH, "ana@mides.example.uy"),
	    "DELEGATED");
	v = plan(fx, "2021-02-06 12:00", &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, EVENT, "other@x.example"), "none");
}

/* Outlook names its zones its own way and says what they are. */
static const char windows_zone[] =
	"BEGIN:VTIMEZONE\r\nTZID:Montevideo Standard Time\r\n"
	"BEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
	"TZOFFSETFROM:-0300\r\nTZOFFSETTO:-0300\r\nEND:STANDARD\r\n"
	"END:VTIMEZONE\r\n";

static void
test_answers(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	char *m, *org;
	size_t n;

	put_group(fx, 1, "");
	v = plan(fx, "2021-02-01 12:00", &n);
	store_outbox_free(v, n);
	/* What the answers below carry is what the invitation named. */
	{
		char *inv = tl_outbox_one(fx, "invite", "ana@mides.example.uy");
		char *ana = org_of("ana@mides.example.uy");

		assert_non_null(strstr(inv, ana));
		free(ana);
		free(inv);
	}

	/* Thunderbird, Google: the master alone answers for the series. */
	m = reply("ana@mides.example.uy", "ACCEPTED", "20210202T120000Z", "",
	    "", 1);
	assert_int_equal(apply(fx, "2021-02-02 12:00", m), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat(fx, MARCH, "ana@mides.example.uy"),
	    "ACCEPTED");
	assert_string_equal(partstat(fx, EVENT, "ana@mides.example.uy"),
	    "ACCEPTED");

	/* Outlook declines April alone, in its own zone's words. */
	m = reply("ana@mides.example.uy", "DECLINED", "20210203T120000Z",
	    windows_zone, "RECURRENCE-ID;TZID=\"Montevideo Standard Time\":"
	    "20210421T150000\r\n", 2);
	assert_int_equal(apply(fx, "2021-02-03 12:00", m), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat(fx, APRIL, "ana@mides.example.uy"),
	    "DECLINED");
	assert_string_equal(partstat(fx, MARCH, "ana@mides.example.uy"),
	    "ACCEPTED");

	/* Google writes the RECURRENCE-ID in UTC: March, tentative. */
	m = reply("luis@cepal.example.org", "TENTATIVE", "20210203T130000Z",
	    "", "RECURRENCE-ID:20210317T180000Z\r\n", 3);
	assert_int_equal(apply(fx, "2021-02-03 13:00", m), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat(fx, MARCH, "luis@cepal.example.org"),
	    "TENTATIVE");
	assert_string_equal(partstat(fx, APRIL, "luis@cepal.example.org"),
	    "NEEDS-ACTION");

	/* An older answer for the series does not undo the newer one for
	 * April; a meeting planned later starts with the series' answer. */
	m = reply("ana@mides.example.uy", "TENTATIVE", "20210202T130000Z", "",
	    "", 4);
	assert_int_equal(apply(fx, "2021-02-04 12:00", m), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat(fx, APRIL, "ana@mides.example.uy"),
	    "DECLINED");
	assert_string_equal(partstat(fx, MARCH, "ana@mides.example.uy"),
	    "TENTATIVE");
	v = plan(fx, "2021-02-20 12:00", &n);
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, MAY, "ana@mides.example.uy"),
	    "TENTATIVE");

	/* A RECURRENCE-ID the event has no meeting for is not ours; someone
	 * answering for another is refused as ever. */
	m = reply("kim@gov.example.bb", "ACCEPTED", "20210205T120000Z", "",
	    "RECURRENCE-ID:20210318T180000Z\r\n", 5);
	assert_int_equal(apply(fx, "2021-02-05 12:00", m), INBOX_IGNORED);
	free(m);
	m = reply("kim@gov.example.bb", "DECLINED", "20210205T130000Z", "", "",
	    6);
	m[6] = 'a';     /* "From: aim@...": not Kim */
	assert_int_equal(apply(fx, "2021-02-05 13:00", m), INBOX_REFUSED);
	free(m);
	assert_string_equal(partstat(fx, EVENT, "kim@gov.example.bb"),
	    "NEEDS-ACTION");

	/* A COUNTER for the whole series goes to the coordinators, about no
	 * one meeting. */
	org = org_of("kim@gov.example.bb");
	m = xasprintf("From: kim@gov.example.bb\r\nTo: %s\r\n"
	    "Subject: New time\r\nMessage-ID: <counter-7@client.example>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/calendar; method=COUNTER; charset=UTF-8\r\n"
	    "\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	    "METHOD:COUNTER\r\nBEGIN:VEVENT\r\nUID:" EVENT "\r\n"
	    "DTSTART:20210218T180000Z\r\nDTSTAMP:20210206T120000Z\r\n"
	    "ORGANIZER:mailto:agenda@example.org\r\n"
	    "ATTENDEE;PARTSTAT=TENTATIVE:mailto:kim@gov.example.bb\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n", org);
	free(org);
	assert_int_equal(apply(fx, "2021-02-06 12:00", m), INBOX_APPLIED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "counter-notice", NULL), 2);
}

/* Every from in text replaced by to.  Caller frees. */
static char *
subst(const char *text, const char *from, const char *to_)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *p;

	while ((p = strstr(text, from)) != NULL) {
		buf_add(&b, text, (size_t)(p - text));
		buf_adds(&b, to_);
		text = p + strlen(from);
	}
	buf_adds(&b, text);
	return buf_detach(&b);
}

/* f(text) then text freed. */
static char *
edit(char *text, const char *from, const char *to_)
{
	char *r = subst(text, from, to_);

	free(text);
	return r;
}

static char *
fixture(const char *file)
{
	char *dir = tl_shared("fixtures"), *p, *text;

	if (dir == NULL)
		return NULL;
	p = xasprintf("%s/%s", dir, file);
	text = tl_slurp(p, NULL);
	assert_non_null(text);
	free(p);
	free(dir);
	return text;
}

/* The answers of three real clients (shared/fixtures/imip-reply), as
 * they would come for this event: its UID and start instead of theirs,
 * a member's address instead of theirs, and for one occurrence the
 * RECURRENCE-ID line each writes (in its zone, or in UTC as Google
 * does) with that occurrence's start, and the organizer the member's
 * invitation named (the plus address with their token) where theirs
 * was.  Nothing else of what they wrote is touched. */
static void
test_real_client_answers(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	char *tb, *m, *g, *apple, *org;
	size_t n;

	if ((tb = fixture("imip-reply/thunderbird-lightning-accept.eml")) ==
	    NULL) {
		skip();
		return;
	}
	put_group(fx, 1, "");
	v = plan(fx, "2021-02-01 12:00", &n);
	store_outbox_free(v, n);

	/* Thunderbird: the master alone, DTSTART in its own zone. */
	tb = edit(tb, "4f0162146d61cb2c06cbe2abf94636f4526abe16", EVENT);
	tb = edit(tb, "tine20admin@caldav.net", "ana@mides.example.uy");
	org = org_of("ana@mides.example.uy");
	tb = edit(tb, "l.kneschke@caldav.org", org);
	free(org);
	tb = edit(tb, "DTSTART;TZID=Europe/Berlin:20111121T130000",
	    "DTSTART;TZID=Europe/Berlin:20210217T190000");
	assert_int_equal(apply(fx, "2021-02-02 12:00", tb), INBOX_APPLIED);
	assert_string_equal(partstat(fx, APRIL, "ana@mides.example.uy"),
	    "ACCEPTED");
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 0);
	/* ... and declining March alone, a day later. */
	m = subst(tb, "UID:" EVENT "\r\n", "UID:" EVENT "\r\n"
	    "RECURRENCE-ID;TZID=Europe/Berlin:20210317T190000\r\n");
	m = edit(m, "PARTSTAT=ACCEPTED", "PARTSTAT=DECLINED");
	m = edit(m, "Berlin:20210217T190000", "Berlin:20210317T190000");
	m = edit(m, "DTSTAMP:20111121T120909Z", "DTSTAMP:20210203T120000Z");
	m = edit(m, "20111121120910.8405A7D32", "20210203120000.1");
	assert_int_equal(apply(fx, "2021-02-03 12:00", m), INBOX_APPLIED);
	assert_string_equal(partstat(fx, MARCH, "ana@mides.example.uy"),
	    "DECLINED");
	assert_string_equal(partstat(fx, APRIL, "ana@mides.example.uy"),
	    "ACCEPTED");
	free(m);
	free(tb);

	/* Google: a bare object, UTC times; then April, in UTC. */
	g = fixture("imip-reply/google-calendar-accept.ics");
	g = edit(g, "62050f080e53ca8e00353ff0a89c6c6aa4af3dec", EVENT);
	g = edit(g, "mail@corneliusweiss.de", "luis@cepal.example.org");
	g = edit(g, "DTSTART:20171116T103000Z", "DTSTART:20210217T180000Z");
	/* Google writes mailto: (SOURCES.md: Tine's test dropped it). */
	org = org_of("luis@cepal.example.org");
	m = xasprintf(":mailto:%s", org);
	g = edit(g, ":unittest@tine20.org", m);
	free(m);
	free(org);
	m = xasprintf("From: luis@cepal.example.org\r\nMessage-ID: <g1@x>\r\n"
	    "Content-Type: text/calendar; method=REPLY\r\n\r\n%s", g);
	assert_int_equal(apply(fx, "2021-02-02 12:00", m), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat(fx, MARCH, "luis@cepal.example.org"),
	    "ACCEPTED");
	g = edit(g, "UID:" EVENT "\n", "UID:" EVENT "\n"
	    "RECURRENCE-ID:20210421T180000Z\n");
	g = edit(g, "PARTSTAT=ACCEPTED", "PARTSTAT=TENTATIVE");
	g = edit(g, "DTSTART:20210217T180000Z", "DTSTART:20210421T180000Z");
	g = edit(g, "DTSTAMP:20171115T142524Z", "DTSTAMP:20210203T120000Z");
	m = xasprintf("From: luis@cepal.example.org\r\nMessage-ID: <g2@x>\r\n"
	    "Content-Type: text/calendar; method=REPLY\r\n\r\n%s", g);
	assert_int_equal(apply(fx, "2021-02-03 12:00", m), INBOX_APPLIED);
	free(m);
	free(g);
	assert_string_equal(partstat(fx, APRIL, "luis@cepal.example.org"),
	    "TENTATIVE");
	assert_string_equal(partstat(fx, MARCH, "luis@cepal.example.org"),
	    "ACCEPTED");

	/* Apple iCal, quoted-printable: the master in US/Pacific. */
	apple = fixture("imip-reply/apple-ical3-mail-accept.eml");
	apple = edit(apple, "1E71F9C8-AEDA-48EB-98D0-76E898F6BB5C", EVENT);
	apple = edit(apple, "xyzzy@example.com", "kim@gov.example.bb");
	org = org_of("kim@gov.example.bb");
	apple = edit(apple, "ical-living-on+d7cdf68d-8b73-4df1-ad3b-f08002fb285f@"
	    "example.com", org);
	free(org);
	apple = edit(apple, "US/Pacific:20080812T100000",
	    "US/Pacific:20210217T100000");
	assert_int_equal(apply(fx, "2021-02-02 12:00", apple), INBOX_APPLIED);
	free(apple);
	assert_string_equal(partstat(fx, EVENT, "kim@gov.example.bb"),
	    "ACCEPTED");
	assert_string_equal(partstat(fx, APRIL, "kim@gov.example.bb"),
	    "ACCEPTED");
	/* None of them proposed another time. */
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 0);
}

/* A series invited one meeting at a time before (this release, or
 * `invitation = occurrence`) keeps those events until they are over: the
 * recurring event starts after them.  Turned back, the event ends at its
 * last started meeting and the rest go one by one. */
static void
test_switch(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	struct got g;
	size_t n, i;
	int updates = 0;

	put_group(fx, 1, "invitation = occurrence\n");
	v = plan(fx, "2021-03-01 12:00", &n);
	assert_int_equal(n, 3);          /* March, one event each */
	got_of(&v[0], &g);
	assert_string_equal(g.v->itip->ev[0].uid, MARCH);
	verdict_free(g.v);
	store_outbox_free(v, n);

	put_group(fx, 1, "");
	v = plan(fx, "2021-04-01 12:00", &n);
	assert_int_equal(n, 3);
	got_of(&v[0], &g);
	assert_string_equal(g.v->itip->ev[0].uid,
	    "ss-monthly-20210421-series@example.org");
	assert_non_null(strstr(g.ical, "DTSTART;TZID=America/Montevideo:"
	    "20210421T150000"));
	verdict_free(g.v);
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, MARCH, "ana@mides.example.uy"),
	    "NEEDS-ACTION");

	put_group(fx, 1, "invitation = occurrence\n");
	v = plan(fx, "2021-05-01 12:00", &n);
	/* The event ends with April (3), May goes as its own event (3). */
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		got_of(&v[i], &g);
		if (strcmp(v[i].kind, "update") == 0) {
			updates++;
			assert_string_equal(g.v->itip->ev[0].uid,
			    "ss-monthly-20210421-series@example.org");
			assert_non_null(strstr(g.ical, "UNTIL=20210422T025959Z"));
		} else {
			assert_string_equal(v[i].kind, "invite");
			assert_string_equal(g.v->itip->ev[0].uid, MAY);
		}
		verdict_free(g.v);
	}
	assert_int_equal(updates, 3);
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, MAY, "ana@mides.example.uy"),
	    "NEEDS-ACTION");
}

/* A new time before anything of the event was held: the event starts
 * again in place (same UID), still after the meetings invited alone,
 * which get their own update. */
static void
test_retime_before_start(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	struct got g;
	size_t n, i;

	put_group(fx, 1, "invitation = occurrence\n");
	v = plan(fx, "2021-03-01 12:00", &n);
	assert_int_equal(n, 3);
	store_outbox_free(v, n);
	put_group(fx, 1, "");
	v = plan(fx, "2021-03-02 12:00", &n);
	assert_int_equal(n, 0);         /* April is not due yet */
	store_outbox_free(v, n);
	put_group_at(fx, 1, "16:00", "");
	v = plan(fx, "2021-03-03 12:00", &n);
	/* March, invited alone, moves as its own event. */
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		got_of(&v[i], &g);
		assert_string_equal(v[i].kind, "update");
		assert_string_equal(g.v->itip->ev[0].uid, MARCH);
		verdict_free(g.v);
	}
	store_outbox_free(v, n);
	v = plan(fx, "2021-04-01 12:00", &n);
	assert_int_equal(n, 3);
	got_of(&v[0], &g);
	assert_string_equal(g.v->itip->ev[0].uid,
	    "ss-monthly-20210421-series@example.org");
	assert_non_null(strstr(g.ical, "DTSTART;TZID=America/Montevideo:"
	    "20210421T160000"));
	verdict_free(g.v);
	store_outbox_free(v, n);
	assert_string_equal(partstat(fx, MARCH, "kim@gov.example.bb"),
	    "NEEDS-ACTION");
}

/* A meeting whose wall time a DST gap skips gets an override that pins
 * its instant in UTC, named by the rule's own wall time. */
static void
test_gap_pinned(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	struct got g;
	size_t n;

	tl_ws_group(fx, "10-ss.ini", "[group]\nid = ss\nname = Sur-Sur\n"
	    "kind = discussion\ntimezone = America/Santiago\n"
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n"
	    "[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	    "coordinator = yes\n"
	    "[series night]\nsummary = Noche\nstart = 2027-08-22 00:30\n"
	    "duration = 60\nrrule = FREQ=WEEKLY;BYDAY=SU\n");
	v = plan(fx, "2027-08-10 12:00", &n);
	assert_int_equal(n, 2);
	got_of(&v[0], &g);
	assert_int_equal(g.v->itip->nev, 2);
	assert_non_null(strstr(g.ical, "DTSTART;TZID=America/Santiago:"
	    "20270822T003000"));
	assert_non_null(strstr(g.ical, "RECURRENCE-ID;TZID=America/Santiago:"
	    "20270905T003000"));
	/* 00:30 is skipped on 5 September: 01:30 -03 (RFC 5545 3.3.5). */
	assert_non_null(strstr(g.ical, "RECURRENCE-ID;TZID=America/Santiago:"
	    "20270905T003000\r\nSEQUENCE:0\r\nDTSTART;TZID=America/Santiago:"
	    "20270905T013000"));
	verdict_free(g.v);
	store_outbox_free(v, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_invitation, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_answers, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_delegated_series, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_real_client_answers, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_switch, setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_retime_before_start, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_gap_pinned, setup,
		    tl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

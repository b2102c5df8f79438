/* Unit tests for inbox.c: each effect of a reply and each refusal, on a
 * real store in a temporary directory, without IMAP (the integration test
 * runs the same through Dovecot). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "agenda.h"
#include "classify.h"
#include "config.h"
#include "ical.h"
#include "inbox.h"
#include "plan.h"
#include "msgid.h"
#include "report.h"
#include "store.h"
#include "testlib.h"
#include "token.h"
#include "trust.h"
#include "util.h"
#include "verp.h"

#define UID "ss-monthly-20210317@example.org"

/* The address a reader of ours answers: the organizer's plus address
 * with their token for scope (token.h).  Caller frees. */
static char *
plus(struct tl_ws *fx, enum token_scope kind, const char *scope,
    const char *addr)
{
	return tl_reply_to(fx, kind == TOKEN_MEETING ? 'm' : 'g', scope, addr);
}

/* The sender's address in "Name <addr>" or addr. */
static char *
bare(const char *from)
{
	const char *lt = strchr(from, '<');

	return lt ? xstrndup(lt + 1, strcspn(lt + 1, ">")) : xstrdup(from);
}

/* The From: line replaced by From: and a To: carrying the sender's
 * token for scope, as a reply to our mail through its Reply-To or
 * ORGANIZER has it.  m is freed; the caller frees the result. */
static char *
with_token_for(struct tl_ws *fx, char *m, enum token_scope kind,
    const char *scope, const char *rcpt)
{
	char *from, *addr, *to, *out, *p;
	size_t n;

	p = m + strlen("From: ");
	n = strcspn(p, "\r");
	from = xstrndup(p, n);
	addr = rcpt != NULL ? xstrdup(rcpt) : bare(from);
	str_lower(addr);
	to = plus(fx, kind, scope, addr);
	p = strstr(m, "\r\nTo: agenda@example.org\r\n");
	assert_non_null(p);
	*p = '\0';
	out = xasprintf("%s\r\nTo: %s\r\n%s", m, to,
	    p + strlen("\r\nTo: agenda@example.org\r\n"));
	free(from);
	free(addr);
	free(to);
	free(m);
	return out;
}

/* The token issued to the sender (From) of m. */
static char *
with_token(struct tl_ws *fx, char *m, enum token_scope kind,
    const char *scope)
{
	return with_token_for(fx, m, kind, scope, NULL);
}

static enum inbox_result
apply_in(struct tl_ws *fx, const char *msg, const char *now,
    const char *folder)
{
	char *err = NULL;
	enum inbox_result r;

	r = inbox_apply(fx->cfg, fx->st, tl_utc(now), msg, strlen(msg), folder, 7,
	    1, &err);
	if (err != NULL)
		print_message("inbox_apply: %s\n", err);
	free(err);
	return r;
}

static enum inbox_result
apply(struct tl_ws *fx, const char *msg, const char *now)
{
	char *err = NULL;
	enum inbox_result r;

	r = inbox_apply(fx->cfg, fx->st, tl_utc(now), msg, strlen(msg), "INBOX", 7,
	    1, &err);
	if (err != NULL)
		print_message("inbox_apply: %s\n", err);
	free(err);
	return r;
}

static char *
reply_plain(const char *from, const char *attendee, const char *partstat,
    const char *stamp, const char *msgid, const char *extra)
{
	return xasprintf(
	    "From: %s\r\nTo: agenda@example.org\r\nSubject: Accepted\r\n"
	    "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\r\n"
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	    "METHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:" UID "\r\n"
	    "DTSTAMP:%s\r\nSEQUENCE:0\r\n%s"
	    "ORGANIZER:mailto:agenda@example.org\r\n"
	    "ATTENDEE;PARTSTAT=%s:mailto:%s\r\nEND:VEVENT\r\n"
	    "END:VCALENDAR\r\n", from, msgid, stamp, extra, partstat,
	    attendee);
}

/* An RSVP as a calendar client sends it: to the ORGANIZER of the
 * invitation, the plus address with the sender's token. */
static struct tl_ws *cur;

static char *
reply(const char *from, const char *attendee, const char *partstat,
    const char *stamp, const char *msgid, const char *extra)
{
	return with_token(cur, reply_plain(from, attendee, partstat, stamp,
	    msgid, extra), TOKEN_MEETING, UID);
}

static int
setup_planned(void **state)
{
	int rc = tl_setup_planned(state);

	cur = *state;
	return rc;
}

static const char *
partstat_of(struct tl_ws *fx, const char *email)
{
	static char out[32];
	struct store_invitee *inv = NULL;
	size_t n = 0, i;
	char *err = NULL;

	assert_int_equal(store_meeting_invitees(fx->st, UID, &inv, &n, &err), 0);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		if (strcmp(inv[i].email, email) == 0)
			snprintf(out, sizeof out, "%s", inv[i].partstat);
	store_invitees_free(inv, n);
	return out;
}

static void
test_rsvp(void **state)
{
	struct tl_ws *fx = *state;
	char *m;

	m = reply("Kim <KIM@gov.example.bb>", "kim@gov.example.bb", "ACCEPTED",
	    "20210302T100000Z", "r1@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "ACCEPTED");
	/* The same message again, from another folder: nothing twice. */
	assert_int_equal(apply(fx, m, "2021-03-02 10:10"), INBOX_DUPLICATE);
	free(m);

	/* An older answer arriving late does not undo the newer one. */
	m = reply("kim@gov.example.bb", "kim@gov.example.bb", "DECLINED",
	    "20210301T230000Z", "r0@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-02 10:20"), INBOX_APPLIED);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "ACCEPTED");
	free(m);

	/* A newer one does. */
	m = reply("kim@gov.example.bb", "kim@gov.example.bb", "TENTATIVE",
	    "20210303T090000Z", "r2@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-03 09:01"), INBOX_APPLIED);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "TENTATIVE");
	free(m);
}

static void
test_spoofed_rsvp(void **state)
{
	struct tl_ws *fx = *state;
	char *m;

	m = reply("mallory@evil.example.com", "kim@gov.example.bb", "DECLINED",
	    "20210302T100000Z", "s1@evil", "");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_REFUSED);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"),
	    "NEEDS-ACTION");
	free(m);
	/* An attendee who was never invited changes nothing either. */
	m = reply("eve@example.com", "eve@example.com", "ACCEPTED",
	    "20210302T100000Z", "s2@evil", "");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_IGNORED);
	free(m);
}

/* A REPLY at another time, and a COUNTER: passed to both coordinators. */
static void
test_new_time_forwarded(void **state)
{
	struct tl_ws *fx = *state;
	char *m;

	m = reply("kim@gov.example.bb", "kim@gov.example.bb", "TENTATIVE",
	    "20210302T100000Z", "c1@bb",
	    "DTSTART:20210318T180000Z\r\nDTEND:20210318T193000Z\r\n");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 2);
	free(m);
	/* The same time as planned is no proposal. */
	m = reply("ana@mides.example.uy", "ana@mides.example.uy", "ACCEPTED",
	    "20210302T100000Z", "c2@uy",
	    "DTSTART:20210317T180000Z\r\nDTEND:20210317T193000Z\r\n");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 2);
	free(m);
}

/* What the coordinators read is the time proposed, in their own words
 * and zone, beside the meeting's own; and the attendee's comment. */
static void
test_counter_shows_proposal(void **state)
{
	struct tl_ws *fx = *state;
	char *m, *text;

	m = xasprintf(
	    "From: kim@gov.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: New time proposed\r\nMessage-ID: <co1@bb>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
	    "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; "
	    "charset=UTF-8\r\n\r\nThursday suits us better.\r\n--b\r\n"
	    "Content-Type: text/calendar; method=COUNTER; charset=UTF-8\r\n\r\n"
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	    "METHOD:COUNTER\r\nBEGIN:VEVENT\r\nUID:" UID "\r\n"
	    "DTSTAMP:20210302T100000Z\r\nSEQUENCE:0\r\n"
	    "DTSTART:20210318T200000Z\r\nDTEND:20210318T213000Z\r\n"
	    "ORGANIZER:mailto:agenda@example.org\r\n"
	    "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:kim@gov.example.bb\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n--b--\r\n");
	m = with_token(fx, m, TOKEN_MEETING, UID);
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	free(m);
	/* Luis writes English; the group's zone is Montevideo (UTC-3). */
	text = tl_outbox_text(fx, "counter-notice",
	    "luis@cepal.example.org");
	assert_non_null(strstr(text, "Proposed by:  Kim <kim@gov.example.bb>"));
	assert_non_null(strstr(text, "Current date and time, in your time "
	    "zone:\r\n    Wednesday 17 March 2021, 15:00 (America/Montevideo"));
	assert_non_null(strstr(text, "Proposed date and time:\r\n"
	    "    Thursday 18 March 2021, 17:00 (America/Montevideo"));
	assert_non_null(strstr(text, "Thursday suits us better."));
	/* 90 minutes, as the meeting: no length to tell. */
	assert_null(strstr(text, "Proposed length"));
	free(text);
	/* Ana reads the group's Spanish. */
	text = tl_outbox_text(fx, "counter-notice",
	    "ana@mides.example.uy");
	assert_non_null(strstr(text, "jueves 18 de marzo de 2021, 17:00"));
	free(text);
	/* Kim is no coordinator: not told. */
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice",
	    "kim@gov.example.bb"), 0);
}

/* A COUNTER's DTEND: a length other than the meeting's is told. */
static void
test_counter_length(void **state)
{
	struct tl_ws *fx = *state;
	char *m, *text;

	m = xasprintf(
	    "From: kim@gov.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: New time proposed\r\nMessage-ID: <len1@bb>\r\n"
	    "Content-Type: text/calendar; method=COUNTER\r\n\r\n"
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	    "METHOD:COUNTER\r\nBEGIN:VEVENT\r\nUID:" UID "\r\n"
	    "DTSTAMP:20210302T100000Z\r\nSEQUENCE:0\r\n"
	    "DTSTART:20210318T200000Z\r\nDTEND:20210318T220000Z\r\n"
	    "ORGANIZER:mailto:agenda@example.org\r\n"
	    "ATTENDEE;PARTSTAT=TENTATIVE:mailto:kim@gov.example.bb\r\n"
	    "COMMENT:Two hours\\, please\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n");
	m = with_token(fx, m, TOKEN_MEETING, UID);
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	free(m);
	text = tl_outbox_text(fx, "counter-notice", "luis@cepal.example.org");
	assert_non_null(strstr(text, "Proposed length:\r\n    120 minutes"));
	assert_non_null(strstr(text, "Two hours, please"));
	free(text);
	text = tl_outbox_text(fx, "counter-notice", "ana@mides.example.uy");
	assert_non_null(strstr(text, "Duraci\xc3\xb3n propuesta:\r\n"
	    "    120 minutos"));
	free(text);
}

/* Apple Calendar's proposal: a REPLY whose DTSTART is the meeting's and
 * whose ATTENDEE carries TO-ALL-PROPOSED-NEW-TIME (the parameter as
 * Apple's iCalendar framework writes it; test_classify.c reads it in the
 * real Apple reply).  attendee_params go after the PARTSTAT. */
static char *
apple_reply(const char *partstat, const char *attendee_params,
    const char *props, const char *msgid)
{
	return with_token(cur, xasprintf(
	    "From: kim@gov.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: Tentative: Mensual\r\nMessage-ID: <%s>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; "
	    "boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain; "
	    "charset=UTF-8\r\n\r\nKim has tentatively accepted.\r\n--a\r\n"
	    "Content-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\r\n"
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//iPhone "
	    "OS 17.1//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:" UID "\r\n"
	    "DTSTAMP:20210302T100000Z\r\nSEQUENCE:0\r\n"
	    "DTSTART:20210317T180000Z\r\nDTEND:20210317T193000Z\r\n%s"
	    "ORGANIZER:mailto:agenda@example.org\r\n"
	    "ATTENDEE;CN=Kim;PARTSTAT=%s;%s\r\n"
	    " X-CALENDARSERVER-DTSTAMP=20210302T100000Z:mailto:"
	    "kim@gov.example.bb\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n--a--\r\n",
	    msgid, props, partstat, attendee_params), TOKEN_MEETING, UID);
}

/* tl_setup_planned() with Luis's own keys. */
static int
planned_with(void **state, const char *tag, const char *luis_extra)
{
	struct tl_ws *ws = xcalloc(1, sizeof *ws);

	tl_ws_planned(ws, tag, luis_extra);
	*state = cur = ws;
	return 0;
}

static int
setup_paris(void **state)
{
	return planned_with(state, "paris",
	    "language = fr\ntimezone = Europe/Paris\n");
}

/* The answer counts, and the time it proposes reaches each coordinator
 * in their own language and zone, with the attendee's comment. */
static void
test_apple_proposal(void **state)
{
	struct tl_ws *fx = *state;
	char *m, *text;

	m = apple_reply("TENTATIVE", "TO-ALL-PROPOSED-NEW-TIME=\"DTSTART:"
	    "20210318T200000Z;STATUS:NEEDS-ACTION;\";",
	    "X-CALENDARSERVER-PRIVATE-COMMENT:El jueves nos vendr\xc3\xad"
	    "a mejor\r\n", "ap1@bb");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "TENTATIVE");
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 2);
	/* Luis: French, Paris (UTC+1 in March). */
	text = tl_outbox_text(fx, "counter-notice", "luis@cepal.example.org");
	assert_non_null(strstr(text, "Kim <kim@gov.example.bb>"));
	assert_non_null(strstr(text, "Date et heure propos\xc3\xa9" "es\xc2\xa0:\r\n"
	    "    jeudi 18 mars 2021, 21:00 (Europe/Paris"));
	assert_non_null(strstr(text, "El jueves nos vendr\xc3\xad" "a mejor"));
	/* Not the text part Apple writes itself; a start alone. */
	assert_null(strstr(text, "tentatively accepted"));
	assert_null(strstr(text, "DurÃ©" "e propos"));
	free(text);
	/* Ana: the group's Spanish and Montevideo (UTC-3). */
	text = tl_outbox_text(fx, "counter-notice", "ana@mides.example.uy");
	assert_non_null(strstr(text, "Fecha y hora propuestas:\r\n"
	    "    jueves 18 de marzo de 2021, 17:00"));
	free(text);

	/* The same answer without a proposal: no notice; one proposing the
	 * meeting's own time, or one the organizer settled: none either. */
	m = apple_reply("ACCEPTED", "", "", "ap2@bb");
	assert_int_equal(apply(fx, m, "2021-03-02 10:10"), INBOX_APPLIED);
	free(m);
	m = apple_reply("ACCEPTED", "TO-ALL-PROPOSED-NEW-TIME=\"DTSTART:"
	    "20210317T180000Z;STATUS:NEEDS-ACTION;\";", "", "ap3@bb");
	assert_int_equal(apply(fx, m, "2021-03-02 10:15"), INBOX_APPLIED);
	free(m);
	m = apple_reply("ACCEPTED", "TO-ALL-PROPOSED-NEW-TIME=\"DTSTART:"
	    "20210318T200000Z;STATUS:DECLINED;\";", "", "ap4@bb");
	assert_int_equal(apply(fx, m, "2021-03-02 10:20"), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "ACCEPTED");
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 2);
}

/* Words in a plain reply are a comment, not a proposal: nothing is
 * passed on and no answer changes. */
static void
test_plain_move_request(void **state)
{
	struct tl_ws *fx = *state;
	char *m;

	m = xasprintf("From: kim@gov.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: Re: Invitaci\xc3\xb3n: Mensual\r\n"
	    "Message-ID: <mv1@bb>\r\nIn-Reply-To: <x@example.org>\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
	    "Can we move it to Thursday 18 March at 17:00?\r\n");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_IGNORED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 0);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"),
	    "NEEDS-ACTION");
}

static int
setup_aliases(void **state)
{
	return planned_with(state, "aliases", "language = en\naliases = "
	    "luis.soto@gmail.example, luis@casa.example\n");
}

/* An answer from an address the member lists as theirs counts for the
 * member, whichever of the two (ATTENDEE, From) names the alias; an
 * alias never answers for someone else, nor anyone for the member. */
static void
test_alias_answer(void **state)
{
	struct tl_ws *fx = *state;
	char *m;

	/* Luis answers from his aliases with the token he was given */
	m = with_token_for(fx, reply_plain("Luis <luis@casa.example>",
	    "luis@casa.example", "ACCEPTED", "20210302T100000Z", "al1@cl", ""),
	    TOKEN_MEETING, UID, "luis@cepal.example.org");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	assert_string_equal(partstat_of(fx, "luis@cepal.example.org"),
	    "ACCEPTED");
	assert_string_equal(partstat_of(fx, "luis@casa.example"), "");
	free(m);
	m = with_token_for(fx, reply_plain("LUIS.SOTO@gmail.example",
	    "luis@cepal.example.org", "DECLINED", "20210302T110000Z", "al2@cl",
	    ""), TOKEN_MEETING, UID, "luis@cepal.example.org");
	assert_int_equal(apply(fx, m, "2021-03-02 11:05"), INBOX_APPLIED);
	assert_string_equal(partstat_of(fx, "luis@cepal.example.org"),
	    "DECLINED");
	free(m);
	/* Kim cannot answer with Luis's alias, nor Luis's alias for Kim. */
	m = reply("kim@gov.example.bb", "luis@casa.example", "TENTATIVE",
	    "20210302T120000Z", "al3@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-02 12:05"), INBOX_REFUSED);
	free(m);
	m = reply("luis@casa.example", "kim@gov.example.bb", "DECLINED",
	    "20210302T120000Z", "al4@cl", "");
	assert_int_equal(apply(fx, m, "2021-03-02 12:05"), INBOX_REFUSED);
	free(m);
	assert_string_equal(partstat_of(fx, "luis@cepal.example.org"),
	    "DECLINED");
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"),
	    "NEEDS-ACTION");
}

/* `convened status ss` as a terminal shows it. */
static char *
status_text(struct tl_ws *fx, const char *now)
{
	char *text = NULL, *err = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	if (report_status(fp, fx->cfg, fx->st, tl_utc(now), "ss", 0, &err))
		fail_msg("%s", err);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static size_t
delegates_of(struct tl_ws *fx)
{
	struct store_delegate *d = NULL;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_meeting_delegates(fx->st, UID, &d, &n, &err), 0);
	store_delegates_free(d, n);
	return n;
}

/* A minister sends an alternate: the member's answer is DELEGATED, the
 * delegate is invited in the group's language and zone, and the
 * delegate's own answer counts. */
static void
test_delegation(void **state)
{
	struct tl_ws *fx = *state;
	char *m, *text, *tok;

	/* reply()'s PARTSTAT takes the parameters after it too. */
	m = reply("kim@gov.example.bb", "kim@gov.example.bb", "DELEGATED;"
	    "DELEGATED-TO=\"mailto:Alt@gov.example.bb\"", "20210302T100000Z",
	    "dg1@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "DELEGATED");
	assert_int_equal(delegates_of(fx), 1);
	/* The plan of the same cycle invites the delegate, and nobody else. */
	assert_int_equal(tl_step(fx, "plan", plan_group, "2021-03-02 10:05"), 1);
	assert_int_equal(tl_outbox_count(fx, NULL, "invite",
	    "alt@gov.example.bb"), 1);
	text = tl_outbox_text(fx, "invite", "alt@gov.example.bb");
	assert_non_null(strstr(text, "mi\xc3\xa9rcoles 17 de marzo de 2021, "
	    "15:00"));
	assert_non_null(strstr(text, "Estimada/o alt@gov.example.bb:"));
	free(text);
	/* with a reply token of the delegate's own, as any attendee */
	text = tl_outbox_one(fx, "invite", "alt@gov.example.bb");
	tok = plus(fx, TOKEN_MEETING, UID, "alt@gov.example.bb");
	assert_non_null(strstr(text, tok));
	free(tok);
	free(text);
	assert_string_equal(partstat_of(fx, "alt@gov.example.bb"),
	    "NEEDS-ACTION");
	/* Planning again sends nothing more. */
	assert_int_equal(tl_step(fx, "plan", plan_group, "2021-03-02 10:10"), 0);

	/* The delegate answers; a client names the member too. */
	m = xasprintf(
	    "From: alt@gov.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: Accepted\r\nMessage-ID: <dg2@bb>\r\n"
	    "Content-Type: text/calendar; method=REPLY\r\n\r\n"
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	    "METHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:" UID "\r\n"
	    "DTSTAMP:20210303T100000Z\r\n"
	    "ORGANIZER:mailto:agenda@example.org\r\n"
	    "ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO=\"mailto:alt@gov.example."
	    "bb\":mailto:kim@gov.example.bb\r\n"
	    "ATTENDEE;PARTSTAT=ACCEPTED;DELEGATED-FROM=\"mailto:kim@gov.example."
	    "bb\":mailto:alt@gov.example.bb\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n");
	m = with_token(fx, m, TOKEN_MEETING, UID);
	assert_int_equal(apply(fx, m, "2021-03-03 10:05"), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "alt@gov.example.bb"), "ACCEPTED");
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "DELEGATED");
	/* status: the member as DELEGATED, the delegate among the yes. */
	text = status_text(fx, "2021-03-03 10:10");
	assert_non_null(strstr(text, "yes 1  no 0  maybe 0  waiting 2  "
	    "delegated 1  minutes -"));
	free(text);

	/* A delegate does not delegate on; nobody delegates for a member. */
	m = reply("alt@gov.example.bb", "alt@gov.example.bb", "DELEGATED;"
	    "DELEGATED-TO=\"mailto:third@gov.example.bb\"",
	    "20210303T110000Z", "dg3@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-03 11:05"), INBOX_APPLIED);
	free(m);
	m = reply("mallory@evil.example", "kim@gov.example.bb",
	    "DELEGATED;DELEGATED-TO=\"mailto:mallory@evil.example\"",
	    "20210303T120000Z", "dg4@evil", "");
	assert_int_equal(apply(fx, m, "2021-03-03 12:05"), INBOX_REFUSED);
	free(m);
	assert_int_equal(delegates_of(fx), 1);
}

/* At most DELEGATES_MAX (3) per member and meeting; a member, the
 * organizer or no address is never made a delegate. */
static void
test_delegation_bounded(void **state)
{
	struct tl_ws *fx = *state;
	static const char *const to[] = { "a@x.example", "b@x.example",
	    "c@x.example", "d@x.example", "a@x.example",
	    "ana@mides.example.uy", "agenda@example.org", "urn:x" };
	char *m, *partstat, id[16], stamp[32];
	size_t i;

	for (i = 0; i < sizeof to / sizeof to[0]; i++) {
		partstat = xasprintf("DELEGATED;DELEGATED-TO=\"mailto:%s\"",
		    to[i]);
		snprintf(id, sizeof id, "db%zu@bb", i);
		snprintf(stamp, sizeof stamp, "20210302T1%zu0000Z", i);
		m = reply("kim@gov.example.bb", "kim@gov.example.bb",
		    partstat, stamp, id, "");
		assert_int_equal(apply(fx, m, "2021-03-02 20:00"),
		    INBOX_APPLIED);
		free(m);
		free(partstat);
	}
	assert_int_equal(delegates_of(fx), 3);
	/* An older answer than the one recorded delegates nobody. */
	m = reply("luis@cepal.example.org", "luis@cepal.example.org",
	    "ACCEPTED", "20210302T120000Z", "dl0@cl", "");
	assert_int_equal(apply(fx, m, "2021-03-02 20:00"), INBOX_APPLIED);
	free(m);
	m = reply("luis@cepal.example.org", "luis@cepal.example.org",
	    "DELEGATED;DELEGATED-TO=\"mailto:e@x.example\"",
	    "20210302T110000Z", "dl1@cl", "");
	assert_int_equal(apply(fx, m, "2021-03-02 20:00"), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "luis@cepal.example.org"),
	    "ACCEPTED");
	assert_int_equal(delegates_of(fx), 3);
	assert_int_equal(tl_step(fx, "plan", plan_group, "2021-03-02 20:05"), 3);
	assert_int_equal(tl_outbox_count(fx, NULL, "invite", "d@x.example"), 0);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "DELEGATED");
}

/* A forged RSVP: refused, recorded as refused, one warning naming both
 * addresses, and no answer changed. */
static void
test_spoofed_rsvp_verdict(void **state)
{
	struct tl_ws *fx = *state;
	char *m, *log, *result = NULL, *err = NULL;

	m = reply("Mallory <mallory@evil.example.com>", "kim@gov.example.bb",
	    "DECLINED", "20210302T100000Z", "forged-1@evil", "");
	tl_log_begin(fx);
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_REFUSED);
	log = tl_log_end(fx);
	free(m);
	assert_string_equal(log, "convened: forged-1@evil: rsvp from "
	    "mallory@evil.example.com refused: spoofed: From "
	    "mallory@evil.example.com answers for attendee kim@gov.example.bb; "
	    "left on the server\n");
	free(log);
	assert_int_equal(store_inbound_seen(fx->st, "forged-1@evil", &result,
	    &err), 1);
	assert_string_equal(result, "refused");
	free(result);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"),
	    "NEEDS-ACTION");
	assert_int_equal(tl_outbox_count(fx, NULL, NULL, NULL), 3);
}

/* The Message-ID of addr's invitation, with the token a bounce of it must
 * quote to count (trust.h).  Caller frees. */
static char *
invitation_id(struct tl_ws *fx, const char *addr)
{
	char tok[TOKEN_LEN + 1];
	struct msgid id;

	token_build(&fx->cfg->trust_key, TOKEN_MEETING, UID, addr, tok);
	assert_int_equal(msgid_init(&id, "invite", "ss", UID), 0);
	msgid_set_sequence(&id, 0);
	msgid_set_token(&id, tok);
	return msgid_build(&id, "example.org");
}

static void
test_bounce(void **state)
{
	struct tl_ws *fx = *state;
	char **bad = NULL;
	size_t n = 0;
	char *err = NULL;
	static const char dsn_fmt[] =
	    "From: MAILER-DAEMON@mx.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"
	    "Message-ID: <dsn1@mx.example.bb>\r\nAuto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=delivery-status; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
	    "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; mx.example.bb\r\n\r\n"
	    "Final-Recipient: rfc822; kim@gov.example.bb\r\nAction: failed\r\n"
	    "Status: 5.1.1\r\n\r\n"
	    "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "Message-ID: <%s>\r\nTo: %s\r\n\r\n--b--\r\n";
	static const char stranger[] =
	    "From: MAILER-DAEMON@mx.example.com\r\nTo: agenda@example.org\r\n"
	    "Subject: Undelivered\r\nMessage-ID: <dsn2@mx.example.com>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=delivery-status; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
	    "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; mx.example.com\r\n\r\n"
	    "Final-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\n"
	    "Status: 5.1.1\r\n\r\n--b--\r\n";

	char *mid, *dsn;

	assert_int_equal(apply(fx, stranger, "2021-03-02 10:00"), INBOX_IGNORED);
	/* Returning a message of ours to another address: not kim's. */
	mid = invitation_id(fx, "ana@mides.example.uy");
	dsn = xasprintf(dsn_fmt, mid, "kim@gov.example.bb");
	memcpy(strstr(dsn, "dsn1@"), "dsn0@", 5);
	assert_int_equal(apply(fx, dsn, "2021-03-02 10:00"), INBOX_REFUSED);
	free(dsn);
	free(mid);
	assert_int_equal(store_group_bouncing(fx->st, "ss", &bad, &n, &err), 0);
	assert_int_equal(n, 0);
	/* The invitation kim was sent: it counts. */
	mid = invitation_id(fx, "kim@gov.example.bb");
	dsn = xasprintf(dsn_fmt, mid, "kim@gov.example.bb");
	assert_int_equal(apply(fx, dsn, "2021-03-02 10:00"), INBOX_APPLIED);
	free(dsn);
	free(mid);
	assert_int_equal(store_group_bouncing(fx->st, "ss", &bad, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(bad[0], "kim@gov.example.bb");
	strv_free(bad, n);
}

/* A report that says delivery of kim's copy is late: a bounce verdict
 * with kim marked delay. */
static char *
delay_report(struct tl_ws *fx, const char *msgid, const char *action,
    const char *status)
{
	char *ours = invitation_id(fx, "kim@gov.example.bb"), *m;

	m = xasprintf(
	    "From: MAILER-DAEMON@mx.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: Delayed Mail (still being retried)\r\n"
	    "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
	    "It is late.\r\n--b\r\nContent-Type: message/delivery-status\r\n"
	    "\r\nReporting-MTA: dns; mx.example.bb\r\n\r\n"
	    "Final-Recipient: rfc822; kim@gov.example.bb\r\nAction: %s\r\n"
	    "Status: %s\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n"
	    "\r\nFrom: agenda@example.org\r\nTo: kim@gov.example.bb\r\n"
	    "Message-ID: <%s>\r\nSubject: x\r\n\r\n--b--\r\n", msgid, action,
	    status, ours);
	free(ours);
	return m;
}

static size_t
bouncing_count(struct tl_ws *fx)
{
	char **bad = NULL;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_group_bouncing(fx->st, "ss", &bad, &n, &err), 0);
	strv_free(bad, n);
	return n;
}

/* A delay is seen and logged, never counted: it neither marks an address
 * bouncing nor, coming after a failure, clears the mark. */
static void
test_delay(void **state)
{
	struct tl_ws *fx = *state;
	char *late = delay_report(fx, "d1@mx.example.bb", "delayed", "4.4.7");
	char *failed = delay_report(fx, "d2@mx.example.bb", "failed", "5.1.1");
	char *later = delay_report(fx, "d3@mx.example.bb", "delayed", "4.2.2");
	char *st;

	assert_int_equal(apply(fx, late, "2021-03-02 10:00"), INBOX_IGNORED);
	assert_int_equal(bouncing_count(fx), 0);
	st = store_bounce_status(fx->st, "kim@gov.example.bb");
	assert_null(st);
	assert_int_equal(apply(fx, failed, "2021-03-02 11:00"), INBOX_APPLIED);
	assert_int_equal(bouncing_count(fx), 1);
	assert_int_equal(apply(fx, later, "2021-03-02 12:00"), INBOX_IGNORED);
	assert_int_equal(bouncing_count(fx), 1);
	st = store_bounce_status(fx->st, "kim@gov.example.bb");
	assert_string_equal(st, "5.1.1");
	free(st);
	free(late);
	free(failed);
	free(later);
}

/* The envelope sender Kim's invitation went out with (verp.h). */
static char *
kim_envelope(struct tl_ws *fx)
{
	struct store_outbox *rows;
	char *err = NULL, *a = NULL;
	size_t n, i;

	assert_int_equal(store_outbox_due(fx->st, tl_utc("2030-01-01 00:00"),
	    100, &rows, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].recipient, "kim@gov.example.bb") == 0)
			a = verp_address(&fx->cfg->trust_key, fx->cfg->org_email,
			    rows[i].id, rows[i].recipient);
	store_outbox_free(rows, n);
	assert_non_null(a);
	return a;
}

/* A notice in no format bounce.c reads, delivered to addr. */
static char *
odd_notice(const char *id, const char *addr, const char *from,
    const char *subject, const char *body)
{
	return xasprintf("Return-Path: <>\r\nDelivered-To: %s\r\n"
	    "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n"
	    "\r\n%s\r\n", addr, from, addr, subject, id, body);
}

/* Whatever its format, a bounce to the envelope sender of Kim's
 * invitation is Kim's; one to the plain address, one with a forged
 * token, a vacation reply and a delay are not counted. */
static void
test_verp_bounce(void **state)
{
	struct tl_ws *fx = *state;
	char *env = kim_envelope(fx), *forged = xstrdup(env), *m, *st;
	static const char pm[] = "Postmaster <postmaster@mx.example.bb>";
	static const char odd[] = "Su mensaje para el destinatario no llego "
	    "a destino. Codigo 7.";

	forged[strlen(forged) - strlen("@example.org") - 1] =
	    forged[strlen(forged) - strlen("@example.org") - 1] == 'a' ? 'b' :
	    'a';
	m = odd_notice("o1@mx.example.bb", "agenda@example.org", pm, "Aviso",
	    odd);
	assert_int_equal(apply(fx, m, "2021-03-02 10:00"), INBOX_IGNORED);
	free(m);
	m = odd_notice("o2@mx.example.bb", forged, pm, "Aviso", odd);
	assert_int_equal(apply(fx, m, "2021-03-02 10:00"), INBOX_REFUSED);
	free(m);
	m = odd_notice("o3@mx.example.bb", env, "Kim <kim@gov.example.bb>",
	    "Fuera de la oficina", "Estoy fuera de la oficina hasta el lunes.");
	assert_int_equal(apply(fx, m, "2021-03-02 10:00"), INBOX_IGNORED);
	free(m);
	m = odd_notice("o4@mx.example.bb", env, pm, "Aviso", "Su mensaje "
	    "esta demorado; we will keep trying for 5 days.");
	assert_int_equal(apply(fx, m, "2021-03-02 10:00"), INBOX_IGNORED);
	free(m);
	assert_int_equal(bouncing_count(fx), 0);

	m = odd_notice("o5@mx.example.bb", env, pm, "Aviso", odd);
	assert_int_equal(apply(fx, m, "2021-03-02 11:00"), INBOX_APPLIED);
	free(m);
	assert_int_equal(bouncing_count(fx), 1);
	st = store_bounce_status(fx->st, "kim@gov.example.bb");
	assert_string_equal(st, "5.0.0");
	free(st);

	/* A report naming the address Kim's mail was forwarded to. */
	m = xasprintf("From: MAILER-DAEMON@mx.example.bb\r\nTo: %s\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"
	    "Message-ID: <o6@mx.example.bb>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
	    "It bounced.\r\n--b\r\nContent-Type: message/delivery-status\r\n"
	    "\r\nReporting-MTA: dns; mx.example.bb\r\n\r\n"
	    "Final-Recipient: rfc822; kim@home.example.net\r\n"
	    "Action: failed\r\nStatus: 5.2.2\r\n\r\n--b--\r\n", env);
	assert_int_equal(apply(fx, m, "2021-03-02 12:00"), INBOX_APPLIED);
	free(m);
	st = store_bounce_status(fx->st, "kim@gov.example.bb");
	assert_string_equal(st, "5.2.2");
	free(st);
	assert_null(store_bounce_status(fx->st, "kim@home.example.net"));
	free(env);
	free(forged);
}

static char *
agenda_reply(const char *from, const char *body, const char *msgid)
{
	char *ref;
	char *m;

	/* What agenda.c puts in the request's Message-ID. */
	ref = xasprintf("agenda-request.ss-monthly-20210317.%08x@example.org",
	    0x12345678u);
	m = xasprintf("From: %s\r\nTo: agenda@example.org\r\n"
	    "Subject: Re: agenda\r\nMessage-ID: <%s>\r\nIn-Reply-To: <%s>\r\n"
	    "References: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\n%s", from, msgid,
	    ref, ref, body);
	free(ref);
	/* Answered through the request's Reply-To. */
	return with_token(cur, m, TOKEN_MEETING, UID);
}

static void
test_agenda(void **state)
{
	struct tl_ws *fx = *state;
	struct store_plan_meeting r;
	char *m, *err = NULL;

	/* The request goes 7 days ahead, with no draft file here. */
	assert_int_equal(tl_step(fx, "agenda", agenda_group,
	    "2021-03-10 18:00"), 2);
	assert_int_equal(tl_outbox_count(fx, NULL, "agenda-request", NULL), 2);

	/* Kim is no coordinator. */
	m = agenda_reply("kim@gov.example.bb", "CONFIRM\r\n", "a0@bb");
	assert_int_equal(apply(fx, m, "2021-03-11 10:00"), INBOX_REFUSED);
	free(m);

	m = agenda_reply("ana@mides.example.uy", "1. Apertura\r\n2. Chile\r\n\r\n"
	    "El mar, 10 mar 2021 a las 15:00, Secretaría escribió:\r\n"
	    "> Por favor confirme\r\n", "a1@uy");
	assert_int_equal(apply(fx, m, "2021-03-11 10:00"), INBOX_APPLIED);
	free(m);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_meeting_get(fx->st, UID, &r, &err), 1);
	assert_true(r.agenda_confirmed);
	assert_string_equal(r.agenda, "1. Apertura\n2. Chile");
	/* Attendees must hear of it: the SEQUENCE went up for all. */
	assert_int_equal(r.content_seq, 1);
	store_plan_meeting_clear(&r);

	/* A later "OK" confirms what is there, keeps the text, and mails
	 * nobody again. */
	m = agenda_reply("luis@cepal.example.org", "Ok.\r\n\r\n-- \r\nLuis\r\n",
	    "a2@cl");
	assert_int_equal(apply(fx, m, "2021-03-12 10:00"), INBOX_APPLIED);
	free(m);
	assert_int_equal(store_meeting_get(fx->st, UID, &r, &err), 1);
	assert_string_equal(r.agenda, "1. Apertura\n2. Chile");
	assert_int_equal(r.content_seq, 1);
	store_plan_meeting_clear(&r);

	/* No reminder: confirmed.  */
	tl_step(fx, "agenda", agenda_group, "2021-03-16 10:00");
	assert_int_equal(tl_outbox_count(fx, NULL, "agenda-reminder", NULL), 0);
}

/* A reply to the request as this release sends it (msgid.h) finds its
 * meeting, as a reply to the release before's does (test_agenda). */
static void
test_agenda_reply_to_our_id(void **state)
{
	struct tl_ws *fx = *state;
	struct store_plan_meeting r;
	char *data, *mid, *m, *err = NULL;
	const char *p;

	assert_int_equal(tl_step(fx, "agenda", agenda_group,
	    "2021-03-10 18:00"), 2);
	data = tl_outbox_one(fx, "agenda-request",
	    "luis@cepal.example.org");
	p = strstr(data, "\r\nMessage-ID: <") + 15;
	mid = xstrndup(p, strcspn(p, ">"));
	assert_true(strncmp(mid, "cv1.agenda-request.ss.ss-monthly-20210317.",
	    42) == 0);
	m = xasprintf("From: luis@cepal.example.org\r\n"
	    "To: agenda@example.org\r\nSubject: Re: agenda\r\n"
	    "Message-ID: <n1@cl>\r\nIn-Reply-To: <%s>\r\n"
	    "References: <%s>\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\n1. Uno\r\n", mid,
	    mid);
	assert_int_equal(apply(fx, m, "2021-03-11 10:00"), INBOX_APPLIED);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_meeting_get(fx->st, UID, &r, &err), 1);
	assert_string_equal(r.agenda, "1. Uno");
	assert_true(r.agenda_confirmed);
	store_plan_meeting_clear(&r);
	free(m);
	free(mid);
	free(data);
}

static void
test_minutes(void **state)
{
	struct tl_ws *fx = *state;
	struct store_plan_meeting r;
	char *m, *err = NULL, *p;
	struct stat sb;

	/* After the meeting (17 March 19:30Z): a request for the minutes. */
	tl_step(fx, "agenda", agenda_group, "2021-03-18 10:00");
	assert_int_equal(tl_outbox_count(fx, NULL, "minutes-request", NULL), 2);

	m = xasprintf("From: Ana <ana@mides.example.uy>\r\n"
	    "To: agenda@example.org\r\nSubject: [ss] minutes\r\n"
	    "Message-ID: <min1@uy>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
	    "Acta adjunta.\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=\"../../acta.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
	    "--b--\r\n");
	m = with_token(fx, m, TOKEN_GROUP, "ss");
	/* From a member who is not a coordinator: refused. */
	{
		char *spoof = xstrdup(m);

		memcpy(strstr(spoof, "Ana <ana@mides.example.uy>"),
		    "Kim <kim@gov.example.bb>  ", 26);
		memcpy(strstr(spoof, "min1@uy"), "min0@uy", 7);
		assert_int_equal(apply(fx, spoof, "2021-03-19 10:00"),
		    INBOX_REFUSED);
		free(spoof);
	}
	assert_int_equal(apply(fx, m, "2021-03-19 10:00"), INBOX_APPLIED);
	free(m);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_meeting_get(fx->st, UID, &r, &err), 1);
	assert_string_equal(r.minutes_path, "ss/2021/2021-03-17-minutes");
	store_plan_meeting_clear(&r);
	p = xasprintf("%s/repo/ss/2021/2021-03-17-minutes/acta.pdf", fx->dir);
	assert_int_equal(stat(p, &sb), 0);
	free(p);
	p = xasprintf("%s/repo/ss/2021/2021-03-17-minutes/metadata.json",
	    fx->dir);
	assert_int_equal(stat(p, &sb), 0);
	free(p);
	/* Every member is told, with the files as they were sent. */
	assert_int_equal(tl_outbox_count(fx, NULL, "minutes-notice", NULL), 3);
	p = tl_outbox_one(fx, "minutes-notice", "kim@gov.example.bb");
	assert_non_null(strstr(p, "\r\nContent-Type: application/pdf;\r\n"
	    " name=\"acta.pdf\"\r\n"));
	assert_null(strstr(p, "octet-stream"));
	free(p);
	/* No reminder once minutes are in. */
	tl_step(fx, "agenda", agenda_group, "2021-04-02 10:00");
	assert_int_equal(tl_outbox_count(fx, NULL, "minutes-reminder", NULL),
	    0);
}

static void
test_ignored_kinds(void **state)
{
	struct tl_ws *fx = *state;
	static const char ooo[] =
	    "From: kim@gov.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: Out of Office: invitation\r\nMessage-ID: <ooo@bb>\r\n"
	    "Auto-Submitted: auto-replied\r\n\r\nI am away.\r\n";
	static const char plain[] =
	    "From: kim@gov.example.bb\r\nTo: agenda@example.org\r\n"
	    "Subject: hello\r\nMessage-ID: <hello@bb>\r\n\r\nHi!\r\n";
	static const char junk[] = "\x01\x02\x03 not a message";

	assert_int_equal(apply(fx, ooo, "2021-03-02 10:00"), INBOX_IGNORED);
	assert_int_equal(apply(fx, plain, "2021-03-02 10:00"), INBOX_IGNORED);
	assert_int_equal(apply(fx, junk, "2021-03-02 10:00"), INBOX_IGNORED);
	/* Nothing was answered. */
	assert_int_equal(tl_outbox_count(fx, NULL, "invite", NULL), 3);
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 0);
}

static void
test_unquoted(void **state)
{
	char *s;

	(void)state;
	s = inbox_unquoted("\r\n  \r\nCONFIRMAR\r\n\r\nOn Tue, Ana wrote:\r\n"
	    "> old\r\n");
	assert_string_equal(s, "CONFIRMAR");
	assert_true(inbox_is_confirmation(s));
	free(s);
	s = inbox_unquoted("Nueva agenda:\n> quoted\n1. Uno\n-- \nFirma\n");
	assert_string_equal(s, "Nueva agenda:\n1. Uno");
	assert_false(inbox_is_confirmation(s));
	free(s);
	assert_true(inbox_is_confirmation("ok!"));
	assert_true(inbox_is_confirmation("Confirmer."));
	assert_false(inbox_is_confirmation("OK, here is the new agenda"));
	assert_false(inbox_is_confirmation("1. OK"));
	assert_false(inbox_is_confirmation(""));
	s = inbox_unquoted("Texte\nLe 10 mars 2021, Ana a écrit :\n> x\n");
	assert_string_equal(s, "Texte");
	free(s);
}


/* ---- trust (trust.h) ---- */

static void sql(struct tl_ws *fx, const char *text);

/* How many messages were refused for reason. */
static long long
refused(struct tl_ws *fx, const char *reason)
{
	struct store_refusal *rf = NULL;
	size_t n = 0, i;
	long long k = 0;
	char *err = NULL;

	assert_int_equal(store_refusals(fx->st, &rf, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(rf[i].reason, reason) == 0)
			k = rf[i].count;
	store_refusals_free(rf, n);
	return k;
}

/* The header value name of a message of ours (without <>). */
static char *
header_of(const char *data, const char *name)
{
	char *h = xasprintf("\r\n%s: <", name), *v;
	const char *p = strstr(data, h);

	assert_non_null(p);
	p += strlen(h);
	v = xstrndup(p, strcspn(p, ">"));
	free(h);
	return v;
}

/* A reply by "from" to our message data, its first line text. */
static char *
answer(const char *from, const char *data, const char *msgid,
    const char *text)
{
	char *id = header_of(data, "Message-ID"), *m;

	m = xasprintf("From: %s\r\nTo: agenda@example.org\r\n"
	    "Subject: Re: confirm\r\nMessage-ID: <%s>\r\nIn-Reply-To: <%s>\r\n"
	    "References: <%s>\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "\r\n%s\r\n", from, msgid, id, id, text);
	free(id);
	return m;
}

static const char *
agenda_of(struct tl_ws *fx, char *out, size_t n)
{
	struct store_plan_meeting r;
	char *err = NULL;

	memset(&r, 0, sizeof r);
	assert_int_equal(store_meeting_get(fx->st, UID, &r, &err), 1);
	snprintf(out, n, "%s", r.agenda_confirmed && r.agenda ? r.agenda : "");
	store_plan_meeting_clear(&r);
	return out;
}

/* A forged agenda (no token; then a token stolen from another member;
 * then an Authentication-Results of an MTA not trusted): nothing
 * applied, nobody but the real coordinator hears, once each; only her
 * CONFIRM, carrying her token for the held message, applies it. */
static void
test_forged_agenda_held(void **state)
{
	struct tl_ws *fx = *state;
	char *m, *p, *req, *stolen, buf[256], *err = NULL;
	size_t before;

	assert_int_equal(tl_step(fx, "agenda", agenda_group,
	    "2021-03-10 18:00"), 2);
	before = tl_outbox_count(fx, NULL, NULL, NULL);
	/* No token: the old-form In-Reply-To is rebuilt by anyone. */
	m = xasprintf("From: ana@mides.example.uy\r\nTo: agenda@example.org\r\n"
	    "Subject: Re: agenda\r\nMessage-ID: <f1@evil>\r\n"
	    "In-Reply-To: <agenda-request.ss-monthly-20210317.12345678@"
	    "example.org>\r\nAuthentication-Results: mx.evil.example; "
	    "dmarc=pass header.from=mides.example.uy\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
	    "1. Forged point\r\nhttps://evil.example/x\r\n");
	tl_log_begin(fx);
	assert_int_equal(apply(fx, m, "2021-03-11 10:00"), INBOX_REFUSED);
	p = tl_log_end(fx);
	assert_int_equal(tl_count(p, "f1@evil: plain from ana@mides.example.uy "
	    "refused: no-token: agenda for ss carries no reply token"), 1);
	free(p);
	free(m);
	assert_string_equal(agenda_of(fx, buf, sizeof buf), "");
	assert_int_equal(tl_outbox_count(fx, NULL, NULL, NULL), before + 1);
	assert_int_equal(tl_outbox_count(fx, NULL, "confirm-request",
	    "ana@mides.example.uy"), 1);
	req = tl_outbox_one(fx, "confirm-request", "ana@mides.example.uy");
	p = tl_outbox_text(fx, "confirm-request", "ana@mides.example.uy");
	assert_non_null(strstr(p, "> 1. Forged point"));
	assert_non_null(strstr(p, "> https://evil.example/x"));
	assert_non_null(strstr(p, "CONFIRMAR"));
	free(p);
	assert_null(strstr(req, "\r\nSubject: [ss]"));
	/* Ana's token for the meeting under Luis's From: stolen. */
	stolen = plus(fx, TOKEN_MEETING, UID, "ana@mides.example.uy");
	m = xasprintf("From: luis@cepal.example.org\r\nTo: %s\r\n"
	    "Subject: Re: agenda\r\nMessage-ID: <f2@evil>\r\n"
	    "In-Reply-To: <agenda-request.ss-monthly-20210317.12345678@"
	    "example.org>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
	    "1. Stolen\r\n", stolen);
	assert_int_equal(apply(fx, m, "2021-03-11 10:05"), INBOX_REFUSED);
	free(m);
	free(stolen);
	assert_string_equal(agenda_of(fx, buf, sizeof buf), "");
	assert_int_equal(tl_outbox_count(fx, NULL, "confirm-request",
	    "luis@cepal.example.org"), 1);
	assert_int_equal(tl_outbox_count(fx, NULL, NULL, NULL), before + 2);
	assert_int_equal(refused(fx, "no-token"), 2);
	/* A CONFIRM from Luis to Ana's request: not his token. */
	m = answer("luis@cepal.example.org", req, "c0@cl", "CONFIRM");
	assert_int_equal(apply(fx, m, "2021-03-11 11:00"), INBOX_REFUSED);
	free(m);
	assert_int_equal(refused(fx, "confirm-unproven"), 1);
	assert_string_equal(agenda_of(fx, buf, sizeof buf), "");
	/* Ana's own CONFIRM, as her client quotes the request. */
	m = answer("Ana <ana@mides.example.uy>", req, "c1@uy",
	    "Confirmar.\r\n\r\nEl jue, 11 mar 2021, Secretaria escribió:\r\n"
	    "> Confirme por favor");
	assert_int_equal(apply(fx, m, "2021-03-11 11:05"), INBOX_APPLIED);
	free(m);
	assert_string_equal(agenda_of(fx, buf, sizeof buf),
	    "1. Forged point\nhttps://evil.example/x");
	/* Applied once: the hold is gone. */
	m = answer("ana@mides.example.uy", req, "c2@uy", "CONFIRM");
	assert_int_equal(apply(fx, m, "2021-03-11 11:10"), INBOX_REFUSED);
	free(m);
	free(req);
	/* A week later Luis's hold, never confirmed, is dropped. */
	assert_int_equal(inbox_expire_held(fx->st, tl_utc("2021-03-18 10:06"),
	    &err), 0);
	assert_int_equal(refused(fx, "expired"), 1);
}

/* Held for one coordinator at most TRUST_HELD_MAX at once: more are
 * refused with no request; our own mail come back asks nobody. */
static void
test_hold_bounds(void **state)
{
	struct tl_ws *fx = *state;
	size_t before = tl_outbox_count(fx, NULL, NULL, NULL);
	char id[32], *m;
	int i;

	for (i = 0; i < TRUST_HELD_MAX + 2; i++) {
		snprintf(id, sizeof id, "hb-%d@evil", i);
		m = xasprintf("From: luis@cepal.example.org\r\n"
		    "To: agenda@example.org\r\nSubject: [ss] document %d\r\n"
		    "Message-ID: <%s>\r\n"
		    "Content-Type: text/plain; charset=UTF-8\r\n\r\nTexto %d\r\n",
		    i, id, i);
		assert_int_equal(apply(fx, m, "2021-03-02 10:00"), INBOX_REFUSED);
		free(m);
	}
	assert_int_equal(tl_outbox_count(fx, NULL, "confirm-request",
	    "luis@cepal.example.org"), TRUST_HELD_MAX);
	assert_int_equal(tl_outbox_count(fx, NULL, NULL, NULL),
	    before + TRUST_HELD_MAX);
	assert_int_equal(refused(fx, "no-token"), TRUST_HELD_MAX);
	assert_int_equal(refused(fx, "hold-limit"), 2);
	/* One of our Message-IDs in Ana's name: nobody asked. */
	m = xasprintf("From: ana@mides.example.uy\r\nTo: agenda@example.org\r\n"
	    "Subject: [ss] document\r\nMessage-ID: <cv1.minutes-notice.ss."
	    "ss-monthly-20210317.-.abcdefghijklmnop@example.org>\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\nActa\r\n");
	assert_int_equal(apply(fx, m, "2021-03-02 10:00"), INBOX_REFUSED);
	free(m);
	assert_int_equal(refused(fx, "loop"), 1);
	assert_int_equal(tl_outbox_count(fx, NULL, "confirm-request",
	    "ana@mides.example.uy"), 0);
}

/* With [trust] authserv_id set, the record needs authentication too:
 * a token alone is held; the trusted MTA's verdict, topmost, lets it
 * through. */
static void
test_record_needs_authentication(void **state)
{
	struct tl_ws *fx = *state;
	char *m, *to, buf[256];

	tl_ws_global_add(fx, "[trust]\nauthserv_id = mx.example.org\n");
	assert_int_equal(tl_step(fx, "agenda", agenda_group,
	    "2021-03-10 18:00"), 2);
	to = plus(fx, TOKEN_MEETING, UID, "luis@cepal.example.org");
	m = xasprintf("From: luis@cepal.example.org\r\nTo: %s\r\n"
	    "Subject: Re: agenda\r\nMessage-ID: <au1@cl>\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
	    "1. Uno\r\n", to);
	assert_int_equal(apply(fx, m, "2021-03-11 10:00"), INBOX_IGNORED);
	free(m);
	m = xasprintf("From: luis@cepal.example.org\r\nTo: %s\r\n"
	    "Subject: Re: agenda\r\nMessage-ID: <au2@cl>\r\n"
	    "In-Reply-To: <agenda-request.ss-monthly-20210317.12345678@"
	    "example.org>\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\n1. Uno\r\n", to);
	assert_int_equal(apply(fx, m, "2021-03-11 10:00"), INBOX_REFUSED);
	free(m);
	assert_int_equal(refused(fx, "not-authenticated"), 1);
	assert_string_equal(agenda_of(fx, buf, sizeof buf), "");
	m = xasprintf("From: luis@cepal.example.org\r\nTo: %s\r\n"
	    "Authentication-Results: mx.example.org; dkim=pass "
	    "header.d=cepal.example.org\r\n"
	    "Subject: Re: agenda\r\nMessage-ID: <au3@cl>\r\n"
	    "In-Reply-To: <agenda-request.ss-monthly-20210317.12345678@"
	    "example.org>\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\n1. Dos\r\n", to);
	assert_int_equal(apply(fx, m, "2021-03-11 10:05"), INBOX_APPLIED);
	free(m);
	free(to);
	assert_string_equal(agenda_of(fx, buf, sizeof buf), "1. Dos");
}

/* An RSVP without the sender's token: refused; from Junk too; one to a
 * meeting invited before tokens counts on From (not from Junk). */
static void
test_rsvp_proof(void **state)
{
	struct tl_ws *fx = *state;
	char *m;

	m = reply_plain("kim@gov.example.bb", "kim@gov.example.bb", "DECLINED",
	    "20210302T100000Z", "p1@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_REFUSED);
	free(m);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"),
	    "NEEDS-ACTION");
	assert_int_equal(refused(fx, "no-proof"), 1);
	/* With her token, from Junk: counts. */
	m = reply("kim@gov.example.bb", "kim@gov.example.bb", "TENTATIVE",
	    "20210302T100000Z", "p2@bb", "");
	assert_int_equal(apply_in(fx, m, "2021-03-02 10:05", "Junk"),
	    INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "TENTATIVE");
	/* Invited before tokens: From, as before. */
	sql(fx, "UPDATE meetings SET plain_organizer = 1");
	m = reply_plain("ana@mides.example.uy", "ana@mides.example.uy",
	    "ACCEPTED", "20210302T100000Z", "p3@uy", "");
	assert_int_equal(apply_in(fx, m, "2021-03-02 10:06", "Junk"),
	    INBOX_REFUSED);
	free(m);
	m = reply_plain("ana@mides.example.uy", "ana@mides.example.uy",
	    "ACCEPTED", "20210302T100000Z", "p4@uy", "");
	assert_int_equal(apply(fx, m, "2021-03-02 10:06"), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "ana@mides.example.uy"),
	    "ACCEPTED");
	/* Until the meeting is over. */
	m = reply_plain("luis@cepal.example.org", "luis@cepal.example.org",
	    "DECLINED", "20210318T100000Z", "p5@cl", "");
	assert_int_equal(apply(fx, m, "2021-03-18 10:06"), INBOX_REFUSED);
	free(m);
	assert_int_equal(refused(fx, "no-proof"), 3);
}

/* A DTSTAMP in 2099 is not believed: the answer counts as of its
 * receipt, and the member's next answer still counts. */
static void
test_future_dtstamp(void **state)
{
	struct tl_ws *fx = *state;
	char *m;

	m = reply("kim@gov.example.bb", "kim@gov.example.bb", "DECLINED",
	    "20990101T000000Z", "d1@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "DECLINED");
	assert_int_equal(refused(fx, "future-dtstamp"), 1);
	m = reply("kim@gov.example.bb", "kim@gov.example.bb", "ACCEPTED",
	    "20210302T110000Z", "d2@bb", "");
	assert_int_equal(apply(fx, m, "2021-03-02 11:00"), INBOX_APPLIED);
	free(m);
	assert_string_equal(partstat_of(fx, "kim@gov.example.bb"), "ACCEPTED");
}

/* A thousand proposals from one attendee in one cycle: one
 * counter-notice per coordinator; the next cycle's says how many were
 * held back. */
static void
test_counter_flood(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *o;
	struct verdict *v;
	char id[32], *m, *text;
	size_t n;
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "flood-%d@bb", i);
		m = reply("kim@gov.example.bb", "kim@gov.example.bb",
		    "TENTATIVE", "20210302T100000Z", id,
		    "DTSTART:20210318T180000Z\r\nDTEND:20210318T193000Z\r\n");
		assert_int_equal(apply(fx, m, "2021-03-02 10:05"),
		    INBOX_APPLIED);
		free(m);
	}
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 2);
	assert_int_equal(refused(fx, "rate-limited"), 999);
	text = tl_outbox_text(fx, "counter-notice", "luis@cepal.example.org");
	assert_null(strstr(text, "other proposals"));
	free(text);
	o = tl_outbox_new(fx, &n);
	store_outbox_free(o, n);
	/* The next cycle, one more each, summing up. */
	m = reply("kim@gov.example.bb", "kim@gov.example.bb", "TENTATIVE",
	    "20210302T101000Z", "flood-x@bb",
	    "DTSTART:20210318T180000Z\r\nDTEND:20210318T193000Z\r\n");
	assert_int_equal(apply(fx, m, "2021-03-02 10:15"), INBOX_APPLIED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, NULL, "counter-notice", NULL), 4);
	o = tl_outbox_new(fx, &n);
	assert_int_equal(n, 2);
	for (i = 0; i < (int)n; i++) {
		classify(o[i].data, strlen(o[i].data), &v);
		/* Luis reads English, Ana the group's Spanish. */
		assert_true(strstr(v->msg->text, "Kim also sent 999 other "
		    "proposals for this meeting") != NULL ||
		    strstr(v->msg->text, "Kim envió además otras 999 "
		    "propuestas") != NULL);
		verdict_free(v);
	}
	store_outbox_free(o, n);
}

/* "acta.pdf.exe", a program, as minutes: not part of the minutes nor
 * sent on, kept apart as refused; the coordinators told; the PDF beside
 * it goes. */
static void
test_program_as_minutes(void **state)
{
	struct tl_ws *fx = *state;
	char *m, *p, *text;
	struct stat sb;

	tl_step(fx, "agenda", agenda_group, "2021-03-18 10:00");
	m = xasprintf("From: Ana <ana@mides.example.uy>\r\n"
	    "To: agenda@example.org\r\nSubject: [ss] minutes\r\n"
	    "Message-ID: <exe@uy>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nActa.\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=\"acta.pdf.exe\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAA\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=\"anexo.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
	    "--b--\r\n");
	m = with_token(fx, m, TOKEN_GROUP, "ss");
	assert_int_equal(apply(fx, m, "2021-03-19 10:00"), INBOX_APPLIED);
	free(m);
	p = xasprintf("%s/repo/ss/2021/2021-03-17-minutes/acta.pdf.exe",
	    fx->dir);
	assert_int_not_equal(stat(p, &sb), 0);
	free(p);
	p = xasprintf("%s/repo/ss/2021/2021-03-17-minutes/anexo.pdf", fx->dir);
	assert_int_equal(stat(p, &sb), 0);
	free(p);
	/* kept apart, under a name no click opens, never recorded */
	p = xasprintf("%s/repo/ss/2021/2021-03-17-refused/acta.pdf.exe.refused",
	    fx->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_size, 36);
	free(p);
	p = xasprintf("%s/repo/ss/2021/2021-03-17-refused/anexo.pdf", fx->dir);
	assert_int_not_equal(stat(p, &sb), 0);
	free(p);
	p = tl_outbox_one(fx, "minutes-notice", "kim@gov.example.bb");
	assert_null(strstr(p, "acta.pdf.exe"));
	assert_non_null(strstr(p, "anexo.pdf"));
	free(p);
	assert_int_equal(tl_outbox_count(fx, NULL, "files-refused", NULL), 2);
	text = tl_outbox_text(fx, "files-refused", "luis@cepal.example.org");
	assert_non_null(strstr(text, "acta.pdf.exe (1 KB): "));
	free(text);
	assert_int_equal(refused(fx, "file-type"), 1);
}

/* ---- what one mail may bring, and a message that will not apply ---- */

/* The planned group, an admin, and caps small enough to pass. */
static int
setup_caps(void **state)
{
	setup_planned(state);
	tl_ws_global_add(*state, "[policy]\nadmin = admin@example.org\n"
	    "agenda_max_kb = 1\nattachment_max_kb = 2\n"
	    "attachments_total_max_kb = 3\n");
	return 0;
}

/* A document from Ana with files of these sizes (KiB), "f<i>.pdf". */
static char *
document(const char *msgid, const int *kib, size_t n)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;
	int k;

	buf_addf(&b, "From: Ana <ana@mides.example.uy>\r\n"
	    "To: agenda@example.org\r\nSubject: [ss] document\r\n"
	    "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
	    "Documentos.\r\n", msgid);
	for (i = 0; i < n; i++) {
		buf_addf(&b, "--b\r\nContent-Type: application/pdf\r\n"
		    "Content-Disposition: attachment; filename=\"f%zu.pdf\"\r\n"
		    "\r\n", i + 1);
		for (k = 0; k < kib[i] * 16; k++)
			buf_adds(&b, "%PDF-1.4 pretend line of sixty-four bytes...."
			    ".............\r\n");
	}
	buf_adds(&b, "--b--\r\n");
	return with_token(cur, buf_detach(&b), TOKEN_GROUP, "ss");
}

static void
sql(struct tl_ws *fx, const char *text)
{
	char *path = xasprintf("%s/state.db", fx->dir);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

/* A message that fails on its own, the same way, cycle after cycle (here
 * a trigger refuses its document): counted, and the third time put in
 * quarantine, the admin told once; nothing of it is left in the
 * repository, and the messages after it apply. */
static void
test_poison_quarantined(void **state)
{
	struct tl_ws *fx = *state;
	static const int one[] = { 1 };
	char *poison = document("poison@uy", one, 1);
	char *good = document("good@uy", one, 1), *log, *text, *err = NULL;
	int count = 0, q = 0, told = 0;

	sql(fx, "CREATE TRIGGER poison BEFORE INSERT ON documents"
	    " WHEN NEW.message_id = 'poison@uy'"
	    " BEGIN SELECT RAISE(ABORT, 'poisoned'); END");
	tl_log_begin(fx);
	assert_int_equal(apply(fx, poison, "2021-03-02 10:00"), INBOX_FAILED);
	assert_int_equal(apply(fx, good, "2021-03-02 10:00"), INBOX_APPLIED);
	assert_int_equal(apply(fx, poison, "2021-03-02 10:05"), INBOX_FAILED);
	assert_int_equal(apply(fx, poison, "2021-03-02 10:10"),
	    INBOX_QUARANTINE);
	log = tl_log_end(fx);
	assert_int_equal(tl_count(log, "poison@uy: cannot apply plain from "
	    "ana@mides.example.uy (failure 1 of 3 in a row): "), 1);
	assert_int_equal(tl_count(log, "poisoned"), 3);
	assert_int_equal(tl_count(log, "tried again next cycle"), 2);
	assert_int_equal(tl_count(log, "poison@uy: cannot apply plain from "
	    "ana@mides.example.uy, 3 cycles running: "), 1);
	assert_int_equal(tl_count(log, "put in quarantine (Quarantine)"), 1);
	free(log);
	assert_int_equal(tl_outbox_count(fx, NULL, "quarantine-notice",
	    "admin@example.org"), 1);
	text = tl_outbox_text(fx, "quarantine-notice", "admin@example.org");
	assert_non_null(strstr(text, "poison@uy"));
	assert_non_null(strstr(text, "Quarantine"));
	assert_non_null(strstr(text, "3 veces seguidas"));
	free(text);
	/* Found again where it was (the move failed): quarantined again,
	 * told no more. */
	assert_int_equal(apply(fx, poison, "2021-03-02 10:15"),
	    INBOX_QUARANTINE);
	assert_int_equal(tl_outbox_count(fx, NULL, "quarantine-notice", NULL),
	    1);
	assert_int_equal(store_inbound_failures(fx->st, "poison@uy", &count,
	    &q, &told, &err), 1);
	assert_int_equal(count, 3);
	assert_true(q && told);
	/* Never recorded as processed, one item in the repository. */
	assert_int_equal(store_inbound_seen(fx->st, "poison@uy", &text, &err),
	    0);
	assert_int_equal(tl_count_files(fx->dir, "repo/ss"), 3);
	free(poison);
	free(good);
}

/* An agenda over [policy] agenda_max_kb: refused with a reply to its
 * sender; the meeting's agenda stays as it was. */
static void
test_agenda_too_long(void **state)
{
	struct tl_ws *fx = *state;
	struct store_plan_meeting r;
	struct buf b = BUF_INIT(BUF_OWN);
	char *m, *text, *err = NULL;
	int i;

	for (i = 0; i < 40; i++)
		buf_addf(&b, "%d. A point to discuss at some length\r\n", i + 1);
	m = agenda_reply("luis@cepal.example.org", buf_str(&b), "long@cl");
	assert_int_equal(apply(fx, m, "2021-03-11 10:00"), INBOX_APPLIED);
	free(m);
	buf_release(&b);
	assert_int_equal(tl_outbox_count(fx, NULL, "agenda-refused", NULL), 1);
	text = tl_outbox_text(fx, "agenda-refused", "luis@cepal.example.org");
	assert_non_null(strstr(text, "Length received:  2 KB"));
	assert_non_null(strstr(text, "Longest accepted: 1 KB"));
	assert_non_null(strstr(text, "[ss] document"));
	free(text);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_meeting_get(fx->st, UID, &r, &err), 1);
	assert_false(r.agenda_confirmed);
	assert_int_equal(r.content_seq, 0);
	store_plan_meeting_clear(&r);
	/* A short one is taken. */
	m = agenda_reply("luis@cepal.example.org", "1. Short\r\n", "short@cl");
	assert_int_equal(apply(fx, m, "2021-03-11 10:00"), INBOX_APPLIED);
	free(m);
	assert_int_equal(store_meeting_get(fx->st, UID, &r, &err), 1);
	assert_string_equal(r.agenda, "1. Short");
	store_plan_meeting_clear(&r);
}

/* Attachments over the caps (2 KiB each, 3 KiB together, in order) are
 * neither archived nor sent on; the coordinators are told which. */
static void
test_attachments_capped(void **state)
{
	struct tl_ws *fx = *state;
	static const int kib[] = { 1, 3, 1, 2, 1 };
	char *m = document("caps@uy", kib, 5), *text, *p;
	struct stat sb;

	assert_int_equal(apply(fx, m, "2021-03-02 10:00"), INBOX_APPLIED);
	free(m);
	/* f1 (1) and f3 (1) and f5 (1) fit; f2 is over 2, f4 over the
	 * total once f1 and f3 are in. */
	p = xasprintf("%s/repo/ss/2021/2021-03-02-document", fx->dir);
	assert_int_equal(tl_count_files(fx->dir, "repo/ss/2021/2021-03-02-document"),
	    5);
	free(p);
	p = xasprintf("%s/repo/ss/2021/2021-03-02-document/f2.pdf", fx->dir);
	assert_int_not_equal(stat(p, &sb), 0);
	free(p);
	assert_int_equal(tl_outbox_count(fx, NULL, "files-refused", NULL), 2);
	text = tl_outbox_text(fx, "files-refused", "luis@cepal.example.org");
	assert_non_null(strstr(text, "  f2.pdf (3 KB)\r\n  f4.pdf (2 KB)\r\n"));
	assert_non_null(strstr(text, "at most 2 KB"));
	assert_non_null(strstr(text, "at most 3 KB"));
	assert_non_null(strstr(text, "  document.txt\r\n  f1.pdf\r\n  f3.pdf"
	    "\r\n  f5.pdf\r\n"));
	assert_non_null(strstr(text, "caps@uy"));
	free(text);
}

/* A message over [imap] max_message_kb is never parsed: quarantined, and
 * the coordinators of the group it is about told when a member sent it,
 * the admin when a stranger did; once each. */
static void
test_too_big(void **state)
{
	struct tl_ws *fx = *state;
	static const char member[] = "From: Ana <ana@mides.example.uy>\r\n"
	    "Subject: [ss] acta de marzo\r\nMessage-ID: <big@uy>\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n";
	static const char stranger[] = "From: x@spam.example\r\n"
	    "Subject: [ss] acta\r\n\r\nbody";
	char *err = NULL, *text;

	assert_int_equal(inbox_too_big(fx->cfg, fx->st,
	    tl_utc("2021-03-02 10:00"), member, sizeof member - 1, 30u << 20,
	    "INBOX", 7, 4, &err), INBOX_QUARANTINE);
	free(err);
	err = NULL;
	assert_int_equal(tl_outbox_count(fx, "ss", "quarantine-notice", NULL),
	    2);
	text = tl_outbox_text(fx, "quarantine-notice", "luis@cepal.example.org");
	assert_non_null(strstr(text, "It is 30720 KB, more than the 10240 KB "
	    "accepted"));
	assert_non_null(strstr(text, "big@uy"));
	free(text);
	assert_int_equal(inbox_too_big(fx->cfg, fx->st,
	    tl_utc("2021-03-02 10:05"), member, sizeof member - 1, 30u << 20,
	    "INBOX", 7, 4, &err), INBOX_QUARANTINE);
	free(err);
	err = NULL;
	assert_int_equal(inbox_too_big(fx->cfg, fx->st,
	    tl_utc("2021-03-02 10:05"), stranger, sizeof stranger - 1,
	    11u << 20, "Junk", 9, 1, &err), INBOX_QUARANTINE);
	free(err);
	assert_int_equal(tl_outbox_count(fx, NULL, "quarantine-notice", NULL),
	    3);
	assert_int_equal(tl_outbox_count(fx, NULL, "quarantine-notice",
	    "admin@example.org"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rsvp,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_rsvp,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_new_time_forwarded,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_counter_shows_proposal,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_counter_length,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_apple_proposal,
		    setup_paris, tl_teardown),
		cmocka_unit_test_setup_teardown(test_plain_move_request,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_alias_answer,
		    setup_aliases, tl_teardown),
		cmocka_unit_test_setup_teardown(test_delegation,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_delegation_bounded,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_rsvp_verdict,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_verp_bounce,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_delay,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_bounce,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_agenda,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_agenda_reply_to_our_id,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_minutes,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_ignored_kinds,
		    setup_planned, tl_teardown),
		cmocka_unit_test(test_unquoted),
		cmocka_unit_test_setup_teardown(test_forged_agenda_held,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_record_needs_authentication,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_hold_bounds,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_rsvp_proof,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_future_dtstamp,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_counter_flood,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_program_as_minutes,
		    setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_poison_quarantined,
		    setup_caps, tl_teardown),
		cmocka_unit_test_setup_teardown(test_agenda_too_long,
		    setup_caps, tl_teardown),
		cmocka_unit_test_setup_teardown(test_attachments_capped,
		    setup_caps, tl_teardown),
		cmocka_unit_test_setup_teardown(test_too_big,
		    setup_caps, tl_teardown),
	};
	int rc = cmocka_run_group_tests_name("inbox", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

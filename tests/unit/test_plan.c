/* Unit tests for plan.c: UIDs and SEQUENCE numbers across the life of a
 * meeting, read from the calendars in the outbox (no SMTP here: the
 * integration test sends for real). */
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

#include "classify.h"
#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "msgid.h"
#include "plan.h"
#include "store.h"
#include "testlib.h"
#include "token.h"
#include "util.h"

static const char member_ana[] =
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n";
static const char member_luis[] =
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\nlanguage = en\n";
static const char member_kim[] =
	"[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n";

static void
put_group(struct tl_ws *fx, const char *members, const char *series)
{
	char *text = xasprintf("[group]\nid = ss\nname = Sur-Sur\n"
	    "kind = discussion\ntimezone = America/Montevideo\n%s%s", members,
	    series);

	tl_ws_group(fx, "10-ss.ini", text);
	free(text);
}

static const char monthly[] =
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\ninvitation = occurrence\n"
	"location = https://meet.example.org/a\n";
static const char monthly_moved_room[] =
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\ninvitation = occurrence\n"
	"location = https://meet.example.org/b\n";

static int
setup(void **state)
{
	return tl_setup_ws(state, NULL);
}

/* Plan as if it were `when`; return the rows queued since the last call. */
static struct store_outbox *
plan(struct tl_ws *fx, const char *when, size_t *n)
{
	int queued = tl_step(fx, "plan", plan_group, when);
	struct store_outbox *v = tl_outbox_new(fx, n);

	assert_int_equal(*n, queued);
	return v;
}

static const struct store_outbox *
to(const struct store_outbox *v, size_t n, const char *rcpt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].recipient, rcpt) == 0)
			return &v[i];
	return NULL;
}

/* The calendar inside the queued message: its METHOD and the SEQUENCE
 * the attendee's client will compare. */
static void
has_seq(const struct store_outbox *o, int seq, const char *method)
{
	struct verdict *v = NULL;

	assert_non_null(o);
	assert_int_equal(classify(o->data, o->len, &v), 0);
	assert_non_null(v->itip);
	assert_string_equal(v->itip->method, method);
	assert_int_equal(v->itip->nev, 1);
	assert_string_equal(v->itip->ev[0].uid, o->meeting_uid);
	assert_int_equal(v->itip->ev[0].sequence, seq);
	verdict_free(v);
}

/* The life of the March meeting, one planning run a step: who is in the
 * group, where the series meets, and what the run queues. */
enum { ANA = 1, LUIS = 2, KIM = 4 };
static const struct life_step {
	int          members;
	const char  *series, *now;
	size_t       n;             /* rows queued, all for the March meeting */
	struct {
		const char *to, *kind, *method;
		int         seq;
	} rows[2];                  /* rows looked at closely; to NULL: none */
} life[] = {
	/* 16 days before the March meeting: three invitations, SEQUENCE 0,
	 * the UID made of group, series and local date. */
	{ ANA | LUIS | KIM, monthly, "2021-03-01 12:00", 3,
	  { { "ana@mides.example.uy", "invite", "REQUEST", 0 },
	    { "kim@gov.example.bb", "invite", "REQUEST", 0 } } },
	/* Planning again queues nothing. */
	{ ANA | LUIS | KIM, monthly, "2021-03-01 12:00", 0, { { NULL } } },
	/* A new room: SEQUENCE 1 to all three, as an update. */
	{ ANA | LUIS | KIM, monthly_moved_room, "2021-03-02 12:00", 3,
	  { { "kim@gov.example.bb", "update", "REQUEST", 1 },
	    { "luis@cepal.example.org", "update", "REQUEST", 1 } } },
	/* Kim leaves: one CANCEL, to Kim, SEQUENCE 2. */
	{ ANA | LUIS, monthly_moved_room, "2021-03-03 12:00", 1,
	  { { "kim@gov.example.bb", "cancel", "CANCEL", 2 } } },
	/* Kim comes back: her REQUEST must outrank the CANCEL she holds;
	 * nobody else is mailed. */
	{ ANA | LUIS | KIM, monthly_moved_room, "2021-03-04 12:00", 1,
	  { { "kim@gov.example.bb", "invite", "REQUEST", 3 } } },
	/* The series goes: every attendee gets a CANCEL above all that. */
	{ ANA | LUIS | KIM, "", "2021-03-05 12:00", 3,
	  { { "ana@mides.example.uy", "cancel", "CANCEL", 4 },
	    { "kim@gov.example.bb", "cancel", "CANCEL", 4 } } },
	/* And stays gone. */
	{ ANA | LUIS | KIM, "", "2021-03-06 12:00", 0, { { NULL } } },
};

static void
test_uid_and_sequence_life(void **state)
{
	const char *const text[] = { member_ana, member_luis, member_kim };
	struct tl_ws *fx = *state;
	const struct life_step *l;
	const struct store_outbox *o;
	struct store_outbox *v;
	struct buf members = BUF_INIT(BUF_OWN);
	size_t n, i, m;

	for (l = life; l < life + sizeof life / sizeof life[0]; l++) {
		buf_reset(&members);
		for (m = 0; m < 3; m++)
			if (l->members & 1 << m)
				buf_adds(&members, text[m]);
		put_group(fx, buf_str(&members), l->series);
		v = plan(fx, l->now, &n);
		assert_int_equal(n, l->n);
		for (i = 0; i < n; i++)
			assert_string_equal(v[i].meeting_uid,
			    "ss-monthly-20210317@example.org");
		for (i = 0; i < 2 && l->rows[i].to != NULL; i++) {
			o = to(v, n, l->rows[i].to);
			has_seq(o, l->rows[i].seq, l->rows[i].method);
			assert_string_equal(o->kind, l->rows[i].kind);
		}
		store_outbox_free(v, n);
	}
	buf_release(&members);
}

/* Not yet inside the invitation window: meetings are planned, nobody is
 * mailed; the lead time later brings exactly the due ones. */
static void
test_lead_time(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	size_t n;

	put_group(fx, member_ana, monthly);
	v = plan(fx, "2021-02-20 12:00", &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
	/* 17 March 18:00Z minus 21 days is 24 February 18:00Z. */
	v = plan(fx, "2021-02-24 17:59", &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
	v = plan(fx, "2021-02-24 18:00", &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].meeting_uid, "ss-monthly-20210317@example.org");
	store_outbox_free(v, n);
}

static const char ana_and_luis[] =
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n"
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\nlanguage = en\ntimezone = Europe/Madrid\n";
static const char monthly_later[] =
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 16:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\ninvitation = occurrence\n"
	"location = https://meet.example.org/a\n";

/* Luis's cancellation: his name, his language, his zone, and the time he
 * was invited to (15:00 in Montevideo, 19:00 in Madrid), even when the
 * meeting moved as he left. */
static void
luis_cancel_reads(struct tl_ws *fx)
{
	char *msg, *text;

	msg = tl_outbox_one(fx, "cancel", "luis@cepal.example.org");
	assert_non_null(strstr(msg, "\r\nTo: Luis <luis@cepal.example.org>"));
	free(msg);
	text = tl_outbox_text(fx, "cancel", "luis@cepal.example.org");
	if (strstr(text, "Wednesday 17 March 2021, 19:00 (Europe/Madrid") ==
	    NULL)
		fail_msg("not his language, zone or time:\n%s", text);
	assert_non_null(strstr(text, "Dear Luis,"));
	free(text);
}

/* A member removed while the meeting moves: the CANCEL carries the time
 * he was sent, in his own words. */
static void
test_removed_member_moved(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	size_t n;

	put_group(fx, ana_and_luis, monthly);
	v = plan(fx, "2021-03-01 12:00", &n);
	assert_int_equal(n, 2);
	store_outbox_free(v, n);
	put_group(fx, member_ana, monthly_later);
	v = plan(fx, "2021-03-02 12:00", &n);
	assert_int_equal(n, 2);         /* Ana's update, Luis's CANCEL */
	has_seq(to(v, n, "luis@cepal.example.org"), 1, "CANCEL");
	has_seq(to(v, n, "ana@mides.example.uy"), 2, "REQUEST");
	store_outbox_free(v, n);
	luis_cancel_reads(fx);
}

/* A member removed as the whole series goes. */
static void
test_removed_member_series_gone(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	size_t n;

	put_group(fx, ana_and_luis, monthly);
	v = plan(fx, "2021-03-01 12:00", &n);
	store_outbox_free(v, n);
	put_group(fx, member_ana, "");
	v = plan(fx, "2021-03-02 12:00", &n);
	assert_int_equal(n, 2);
	store_outbox_free(v, n);
	luis_cancel_reads(fx);
}

static const char open_seminar[] =
	"[series sem]\nsummary = Seminario\nkind = seminar\n"
	"start = 2021-03-17 15:00\nduration = 90\nopen = yes\n"
	"guests = maria@minsal.example.cl\n";
static const char closed_seminar_moved[] =
	"[series sem]\nsummary = Seminario\nkind = seminar\n"
	"start = 2021-03-18 15:00\nduration = 90\n";

/* The subject of the one row of kind to rcpt, decoded. */
static char *
subject_of(struct tl_ws *fx, const char *kind, const char *rcpt)
{
	struct verdict *v = NULL;
	char *data = tl_outbox_one(fx, kind, rcpt), *subj;

	assert_int_equal(classify(data, strlen(data), &v), 0);
	subj = xstrdup(v->msg->subject);
	verdict_free(v);
	free(data);
	return subj;
}

/* An open seminar cancelled because its series went, or because the
 * series now says another day and closed: open it was, and is said to
 * be; never "closed". */
static void
test_cancelled_open_seminar(void **state)
{
	static const char *const series[] = { "", closed_seminar_moved };
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	size_t n, i;
	char *subj;

	for (i = 0; i < 2; i++) {
		if (i > 0) {
			tl_ws_free(fx);
			tl_ws_init(fx, "seminar", NULL);
		}
		put_group(fx, ana_and_luis, open_seminar);
		v = plan(fx, "2021-03-01 12:00", &n);
		assert_int_equal(n, 3);
		store_outbox_free(v, n);
		put_group(fx, ana_and_luis, series[i]);
		v = plan(fx, "2021-03-02 12:00", &n);
		store_outbox_free(v, n);
		subj = subject_of(fx, "cancel", "luis@cepal.example.org");
		if (strncmp(subj, "Cancelled: open seminar", 23) != 0)
			fail_msg("subject [%s]", subj);
		free(subj);
		subj = subject_of(fx, "cancel", "ana@mides.example.uy");
		if (strncmp(subj, "Cancelación: seminario de carácter abierto",
		    strlen("Cancelación: seminario de carácter abierto")) != 0)
			fail_msg("subject [%s]", subj);
		free(subj);
	}
}

/* The attendee's line of the calendar the row carries, unfolded. */
static char *
attendee_line(const struct store_outbox *o, const char *email)
{
	struct verdict *v = NULL;
	const char *p, *e;
	char *u, *line, *want = xasprintf("mailto:%s", email);
	struct buf b = BUF_INIT(BUF_OWN);

	assert_int_equal(classify(o->data, o->len, &v), 0);
	assert_non_null(v->msg);
	assert_true(v->msg->ncal > 0);
	for (p = v->msg->cal[0].text; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
			p += 2;
			continue;
		}
		buf_addc(&b, *p);
	}
	u = buf_detach(&b);
	for (p = u; (p = strstr(p, "\nATTENDEE")) != NULL; p++) {
		e = strstr(p + 1, "\r\n");
		line = xstrndup(p + 1, (size_t)(e - p - 1));
		if (strstr(line, want) != NULL) {
			free(u);
			free(want);
			verdict_free(v);
			return line;
		}
		free(line);
	}
	fail_msg("no ATTENDEE %s", email);
	return NULL;
}

/* An update that keeps the answers (a new room) does not ask for them
 * again: RSVP=FALSE and the answer kept, in the calendar and in words;
 * it says what changed.  A new time asks again and says when it was. */
static void
test_update_keeps_answer(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	char *line, *text, *err = NULL;
	size_t n;

	put_group(fx, ana_and_luis, monthly);
	v = plan(fx, "2021-03-01 12:00", &n);
	store_outbox_free(v, n);
	assert_int_equal(store_invitation_reply(fx->st,
	    "ss-monthly-20210317@example.org", "luis@cepal.example.org",
	    "ACCEPTED", tl_utc("2021-03-01 13:00"), tl_utc("2021-03-01 13:00"),
	    &err), 1);
	put_group(fx, ana_and_luis, monthly_moved_room);
	v = plan(fx, "2021-03-02 12:00", &n);
	assert_int_equal(n, 2);
	line = attendee_line(to(v, n, "luis@cepal.example.org"),
	    "luis@cepal.example.org");
	if (strstr(line, "PARTSTAT=ACCEPTED") == NULL ||
	    strstr(line, "RSVP=FALSE") == NULL)
		fail_msg("answer not kept: %s", line);
	free(line);
	line = attendee_line(to(v, n, "luis@cepal.example.org"),
	    "ana@mides.example.uy");
	assert_non_null(strstr(line, "RSVP=TRUE"));
	free(line);
	store_outbox_free(v, n);
	text = tl_outbox_text(fx, "update", "luis@cepal.example.org");
	if (strstr(text, "no need to reply") == NULL ||
	    strstr(text, "(accepted)") == NULL ||
	    strstr(text, "https://meet.example.org/a") == NULL ||
	    strstr(text, "Accept and Decline") != NULL)
		fail_msg("update text:\n%s", text);
	free(text);

	/* Now an hour later: everyone is asked again, told the old time. */
	put_group(fx, ana_and_luis, "[series monthly]\nsummary = Mensual\n"
	    "start = 2021-02-17 16:00\nduration = 90\n"
	    "rrule = FREQ=MONTHLY;BYDAY=3WE\ninvitation = occurrence\n"
	    "location = https://meet.example.org/b\n");
	v = plan(fx, "2021-03-03 12:00", &n);
	assert_int_equal(n, 2);
	line = attendee_line(to(v, n, "luis@cepal.example.org"),
	    "luis@cepal.example.org");
	assert_non_null(strstr(line, "RSVP=TRUE"));
	assert_non_null(strstr(line, "PARTSTAT=NEEDS-ACTION"));
	free(line);
	{
		struct verdict *vd = NULL;

		classify(to(v, n, "luis@cepal.example.org")->data,
		    to(v, n, "luis@cepal.example.org")->len, &vd);
		if (strstr(vd->msg->text, "(it was Wednesday 17 March 2021, 19:00") == NULL ||
		    strstr(vd->msg->text, "Accept and Decline") == NULL)
			fail_msg("moved update text:\n%s", vd->msg->text);
		verdict_free(vd);
	}
	store_outbox_free(v, n);
}

#define MARCH "ss-monthly-20210317@example.org"

/* The value of header name in a queued message, or NULL. */
static char *
header_of(const struct store_outbox *o, const char *name)
{
	char *want = xasprintf("\r\n%s: ", name), *p, *end, *v = NULL;

	if ((p = strstr(o->data, want)) != NULL) {
		p += strlen(want);
		end = strstr(p, "\r\n");
		v = xstrndup(p, (size_t)(end - p));
	}
	free(want);
	return v;
}

/* What rcpt's message of v says they answer: ORGANIZER, Reply-To (NULL
 * when none) and the Message-ID's token. */
struct answer {
	char *organizer, *reply_to;
	char  token[MSGID_TOKEN_MAX + 1];
};

static void
answer_of(const struct store_outbox *v, size_t n, const char *rcpt,
    struct answer *a)
{
	const struct store_outbox *o = to(v, n, rcpt);
	struct verdict *vd = NULL;
	struct msgid id;

	assert_non_null(o);
	assert_int_equal(classify(o->data, o->len, &vd), 0);
	assert_non_null(vd->itip);
	a->organizer = xstrdup(vd->itip->ev[0].organizer);
	verdict_free(vd);
	a->reply_to = header_of(o, "Reply-To");
	assert_int_equal(msgid_parse(o->message_id, "example.org", &id), 0);
	snprintf(a->token, sizeof a->token, "%s", id.token);
}

static void
answer_clear(struct answer *a)
{
	free(a->organizer);
	free(a->reply_to);
}

/* The global file with [trust] tokens set to on, as loaded next. */
static void
set_tokens(struct tl_ws *fx, int on)
{
	char *text = tl_slurp(fx->global, NULL), *p;

	if ((p = strstr(text, "[trust]")) != NULL)
		*p = '\0';
	p = xasprintf("%s[trust]\ntokens = %s\n", text, on ? "yes" : "no");
	tl_write(fx->global, p, 0644);
	free(p);
	free(text);
}

/* Each attendee answers the address with their own token for the
 * meeting, the same in ORGANIZER, Reply-To and Message-ID, and the same
 * in every update (clients match updates by it); once the meeting's
 * invitations name the plain address, they always do. */
/* Ana's answer in the update that series, planned at when, sends both. */
static void
update_answer(struct tl_ws *fx, const char *members, const char *series,
    const char *when, struct answer *a)
{
	struct store_outbox *v;
	size_t n;

	put_group(fx, members, series);
	v = plan(fx, when, &n);
	assert_int_equal(n, 2);
	answer_of(v, n, "ana@mides.example.uy", a);
	store_outbox_free(v, n);
}

static void
test_reply_addresses(void **state)
{
	struct tl_ws *fx = *state;
	struct store_outbox *v;
	struct store_plan_meeting m;
	struct answer ana, kim, again;
	char tok[TOKEN_LEN + 1], *want, *err = NULL;
	char *both = xasprintf("%s%s", member_ana, member_kim);
	size_t n;

	put_group(fx, both, monthly);
	v = plan(fx, "2021-03-01 12:00", &n);
	assert_int_equal(n, 2);
	answer_of(v, n, "ana@mides.example.uy", &ana);
	answer_of(v, n, "kim@gov.example.bb", &kim);
	store_outbox_free(v, n);
	token_build(&fx->cfg->trust_key, TOKEN_MEETING, MARCH,
	    "ana@mides.example.uy", tok);
	want = xasprintf("agenda+%s@example.org", tok);
	assert_string_equal(ana.organizer, want);
	free(want);
	/* With the organizer's name, "Secretaría" in an encoded-word. */
	want = xasprintf("=?UTF-8?Q?Secretar=C3=ADa?= <agenda+%s@example.org>",
	    tok);
	assert_string_equal(ana.reply_to, want);
	free(want);
	assert_string_equal(ana.token, tok);
	assert_string_not_equal(kim.token, ana.token);
	assert_true(strstr(kim.organizer, kim.token) != NULL);
	assert_true(token_verify(&fx->cfg->trust_key, TOKEN_MEETING, MARCH,
	    "kim@gov.example.bb", kim.token));
	assert_false(token_verify(&fx->cfg->trust_key, TOKEN_MEETING, MARCH,
	    "ana@mides.example.uy", kim.token));

	/* An update: the same ORGANIZER, Reply-To and token. */
	update_answer(fx, both, monthly_moved_room, "2021-03-02 12:00", &again);
	assert_string_equal(again.organizer, ana.organizer);
	assert_string_equal(again.reply_to, ana.reply_to);
	assert_string_equal(again.token, ana.token);
	answer_clear(&again);

	/* tokens = no: no plus address anywhere, the Message-ID's token
	 * still the secret; the meeting is marked for good. */
	set_tokens(fx, 0);
	update_answer(fx, both, monthly, "2021-03-03 12:00", &again);
	assert_string_equal(again.organizer, "agenda@example.org");
	assert_null(again.reply_to);
	assert_string_equal(again.token, ana.token);
	answer_clear(&again);
	assert_int_equal(store_meeting_get(fx->st, MARCH, &m, &err), 1);
	assert_int_equal(m.plain_organizer, 1);
	store_plan_meeting_clear(&m);

	set_tokens(fx, 1);
	update_answer(fx, both, monthly_moved_room, "2021-03-04 12:00", &again);
	assert_string_equal(again.organizer, "agenda@example.org");
	assert_null(again.reply_to);
	answer_clear(&again);
	answer_clear(&ana);
	answer_clear(&kim);
	free(both);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uid_and_sequence_life,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_lead_time, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_removed_member_moved,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_removed_member_series_gone,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_open_seminar,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_update_keeps_answer,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_reply_addresses, setup,
		    tl_teardown),
	};
	int rc = cmocka_run_group_tests_name("plan", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

/* Unit tests for letter.c and notice.c: who reads a letter (name,
 * language, zone) for a member, a guest, the admin and anyone else; one
 * message per kind, meeting, recipient and ref; notices once, to whom
 * they belong. */
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
#include "letter.h"
#include "msgid.h"
#include "notice.h"
#include "plan.h"
#include "store.h"
#include "template.h"
#include "testlib.h"
#include "token.h"
#include "util.h"

#define UID "ss-monthly-20210317@example.org"

static const char group[] =
	"[group]\nid = ss\nname = Sur-Sur\nkind = discussion\nlanguage = pt\n"
	"timezone = America/Montevideo\n"
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n"
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\nlanguage = en\ntimezone = Europe/Madrid\n"
	"[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n"
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n"
	"timezone = America/Bogota\nopen = yes\n"
	"guests = maria@minsal.example.cl, jo@ilo.example.org\n"
	"[guest jo@ilo.example.org]\nname = Jo Smith\nlanguage = en\n"
	"timezone = Europe/Madrid\n";

static struct store_plan_meeting march;    /* the March meeting */

static int
setup(void **state)
{
	struct tl_ws *fx;
	char *err = NULL;

	tl_setup_ws(state, "[policy]\nadmin = admin@example.org\n");
	fx = *state;
	tl_ws_group(fx, "10-ss.ini", group);
	/* Planned before any invitation is due: meetings, no mail. */
	assert_int_equal(tl_step(fx, "plan", plan_group, "2021-01-01 12:00"),
	    0);
	assert_int_equal(store_meeting_get(fx->st, UID, &march, &err), 1);
	return 0;
}

static int
teardown(void **state)
{
	store_plan_meeting_clear(&march);
	return tl_teardown(state);
}

/* What vars_for was told about the last reader. */
static char seen_lang[8], seen_tz[64];

static void
capture(void *arg, struct letter_vars *lv, const char *lang, const char *tz)
{
	(void)arg;
	snprintf(seen_lang, sizeof seen_lang, "%s", lang);
	snprintf(seen_tz, sizeof seen_tz, "%s", tz);
	letter_vars_add(lv, "tag", "[ss]");
}

static int
queue(struct tl_ws *fx, struct letter *l)
{
	char *err = NULL;
	int rc;

	rc = letter_queue(fx->cfg, fx->st, l, tl_utc("2021-03-10 12:00"),
	    &err);
	if (rc == -1) {
		assert_non_null(err);
		free(err);
	}
	return rc;
}

/* One reader: queue an agenda request to `to` and check what letter.c
 * made of them. */
static void
reads(struct tl_ws *fx, const char *to, const char *lang, const char *tz,
    const char *to_header, const char *subject_start)
{
	struct verdict *v = NULL;
	struct letter l;
	char *data, *when;

	memset(&l, 0, sizeof l);
	l.kind = "agenda-request";
	l.group = &fx->cfg->groups[0];
	l.meeting = &march;
	l.to = to;
	l.vars_for = capture;
	assert_int_equal(queue(fx, &l), 1);
	assert_string_equal(seen_lang, lang);
	assert_string_equal(seen_tz, tz);
	data = tl_outbox_one(fx, "agenda-request", to);
	assert_non_null(strstr(data, to_header));
	classify(data, strlen(data), &v);
	assert_non_null(v->msg);
	assert_true(strncmp(v->msg->subject, subject_start,
	    strlen(subject_start)) == 0);
	/* The meeting's time in the reader's zone and words. */
	when = template_when(lang, march.start, tz);
	assert_non_null(strstr(v->msg->text, when));
	free(when);
	verdict_free(v);
	free(data);
}

static void
test_readers(void **state)
{
	struct tl_ws *fx = *state;

	/* A member without language or zone: the group's. */
	reads(fx, "ana@mides.example.uy", "pt", "America/Montevideo",
	    "\r\nTo: Ana <ana@mides.example.uy>\r\n", "Confirmação da pauta");
	/* A member with their own. */
	reads(fx, "luis@cepal.example.org", "en", "Europe/Madrid",
	    "\r\nTo: Luis <luis@cepal.example.org>\r\n",
	    "Agenda for confirmation");
	/* A guest of the open series: the group's language and zone, no
	 * name; or those of their [guest] section. */
	reads(fx, "maria@minsal.example.cl", "pt", "America/Montevideo",
	    "\r\nTo: <maria@minsal.example.cl>\r\n", "Confirmação da pauta");
	reads(fx, "jo@ilo.example.org", "en", "Europe/Madrid",
	    "\r\nTo: Jo Smith <jo@ilo.example.org>\r\n",
	    "Agenda for confirmation");
	/* The admin: the daemon's language and zone. */
	reads(fx, "admin@example.org", "es", "America/Santiago",
	    "\r\nTo: <admin@example.org>\r\n",
	    "Confirmación del orden del día");
	/* Anyone else (an attendee who left): the group's language, the
	 * series' zone. */
	reads(fx, "gone@example.net", "pt", "America/Bogota",
	    "\r\nTo: <gone@example.net>\r\n", "Confirmação da pauta");
}

/* Kind, meeting, recipient and ref make one message: queueing it again
 * queues nothing. */
static void
test_once(void **state)
{
	struct tl_ws *fx = *state;
	struct letter l;
	struct msgid id;
	char *data;

	memset(&l, 0, sizeof l);
	l.kind = "counter-notice";
	l.group = &fx->cfg->groups[0];
	l.meeting = &march;
	l.to = "ana@mides.example.uy";
	l.ref = "reply-1@gov.example.bb";
	assert_int_equal(queue(fx, &l), 1);
	assert_int_equal(queue(fx, &l), 0);
	data = tl_outbox_one(fx, "counter-notice", "ana@mides.example.uy");
	free(data);
	/* Another ref, another recipient, another kind: each its own. */
	l.ref = "reply-2@gov.example.bb";
	assert_int_equal(queue(fx, &l), 1);
	l.to = "luis@cepal.example.org";
	assert_int_equal(queue(fx, &l), 1);
	l.kind = "minutes-notice";
	assert_int_equal(queue(fx, &l), 1);
	assert_int_equal(queue(fx, &l), 0);

	/* Its Message-ID says what it is, for the replies to come. */
	data = tl_outbox_one(fx, "minutes-notice", "luis@cepal.example.org");
	{
		const char *p = strstr(data, "\r\nMessage-ID: <") + 15;
		char *mid = xstrndup(p, strcspn(p, ">"));

		assert_int_equal(msgid_parse(mid, "example.org", &id), 0);
		assert_string_equal(id.kind, "minutes-notice");
		assert_string_equal(id.group, "ss");
		assert_string_equal(id.uid, UID);
		free(mid);
	}
	free(data);
}

/* A template that cannot be rendered queues nothing. */
static void
test_refused(void **state)
{
	struct tl_ws *fx = *state;
	struct letter l;
	char *err = NULL;

	memset(&l, 0, sizeof l);
	l.kind = "no-such-kind";
	l.group = &fx->cfg->groups[0];
	l.to = "ana@mides.example.uy";
	l.ref = "x";
	assert_int_equal(letter_queue(fx->cfg, fx->st, &l,
	    tl_utc("2021-03-10 12:00"), &err), -1);
	assert_non_null(err);
	free(err);
	assert_int_equal(tl_outbox_count(fx, NULL, NULL, NULL), 0);

	/* Without the reply-token key nothing is written: never a letter
	 * with a token anyone could make. */
	l.kind = "rule-warning";
	token_key_wipe(&fx->cfg->trust_key);
	err = NULL;
	assert_int_equal(letter_queue(fx->cfg, fx->st, &l,
	    tl_utc("2021-03-10 12:00"), &err), -1);
	assert_string_equal(err, "cannot write rule-warning to "
	    "ana@mides.example.uy: no reply-token key loaded");
	free(err);
	assert_int_equal(tl_outbox_count(fx, NULL, NULL, NULL), 0);
}

/* A letter about a group, not a meeting: the token is the reader's for
 * the group, in the Reply-To and the Message-ID. */
static void
test_group_token(void **state)
{
	struct tl_ws *fx = *state;
	struct letter l;
	char *err = NULL, *data, *want, tok[TOKEN_LEN + 1];

	memset(&l, 0, sizeof l);
	l.kind = "rule-warning";
	l.group = &fx->cfg->groups[0];
	l.to = "kim@gov.example.bb";
	l.ref = "k";
	assert_int_equal(letter_queue(fx->cfg, fx->st, &l,
	    tl_utc("2021-03-10 12:00"), &err), 1);
	token_build(&fx->cfg->trust_key, TOKEN_GROUP, "ss",
	    "kim@gov.example.bb", tok);
	data = tl_outbox_one(fx, "rule-warning", "kim@gov.example.bb");
	want = xasprintf("\r\nReply-To: =?UTF-8?Q?Secretar=C3=ADa?= "
	    "<agenda+%s@example.org>\r\n", tok);
	assert_non_null(strstr(data, want));
	free(want);
	want = xasprintf("\r\nMessage-ID: <cv1.rule-warning.ss.-.%08x.%s@"
	    "example.org>\r\n", str_hash32("k"), tok);
	assert_non_null(strstr(data, want));
	free(want);
	free(data);
}

static void
subject_is(struct tl_ws *fx, const char *kind, const char *rcpt,
    const char *subject)
{
	struct verdict *v = NULL;
	char *data = tl_outbox_one(fx, kind, rcpt);

	classify(data, strlen(data), &v);
	assert_non_null(v->msg);
	assert_string_equal(v->msg->subject, subject);
	verdict_free(v);
	free(data);
}

/* A notice goes to the coordinators and, when asked, to the admin, once;
 * the bounce step does not tell an address about itself. */
static void
test_notices(void **state)
{
	struct tl_ws *fx = *state;
	struct cycle_stats cs;
	struct cycle_ctx c;
	struct notice n;
	char *err = NULL, *data;

	memset(&cs, 0, sizeof cs);
	c = (struct cycle_ctx){ fx->cfg, fx->st,
	    tl_utc("2021-03-10 12:00"), &cs, NULL, NULL };
	memset(&n, 0, sizeof n);
	n.letter.kind = "rule-warning";
	n.letter.group = &fx->cfg->groups[0];
	n.letter.ref = "rule-0123456789abcdef";
	n.copy_admin = 1;
	assert_int_equal(notice_queue(&c, &n, &err), 1);
	assert_int_equal(cs.queued, 3);
	assert_int_equal(notice_queue(&c, &n, &err), 0);
	assert_int_equal(cs.queued, 3);
	/* Each in their language: the admin in the daemon's. */
	subject_is(fx, "rule-warning", "admin@example.org",
	    "«Sur-Sur»: la coordinación no cumple el plan de trabajo");
	subject_is(fx, "rule-warning", "ana@mides.example.uy",
	    "«Sur-Sur»: a coordenação não cumpre o plano de trabalho");
	subject_is(fx, "rule-warning", "luis@cepal.example.org",
	    "“Sur-Sur”: coordination does not meet the plan of work");

	/* Luis's address bounces: Ana hears of it, once; Luis does not. */
	assert_int_equal(store_bounce_record(fx->st, "luis@cepal.example.org",
	    "5.1.1", 1, c.now, &err), 0);
	assert_int_equal(cycle_groups(&c, "bounces", notice_bounces, &err), 0);
	assert_int_equal(tl_outbox_count(fx, NULL, "bounce-notice", NULL), 1);
	data = tl_outbox_one(fx, "bounce-notice", "ana@mides.example.uy");
	assert_non_null(strstr(data, "luis@cepal.example.org"));
	assert_non_null(strstr(data, "5.1.1"));
	free(data);
	assert_int_equal(cycle_groups(&c, "bounces", notice_bounces, &err), 0);
	assert_int_equal(tl_outbox_count(fx, NULL, "bounce-notice", NULL), 1);
	assert_int_equal(cs.groups_failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_readers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_token, setup,
		    teardown),
	};
	int rc = cmocka_run_group_tests_name("letter", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

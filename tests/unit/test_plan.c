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
#include "plan.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

struct fx {
	struct tl_ws ws;
	long long seen;         /* outbox rows already looked at */
};

static const char member_ana[] =
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n";
static const char member_luis[] =
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\nlanguage = en\n";
static const char member_kim[] =
	"[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n";

static void
put_group(struct fx *fx, const char *members, const char *series)
{
	char *text = xasprintf("[group]\nid = ss\nname = Sur-Sur\n"
	    "kind = discussion\ntimezone = America/Montevideo\n%s%s", members,
	    series);

	tl_ws_group(&fx->ws, "10-ss.ini", text);
	free(text);
}

static const char monthly[] =
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n"
	"location = https://meet.example.org/a\n";
static const char monthly_moved_room[] =
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n"
	"location = https://meet.example.org/b\n";

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);

	tl_ws_init(&fx->ws, "plan", NULL);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	tl_ws_free(&fx->ws);
	free(fx);
	return 0;
}

/* Plan at now; return the rows queued since the last call. */
static struct store_outbox *
plan(struct fx *fx, long long now, size_t *n)
{
	struct store_outbox *rows = NULL, *fresh;
	struct cycle_stats cs;
	struct cycle_ctx c = { fx->ws.cfg, fx->ws.st, now, &cs };
	char *err = NULL;
	size_t nrows = 0, i, k = 0;

	memset(&cs, 0, sizeof cs);
	assert_int_equal(cycle_groups(&c, "plan", plan_group, &err), 0);
	assert_int_equal(cs.groups_failed, 0);
	/* Every row is due at its creation time; read them all. */
	assert_int_equal(store_outbox_due(fx->ws.st, now, 100000, &rows, &nrows,
	    &err), 0);
	fresh = xcalloc(nrows + 1, sizeof *fresh);
	for (i = 0; i < nrows; i++) {
		if (rows[i].id <= fx->seen)
			continue;
		fresh[k] = rows[i];
		memset(&rows[i], 0, sizeof rows[i]);
		k++;
	}
	for (i = 0; i < k; i++)
		if (fresh[i].id > fx->seen)
			fx->seen = fresh[i].id;
	store_outbox_free(rows, nrows);
	*n = k;
	return fresh;
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
	classify(o->data, o->len, &v);
	assert_non_null(v->itip);
	assert_string_equal(v->itip->method, method);
	assert_int_equal(v->itip->nev, 1);
	assert_string_equal(v->itip->ev[0].uid, o->meeting_uid);
	assert_int_equal(v->itip->ev[0].sequence, seq);
	verdict_free(v);
}

static void
test_uid_and_sequence_life(void **state)
{
	struct fx *fx = *state;
	struct store_outbox *v;
	char members[512];
	size_t n;

	snprintf(members, sizeof members, "%s%s%s", member_ana, member_luis,
	    member_kim);
	put_group(fx, members, monthly);

	/* 16 days before the March meeting: three invitations, SEQUENCE 0,
	 * the UID made of group, series and local date. */
	v = plan(fx, tl_utc("2021-03-01 12:00"), &n);
	assert_int_equal(n, 3);
	has_seq(to(v, n, "ana@mides.example.uy"), 0, "REQUEST");
	assert_string_equal(v[0].meeting_uid, "ss-monthly-20210317@example.org");
	assert_string_equal(v[0].kind, "invite");
	store_outbox_free(v, n);

	/* Planning again queues nothing. */
	v = plan(fx, tl_utc("2021-03-01 12:00"), &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);

	/* A new room: SEQUENCE 1 to all three, as an update. */
	put_group(fx, members, monthly_moved_room);
	v = plan(fx, tl_utc("2021-03-02 12:00"), &n);
	assert_int_equal(n, 3);
	has_seq(to(v, n, "kim@gov.example.bb"), 1, "REQUEST");
	assert_string_equal(to(v, n, "kim@gov.example.bb")->kind, "update");
	store_outbox_free(v, n);

	/* Kim leaves: one CANCEL, to Kim, SEQUENCE 2. */
	snprintf(members, sizeof members, "%s%s", member_ana, member_luis);
	put_group(fx, members, monthly_moved_room);
	v = plan(fx, tl_utc("2021-03-03 12:00"), &n);
	assert_int_equal(n, 1);
	has_seq(to(v, n, "kim@gov.example.bb"), 2, "CANCEL");
	store_outbox_free(v, n);

	/* Kim comes back: her REQUEST must outrank the CANCEL she holds;
	 * nobody else is mailed. */
	snprintf(members, sizeof members, "%s%s%s", member_ana, member_luis,
	    member_kim);
	put_group(fx, members, monthly_moved_room);
	v = plan(fx, tl_utc("2021-03-04 12:00"), &n);
	assert_int_equal(n, 1);
	has_seq(to(v, n, "kim@gov.example.bb"), 3, "REQUEST");
	assert_string_equal(v[0].kind, "invite");
	store_outbox_free(v, n);

	/* The series goes: every attendee gets a CANCEL above all that. */
	put_group(fx, members, "");
	v = plan(fx, tl_utc("2021-03-05 12:00"), &n);
	assert_int_equal(n, 3);
	has_seq(to(v, n, "ana@mides.example.uy"), 4, "CANCEL");
	has_seq(to(v, n, "kim@gov.example.bb"), 4, "CANCEL");
	store_outbox_free(v, n);

	/* And stays gone. */
	v = plan(fx, tl_utc("2021-03-06 12:00"), &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
}

/* Not yet inside the invitation window: meetings are planned, nobody is
 * mailed; the lead time later brings exactly the due ones. */
static void
test_lead_time(void **state)
{
	struct fx *fx = *state;
	struct store_outbox *v;
	size_t n;

	put_group(fx, member_ana, monthly);
	v = plan(fx, tl_utc("2021-02-20 12:00"), &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
	/* 17 March 18:00Z minus 21 days is 24 February 18:00Z. */
	v = plan(fx, tl_utc("2021-02-24 17:59"), &n);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
	v = plan(fx, tl_utc("2021-02-24 18:00"), &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].meeting_uid, "ss-monthly-20210317@example.org");
	store_outbox_free(v, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uid_and_sequence_life,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lead_time, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name("plan", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

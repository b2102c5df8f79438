/* Unit tests for agenda.c: the coordinators' mail around one meeting, each
 * piece at its time, once, in each coordinator's language and with the
 * series' draft agenda. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agenda.h"
#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "plan.h"
#include "store.h"
#include "template.h"
#include "testlib.h"
#include "util.h"

#define MARCH "ss-monthly-20210317@example.org"     /* 18:00-19:30Z */
#define APRIL "ss-monthly-20210421@example.org"

static const char group[] =
	"[group]\nid = ss\nname = Sur-Sur\nkind = discussion\n"
	"timezone = America/Montevideo\n"
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n"
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\nlanguage = en\n"
	"[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n"
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n"
	"agenda = agenda-ss.txt\n";

static int
setup(void **state)
{
	struct tl_ws *fx;
	char *p;

	tl_setup_ws(state, NULL);
	fx = *state;
	p = xasprintf("%s/groups.d/agenda-ss.txt", fx->dir);
	tl_write(p, "1. Apertura\n2. Experiencias de los países\n", 0644);
	free(p);
	tl_ws_group(fx, "10-ss.ini", group);
	return 0;
}

static int
agenda(struct tl_ws *fx, const char *when)
{
	return tl_step(fx, "agenda", agenda_group, when);
}

static void
test_around_a_meeting(void **state)
{
	struct tl_ws *fx = *state;
	struct store_plan_meeting r;
	char *text, *deadline, *err = NULL;

	tl_step(fx, "plan", plan_group, "2021-03-01 12:00");
	/* Eight days ahead: nothing yet. */
	assert_int_equal(agenda(fx, "2021-03-09 17:59"), 0);

	/* Seven days ahead: the request with the draft, to the two
	 * coordinators, each in their language; the draft is kept. */
	assert_int_equal(agenda(fx, "2021-03-10 18:00"), 2);
	assert_int_equal(tl_outbox_count(fx, NULL, "agenda-request",
	    "kim@gov.example.bb"), 0);
	text = tl_outbox_text(fx, "agenda-request", "luis@cepal.example.org");
	assert_non_null(strstr(text, "Draft agenda:\r\n\r\n1. Apertura\r\n"
	    "2. Experiencias de los países\r\n"));
	memset(&r, 0, sizeof r);
	assert_int_equal(store_meeting_get(fx->st, MARCH, &r, &err), 1);
	assert_string_equal(r.agenda, "1. Apertura\n2. Experiencias de los "
	    "países\n");
	assert_false(r.agenda_confirmed);
	/* The deadline is two days before, in the reader's words. */
	deadline = template_date("en", r.start - 2 * DAY, "America/Montevideo");
	assert_string_equal(deadline, "15 Mar 2021");
	assert_non_null(strstr(text, deadline));
	free(deadline);
	free(text);
	text = tl_outbox_text(fx, "agenda-request", "ana@mides.example.uy");
	assert_non_null(strstr(text, "15/03/2021"));
	free(text);
	store_plan_meeting_clear(&r);
	/* Once. */
	assert_int_equal(agenda(fx, "2021-03-11 18:00"), 0);

	/* Still unconfirmed two days before: one reminder each. */
	assert_int_equal(agenda(fx, "2021-03-15 17:59"), 0);
	assert_int_equal(agenda(fx, "2021-03-15 18:00"), 2);
	assert_int_equal(agenda(fx, "2021-03-16 18:00"), 0);
	assert_int_equal(tl_outbox_count(fx, NULL, "agenda-reminder", NULL), 2);

	/* Over at 19:30: the minutes are asked for, then reminded of
	 * minutes_grace_days (14) later. */
	assert_int_equal(agenda(fx, "2021-03-17 19:29"), 0);
	assert_int_equal(agenda(fx, "2021-03-17 19:30"), 2);
	assert_int_equal(tl_outbox_count(fx, NULL, "minutes-request", NULL), 2);
	assert_int_equal(agenda(fx, "2021-03-31 19:29"), 0);
	assert_int_equal(agenda(fx, "2021-03-31 19:30"), 2);
	assert_int_equal(agenda(fx, "2021-04-01 19:30"), 0);
	assert_int_equal(tl_outbox_count(fx, NULL, "minutes-reminder", NULL),
	    2);
}

/* A cancelled meeting gets no agenda request. */
static void
test_cancelled(void **state)
{
	struct tl_ws *fx = *state;
	struct store_plan_meeting r;
	char *err = NULL;

	tl_step(fx, "plan", plan_group, "2021-04-01 12:00");
	/* The April meeting leaves the schedule. */
	tl_ws_group(fx, "10-ss.ini", "[group]\nid = ss\nname = Sur-Sur\n"
	    "kind = discussion\ntimezone = America/Montevideo\n"
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n"
	    "[member luis@cepal.example.org]\nname = Luis\n"
	    "role = secretariat\ncoordinator = yes\n"
	    "[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	    "duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n"
	    "exdate = 2021-04-21\n");
	tl_step(fx, "plan", plan_group, "2021-04-02 12:00");
	memset(&r, 0, sizeof r);
	assert_int_equal(store_meeting_get(fx->st, APRIL, &r, &err), 1);
	assert_true(r.cancelled);
	store_plan_meeting_clear(&r);
	assert_int_equal(agenda(fx, "2021-04-15 12:00"), 0);
	assert_int_equal(tl_outbox_count(fx, NULL, "agenda-request", NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_around_a_meeting, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_cancelled, setup,
		    tl_teardown),
	};
	int rc = cmocka_run_group_tests_name("agenda", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

/* Unit tests for quota.c: held / scheduled / short_by at year boundaries
 * in zones far from UTC (Pacific/Kiritimati UTC+14, Pacific/Pago_Pago
 * UTC-11), the checkpoints looked at once, the January notice and the
 * coordination rule keyed on the membership.  Mail is read from the
 * outbox; the integration test sends it for real. */
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

#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "msgid.h"
#include "plan.h"
#include "quota.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

static const char policy[] =
	"[policy]\nannual_quota = 3\nquota_checks = 03-31, 06-30, 09-30\n"
	"admin = admin@example.org\n";

static const char coordinators[] =
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n"
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\nlanguage = en\n";

/* Write the group file and (re)load the configuration. */
static void
put_group(struct tl_ws *fx, const char *tz, const char *members,
    const char *series)
{
	char *text = xasprintf("[group]\nid = k\nname = Grupo K\n"
	    "kind = discussion\ntimezone = %s\n%s%s", tz, members, series);

	tl_ws_group(fx, "10-k.ini", text);
	free(text);
}

static int
setup(void **state)
{
	return tl_setup_ws(state, policy);
}

/* The occurrence of series on local date key in the store, from start
 * (UTC): see tl_meeting(). */
static void
store_meeting(struct tl_ws *fx, const char *series, const char *key,
    long long start, int cancelled)
{
	free(tl_meeting(fx, "k", series, key, start, cancelled));
}

static void
year_of(struct tl_ws *fx, int year, long long now, int judged, int held,
    int scheduled, int short_by)
{
	struct quota_year q;
	char *err = NULL;

	assert_int_equal(quota_year(fx->cfg, &fx->cfg->groups[0], fx->st,
	    year, now, &q, &err), 0);
	assert_int_equal(q.judged, judged);
	assert_int_equal(q.held, held);
	assert_int_equal(q.scheduled, scheduled);
	assert_int_equal(q.short_by, short_by);
	quota_year_free(&q);
}

/* Kiritimati is UTC+14: its 1 January 00:30 is 31 December 10:30 UTC, and
 * its 1 January 2022 00:30 is still 2021 in UTC. */
static const char kiritimati_series[] =
	"[series a]\nsummary = A\nstart = 2021-01-01 00:30\nduration = 60\n"
	"[series b]\nsummary = B\nstart = 2021-12-31 23:00\nduration = 30\n"
	"[series c]\nsummary = C\nstart = 2022-01-01 00:30\nduration = 60\n";

static void
test_kiritimati_year_boundary(void **state)
{
	struct tl_ws *fx = *state;
	long long a = tl_utc("2020-12-31 10:30"), b = tl_utc("2021-12-31 09:00");

	put_group(fx, "Pacific/Kiritimati", coordinators, kiritimati_series);
	/* Before anything: 2021 has a and b to come; c is 2022 there. */
	year_of(fx, 2021, tl_utc("2020-12-01 00:00"), 1, 0, 2, 1);
	year_of(fx, 2022, tl_utc("2020-12-01 00:00"), 1, 0, 1, 2);
	/* 2020 is before the first meeting: not judged, never short. */
	year_of(fx, 2020, tl_utc("2020-12-01 00:00"), 0, 0, 0, 0);

	/* Stored: counted once, from the store. */
	store_meeting(fx, "a", "20210101", a, 0);
	year_of(fx, 2021, tl_utc("2020-12-01 00:00"), 1, 0, 2, 1);
	/* Ended: held.  Not stored and ended: neither (nothing says it
	 * happened). */
	year_of(fx, 2021, a + 3600, 1, 1, 1, 1);
	year_of(fx, 2021, b + 3600, 1, 1, 0, 2);
	store_meeting(fx, "b", "20211231", b, 0);
	year_of(fx, 2021, b + 3600, 1, 2, 0, 1);
	/* Cancelled: neither held nor scheduled. */
	store_meeting(fx, "b", "20211231", b, 1);
	year_of(fx, 2021, b + 3600, 1, 1, 0, 2);
}

/* Pago Pago is UTC-11: its 31 December 20:00 is 1 January 07:00 UTC. */
static const char pago_series[] =
	"[series late]\nsummary = L\nstart = 2021-12-31 20:00\nduration = 60\n"
	"[series early]\nsummary = E\nstart = 2021-06-01 10:00\n"
	"duration = 60\nrrule = FREQ=MONTHLY;COUNT=2\n";

static void
test_pago_pago_year_boundary(void **state)
{
	struct tl_ws *fx = *state;

	put_group(fx, "Pacific/Pago_Pago", coordinators, pago_series);
	year_of(fx, 2021, tl_utc("2021-05-01 00:00"), 1, 0, 3, 0);
	/* 1 January 06:00 UTC is still 31 December there: late is to come
	 * and belongs to 2021. */
	year_of(fx, 2021, tl_utc("2022-01-01 06:00"), 1, 0, 1, 2);
	year_of(fx, 2022, tl_utc("2022-01-01 06:00"), 1, 0, 0, 3);
}

/* A step of a walk through the year: the group file written again (in
 * the walk's zone) when members is set, the quota step at now, then a
 * look at the rows queued since the last look: n of them, all of kind
 * (by the outbox and by the Message-ID), to rcpt[] in that order when
 * rcpt[0] is set.  kind NULL: no look (the rows wait for the next one). */
struct step {
	const char *members, *series;
	const char *now, *kind;
	size_t      n;
	const char *rcpt[3];
};
#define NSTEPS(a) (sizeof (a) / sizeof (a)[0])

static void
walk(struct tl_ws *fx, const char *tz, const struct step *s, size_t nsteps)
{
	struct store_outbox *rows;
	struct msgid id;
	size_t i, n;

	for (; nsteps-- > 0; s++) {
		if (s->members != NULL)
			put_group(fx, tz, s->members, s->series);
		tl_step(fx, "quota", quota_group, s->now);
		if (s->kind == NULL)
			continue;
		rows = tl_outbox_new(fx, &n);
		if (n != s->n)
			print_message("at %s: %zu rows, not %zu\n", s->now, n, s->n);
		assert_int_equal(n, s->n);
		for (i = 0; i < n; i++) {
			assert_string_equal(rows[i].kind, s->kind);
			assert_int_equal(msgid_parse(rows[i].message_id,
			    "example.org", &id), 0);
			assert_string_equal(id.kind, s->kind);
			assert_string_equal(id.group, rows[i].group_id);
			if (s->rcpt[0] == NULL)
				continue;
			assert_true(i < NSTEPS(s->rcpt));
			assert_string_equal(rows[i].recipient, s->rcpt[i]);
		}
		store_outbox_free(rows, n);
	}
}

/* One meeting a year: short of quota at every checkpoint. */
static const char one_meeting[] =
	"[series only]\nsummary = O\nstart = 2021-02-10 10:00\nduration = 60\n";

static void
test_checkpoints_once(void **state)
{
	static const struct step steps[] = {
		/* 30 March 23:59 there: no checkpoint yet. */
		{ coordinators, one_meeting, "2021-03-30 09:59",
		  "quota-warning", 0, { NULL } },
		/* 31 March 00:00 there (still the 30th in UTC): two
		 * coordinators and the admin. */
		{ NULL, NULL, "2021-03-30 10:00", "quota-warning", 3,
		  { "ana@mides.example.uy", "luis@cepal.example.org",
		    "admin@example.org" } },
		/* Again, later, and after a "restart" (a new config):
		 * nothing. */
		{ NULL, NULL, "2021-03-30 10:01", NULL, 0, { NULL } },
		{ NULL, NULL, "2021-05-01 00:00", NULL, 0, { NULL } },
		{ coordinators, one_meeting, "2021-06-01 00:00",
		  "quota-warning", 0, { NULL } },
		/* A daemon down from June to October: one warning, for 30
		 * September only, not one per checkpoint missed. */
		{ NULL, NULL, "2021-10-20 00:00", "quota-warning", 3, { NULL } },
		{ NULL, NULL, "2021-10-21 00:00", "quota-warning", 0, { NULL } },
		/* January 2022 there: the year-end notice, once. */
		{ NULL, NULL, "2021-12-31 09:59", "quota-year-end", 0, { NULL } },
		{ NULL, NULL, "2021-12-31 10:00", "quota-year-end", 3, { NULL } },
		{ NULL, NULL, "2022-01-15 00:00", "quota-year-end", 0, { NULL } },
	};

	walk(*state, "Pacific/Kiritimati", steps, NSTEPS(steps));
}

/* A group that fixed its schedule before the checkpoint gets nothing; a
 * group whose first meeting is next year is not judged. */
static const char monthly[] =
	"[series m]\nsummary = M\nstart = 2021-01-20 10:00\nduration = 60\n"
	"rrule = FREQ=MONTHLY\n";
static const char next_year[] =
	"[series n]\nsummary = N\nstart = 2022-02-01 10:00\nduration = 60\n";

static void
test_no_warning_when_fine(void **state)
{
	static const struct step steps[] = {
		{ coordinators, monthly, "2021-07-01 12:00", "quota-warning", 0,
		  { NULL } },
		{ coordinators, next_year, "2021-10-01 12:00", NULL, 0,
		  { NULL } },
		/* Nothing at all: no warning, no year-end notice. */
		{ NULL, NULL, "2022-01-05 12:00", "quota-warning", 0, { NULL } },
	};

	walk(*state, "Pacific/Pago_Pago", steps, NSTEPS(steps));
}

static void
test_rule_warning_per_membership(void **state)
{
	static const char one[] =
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n";
	static const char none[] =
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n";
	static const char more[] =
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n[member kim@gov.example.bb]\nname = Kim\n"
	    "role = ministry\n";
	static const struct step steps[] = {
		{ one, monthly, "2021-02-01 00:00", "rule-warning", 2,
		  { "ana@mides.example.uy", "admin@example.org" } },
		{ NULL, NULL, "2021-02-02 00:00", "rule-warning", 0, { NULL } },
		/* A member more: a new membership, a new warning. */
		{ more, monthly, "2021-02-03 00:00", "rule-warning", 2,
		  { NULL } },
		/* No coordinator at all: the admin alone. */
		{ none, monthly, "2021-02-04 00:00", "rule-warning", 1,
		  { "admin@example.org" } },
		/* Fixed: nothing. */
		{ coordinators, monthly, "2021-02-05 00:00", "rule-warning", 0,
		  { NULL } },
	};
	struct tl_ws *fx = *state;
	char *k1, *k2;

	/* The warning is keyed on the membership. */
	put_group(fx, "UTC", one, monthly);
	k1 = quota_rule_key(&fx->cfg->groups[0]);
	put_group(fx, "UTC", more, monthly);
	k2 = quota_rule_key(&fx->cfg->groups[0]);
	assert_string_not_equal(k1, k2);
	free(k1);
	free(k2);
	walk(fx, "UTC", steps, NSTEPS(steps));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kiritimati_year_boundary,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pago_pago_year_boundary,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_once,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_no_warning_when_fine,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_rule_warning_per_membership,
		    setup, tl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

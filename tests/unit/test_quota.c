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

struct fx {
	struct tl_ws ws;
	struct config *cfg;     /* ws's, for short, after put_group() */
	struct store *st;
	long long seen;
};

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
put_group(struct fx *fx, const char *tz, const char *members,
    const char *series)
{
	char *text = xasprintf("[group]\nid = k\nname = Grupo K\n"
	    "kind = discussion\ntimezone = %s\n%s%s", tz, members, series);

	tl_ws_group(&fx->ws, "10-k.ini", text);
	free(text);
	fx->cfg = fx->ws.cfg;
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);

	tl_ws_init(&fx->ws, "quota", policy);
	fx->st = fx->ws.st;
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

/* Store the occurrence of series `name` on local date key, as the planner
 * would, at the UTC times given. */
static void
store_meeting(struct fx *fx, const char *series, const char *key,
    long long start, int cancelled)
{
	struct store_meeting_in in;
	char *uid = plan_uid(fx->cfg, "k", series, key), *err = NULL;

	assert_int_equal(store_group_sync(fx->st, "k", "Grupo K", start, &err),
	    0);
	memset(&in, 0, sizeof in);
	in.uid = uid;
	in.group_id = "k";
	in.series = series;
	in.orig_start = start;
	in.start = start;
	in.end = start + 3600;
	in.tzid = "UTC";
	in.summary = "x";
	in.kind = "meeting";
	in.cancelled = cancelled;
	assert_int_equal(store_meeting_upsert(fx->st, &in, &err), 0);
	free(uid);
}

static void
year_of(struct fx *fx, int year, long long now, int judged, int held,
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
	struct fx *fx = *state;
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
	struct fx *fx = *state;

	put_group(fx, "Pacific/Pago_Pago", coordinators, pago_series);
	year_of(fx, 2021, tl_utc("2021-05-01 00:00"), 1, 0, 3, 0);
	/* 1 January 06:00 UTC is still 31 December there: late is to come
	 * and belongs to 2021. */
	year_of(fx, 2021, tl_utc("2022-01-01 06:00"), 1, 0, 1, 2);
	year_of(fx, 2022, tl_utc("2022-01-01 06:00"), 1, 0, 0, 3);
}

/* The outbox rows queued since the last look, of one kind. */
static size_t
queued(struct fx *fx, const char *kind, char ***rcpt)
{
	struct store_outbox *rows = NULL;
	size_t n = 0, i, k = 0;
	char *err = NULL;

	assert_int_equal(store_outbox_due(fx->st, tl_utc("2100-01-01 00:00"),
	    100000, &rows, &n, &err), 0);
	if (rcpt != NULL)
		*rcpt = xcalloc(n + 1, sizeof **rcpt);
	for (i = 0; i < n; i++) {
		if (rows[i].id <= fx->seen)
			continue;
		if (strcmp(rows[i].kind, kind) == 0) {
			struct msgid id;

			assert_int_equal(msgid_parse(rows[i].message_id,
			    "example.org", &id), 0);
			assert_string_equal(id.kind, kind);
			assert_string_equal(id.group, rows[i].group_id);
			if (rcpt != NULL)
				(*rcpt)[k] = xstrdup(rows[i].recipient);
			k++;
		}
	}
	for (i = 0; i < n; i++)
		if (rows[i].id > fx->seen)
			fx->seen = rows[i].id;
	store_outbox_free(rows, n);
	return k;
}

static void
run(struct fx *fx, long long now)
{
	struct cycle_stats cs;
	struct cycle_ctx c = { fx->cfg, fx->st, now, &cs };
	char *err = NULL;

	memset(&cs, 0, sizeof cs);
	assert_int_equal(cycle_groups(&c, "quota", quota_group, &err), 0);
	assert_int_equal(cs.groups_failed, 0);
}

/* One meeting a year: short of quota at every checkpoint. */
static const char one_meeting[] =
	"[series only]\nsummary = O\nstart = 2021-02-10 10:00\nduration = 60\n";

static void
test_checkpoints_once(void **state)
{
	struct fx *fx = *state;
	char **r = NULL;

	put_group(fx, "Pacific/Kiritimati", coordinators, one_meeting);
	/* 30 March 23:59 there: no checkpoint yet. */
	run(fx, tl_utc("2021-03-30 09:59"));
	assert_int_equal(queued(fx, "quota-warning", NULL), 0);
	/* 31 March 00:00 there (still the 30th in UTC): two coordinators
	 * and the admin. */
	run(fx, tl_utc("2021-03-30 10:00"));
	assert_int_equal(queued(fx, "quota-warning", &r), 3);
	assert_string_equal(r[0], "ana@mides.example.uy");
	assert_string_equal(r[1], "luis@cepal.example.org");
	assert_string_equal(r[2], "admin@example.org");
	strv_free(r, 3);
	/* Again, later, and after a "restart" (a new config): nothing. */
	run(fx, tl_utc("2021-03-30 10:01"));
	run(fx, tl_utc("2021-05-01 00:00"));
	put_group(fx, "Pacific/Kiritimati", coordinators, one_meeting);
	run(fx, tl_utc("2021-06-01 00:00"));
	assert_int_equal(queued(fx, "quota-warning", NULL), 0);
	/* A daemon down from June to October: one warning, for 30 September
	 * only, not one per checkpoint missed. */
	run(fx, tl_utc("2021-10-20 00:00"));
	assert_int_equal(queued(fx, "quota-warning", NULL), 3);
	run(fx, tl_utc("2021-10-21 00:00"));
	assert_int_equal(queued(fx, "quota-warning", NULL), 0);
	/* January 2022 there: the year-end notice, once. */
	run(fx, tl_utc("2021-12-31 09:59"));
	assert_int_equal(queued(fx, "quota-year-end", NULL), 0);
	run(fx, tl_utc("2021-12-31 10:00"));
	assert_int_equal(queued(fx, "quota-year-end", NULL), 3);
	run(fx, tl_utc("2022-01-15 00:00"));
	assert_int_equal(queued(fx, "quota-year-end", NULL), 0);
	assert_int_equal(queued(fx, "quota-warning", NULL), 0);
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
	struct fx *fx = *state;

	put_group(fx, "Pacific/Pago_Pago", coordinators, monthly);
	run(fx, tl_utc("2021-07-01 12:00"));
	assert_int_equal(queued(fx, "quota-warning", NULL), 0);
	put_group(fx, "Pacific/Pago_Pago", coordinators, next_year);
	run(fx, tl_utc("2021-10-01 12:00"));
	run(fx, tl_utc("2022-01-05 12:00"));
	assert_int_equal(queued(fx, "quota-warning", NULL), 0);
	assert_int_equal(queued(fx, "quota-year-end", NULL), 0);
}

static void
test_rule_warning_per_membership(void **state)
{
	struct fx *fx = *state;
	char **r = NULL, *k1, *k2;
	static const char one[] =
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n";
	static const char none[] =
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n";
	static const char more[] =
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n[member kim@gov.example.bb]\nname = Kim\n"
	    "role = ministry\n";

	put_group(fx, "UTC", one, monthly);
	k1 = quota_rule_key(&fx->cfg->groups[0]);
	run(fx, tl_utc("2021-02-01 00:00"));
	assert_int_equal(queued(fx, "rule-warning", &r), 2);
	assert_string_equal(r[0], "ana@mides.example.uy");
	assert_string_equal(r[1], "admin@example.org");
	strv_free(r, 2);
	run(fx, tl_utc("2021-02-02 00:00"));
	assert_int_equal(queued(fx, "rule-warning", NULL), 0);
	/* A member more: a new membership, a new warning. */
	put_group(fx, "UTC", more, monthly);
	k2 = quota_rule_key(&fx->cfg->groups[0]);
	assert_string_not_equal(k1, k2);
	run(fx, tl_utc("2021-02-03 00:00"));
	assert_int_equal(queued(fx, "rule-warning", NULL), 2);
	/* No coordinator at all: the admin alone. */
	put_group(fx, "UTC", none, monthly);
	run(fx, tl_utc("2021-02-04 00:00"));
	assert_int_equal(queued(fx, "rule-warning", &r), 1);
	assert_string_equal(r[0], "admin@example.org");
	strv_free(r, 1);
	/* Fixed: nothing. */
	put_group(fx, "UTC", coordinators, monthly);
	run(fx, tl_utc("2021-02-05 00:00"));
	assert_int_equal(queued(fx, "rule-warning", NULL), 0);
	free(k1);
	free(k2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kiritimati_year_boundary,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pago_pago_year_boundary,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_warning_when_fine,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_warning_per_membership,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

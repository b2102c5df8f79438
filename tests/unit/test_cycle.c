/* Unit tests for cycle.c's runner: one group's failure is rolled back,
 * logged once and passed over; a store that fails stops the cycle. */
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
#include "outage.h"
#include "plan.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

/* Two groups, aa and bb, one meeting each on 17 March 2021, invited at
 * once when planned on 1 March; aa writes French. */
static const char group_fmt[] =
	"[group]\nid = %s\nname = %s\nkind = discussion\nlanguage = %s\n"
	"timezone = America/Montevideo\n"
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n"
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\n"
	"[series once]\nsummary = Única\nstart = 2021-03-17 15:00\n"
	"duration = 90\n";

/* The context the runner is given: its counts are checked. */
static struct cycle_stats cs;
static struct cycle_ctx ctx;

static int calls;               /* of the fake steps */

static void
put_group(struct tl_ws *fx, const char *file, const char *id,
    const char *lang)
{
	char *text = xasprintf(group_fmt, id, id, lang);

	tl_ws_group(fx, file, text);
	free(text);
}

static int
setup(void **state)
{
	struct tl_ws *fx;

	tl_setup_ws(state, NULL);
	fx = *state;
	put_group(fx, "10-aa.ini", "aa", "fr");
	put_group(fx, "20-bb.ini", "bb", "es");
	memset(&cs, 0, sizeof cs);
	ctx = (struct cycle_ctx){ fx->cfg, fx->st, tl_utc("2021-03-01 12:00"),
	    &cs, NULL, NULL };
	return 0;
}

/* aa's French invitation template is broken: aa is rolled back whole and
 * logged once, bb is planned all the same; aa's turn comes once fixed. */
static void
test_broken_group_passed_over(void **state)
{
	struct tl_ws *fx = *state;
	char *dir, *err = NULL, *log;

	dir = xasprintf("%s/templates", fx->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	free(dir);
	dir = xasprintf("%s/templates/fr", fx->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	free(dir);
	dir = xasprintf("%s/templates/fr/invite.txt", fx->dir);
	tl_write(dir, "Subject: {{summary}}\n\n{{#agenda}}never closed\n", 0644);

	tl_log_begin(fx);
	assert_int_equal(cycle_groups(&ctx, "plan", plan_group, &err), 0);
	log = tl_log_end(fx);
	assert_null(err);
	assert_int_equal(cs.groups_failed, 1);
	/* Only bb counted: aa's meeting and invitations were undone. */
	assert_int_equal(cs.meetings_new, 1);
	assert_int_equal(cs.queued, 2);
	assert_int_equal(tl_outbox_count(fx, "aa", NULL, NULL), 0);
	assert_int_equal(tl_outbox_count(fx, "bb", NULL, NULL), 2);
	assert_int_equal(store_meeting_exists(fx->st,
	    "aa-once-20210317@example.org", &err), 0);
	assert_int_equal(store_meeting_exists(fx->st,
	    "bb-once-20210317@example.org", &err), 1);
	/* A broken template is the templates' outage, said once with the
	 * file and line, not a failure of the group. */
	assert_int_equal(tl_count(log, "cannot use the templates"), 1);
	assert_int_equal(tl_count(log, "fr/invite.txt:3: section {{#agenda}} "
	    "is never closed"), 1);
	assert_int_equal(tl_count(log, "cannot run step"), 0);
	assert_null(strstr(log, "group bb"));
	free(log);
	/* Another failure the same cycle says nothing more. */
	tl_log_begin(fx);
	memset(&cs, 0, sizeof cs);
	assert_int_equal(cycle_groups(&ctx, "plan", plan_group, &err), 0);
	log = tl_log_end(fx);
	assert_int_equal(cs.groups_failed, 1);
	assert_int_equal(tl_count(log, "templates"), 0);
	free(log);

	/* Fixed: aa is planned, bb has nothing new. */
	assert_int_equal(unlink(dir), 0);
	free(dir);
	memset(&cs, 0, sizeof cs);
	assert_int_equal(cycle_groups(&ctx, "plan", plan_group, &err), 0);
	assert_int_equal(cs.groups_failed, 0);
	assert_int_equal(cs.queued, 2);
	assert_int_equal(tl_outbox_count(fx, "aa", NULL, NULL), 2);
	assert_int_equal(tl_outbox_count(fx, "bb", NULL, NULL), 2);
}

static int
step_counts(const struct cycle_ctx *c, const struct group *g, char **err)
{
	(void)g;
	(void)err;
	calls++;
	c->cs->queued += 5;
	return 0;
}

/* The store lost the transaction under the step. */
static int
step_ends_transaction(const struct cycle_ctx *c, const struct group *g,
    char **err)
{
	assert_int_equal(step_counts(c, g, err), 0);
	assert_int_equal(store_commit(c->st), 0);
	return 0;
}

static int
step_fails_aa(const struct cycle_ctx *c, const struct group *g, char **err)
{
	assert_int_equal(step_counts(c, g, err), 0);
	if (strcmp(g->id, "aa") != 0)
		return 0;
	*err = xstrdup("no luck");
	return -1;
}

static void
test_store_failure_stops(void **state)
{
	struct tl_ws *fx = *state;
	char *err = NULL, *log;

	/* A transaction that cannot begin: no group is run. */
	calls = 0;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(cycle_groups(&ctx, "fake", step_counts, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "cannot begin step fake of group aa"));
	free(err);
	err = NULL;
	assert_int_equal(calls, 0);
	assert_int_equal(store_rollback(fx->st), 0);

	/* A commit that fails: the cycle stops after aa, bb is not run. */
	assert_int_equal(cycle_groups(&ctx, "fake", step_ends_transaction,
	    &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "cannot commit step fake of group aa"));
	free(err);
	err = NULL;
	assert_int_equal(calls, 1);

	/* A group that fails is not a store that fails: bb goes on, and
	 * only what bb counted stays counted. */
	calls = 0;
	memset(&cs, 0, sizeof cs);
	tl_log_begin(fx);
	assert_int_equal(cycle_groups(&ctx, "fake", step_fails_aa, &err), 0);
	log = tl_log_end(fx);
	assert_null(err);
	assert_int_equal(calls, 2);
	assert_int_equal(cs.queued, 5);
	assert_int_equal(cs.groups_failed, 1);
	assert_int_equal(tl_count(log,
	    "cannot run step fake for group aa ("), 1);
	assert_non_null(strstr(log, "): no luck; nothing of it was recorded, "
	    "trying again next cycle"));
	free(log);
}

/* Whether the cycle kept a row for group id; its `ran` and `due` in
 * *ran and *due when it did. */
static int
find_due_row(struct tl_ws *fx, const char *id, long long *ran,
    long long *due)
{
	struct store_due *v = NULL;
	size_t n = 0, i;
	char *err = NULL;
	int found = 0;

	assert_int_equal(store_due_all(fx->st, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].group_id, id) == 0) {
			*ran = v[i].ran;
			*due = v[i].due;
			found = 1;
		}
	store_due_free(v, n);
	return found;
}

/* The row the cycle kept for group id; fails when there is none. */
static void
due_row(struct tl_ws *fx, const char *id, long long *ran, long long *due)
{
	if (!find_due_row(fx, id, ran, due))
		fail_msg("no due row for %s", id);
}

static int
has_due_row(struct tl_ws *fx, const char *id)
{
	long long ran, due;

	return find_due_row(fx, id, &ran, &due);
}

static void
once_at(struct tl_ws *fx, const char *when)
{
	struct cycle_stats st;
	char *err = NULL;

	memset(&st, 0, sizeof st);
	if (cycle_run(fx->cfg, fx->st, tl_utc(when), 0, NULL, &st, &err) != 0)
		fail_msg("cycle_run: %s", err);
	assert_int_equal(st.queued, 0);
}

/* An idle group is left alone until its file changes or its moment
 * comes: the meeting of 17 March at 15:00 in Montevideo (18:00 UTC)
 * makes 18:00 UTC of every day a moment, before the zone's midnight. */
static void
test_idle_groups_rest(void **state)
{
	struct tl_ws *fx = *state;
	long long ran, due;

	once_at(fx, "2021-02-10 12:00");
	due_row(fx, "aa", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 12:00"));
	assert_true(due == tl_utc("2021-02-10 18:00"));
	assert_int_equal(store_meeting_exists(fx->st,
	    "aa-once-20210317@example.org", NULL), 1);

	/* Nothing changed, nothing due: neither group is run. */
	once_at(fx, "2021-02-10 13:00");
	due_row(fx, "aa", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 12:00"));
	due_row(fx, "bb", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 12:00"));

	/* bb's file changes: bb alone runs. */
	tl_ws_group(fx, "20-bb.ini", "; edited\n[group]\nid = bb\nname = bb\n"
	    "kind = discussion\nlanguage = es\n"
	    "timezone = America/Montevideo\n"
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n"
	    "[member luis@cepal.example.org]\nname = Luis\n"
	    "role = secretariat\ncoordinator = yes\n"
	    "[series once]\nsummary = Única\nstart = 2021-03-17 15:00\n"
	    "duration = 90\n");
	once_at(fx, "2021-02-10 13:30");
	due_row(fx, "aa", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 12:00"));
	due_row(fx, "bb", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 13:30"));

	/* The moment comes: both run, and the next is a day on. */
	once_at(fx, "2021-02-10 18:00");
	due_row(fx, "aa", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 18:00"));
	assert_true(due == tl_utc("2021-02-10 19:30"));

	/* A clock set back runs them again rather than trust the rows. */
	once_at(fx, "2021-02-09 12:00");
	due_row(fx, "bb", &ran, &due);
	assert_true(ran == tl_utc("2021-02-09 12:00"));
}

/* A group whose directory in the repository is down keeps no row: its
 * feed and page wait, and it runs every cycle until the directory is
 * back, while the other group rests. */
static void
test_group_outage_keeps_it_due(void **state)
{
	struct tl_ws *fx = *state;
	char *res = outage_group("aa"), *err = NULL;
	long long ran, due;

	assert_int_equal(outage_failed(fx->cfg, fx->st, res, "disk full",
	    tl_utc("2021-02-10 12:00"), &err), 0);
	free(res);
	once_at(fx, "2021-02-10 12:00");
	assert_false(has_due_row(fx, "aa"));
	due_row(fx, "bb", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 12:00"));

	/* The next try comes and the directory is back: aa's feed is
	 * written, and aa rests from then on; bb never ran again. */
	once_at(fx, "2021-02-10 13:00");
	due_row(fx, "aa", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 13:00"));
	due_row(fx, "bb", &ran, &due);
	assert_true(ran == tl_utc("2021-02-10 12:00"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_broken_group_passed_over,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_store_failure_stops,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_idle_groups_rest,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_group_outage_keeps_it_due,
		    setup, tl_teardown),
	};
	int rc = cmocka_run_group_tests_name("cycle", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

/* Regression tests for what the fuzz targets (fuzz/) found.
 *
 * Every file under tests/data/regress/ is an input that once crashed,
 * leaked or hung a target; its name says which: classify-*, config-*,
 * template-*.  Each is fed to its target's own code (fuzz/harness.c), as
 * the fuzzer feeds it, and the result must be sane.  A target's artifact
 * becomes a test by copying it there under a name that says what it is; a
 * crash also gets a small case of its own below, written by hand, that
 * shows the shape of the bug.
 *
 * Run from the repository root (tests/run.sh does). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "harness.h"
#include "ical.h"
#include "testlib.h"
#include "util.h"

#define REGRESS "tests/data/regress"

/* ---- the inbound path: classify() and verdict_json() ---------------- */

/* mime.c part_bytes(): an empty MIME part has no bytes at all, and GLib
 * leaves the array's data NULL; memcpy(r, NULL, 0) is undefined (UBSan:
 * "null pointer passed as argument 2").  Found by fuzz_classify. */
static void
empty_calendar_part(void **state)
{
	static const char msg[] =
	    "From: a@example.org\r\n"
	    "Message-ID: <e@x>\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Type: text/calendar\r\n"
	    "\r\n"
	    "--b--\r\n";
	struct verdict *v;

	(void)state;
	assert_null(harness_classify_one(msg, sizeof msg - 1, &v));
	assert_int_equal(v->kind, VERDICT_MALFORMED);
	assert_string_equal(v->message_id, "e@x");
	assert_non_null(v->reason);
	verdict_free(v);
}

/* ---- the configuration: config_load() -------------------------------- */

/* ical.c ical_expand(): a rule that can never match made libical look for
 * its next date day by day up to the year 2582, 0.7 to 3 s a call at -O2
 * and more under ASan, in every cycle for every such series.  The window
 * now bounds the search with an UNTIL.  Found while checking fuzz_config
 * for slow RRULEs (twenty calls took 15 s before the fix, 0.2 s after).
 * How long it takes is for the fuzzers' -timeout and `make bench`, not a
 * unit test; this checks the answers, and config.c now refuses such a
 * rule at load. */
static void
never_matching_rrule(void **state)
{
	static const char *const rules[] = {
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31",
		"FREQ=DAILY;BYMONTHDAY=31;BYMONTH=4,6,9,11",
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31;COUNT=3",
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
	};
	const long long from = 1609459200LL;    /* 2021-01-01 */
	struct ical_occurrence *occ;
	size_t i, n;
	char *err = NULL;

	(void)state;
	for (i = 0; i < 5 * sizeof rules / sizeof rules[0]; i++) {
		occ = NULL;
		n = 99;
		assert_int_equal(ical_expand("2021-03-11 10:00",
		    "America/Santiago", 90, rules[i % 4], NULL, 0, from,
		    from + 366 * 86400LL, 100, &occ, &n, &err), 0);
		assert_int_equal(n, 0);
		free(occ);
	}

	/* The bound drops nothing inside the window. */
	assert_int_equal(ical_expand("2021-03-11 10:00", "America/Santiago",
	    90, "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TH", NULL, 0, from,
	    from + 366 * 86400LL, 100, &occ, &n, &err), 0);
	assert_int_equal(n, 4);
	free(occ);
	/* UTC+14: the 4th, 2022-01-02 12:00 local, is 2022-01-01 22:00Z,
	 * inside a window that ends 2022-01-02 00:00Z. */
	assert_int_equal(ical_expand("2021-12-30 12:00", "Pacific/Kiritimati",
	    60, "FREQ=DAILY;COUNT=5", NULL, 0, from, from + 366 * 86400LL, 100,
	    &occ, &n, &err), 0);
	assert_int_equal(n, 4);
	free(occ);
}

/* ---- every stored input ---------------------------------------------- */

static const struct harness_target *const targets[] = {
	&harness_classify, &harness_config, &harness_template,
};
#define NTARGETS (sizeof targets / sizeof targets[0])

/* The file at path through target t, whose init() made files. */
static void
feed(const struct harness_target *t, void *files, const char *path)
{
	size_t len;
	char *text = tl_slurp(path, &len), *data;
	const char *bad;

	if (text == NULL)
		fail_msg("cannot read %s", path);
	/* exactly len bytes, as libFuzzer gives them: no NUL to lean on */
	data = xmalloc(len + (len == 0));
	memcpy(data, text, len);
	free(text);
	if ((bad = t->one(files, data, len)) != NULL)
		fail_msg("%s: %s", path, bad);
	free(data);
}

/* The target an input's name starts with ("config-..."). */
static const struct harness_target *
target_of(const char *name)
{
	size_t i, n;

	for (i = 0; i < NTARGETS; i++) {
		n = strlen(targets[i]->name);
		if (strncmp(name, targets[i]->name, n) == 0 && name[n] == '-')
			return targets[i];
	}
	return NULL;
}

static void
stored_inputs(void **state)
{
	const struct harness_target *t;
	struct dirent **ents;
	char *path;
	void *files;
	int n, i, ran = 0;

	(void)state;
	n = scandir(REGRESS, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", REGRESS, ents[i]->d_name);
		if (ents[i]->d_name[0] == '.')
			;
		else if ((t = target_of(ents[i]->d_name)) == NULL)
			fail_msg("%s: name it classify-, config- or template-",
			    path);
		else {
			files = t->init();
			feed(t, files, path);
			t->done(files);
			ran++;
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	assert_true(ran > 0);
}

/* The seeds fuzz/run.sh gives the config and template targets, the
 * project's own files, are sane through the same code: the harness works,
 * and so do they. */
static void
seeds(void **state)
{
	static const char *const patterns[][2] = {
		{ "config-", "config/*.ini" },
		{ "config-", "config/groups.d/*" },
		{ "template-", "templates/*/*.txt" },
	};
	const struct harness_target *t;
	glob_t g;
	size_t i, k, ran = 0;
	void *files;

	(void)state;
	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		t = target_of(patterns[i][0]);
		assert_non_null(t);
		assert_int_equal(glob(patterns[i][1], 0, NULL, &g), 0);
		files = t->init();
		for (k = 0; k < g.gl_pathc; k++, ran++)
			feed(t, files, g.gl_pathv[k]);
		t->done(files);
		globfree(&g);
	}
	assert_true(ran > 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_calendar_part),
		cmocka_unit_test(never_matching_rrule),
		cmocka_unit_test(stored_inputs),
		cmocka_unit_test(seeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

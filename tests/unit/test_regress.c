/* Regression tests for what the fuzz targets (fuzz/) found.
 *
 * Every file under tests/data/regress/ is an input that once crashed,
 * leaked or hung a target; its name says which: classify-*, config-*,
 * template-*.  Each is fed to the same functions as its target, the same
 * way (see fuzz/fuzz_*.c), and the result must be sane.  A target's
 * artifact becomes a test by copying it there under a name that says what
 * it is; a crash also gets a small case of its own below, written by hand,
 * that shows the shape of the bug.
 *
 * Run from the repository root (tests/run.sh does). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "config.h"
#include "ical.h"
#include "template.h"
#include "util.h"

#define REGRESS "tests/data/regress"
/* fuzz/fuzz_config.c: the line between the global file and a group file */
#define CONFIG_SEP "\n;----8<---- groups.d/g.ini\n"

static char *
slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT(BUF_OWN);
	char chunk[8192];
	size_t n;
	FILE *fp;

	fp = fopen(path, "rb");
	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	assert_false(ferror(fp));
	fclose(fp);
	*len = b.len;
	/* exactly len bytes, as libFuzzer gives them: no NUL to lean on */
	if (b.len == 0) {
		buf_release(&b);
		return xmalloc(1);
	}
	return buf_detach(&b);
}

static void
put(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static char *
tmpdir(void)
{
	char *d = xasprintf("%s/convened-regress.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");

	assert_non_null(mkdtemp(d));
	return d;
}

/* ---- the inbound path: classify() and verdict_json() ---------------- */

/* The verdict and its JSON as `convened inspect` prints them. */
static struct verdict *
classify_sane(const char *data, size_t len)
{
	struct verdict *v = NULL;
	const unsigned char *p;
	char *json;

	assert_int_equal(classify(data, len, &v), 0);
	assert_non_null(v);
	assert_true((unsigned)v->kind <= VERDICT_MALFORMED);
	json = verdict_json(v);
	assert_non_null(json);
	assert_int_equal(json[0], '{');
	assert_int_equal(json[strlen(json) - 1], '}');
	assert_true(str_is_utf8(json));
	for (p = (const unsigned char *)json; *p != '\0'; p++)
		assert_true(*p >= 0x20 && *p != 0x7f);
	free(json);
	return v;
}

static void
run_classify(const char *path)
{
	size_t len;
	char *data = slurp(path, &len);

	verdict_free(classify_sane(data, len));
	free(data);
}

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
	v = classify_sane(msg, sizeof msg - 1);
	assert_int_equal(v->kind, VERDICT_MALFORMED);
	assert_string_equal(v->message_id, "e@x");
	assert_non_null(v->reason);
	verdict_free(v);
}

/* ---- the configuration: config_load() -------------------------------- */

static const char global_fixed[] =
    "[daemon]\n"
    "timezone = America/Santiago\n"
    "language = es\n"
    "[organizer]\n"
    "name = Secretaria\n"
    "email = agenda@conferencia.example.org\n"
    "[smtp]\n"
    "url = smtp://127.0.0.1:25\n"
    "tls = none\n"
    "[imap]\n"
    "url = imaps://imap.example.org\n"
    "username = agenda@conferencia.example.org\n"
    "password_file = imap.pass\n"
    "folders = INBOX\n"
    "[policy]\n"
    "annual_quota = 3\n";

/* Split the input as fuzz_config does; load; errors and NULL agree. */
static void
run_config(const char *path)
{
	size_t len, i;
	char *data = slurp(path, &len), *dir = tmpdir(), *sep;
	char *global = xasprintf("%s/convened.ini", dir);
	char *groups = xasprintf("%s/groups.d", dir);
	char *group = xasprintf("%s/g.ini", groups);
	struct config *cfg;
	struct diag d;

	assert_int_equal(mkdir(groups, 0700), 0);
	sep = memmem(data, len, CONFIG_SEP, sizeof CONFIG_SEP - 1);
	if (sep != NULL) {
		put(global, data, (size_t)(sep - data) + 1);
		sep += sizeof CONFIG_SEP - 1;
		put(group, sep, len - (size_t)(sep - data));
	} else if (memmem(data, len, "[group]", 7) != NULL) {
		put(global, global_fixed, sizeof global_fixed - 1);
		put(group, data, len);
	} else
		put(global, data, len);
	diag_init(&d);
	cfg = config_load(global, &d);
	assert_true((cfg == NULL) == (d.nerrors > 0));
	for (i = 0; i < d.n; i++)
		assert_null(strchr(d.text[i], '\n'));
	config_free(cfg);
	diag_free(&d);
	unlink(group);
	unlink(global);
	rmdir(groups);
	rmdir(dir);
	free(group);
	free(groups);
	free(global);
	free(dir);
	free(data);
}

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

/* ---- templates: template_check() and template_render() -------------- */

/* The input as local/en/<kind>.txt, the kind picked by length as
 * fuzz_template does, every other kind minimal in the shipped dir. */
static void
run_template(const char *path)
{
	static const char minimal[] = "Subject: {{group_id}}\n\nx\n";
	static const struct tvar vars[] = {
		{ "summary", "line\r\nbreak {{agenda}}" },
		{ "agenda", "\xff invalid" },
		{ "group_id", "g" },
	};
	static const char *const langs[] = { "en" };
	size_t len, nkinds, k;
	char *data = slurp(path, &len), *dir = tmpdir(), *p;
	char *local = xasprintf("%s/local", dir), *ldir;
	char *shipped = xasprintf("%s/shipped", dir), *sdir;
	char *subject = NULL, *body = NULL, *err = NULL;
	struct config *cfg = xcalloc(1, sizeof *cfg);
	struct diag d;
	int rc;

	ldir = xasprintf("%s/en", local);
	sdir = xasprintf("%s/en", shipped);
	assert_int_equal(mkdir(local, 0700), 0);
	assert_int_equal(mkdir(ldir, 0700), 0);
	assert_int_equal(mkdir(shipped, 0700), 0);
	assert_int_equal(mkdir(sdir, 0700), 0);
	for (nkinds = 0; template_kinds[nkinds] != NULL; nkinds++) {
		p = xasprintf("%s/%s.txt", sdir, template_kinds[nkinds]);
		put(p, minimal, sizeof minimal - 1);
		free(p);
	}
	k = len % nkinds;
	p = xasprintf("%s/%s.txt", ldir, template_kinds[k]);
	put(p, data, len);
	cfg->templates = xstrdup(shipped);
	cfg->templates_local = xstrdup(local);
	cfg->language = xstrdup("en");

	diag_init(&d);
	template_check(cfg, &d);
	rc = template_render(cfg, langs, 1, template_kinds[k], vars,
	    sizeof vars / sizeof vars[0], &subject, &body, &err);
	if (d.nerrors == 0)
		assert_int_equal(rc, 0);
	if (rc == 0) {
		assert_null(strpbrk(subject, "\r\n"));
		assert_true(str_is_utf8(subject));
		assert_true(str_is_utf8(body));
		free(subject);
		free(body);
	} else {
		assert_non_null(err);
		free(err);
	}
	diag_free(&d);
	config_free(cfg);
	unlink(p);
	free(p);
	for (k = 0; k < nkinds; k++) {
		p = xasprintf("%s/%s.txt", sdir, template_kinds[k]);
		unlink(p);
		free(p);
	}
	rmdir(sdir);
	rmdir(ldir);
	rmdir(shipped);
	rmdir(local);
	rmdir(dir);
	free(sdir);
	free(ldir);
	free(shipped);
	free(local);
	free(dir);
	free(data);
}

/* ---- every stored input ---------------------------------------------- */

static void
stored_inputs(void **state)
{
	struct dirent **ents;
	char *path;
	int n, i, ran = 0;

	(void)state;
	n = scandir(REGRESS, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		path = xasprintf("%s/%s", REGRESS, name);
		if (strncmp(name, "classify-", 9) == 0)
			run_classify(path), ran++;
		else if (strncmp(name, "config-", 7) == 0)
			run_config(path), ran++;
		else if (strncmp(name, "template-", 9) == 0)
			run_template(path), ran++;
		else if (name[0] != '.')
			fail_msg("%s: name it classify-, config- or "
			    "template-", path);
		free(path);
		free(ents[i]);
	}
	free(ents);
	assert_true(ran > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_calendar_part),
		cmocka_unit_test(never_matching_rrule),
		cmocka_unit_test(stored_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for outage.c: what fails around a message (the repository,
 * a group's directory in it, the templates, the state db) is told once,
 * waited out with backoff, and counted against no message; through
 * inbox_apply() and cycle_run() on a real store, without servers. */
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

#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "inbox.h"
#include "outage.h"
#include "report.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

static int
setup(void **state)
{
	tl_setup_planned(state);
	tl_ws_global_add(*state, "[policy]\nadmin = admin@example.org\n");
	return 0;
}

/* Minutes-like mail from Ana, to a letter's Reply-To (her token for
 * the group): a document with one small file. */
static char *
document(struct tl_ws *fx, const char *msgid)
{
	char *to = tl_reply_to(fx, 'g', "ss", "ana@mides.example.uy"), *m;

	m = xasprintf("From: Ana <ana@mides.example.uy>\r\n"
	    "To: %s\r\nSubject: [ss] document\r\n"
	    "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nInforme.\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=\"i.pdf\"\r\n\r\n"
	    "%%PDF-1.4\r\n--b--\r\n", to, msgid);
	free(to);
	return m;
}

static enum inbox_result
apply(struct tl_ws *fx, const char *msg, const char *now)
{
	char *err = NULL;
	enum inbox_result r;

	r = inbox_apply(fx->cfg, fx->st, tl_utc(now), msg, strlen(msg), "INBOX",
	    7, 1, &err);
	free(err);
	return r;
}

static int
failures(struct tl_ws *fx, const char *msgid)
{
	int count = 0, q, told;
	char *err = NULL;

	assert_int_equal(store_inbound_failures(fx->st, msgid, &count, &q,
	    &told, &err) >= 0, 1);
	return count;
}

static int
is_down(struct tl_ws *fx, const char *resource, const char *when)
{
	char *err = NULL;

	return outage_due(fx->st, resource, tl_utc(when), &err) != OUTAGE_UP;
}

/* The repository unusable (a file where its directory should be): the
 * message waits, counted against nothing; the outage is logged and told
 * once; a message meanwhile waits without a try; once the repository is
 * back and its try has come, both apply and the outage ends. */
static void
test_repository_down(void **state)
{
	struct tl_ws *fx = *state;
	char *a = document(fx, "a@uy"), *b = document(fx, "b@uy"), *repo, *log;

	repo = xasprintf("%s/repo", fx->dir);
	tl_write(repo, "not a directory", 0644);
	tl_log_begin(fx);
	assert_int_equal(apply(fx, a, "2021-03-02 10:00"), INBOX_WAITING);
	assert_int_equal(apply(fx, b, "2021-03-02 10:00"), INBOX_WAITING);
	assert_int_equal(apply(fx, a, "2021-03-02 10:00"), INBOX_WAITING);
	log = tl_log_end(fx);
	assert_int_equal(tl_count(log, "cannot use the repository"), 1);
	assert_int_equal(tl_count(log, "Not a directory"), 1);
	assert_int_equal(tl_count(log, "convened:"), 1);
	free(log);
	assert_int_equal(failures(fx, "a@uy"), 0);
	assert_int_equal(failures(fx, "b@uy"), 0);
	assert_true(is_down(fx, OUTAGE_REPOSITORY, "2021-03-02 10:00"));
	assert_int_equal(tl_outbox_count(fx, NULL, "outage-notice",
	    "admin@example.org"), 1);
	{
		char *text = tl_outbox_text(fx, "outage-notice",
		    "admin@example.org");

		assert_non_null(strstr(text, "convened no ha podido usar"));
		assert_non_null(strstr(text, repo));
		free(text);
	}
	/* Still broken at its next try: a second failed try, told no
	 * more. */
	assert_int_equal(apply(fx, a, "2021-03-02 10:01"), INBOX_WAITING);
	assert_int_equal(tl_outbox_count(fx, NULL, "outage-notice", NULL), 1);
	/* Mended; the try waits for its time (two minutes after the second
	 * failure), then both apply. */
	assert_int_equal(unlink(repo), 0);
	assert_int_equal(apply(fx, a, "2021-03-02 10:02"), INBOX_WAITING);
	tl_log_begin(fx);
	assert_int_equal(apply(fx, a, "2021-03-02 10:04"), INBOX_APPLIED);
	assert_int_equal(apply(fx, b, "2021-03-02 10:04"), INBOX_APPLIED);
	log = tl_log_end(fx);
	assert_int_equal(tl_count(log, "works again, after 4 min"), 1);
	free(log);
	assert_false(is_down(fx, OUTAGE_REPOSITORY, "2021-03-02 10:04"));
	free(repo);
	free(a);
	free(b);
}

/* A group's directory that is a link: refused, nothing written where it
 * points; an outage of that group's directory alone. */
static void
test_group_dir_linked(void **state)
{
	struct tl_ws *fx = *state;
	char *a = document(fx, "a@uy"), *p, *q, *log;

	p = xasprintf("%s/repo", fx->dir);
	assert_int_equal(mkdir(p, 0750), 0);
	free(p);
	p = xasprintf("%s/elsewhere", fx->dir);
	assert_int_equal(mkdir(p, 0750), 0);
	q = xasprintf("%s/repo/ss", fx->dir);
	assert_int_equal(symlink(p, q), 0);
	tl_log_begin(fx);
	assert_int_equal(apply(fx, a, "2021-03-02 10:00"), INBOX_WAITING);
	log = tl_log_end(fx);
	assert_int_equal(tl_count(log, "cannot use the group directory"), 1);
	assert_int_equal(tl_count(log, "refused"), 1);
	free(log);
	assert_int_equal(tl_count_files(fx->dir, "elsewhere"), 0);
	assert_true(is_down(fx, "repository/ss", "2021-03-02 10:00"));
	assert_false(is_down(fx, OUTAGE_REPOSITORY, "2021-03-02 10:00"));
	/* The calendar feed does not go there either. */
	{
		char *err = NULL;

		assert_int_equal(report_calendar_write(fx->cfg, fx->st,
		    tl_utc("2021-03-02 12:00"), NULL, &err), 0);
		assert_int_equal(tl_count_files(fx->dir, "elsewhere"), 0);
	}
	assert_int_equal(unlink(q), 0);
	/* The feed's try at noon failed too: the next is at 12:02. */
	assert_int_equal(apply(fx, a, "2021-03-02 12:01"), INBOX_WAITING);
	assert_int_equal(apply(fx, a, "2021-03-02 12:02"), INBOX_APPLIED);
	assert_false(is_down(fx, "repository/ss", "2021-03-02 12:02"));
	free(p);
	free(q);
	free(a);
}

/* A template broken while the daemon runs (here the minutes notice in
 * the administrator's directory): the minutes wait, the templates are
 * told of once, with the file and line; mended, the minutes apply. */
static void
test_template_broken(void **state)
{
	struct tl_ws *fx = *state;
	char *p, *log, *m, *to;
	int i;

	for (i = 0; i < 2; i++) {
		p = xasprintf(i ? "%s/templates/es" : "%s/templates", fx->dir);
		assert_int_equal(mkdir(p, 0755), 0);
		free(p);
	}
	p = xasprintf("%s/templates/es/minutes-notice.txt", fx->dir);
	tl_write(p, "Subject: {{summary}}\n\n{{#files}}\n", 0644);
	tl_ws_reload(fx);
	to = tl_reply_to(fx, 'g', "ss", "ana@mides.example.uy");
	m = xasprintf("From: Ana <ana@mides.example.uy>\r\n"
	    "To: %s\r\nSubject: [ss] minutes\r\n"
	    "Message-ID: <min@uy>\r\n\r\nActa.\r\n", to);
	free(to);
	tl_log_begin(fx);
	assert_int_equal(apply(fx, m, "2021-03-18 10:00"), INBOX_WAITING);
	assert_int_equal(apply(fx, m, "2021-03-18 10:00"), INBOX_WAITING);
	log = tl_log_end(fx);
	assert_int_equal(tl_count(log, "cannot use the templates"), 1);
	assert_int_equal(tl_count(log, "minutes-notice.txt:3: section "
	    "{{#files}} is never closed"), 1);
	free(log);
	assert_int_equal(failures(fx, "min@uy"), 0);
	assert_int_equal(tl_count_files(fx->dir, "repo"), 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(apply(fx, m, "2021-03-18 10:05"), INBOX_APPLIED);
	assert_false(is_down(fx, OUTAGE_TEMPLATES, "2021-03-18 10:05"));
	assert_int_equal(tl_outbox_count(fx, NULL, "minutes-notice", NULL), 3);
	free(p);
	free(m);
}

/* The state db held by another process past the busy timeout: the
 * message waits, nothing recorded; a cycle stops, says so once, skips
 * the cycles before its next try, and tells the admin once it is over. */
static void
test_store_busy(void **state)
{
	struct tl_ws *fx = *state;
	char *a = document(fx, "a@uy"), *path, *log, *err = NULL;
	struct cycle_stats cs;
	sqlite3 *other;

	path = xasprintf("%s/state.db", fx->dir);
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(apply(fx, a, "2021-03-02 10:00"), INBOX_STORE_DOWN);
	assert_int_equal(store_failure(fx->st), STORE_FAIL_ENV);
	tl_log_begin(fx);
	assert_int_equal(cycle_run(fx->cfg, fx->st, tl_utc("2021-03-02 10:00"),
	    0, NULL, &cs, &err), 0);
	assert_null(err);
	assert_true(cs.store_down);
	/* The next one, a minute later, is before its next try. */
	assert_int_equal(cycle_run(fx->cfg, fx->st, tl_utc("2021-03-02 10:00"),
	    0, NULL, &cs, &err), 0);
	assert_true(cs.store_down);
	log = tl_log_end(fx);
	assert_int_equal(tl_count(log, "cannot use the state db"), 1);
	assert_int_equal(tl_count(log, "database is locked"), 1);
	assert_int_equal(tl_count(log, "convened:"), 1);
	free(log);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	tl_log_begin(fx);
	assert_int_equal(cycle_run(fx->cfg, fx->st, tl_utc("2021-03-02 10:01"),
	    0, NULL, &cs, &err), 0);
	assert_false(cs.store_down);
	log = tl_log_end(fx);
	assert_int_equal(tl_count(log, "works again, after 1 min"), 1);
	free(log);
	assert_int_equal(tl_outbox_count(fx, NULL, "outage-notice",
	    "admin@example.org"), 1);
	assert_int_equal(apply(fx, a, "2021-03-02 10:02"), INBOX_APPLIED);
	free(path);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_repository_down, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_group_dir_linked, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_template_broken, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_store_busy, setup,
		    tl_teardown),
	};
	int rc = cmocka_run_group_tests_name("outage", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

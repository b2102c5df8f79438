/* Unit tests for repo.c, site.c and htmlreport.c: the journal committed
 * with the right author and message, a crash between commit and the
 * journal row's removal committing nothing twice, a change that changed
 * nothing making no commit, a file gone committed as gone, a plain
 * directory converted and stray files recovered, pushes to a bare
 * repository and to a remote that is not there (an outage, tried again
 * only after its backoff), the site (public records only, no address,
 * nothing rewritten when nothing changed) and report --format html.
 * The history is read back with the git command. */
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
#include "outage.h"
#include "milestone.h"
#include "plan.h"
#include "present.h"
#include "repo.h"
#include "report.h"
#include "site.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

#define T0 1616000000LL         /* 2021-03-17 16:53:20 UTC */

static const char pub[] =
	"[group]\nid = pub\nname = Cooperación\nkind = thematic\n"
	"axis = cooperation\nlanguage = pt\ndissemination = public\n"
	"[member ana@mides.example.uy]\nname = Ana Pérez\nrole = ministry\n"
	"coordinator = yes\n"
	"[member luis@cepal.example.org]\nname = Luis Muñoz\n"
	"role = secretariat\ncoordinator = yes\n"
	"[milestone plan]\nsummary = Plan de trabajo\ndue = 2021-06-30\n"
	"[milestone informe]\nsummary = Informe anual\ndue = 2021-11-30\n";

static const char priv[] =
	"[group]\nid = priv\nname = Cuidados\nkind = thematic\n"
	"axis = protection\ndissemination = members\n"
	"[member eva@minsal.example.cl]\nname = Eva\nrole = ministry\n"
	"coordinator = yes\n"
	"[member kim@gov.example.bb]\nname = Kim\nrole = secretariat\n"
	"coordinator = yes\n";

/* What a shell command printed (caller frees); it must succeed. */
static char *
sh(const char *fmt, ...)
{
	struct buf b = BUF_INIT(BUF_OWN);
	char *cmd, chunk[4096];
	va_list ap;
	size_t got;
	FILE *p;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((got = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_add(&b, chunk, got);
	if (pclose(p) != 0)
		fail_msg("failed: %s", cmd);
	free(cmd);
	return b.len ? buf_detach(&b) : xstrdup("");
}

static void
put(struct tl_ws *ws, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", ws->cfg->repository, rel), *dir;

	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	free(sh("mkdir -p '%s'", dir));
	tl_write(path, text, 0640);
	free(dir);
	free(path);
}

static int
flush(struct tl_ws *ws, long long now)
{
	char *err = NULL;
	int n = -1;

	if (repo_flush(ws->cfg, ws->st, now, &n, &err) != 0)
		fail_msg("repo_flush: %s", err);
	return n;
}

static void
journal(struct tl_ws *ws, const char *kind, const char *path,
    const char *who)
{
	const char *paths[] = { path };
	struct repo_change c;
	char *err = NULL;

	memset(&c, 0, sizeof c);
	c.author_name = who != NULL ? "Ana Pérez" : NULL;
	c.author_email = who;
	c.group_id = "pub";
	c.meeting_uid = who != NULL ? "m1@example.org" : NULL;
	c.kind = kind;
	c.message_id = who != NULL ? "<min-1@mides.example.uy>" : NULL;
	c.paths = paths;
	c.npaths = 1;
	c.at = T0;
	if (repo_commit(ws->st, &c, &err) != 0)
		fail_msg("repo_commit: %s", err);
}

static int
journal_empty(struct tl_ws *ws)
{
	struct store_repo_change c;
	char *err = NULL;
	int rc = store_repo_next(ws->st, &c, &err);

	store_repo_change_clear(&c);
	return rc == 0;
}

static int
setup(void **state)
{
	struct tl_ws *ws;

	tl_setup_ws(state, NULL);
	ws = *state;
	tl_ws_group(ws, "10-pub.ini", pub);
	tl_ws_group(ws, "20-priv.ini", priv);
	/* the groups and members in the store */
	assert_int_equal(tl_step(ws, "plan", plan_group, "2020-06-01 00:00"),
	    0);
	return 0;
}

/* One commit for one change: author the sender, committer convened,
 * the message naming group, meeting, kind and Message-ID. */
static void
test_commit(void **state)
{
	struct tl_ws *ws = *state;
	char *log;

	put(ws, "pub/2021/2021-03-17-minutes/minutes.txt", "Acta.\n");
	put(ws, "pub/2021/2021-03-17-minutes/metadata.json", "{}\n");
	journal(ws, "minutes", "pub/2021/2021-03-17-minutes/",
	    "ana@mides.example.uy");
	assert_int_equal(flush(ws, T0 + 60), 1);
	assert_true(journal_empty(ws));
	log = sh("git -C %s log --format='%%an|%%ae|%%cn|%%ce|%%at|%%ct%%n%%B'",
	    ws->cfg->repository);
	assert_non_null(strstr(log, "Ana Pérez|ana@mides.example.uy|convened|"
	    "agenda@example.org|1616000000|1616000060\n"));
	assert_non_null(strstr(log, "\nGroup: pub\n"));
	assert_non_null(strstr(log, "\nMeeting: m1@example.org\n"));
	assert_non_null(strstr(log, "\nKind: minutes\n"));
	assert_non_null(strstr(log, "\nMessage-ID: <min-1@mides.example.uy>\n"));
	assert_int_equal(tl_count(log, "Convened-Journal: "), 1);
	free(log);
	log = sh("git -C %s ls-files", ws->cfg->repository);
	assert_string_equal(log, "pub/2021/2021-03-17-minutes/metadata.json\n"
	    "pub/2021/2021-03-17-minutes/minutes.txt\n");
	free(log);
	/* nothing new: no commit */
	assert_int_equal(flush(ws, T0 + 120), 0);
	free(sh("git -C %s fsck --strict 2>&1", ws->cfg->repository));
}

/* The row of a change already committed (a crash came before it was
 * dropped) is dropped, not committed again. */
static void
test_crash_after_commit(void **state)
{
	struct tl_ws *ws = *state;
	char *db = xasprintf("%s/state.db", ws->dir), *log;
	struct store_repo_change c;
	char *err = NULL;
	sqlite3 *raw;

	put(ws, "pub/calendar.ics", "BEGIN:VCALENDAR\n");
	journal(ws, "calendar", "pub/calendar.ics", NULL);
	assert_int_equal(store_repo_next(ws->st, &c, &err), 1);
	assert_int_equal(flush(ws, T0), 1);
	/* the row back, as a crash before its removal leaves it */
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	{
		char *sql = sqlite3_mprintf("INSERT INTO repo_journal (id, "
		    "kind, group_id, paths, at) VALUES (%lld, 'calendar', "
		    "'pub', 'pub/calendar.ics', 0)", c.id);

		assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_free(sql);
	}
	sqlite3_close(raw);
	assert_int_equal(flush(ws, T0 + 60), 0);
	assert_true(journal_empty(ws));
	log = sh("git -C %s rev-list --count HEAD", ws->cfg->repository);
	assert_string_equal(log, "1\n");
	free(log);
	store_repo_change_clear(&c);
	free(db);
}

/* A journaled write that failed (nothing changed) makes no commit; a
 * file gone is committed as gone; bad paths are refused. */
static void
test_unchanged_gone_refused(void **state)
{
	struct tl_ws *ws = *state;
	char *err = NULL, *files, *path;
	const char *bad[] = { "../x" };
	struct repo_change c;

	put(ws, "pub/calendar.ics", "one\n");
	journal(ws, "calendar", "pub/calendar.ics", NULL);
	assert_int_equal(flush(ws, T0), 1);
	journal(ws, "calendar", "pub/calendar.ics", NULL);
	assert_int_equal(flush(ws, T0 + 1), 0);
	assert_true(journal_empty(ws));
	path = xasprintf("%s/pub/calendar.ics", ws->cfg->repository);
	assert_int_equal(unlink(path), 0);
	free(path);
	journal(ws, "calendar", "pub/calendar.ics", NULL);
	assert_int_equal(flush(ws, T0 + 2), 1);
	files = sh("git -C %s ls-files", ws->cfg->repository);
	assert_string_equal(files, "");
	free(files);
	memset(&c, 0, sizeof c);
	c.kind = "x";
	c.paths = bad;
	c.npaths = 1;
	assert_int_equal(repo_commit(ws->st, &c, &err), -1);
	assert_non_null(strstr(err, "'../x'"));
	free(err);
	bad[0] = "/etc/passwd";
	err = NULL;
	assert_int_equal(repo_commit(ws->st, &c, &err), -1);
	free(err);
}

/* A plain directory: one commit converts it; a stray file later is
 * recovered, as convened. */
static void
test_convert_recover(void **state)
{
	struct tl_ws *ws = *state;
	char *log;

	put(ws, "pub/2020/2020-05-01-minutes/minutes.txt", "old\n");
	put(ws, "priv/calendar.ics", "old feed\n");
	assert_int_equal(flush(ws, T0), 1);
	log = sh("git -C %s log --format='%%an %%s'", ws->cfg->repository);
	assert_string_equal(log, "convened the repository converted to a git "
	    "history\n");
	free(log);
	put(ws, "priv/stray.txt", "stray\n");
	put(ws, "priv/.tmp.123.1", "half written\n");
	assert_int_equal(flush(ws, T0 + 60), 1);
	log = sh("git -C %s show --stat --format='%%s' HEAD",
	    ws->cfg->repository);
	assert_non_null(strstr(log, "files found on disk without a commit"));
	assert_non_null(strstr(log, "priv/stray.txt"));
	assert_null(strstr(log, ".tmp."));
	free(log);
	assert_int_equal(flush(ws, T0 + 120), 0);
}

/* Pushed to a bare repository; a remote that is not there is an outage,
 * not tried again before its backoff, and the next push carries all. */
static void
test_publish(void **state)
{
	struct tl_ws *ws = *state;
	char *bare = xasprintf("%s/bare.git", ws->dir), *a, *b, *err = NULL;
	struct store_outage o;

	free(sh("git init -q --bare '%s'", bare));
	put(ws, "pub/calendar.ics", "one\n");
	journal(ws, "calendar", "pub/calendar.ics", NULL);
	assert_int_equal(flush(ws, T0), 1);
	ws->cfg->publish = xasprintf("%s/absent/nothing.git", ws->dir);
	assert_int_equal(repo_publish(ws->cfg, ws->st, T0, &err), 0);
	assert_int_equal(store_outage_get(ws->st, OUTAGE_PUBLISH, &o, &err), 1);
	free(o.error);
	free(ws->cfg->publish);
	ws->cfg->publish = xstrdup(bare);
	/* still within the backoff: not tried */
	assert_int_equal(repo_publish(ws->cfg, ws->st, T0 + 10, &err), 0);
	assert_int_equal(store_outage_get(ws->st, OUTAGE_PUBLISH, &o, &err), 1);
	free(o.error);
	put(ws, "pub/calendar.ics", "two\n");
	journal(ws, "calendar", "pub/calendar.ics", NULL);
	assert_int_equal(flush(ws, T0 + 20), 1);
	assert_int_equal(repo_publish(ws->cfg, ws->st, T0 + 3600, &err), 0);
	assert_int_equal(store_outage_get(ws->st, OUTAGE_PUBLISH, &o, &err), 0);
	a = sh("git -C %s rev-parse HEAD", ws->cfg->repository);
	b = sh("git -C %s rev-parse main", bare);
	assert_string_equal(a, b);
	free(a);
	free(b);
	b = sh("git -C %s rev-list --count main", bare);
	assert_string_equal(b, "2\n");
	free(b);
	free(bare);
}

static void
add_doc(struct tl_ws *ws, const char *group, const char *path,
    const char *text)
{
	struct store_document d = { group, NULL, "minutes", path,
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "ana@mides.example.uy", "<m@x>", 0 };
	char *err = NULL;

	d.received = T0;
	put(ws, path, text);
	if (store_document_add(ws->st, &d, &err) != 0)
		fail_msg("%s", err);
}

/* The site: public records copied without addresses, members-only ones
 * absent, no member address in any page, pages in the group's language;
 * written again only when something changed. */
static void
test_site(void **state)
{
	struct tl_ws *ws = *state;
	char *err = NULL, *all, *page;

	add_doc(ws, "pub", "pub/2021/2021-03-17-minutes/minutes.txt",
	    "Acta. Escribir a ana@mides.example.uy.\n");
	add_doc(ws, "priv", "priv/2021/2021-03-17-minutes/secreto.txt",
	    "Solo para miembros.\n");
	assert_int_equal(site_write(ws->cfg, ws->st, T0, &err, &err), 0);
	assert_false(journal_empty(ws));
	/* the site's commit, then the records put here unjournaled */
	assert_int_equal(flush(ws, T0), 2);
	all = sh("cat %s/site/*.html %s/site/files/pub/2021/*/*",
	    ws->cfg->repository, ws->cfg->repository);
	assert_null(strstr(all, "@mides.example.uy"));
	assert_null(strstr(all, "@minsal.example.cl"));
	assert_null(strstr(all, "@gov.example.bb"));
	assert_null(strstr(all, "@cepal.example.org"));
	assert_null(strstr(all, "Solo para miembros"));
	assert_non_null(strstr(all, "Acta. Escribir a […]."));
	free(all);
	page = sh("cat %s/site/pub.html", ws->cfg->repository);
	assert_non_null(strstr(page, "<html lang=\"pt\">"));
	assert_non_null(strstr(page, "Ana Pérez, Luis Muñoz"));
	assert_non_null(strstr(page, "href=\"files/pub/2021/2021-03-17-minutes/"
	    "minutes.txt\""));
	assert_non_null(strstr(page, "<svg"));
	free(page);
	page = sh("cat %s/site/priv.html", ws->cfg->repository);
	assert_non_null(strstr(page, "<html lang=\"es\">"));
	assert_non_null(strstr(page, "solo para sus miembros"));
	assert_null(strstr(page, "secreto"));
	free(page);
	page = sh("cat %s/site/index.html", ws->cfg->repository);
	assert_non_null(strstr(page, "href=\"pub.html\""));
	assert_non_null(strstr(page, "href=\"priv.html\""));
	free(page);
	assert_int_equal(tl_count_files(ws->cfg->repository,
	    "site/files/priv"), 0);
	/* nothing changed: nothing journaled */
	assert_int_equal(site_write(ws->cfg, ws->st, T0 + 60, &err, &err), 0);
	assert_true(journal_empty(ws));
}

/* The group page reads what issues 15 and 20 write: present.c's record
 * of experiences (its files linked for a public group), the list
 * archive's readable months of a public group (no address, never the
 * mbox, nothing of a members-only group's), the milestones with their
 * due and done days.  A month that grows is copied again. */
static void
test_site_sections(void **state)
{
	struct tl_ws *ws = *state;
	const struct group *g = config_group(ws->cfg, "pub");
	struct store_presentation p;
	char *err = NULL, *json, *page;

	memset(&p, 0, sizeof p);
	p.meeting_uid = "m1@example.org";
	p.group_id = "pub";
	p.email = "ana@mides.example.uy";
	p.name = "Ana Pérez";
	p.country = "UY";
	p.title = "Cuidados <y> apoyo";
	p.status = "accepted";
	p.presented = 1;
	p.files = "pub/2021/2021-03-17-meeting/cuidados.pdf\n"
	    "pub/../priv/list/2021-03.txt";
	p.start = T0;
	json = present_experiences_json(g, &p, 1);
	put(ws, "pub/experiences.json", json);
	free(json);
	put(ws, "pub/2021/2021-03-17-meeting/cuidados.pdf", "%PDF-1.4\n");
	put(ws, "pub/list/2021-03.txt", "From:    Ana Pérez "
	    "<ana@mides.example.uy>\n\nHola a todos.\n");
	put(ws, "pub/list/2021-03.mbox", "From ana@mides.example.uy x\n");
	put(ws, "priv/list/2021-03.txt", "Secreto de lista.\n");
	assert_int_equal(milestone_mark_done(ws->st, g, &g->milestones[0],
	    T0, "<d1@mides.example.uy>", "ana@mides.example.uy", &err), 1);
	assert_int_equal(site_write(ws->cfg, ws->st, T0, &err, &err), 0);
	page = sh("cat %s/site/pub.html", ws->cfg->repository);
	assert_non_null(strstr(page, "<tr><td>2021-03-17</td><td>UY</td>"
	    "<td>Ana Pérez</td><td>Cuidados &lt;y&gt; apoyo <a href=\"files/"
	    "pub/2021/2021-03-17-meeting/cuidados.pdf\">cuidados.pdf</a>"
	    "</td></tr>"));
	assert_non_null(strstr(page, "<h2 id=\"list\">"));
	assert_non_null(strstr(page, "<a href=\"files/pub/list/2021-03.txt\">"
	    "2021-03</a>"));
	assert_non_null(strstr(page, "<tr><td>Plan de trabajo</td>"
	    "<td>2021-06-30</td><td>2021-03-17</td></tr>"));
	assert_non_null(strstr(page, "<tr><td>Informe anual</td>"
	    "<td>2021-11-30</td><td></td></tr>"));
	assert_null(strstr(page, "mbox"));
	free(page);
	page = sh("cat %s/site/files/pub/list/2021-03.txt",
	    ws->cfg->repository);
	assert_string_equal(page, "From:    Ana Pérez <[…]>\n\nHola a "
	    "todos.\n");
	free(page);
	page = sh("cat %s/site/files/pub/2021/2021-03-17-meeting/cuidados.pdf",
	    ws->cfg->repository);
	assert_string_equal(page, "%PDF-1.4\n");
	free(page);
	page = sh("cat %s/site/priv.html", ws->cfg->repository);
	assert_null(strstr(page, "list"));
	free(page);
	page = sh("find %s/site", ws->cfg->repository);
	assert_null(strstr(page, ".mbox"));
	free(page);
	assert_int_equal(tl_count_files(ws->cfg->repository,
	    "site/files/priv"), 0);
	/* the month grows: its copy follows */
	assert_int_equal(flush(ws, T0), 2);
	put(ws, "pub/list/2021-03.txt", "From:    Ana Pérez "
	    "<ana@mides.example.uy>\n\nHola a todos.\nY otra.\n");
	assert_int_equal(site_write(ws->cfg, ws->st, T0 + 60, &err, &err), 0);
	assert_false(journal_empty(ws));
	page = sh("cat %s/site/files/pub/list/2021-03.txt",
	    ws->cfg->repository);
	assert_non_null(strstr(page, "Y otra."));
	free(page);
}

/* report --format html: the charts and their numbers, and the
 * experiences of issue 15's record per country. */
static void
test_html_report(void **state)
{
	struct tl_ws *ws = *state;
	char *err = NULL, *out = NULL;
	size_t len = 0;
	FILE *fp;

	put(ws, "pub/experiences.json", "[{\"date\": \"2021-03-17\", "
	    "\"meeting\": \"m1\", \"country\": \"UY\", \"presenter\": \"Ana\", "
	    "\"title\": \"Cuidados\", \"files\": []}, {\"date\": \"2021-04-01\","
	    " \"country\": \"UY\"}, {\"date\": \"2020-04-01\", \"country\": "
	    "\"CL\"}]");
	fp = open_memstream(&out, &len);
	assert_int_equal(report_annual(fp, ws->cfg, ws->st, T0, 2021, "html",
	    &err), 0);
	fclose(fp);
	assert_true(strncmp(out, "<!DOCTYPE html>", 15) == 0);
	assert_int_equal(tl_count(out, "<svg"), 3);
	assert_non_null(strstr(out, "Meetings held against the quota"));
	assert_non_null(strstr(out, "<tr><td>UY</td><td class=\"n\">2</td>"));
	assert_null(strstr(out, ">CL<"));
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "@"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit, setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_crash_after_commit, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_gone_refused,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_convert_recover, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_publish, setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_site, setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_site_sections, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_html_report, setup,
		    tl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

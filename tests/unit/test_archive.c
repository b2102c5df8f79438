/* Unit tests for archive.c: hostile attachment names stay inside the
 * repository, nothing is overwritten, metadata and digests are right. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "testlib.h"
#include "util.h"

static void
safe(const char *in, size_t len, const char *want)
{
	char *got = archive_safe_name(in, len, "fallback");

	assert_string_equal(got, want);
	free(got);
}

static void
test_safe_names(void **state)
{
	char big[10001], *got;
	static const char nul[] = "evil\0.sh.pdf";

	(void)state;
	safe("acta.pdf", 8, "acta.pdf");
	safe("../../etc/passwd", 16, "passwd");
	safe("/etc/shadow", 11, "shadow");
	safe("C:\\Users\\x\\acta final.docx", 26, "acta final.docx");
	safe("..", 2, "fallback");
	safe(".hidden", 7, "hidden");
	safe("...", 3, "fallback");
	safe("", 0, "fallback");
	safe(NULL, 0, "fallback");
	safe(nul, sizeof nul - 1, "evil.sh.pdf");
	safe("a\r\nb\tc\x1b[2J.txt", 15, "abc[2J.txt");
	safe("metadata.json", 13, "attachment-metadata.json");
	safe("Acta reuni\xf3n.pdf", 16, "Acta reuni_n.pdf");   /* Latin-1 */
	safe("Acta reunión.pdf", 17, "Acta reunión.pdf");
	safe("trailing. . ", 12, "trailing");

	memset(big, 'a', sizeof big - 1);
	memcpy(big + sizeof big - 5, ".pdf", 4);
	big[sizeof big - 1] = '\0';
	got = archive_safe_name(big, strlen(big), "f");
	assert_true(strlen(got) <= 120);
	assert_string_equal(got + strlen(got) - 4, ".pdf");
	free(got);
	/* A long name of multi-byte characters is cut on a character. */
	{
		struct buf b = BUF_INIT(BUF_OWN);
		int i;

		for (i = 0; i < 100; i++)
			buf_adds(&b, "ñ");
		got = archive_safe_name(b.data, b.len, "f");
		assert_true(strlen(got) <= 120);
		assert_true(str_is_utf8(got));
		free(got);
		buf_release(&b);
	}
}

/* What people see of a name is what it is: no direction overrides, no
 * invisible characters, one spelling of each accented letter; and two
 * names that end up alike are told apart in the item. */
static void
test_names_people_read(void **state)
{
	char dir[] = "/tmp/convened-archive-XXXXXX", *repo, *err = NULL;
	struct archive_file files[] = {
		/* "acta" RLO "fdp.exe": shows as "actaexe.pdf" */
		{ "acta\xe2\x80\xae" "fdp.exe", "1", 1, NULL },
		/* zero-width space and joiner, BOM, word joiner */
		{ "in\xe2\x80\x8b" "for\xe2\x80\x8dme\xef\xbb\xbf.pdf\xe2\x81\xa0",
		  "2", 1, NULL },
		/* "Reunión" with a combining acute, then precomposed */
		{ "Reunio\xcc\x81n.pdf", "3", 1, NULL },
		{ "Reuni\xc3\xb3n.pdf", "4", 1, NULL },
		/* LRE, PDF, LRI, PDI, LRM, RLM, ALM around a name */
		{ "\xe2\x80\xaa\xe2\x80\xac\xe2\x81\xa6" "a\xe2\x81\xa9"
		  "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c.pdf", "5", 1, NULL },
		{ "a.pdf", "6", 1, NULL },
		{ "a.pdf", "7", 1, NULL },
		{ "\xe2\x80\x8b\xe2\x80\x8b", "8", 1, NULL },
	};
	const struct archive_item it = {
		.group_id = "g", .kind = "document", .date = "2021-05-01",
		.received = 1619827200, .files = files, .nfiles = 8,
	};
	static const char *const want[] = {
		"actafdp.exe", "informe.pdf", "Reuni\xc3\xb3n.pdf",
		"Reuni\xc3\xb3n (2).pdf", "a.pdf", "a (2).pdf", "a (3).pdf",
		"attachment-8",
	};
	struct archive_stored st;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	repo = xasprintf("%s/repository", dir);
	assert_int_equal(archive_store(repo, &it, &st, &err), ARCHIVE_OK);
	assert_int_equal(st.n, 8);
	for (i = 0; i < 8; i++)
		assert_string_equal(st.names[i], want[i]);
	archive_stored_free(&st);
	tl_rmtree(dir);
	free(repo);
}

/* Nothing convened writes goes through a link below the repository: a
 * linked group or year directory is refused and blamed on the group, a
 * repository that cannot be made on the repository, and nothing is
 * written where the links point. */
static void
test_links_refused(void **state)
{
	char dir[] = "/tmp/convened-archive-XXXXXX", *repo, *p, *q, *err = NULL;
	const struct archive_item it = {
		.group_id = "g", .kind = "document", .date = "2021-05-01",
		.received = 1619827200, .text = "words",
	};
	struct archive_stored st;
	int fd;
	char *got;

	(void)state;
	assert_non_null(mkdtemp(dir));
	repo = xasprintf("%s/repository", dir);
	p = xasprintf("%s/elsewhere", dir);
	assert_int_equal(mkdir(repo, 0750), 0);
	assert_int_equal(mkdir(p, 0750), 0);
	q = xasprintf("%s/g", repo);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(archive_store(repo, &it, &st, &err), ARCHIVE_GROUP);
	assert_non_null(strstr(err, "refused"));
	free(err);
	err = NULL;
	assert_int_equal(archive_group_dir(repo, "g", &fd, &err), ARCHIVE_GROUP);
	free(err);
	err = NULL;
	assert_int_equal(tl_count_files(p, NULL), 0);
	/* The year's directory as a link, under a real group directory. */
	assert_int_equal(unlink(q), 0);
	assert_int_equal(mkdir(q, 0750), 0);
	free(q);
	q = xasprintf("%s/g/2021", repo);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(archive_store(repo, &it, &st, &err), ARCHIVE_GROUP);
	free(err);
	err = NULL;
	assert_int_equal(tl_count_files(p, NULL), 0);

	/* The feed beside it: a link where the file should be is refused,
	 * and the file it points to is neither read nor written. */
	free(q);
	q = xasprintf("%s/g/calendar.ics", repo);
	assert_int_equal(rmdir(p), 0);
	tl_write(p, "outside", 0640);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(archive_group_dir(repo, "g", &fd, &err), ARCHIVE_OK);
	assert_int_equal(archive_read_file(fd, "calendar.ics", 100, &got), -1);
	assert_null(got);
	assert_int_equal(archive_write_file(fd, "calendar.ics", "feed", 4,
	    &err), ARCHIVE_GROUP);
	assert_non_null(strstr(err, "a link"));
	free(err);
	err = NULL;
	got = tl_slurp(p, NULL);
	assert_string_equal(got, "outside");
	free(got);
	assert_int_equal(unlink(q), 0);
	assert_int_equal(archive_write_file(fd, "calendar.ics", "feed", 4,
	    &err), ARCHIVE_OK);
	assert_int_equal(archive_read_file(fd, "calendar.ics", 100, &got), 0);
	assert_string_equal(got, "feed");
	free(got);
	close(fd);

	/* A repository that cannot even be made: its parent is a file. */
	free(q);
	q = xasprintf("%s/file/repository", dir);
	free(p);
	p = xasprintf("%s/file", dir);
	tl_write(p, "x", 0640);
	assert_int_equal(archive_store(q, &it, &st, &err), ARCHIVE_REPOSITORY);
	free(err);
	free(p);
	free(q);
	tl_rmtree(dir);
	free(repo);
}

static void
test_sha256(void **state)
{
	char hex[65];

	(void)state;
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static void
test_store_and_clash(void **state)
{
	char dir[] = "/tmp/convened-archive-XXXXXX", *repo, *p, *meta, *cmd;
	static const char pdf[] = "%PDF-1.4 pretend";
	struct archive_file files[] = {
		{ "acta.pdf", pdf, sizeof pdf - 1, "application/pdf" },
		{ "../acta.pdf", "second", 6, NULL },
		{ "minutes.txt", "clash with the text", 19, NULL },
		{ NULL, "no name", 7, NULL },
	};
	const struct archive_item it = {
		.group_id = "south-south", .kind = "minutes",
		.date = "2021-03-17", .sender = "ana@mides.example.uy",
		.message_id = "m1@mides.example.uy", .received = 1616000000,
		.dissemination = "members",
		.meeting_uid = "south-south-monthly-20210317@example.org",
		.text = "Acta de la reunión\n", .files = files, .nfiles = 4,
	};
	struct archive_stored st, st2;
	char *err = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	repo = xasprintf("%s/repository", dir);
	assert_int_equal(archive_store(repo, &it, &st, &err), 0);
	assert_string_equal(st.dir, "south-south/2021/2021-03-17-minutes");
	assert_int_equal(st.n, 5);
	assert_string_equal(st.names[0], "minutes.txt");
	assert_string_equal(st.names[1], "acta.pdf");
	assert_string_equal(st.names[2], "acta (2).pdf");
	assert_string_equal(st.names[3], "minutes (2).txt");
	assert_string_equal(st.names[4], "attachment-4");
	/* Five files and the metadata, all inside the item's directory. */
	assert_int_equal(tl_count_files(dir, NULL), 6);
	p = xasprintf("%s/%s/metadata.json", repo, st.dir);
	meta = tl_slurp(p, NULL);
	assert_non_null(meta);
	assert_non_null(strstr(meta, "\"sender\": \"ana@mides.example.uy\""));
	assert_non_null(strstr(meta, "\"message_id\": \"m1@mides.example.uy\""));
	assert_non_null(strstr(meta, "\"dissemination\": \"members\""));
	assert_non_null(strstr(meta, st.sha256[1]));
	free(meta);
	free(p);
	/* The same item again: a new directory, the first untouched. */
	assert_int_equal(archive_store(repo, &it, &st2, &err), 0);
	assert_string_equal(st2.dir, "south-south/2021/2021-03-17-minutes-2");
	p = xasprintf("%s/%s/acta.pdf", repo, st.dir);
	meta = tl_slurp(p, NULL);
	assert_non_null(meta);
	assert_string_equal(meta, pdf);
	free(meta);
	free(p);
	/* No temporary file is left anywhere. */
	cmd = xasprintf("find '%s' -name '.tmp*' | grep -q .", dir);
	assert_int_not_equal(system(cmd), 0);
	free(cmd);
	archive_stored_free(&st);
	archive_stored_free(&st2);
	tl_rmtree(dir);
	free(repo);
}

/* A thousand attachments, every one a hostile name. */
static void
test_thousand_attachments(void **state)
{
	char dir[] = "/tmp/convened-archive-XXXXXX", *repo, *cmd;
	struct archive_file *files = xcalloc(1000, sizeof *files);
	const struct archive_item it = {
		.group_id = "g", .kind = "document", .date = "2021-05-01",
		.received = 1619827200, .files = files, .nfiles = 1000,
	};
	struct archive_stored st;
	char **names = xcalloc(1000, sizeof *names), *err = NULL;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	repo = xasprintf("%s/repository", dir);
	for (i = 0; i < 1000; i++) {
		names[i] = xasprintf(i % 2 ? "../../../x%zu" : "/abs/../x", i);
		files[i].name = names[i];
		files[i].data = "x";
		files[i].len = 1;
	}
	assert_int_equal(archive_store(repo, &it, &st, &err), 0);
	assert_int_equal(st.n, 1000);
	assert_int_equal(tl_count_files(dir, NULL), 1001);
	cmd = xasprintf("find '%s' -type f ! -path '%s/repository/g/2021/"
	    "2021-05-01-document/*' | grep -q .", dir, dir);
	assert_int_not_equal(system(cmd), 0);
	free(cmd);
	archive_stored_free(&st);
	for (i = 0; i < 1000; i++)
		free(names[i]);
	free(names);
	free(files);
	tl_rmtree(dir);
	free(repo);
}

/* Every directory 0750 and file 0640 below the walk's root, counted. */
static int ndirs, nfiles_seen;

static int
mode_ok(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	mode_t want = type == FTW_D ? 0750 : 0640;

	(void)ftw;
	if (type != FTW_D && type != FTW_F)
		fail_msg("%s: neither a directory nor a file", path);
	if ((sb->st_mode & 07777) != want)
		fail_msg("%s is %o, not %o", path, (unsigned)(sb->st_mode & 07777),
		    (unsigned)want);
	(*(type == FTW_D ? &ndirs : &nfiles_seen))++;
	return 0;
}

/* The repository is the convened group's to read whatever the umask: the
 * daemon runs with 077, and every directory archive.c makes (the
 * repository, the group's, the year's, each item's, a clash's) is 0750,
 * every file 0640. */
static void
test_modes_under_umask(void **state)
{
	char dir[] = "/tmp/convened-archive-XXXXXX", *repo, *err = NULL;
	struct archive_file files[] = {
		{ "acta.pdf", "%PDF", 4, "application/pdf" },
	};
	const struct archive_item it = {
		.group_id = "g", .kind = "minutes", .date = "2021-03-17",
		.received = 1616000000, .text = "Acta\n", .files = files,
		.nfiles = 1,
	};
	struct archive_stored st, st2;
	mode_t old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	repo = xasprintf("%s/repository", dir);
	old = umask(077);
	assert_int_equal(archive_store(repo, &it, &st, &err), 0);
	assert_int_equal(archive_store(repo, &it, &st2, &err), 0);
	umask(old);
	assert_string_equal(st2.dir, "g/2021/2021-03-17-minutes-2");
	ndirs = nfiles_seen = 0;
	assert_int_equal(nftw(repo, mode_ok, 8, FTW_PHYS), 0);
	/* repository, g, 2021, two items; text, PDF and metadata twice */
	assert_int_equal(ndirs, 5);
	assert_int_equal(nfiles_seen, 6);
	archive_stored_free(&st);
	archive_stored_free(&st2);
	tl_rmtree(dir);
	free(repo);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safe_names),
		cmocka_unit_test(test_names_people_read),
		cmocka_unit_test(test_links_refused),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_store_and_clash),
		cmocka_unit_test(test_thousand_attachments),
		cmocka_unit_test(test_modes_under_umask),
	};

	return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}

/* Unit tests for archive.c: hostile attachment names stay inside the
 * repository, nothing is overwritten, metadata and digests are right. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
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

static void
test_sha256(void **state)
{
	char hex[65];

	(void)state;
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static int
count_files(const char *path)
{
	char *cmd = xasprintf("find '%s' -type f | wc -l", path);
	FILE *p = popen(cmd, "r");
	int n = -1;

	free(cmd);
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
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
	assert_string_equal(st.names[2], "acta-2.pdf");
	assert_string_equal(st.names[3], "minutes-2.txt");
	assert_string_equal(st.names[4], "attachment-4");
	/* Five files and the metadata, all inside the item's directory. */
	assert_int_equal(count_files(dir), 6);
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
	assert_int_equal(count_files(dir), 1001);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safe_names),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_store_and_clash),
		cmocka_unit_test(test_thousand_attachments),
	};

	return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}

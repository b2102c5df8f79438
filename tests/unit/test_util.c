/* test_util.c: the capped buffer, reading a file into it, files written
 * whole or not at all, the repository's modes whatever the umask
 * (sha256_hex is test_archive's), and the arena. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* An add that would pass the maximum adds nothing, and every later add
 * fails too: the buffer holds a prefix of what was added. */
static void
test_buf_cap(void **state)
{
	struct buf b = BUF_INIT(8);

	(void)state;
	assert_int_equal(buf_adds(&b, "abcde"), 0);
	assert_int_equal(buf_addf(&b, "%d", 123), 0);
	assert_string_equal(buf_str(&b), "abcde123");
	assert_false(buf_full(&b));
	assert_int_equal(buf_addc(&b, 'x'), -1);
	assert_true(buf_full(&b));
	assert_string_equal(buf_str(&b), "abcde123");

	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "abcdef"), 0);
	assert_int_equal(buf_adds(&b, "ghi"), -1);
	/* It would fit, but an add has failed: the text stays a prefix. */
	assert_int_equal(buf_adds(&b, "g"), -1);
	assert_string_equal(buf_str(&b), "abcdef");
	assert_int_equal(buf_addf(&b, "%s", "z"), -1);
	assert_int_equal(b.len, 6);

	/* reset and release start again under the same maximum */
	buf_release(&b);
	assert_int_equal(b.max, 8);
	assert_false(buf_full(&b));
	assert_int_equal(buf_add(&b, "12345678", 8), 0);
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_int_equal(buf_addc(&b, '9'), -1);
	buf_release(&b);

	buf_init(&b, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_addc(&b, 'a'), -1);
	buf_release(&b);
}

static char *
temp_file(const char *text, size_t len)
{
	char *path = xstrdup("/tmp/convened-util-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

static int
read_into(struct buf *b, const char *path)
{
	int fd = open(path, O_RDONLY), rc, saved;

	assert_true(fd >= 0);
	rc = buf_read(b, fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* A file that fills the buffer exactly is read whole; one byte more is
 * EFBIG with the first max bytes kept. */
static void
test_buf_read(void **state)
{
	struct buf b = BUF_INIT(5);
	char *exact = temp_file("hello", 5), *over = temp_file("hello!", 6);
	char *big, *path, *empty;
	size_t i;

	(void)state;
	/* An empty file: an empty string, not bytes never written. */
	empty = temp_file("", 0);
	assert_int_equal(read_into(&b, empty), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);

	assert_int_equal(read_into(&b, exact), 0);
	assert_string_equal(buf_str(&b), "hello");
	buf_release(&b);

	errno = 0;
	assert_int_equal(read_into(&b, over), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(b.len, 5);
	assert_string_equal(buf_str(&b), "hello");
	assert_true(buf_full(&b));
	buf_release(&b);

	/* Across many reads, binary bytes included. */
	big = xmalloc(200000);
	for (i = 0; i < 200000; i++)
		big[i] = (char)(i * 7);
	path = temp_file(big, 200000);
	buf_init(&b, 200000);
	assert_int_equal(read_into(&b, path), 0);
	assert_int_equal(b.len, 200000);
	assert_memory_equal(b.data, big, 200000);
	assert_int_equal(b.data[b.len], '\0');
	buf_release(&b);
	buf_init(&b, 199999);
	assert_int_equal(read_into(&b, path), -1);
	assert_int_equal(errno, EFBIG);
	assert_memory_equal(b.data, big, 199999);
	buf_release(&b);

	unlink(empty);
	unlink(exact);
	unlink(over);
	unlink(path);
	free(empty);
	free(exact);
	free(over);
	free(path);
	free(big);
}

/* No temporary file left in dir. */
static void
assert_no_temp(const char *dir)
{
	char *pattern = xasprintf("%s/.tmp.*", dir);
	glob_t g;

	assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
	globfree(&g);
	free(pattern);
}

/* Replaces the old file whole, leaves no temporary file; a directory in
 * the way is an error that leaves nothing behind either. */
static void
test_file_write_atomic(void **state)
{
	char dir[] = "/tmp/convened-atomic-XXXXXX", *p, *err = NULL;
	struct buf b = BUF_INIT(100);
	struct stat sb;
	int dfd, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(file_write_atomic(dfd, "f.txt", "first version", 13,
	    &err), 0);
	assert_int_equal(file_write_atomic(dfd, "f.txt", "second", 6, &err), 0);
	assert_null(err);
	p = xasprintf("%s/f.txt", dir);
	assert_int_equal(read_into(&b, p), 0);
	assert_string_equal(buf_str(&b), "second");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_no_temp(dir);

	assert_int_equal(mkdirat(dfd, "sub", 0750), 0);
	fd = openat(dfd, "sub/x", O_WRONLY | O_CREAT, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(file_write_atomic(dfd, "sub", "x", 1, &err), -1);
	assert_non_null(strstr(err, "cannot rename"));
	free(err);
	assert_no_temp(dir);

	unlinkat(dfd, "sub/x", 0);
	unlinkat(dfd, "sub", AT_REMOVEDIR);
	unlinkat(dfd, "f.txt", 0);
	close(dfd);
	rmdir(dir);
	buf_release(&b);
	free(p);
}

/* A batch: nothing has its new bytes until it commits; then every file
 * has; more files than a batch holds commit along the way.  A rename
 * that fails ends the commit with no temporary file left: the files
 * before it replaced, those after it as they were. */
static void
test_file_batch(void **state)
{
	char dir[] = "/tmp/convened-batch-XXXXXX", *p, *err = NULL;
	char name[32];
	struct buf b = BUF_INIT(100);
	struct file_batch *fb = xcalloc(1, sizeof *fb);
	int dfd, i, n = FILE_BATCH_MAX + 3;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(file_write_atomic(dfd, "a", "old a", 5, &err), 0);
	assert_int_equal(file_batch_add(fb, dfd, "a", "new a", 5, &err), 0);
	p = xasprintf("%s/a", dir);
	buf_reset(&b);
	assert_int_equal(read_into(&b, p), 0);
	assert_string_equal(buf_str(&b), "old a");
	assert_int_equal(file_batch_commit(fb, &err), 0);
	buf_reset(&b);
	assert_int_equal(read_into(&b, p), 0);
	assert_string_equal(buf_str(&b), "new a");
	assert_int_equal(fb->n, 0);
	assert_no_temp(dir);

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "f%03d", i);
		assert_int_equal(file_batch_add(fb, dfd, name, name,
		    strlen(name), &err), 0);
	}
	assert_int_equal(fb->n, (size_t)(n - FILE_BATCH_MAX));
	assert_int_equal(file_batch_commit(fb, &err), 0);
	for (i = 0; i < n; i++) {
		char *f;

		snprintf(name, sizeof name, "f%03d", i);
		f = xasprintf("%s/%s", dir, name);
		buf_reset(&b);
		assert_int_equal(read_into(&b, f), 0);
		assert_string_equal(buf_str(&b), name);
		unlink(f);
		free(f);
	}
	assert_no_temp(dir);

	/* A directory in the way of the second of three. */
	assert_int_equal(mkdirat(dfd, "sub", 0750), 0);
	assert_int_equal(mkdirat(dfd, "sub/x", 0750), 0);
	assert_int_equal(file_write_atomic(dfd, "c", "old c", 5, &err), 0);
	assert_int_equal(file_batch_add(fb, dfd, "a", "newer a", 7, &err), 0);
	assert_int_equal(file_batch_add(fb, dfd, "sub", "x", 1, &err), 0);
	assert_int_equal(file_batch_add(fb, dfd, "c", "new c", 5, &err), 0);
	assert_int_equal(file_batch_commit(fb, &err), -1);
	assert_non_null(strstr(err, "cannot rename"));
	free(err);
	assert_int_equal(fb->n, 0);
	assert_no_temp(dir);
	buf_reset(&b);
	assert_int_equal(read_into(&b, p), 0);
	assert_string_equal(buf_str(&b), "newer a");
	free(p);
	p = xasprintf("%s/c", dir);
	buf_reset(&b);
	assert_int_equal(read_into(&b, p), 0);
	assert_string_equal(buf_str(&b), "old c");

	unlinkat(dfd, "sub/x", AT_REMOVEDIR);
	unlinkat(dfd, "sub", AT_REMOVEDIR);
	unlinkat(dfd, "a", 0);
	unlinkat(dfd, "c", 0);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
	buf_release(&b);
	free(p);
	free(fb);
}

/* Under convened's umask 077 the repository stays readable by the
 * convened group: files 0640, directories 0750; a directory already
 * there keeps its mode, and a link in the way is not followed. */
static void
test_repository_modes(void **state)
{
	char dir[] = "/tmp/convened-modes-XXXXXX", *err = NULL;
	struct stat sb;
	mode_t old;
	int dfd, sfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	old = umask(077);
	assert_int_equal(file_mkdirat(dfd, "g"), 1);
	assert_int_equal(fstatat(dfd, "g", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	assert_int_equal(file_mkdirat(dfd, "g"), 0);
	assert_int_equal(fchmodat(dfd, "g", 0700, 0), 0);
	assert_int_equal(file_mkdirat(dfd, "g"), 0);
	assert_int_equal(fstatat(dfd, "g", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(file_mkdirat(dfd, "missing/x"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(symlinkat("/tmp", dfd, "link"), 0);
	assert_int_equal(file_mkdirat(dfd, "link"), 0);

	sfd = openat(dfd, "g", O_RDONLY | O_DIRECTORY);
	assert_true(sfd >= 0);
	assert_int_equal(file_write_atomic(sfd, "f.txt", "x", 1, &err), 0);
	assert_int_equal(fstatat(sfd, "f.txt", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	umask(old);

	unlinkat(sfd, "f.txt", 0);
	close(sfd);
	unlinkat(dfd, "g", AT_REMOVEDIR);
	unlinkat(dfd, "link", 0);
	close(dfd);
	rmdir(dir);
}

/* Every block zeroed, aligned, apart from every other, and writable to
 * its end, across chunks small and huge; a block larger than a chunk
 * has a chunk of its own. */
static void
test_arena(void **state)
{
	struct arena *a = NULL;
	unsigned char *p[2000], *q, *big;
	size_t len[2000], i, j, k;

	(void)state;
	for (i = 0; i < 2000; i++) {
		len[i] = 1 + (i * 7919) % 3000;
		p[i] = arena_calloc(&a, len[i], 1);
		assert_true((uintptr_t)p[i] % 16 == 0);
		for (k = 0; k < len[i]; k++)
			assert_int_equal(p[i][k], 0);
		memset(p[i], (int)(i & 0xff), len[i]);
	}
	/* Nothing was written over: no two blocks meet. */
	for (i = 0; i < 2000; i++)
		for (k = 0; k < len[i]; k++)
			if (p[i][k] != (unsigned char)(i & 0xff))
				fail_msg("block %zu byte %zu overwritten", i, k);
	big = arena_calloc(&a, 3, (size_t)3 << 20);
	for (k = 0; k < ((size_t)9 << 20); k += 4093)
		assert_int_equal(big[k], 0);
	memset(big, 0xa5, (size_t)9 << 20);
	q = arena_calloc(&a, 0, 8);
	assert_non_null(q);
	assert_true(q + 16 <= big || q >= big + ((size_t)9 << 20));
	/* A reserve makes room that later blocks use. */
	arena_reserve(&a, (size_t)5 << 20);
	for (j = 0; j < 5; j++) {
		q = arena_calloc(&a, 1, (size_t)1 << 20);
		assert_int_equal(q[0], 0);
		assert_int_equal(q[((size_t)1 << 20) - 1], 0);
		memset(q, 1, (size_t)1 << 20);
	}
	assert_int_equal(big[((size_t)9 << 20) - 1], 0xa5);
	arena_free(a);
	arena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_read),
		cmocka_unit_test(test_file_write_atomic),
		cmocka_unit_test(test_file_batch),
		cmocka_unit_test(test_repository_modes),
		cmocka_unit_test(test_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_lock.c: one cycle at a time.  flock(2) locks belong to an open
 * file description, so a second lock_take() in this process is refused
 * exactly as another process would be; a child shows waiting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "util.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
state_in(char *dir)
{
	assert_non_null(mkdtemp(dir));
	return xasprintf("%s/state.db", dir);
}

static void
cleanup(char *dir, char *state)
{
	char *p = xasprintf("%s.lock", state);

	unlink(p);
	rmdir(dir);
	free(p);
	free(state);
}

/* The holder's pid and start in the file; the second taker is told both
 * and the lock file, at once when it does not wait. */
static void
test_busy_names_holder(void **state)
{
	char dir[] = "/tmp/convened-lock-XXXXXX", *st, *err = NULL, *want;
	char note[128];
	enum lock_fail why;
	struct lock *a, *b;
	struct stat sb;
	ssize_t n;
	int fd;

	(void)state;
	st = state_in(dir);
	a = lock_take(st, 0, &why, &err);
	assert_non_null(a);
	want = xasprintf("%s.lock", st);
	assert_int_equal(stat(want, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	fd = open(want, O_RDONLY);
	n = read(fd, note, sizeof note - 1);
	close(fd);
	assert_true(n > 0);
	note[n] = '\0';
	assert_int_equal(atol(note), (long)getpid());
	assert_non_null(strstr(note, "Z\n"));

	b = lock_take(st, 0, &why, &err);
	assert_null(b);
	assert_int_equal(why, LOCK_BUSY);
	assert_non_null(strstr(err, st));
	assert_non_null(strstr(err, want));
	free(want);
	want = xasprintf("pid %ld since ", (long)getpid());
	assert_non_null(strstr(err, want));
	free(want);
	free(err);
	err = NULL;

	/* released: the next one takes it */
	lock_release(a);
	b = lock_take(st, 0, &why, &err);
	assert_non_null(b);
	lock_release(b);
	cleanup(dir, st);
}

/* --wait gives up after its time, not before, and not much after. */
static void
test_wait_gives_up(void **state)
{
	char dir[] = "/tmp/convened-lock-XXXXXX", *st, *err = NULL;
	enum lock_fail why;
	struct lock *a;
	double t0, took;

	(void)state;
	st = state_in(dir);
	a = lock_take(st, 0, &why, &err);
	assert_non_null(a);
	t0 = now_s();
	assert_null(lock_take(st, 1, &why, &err));
	took = now_s() - t0;
	assert_int_equal(why, LOCK_BUSY);
	assert_true(took >= 1.0 && took < 2.0);
	free(err);
	lock_release(a);
	cleanup(dir, st);
}

/* A holder that exits (or crashes) frees the lock: the waiter gets it. */
static void
test_wait_for_holder(void **state)
{
	char dir[] = "/tmp/convened-lock-XXXXXX", *st, *err = NULL;
	enum lock_fail why;
	struct lock *a;
	int pipefd[2], status;
	double t0, took;
	char c;
	pid_t pid;

	(void)state;
	st = state_in(dir);
	assert_int_equal(pipe(pipefd), 0);
	if ((pid = fork()) == 0) {
		/* Any holder will do: flock itself, and nothing left
		 * allocated for valgrind to count in this child. */
		char *lockp = xasprintf("%s.lock", st);
		int fd = open(lockp, O_RDWR | O_CREAT, 0600);

		free(lockp);
		free(st);
		close(pipefd[0]);
		if (fd == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1)
			_exit(1);
		(void)!write(pipefd[1], "x", 1);
		usleep(500000);
		_exit(0);               /* no unlock: the kernel's job */
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	assert_null(lock_take(st, 0, &why, &err));
	assert_int_equal(why, LOCK_BUSY);
	free(err);
	err = NULL;
	t0 = now_s();
	a = lock_take(st, 10, &why, &err);
	took = now_s() - t0;
	assert_non_null(a);
	assert_true(took < 3.0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	lock_release(a);
	cleanup(dir, st);
}

/* A lock file that cannot be made is an error, not "busy". */
static void
test_unwritable(void **state)
{
	char *err = NULL;
	enum lock_fail why;

	(void)state;
	assert_null(lock_take("/nonexistent-dir/state.db", 0, &why, &err));
	assert_int_equal(why, LOCK_ERROR);
	assert_non_null(strstr(err, "/nonexistent-dir/state.db.lock"));
	assert_non_null(strstr(err, strerror(ENOENT)));
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_names_holder),
		cmocka_unit_test(test_wait_gives_up),
		cmocka_unit_test(test_wait_for_holder),
		cmocka_unit_test(test_unwritable),
	};

	log_init(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

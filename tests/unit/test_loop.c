/* test_loop.c: when `convened run` reads mail (the deadline is a pure
 * function of the monotonic clock, so the times here are made up and
 * nothing waits), and how `once` and `run` open the state: never a fresh
 * start beside a repository with records, never over a damaged state,
 * never while another process holds it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "lock.h"
#include "log.h"
#include "loop.h"
#include "store.h"
#include "util.h"

/* tick 60, poll 120, and a cycle that runs past the poll deadline.  The
 * deadline used to be looked at again after the cycle, and moved then
 * although this cycle had not read mail: the next read came a whole poll
 * period late. */
static void
test_poll_after_long_cycle(void **state)
{
	long long next_poll = 0;

	(void)state;
	assert_int_equal(loop_poll_due(&next_poll, 100, 120), 1);
	assert_int_equal(next_poll, 220);
	/* the cycle at 160 does not read mail, and runs until 230 */
	assert_int_equal(loop_poll_due(&next_poll, 160, 120), 0);
	assert_int_equal(next_poll, 220);
	/* the next one, at 230 + 60, does */
	assert_int_equal(loop_poll_due(&next_poll, 290, 120), 1);
	assert_int_equal(next_poll, 410);
	assert_int_equal(loop_poll_due(&next_poll, 409, 120), 0);
	assert_int_equal(loop_poll_due(&next_poll, 410, 120), 1);
}

/* poll shorter than tick: every cycle reads mail; the first always does. */
static void
test_poll_every_cycle(void **state)
{
	long long next_poll = 0;
	long long t;

	(void)state;
	for (t = 5; t < 1000; t += 61)
		assert_int_equal(loop_poll_due(&next_poll, t, 30), 1);
}

/* A scratch directory with a configuration naming state and repository
 * in it: the two fields the opening looks at. */
struct scratch {
	char          dir[40];
	struct config cfg;
};

static void
scratch_init(struct scratch *x)
{
	snprintf(x->dir, sizeof x->dir, "/tmp/convened-open-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	memset(&x->cfg, 0, sizeof x->cfg);
	x->cfg.state = xasprintf("%s/state.db", x->dir);
	x->cfg.repository = xasprintf("%s/repository", x->dir);
}

static void
scratch_free(struct scratch *x)
{
	char *cmd = xasprintf("rm -rf '%s'", x->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(x->cfg.state);
	free(x->cfg.repository);
}

static int
exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	int r = access(p, F_OK) == 0;

	free(p);
	return r;
}

static void
mkpath(const char *dir, const char *rel)
{
	char *cmd = xasprintf("mkdir -p '%s/%s'", dir, rel);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Calendar feeds are not records: a new state is made beside them.  An
 * archived item is: no state and no lock file are made without --init,
 * for `once` (loop_claim) as for `status` (loop_open_store). */
static void
test_fresh_start_needs_init(void **state)
{
	struct scratch x;
	struct lock *lk;
	struct store *st;
	int rc;

	(void)state;
	scratch_init(&x);
	mkpath(x.dir, "repository/g1");
	st = loop_claim(&x.cfg, 0, 0, &lk, &rc);
	assert_non_null(st);
	store_close(st);
	lock_release(lk);
	unlink(x.cfg.state);

	mkpath(x.dir, "repository/g1/2021/2021-03-17-minutes");
	assert_null(loop_claim(&x.cfg, 0, 0, &lk, &rc));
	assert_null(lk);
	assert_int_equal(rc, EX_CONFIG);
	assert_false(exists(x.dir, "state.db"));
	assert_null(loop_open_store(&x.cfg, 0, &rc));
	assert_int_equal(rc, EX_CONFIG);
	assert_false(exists(x.dir, "state.db"));

	st = loop_claim(&x.cfg, 1, 0, &lk, &rc);
	assert_non_null(st);
	assert_true(exists(x.dir, "state.db"));
	store_close(st);
	lock_release(lk);
	/* once it exists, --init is not needed any more */
	st = loop_claim(&x.cfg, 0, 0, &lk, &rc);
	assert_non_null(st);
	store_close(st);
	lock_release(lk);
	scratch_free(&x);
}

/* A damaged state: EX_CONFIG, and not even the lock file is made. */
static void
test_damaged_state_stops(void **state)
{
	struct scratch x;
	struct lock *lk;
	FILE *fp;
	int rc;

	(void)state;
	scratch_init(&x);
	fp = fopen(x.cfg.state, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_null(loop_claim(&x.cfg, 1, 0, &lk, &rc));
	assert_int_equal(rc, EX_CONFIG);
	assert_false(exists(x.dir, "state.db.lock"));
	assert_null(loop_open_store(&x.cfg, 0, &rc));
	assert_int_equal(rc, EX_CONFIG);
	scratch_free(&x);
}

/* Another process holds the state: EX_TEMPFAIL; read-only opening is not
 * kept out. */
static void
test_busy_is_tempfail(void **state)
{
	struct scratch x;
	struct lock *lk, *other;
	struct store *st;
	enum lock_fail why;
	char *err = NULL;
	int rc;

	(void)state;
	scratch_init(&x);
	other = lock_take(x.cfg.state, 0, &why, &err);
	assert_non_null(other);
	assert_null(loop_claim(&x.cfg, 0, 0, &lk, &rc));
	assert_int_equal(rc, EX_TEMPFAIL);
	assert_null(lk);
	st = loop_open_store(&x.cfg, 0, &rc);
	assert_non_null(st);
	store_close(st);
	lock_release(other);
	scratch_free(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_after_long_cycle),
		cmocka_unit_test(test_poll_every_cycle),
		cmocka_unit_test(test_fresh_start_needs_init),
		cmocka_unit_test(test_damaged_state_stops),
		cmocka_unit_test(test_busy_is_tempfail),
	};

	log_init(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

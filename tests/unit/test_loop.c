/* test_loop.c: when `convened run` reads mail.  The deadline is a pure
 * function of the monotonic clock, so the times here are made up and
 * nothing waits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "loop.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_after_long_cycle),
		cmocka_unit_test(test_poll_every_cycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

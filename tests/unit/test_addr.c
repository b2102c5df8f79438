#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "addr.h"

static void
test_valid(void **state)
{
	static const char *const good[] = {
		"ana@mides.example.uy", "a.b+c@example.org", "o'neil@x.example",
		"x@a-b.example",
	};
	static const char *const bad[] = {
		"", "ana", "@example.org", "ana@", "a@b@c", "ana@localhost",
		"ana@example.org\r\nBcc: x@y", "ana @example.org",
		"<ana@example.org>", "\"ana\"@example.org", "añá@example.org",
		"a..b@example.org", ".a@example.org", "a.@example.org",
		"a@-x.example", "a@x-.example", "a@x..example",
		"marie@gouv.example.ht@attacker.example", "a@[127.0.0.1]",
	};
	size_t i;

	(void)state;
	assert_false(addr_valid(NULL));
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!addr_valid(good[i]))
			fail_msg("refused %s", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (addr_valid(bad[i]))
			fail_msg("accepted %s", bad[i]);
}

static void
test_domain(void **state)
{
	(void)state;
	assert_string_equal(addr_domain("ana@mides.example.uy"),
	    "mides.example.uy");
	assert_string_equal(addr_domain("a@b@c.example"), "c.example");
	assert_string_equal(addr_domain("nodomain"), "nodomain");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

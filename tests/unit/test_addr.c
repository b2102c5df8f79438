#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

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

/* A From field names one valid address, or nobody: never a guess. */
static void
test_mailbox(void **state)
{
	static const struct {
		const char *field;
		const char *addr;       /* NULL: refused */
		const char *why;
	} t[] = {
		{ "ana@mides.example.uy", "ana@mides.example.uy", NULL },
		{ "Ana@Mides.Example.UY", "ana@mides.example.uy", NULL },
		{ "Ana Pérez <ana@mides.example.uy>", "ana@mides.example.uy",
		  NULL },
		{ "\"Pérez, Ana\" <ana@mides.example.uy>",
		  "ana@mides.example.uy", NULL },
		{ "=?UTF-8?Q?Ana_P=C3=A9rez?= <ana@mides.example.uy>",
		  "ana@mides.example.uy", NULL },
		{ "ana@mides.example.uy (Ana Pérez)", "ana@mides.example.uy",
		  NULL },
		{ "(work) Ana <ana@mides.example.uy> (Montevideo)",
		  "ana@mides.example.uy", NULL },
		{ "  <ana@mides.example.uy>  ", "ana@mides.example.uy", NULL },
		{ "\"a <b@x.example>\" <ana@mides.example.uy>",
		  "ana@mides.example.uy", NULL },
		/* A display name that looks like an address names nobody
		 * but the one in <>. */
		{ "marie@gouv.example.ht <evil@attacker.example>",
		  "evil@attacker.example", NULL },
		/* What GMime would read as marie@gouv.example.ht. */
		{ "marie@gouv.example.ht@attacker.example", NULL,
		  "not a valid address" },
		{ "Marie <marie@gouv.example.ht@attacker.example>", NULL,
		  "not a valid address" },
		{ "ana@mides.example.uy, mallory@evil.example", NULL,
		  "more than one mailbox" },
		{ "Ana <ana@mides.example.uy>, <m@evil.example>", NULL,
		  "more than one mailbox" },
		{ "undisclosed-recipients:;", NULL, "a group, no mailbox" },
		{ "<@relay.example:ana@mides.example.uy>", NULL,
		  "a source route" },
		{ "Ana <ana@mides.example.uy> x@evil.example", NULL,
		  "text after the address" },
		{ "Ana <ana@mides.example.uy", NULL,
		  "an unclosed comment, quote or '<'" },
		{ "Ana <a@x.example> <b@y.example>", NULL,
		  "more than one '<'" },
		{ "Ana ana@mides.example.uy>", NULL, "'>' without '<'" },
		{ "\"ana\"@mides.example.uy", NULL, "not a valid address" },
		{ "ana @ mides.example.uy", NULL, "not a valid address" },
		{ "Ana", NULL, "not a valid address" },
		{ "<>", NULL, "not a valid address" },
		{ "", NULL, "not a valid address" },
		{ "(unclosed <ana@mides.example.uy>", NULL,
		  "an unclosed comment, quote or '<'" },
		{ "a\\@x.example", NULL, "not a valid address" },
	};
	const char *why;
	char *a, *huge;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		why = NULL;
		if (t[i].addr != NULL) {
			if (addr_mailbox(t[i].field, &a, &why) != 0)
				fail_msg("%s: refused (%s)", t[i].field, why);
			assert_string_equal(a, t[i].addr);
			free(a);
			continue;
		}
		if (addr_mailbox(t[i].field, &a, &why) != -1)
			fail_msg("%s: took %s", t[i].field, a);
		assert_null(a);
		if (strcmp(why, t[i].why) != 0)
			fail_msg("%s: \"%s\", wanted \"%s\"", t[i].field, why,
			    t[i].why);
	}
	assert_int_equal(addr_mailbox(NULL, &a, &why), -1);
	huge = calloc(2001, 1);
	memset(huge, 'a', 1990);
	memcpy(huge + 1990, "@x.example", 10);
	assert_int_equal(addr_mailbox(huge, &a, &why), -1);
	assert_string_equal(why, "a field too long");
	free(huge);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_mailbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

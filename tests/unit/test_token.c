/* Unit tests for token.c: the encoding pinned by known answers (worked
 * out apart, with Python's hmac), what a token is bound to, the key file
 * made once and refused when others can read it, and the tokens a reply
 * carries found where clients put them. */
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

#include "mime.h"
#include "testlib.h"
#include "token.h"
#include "util.h"

#define UID "ss-monthly-20210317@example.org"

static struct token_key key;

static int
setup_key(void **state)
{
	unsigned char b[TOKEN_KEY_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof b; i++)
		b[i] = (unsigned char)i;
	token_key_set(&key, b, sizeof b);
	return 0;
}

/* hmac.new(bytes(range(32)), b"convened-token\0\1" + kind + len + scope +
 * len + address, sha256), its first 10 bytes in base32, lower case. */
static void
test_known_answers(void **state)
{
	char t[TOKEN_LEN + 1];

	(void)state;
	token_build(&key, TOKEN_MEETING, UID, "Ana@Mides.example.uy", t);
	assert_string_equal(t, "pqrhmjn6mxodula6");
	token_build(&key, TOKEN_GROUP, "ss", "ana@mides.example.uy", t);
	assert_string_equal(t, "oetnou42zu3kenld");
	token_build(&key, TOKEN_GROUP, NULL, "admin@example.org", t);
	assert_string_equal(t, "c6p4rihq3hznes53");
}

/* A token is bound to its kind of scope, its scope and its recipient. */
static void
test_bound(void **state)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1], up[TOKEN_LEN + 1];
	struct token_key other;
	size_t i;

	(void)state;
	token_build(&key, TOKEN_MEETING, UID, "ana@mides.example.uy", a);
	assert_int_equal(strlen(a), TOKEN_LEN);
	assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz234567"),
	    TOKEN_LEN);
	assert_true(token_verify(&key, TOKEN_MEETING, UID,
	    "ana@mides.example.uy", a));
	assert_true(token_verify(&key, TOKEN_MEETING, UID,
	    "ANA@mides.example.uy", a));
	/* Any case of the token: some MTAs upper-case local parts. */
	for (i = 0; i <= TOKEN_LEN; i++)
		up[i] = (char)(a[i] >= 'a' && a[i] <= 'z' ? a[i] - 32 : a[i]);
	assert_true(token_verify(&key, TOKEN_MEETING, UID,
	    "ana@mides.example.uy", up));

	assert_false(token_verify(&key, TOKEN_MEETING, UID,
	    "kim@gov.example.bb", a));
	assert_false(token_verify(&key, TOKEN_GROUP, UID,
	    "ana@mides.example.uy", a));
	assert_false(token_verify(&key, TOKEN_MEETING,
	    "ss-monthly-20210421@example.org", "ana@mides.example.uy", a));
	assert_false(token_verify(&key, TOKEN_MEETING, UID,
	    "ana@mides.example.uy", NULL));
	assert_false(token_verify(&key, TOKEN_MEETING, UID,
	    "ana@mides.example.uy", ""));
	a[TOKEN_LEN - 1] ^= 1;
	assert_false(token_verify(&key, TOKEN_MEETING, UID,
	    "ana@mides.example.uy", a));
	a[TOKEN_LEN - 1] ^= 1;
	memcpy(b, a, sizeof b);
	b[3] = '\0';
	assert_false(token_verify(&key, TOKEN_MEETING, UID,
	    "ana@mides.example.uy", b));

	/* Lengths in front: moving a byte from scope to address is
	 * another token. */
	token_build(&key, TOKEN_GROUP, "ab", "c@x.example", a);
	token_build(&key, TOKEN_GROUP, "a", "bc@x.example", b);
	assert_string_not_equal(a, b);

	/* Another key, other tokens. */
	token_key_set(&other, "abcdefghijklmnopqrstuvwxyz012345",
	    TOKEN_KEY_LEN);
	token_build(&other, TOKEN_GROUP, "ab", "c@x.example", b);
	assert_string_not_equal(a, b);
	token_key_wipe(&other);
	assert_false(other.set);
}

static void
test_address(void **state)
{
	char *a;

	(void)state;
	a = token_address("agenda@example.org", "abcdefghijklmnop");
	assert_string_equal(a, "agenda+abcdefghijklmnop@example.org");
	free(a);
	assert_null(token_address("agenda+x@example.org", "abcdefghijklmnop"));
	assert_null(token_address("agenda", "abcdefghijklmnop"));
	assert_null(token_address("@example.org", "abcdefghijklmnop"));
	assert_null(token_address(NULL, "abcdefghijklmnop"));
}

/* ---- the key file ------------------------------------------------------- */

static void
test_key_file(void **state)
{
	struct tl_ws ws;
	struct token_key k1, k2;
	struct stat st;
	char *path, *text, *err = NULL, *log;
	size_t len, i;

	(void)state;
	tl_ws_init(&ws, "token", NULL);
	path = xasprintf("%s/sub-missing/k.key", ws.dir);
	/* Where it cannot be made: said, nothing loaded. */
	assert_int_equal(token_key_load(path, 1, &k1, &err), -1);
	assert_non_null(strstr(err, "cannot create reply-token key file"));
	assert_false(k1.set);
	free(err);
	err = NULL;
	free(path);

	path = xasprintf("%s/k.key", ws.dir);
	assert_int_equal(token_key_load(path, 0, &k1, &err), -1);
	assert_non_null(strstr(err, "cannot read reply-token key file"));
	free(err);
	err = NULL;

	tl_log_begin(&ws);
	assert_int_equal(token_key_load(path, 1, &k1, &err), 0);
	log = tl_log_end(&ws);
	assert_true(k1.set);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = tl_slurp(path, &len);
	assert_int_equal(len, 65);
	assert_int_equal(text[64], '\n');
	assert_int_equal(strspn(text, "0123456789abcdef"), 64);
	/* Logged once, without the key. */
	assert_int_equal(tl_count(log, "created"), 1);
	text[64] = '\0';
	assert_null(strstr(log, text));
	free(log);
	for (i = 0; i < TOKEN_KEY_LEN; i++)
		assert_int_equal(k1.b[i], (unsigned char)
		    strtoul((char[]){ text[2 * i], text[2 * i + 1], 0 }, NULL, 16));
	free(text);
	/* The next start reads the same key: every token still holds. */
	assert_int_equal(token_key_load(path, 1, &k2, &err), 0);
	assert_memory_equal(k1.b, k2.b, TOKEN_KEY_LEN);
	/* No temporary file left beside it. */
	text = xasprintf("test $(ls -A '%s' | grep -c '^k\\.key') -eq 1",
	    ws.dir);
	assert_int_equal(system(text), 0);
	free(text);

	/* Others may read it: refused, as a password file. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(token_key_load(path, 1, &k2, &err), -1);
	assert_non_null(strstr(err, "readable by group or others (mode 0640)"));
	assert_false(k2.set);
	free(err);
	err = NULL;

	/* Not 64 hex digits: refused, never taken for a key. */
	tl_write(path, "0011\n", 0600);
	assert_int_equal(token_key_load(path, 1, &k2, &err), -1);
	assert_non_null(strstr(err, "is not 64 hexadecimal digits"));
	free(err);
	err = NULL;
	tl_write(path, "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdeX\n", 0600);
	assert_int_equal(token_key_load(path, 1, &k2, &err), -1);
	free(err);
	err = NULL;
	/* Written by hand (openssl rand -hex 32), capitals too. */
	tl_write(path, "000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191a1b1c1d1e1f\n", 0600);
	assert_int_equal(token_key_load(path, 1, &k2, &err), 0);
	assert_memory_equal(k2.b, key.b, TOKEN_KEY_LEN);
	free(path);

	/* A systemd credential: read, never made. */
	path = xasprintf("%s/cred.key", ws.dir);
	tl_write(path, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", 0600);
	free(path);
	assert_int_equal(token_key_load("cred.key", 1, &k2, &err), -1);
	assert_non_null(strstr(err, "CREDENTIALS_DIRECTORY is not set"));
	free(err);
	err = NULL;
	assert_int_equal(token_key_load("absent.key", 1, &k2, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", ws.dir, 1), 0);
	assert_int_equal(token_key_load("cred.key", 1, &k2, &err), 0);
	assert_memory_equal(k2.b, key.b, TOKEN_KEY_LEN);
	assert_int_equal(token_key_load("absent.key", 1, &k2, &err), -1);
	free(err);
	unsetenv("CREDENTIALS_DIRECTORY");
	tl_ws_free(&ws);
}

/* ---- finding tokens ----------------------------------------------------- */

static struct mime_msg *
parse(const char *text)
{
	struct mime_msg *m = NULL;
	char *err = NULL;

	if (mime_parse(text, strlen(text), NULL, &m, &err) == -1)
		fail_msg("%s", err);
	return m;
}

static void
test_find(void **state)
{
	struct token_found f[TOKEN_FOUND_MAX];
	struct mime_msg *m;
	size_t n;

	(void)state;
	/* Where each client family puts them: Outlook and Gmail answer the
	 * Reply-To (To), a client that lists everyone in Cc, the MTA's
	 * Delivered-To, In-Reply-To and References quoting our ids. */
	m = parse("From: ana@mides.example.uy\r\n"
	    "Delivered-To: agenda+bbbbbbbbbbbbbbbb@example.org\r\n"
	    "To: \"Secretaría\" <AGENDA+AAAAAAAAAAAAAAAA@Example.ORG>, "
	    "other+cccccccccccccccc@example.org\r\n"
	    "Cc: agenda+dddddddddddddddd@elsewhere.example, "
	    "agenda+eeeeeeeeeeeeeeee@example.org, agenda+short@example.org\r\n"
	    "In-Reply-To: <cv1.agenda-request.ss.ss-monthly-20210317.-."
	    "ffffffffffffffff@example.org>\r\n"
	    "References: <cv1.invite.ss.ss-monthly-20210317.0.gggggggggggggggg"
	    "@example.org> <cv1.invite.ss.-.-.hhhhhhhhhhhhhhhh@evil.example> "
	    "<cv1.agenda-request.ss.ss-monthly-20210317.-.ffffffffffffffff@"
	    "example.org> <agenda-request.ss-monthly-20210317.12345678@"
	    "example.org>\r\n"
	    "Subject: Re: agenda\r\n\r\nOk.\r\n");
	n = token_find(m, "agenda+iiiiiiiiiiiiiiii@example.org",
	    "agenda@example.org", f, TOKEN_FOUND_MAX);
	assert_int_equal(n, 6);
	assert_string_equal(f[0].token, "aaaaaaaaaaaaaaaa");
	assert_int_equal(f[0].where, TOKEN_IN_TO);
	assert_string_equal(f[0].in, "agenda+aaaaaaaaaaaaaaaa@example.org");
	assert_string_equal(f[1].token, "eeeeeeeeeeeeeeee");
	assert_int_equal(f[1].where, TOKEN_IN_CC);
	assert_string_equal(f[2].token, "bbbbbbbbbbbbbbbb");
	assert_string_equal(token_where_name(f[2].where), "delivered-to");
	assert_string_equal(f[3].token, "iiiiiiiiiiiiiiii");
	assert_int_equal(f[3].where, TOKEN_IN_ORGANIZER);
	assert_string_equal(f[4].token, "ffffffffffffffff");
	assert_int_equal(f[4].where, TOKEN_IN_REPLY_TO);
	/* References: each token once (ffff was in In-Reply-To); the
	 * evil.example id and the old 8-digit hash are no tokens of ours. */
	assert_string_equal(f[5].token, "gggggggggggggggg");
	assert_int_equal(f[5].where, TOKEN_IN_REFERENCES);

	/* inspect, without configuration: any local part and domain (and
	 * here no ORGANIZER). */
	n = token_find(m, NULL, NULL, f, TOKEN_FOUND_MAX);
	assert_int_equal(n, 8);
	assert_string_equal(f[1].token, "cccccccccccccccc");
	assert_string_equal(f[2].token, "dddddddddddddddd");
	assert_string_equal(f[7].token, "hhhhhhhhhhhhhhhh");
	assert_string_equal(f[7].in, "cv1.invite.ss.-.-.hhhhhhhhhhhhhhhh@"
	    "evil.example");
	/* At most max. */
	assert_int_equal(token_find(m, NULL, NULL, f, 2), 2);
	mime_free(m);

	/* A bare calendar object: only its ORGANIZER. */
	n = token_find(NULL, "agenda+jjjjjjjjjjjjjjjj@example.org",
	    "agenda@example.org", f, TOKEN_FOUND_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(token_find(NULL, NULL, NULL, f, 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_known_answers, setup_key),
		cmocka_unit_test_setup(test_bound, setup_key),
		cmocka_unit_test(test_address),
		cmocka_unit_test_setup(test_key_file, setup_key),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

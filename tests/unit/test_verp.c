/* Unit tests for verp.c: envelope senders that name their outbox row, on
 * a real store in a temporary directory: the address's shape and limits,
 * the round trip, and every way a made-up one fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mime.h"
#include "store.h"
#include "testlib.h"
#include "token.h"
#include "util.h"
#include "verp.h"

#define ORG "agenda@example.org"

static long long
queue(struct tl_ws *fx, const char *id, const char *rcpt)
{
	return tl_outbox_add(fx, id, rcpt, 1);
}

/* Another letter of the mac's alphabet. */
static void
flip(char *c)
{
	*c = *c == 'a' ? 'b' : 'a';
}

static enum verp_result
check(struct tl_ws *fx, const char *addr, struct verp_hit *h)
{
	char *err = NULL;
	enum verp_result r;

	r = verp_check(&fx->cfg->trust_key, fx->st, ORG, addr, h, &err);
	assert_null(err);
	return r;
}

static void
test_shape(void **state)
{
	struct tl_ws *fx = *state;
	struct token_key *k = &fx->cfg->trust_key;
	char mac[TOKEN_LEN + 1], other[TOKEN_LEN + 1], *a, *want;

	/* Row 1 is "b" (a is 0), row 32 "ba"; the mac is the token of the
	 * row id in decimal and the recipient. */
	token_build(k, TOKEN_BOUNCE, "1", "kim@gov.example.bb", mac);
	a = verp_address(k, ORG, 1, "Kim@Gov.Example.BB");
	want = xasprintf("agenda+b-b-%s@example.org", mac);
	assert_string_equal(a, want);
	free(a);
	free(want);
	token_build(k, TOKEN_BOUNCE, "32", "kim@gov.example.bb", mac);
	a = verp_address(k, ORG, 32, "kim@gov.example.bb");
	want = xasprintf("agenda+b-ba-%s@example.org", mac);
	assert_string_equal(a, want);
	free(a);
	free(want);
	/* Not the reply token of a group or meeting of the same name. */
	token_build(k, TOKEN_BOUNCE, "1", "kim@gov.example.bb", mac);
	token_build(k, TOKEN_GROUP, "1", "kim@gov.example.bb", other);
	assert_string_not_equal(mac, other);
	token_build(k, TOKEN_MEETING, "1", "kim@gov.example.bb", other);
	assert_string_not_equal(mac, other);

	/* No room, a '+' already, no '@', no row: the plain address. */
	a = verp_address(k, "abcdefghijklmnopqrstuvwxyzabcdefghijk@example.org",
	    34359738367LL, "x@example.org");    /* 37 + 7 letters: fits */
	assert_non_null(a);
	assert_int_equal(strchr(a, '@') - a, 64);
	free(a);
	assert_null(verp_address(k,
	    "abcdefghijklmnopqrstuvwxyzabcdefghijkl@example.org", 1,
	    "x@example.org"));
	assert_null(verp_address(k, "agenda+x@example.org", 1, "x@example.org"));
	assert_null(verp_address(k, "agenda", 1, "x@example.org"));
	assert_null(verp_address(k, ORG, 0, "x@example.org"));
}

static void
test_round_trip(void **state)
{
	struct tl_ws *fx = *state;
	struct token_key *k = &fx->cfg->trust_key;
	long long r1 = queue(fx, "m1@test", "kim@gov.example.bb");
	long long r2 = queue(fx, "m2@test", "ana@mides.example.uy");
	struct verp_hit h;
	char *a1 = verp_address(k, ORG, r1, "kim@gov.example.bb");
	char *a2 = verp_address(k, ORG, r2, "ana@mides.example.uy");
	char *up = xstrdup(a1), *p;

	assert_int_equal(check(fx, a1, &h), VERP_VALID);
	assert_int_equal(h.row, r1);
	assert_string_equal(h.recipient, "kim@gov.example.bb");
	assert_string_equal(h.message_id, "m1@test");
	assert_string_equal(h.kind, "invite");
	assert_ptr_equal(h.address, a1);
	verp_hit_clear(&h);
	/* Mail systems may change the case of a local part. */
	for (p = up; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(check(fx, up, &h), VERP_VALID);
	assert_string_equal(h.recipient, "kim@gov.example.bb");
	verp_hit_clear(&h);
	/* ... and a sent row still counts: bounces come after. */
	assert_int_equal(store_outbox_set(fx->st, r1, "sent", 1, -1, 5, NULL,
	    &p), 0);
	assert_int_equal(check(fx, a1, &h), VERP_VALID);
	verp_hit_clear(&h);
	assert_int_equal(check(fx, a2, &h), VERP_VALID);
	assert_string_equal(h.recipient, "ana@mides.example.uy");
	verp_hit_clear(&h);
	free(a1);
	free(a2);
	free(up);
}

/* Made up, copied between rows, another key, a row never made: not
 * believed.  Not our shape at all: none. */
static void
test_forged(void **state)
{
	struct tl_ws *fx = *state;
	struct token_key *k = &fx->cfg->trust_key, other;
	long long r1 = queue(fx, "m1@test", "kim@gov.example.bb");
	long long r2 = queue(fx, "m2@test", "ana@mides.example.uy");
	char *a1 = verp_address(k, ORG, r1, "kim@gov.example.bb"), *a;
	struct verp_hit h;
	char mac[TOKEN_LEN + 1];
	size_t n = strlen(a1);

	/* One letter of the mac changed. */
	a = xstrdup(a1);
	flip(&a[n - strlen("@example.org") - 1]);
	assert_int_equal(check(fx, a, &h), VERP_INVALID);
	assert_null(h.recipient);
	free(a);
	/* Row 1's mac under row 2's id. */
	assert_int_equal(r1, 1);
	assert_int_equal(r2, 2);
	a = xasprintf("agenda+b-c-%s", strrchr(a1, '-') + 1);
	assert_int_equal(check(fx, a, &h), VERP_INVALID);
	free(a);
	/* Row 2's id with the mac made for another recipient. */
	token_build(k, TOKEN_BOUNCE, "2", "kim@gov.example.bb", mac);
	a = xasprintf("agenda+b-c-%s@example.org", mac);
	assert_int_equal(check(fx, a, &h), VERP_INVALID);
	free(a);
	/* Another key. */
	token_key_set(&other, "0123456789abcdef0123456789abcdef",
	    TOKEN_KEY_LEN);
	a = verp_address(&other, ORG, r1, "kim@gov.example.bb");
	assert_int_equal(check(fx, a, &h), VERP_INVALID);
	free(a);
	/* A row that is not there. */
	a = verp_address(k, ORG, 999, "kim@gov.example.bb");
	assert_int_equal(check(fx, a, &h), VERP_INVALID);
	free(a);

	/* Not ours: another mailbox or domain, the plain address, a reply
	 * token, a group's list address, garbage after the tag. */
	a = xasprintf("other+b-b-%s", strrchr(a1, '-') + 1);
	assert_int_equal(check(fx, a, &h), VERP_NONE);
	free(a);
	a = xstrdup(a1);
	memcpy(strrchr(a, '@'), "@example.net", 12);
	assert_int_equal(check(fx, a, &h), VERP_NONE);
	free(a);
	assert_int_equal(check(fx, ORG, &h), VERP_NONE);
	assert_int_equal(check(fx, NULL, &h), VERP_NONE);
	assert_int_equal(check(fx, "agenda+abcdefghijklmnop@example.org", &h),
	    VERP_NONE);
	assert_int_equal(check(fx, "agenda+b-group@example.org", &h),
	    VERP_NONE);
	assert_int_equal(check(fx, "agenda+b--abcdefghijklmnop@example.org",
	    &h), VERP_NONE);
	assert_int_equal(check(fx, "agenda+b-ab-abcdefghijklmnop@example.org",
	    &h), VERP_NONE);                    /* a leading zero */
	assert_int_equal(check(fx, "agenda+b-zzzzzzzzzzzzzz-abcdefghijklmnop"
	    "@example.org", &h), VERP_NONE);    /* past 64 bits */
	assert_int_equal(check(fx, "agenda+b-b-abcdefghijklmno1@example.org",
	    &h), VERP_NONE);                    /* '1' is no base32 letter */
	free(a1);
}

static struct mime_msg *
parse(const char *text)
{
	struct mime_msg *m;
	char *err = NULL;

	assert_int_equal(mime_parse(text, strlen(text), NULL, &m, &err), 0);
	return m;
}

static enum verp_result
find(struct tl_ws *fx, const char *fields, struct verp_hit *h, char **addr)
{
	char *text = xasprintf("From: MAILER-DAEMON@mx.example.bb\r\n%s"
	    "Subject: x\r\n\r\nbody\r\n", fields), *err = NULL;
	struct mime_msg *m = parse(text);
	enum verp_result r;

	r = verp_find(&fx->cfg->trust_key, fx->st, ORG, m, h, &err);
	assert_null(err);
	*addr = h->address ? xstrdup(h->address) : NULL;
	mime_free(m);
	free(text);
	return r;
}

/* Where a delivered message says which address it reached. */
static void
test_find(void **state)
{
	struct tl_ws *fx = *state;
	struct token_key *k = &fx->cfg->trust_key;
	long long r1 = queue(fx, "m1@test", "kim@gov.example.bb");
	char *a1 = verp_address(k, ORG, r1, "kim@gov.example.bb");
	char *bad = xstrdup(a1), *f, *got;
	static const char *const fields[][2] = { { "Delivered-To: ", "" },
	    { "X-Original-To: <", ">" }, { "To: Agenda <", ">" } };
	struct verp_hit h;
	size_t i;

	flip(&bad[strlen(bad) - strlen("@example.org") - 1]);
	for (i = 0; i < 3; i++) {
		f = xasprintf("%s%s%s\r\n", fields[i][0], a1, fields[i][1]);
		assert_int_equal(find(fx, f, &h, &got), VERP_VALID);
		assert_string_equal(h.recipient, "kim@gov.example.bb");
		assert_non_null(strstr(got, "+b-"));
		verp_hit_clear(&h);
		free(got);
		free(f);
		f = xasprintf("%s%s%s\r\n", fields[i][0], bad, fields[i][1]);
		assert_int_equal(find(fx, f, &h, &got), VERP_INVALID);
		assert_null(h.recipient);
		assert_non_null(strstr(got, bad));
		free(got);
		free(f);
	}
	/* A forged Delivered-To does not hide the valid To. */
	f = xasprintf("Delivered-To: %s\r\nTo: %s\r\n", bad, a1);
	assert_int_equal(find(fx, f, &h, &got), VERP_VALID);
	verp_hit_clear(&h);
	free(got);
	free(f);
	assert_int_equal(find(fx, "To: agenda@example.org\r\n", &h, &got),
	    VERP_NONE);
	free(got);
	free(bad);
	free(a1);
}

static int
setup(void **state)
{
	tl_setup_ws(state, NULL);
	tl_ws_group(*state, "10-g.ini", "[group]\nid = g\nname = G\n"
	    "kind = discussion\ntimezone = America/Santiago\n"
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n"
	    "[member luis@cepal.example.org]\nname = Luis\n"
	    "role = secretariat\ncoordinator = yes\n");
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shape, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_round_trip,
		    setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_forged, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_find, setup,
		    tl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

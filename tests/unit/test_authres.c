/* Unit tests for authres.c: Authentication-Results in the shapes Gmail,
 * Microsoft 365 / Outlook.com, and Postfix with OpenDKIM and OpenDMARC
 * write them (addresses changed, structure as sent), judged against a
 * From address with the trusted authserv-ids given; forged fields where a
 * forger can put them; hostile values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "util.h"

/* ---- real shapes ---- */

#define GMAIL_PASS \
	"mx.google.com;\t\tdkim=pass header.i=@mides.example.uy " \
	"header.s=google header.b=Qx3+/AbC;\t\tarc=pass (i=1 spf=pass " \
	"spfdomain=mides.example.uy dkim=pass dkdomain=mides.example.uy " \
	"dmarc=pass fromdomain=mides.example.uy);\t\tspf=pass (google.com: " \
	"domain of ana@mides.example.uy designates 209.85.220.41 as " \
	"permitted sender) smtp.mailfrom=ana@mides.example.uy;\t\tdmarc=pass " \
	"(p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=mides.example.uy"
/* A domain that publishes no DMARC record: Gmail says nothing of it. */
#define GMAIL_NO_DMARC \
	"mx.google.com;       dkim=pass header.i=@gouv.example.ht " \
	"header.s=s1 header.b=abc;       spf=pass (google.com: domain of " \
	"marie@gouv.example.ht designates 198.51.100.7 as permitted sender) " \
	"smtp.mailfrom=marie@gouv.example.ht"
#define GMAIL_FORGED \
	"mx.google.com;       spf=softfail (google.com: domain of " \
	"transitioning marie@gouv.example.ht does not designate 203.0.113.9 " \
	"as permitted sender) smtp.mailfrom=marie@gouv.example.ht;       " \
	"dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=gouv.example.ht"
#define M365 \
	"spf=pass (sender IP is 209.85.220.41) smtp.mailfrom=mides.example.uy;" \
	" dkim=pass (signature was verified) header.d=mides.example.uy;" \
	"dmarc=pass action=none header.from=mides.example.uy;compauth=pass " \
	"reason=100"
#define M365_ARC \
	"mx.microsoft.com 1; spf=pass smtp.mailfrom=mides.example.uy; " \
	"dmarc=pass action=none header.from=mides.example.uy; dkim=pass " \
	"header.d=mides.example.uy; arc=none"
#define OUTLOOK_COM \
	"spf=none (sender IP is 203.0.113.9) smtp.mailfrom=example.net; " \
	"hotmail.com; dkim=none header.d=example.net;hotmail.com; dmarc=none " \
	"action=none header.from=example.net;compauth=fail reason=001"
#define MX "mail.conferencia.example.org"
#define OPENDKIM \
	MX "; dkim=pass (2048-bit key; unprotected) header.d=mides.example.uy " \
	"header.i=@mides.example.uy header.a=rsa-sha256 header.s=mail " \
	"header.b=AbCdEf12"
#define OPENDMARC MX "; dmarc=pass (p=reject dis=none) " \
	"header.from=mides.example.uy"
#define OPENDMARC_NONE MX "; dmarc=none (p=none dis=none) " \
	"header.from=gouv.example.ht"
#define OPENDKIM_HT \
	MX "/6A1B22C0F3; dkim=pass (2048-bit key; secure) " \
	"header.d=gouv.example.ht header.i=@gouv.example.ht header.b=xyz"

static void
test_parse_shapes(void **state)
{
	struct authres a;

	(void)state;
	assert_int_equal(authres_parse(GMAIL_PASS, &a), 0);
	assert_string_equal(a.authserv_id, "mx.google.com");
	assert_int_equal(a.nres, 4);
	assert_string_equal(a.res[0].method, "dkim");
	assert_string_equal(a.res[0].header_i, "@mides.example.uy");
	assert_string_equal(a.res[0].header_d, "");
	assert_string_equal(a.res[1].method, "arc");
	assert_string_equal(a.res[2].smtp_mailfrom, "ana@mides.example.uy");
	assert_string_equal(a.res[3].method, "dmarc");
	assert_string_equal(a.res[3].header_from, "mides.example.uy");
	authres_clear(&a);

	/* No authserv-id: read, but nobody's. */
	assert_int_equal(authres_parse(M365, &a), 0);
	assert_null(a.authserv_id);
	assert_int_equal(a.nres, 4);
	assert_string_equal(a.res[1].header_d, "mides.example.uy");
	assert_string_equal(a.res[2].header_from, "mides.example.uy");
	assert_string_equal(a.res[3].method, "compauth");
	assert_string_equal(a.res[3].result, "pass");
	authres_clear(&a);
	assert_int_equal(authres_parse(M365_ARC, &a), 0);
	assert_string_equal(a.authserv_id, "mx.microsoft.com");
	assert_int_equal(a.version, 1);
	assert_int_equal(a.nres, 4);
	assert_string_equal(a.res[3].method, "arc");
	assert_string_equal(a.res[3].result, "none");
	authres_clear(&a);
	/* "; hotmail.com;" is no resinfo: passed over. */
	assert_int_equal(authres_parse(OUTLOOK_COM, &a), 0);
	assert_int_equal(a.nres, 4);
	assert_string_equal(a.res[1].method, "dkim");
	assert_string_equal(a.res[3].method, "compauth");
	assert_string_equal(a.res[3].result, "fail");
	authres_clear(&a);

	/* A comment holding ';' is a comment; the job id is cut. */
	assert_int_equal(authres_parse(OPENDKIM, &a), 0);
	assert_int_equal(a.nres, 1);
	assert_string_equal(a.res[0].header_d, "mides.example.uy");
	authres_clear(&a);
	assert_int_equal(authres_parse(OPENDKIM_HT, &a), 0);
	assert_string_equal(a.authserv_id, MX);
	authres_clear(&a);
}

static void
test_parse_grammar(void **state)
{
	struct authres a;
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;

	(void)state;
	assert_int_equal(authres_parse("mx.example.org; none", &a), 0);
	assert_int_equal(a.none, 1);
	assert_int_equal(a.nres, 0);
	authres_clear(&a);
	assert_int_equal(authres_parse("(c) MX.Example.ORG (c) 1 (c) ; (c) "
	    "DKIM (c) / 1 (c) = (c) Pass (c) header (c) . (c) d (c) = (c) "
	    "Mides.example.uy (c)", &a), 0);
	assert_string_equal(a.authserv_id, "mx.example.org");
	assert_int_equal(a.nres, 1);
	assert_string_equal(a.res[0].method, "dkim");
	assert_string_equal(a.res[0].result, "pass");
	assert_string_equal(a.res[0].header_d, "Mides.example.uy");
	authres_clear(&a);
	assert_int_equal(authres_parse("\"mx example\"; spf=pass "
	    "smtp.mailfrom=\"a b\"@x.example", &a), 0);
	assert_string_equal(a.authserv_id, "mx example");
	assert_string_equal(a.res[0].smtp_mailfrom, "a b@x.example");
	authres_clear(&a);

	/* Not a field at all. */
	assert_int_equal(authres_parse(NULL, &a), -1);
	assert_int_equal(authres_parse("", &a), -1);
	assert_int_equal(authres_parse("  (only a comment)  ", &a), -1);
	assert_int_equal(authres_parse("mx.example.org; dkim=pass (open", &a),
	    -1);
	assert_int_equal(authres_parse("mx.example.org; spf=pass "
	    "smtp.mailfrom=\"open", &a), -1);
	assert_null(a.authserv_id);
	assert_int_equal(authres_parse("mx; x=y ((((((((((deep))))))))))",
	    &a), -1);

	/* A property given twice, or too long to keep, is read as none. */
	assert_int_equal(authres_parse("mx; dmarc=pass "
	    "header.from=evil.example header.from=gouv.example.ht", &a), 0);
	assert_string_equal(a.res[0].header_from, "");
	authres_clear(&a);
	buf_adds(&b, "mx; dkim=pass header.d=");
	for (i = 0; i < 300; i++)
		buf_addc(&b, 'a');
	assert_int_equal(authres_parse(b.data, &a), 0);
	assert_string_equal(a.res[0].header_d, "");
	authres_clear(&a);

	/* Floods: kept to the cap, bounded work. */
	buf_reset(&b);
	buf_adds(&b, "mx");
	for (i = 0; i < 100; i++)
		buf_adds(&b, "; spf=pass smtp.mailfrom=x.example");
	assert_int_equal(authres_parse(b.data, &a), 0);
	assert_int_equal(a.nres, AUTHRES_MAX_RESULTS);
	authres_clear(&a);
	buf_reset(&b);
	for (i = 0; i < 4000; i++)
		buf_addc(&b, i % 2 ? ';' : '=');
	assert_int_equal(authres_parse(b.data, &a), -1);
	buf_reset(&b);
	buf_adds(&b, "mx");
	for (i = 0; i < 4000; i++)
		buf_addc(&b, ';');
	assert_int_equal(authres_parse(b.data, &a), 0);
	assert_int_equal(a.nres, 0);
	authres_clear(&a);
	buf_release(&b);
}

static void
test_aligned(void **state)
{
	(void)state;
	assert_true(authres_aligned("mides.example.uy", "MIDES.example.uy."));
	assert_true(authres_aligned("gob.cl", "minsal.gob.cl"));
	assert_true(authres_aligned("minsal.gob.cl", "gob.cl"));
	assert_true(authres_aligned("bounces.mides.example.uy",
	    "mides.example.uy"));
	assert_false(authres_aligned("cl", "gob.cl"));
	assert_false(authres_aligned("salud.gob.cl", "minsal.gob.cl"));
	assert_false(authres_aligned("xgob.cl", "gob.cl"));
	assert_false(authres_aligned("minsal.gob.cl.evil.example",
	    "minsal.gob.cl"));
	assert_false(authres_aligned("", "gob.cl"));
	assert_false(authres_aligned(NULL, "gob.cl"));
	assert_false(authres_aligned("gob..cl", "gob..cl"));
	assert_false(authres_aligned("g_b.cl", "g_b.cl"));
}

/* ---- judged ---- */

struct judged {
	const char *name;
	const char *fields[4];          /* topmost first */
	const char *trusted[2];
	const char *from;
	const char *method;             /* what authenticates, NULL: nothing */
};

static const struct judged cases[] = {
	{ "gmail", { GMAIL_PASS }, { "mx.google.com" },
	  "ana@mides.example.uy", "dmarc" },
	{ "gmail, any case", { "MX.Google.COM; DMARC=PASS "
	  "header.from=Mides.Example.UY" }, { "mx.google.com" },
	  "ana@mides.example.uy", "dmarc" },
	/* Without DMARC, an aligned DKIM signature (header.i) speaks. */
	{ "gmail, no dmarc record", { GMAIL_NO_DMARC }, { "mx.google.com" },
	  "marie@gouv.example.ht", "dkim" },
	{ "gmail, forged From", { GMAIL_FORGED }, { "mx.google.com" },
	  "marie@gouv.example.ht", NULL },
	/* A forger's field claiming the trusted id, below the real one:
	 * the real one reported dmarc and spf, and it wins for both. */
	{ "forged below the real one", { GMAIL_FORGED, "mx.google.com; "
	  "dmarc=pass header.from=gouv.example.ht; spf=pass "
	  "smtp.mailfrom=gouv.example.ht" }, { "mx.google.com" },
	  "marie@gouv.example.ht", NULL },
	/* Below a field no trusted MTA wrote, nothing is read. */
	{ "forged below another's", { OPENDMARC_NONE, "mx.attacker.example; "
	  "spf=pass smtp.mailfrom=gouv.example.ht", OPENDKIM_HT },
	  { MX }, "marie@gouv.example.ht", NULL },
	/* The limit authres.h states: for a method the MTA does not
	 * report, a forged field right below its own is read.  Pinned
	 * here so that a change of rule is a decision. */
	{ "forged method the MTA leaves out", { MX "; spf=softfail "
	  "smtp.mailfrom=gouv.example.ht", MX "; dkim=pass "
	  "header.d=gouv.example.ht" }, { MX }, "marie@gouv.example.ht",
	  "dkim" },
	{ "microsoft 365: no authserv-id", { M365 },
	  { "mx.microsoft.com", "protection.outlook.com" },
	  "ana@mides.example.uy", NULL },
	{ "postfix, opendmarc above opendkim", { OPENDMARC, OPENDKIM },
	  { MX }, "ana@mides.example.uy", "dmarc" },
	{ "postfix, no dmarc policy, aligned dkim", { OPENDMARC_NONE,
	  OPENDKIM_HT }, { MX }, "marie@gouv.example.ht", "dkim" },
	{ "dkim of another domain", { MX "; dkim=pass header.d=evil.example "
	  "header.i=@evil.example" }, { MX }, "marie@gouv.example.ht", NULL },
	{ "dkim of a parent domain", { MX "; dkim=pass header.d=gob.cl" },
	  { MX }, "ana@minsal.gob.cl", "dkim" },
	{ "dkim of a suffix", { MX "; dkim=pass header.d=cl" }, { MX },
	  "ana@minsal.gob.cl", NULL },
	{ "spf of a bounce subdomain", { MX "; spf=pass "
	  "smtp.mailfrom=b-123@bounces.mides.example.uy" }, { MX },
	  "ana@mides.example.uy", "spf" },
	{ "spf of the null sender", { MX "; spf=pass smtp.mailfrom=<>" },
	  { MX }, "ana@mides.example.uy", NULL },
	{ "dmarc for another From", { MX "; dmarc=pass "
	  "header.from=evil.example" }, { MX }, "marie@gouv.example.ht", NULL },
	{ "dmarc from twice", { MX "; dmarc=pass header.from=evil.example "
	  "header.from=gouv.example.ht" }, { MX }, "marie@gouv.example.ht",
	  NULL },
	/* Words in a comment are a comment. */
	{ "pass in a comment", { MX "; dmarc=fail (dmarc=pass "
	  "header.from=gouv.example.ht) header.from=gouv.example.ht" },
	  { MX }, "marie@gouv.example.ht", NULL },
	/* A quoted ';' in the envelope sender starts no resinfo. */
	{ "quoted injection", { MX "; spf=pass smtp.mailfrom=\"x;dmarc=pass "
	  "header.from=gouv.example.ht\"@evil.example" }, { MX },
	  "marie@gouv.example.ht", NULL },
	/* Fields nearer the mailbox than the trusted MTA's are passed
	 * over (an internal hop's). */
	{ "a later hop above", { "imap.conferencia.example.org; none",
	  OPENDMARC }, { MX }, "ana@mides.example.uy", "dmarc" },
	{ "nothing trusted", { GMAIL_PASS }, { NULL }, "ana@mides.example.uy",
	  NULL },
	{ "no sender", { GMAIL_PASS }, { "mx.google.com" }, NULL, NULL },
};

static void
test_check(void **state)
{
	struct authres_verdict v;
	char *fields[4], *trusted[2];
	size_t i, nf, nt;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct judged *c = &cases[i];

		for (nf = 0; nf < 4 && c->fields[nf] != NULL; nf++)
			fields[nf] = (char *)c->fields[nf];
		for (nt = 0; nt < 2 && c->trusted[nt] != NULL; nt++)
			trusted[nt] = (char *)c->trusted[nt];
		if (authres_check(fields, nf, trusted, nt, c->from, &v) !=
		    (c->method != NULL))
			fail_msg("%s: %s", c->name, v.why);
		assert_int_equal(v.authenticated, c->method != NULL);
		assert_string_equal(v.method, c->method ? c->method : "");
		assert_true(strlen(v.why) > 0);
	}
}

static void
test_reasons(void **state)
{
	struct authres_verdict v;
	char *f[] = { GMAIL_FORGED }, *t[] = { "mx.google.com" };

	(void)state;
	authres_check(f, 1, t, 1, "marie@gouv.example.ht", &v);
	assert_string_equal(v.why, "no aligned pass for gouv.example.ht from "
	    "mx.google.com (dmarc=fail, spf=softfail)");
	f[0] = GMAIL_PASS;
	authres_check(f, 1, t, 1, "ana@mides.example.uy", &v);
	assert_string_equal(v.why, "dmarc=pass for mides.example.uy by "
	    "mx.google.com");
	assert_string_equal(v.authserv_id, "mx.google.com");
	f[0] = M365;
	authres_check(f, 1, t, 1, "ana@mides.example.uy", &v);
	assert_string_equal(v.why, "no Authentication-Results from a trusted "
	    "authserv-id");
	authres_check(f, 1, t, 0, "ana@mides.example.uy", &v);
	assert_string_equal(v.why, "no [trust] authserv_id: nothing is "
	    "authenticated by Authentication-Results");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_shapes),
		cmocka_unit_test(test_parse_grammar),
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for trust.c: the policy table, the Junk folders, the clock
 * skew of a DTSTAMP, a bounce's proof, and what a message proves. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "msgid.h"
#include "token.h"
#include "trust.h"
#include "util.h"

/* One row of the policy: what is proven, what follows. */
struct row {
	enum trust_stake stake;
	int token, authenticated, authserv, junk, legacy, confirmed;
	enum trust_decision want;
};

static void
test_policy_table(void **state)
{
	static const struct row rows[] = {
		/* Answers: token or authentication. */
		{ TRUST_ANSWER, 1, 0, 0, 0, 0, 0, TRUST_ALLOW },
		{ TRUST_ANSWER, 0, 1, 1, 0, 0, 0, TRUST_ALLOW },
		{ TRUST_ANSWER, 1, 0, 1, 0, 0, 0, TRUST_ALLOW },
		{ TRUST_ANSWER, 0, 0, 0, 0, 0, 0, TRUST_REFUSE },
		{ TRUST_ANSWER, 0, 0, 1, 0, 0, 0, TRUST_REFUSE },
		/* Invited before tokens: From alone, but not from Junk. */
		{ TRUST_ANSWER, 0, 0, 0, 0, 1, 0, TRUST_ALLOW },
		{ TRUST_ANSWER, 0, 0, 0, 1, 1, 0, TRUST_REFUSE },
		{ TRUST_ANSWER, 1, 0, 0, 1, 0, 0, TRUST_ALLOW },
		{ TRUST_ANSWER, 0, 1, 1, 1, 0, 0, TRUST_ALLOW },
		/* The record: token, and authentication where it is read. */
		{ TRUST_RECORD, 1, 0, 0, 0, 0, 0, TRUST_ALLOW },
		{ TRUST_RECORD, 1, 1, 1, 0, 0, 0, TRUST_ALLOW },
		{ TRUST_RECORD, 1, 0, 1, 0, 0, 0, TRUST_HOLD_NOT_AUTHENTICATED },
		{ TRUST_RECORD, 0, 1, 1, 0, 0, 0, TRUST_HOLD_NO_TOKEN },
		{ TRUST_RECORD, 0, 0, 0, 0, 0, 0, TRUST_HOLD_NO_TOKEN },
		/* Legacy never stands for the record. */
		{ TRUST_RECORD, 0, 0, 0, 0, 1, 0, TRUST_HOLD_NO_TOKEN },
		{ TRUST_RECORD, 1, 0, 0, 1, 0, 0, TRUST_ALLOW },
		/* What its coordinator confirmed. */
		{ TRUST_RECORD, 0, 0, 1, 1, 0, 1, TRUST_ALLOW },
	};
	struct trust_proof p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		memset(&p, 0, sizeof p);
		p.token = rows[i].token;
		p.authenticated = rows[i].authenticated;
		p.authserv = rows[i].authserv;
		p.junk = rows[i].junk;
		p.legacy = rows[i].legacy;
		p.confirmed = rows[i].confirmed;
		if (trust_decide(rows[i].stake, &p) != rows[i].want)
			fail_msg("row %zu: %d, not %d", i,
			    trust_decide(rows[i].stake, &p), rows[i].want);
	}
}

static void
test_junk_folders(void **state)
{
	(void)state;
	assert_true(trust_junk_folder("Junk"));
	assert_true(trust_junk_folder("JUNK"));
	assert_true(trust_junk_folder("[Gmail]/Spam"));
	assert_true(trust_junk_folder("INBOX.spam"));
	assert_true(trust_junk_folder("Junk E-mail"));
	assert_true(trust_junk_folder("Bulk Mail"));
	assert_false(trust_junk_folder("INBOX"));
	assert_false(trust_junk_folder("Junkyard"));
	assert_false(trust_junk_folder("Spam/Reviewed"));
	assert_false(trust_junk_folder(NULL));
}

static void
test_answer_time(void **state)
{
	int future;

	(void)state;
	/* Within the skew: believed. */
	assert_int_equal(trust_answer_time(1000 + TRUST_CLOCK_SKEW, 0, 1000,
	    &future), 1000 + TRUST_CLOCK_SKEW);
	assert_false(future);
	/* Beyond: as of its receipt. */
	assert_int_equal(trust_answer_time(4070908800LL, 0, 1000, &future),
	    1000);
	assert_true(future);
	/* No DTSTAMP: the Date, judged the same way. */
	assert_int_equal(trust_answer_time(0, 900, 1000, &future), 900);
	assert_false(future);
	assert_int_equal(trust_answer_time(0, 99999, 1000, &future), 1000);
	assert_true(future);
	assert_int_equal(trust_answer_time(0, 0, 1000, &future), 1000);
	assert_false(future);
}

/* A configuration with what trust.c reads: the organizer and a key. */
static void
cfg_init(struct config *cfg)
{
	static const unsigned char key[TOKEN_KEY_LEN] = { 7, 1, 2, 3 };

	memset(cfg, 0, sizeof *cfg);
	cfg->org_email = "agenda@example.org";
	token_key_set(&cfg->trust_key, key, sizeof key);
}

static char *
our_id(const struct config *cfg, const char *uid, const char *group,
    const char *to)
{
	struct msgid id;
	char tok[TOKEN_LEN + 1];

	token_build(&cfg->trust_key, uid ? TOKEN_MEETING : TOKEN_GROUP,
	    uid ? uid : group, to, tok);
	assert_int_equal(msgid_init(&id, uid ? "invite" : "bounce-notice",
	    group, uid), 0);
	msgid_set_token(&id, tok);
	return msgid_build(&id, "example.org");
}

static void
test_bounce_ours(void **state)
{
	struct config cfg;
	char *id;

	(void)state;
	cfg_init(&cfg);
	id = our_id(&cfg, "ss-monthly-20210317@example.org", "ss",
	    "kim@gov.example.bb");
	assert_true(trust_bounce_ours(&cfg, id, "kim@gov.example.bb"));
	assert_true(trust_bounce_ours(&cfg, id, "KIM@gov.example.bb"));
	/* Another's address, someone else's domain, nothing quoted. */
	assert_false(trust_bounce_ours(&cfg, id, "ana@mides.example.uy"));
	free(id);
	id = our_id(&cfg, NULL, "ss", "luis@cepal.example.org");
	assert_true(trust_bounce_ours(&cfg, id, "luis@cepal.example.org"));
	assert_false(trust_bounce_ours(&cfg, id, "kim@gov.example.bb"));
	free(id);
	assert_false(trust_bounce_ours(&cfg, "x@mx.example.com",
	    "kim@gov.example.bb"));
	assert_false(trust_bounce_ours(&cfg, NULL, "kim@gov.example.bb"));
	/* The form before tokens: no proof. */
	assert_false(trust_bounce_ours(&cfg,
	    "agenda-request.ss-monthly-20210317.12345678@example.org",
	    "kim@gov.example.bb"));
	token_key_wipe(&cfg.trust_key);
}

/* What a message proves: the sender's own token, not another's. */
static void
test_gather(void **state)
{
	struct config cfg;
	struct trust_scope sc[2] = {
		{ TOKEN_GROUP, "ss" },
		{ TOKEN_MEETING, "ss-monthly-20210317@example.org" },
	};
	struct trust_proof p;
	struct verdict *v;
	char tok[TOKEN_LEN + 1], *m;

	(void)state;
	cfg_init(&cfg);
	token_build(&cfg.trust_key, TOKEN_MEETING, sc[1].id,
	    "ana@mides.example.uy", tok);
	m = xasprintf("From: ana@mides.example.uy\r\n"
	    "To: Secretaria <agenda+%s@example.org>\r\n"
	    "Subject: Re: agenda\r\nMessage-ID: <g1@uy>\r\n\r\n1. Uno\r\n", tok);
	classify(m, strlen(m), &v);
	trust_gather(&cfg, v, "INBOX", sc, 2, &p);
	assert_true(p.token);
	assert_string_equal(p.where, "to");
	assert_false(p.authenticated);
	assert_false(p.authserv);
	assert_false(p.junk);
	verdict_free(v);
	/* The same token under Luis's From: stolen, worth nothing. */
	free(m);
	m = xasprintf("From: luis@cepal.example.org\r\n"
	    "To: Secretaria <agenda+%s@example.org>\r\n"
	    "Subject: Re: agenda\r\nMessage-ID: <g2@cl>\r\n\r\n1. Dos\r\n",
	    tok);
	classify(m, strlen(m), &v);
	assert_string_equal(v->from, "luis@cepal.example.org");
	trust_gather(&cfg, v, "Junk", sc, 2, &p);
	assert_false(p.token);
	assert_true(p.junk);
	verdict_free(v);
	free(m);
	token_key_wipe(&cfg.trust_key);
}

static void
test_reason_names(void **state)
{
	int r;

	(void)state;
	for (r = 0; r < TRUST__COUNT; r++)
		assert_string_not_equal(trust_reason_name((enum trust_reason)r),
		    "?");
	assert_string_equal(trust_reason_name(TRUST_NO_PROOF), "no-proof");
	assert_string_equal(trust_reason_name(TRUST__COUNT), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_junk_folders),
		cmocka_unit_test(test_answer_time),
		cmocka_unit_test(test_bounce_ours),
		cmocka_unit_test(test_gather),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}

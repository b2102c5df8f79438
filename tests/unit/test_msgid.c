/* Unit tests for msgid.c: every kind convened sends survives a round trip,
 * the ids the release before wrote still read, and ids from outside are
 * refused whole. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgid.h"
#include "token.h"
#include "util.h"

#define DOM "example.org"
#define UID "south-south-monthly-20210317@example.org"

/* The recipient's token, as letter.c makes it: for the meeting, else the
 * group. */
static void
token_of(const char *group, const char *uid, const char *rcpt,
    char tok[TOKEN_LEN + 1])
{
	struct token_key key;

	token_key_set(&key, "0123456789abcdef0123456789abcdef", TOKEN_KEY_LEN);
	token_build(&key, uid ? TOKEN_MEETING : TOKEN_GROUP, uid ? uid : group,
	    rcpt, tok);
}

static void
round_trip(const char *kind, const char *group, const char *uid, int seq,
    const char *ref, const char *rcpt)
{
	struct msgid in, out;
	char *id, *again, tok[TOKEN_LEN + 1];

	assert_int_equal(msgid_init(&in, kind, group, uid), 0);
	if (seq >= 0)
		msgid_set_sequence(&in, seq);
	if (ref != NULL)
		msgid_set_ref(&in, ref);
	token_of(group, uid, rcpt, tok);
	msgid_set_token(&in, tok);
	id = msgid_build(&in, DOM);
	assert_non_null(id);
	assert_int_equal(msgid_parse(id, DOM, &out), 0);
	assert_int_equal(out.version, 1);
	assert_string_equal(out.kind, kind);
	assert_string_equal(out.group, group ? group : "");
	assert_string_equal(out.uid, uid ? uid : "");
	assert_string_equal(out.ref, in.ref);
	assert_string_equal(out.token, tok);
	/* The token is the recipient's: another address, another id. */
	token_of(group, uid, "someone.else@example.com", tok);
	msgid_set_token(&in, tok);
	again = msgid_build(&in, DOM);
	assert_string_not_equal(again, id);
	free(again);
	free(id);
}

static void
test_round_trip_every_kind(void **state)
{
	static const char *const meeting_kinds[] = { "agenda-request",
	    "agenda-reminder", "minutes-request", "minutes-reminder", NULL };
	static const char *const notices[] = { "bounce-notice",
	    "quota-warning", "quota-year-end", "rule-warning", NULL };
	size_t i;

	(void)state;
	round_trip("invite", "south-south", UID, 0, NULL, "ana@mides.example.uy");
	round_trip("update", "south-south", UID, 7, NULL, "ana@mides.example.uy");
	round_trip("cancel", "south-south", UID, 12, NULL, "kim@gov.example.bb");
	for (i = 0; meeting_kinds[i] != NULL; i++)
		round_trip(meeting_kinds[i], "south-south", UID, -1, NULL,
		    "luis@cepal.example.org");
	for (i = 0; notices[i] != NULL; i++)
		round_trip(notices[i], "south-south", NULL, -1, "2021-03-31",
		    "admin@example.org");
	round_trip("counter-notice", "south-south", UID, -1,
	    "CAF=x+y@mail.gmail.com", "luis@cepal.example.org");
	round_trip("minutes-notice", "s_s", "s_s-m-20210317@example.org", -1,
	    "min1@uy", "maria@minsal.example.cl");
	/* A letter about no group at all. */
	round_trip("rule-warning", NULL, NULL, -1, "k", "admin@example.org");
}

/* The exact form, so that a change of it is a decision, not an accident. */
static void
test_form(void **state)
{
	struct msgid id;
	char *s;

	(void)state;
	assert_int_equal(msgid_init(&id, "invite", "south-south", UID), 0);
	msgid_set_sequence(&id, 3);
	snprintf(id.token, sizeof id.token, "%s", "0a1b2c3d");
	s = msgid_build(&id, DOM);
	assert_string_equal(s, "cv1.invite.south-south.south-south-monthly-"
	    "20210317.3.0a1b2c3d@example.org");
	free(s);
	assert_int_equal(msgid_init(&id, "quota-warning", "ss", NULL), 0);
	snprintf(id.token, sizeof id.token, "%s", "ff");
	s = msgid_build(&id, DOM);
	assert_string_equal(s, "cv1.quota-warning.ss.-.-.ff@example.org");
	free(s);
}

/* What the release before this one sent. */
static void
test_legacy(void **state)
{
	static const struct {
		const char *id;
		const char *kind, *group, *uid, *ref, *token;
	} t[] = {
		{ "agenda-request.south-south-monthly-20210317.12345678@"
		  "example.org", "agenda-request", "", UID, "", "12345678" },
		{ "minutes-reminder.south-south-monthly-20210317.abcdef01@"
		  "EXAMPLE.org", "minutes-reminder", "", UID, "", "abcdef01" },
		{ "south-south-monthly-20210317.4.request.0000ffff@example.org",
		  "invite", "", UID, "4", "0000ffff" },
		{ "south-south-monthly-20210317.5.cancel.0000ffff@example.org",
		  "cancel", "", UID, "5", "0000ffff" },
		{ "notice.bounce-notice.south-south.1234abcd.99999999@"
		  "example.org", "bounce-notice", "south-south", "", "1234abcd",
		  "99999999" },
		{ "counter.south-south-monthly-20210317.11111111.22222222@"
		  "example.org", "counter-notice", "", UID, "11111111",
		  "22222222" },
		{ "minutes-notice.south-south-monthly-20210317.11111111."
		  "22222222@example.org", "minutes-notice", "", UID, "11111111",
		  "22222222" },
	};
	struct msgid m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		assert_int_equal(msgid_parse(t[i].id, DOM, &m), 0);
		assert_int_equal(m.version, 0);
		assert_string_equal(m.kind, t[i].kind);
		assert_string_equal(m.group, t[i].group);
		assert_string_equal(m.uid, t[i].uid);
		assert_string_equal(m.ref, t[i].ref);
		assert_string_equal(m.token, t[i].token);
	}
}

/* Ids msgid_parse() must refuse whole. */
static const char *const bad[] = {
	"",
	"no-at-sign",
	"@example.org",
	"cv1.invite.ss.ss-m-20210317.3.0a1b2c3d",
	"cv1.invite.ss.ss-m-20210317.3.0a1b2c3d@",
	"cv1.invite.ss.ss-m-20210317.3.0a1b2c3d@example.org.evil.com",
	"cv1.invite.ss.ss-m-20210317.3.0a1b2c3d@evil.example.org",
	"cv1.invite.ss.ss-m-20210317.3.0a1b2c3d@example.org@evil.com",
	/* dots in odd places */
	".cv1.invite.ss.ss-m-20210317.3.0a1b2c3d@example.org",
	"cv1.invite.ss.ss-m-20210317.3.0a1b2c3d.@example.org",
	"cv1..invite.ss.ss-m-20210317.3.0a1b2c3d@example.org",
	"cv1.invite.ss..ss-m-20210317.3.0a1b2c3d@example.org",
	"cv1.invite.ss.ss-m-20210317.3.0a1b2c3d.x@example.org",
	"cv1.invite.ss.ss-m-20210317.3@example.org",
	"....@example.org",
	".@example.org",
	/* fields outside their sets */
	"cv1.invite.ss.ss-m-20210317.3.0A1B2C3D@example.org",
	"cv1.Invite.ss.ss-m-20210317.3.0a1b2c3d@example.org",
	"cv1.invite.-ss.ss-m-20210317.3.0a1b2c3d@example.org",
	"cv1.invite.ss.ss m.3.0a1b2c3d@example.org",
	"cv1.invite.ss.ss-m-20210317.-3.0a1b2c3d@example.org",
	"cv1.invite.ss.ss-m-20210317.3.-@example.org",
	"cv1.-.ss.ss-m-20210317.3.0a1b2c3d@example.org",
	"cv1.invite.ss.ss-m-2021\n0317.3.0a1b2c3d@example.org",
	"cv1.invite.ss.ss-m-20210317.3.0a1b2c3d\x01@example.org",
	"cv2.invite.ss.ss-m-20210317.3.0a1b2c3d@example.org",
	/* older forms, bent */
	"agenda-request.ss-m-20210317.1234567@example.org",
	"agenda-request.ss-m-20210317.123456789@example.org",
	"agenda-request.ss-m-20210317.1234567g@example.org",
	"agenda-advice.ss-m-20210317.12345678@example.org",
	"ss-m-20210317.x.request.12345678@example.org",
	"ss-m-20210317.1234567890.request.12345678@example.org",
	"ss-m-20210317.4.reply.12345678@example.org",
	"notice.bounce-notice.ss.1234abcd@example.org",
	"notice.bounce-notice.SS.1234abcd.12345678@example.org",
	"counter.ss-m-20210317.11111111@example.org",
	"counter.ss-m-20210317.1111111x.22222222@example.org",
};

static void
test_hostile(void **state)
{
	struct msgid m;
	char *huge;
	size_t i;

	(void)state;
	assert_int_equal(msgid_parse(NULL, DOM, &m), -1);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&m, 'x', sizeof m);
		if (msgid_parse(bad[i], DOM, &m) != -1)
			fail_msg("accepted %s", bad[i]);
		/* Refused whole: nothing half-read is left behind. */
		assert_string_equal(m.kind, "");
		assert_string_equal(m.uid, "");
		assert_string_equal(m.token, "");
	}

	/* 10 KB: one long field, then many fields. */
	huge = xcalloc(10241, 1);
	memset(huge, 'a', 10240);
	memcpy(huge, "cv1.invite.ss.", 14);
	memcpy(huge + 10240 - 26, ".3.0a1b2c3d@example.org", 23);
	assert_int_equal(msgid_parse(huge, DOM, &m), -1);
	for (i = 0; i + 1 < 10240 - 12; i += 2)
		huge[i] = '.';
	memcpy(huge + 10240 - 12, "@example.org", 12);
	assert_int_equal(msgid_parse(huge, DOM, &m), -1);
	/* Under the cap: 450 empty fields, then 450 one-letter ones. */
	memset(huge, '.', 900);
	memcpy(huge + 900, "@example.org", 13);
	assert_int_equal(msgid_parse(huge, DOM, &m), -1);
	for (i = 0; i < 900; i += 2)
		huge[i] = 'a';
	assert_int_equal(msgid_parse(huge, DOM, &m), -1);
	free(huge);
	/* A meeting field as long as the form allows, and one byte more. */
	huge = xasprintf("cv1.invite.ss.%0200d.3.ab@example.org", 0);
	assert_int_equal(msgid_parse(huge, DOM, &m), 0);
	assert_int_equal(strlen(m.uid), 200 + strlen("@example.org"));
	free(huge);
	huge = xasprintf("cv1.invite.ss.%0201d.3.ab@example.org", 0);
	assert_int_equal(msgid_parse(huge, DOM, &m), -1);
	free(huge);
}

/* What cannot go in an id is not built. */
static void
test_build_refuses(void **state)
{
	struct msgid id;
	char long_kind[66], *s;

	(void)state;
	memset(long_kind, 'k', sizeof long_kind - 1);
	long_kind[sizeof long_kind - 1] = '\0';
	assert_int_equal(msgid_init(&id, long_kind, NULL, NULL), -1);

	assert_int_equal(msgid_init(&id, "invite", "ss", UID), 0);
	assert_null(msgid_build(&id, DOM));             /* no token */
	msgid_set_token(&id, "a@b.example");           /* not a token */
	assert_null(msgid_build(&id, DOM));
	memset(long_kind, 'k', sizeof long_kind - 1);  /* over the most */
	msgid_set_token(&id, long_kind);
	assert_null(msgid_build(&id, DOM));
	msgid_set_token(&id, "abcdefghijklmnop");
	assert_non_null(s = msgid_build(&id, DOM));
	free(s);
	msgid_set_token(&id, "abcdefghijklmnop");
	assert_null(msgid_build(&id, NULL));
	assert_null(msgid_build(&id, "a@b"));
	assert_int_equal(msgid_init(&id, "invite", "S.S", UID), 0);
	msgid_set_token(&id, "abcdefghijklmnop");
	assert_null(msgid_build(&id, DOM));
	assert_int_equal(msgid_init(&id, "invite", "ss", "no-domain"), 0);
	msgid_set_token(&id, "abcdefghijklmnop");
	assert_null(msgid_build(&id, DOM));
	assert_int_equal(msgid_init(&id, "invite", "ss", "a.b@example.org"), 0);
	msgid_set_token(&id, "abcdefghijklmnop");
	assert_null(msgid_build(&id, DOM));
	assert_int_equal(msgid_init(&id, "invite", "ss", UID), 0);
	msgid_set_token(&id, "abcdefghijklmnop");
	msgid_set_sequence(&id, -1);
	assert_null(msgid_build(&id, DOM));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_kind),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_build_refuses),
	};

	return cmocka_run_group_tests_name("msgid", tests, NULL, NULL);
}

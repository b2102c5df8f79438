/* Unit tests for seminar.c: the REGISTER word in four languages, the
 * series keys, and on a real store through inbox.c and the plan: seats,
 * the waiting list moving up when a seat is declined, one refusal for a
 * closed meeting, nothing for automatic replies or our own mail, and a
 * flood of a thousand registrations bounded in rows and letters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "inbox.h"
#include "plan.h"
#include "seminar.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

static const char group[] =
    "[group]\nid = ss\nname = Sur-Sur\nkind = discussion\n"
    "timezone = America/Montevideo\n"
    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
    "coordinator = yes\n"
    "[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
    "coordinator = yes\nlanguage = en\n"
    "[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n"
    "[series foro]\nsummary = Foro abierto\nkind = seminar\n"
    "start = 2021-04-14 10:00\nduration = 90\nopen = yes\nseats = 2\n"
    "announce = lista@sdc.example.net\n"
    "[series taller]\nsummary = Taller cerrado\nkind = workshop\n"
    "start = 2021-04-21 10:00\nduration = 60\n";

#define NOW "2021-04-10 12:00"

static void
test_word(void **state)
{
	(void)state;
	assert_true(seminar_is_register_word("REGISTER"));
	assert_true(seminar_is_register_word("register."));
	assert_true(seminar_is_register_word("Inscribir\nmi nombre"));
	assert_true(seminar_is_register_word("INSCREVER"));
	assert_true(seminar_is_register_word("inscrire !"));
	assert_true(seminar_is_register_word("\xc3\x8dnscribir"));  /* Í */
	assert_false(seminar_is_register_word("register me"));
	assert_false(seminar_is_register_word("unregister"));
	assert_false(seminar_is_register_word("REGISTER2"));
	assert_false(seminar_is_register_word(""));
	assert_false(seminar_is_register_word(NULL));
}

/* The warnings config_load() gives for group file text, joined by
 * newlines (caller frees); the load must succeed. */
static char *
warnings(const char *text)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct config *cfg;
	struct tl_ws ws;
	struct diag d;
	char *path;
	size_t i;

	tl_ws_init(&ws, "sem-cfg", NULL);
	path = xasprintf("%s/groups.d/10-ss.ini", ws.dir);
	tl_write(path, text, 0644);
	diag_init(&d);
	cfg = config_load(ws.global, &d);
	for (i = 0; i < d.n; i++)
		buf_addf(&b, "%s\n", d.text[i]);
	if (cfg == NULL)
		fail_msg("refused:\n%s", b.data);
	config_free(cfg);
	diag_free(&d);
	free(path);
	tl_ws_free(&ws);
	return buf_detach(&b);
}

static void
test_config(void **state)
{
	static const char base[] =
	    "[group]\nid = ss\nname = S\nkind = discussion\n"
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n"
	    "[member luis@cepal.example.org]\nname = Luis\n"
	    "role = secretariat\ncoordinator = yes\n";
	char *text, *w;

	(void)state;
	text = xasprintf("%s[series a]\nsummary = x\n"
	    "start = 2021-04-14 10:00\nduration = 60\nseats = 5\n"
	    "[series b]\nsummary = x\nstart = 2021-04-14 10:00\nduration = 60\n"
	    "open = yes\nannounce = lista@x.example\n"
	    "[series c]\nsummary = x\nstart = 2021-04-14 10:00\nduration = 60\n"
	    "open = yes\nseats = 5\nrrule = FREQ=MONTHLY\n"
	    "[series d]\nsummary = x\nstart = 2021-04-14 10:00\nduration = 60\n"
	    "open = yes\nseats = 5\nrrule = FREQ=MONTHLY\n"
	    "invitation = occurrence\n"
	    "announce = lista@x.example, otra@y.example\n", base);
	w = warnings(text);
	assert_non_null(strstr(w, "series a has seats or announce but is not "
	    "open"));
	assert_non_null(strstr(w, "series b is announced but has no seats"));
	assert_non_null(strstr(w, "series c has seats but goes as one event"));
	assert_null(strstr(w, "series d"));
	free(w);
	free(text);
}

static struct tl_ws *
ws_new(const char *tag)
{
	struct tl_ws *ws = xcalloc(1, sizeof *ws);

	tl_ws_init(ws, tag, "[policy]\nadmin = admin@example.org\n");
	tl_ws_group(ws, "10-ss.ini", group);
	return ws;
}

static void
ws_done(struct tl_ws *ws)
{
	tl_ws_free(ws);
	free(ws);
}

/* A cycle's two steps that matter here, in the runner's order. */
static int
cycle(struct tl_ws *ws)
{
	return tl_step(ws, "seminar", seminar_group, NOW) +
	    tl_step(ws, "plan", plan_group, NOW);
}

static char *
header(const char *raw, const char *name)
{
	char *key = xasprintf("\r\n%s: ", name), *out = NULL;
	const char *p = strstr(raw, key);

	if (p != NULL) {
		p += strlen(key);
		out = xstrndup(p, strcspn(p, "\r"));
	}
	free(key);
	return out;
}

/* from's answer to raw (one of our letters), word its first line, with
 * extra headers (may be ""). */
static char *
answer(const char *raw, const char *from, const char *word,
    const char *extra)
{
	static unsigned seq;
	char *id = header(raw, "Message-ID"), *msg;

	assert_non_null(id);
	msg = xasprintf("From: %s\r\nTo: agenda@example.org\r\n"
	    "Subject: Re: foro\r\nMessage-ID: <%08x-sem@client.example>\r\n"
	    "In-Reply-To: %s\r\nDate: Sat, 10 Apr 2021 12:00:00 +0000\r\n"
	    "MIME-Version: 1.0\r\n%sContent-Type: text/plain; "
	    "charset=UTF-8\r\n\r\n%s\r\n\r\n> Foro\r\n", from, ++seq, id,
	    extra, word);
	free(id);
	return msg;
}

static enum inbox_result
apply(struct tl_ws *ws, char *msg)
{
	char *err = NULL;
	enum inbox_result r;

	r = inbox_apply(ws->cfg, ws->st, tl_utc(NOW), msg, strlen(msg),
	    "INBOX", 7, 1, &err);
	if (err != NULL)
		print_message("inbox_apply: %s\n", err);
	free(err);
	free(msg);
	return r;
}

static char *
uid_of(struct tl_ws *ws, const char *series, const char *day)
{
	return plan_uid(ws->cfg, "ss", series, day);
}

static void
counts(struct tl_ws *ws, const char *uid, long long seated,
    long long waiting)
{
	long long s, w;
	char *err = NULL;

	assert_int_equal(seminar_counts(ws->st, uid, &s, &w, &err), 0);
	assert_int_equal(s, seated);
	assert_int_equal(w, waiting);
}

static void
test_seats_and_waiting(void **state)
{
	struct tl_ws *ws = ws_new("sem-seats");
	char *ann, *uid = uid_of(ws, "foro", "20210414"), *err = NULL;

	(void)state;
	/* The plan stores and invites (3 members, 2 meetings); the
	 * announcement goes at the next cycle, once. */
	assert_int_equal(cycle(ws), 6);
	assert_int_equal(cycle(ws), 1);
	assert_int_equal(cycle(ws), 0);
	ann = tl_outbox_text(ws, SEMINAR_ANNOUNCE, "lista@sdc.example.net");
	assert_non_null(strstr(ann, "INSCRIBIR"));
	assert_non_null(strstr(ann, "UTC"));
	assert_non_null(strstr(ann, "Foro abierto"));
	free(ann);
	ann = tl_outbox_one(ws, SEMINAR_ANNOUNCE, "lista@sdc.example.net");
	assert_int_equal(apply(ws, answer(ann, "uno@x.example", "REGISTER",
	    "")), INBOX_APPLIED);
	assert_int_equal(apply(ws, answer(ann, "dos@x.example", "Inscribir",
	    "")), INBOX_APPLIED);
	assert_int_equal(apply(ws, answer(ann, "tres@x.example", "inscrever",
	    "")), INBOX_APPLIED);
	assert_int_equal(apply(ws, answer(ann, "cuatro@x.example", "INSCRIRE",
	    "")), INBOX_APPLIED);
	/* Twice asked: nothing more. */
	assert_int_equal(apply(ws, answer(ann, "uno@x.example", "REGISTER",
	    "")), INBOX_IGNORED);
	/* A member: invited as a member already. */
	assert_int_equal(apply(ws, answer(ann, "kim@gov.example.bb",
	    "REGISTER", "")), INBOX_IGNORED);
	counts(ws, uid, 2, 2);
	/* The seated two are invited, the others not. */
	assert_int_equal(cycle(ws), 2);
	assert_int_equal(tl_outbox_count(ws, "ss", "invite", "uno@x.example"),
	    1);
	assert_int_equal(tl_outbox_count(ws, "ss", "invite", "dos@x.example"),
	    1);
	assert_int_equal(tl_outbox_count(ws, "ss", "invite", "tres@x.example"),
	    0);
	/* dos declines: tres moves up and is invited; dos keeps the
	 * invitation (no cancellation). */
	assert_int_equal(store_invitation_reply(ws->st, uid, "dos@x.example",
	    "DECLINED", tl_utc(NOW), tl_utc(NOW), &err), 1);
	assert_int_equal(cycle(ws), 1);
	assert_int_equal(tl_outbox_count(ws, "ss", "invite", "tres@x.example"),
	    1);
	assert_int_equal(tl_outbox_count(ws, "ss", "cancel", "dos@x.example"),
	    0);
	assert_int_equal(tl_outbox_count(ws, "ss", "invite",
	    "cuatro@x.example"), 0);
	counts(ws, uid, 2, 1);
	free(ann);
	free(uid);
	ws_done(ws);
}

/* The raw letter of kind to rcpt whose Message-ID holds needle, of every
 * row queued so far.  Caller frees. */
static char *
letter_of(struct tl_ws *ws, const char *kind, const char *rcpt,
    const char *needle)
{
	struct store_outbox *o;
	char *raw = NULL;
	size_t n, i;
	long long seen = ws->seen;

	ws->seen = 0;
	o = tl_outbox_new(ws, &n);
	ws->seen = seen;
	for (i = 0; i < n && raw == NULL; i++)
		if (strcmp(o[i].kind, kind) == 0 &&
		    strcmp(o[i].recipient, rcpt) == 0 &&
		    strstr(o[i].message_id, needle) != NULL)
			raw = xstrdup(o[i].data);
	store_outbox_free(o, n);
	if (raw == NULL)
		fail_msg("no %s to %s about %s", kind, rcpt, needle);
	return raw;
}

static long long
rows(struct tl_ws *ws, const char *uid)
{
	char *err = NULL;
	long long n = store_registration_count(ws->st, uid, NULL, 0, &err);

	assert_true(n >= 0);
	return n;
}

static void
test_closed_and_hostile(void **state)
{
	struct tl_ws *ws = ws_new("sem-closed");
	char *uid = uid_of(ws, "taller", "20210421");
	char *fuid = uid_of(ws, "foro", "20210414"), *inv, *ann, *text;
	char from[64];
	int i;

	(void)state;
	assert_int_equal(cycle(ws), 6);
	assert_int_equal(cycle(ws), 1);
	/* Kim's invitation to the closed workshop, forwarded: one refusal,
	 * in the group's language, however often they ask. */
	inv = letter_of(ws, "invite", "kim@gov.example.bb", "taller");
	assert_int_equal(apply(ws, answer(inv, "otra@y.example", "REGISTER",
	    "")), INBOX_APPLIED);
	assert_int_equal(apply(ws, answer(inv, "otra@y.example", "REGISTER",
	    "")), INBOX_IGNORED);
	assert_int_equal(tl_outbox_count(ws, "ss", SEMINAR_REFUSAL,
	    "otra@y.example"), 1);
	text = tl_outbox_text(ws, SEMINAR_REFUSAL, "otra@y.example");
	assert_non_null(strstr(text, "Taller cerrado"));
	assert_non_null(strstr(text, "cerrada"));
	free(text);
	/* An automatic reply, our own mail come back, no valid address:
	 * nothing at all. */
	assert_int_equal(apply(ws, answer(inv, "vacaciones@y.example",
	    "REGISTER", "Auto-Submitted: auto-replied\r\n")), INBOX_IGNORED);
	assert_int_equal(apply(ws, answer(inv, "agenda@example.org",
	    "REGISTER", "")), INBOX_IGNORED);
	assert_int_equal(apply(ws, answer(inv, "agenda+x@example.org",
	    "REGISTER", "")), INBOX_IGNORED);
	assert_int_equal(rows(ws, uid), 1);
	assert_int_equal(tl_outbox_count(ws, "ss", SEMINAR_REFUSAL, NULL), 1);
	/* A flood of a thousand strangers to the closed one: at most
	 * SEMINAR_REFUSALS_MAX refusals, the admin told once. */
	for (i = 0; i < 1000; i++) {
		snprintf(from, sizeof from, "f%04d@flood.example", i);
		apply(ws, answer(inv, from, "REGISTER", ""));
	}
	assert_int_equal(rows(ws, uid), SEMINAR_REFUSALS_MAX);
	assert_int_equal(tl_outbox_count(ws, "ss", SEMINAR_REFUSAL, NULL),
	    SEMINAR_REFUSALS_MAX);
	assert_int_equal(tl_outbox_count(ws, "ss", SEMINAR_FLOOD,
	    "admin@example.org"), 1);
	/* And to the open one: its seats, the waiting list's bound, no
	 * letter to anyone but the admin, once. */
	ann = tl_outbox_one(ws, SEMINAR_ANNOUNCE, "lista@sdc.example.net");
	for (i = 0; i < 1000; i++) {
		snprintf(from, sizeof from, "g%04d@flood.example", i);
		apply(ws, answer(ann, from, "REGISTER", ""));
	}
	counts(ws, fuid, 2, SEMINAR_WAITING_MAX);
	assert_int_equal(rows(ws, fuid), 2 + SEMINAR_WAITING_MAX);
	assert_int_equal(tl_outbox_count(ws, "ss", SEMINAR_FLOOD,
	    "admin@example.org"), 2);
	assert_int_equal(cycle(ws), 2);
	/* One address, many tries at many meetings: a day's bound. */
	free(inv);
	free(ann);
	free(uid);
	free(fuid);
	ws_done(ws);
}

/* One address trying many meetings: SEMINAR_ADDRESS_PER_DAY a day, then
 * nothing until the day has passed. */
static void
test_address_limit(void **state)
{
	struct tl_ws *ws = ws_new("sem-addr");
	const struct group *g = config_group(ws->cfg, "ss");
	const struct series *s = config_series(g, "foro");
	struct store_plan_meeting r;
	long long now = tl_utc(NOW);
	char *err = NULL;
	int i, admin;

	(void)state;
	/* the plan has run: the group is known to the store */
	assert_int_equal(store_group_sync(ws->st, "ss", g->name, now, &err), 0);
	memset(&r, 0, sizeof r);
	r.start = tl_utc("2021-05-01 13:00");
	for (i = 0; i < SEMINAR_ADDRESS_PER_DAY + 2; i++) {
		r.uid = xasprintf("ss-foro-x%d@example.org", i);
		assert_int_equal(seminar_register(ws->st, g, s, &r, "uno@x.example",
		    "m@x", now, &admin, &err), i < SEMINAR_ADDRESS_PER_DAY ?
		    SEMINAR_SEATED : SEMINAR_LIMITED);
		/* the admin hears of each meeting that refused, once */
		assert_int_equal(admin, i >= SEMINAR_ADDRESS_PER_DAY);
		free(r.uid);
	}
	r.uid = xstrdup("ss-foro-later@example.org");
	assert_int_equal(seminar_register(ws->st, g, s, &r, "uno@x.example",
	    "m@x", now + DAY + 60, &admin, &err), SEMINAR_SEATED);
	/* past or cancelled meetings take nobody */
	assert_int_equal(seminar_register(ws->st, g, s, &r, "dos@x.example",
	    "m@x", r.start, &admin, &err), SEMINAR_OVER);
	free(r.uid);
	assert_null(err);
	ws_done(ws);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_seats_and_waiting),
		cmocka_unit_test(test_closed_and_hostile),
		cmocka_unit_test(test_address_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for milestone.c: the [milestone NAME] sections against
 * hostile files, the day arithmetic across years, leap days and zones,
 * the DONE word in the four languages, the reminders and the overdue
 * notice on a real store, and a coordinator's DONE through inbox.c. */
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
#include "msgid.h"
#include "milestone.h"
#include "plan.h"
#include "report.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

/* ---- the configuration ---------------------------------------------------- */

static const char people[] =
    "[group]\nid = ss\nname = Sur-Sur\nkind = discussion\n"
    "timezone = America/Montevideo\n"
    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
    "coordinator = yes\n"
    "[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
    "coordinator = yes\nlanguage = en\n"
    "[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n"
    "language = pt\n";

/* The problems config_load() finds in a group file of people and then
 * text, joined by newlines (caller frees); the load must fail. */
static char *
problems(const char *text)
{
	struct tl_ws ws;
	struct config *cfg;
	struct diag d;
	struct buf b = BUF_INIT(BUF_OWN);
	char *path, *all;
	size_t i;

	tl_ws_init(&ws, "ms-cfg", NULL);
	path = xasprintf("%s/groups.d/10-ss.ini", ws.dir);
	all = xasprintf("%s%s", people, text);
	tl_write(path, all, 0644);
	diag_init(&d);
	cfg = config_load(ws.global, &d);
	assert_null(cfg);
	for (i = 0; i < d.n; i++)
		buf_addf(&b, "%s\n", d.text[i]);
	diag_free(&d);
	free(all);
	free(path);
	tl_ws_free(&ws);
	return buf_detach(&b);
}

#define HAS(text, what) do { \
	if (strstr((text), (what)) == NULL) \
		fail_msg("no \"%s\" in:\n%s", (what), (text)); \
} while (0)

static void
test_config_good(void **state)
{
	struct tl_ws ws;
	const struct group *g;
	const struct milestone *ms;
	char *text;

	(void)state;
	tl_ws_init(&ws, "ms-good", NULL);
	text = xasprintf("%s[milestone priorities]\nsummary = Prioridades\n"
	    "due = 2021-03-31\n[milestone adoption]\ndue = 2021-12-15\n"
	    "owner = secretariat\nlead_days = 0\n", people);
	tl_ws_group(&ws, "10-ss.ini", text);
	free(text);
	assert_non_null(g = config_group(ws.cfg, "ss"));
	assert_int_equal(g->nmilestones, 2);
	assert_non_null(ms = config_milestone(g, "priorities"));
	assert_string_equal(ms->summary, "Prioridades");
	assert_string_equal(ms->due, "2021-03-31");
	assert_int_equal(ms->owner, MOWNER_COORDINATORS);
	assert_int_equal(ms->lead_days, 14);
	assert_non_null(ms = config_milestone(g, "adoption"));
	assert_string_equal(ms->summary, "adoption");     /* the name */
	assert_int_equal(ms->owner, MOWNER_SECRETARIAT);
	assert_int_equal(ms->lead_days, 0);
	assert_string_equal(config_milestone_owner_name(ms->owner),
	    "secretariat");
	assert_null(config_milestone(g, "nothing"));
	assert_null(config_milestone(g, NULL));
	tl_ws_free(&ws);
}

static void
test_config_hostile(void **state)
{
	char *p, *longname, *longsum, *text;

	(void)state;
	p = problems("[milestone a]\ndue = 2021-02-29\n"
	    "[milestone a]\ndue = 2021-03-01\n"
	    "[milestone b]\ndue = 2021-13-01\nowner = everybody\n"
	    "[milestone c]\ndue = 2021-03-01 10:00\nlead_days = 400\n"
	    "[milestone d]\nsummary = x\n"
	    "[milestone e]\ndue = 2021-1-5\nlead_days = -1\ncolour = red\n"
	    "[milestone F]\ndue = 2021-03-01\n"
	    "[milestone g.h]\ndue = 2021-03-01\n"
	    "[milestone ]\ndue = 2021-03-01\n"
	    "[milestone i]\ndue = 1969-12-31\ndue = 2021-01-01\n"
	    "[milestone j]\nsummary = bell\a here\ndue = 2021-01-01\n"
	    "[milestone k]\nsummary = \xc3\x28 bad\ndue = 2021-01-01\n");
	HAS(p, "10-ss.ini:20: due must be a date YYYY-MM-DD, not '2021-02-29'");
	HAS(p, "10-ss.ini:21: milestone a given twice in the group (first "
	    "at line 19)");
	HAS(p, "10-ss.ini:24: due must be a date YYYY-MM-DD, not '2021-13-01'");
	HAS(p, "10-ss.ini:25: owner must be coordinators or secretariat, not "
	    "'everybody'");
	HAS(p, "10-ss.ini:27: due must be a date YYYY-MM-DD, not "
	    "'2021-03-01 10:00'");
	HAS(p, "10-ss.ini:28: lead_days must be a whole number from 0 to 366");
	HAS(p, "10-ss.ini:29: [milestone d]: missing required key 'due'");
	HAS(p, "10-ss.ini:32: due must be a date YYYY-MM-DD, not '2021-1-5'");
	HAS(p, "10-ss.ini:33: lead_days must be a whole number");
	HAS(p, "10-ss.ini:34: unknown key 'colour' in [milestone e]");
	HAS(p, "10-ss.ini:35: [milestone F]: milestone name must be");
	HAS(p, "10-ss.ini:37: [milestone g.h]: milestone name must be");
	HAS(p, "10-ss.ini:39: unknown section [milestone]");
	HAS(p, "10-ss.ini:42: due must be a date YYYY-MM-DD, not '1969-12-31'");
	HAS(p, "10-ss.ini:43: key 'due' given twice in [milestone i]");
	HAS(p, "10-ss.ini:45: 'summary' holds a control character");
	HAS(p, "10-ss.ini:48: 'summary' is not valid UTF-8");
	free(p);

	/* A name past 64 characters; a summary past the line cap. */
	longname = xcalloc(1, 80);
	memset(longname, 'n', 70);
	longsum = xcalloc(1, 10 * 1024 + 1);
	memset(longsum, 'x', 10 * 1024);
	text = xasprintf("[milestone %s]\ndue = 2021-01-01\n[milestone l]\n"
	    "summary = %s\ndue = 2021-01-01\n", longname, longsum);
	p = problems(text);
	HAS(p, "10-ss.ini:19: [milestone nnnn");
	HAS(p, "10-ss.ini:22:");
	free(p);
	free(text);
	free(longname);
	free(longsum);
}

/* ---- days ----------------------------------------------------------------- */

static long long
day(const char *date, int days, const char *tz)
{
	long long t = 0;

	assert_int_equal(milestone_day_start(date, days, tz, &t), 0);
	return t;
}

static void
test_days(void **state)
{
	struct milestone ms;
	struct milestone_days d;
	long long t;

	(void)state;
	/* Back across a year end: 14 days before 5 January 2021 is 22
	 * December 2020; Montevideo is UTC-3 all year. */
	assert_int_equal(day("2021-01-05", -14, "America/Montevideo"),
	    tl_utc("2020-12-22 03:00"));
	/* Forward across one, east of Greenwich. */
	assert_int_equal(day("2021-12-31", 1, "Asia/Tokyo"),
	    tl_utc("2021-12-31 15:00"));
	/* Leap days: 2024 has one, 2100 does not, 2000 does. */
	assert_int_equal(day("2024-03-01", -1, "UTC"), tl_utc("2024-02-29 00:00"));
	assert_int_equal(day("2100-03-01", -1, "UTC"), tl_utc("2100-02-28 00:00"));
	assert_int_equal(day("2000-03-01", -1, "UTC"), tl_utc("2000-02-29 00:00"));
	/* A long lead over a year and a leap day. */
	assert_int_equal(day("2021-03-01", -366, "UTC"),
	    tl_utc("2020-02-29 00:00"));
	/* Daylight time: Santiago is UTC-3 in January, UTC-4 in July. */
	assert_int_equal(day("2021-01-15", 0, "America/Santiago"),
	    tl_utc("2021-01-15 03:00"));
	assert_int_equal(day("2021-07-15", 0, "America/Santiago"),
	    tl_utc("2021-07-15 04:00"));
	/* The night Santiago springs forward at midnight (5 September
	 * 2021): that day starts within an hour of 04:00Z, not a day off. */
	t = day("2021-09-05", 0, "America/Santiago");
	assert_true(t >= tl_utc("2021-09-05 03:00") &&
	    t <= tl_utc("2021-09-05 04:00"));
	/* Days that are not. */
	assert_int_equal(milestone_day_start("2021-02-29", 0, "UTC", &t), -1);
	assert_int_equal(milestone_day_start("2021-12-01 10:00", 0, "UTC", &t),
	    -1);
	assert_int_equal(milestone_day_start("yesterday", 0, "UTC", &t), -1);
	assert_int_equal(milestone_day_start(NULL, 0, "UTC", &t), -1);

	memset(&ms, 0, sizeof ms);
	ms.due = "2021-01-10";
	ms.lead_days = 14;
	assert_int_equal(milestone_days(&ms, "America/Montevideo", &d), 0);
	assert_int_equal(d.lead, tl_utc("2020-12-27 03:00"));
	assert_int_equal(d.due, tl_utc("2021-01-10 03:00"));
	assert_int_equal(d.overdue, tl_utc("2021-01-11 03:00"));
	assert_int_equal(d.late, tl_utc("2021-01-17 03:00"));
}

/* ---- the word ------------------------------------------------------------- */

static void
test_done_word(void **state)
{
	static const char *const yes[] = { "DONE", "done", "Done.", "  hecho!",
	    "HECHO\nthe rest of the message", "Feito", "feito.", "FAIT",
	    "fait !", "F\xc3\xa1it", "F\xc3\x89ITO", "H\xc3\xa9" "cho",
	    "*Done*", NULL };
	static const char *const no[] = { "", "DONE 2", "done, thanks",
	    "not done", "DONER", "D O N E", "undone", "OK", "CONFIRMAR",
	    "\xc3\x9f" "DONE", "D\xd0\x9eNE" /* Cyrillic O */, "1. DONE",
	    "doneDONEdoneDONEdoneDONE", "\nDONE", NULL };
	size_t i;

	(void)state;
	for (i = 0; yes[i] != NULL; i++)
		if (!milestone_is_done_word(yes[i]))
			fail_msg("'%s' not read as DONE", yes[i]);
	for (i = 0; no[i] != NULL; i++)
		if (milestone_is_done_word(no[i]))
			fail_msg("'%s' read as DONE", no[i]);
	assert_int_equal(milestone_is_done_word(NULL), 0);
}

/* ---- reminders ---------------------------------------------------------- */

/* A workspace whose group ss has people and the milestones in text, with
 * [policy] admin. */
static struct tl_ws *
ws_with(const char *tag, const char *text)
{
	struct tl_ws *ws = xcalloc(1, sizeof *ws);
	char *all;

	tl_ws_init(ws, tag, "[policy]\nadmin = admin@example.org\n");
	all = xasprintf("%s%s", people, text);
	tl_ws_group(ws, "10-ss.ini", all);
	free(all);
	return ws;
}

static void
ws_done(struct tl_ws *ws)
{
	tl_ws_free(ws);
	free(ws);
}

static int
step(struct tl_ws *ws, const char *when)
{
	return tl_step(ws, "milestones", milestone_group, when);
}

static void
test_reminders(void **state)
{
	struct tl_ws *ws = ws_with("ms-rem", "[milestone priorities]\n"
	    "summary = Prioridades del grupo\ndue = 2021-03-31\n");
	char *text;

	(void)state;
	/* Before the lead day (17 March in Montevideo), nothing. */
	assert_int_equal(step(ws, "2021-03-17 02:59"), 0);
	/* From it, once: both coordinators, not Kim. */
	assert_int_equal(step(ws, "2021-03-17 03:00"), 2);
	assert_int_equal(step(ws, "2021-03-20 12:00"), 0);
	assert_int_equal(tl_outbox_count(ws, "ss", MILESTONE_REMINDER,
	    "kim@gov.example.bb"), 0);
	/* In each reader's language: Luis writes English, Ana the
	 * group's Spanish. */
	text = tl_outbox_text(ws, MILESTONE_REMINDER, "luis@cepal.example.org");
	HAS(text, "due in 14 days");
	HAS(text, "31 Mar 2021");
	HAS(text, "DONE");
	free(text);
	text = tl_outbox_text(ws, MILESTONE_REMINDER, "ana@mides.example.uy");
	HAS(text, "vence dentro de 14 d\xc3\xad" "as");
	HAS(text, "31/03/2021");
	HAS(text, "HECHO");
	free(text);
	/* The due date: once more each. */
	assert_int_equal(step(ws, "2021-03-31 03:00"), 2);
	assert_int_equal(step(ws, "2021-03-31 23:00"), 0);
	assert_int_equal(tl_outbox_count(ws, "ss", MILESTONE_REMINDER, NULL), 4);
	/* Overdue the next day: the admin, once. */
	assert_int_equal(step(ws, "2021-04-01 02:59"), 0);
	assert_int_equal(step(ws, "2021-04-01 03:00"), 1);
	assert_int_equal(step(ws, "2021-06-01 12:00"), 0);
	text = tl_outbox_text(ws, MILESTONE_OVERDUE, "admin@example.org");
	HAS(text, "Prioridades del grupo");
	free(text);
	assert_int_equal(tl_outbox_count(ws, NULL, NULL, NULL), 5);
	ws_done(ws);
}

static void
test_owners_and_late(void **state)
{
	struct tl_ws *ws = ws_with("ms-own", "[milestone adoption]\n"
	    "due = 2021-12-15\nowner = secretariat\nlead_days = 0\n"
	    "[milestone old]\ndue = 2021-01-02\n");
	char *text;

	(void)state;
	/* A milestone long past when the daemon first runs: no reminder,
	 * the admin told it is overdue. */
	assert_int_equal(step(ws, "2021-06-01 12:00"), 1);
	assert_int_equal(tl_outbox_count(ws, "ss", MILESTONE_OVERDUE,
	    "admin@example.org"), 1);
	/* lead_days 0: nothing before the day; on it the secretariat's
	 * coordinator alone, in English. */
	assert_int_equal(step(ws, "2021-12-14 12:00"), 0);
	/* A cycle missed the day: the due reminder goes late, and the
	 * admin hears it is overdue in the same cycle. */
	assert_int_equal(step(ws, "2021-12-17 12:00"), 2);
	assert_int_equal(tl_outbox_count(ws, "ss", MILESTONE_REMINDER,
	    "ana@mides.example.uy"), 0);
	text = tl_outbox_text(ws, MILESTONE_REMINDER, "luis@cepal.example.org");
	HAS(text, "due today or already past its date");
	HAS(text, "In charge:  the secretariat");
	free(text);
	assert_int_equal(step(ws, "2021-12-18 12:00"), 0);
	ws_done(ws);
}

static void
test_done_before_reminder(void **state)
{
	struct tl_ws *ws = ws_with("ms-early", "[milestone priorities]\n"
	    "due = 2021-03-31\n");
	const struct group *g = config_group(ws->cfg, "ss");
	char *err = NULL, *done = NULL;

	(void)state;
	assert_int_equal(step(ws, "2021-03-01 12:00"), 0);
	assert_int_equal(milestone_mark_done(ws->st, g, &g->milestones[0],
	    tl_utc("2021-03-10 02:00"), NULL, NULL, &err), 1);
	/* Montevideo's day, not UTC's. */
	assert_int_equal(store_milestone_done_on(ws->st, "ss", "priorities",
	    &done, &err), 1);
	assert_string_equal(done, "2021-03-09");
	free(done);
	/* The first day stands. */
	assert_int_equal(milestone_mark_done(ws->st, g, &g->milestones[0],
	    tl_utc("2021-03-20 12:00"), NULL, NULL, &err), 0);
	assert_int_equal(step(ws, "2021-03-17 12:00"), 0);
	assert_int_equal(step(ws, "2021-03-31 12:00"), 0);
	assert_int_equal(step(ws, "2021-04-02 12:00"), 0);
	assert_int_equal(tl_outbox_count(ws, NULL, NULL, NULL), 0);
	ws_done(ws);
}

/* ---- DONE through inbox.c --------------------------------------------------- */

/* The value of header name in raw (up to the line end), or NULL. */
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

/* The raw reminder of milestone name to rcpt (of every row queued so
 * far, by its Message-ID's ref).  Caller frees. */
static char *
reminder(struct tl_ws *ws, const char *name, const char *rcpt)
{
	const struct group *g = config_group(ws->cfg, "ss");
	const struct milestone *ms;
	struct store_outbox *o;
	struct msgid id;
	char *raw = NULL, *mid;
	size_t n, i, seen = (size_t)ws->seen;

	ws->seen = 0;
	o = tl_outbox_new(ws, &n);
	ws->seen = (long long)seen;
	for (i = 0; i < n && raw == NULL; i++) {
		if (strcmp(o[i].kind, MILESTONE_REMINDER) != 0 ||
		    strcmp(o[i].recipient, rcpt) != 0)
			continue;
		mid = xstrndup(o[i].message_id + (o[i].message_id[0] == '<'),
		    strcspn(o[i].message_id + (o[i].message_id[0] == '<'), ">"));
		if (msgid_parse(mid, "example.org", &id) == 0 &&
		    (ms = milestone_of_ref(g, id.ref)) != NULL &&
		    strcmp(ms->name, name) == 0)
			raw = xstrdup(o[i].data);
		free(mid);
	}
	store_outbox_free(o, n);
	if (raw == NULL)
		fail_msg("no reminder of %s to %s", name, rcpt);
	return raw;
}

/* from's answer to raw, a reminder, its first line word, sent to the
 * reminder's Reply-To when token (else the plain organizer); with a PDF
 * attached when pdf. */
static char *
answer(const char *raw, const char *from, const char *word, int token,
    int pdf)
{
	static unsigned seq;
	char *id = header(raw, "Message-ID"), *rt = header(raw, "Reply-To");
	char *msg, *body;

	assert_non_null(id);
	assert_non_null(rt);
	body = pdf ? xasprintf("Content-Type: multipart/mixed; boundary=\"b\"\r\n"
	    "\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n"
	    "--b\r\nContent-Type: application/pdf; name=\"resumen.pdf\"\r\n"
	    "Content-Disposition: attachment; filename=\"resumen.pdf\"\r\n\r\n"
	    "%%PDF-1.4\r\n1 0 obj << >> endobj\r\ntrailer << >>\r\n%%%%EOF\r\n"
	    "--b--\r\n", word) :
	    xasprintf("Content-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n"
	    "\r\n> Hito\r\n", word);
	msg = xasprintf("From: %s\r\nTo: %s\r\nSubject: Re: hito\r\n"
	    "Message-ID: <%08x-%s@client.example>\r\nIn-Reply-To: %s\r\n"
	    "Date: Thu, 18 Mar 2021 12:00:00 +0000\r\nMIME-Version: 1.0\r\n"
	    "%s", from, token ? rt : "agenda@example.org",
	    ++seq, from, id, body);
	free(body);
	free(id);
	free(rt);
	return msg;
}

static enum inbox_result
apply(struct tl_ws *ws, const char *msg)
{
	char *err = NULL;
	enum inbox_result r;

	r = inbox_apply(ws->cfg, ws->st, tl_utc("2021-03-18 12:00"), msg,
	    strlen(msg), "INBOX", 7, 1, &err);
	if (err != NULL)
		print_message("inbox_apply: %s\n", err);
	free(err);
	return r;
}

/* The day name was done, or NULL (caller frees). */
static char *
done_of(struct tl_ws *ws, const char *name)
{
	char *err = NULL, *done = NULL;

	assert_int_not_equal(store_milestone_done_on(ws->st, "ss", name, &done,
	    &err), -1);
	return done;
}

static void
test_done_reply(void **state)
{
	static const char *const words[] = { "DONE", "Hecho.", "feito",
	    "Fait !" };
	struct tl_ws *ws = ws_with("ms-done", "[milestone a]\ndue = 2021-03-31\n"
	    "[milestone b]\ndue = 2021-03-31\n[milestone c]\ndue = 2021-03-31\n"
	    "[milestone d]\ndue = 2021-03-31\n");
	char name[2] = "a", *raw, *raw2, *msg, *d, *path;
	size_t i;

	(void)state;
	assert_int_equal(step(ws, "2021-03-17 12:00"), 8);
	/* Kim is no coordinator: her DONE (to a reminder forwarded to her)
	 * changes nothing. */
	raw = reminder(ws, "a", "ana@mides.example.uy");
	msg = answer(raw, "kim@gov.example.bb", "DONE", 0, 0);
	assert_int_equal(apply(ws, msg), INBOX_REFUSED);
	free(msg);
	assert_null(done_of(ws, "a"));
	/* Luis answers the reminder Ana had (she forwarded it): her token
	 * proves nothing of his, so it is held and he is asked to confirm
	 * it, at his own address. */
	msg = answer(raw, "luis@cepal.example.org", "DONE", 0, 0);
	assert_int_equal(apply(ws, msg), INBOX_REFUSED);
	free(msg);
	assert_null(done_of(ws, "a"));
	assert_int_equal(tl_outbox_count(ws, "ss", "confirm-request",
	    "luis@cepal.example.org"), 1);
	/* His CONFIRM, with the token of that request, applies it. */
	raw2 = tl_outbox_one(ws, "confirm-request", "luis@cepal.example.org");
	msg = answer(raw2, "luis@cepal.example.org", "CONFIRM", 1, 0);
	free(raw2);
	assert_int_equal(apply(ws, msg), INBOX_APPLIED);
	free(msg);
	assert_non_null(d = done_of(ws, "a"));
	free(d);
	/* Anything but DONE, with the token: nothing marked. */
	free(raw);
	raw = reminder(ws, "b", "ana@mides.example.uy");
	msg = answer(raw, "ana@mides.example.uy", "Lo vemos la semana que viene",
	    1, 0);
	assert_int_equal(apply(ws, msg), INBOX_IGNORED);
	free(msg);
	free(raw);
	assert_null(done_of(ws, "b"));
	/* The four words, each to the reminder of one milestone (its
	 * Message-ID's ref says which), Luis with his token. */
	for (i = 0; i < 4; i++) {
		name[0] = (char)('a' + i);
		raw = reminder(ws, name, "luis@cepal.example.org");
		msg = answer(raw, "luis@cepal.example.org", words[i], 1, i == 2);
		assert_int_equal(apply(ws, msg), INBOX_APPLIED);
		free(msg);
		free(raw);
		assert_non_null(d = done_of(ws, name));
		assert_string_equal(d, "2021-03-18");
		free(d);
	}
	/* The PDF of c's DONE is the group's document (with the item's
	 * metadata.json); its text is not. */
	assert_int_equal(tl_count_files(ws->dir, "repo/ss/2021"), 2);
	path = xasprintf("%s/repo/ss/2021/2021-03-18-document/resumen.pdf",
	    ws->dir);
	assert_non_null(d = tl_slurp(path, NULL));
	assert_int_equal(strncmp(d, "%PDF-1.4", 8), 0);
	free(d);
	free(path);
	/* Done: no due reminder, never overdue. */
	assert_int_equal(step(ws, "2021-03-31 12:00"), 0);
	assert_int_equal(step(ws, "2021-04-05 12:00"), 0);
	ws_done(ws);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_hostile),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_done_word),
		cmocka_unit_test(test_reminders),
		cmocka_unit_test(test_owners_and_late),
		cmocka_unit_test(test_done_before_reminder),
		cmocka_unit_test(test_done_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

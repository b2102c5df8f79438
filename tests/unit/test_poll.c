/* Unit tests for poll.c: [poll NAME] sections against hostile files,
 * answers and CONFIRM in the four languages and hostile ones, the
 * ballots, the tally and its reminder on a real store, and a chosen
 * candidate planned as a meeting (plan.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cycle.h"
#include "msgid.h"
#include "plan.h"
#include "poll.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

static const char people[] =
    "[group]\nid = ss\nname = Sur-Sur\nkind = discussion\n"
    "timezone = America/Montevideo\n"
    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
    "coordinator = yes\ncountry = UY\n"
    "[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
    "coordinator = yes\nlanguage = en\ntimezone = America/Santiago\n"
    "[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n"
    "language = pt\ncountry = BB\ntimezone = America/Barbados\n"
    "[member marie@gouv.example.ht]\nname = Marie\nrole = ministry\n"
    "language = fr\ncountry = HT\ntimezone = America/Port-au-Prince\n";

static const char poll[] =
    "[poll third]\nsummary = Tercera reunión\nkind = meeting\n"
    "duration = 90\nlocation = Zoom\n"
    "candidates = 2021-04-14 15:00, 2021-04-21 15:00, 2021-04-28 10:00\n"
    "closes = 2021-03-31\n";

#define HAS(text, what) do { \
	if (strstr((text), (what)) == NULL) \
		fail_msg("no \"%s\" in:\n%s", (what), (text)); \
} while (0)

/* ---- the configuration ---------------------------------------------------- */

/* The problems config_load() finds in a group file of people and text
 * (caller frees); the load must fail. */
static char *
problems(const char *text)
{
	struct tl_ws ws;
	struct config *cfg;
	struct diag d;
	struct buf b = BUF_INIT(BUF_OWN);
	char *path, *all;
	size_t i;

	tl_ws_init(&ws, "poll-cfg", NULL);
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

static void
test_config_good(void **state)
{
	struct tl_ws ws;
	const struct group *g;
	const struct poll *p;
	char *text;

	(void)state;
	tl_ws_init(&ws, "poll-good", NULL);
	text = xasprintf("%s%s[poll short]\ncandidates = 2021-05-05 12:00\n"
	    "closes = 2021-05-01\nduration = 60\n", people, poll);
	tl_ws_group(&ws, "10-ss.ini", text);
	free(text);
	assert_non_null(g = config_group(ws.cfg, "ss"));
	assert_int_equal(g->npolls, 2);
	assert_non_null(p = config_poll(g, "third"));
	assert_string_equal(p->summary, "Tercera reunión");
	assert_int_equal(p->duration, 90);
	assert_string_equal(p->timezone, "America/Montevideo");
	assert_int_equal(p->ncandidates, 3);
	assert_string_equal(p->candidates[2], "2021-04-28 10:00");
	assert_string_equal(p->closes, "2021-03-31");
	assert_non_null(p = config_poll(g, "short"));
	assert_string_equal(p->summary, "short");
	assert_int_equal(p->duration, 60);
	assert_null(p->location);
	assert_null(config_poll(g, "none"));
	assert_null(config_poll(g, NULL));
	tl_ws_free(&ws);
}

static void
test_config_hostile(void **state)
{
	struct buf many = BUF_INIT(BUF_OWN);
	char *p, *text;
	int i;

	(void)state;
	p = problems("[poll a]\ncandidates = 2021-04-14 15:00\nclose = x\n"
	    "[poll a]\ncandidates = 2021-04-14 15:00\ncloses = 2021-03-01\n"
	    "[poll b]\ncandidates = 2021-04-31 15:00, tomorrow\n"
	    "closes = 2021-02-30\n"
	    "[poll c]\ncandidates = 2021-04-14 15:00, 2021-04-14 15:00\n"
	    "closes = 2021-03-01\nduration = 0\nkind = party\n"
	    "timezone = Mars/Olympus\n"
	    "[poll D]\ncandidates = 2021-04-14 15:00\ncloses = 2021-03-01\n"
	    "[poll e]\ncloses = 2021-03-01\n"
	    "[poll f]\ncandidates = 2021-04-14 15:00\ncloses = 2021-05-01\n"
	    "[series f]\nsummary = x\nstart = 2021-04-01 10:00\nduration = 60\n"
	    "[poll g]\ncandidates = 2021-04-14 15:00\ncloses = 2021-03-01\n"
	    "location = bell\a\n");
	HAS(p, "10-ss.ini:31: unknown key 'close' in [poll a]");
	HAS(p, "10-ss.ini:29: [poll a]: missing required key 'closes'");
	HAS(p, "10-ss.ini:32: poll a given twice in the group (first at line "
	    "29)");
	HAS(p, "10-ss.ini:36: candidates must be a local date and time");
	HAS(p, "10-ss.ini:37: closes must be a date YYYY-MM-DD, not "
	    "'2021-02-30'");
	HAS(p, "10-ss.ini:38: poll c: candidate 2021-04-14 15:00 given twice");
	HAS(p, "10-ss.ini:41: duration must be a whole number from 1 to 1440");
	HAS(p, "10-ss.ini:42: kind must be");
	HAS(p, "10-ss.ini:43: unknown time zone");
	HAS(p, "10-ss.ini:44: [poll D]: poll name must be");
	HAS(p, "10-ss.ini:47: [poll e]: missing required key 'candidates'");
	HAS(p, "10-ss.ini:49: warning: poll f: candidate 2021-04-14 15:00 is "
	    "not after the day it closes (2021-05-01)");
	HAS(p, "10-ss.ini:49: poll f has the name of a series of the group");
	HAS(p, "10-ss.ini:59: 'location' holds a control character");
	free(p);

	/* More candidates than a ballot can number sensibly. */
	buf_adds(&many, "[poll many]\ncloses = 2021-01-01\ncandidates = ");
	for (i = 0; i < CONFIG_POLL_CANDIDATES_MAX + 1; i++)
		buf_addf(&many, "%s2021-02-%02d 10:00", i ? ",\n  " : "", i + 1);
	buf_adds(&many, "\n");
	text = buf_detach(&many);
	p = problems(text);
	HAS(p, "10-ss.ini:29: poll many has 21 candidates: at most 20");
	free(p);
	free(text);
}

/* ---- answers ---------------------------------------------------------------- */

static void
test_answers(void **state)
{
	static const struct {
		const char *text;
		int n;
		const char *yes;        /* of 4 candidates */
	} good[] = {
		{ "1, 3", 2, "1010" }, { "1 3", 2, "1010" }, { "1;3", 2, "1010" },
		{ "  2,3,4  ", 3, "0111" }, { "4.", 1, "0001" },
		{ "1, 1, 3", 2, "1010" }, { "3\nI cannot on the 1st", 1, "0010" },
		{ "none", 0, "0000" }, { "NONE.", 0, "0000" },
		{ "Ninguna", 0, "0000" }, { "ninguno", 0, "0000" },
		{ "nenhuma", 0, "0000" }, { "Nenhum", 0, "0000" },
		{ "aucune", 0, "0000" }, { "AUCUN!", 0, "0000" },
	};
	static const char *const bad[] = { "", "0", "5", "1, 5", "-1", "1-3",
	    "one", "1, two", "none of them", "99999999999999999999",
	    "1 2 3 4 1 2 3 4 1", "\n1", "1,3 ok", "CONFIRM 1", "\xef\xbc\x91",
	    NULL };
	unsigned char yes[4];
	const char *why;
	char *huge;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		why = NULL;
		if (poll_parse_answer(good[i].text, 4, yes, &why) != good[i].n)
			fail_msg("'%s' not read as %d candidates (%s)",
			    good[i].text, good[i].n, why ? why : "");
		for (k = 0; k < 4; k++)
			if (yes[k] != (good[i].yes[k] == '1'))
				fail_msg("'%s': candidate %zu", good[i].text, k + 1);
	}
	for (i = 0; bad[i] != NULL; i++) {
		why = NULL;
		if (poll_parse_answer(bad[i], 4, yes, &why) != -1)
			fail_msg("'%s' read as an answer", bad[i]);
		assert_non_null(why);
	}
	assert_int_equal(poll_parse_answer(NULL, 4, yes, &why), -1);
	/* A first line past the cap, even of valid numbers. */
	huge = xcalloc(1, POLL_LINE_MAX + 10);
	for (i = 0; i < POLL_LINE_MAX + 2; i += 2)
		memcpy(huge + i, "1 ", 2);
	assert_int_equal(poll_parse_answer(huge, 4, yes, &why), -1);
	assert_string_equal(why, "first line too long");
	free(huge);
}

static void
test_confirm(void **state)
{
	(void)state;
	assert_int_equal(poll_parse_confirm("CONFIRM 2", 3), 2);
	assert_int_equal(poll_parse_confirm("confirmar 3\nthanks", 3), 3);
	assert_int_equal(poll_parse_confirm("Confirmer  1.", 3), 1);
	assert_int_equal(poll_parse_confirm("CONFIRM #2", 3), 2);
	assert_int_equal(poll_parse_confirm("CONFIRM 4", 3), -1);
	assert_int_equal(poll_parse_confirm("CONFIRM 0", 3), -1);
	assert_int_equal(poll_parse_confirm("CONFIRM 99999999999999", 3), -1);
	assert_int_equal(poll_parse_confirm("CONFIRM", 3), 0);
	assert_int_equal(poll_parse_confirm("CONFIRM 1 2", 3), 0);
	assert_int_equal(poll_parse_confirm("CONFIRM one", 3), 0);
	assert_int_equal(poll_parse_confirm("OK 1", 3), 0);
	assert_int_equal(poll_parse_confirm("1", 3), 0);
	assert_int_equal(poll_parse_confirm("", 3), 0);
	assert_int_equal(poll_parse_confirm(NULL, 3), 0);
}

/* ---- ballots, the tally, the meeting --------------------------------------- */

static struct tl_ws *
ws_with(const char *tag, const char *text)
{
	struct tl_ws *ws = xcalloc(1, sizeof *ws);
	char *all;

	tl_ws_init(ws, tag, NULL);
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
	return tl_step(ws, "polls", poll_group, when);
}

static void
answer(struct tl_ws *ws, const char *email, const char *text)
{
	const struct group *g = config_group(ws->cfg, "ss");
	unsigned char yes[CONFIG_POLL_CANDIDATES_MAX];
	const char *why;
	char *err = NULL;

	assert_true(poll_parse_answer(text, g->polls[0].ncandidates, yes,
	    &why) >= 0);
	assert_int_equal(poll_answer(ws->st, g, &g->polls[0], email, yes,
	    tl_utc("2021-03-20 12:00"), NULL, &err), 0);
}

static void
test_ballots(void **state)
{
	struct tl_ws *ws = ws_with("poll-ballot", poll);
	char *text;

	(void)state;
	/* Open: one ballot to each member, once. */
	assert_int_equal(step(ws, "2021-03-01 12:00"), 4);
	assert_int_equal(step(ws, "2021-03-02 12:00"), 0);
	/* One who joins while it is open gets theirs at the next cycle. */
	text = xasprintf("%s%s[member eve@gob.example.cl]\nname = Eve\n"
	    "role = ministry\n", people, poll);
	tl_ws_group(ws, "10-ss.ini", text);
	free(text);
	assert_int_equal(step(ws, "2021-03-03 12:00"), 1);
	assert_int_equal(tl_outbox_count(ws, "ss", POLL_BALLOT,
	    "eve@gob.example.cl"), 1);
	tl_ws_group(ws, "10-ss.ini", text = xasprintf("%s%s", people, poll));
	free(text);
	/* Each in the reader's language, the times in their zone:
	 * 15:00 in Montevideo is 14:00 in Santiago (UTC-4 from April),
	 * 14:00 in Barbados and in Port-au-Prince (UTC-4 in April). */
	text = tl_outbox_text(ws, POLL_BALLOT, "ana@mides.example.uy");
	HAS(text, "1. miércoles 14 de abril de 2021, 15:00 "
	    "(America/Montevideo");
	HAS(text, "3. miércoles 28 de abril de 2021, 10:00");
	HAS(text, "NINGUNA");
	HAS(text, "31/03/2021");
	free(text);
	text = tl_outbox_text(ws, POLL_BALLOT, "luis@cepal.example.org");
	HAS(text, "1. Wednesday 14 April 2021, 14:00 (America/Santiago");
	HAS(text, "NONE");
	HAS(text, "90 minutes");
	HAS(text, "Place: Zoom");
	free(text);
	text = tl_outbox_text(ws, POLL_BALLOT, "kim@gov.example.bb");
	HAS(text, "1. quarta-feira, 14 de abril de 2021, 14:00 "
	    "(America/Barbados");
	HAS(text, "NENHUMA");
	free(text);
	text = tl_outbox_text(ws, POLL_BALLOT, "marie@gouv.example.ht");
	HAS(text, "1. mercredi 14 avril 2021, 14:00 (America/Port-au-Prince");
	HAS(text, "AUCUNE");
	free(text);
	/* Closed: no ballot for anyone, the tally to the coordinators. */
	answer(ws, "ana@mides.example.uy", "1, 2");
	answer(ws, "kim@gov.example.bb", "2");
	answer(ws, "kim@gov.example.bb", "2 3");    /* replaces */
	answer(ws, "marie@gouv.example.ht", "aucune");
	assert_int_equal(step(ws, "2021-04-01 02:59"), 0);
	assert_int_equal(step(ws, "2021-04-01 03:00"), 2);
	text = tl_outbox_text(ws, POLL_TALLY, "luis@cepal.example.org");
	HAS(text, "3 of\r\n4 members answered");
	HAS(text, "1. Wednesday 14 April 2021, 14:00 (America/Santiago, "
	    "UTC\xe2\x88\x92" "04:00)\r\n     yes: 1 (UY)");
	HAS(text, "2. Wednesday 21 April 2021, 14:00 (America/Santiago, "
	    "UTC\xe2\x88\x92" "04:00)\r\n     yes: 2 (UY, BB)");
	HAS(text, "     yes: 1 (BB)");
	HAS(text, "Most members can meet at number 2");
	HAS(text, "CONFIRM 1");
	free(text);
	text = tl_outbox_text(ws, POLL_TALLY, "ana@mides.example.uy");
	HAS(text, "s\xc3\xad: 2 (UY, BB)");
	HAS(text, "CONFIRMAR");
	free(text);
	/* A week later without a choice: one reminder each, once. */
	assert_int_equal(step(ws, "2021-04-07 12:00"), 0);
	assert_int_equal(step(ws, "2021-04-08 03:00"), 2);
	assert_int_equal(step(ws, "2021-04-09 03:00"), 0);
	assert_int_equal(tl_outbox_count(ws, "ss", POLL_TALLY, NULL), 4);
	assert_int_equal(tl_outbox_count(ws, "ss", POLL_BALLOT, NULL), 5);
	ws_done(ws);
}

static void
test_tally_view(void **state)
{
	struct tl_ws *ws = ws_with("poll-view", poll);
	const struct group *g = config_group(ws->cfg, "ss");
	struct poll_view *v;
	struct buf b = BUF_INIT(BUF_OWN);
	char *err = NULL;
	size_t n;

	(void)state;
	/* The refs of a ballot, the tally and its reminder lead back to the
	 * poll; anything else to none. */
	for (n = 0; n < 4; n++) {
		struct msgid id;

		msgid_set_ref(&id, (const char *[]){ "third", "third.tally",
		    "third.reminder", "third.other" }[n]);
		if (n < 3)
			assert_ptr_equal(poll_of_ref(g, id.ref), &g->polls[0]);
		else
			assert_null(poll_of_ref(g, id.ref));
	}
	assert_null(poll_of_ref(g, NULL));
	assert_null(poll_of_ref(g, ""));
	answer(ws, "ana@mides.example.uy", "3");
	answer(ws, "luis@cepal.example.org", "1 3");
	answer(ws, "kim@gov.example.bb", "ninguna");
	/* One who is not a member (any more) does not count. */
	assert_int_equal(store_poll_answer(ws->st, &(struct store_poll_answer){
	    "ss", "third", "gone@example.org", "2021-04-14 15:00", 1, NULL },
	    &err), 0);
	assert_int_equal(poll_views(ws->st, g, tl_utc("2021-03-20 12:00"), &v,
	    &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].answered, 3);
	assert_int_equal(v[0].yes[0], 1);
	assert_int_equal(v[0].yes[1], 0);
	assert_int_equal(v[0].yes[2], 2);
	assert_true(v[0].open);
	assert_null(v[0].chosen);
	poll_json(&b, v, n);
	assert_string_equal(buf_str(&b), "[\n     {\"name\": \"third\", "
	    "\"closes\": \"2021-03-31\", \"candidates\": [{\"start\": "
	    "\"2021-04-14T18:00:00Z\", \"yes\": 1}, {\"start\": "
	    "\"2021-04-21T18:00:00Z\", \"yes\": 0}, {\"start\": "
	    "\"2021-04-28T13:00:00Z\", \"yes\": 2}], \"chosen\": null}]");
	buf_release(&b);
	poll_views_free(v, n);
	/* Chosen: the first choice stands. */
	assert_int_equal(poll_choose(ws->st, g, &g->polls[0], 3,
	    tl_utc("2021-04-01 12:00"), NULL, NULL, &err), 1);
	assert_int_equal(poll_choose(ws->st, g, &g->polls[0], 1,
	    tl_utc("2021-04-01 13:00"), NULL, NULL, &err), 0);
	assert_int_equal(poll_views(ws->st, g, tl_utc("2021-04-02 12:00"), &v,
	    &n, &err), 0);
	assert_string_equal(v[0].chosen, "2021-04-28 10:00");
	assert_false(v[0].open);
	poll_json(&b, v, n);
	HAS(buf_str(&b), "\"chosen\": \"2021-04-28T13:00:00Z\"");
	buf_release(&b);
	poll_views_free(v, n);
	/* No tally after a choice. */
	assert_int_equal(step(ws, "2021-04-02 12:00"), 0);
	ws_done(ws);
}

static void
test_chosen_meeting(void **state)
{
	struct tl_ws *ws = ws_with("poll-meet", poll);
	const struct group *g = config_group(ws->cfg, "ss");
	char *err = NULL, *text, *all;

	(void)state;
	/* Nothing planned before a choice. */
	assert_int_equal(tl_step(ws, "plan", plan_group, "2021-04-01 12:00"),
	    0);
	assert_int_equal(poll_choose(ws->st, g, &g->polls[0], 2,
	    tl_utc("2021-04-01 12:00"), NULL, NULL, &err), 1);
	/* One invitation per member, as for any meeting, once. */
	assert_int_equal(tl_step(ws, "plan", plan_group, "2021-04-01 13:00"),
	    4);
	assert_int_equal(tl_step(ws, "plan", plan_group, "2021-04-02 13:00"),
	    0);
	assert_int_equal(tl_outbox_count(ws, "ss", "invite", NULL), 4);
	text = tl_outbox_one(ws, "invite", "luis@cepal.example.org");
	HAS(text, "<cv1.invite.ss.ss-third-20210421.0.");
	HAS(text, "21 Apr 2021");
	free(text);
	/* The section edited: an update to everyone. */
	all = xasprintf("%s%s", people, "[poll third]\nsummary = Tercera "
	    "reunión\nduration = 90\nlocation = Sala 2\ncandidates = "
	    "2021-04-14 15:00, 2021-04-21 15:00\ncloses = 2021-03-31\n");
	tl_ws_group(ws, "10-ss.ini", all);
	free(all);
	assert_int_equal(tl_step(ws, "plan", plan_group, "2021-04-03 13:00"),
	    4);
	assert_int_equal(tl_outbox_count(ws, "ss", "update", NULL), 4);
	/* Removed: the meeting is cancelled for everyone. */
	tl_ws_group(ws, "10-ss.ini", people);
	assert_int_equal(tl_step(ws, "plan", plan_group, "2021-04-04 13:00"),
	    4);
	assert_int_equal(tl_outbox_count(ws, "ss", "cancel", NULL), 4);
	ws_done(ws);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_hostile),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_ballots),
		cmocka_unit_test(test_tally_view),
		cmocka_unit_test(test_chosen_meeting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

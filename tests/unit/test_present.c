/* Unit tests for present.c: the parser (four languages, accents, case,
 * hostile titles), the slot logic, offers and withdrawals against a real
 * store, the agenda's section, and the cycle's step: the call, the
 * materials request and the record of experiences. */
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
#include "letter.h"
#include "plan.h"
#include "present.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

/* ---- the parser ---- */

struct parse_row {
	const char *text;
	enum present_verb want;
	const char *title;      /* for PRESENT_OFFER */
};

static void
test_parse_languages(void **state)
{
	static const struct parse_row rows[] = {
		{ "PRESENT: Cash transfers", PRESENT_OFFER, "Cash transfers" },
		{ "present:   Cash  transfers  \nmore", PRESENT_OFFER,
		    "Cash transfers" },
		{ "PRESENTAR: Transferencias", PRESENT_OFFER, "Transferencias" },
		{ "Presentar : Pensiones", PRESENT_OFFER, "Pensiones" },
		{ "APRESENTAR: Bolsa Família", PRESENT_OFFER, "Bolsa Família" },
		{ "apresentar:Cuidados", PRESENT_OFFER, "Cuidados" },
		{ "PRÉSENTER: Revenu de solidarité", PRESENT_OFFER,
		    "Revenu de solidarité" },
		{ "présenter: Protection", PRESENT_OFFER, "Protection" },
		{ "PRESENTER: Protection", PRESENT_OFFER, "Protection" },
		{ "PrÉsEnTeR: x", PRESENT_OFFER, "x" },
		{ "*PRESENT*: bold", PRESENT_OFFER, "bold" },
		{ "WITHDRAW", PRESENT_WITHDRAW, NULL },
		{ "withdraw.\nthanks", PRESENT_WITHDRAW, NULL },
		{ "Retirar", PRESENT_WITHDRAW, NULL },
		{ "RETIRER !", PRESENT_WITHDRAW, NULL },
		{ "PRESENT Cash transfers", PRESENT_NONE, NULL },
		{ "PRESENTATION: x", PRESENT_NONE, NULL },
		{ "WITHDRAWAL", PRESENT_NONE, NULL },
		{ "CONFIRM", PRESENT_NONE, NULL },
		{ "I would like to PRESENT: x", PRESENT_NONE, NULL },
		{ "", PRESENT_NONE, NULL },
	};
	const char *why;
	char *title;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		enum present_verb v = present_parse(rows[i].text, &title, &why);

		if (v != rows[i].want)
			fail_msg("\"%s\": verb %d, want %d", rows[i].text, v,
			    rows[i].want);
		if (rows[i].title != NULL) {
			assert_non_null(title);
			assert_string_equal(title, rows[i].title);
		} else
			assert_null(title);
		free(title);
	}
	assert_int_equal(present_parse(NULL, &title, &why), PRESENT_NONE);
}

static void
test_parse_hostile(void **state)
{
	struct buf big = BUF_INIT(BUF_OWN);
	const char *why;
	char *title;
	size_t i;

	(void)state;
	/* Control characters, escapes, bidirectional and invisible ones go;
	 * a tab is a space. */
	assert_int_equal(present_parse("PRESENT: A\x01" "B\tC\x1b[31m\x7f"
	    "D\xc2\x85" "E\xe2\x80\xae" "F\xe2\x80\x8b" "G\xef\xbb\xbf",
	    &title, &why), PRESENT_OFFER);
	assert_string_equal(title, "AB C[31mDEFG");
	free(title);
	/* 10 KB: refused, not cut. */
	buf_adds(&big, "PRESENT: ");
	for (i = 0; i < 10240; i++)
		buf_addc(&big, 'x');
	assert_int_equal(present_parse(buf_str(&big), &title, &why),
	    PRESENT_BAD_TITLE);
	assert_null(title);
	assert_non_null(strstr(why, "200"));
	buf_release(&big);
	/* Exactly the bound passes, one more does not. */
	buf_adds(&big, "PRESENT: ");
	for (i = 0; i < PRESENT_TITLE_MAX; i++)
		buf_addc(&big, 'y');
	assert_int_equal(present_parse(buf_str(&big), &title, &why),
	    PRESENT_OFFER);
	assert_int_equal(strlen(title), PRESENT_TITLE_MAX);
	free(title);
	buf_addc(&big, 'y');
	assert_int_equal(present_parse(buf_str(&big), &title, &why),
	    PRESENT_BAD_TITLE);
	buf_release(&big);
	/* Nothing left, or not UTF-8. */
	assert_int_equal(present_parse("PRESENT:  \x01\t ", &title, &why),
	    PRESENT_BAD_TITLE);
	assert_string_equal(why, "an empty title");
	assert_int_equal(present_parse("PRESENT: caf\xe9", &title, &why),
	    PRESENT_BAD_TITLE);
	assert_string_equal(why, "a title that is not UTF-8");
	/* A verb too long to be one, made of accented letters. */
	assert_int_equal(present_parse("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9: x", &title, &why),
	    PRESENT_NONE);
}

/* ---- the slot logic ---- */

static void
test_rank(void **state)
{
	static const int none[] = { 0, 0, 0, 0, 0 };
	static const int second[] = { 0, 1, 0, 0, 0 };
	static const int all[] = { 1, 1, 1 };
	enum present_status out[5];

	(void)state;
	present_rank(none, 5, 3, out);
	assert_int_equal(out[0], PRESENT_ACCEPTED);
	assert_int_equal(out[2], PRESENT_ACCEPTED);
	assert_int_equal(out[3], PRESENT_WAITING);
	assert_int_equal(out[4], PRESENT_WAITING);
	/* The second withdrawn: the fourth moves up. */
	present_rank(second, 5, 3, out);
	assert_int_equal(out[1], PRESENT_WITHDRAWN);
	assert_int_equal(out[3], PRESENT_ACCEPTED);
	assert_int_equal(out[4], PRESENT_WAITING);
	present_rank(all, 3, 3, out);
	assert_int_equal(out[0], PRESENT_WITHDRAWN);
	present_rank(none, 2, 0, out);
	assert_int_equal(out[0], PRESENT_WAITING);
	assert_string_equal(present_status_name(PRESENT_ACCEPTED), "accepted");
	assert_int_equal(present_status_of("withdrawn"), PRESENT_WITHDRAWN);
	assert_int_equal(present_status_of("junk"), PRESENT_WAITING);
}

/* ---- offers against a store ---- */

struct sent {
	char kind[32][32];
	char to[32][64];
	size_t n;
};

static int
record_send(void *arg, struct letter *l)
{
	struct sent *s = arg;

	assert_true(s->n < 32);
	snprintf(s->kind[s->n], sizeof s->kind[0], "%s", l->kind);
	snprintf(s->to[s->n], sizeof s->to[0], "%s", l->to);
	s->n++;
	return 0;
}

static size_t
sent_count(const struct sent *s, const char *kind, const char *to)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i++)
		k += strcmp(s->kind[i], kind) == 0 && (to == NULL ||
		    strcmp(s->to[i], to) == 0);
	return k;
}

#define GROUP \
	"[group]\nid = ss\nname = Sur-Sur\nkind = discussion\n" \
	"timezone = America/Montevideo\n" \
	"[member ana@mides.example.uy]\nname = Ana\ncountry = UY\n" \
	"role = ministry\ncoordinator = yes\n" \
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n" \
	"coordinator = yes\n" \
	"[member kim@gov.example.bb]\nname = Kim\ncountry = BB\n" \
	"role = ministry\n" \
	"[member eva@mds.example.ar]\nname = Eva\ncountry = AR\n" \
	"role = ministry\n" \
	"[member rui@mds.example.br]\nname = Rui\ncountry = BR\n" \
	"role = ministry\nlanguage = pt\n" \
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n" \
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n" \
	"invitation = occurrence\npresentations = 2\n"

static int
setup(void **state)
{
	struct tl_ws *ws = xcalloc(1, sizeof *ws);

	tl_ws_init(ws, "present", NULL);
	tl_ws_group(ws, "10-ss.ini", GROUP);
	assert_int_equal(tl_step(ws, "plan", plan_group, "2021-03-01 12:00"), 5);
	*state = ws;
	return 0;
}

#define MARCH "ss-monthly-20210317@example.org"

static enum present_result
act(struct tl_ws *ws, struct store_plan_meeting *r, const char *who,
    enum present_verb verb, const char *title, const char *when,
    struct sent *s)
{
	const struct group *g = config_group(ws->cfg, "ss");
	const struct present_mail mail = { record_send, s };
	char why[256], *err = NULL;
	enum present_result res;

	memset(s, 0, sizeof *s);
	res = present_apply(ws->cfg, ws->st, g, r, config_member(g, who), verb,
	    title, tl_utc(when), &mail, why, sizeof why, &err);
	if (res == PRESENT_FAILED)
		fail_msg("%s", err);
	return res;
}

/* The statuses of the meeting's offers in order, one letter each
 * (a accepted, w waiting, x withdrawn). */
static void
statuses(struct tl_ws *ws, const char *want)
{
	struct store_presentation *p;
	char got[32], *err = NULL;
	size_t n, i;

	assert_int_equal(store_meeting_presentations(ws->st, MARCH, &p, &n,
	    &err), 0);
	for (i = 0; i < n && i + 1 < sizeof got; i++)
		got[i] = strcmp(p[i].status, "accepted") == 0 ? 'a' :
		    strcmp(p[i].status, "waiting") == 0 ? 'w' : 'x';
	got[i] = '\0';
	assert_string_equal(got, want);
	store_presentations_free(p, n);
}

static void
test_offers(void **state)
{
	struct tl_ws *ws = *state;
	struct store_plan_meeting r;
	struct sent s;
	char *err = NULL;
	int i;

	assert_int_equal(store_meeting_get(ws->st, MARCH, &r, &err), 1);
	assert_int_equal(act(ws, &r, "kim@gov.example.bb", PRESENT_OFFER,
	    "Cash", "2021-03-05 12:00", &s), PRESENT_APPLIED);
	/* The volunteer and both coordinators hear of it. */
	assert_int_equal(sent_count(&s, "presentation-reply",
	    "kim@gov.example.bb"), 1);
	assert_int_equal(sent_count(&s, "presentation-notice", NULL), 2);
	assert_int_equal(act(ws, &r, "eva@mds.example.ar", PRESENT_OFFER,
	    "Care", "2021-03-05 12:01", &s), PRESENT_APPLIED);
	assert_int_equal(act(ws, &r, "rui@mds.example.br", PRESENT_OFFER,
	    "Bolsa", "2021-03-05 12:02", &s), PRESENT_APPLIED);
	statuses(ws, "aaw");
	/* The same again changes nothing; a new title keeps the place. */
	assert_int_equal(act(ws, &r, "rui@mds.example.br", PRESENT_OFFER,
	    "Bolsa", "2021-03-05 12:03", &s), PRESENT_NOTHING);
	assert_int_equal(s.n, 0);
	assert_int_equal(act(ws, &r, "rui@mds.example.br", PRESENT_OFFER,
	    "Bolsa Família", "2021-03-05 12:04", &s), PRESENT_APPLIED);
	statuses(ws, "aaw");
	/* Eva withdraws: Rui moves up, and is told, and so are the
	 * coordinators, of both. */
	assert_int_equal(act(ws, &r, "eva@mds.example.ar", PRESENT_WITHDRAW,
	    NULL, "2021-03-06 12:00", &s), PRESENT_APPLIED);
	statuses(ws, "axa");
	assert_int_equal(sent_count(&s, "presentation-reply",
	    "eva@mds.example.ar"), 1);
	assert_int_equal(sent_count(&s, "presentation-reply",
	    "rui@mds.example.br"), 1);
	assert_int_equal(sent_count(&s, "presentation-notice", NULL), 4);
	/* Nothing to withdraw; Eva offers again and goes to the end. */
	assert_int_equal(act(ws, &r, "eva@mds.example.ar", PRESENT_WITHDRAW,
	    NULL, "2021-03-06 12:01", &s), PRESENT_NOTHING);
	assert_int_equal(act(ws, &r, "eva@mds.example.ar", PRESENT_OFFER,
	    "Care again", "2021-03-06 12:02", &s), PRESENT_APPLIED);
	statuses(ws, "axaw");
	/* A flood: Kim's changes are bounded. */
	for (i = 0; i < PRESENT_CHANGES_MAX - 1; i++)
		assert_int_equal(act(ws, &r, "kim@gov.example.bb",
		    PRESENT_OFFER, i % 2 ? "Cash" : "Cash 2", "2021-03-07 12:00",
		    &s), PRESENT_APPLIED);
	assert_int_equal(act(ws, &r, "kim@gov.example.bb", PRESENT_OFFER,
	    "Cash 3", "2021-03-07 12:00", &s), PRESENT_REFUSED);
	assert_int_equal(s.n, 0);
	statuses(ws, "axaw");
	/* Once the meeting begins, nothing changes. */
	assert_int_equal(act(ws, &r, "ana@mides.example.uy", PRESENT_OFFER,
	    "Late", "2021-03-17 18:00", &s), PRESENT_NOTHING);
	statuses(ws, "axaw");
	store_plan_meeting_clear(&r);
}

static void
test_draft_and_cycle(void **state)
{
	struct tl_ws *ws = *state;
	const struct group *g = config_group(ws->cfg, "ss");
	struct store_plan_meeting r;
	struct sent s;
	char *err = NULL, *draft, *path, *json, *text;

	assert_int_equal(store_meeting_get(ws->st, MARCH, &r, &err), 1);
	assert_int_equal(present_draft(ws->st, g, &r, &draft, &err), 0);
	assert_null(draft);     /* no offer yet */
	/* The call: to every member, once. */
	assert_int_equal(tl_step(ws, "presentations", present_group,
	    "2021-03-02 12:00"), 0);
	assert_int_equal(tl_step(ws, "presentations", present_group,
	    "2021-03-03 19:00"), 5);
	assert_int_equal(tl_step(ws, "presentations", present_group,
	    "2021-03-04 19:00"), 0);
	text = tl_outbox_text(ws, "presentations-call", "rui@mds.example.br");
	assert_non_null(strstr(text, "APRESENTAR:"));
	free(text);
	act(ws, &r, "kim@gov.example.bb", PRESENT_OFFER, "Cash | transfers",
	    "2021-03-05 12:00", &s);
	act(ws, &r, "ana@mides.example.uy", PRESENT_OFFER, "Care",
	    "2021-03-05 12:01", &s);
	act(ws, &r, "eva@mds.example.ar", PRESENT_OFFER, "Waiting",
	    "2021-03-05 12:02", &s);
	assert_int_equal(present_draft(ws->st, g, &r, &draft, &err), 0);
	assert_string_equal(draft, "Presentaciones:\n\n"
	    "  1. BB, Kim: Cash | transfers\n  2. UY, Ana: Care\n");
	free(draft);
	/* After the meeting: the two accepted are asked for materials, once;
	 * the record of experiences is written. */
	assert_int_equal(tl_step(ws, "presentations", present_group,
	    "2021-03-17 20:00"), 2);
	assert_int_equal(tl_step(ws, "presentations", present_group,
	    "2021-03-18 20:00"), 0);
	assert_int_equal(tl_outbox_count(ws, "ss", "materials-request",
	    "eva@mds.example.ar"), 0);
	path = xasprintf("%s/repo/ss/experiences.json", ws->dir);
	json = tl_slurp(path, NULL);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"date\": \"2021-03-17\", \"meeting\": "
	    "\"" MARCH "\""));
	assert_non_null(strstr(json, "\"country\": \"BB\", \"presenter\": "
	    "\"Kim\""));
	assert_int_equal(tl_count(json, "\"title\""), 2);
	assert_null(strstr(json, "Waiting"));
	free(json);
	free(path);
	path = xasprintf("%s/repo/ss/experiences.md", ws->dir);
	json = tl_slurp(path, NULL);
	assert_non_null(strstr(json, "| BB | Kim | Cash \\| transfers |"));
	free(json);
	free(path);
	store_plan_meeting_clear(&r);
}

static void
test_report(void **state)
{
	struct tl_ws *ws = *state;
	const struct group *g = config_group(ws->cfg, "ss");
	struct store_presentation *p;
	struct buf b = BUF_INIT(BUF_OWN);
	struct store_plan_meeting r;
	struct sent s;
	char *err = NULL;
	size_t n;

	assert_int_equal(store_meeting_get(ws->st, MARCH, &r, &err), 1);
	act(ws, &r, "kim@gov.example.bb", PRESENT_OFFER, "Cash",
	    "2021-03-05 12:00", &s);
	tl_step(ws, "presentations", present_group, "2021-03-17 20:00");
	assert_int_equal(store_group_presentations(ws->st, "ss", 0,
	    (long long)1 << 40, &p, &n, &err), 0);
	present_report_md_group(&b, g, p, n);
	assert_non_null(strstr(buf_str(&b), "Experiences presented: 1."));
	assert_non_null(strstr(buf_str(&b), "| BB | 1 |"));
	assert_non_null(strstr(buf_str(&b), "not presented yet: AR, BR, UY."));
	buf_reset(&b);
	present_json_meeting(&b, p, n, MARCH);
	assert_string_equal(buf_str(&b), ",\n     \"presentations\": ["
	    "{\"email\": \"kim@gov.example.bb\", \"country\": \"BB\", "
	    "\"title\": \"Cash\", \"status\": \"accepted\"}]");
	assert_int_equal(present_count(p, n, MARCH), 1);
	store_presentations_free(p, n);
	buf_release(&b);
	store_plan_meeting_clear(&r);
}

/* The line is bounded: with one slot, PRESENT_WAITING_MAX wait and the
 * next offer is refused. */
static void
test_line_full(void **state)
{
	struct buf g = BUF_INIT(BUF_OWN);
	struct tl_ws *ws = *state;
	struct store_plan_meeting r;
	struct sent s;
	char who[64], *err = NULL;
	int i;

	(void)state;
	buf_adds(&g, "[group]\nid = ss\nname = Sur-Sur\nkind = discussion\n"
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n[member luis@cepal.example.org]\nname = Luis\n"
	    "role = secretariat\ncoordinator = yes\n");
	for (i = 0; i < PRESENT_WAITING_MAX + 1; i++)
		buf_addf(&g, "[member m%d@gov.example.org]\nname = M%d\n"
		    "role = ministry\n", i, i);
	buf_adds(&g, "[series monthly]\nsummary = Mensual\n"
	    "start = 2021-02-17 15:00\nduration = 90\n"
	    "rrule = FREQ=MONTHLY;BYDAY=3WE\ninvitation = occurrence\n"
	    "presentations = 1\n");
	tl_ws_group(ws, "10-ss.ini", buf_str(&g));
	buf_release(&g);
	assert_int_equal(store_meeting_get(ws->st, MARCH, &r, &err), 1);
	for (i = 0; i < PRESENT_WAITING_MAX + 1; i++) {
		snprintf(who, sizeof who, "m%d@gov.example.org", i);
		assert_int_equal(act(ws, &r, who, PRESENT_OFFER, "t",
		    "2021-03-05 12:00", &s), PRESENT_APPLIED);
	}
	assert_int_equal(act(ws, &r, "ana@mides.example.uy", PRESENT_OFFER,
	    "t", "2021-03-05 12:00", &s), PRESENT_REFUSED);
	assert_int_equal(s.n, 0);
	/* One withdraws: there is room again. */
	assert_int_equal(act(ws, &r, "m0@gov.example.org", PRESENT_WITHDRAW,
	    NULL, "2021-03-05 12:00", &s), PRESENT_APPLIED);
	assert_int_equal(act(ws, &r, "ana@mides.example.uy", PRESENT_OFFER,
	    "t", "2021-03-05 12:00", &s), PRESENT_APPLIED);
	store_plan_meeting_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_languages),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_rank),
		cmocka_unit_test_setup_teardown(test_offers, setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_draft_and_cycle, setup,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_line_full, setup,
		    tl_teardown),
	};

	return cmocka_run_group_tests_name("present", tests, NULL, NULL);
}

/* Unit tests for report.c: `status` (the JSON contract of DESIGN.md and
 * the table), the annual report in md, csv and json, and the calendar
 * feed, for two groups whose state is put in the store directly:
 *
 *   ss     discussion, America/Montevideo (UTC-3 all year), Ana and Luis
 *          coordinators, Kim a member whose address bounces; a monthly
 *          series on third Wednesdays, five of them from 17 February with
 *          21 April excluded.  February: held, agenda confirmed, minutes
 *          archived, Ana accepted, Kim declined, Luis tentative.  March:
 *          held, nobody answered.  April: cancelled.  May: planned.  June:
 *          beyond the planning horizon, known from the series only.
 *   vacio  thematic (social protection), one coordinator, no series: not
 *          judged, the coordination rule broken.
 *
 * Seen on 18 March 2021 at noon UTC, with a quota of six: ss held 2, has
 * 2 to come, is short by 2.  Every figure is asserted, not only the keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ical.h"
#include "plan.h"
#include "report.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

#define NOW      "2021-03-18 12:00"
#define UID(day) "ss-monthly-2021" day "@example.org"

static const char ss[] =
	"[group]\nid = ss\nname = Sur-Sur\nkind = discussion\n"
	"timezone = America/Montevideo\n"
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\n"
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\n"
	"[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n"
	"[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE;COUNT=5\n"
	"exdate = 2021-04-21\nlocation = https://meet.example.org/ss\n";

static const char vacio[] =
	"[group]\nid = vacio\nname = Vacío\nkind = thematic\n"
	"axis = protection\ntimezone = America/Santiago\n"
	"[member eva@minsal.example.cl]\nname = Eva\nrole = ministry\n"
	"coordinator = yes\n";

/* The store as the header says, the planner's and the inbox's work done
 * through the store's own writers. */
static void
fill(struct tl_ws *ws)
{
	static const struct {
		const char *key, *start;
		int         cancelled;
	} meetings[] = {
		{ "20210217", "2021-02-17 18:00", 0 },
		{ "20210317", "2021-03-17 18:00", 0 },
		{ "20210421", "2021-04-21 18:00", 1 },
		{ "20210519", "2021-05-19 18:00", 0 },
	};
	static const char *const people[] = { "ana@mides.example.uy",
	    "kim@gov.example.bb", "luis@cepal.example.org" };
	static const char *const feb[] = { "ACCEPTED", "DECLINED", "TENTATIVE" };
	struct store_document doc = {
		"ss", UID("0217"), "minutes", "ss/2021/2021-02-17-minutes/acta.pdf",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"ana@mides.example.uy", "min1@mides.example.uy", 0
	};
	char *err = NULL;
	size_t i, k;

	/* The groups and members, long before any meeting is due. */
	assert_int_equal(tl_step(ws, "plan", plan_group, "2020-06-01 00:00"),
	    0);
	for (i = 0; i < sizeof meetings / sizeof meetings[0]; i++)
		free(tl_meeting(ws, "ss", "monthly", meetings[i].key,
		    tl_utc(meetings[i].start), meetings[i].cancelled));
	for (k = 0; k < 3; k++) {
		assert_int_equal(store_invitation_set(ws->st, UID("0217"),
		    people[k], 0, &err), 0);
		assert_int_equal(store_invitation_set(ws->st, UID("0317"),
		    people[k], 0, &err), 0);
		assert_int_equal(store_invitation_reply(ws->st, UID("0217"),
		    people[k], feb[k], tl_utc("2021-02-10 12:00"),
		    tl_utc("2021-02-10 12:05"), &err), 1);
	}
	assert_int_equal(store_meeting_confirm_agenda(ws->st, UID("0217"),
	    "1. Apertura\n2. Chile", &err), 0);
	assert_int_equal(store_meeting_set_minutes(ws->st, UID("0217"),
	    "ss/2021/2021-02-17-minutes", &err), 0);
	doc.received = tl_utc("2021-02-18 12:00");
	assert_int_equal(store_document_add(ws->st, &doc, &err), 0);
	doc.meeting_uid = NULL;
	doc.kind = "document";
	doc.path = "ss/2021/2021-03-05-document/informe.pdf";
	doc.sender = "luis@cepal.example.org";
	doc.message_id = "doc1@cepal.example.org";
	doc.received = tl_utc("2021-03-05 15:00");
	assert_int_equal(store_document_add(ws->st, &doc, &err), 0);
	assert_int_equal(store_bounce_record(ws->st, "kim@gov.example.bb",
	    "5.1.1", 1, tl_utc("2021-03-10 09:00"), &err), 0);
	/* IMAP signed in; SMTP did once, then was refused. */
	assert_int_equal(store_account_set(ws->st, &(struct store_account_in){
	    "imap", "password", 1, tl_utc("2021-03-18 11:00"), NULL, -1 },
	    &err), 0);
	assert_int_equal(store_account_set(ws->st, &(struct store_account_in){
	    "smtp", "password", 1, tl_utc("2021-03-17 10:00"), NULL, -1 },
	    &err), 0);
	assert_int_equal(store_account_set(ws->st, &(struct store_account_in){
	    "smtp", "password", 0, tl_utc("2021-03-18 11:30"), "AUTH refused: "
	    "535 bad credentials", -1 }, &err), 0);
}

/* One fixture for every case: they only read it, but for the last,
 * calendar_feed. */
static int
setup(void **state)
{
	struct tl_ws *ws;

	tl_setup_ws(state, "[policy]\nannual_quota = 6\n");
	ws = *state;
	tl_ws_group(ws, "20-vacio.ini", vacio);
	tl_ws_group(ws, "10-ss.ini", ss);
	fill(ws);
	return 0;
}

/* What one of report.c's writers printed, whole. */
enum what { STATUS_JSON, STATUS_TABLE, REPORT };

static char *
output(struct tl_ws *ws, enum what what, const char *arg)
{
	char *text = NULL, *err = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int rc;

	assert_non_null(fp);
	if (what == REPORT)
		rc = report_annual(fp, ws->cfg, ws->st, tl_utc(NOW), 2021, arg,
		    &err);
	else
		rc = report_status(fp, ws->cfg, ws->st, tl_utc(NOW), arg,
		    what == STATUS_JSON, &err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(fclose(fp), 0);
	return text;
}

/* JSON without the white space between tokens, to compare values and
 * structure, not layout. */
static char *
compact(const char *json)
{
	struct buf b = BUF_INIT(BUF_OWN);
	int in_string = 0;

	for (; *json != '\0'; json++) {
		if (in_string && *json == '\\' && json[1] != '\0') {
			buf_add(&b, json++, 2);
			continue;
		}
		if (*json == '"')
			in_string = !in_string;
		if (in_string || strchr(" \t\r\n", *json) == NULL)
			buf_addc(&b, *json);
	}
	return buf_detach(&b);
}

#define assert_json(got, want) do { \
	char *c_ = compact(got); \
	assert_string_equal(c_, (want)); \
	free(c_); \
} while (0)

/* 1 when line is a whole line of text. */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

#define assert_has_line(text, line) do { \
	if (!has_line((text), (line))) \
		print_message("no line \"%s\" in:\n%s\n", (line), (text)); \
	assert_true(has_line((text), (line))); \
} while (0)

/* status --json's accounts: the last success stays through a failure. */
#define ACCOUNTS "\"accounts\":[{\"name\":\"imap\",\"auth\":\"password\"," \
	"\"ok\":true,\"last_success\":\"2021-03-18T11:00:00Z\",\"error\":null}," \
	"{\"name\":\"smtp\",\"auth\":\"password\",\"ok\":false," \
	"\"last_success\":\"2021-03-17T10:00:00Z\"," \
	"\"error\":\"AUTH refused: 535 bad credentials\"}]"

/* status --json's refusals (trust.h): every reason, counted. */
/* A group's list in status --json, as a fresh state has it (list.h). */
#define LIST_OF(id) "\"list\":{\"address\":\"agenda+" id "@example.org\"," \
	"\"posting\":\"moderated-unproven\",\"posts\":0,\"held\":0," \
	"\"paused\":0}"

#define REFUSED(no_token, spoofed) "\"refused\":{\"no-proof\":0," \
	"\"no-token\":" no_token ",\"not-authenticated\":0,\"spoofed\":" \
	spoofed ",\"not-coordinator\":0,\"confirm-unproven\":0," \
	"\"hold-limit\":0,\"loop\":0,\"expired\":0,\"future-dtstamp\":0," \
	"\"foreign-bounce\":0,\"file-type\":0,\"rate-limited\":0," \
	"\"not-member\":0,\"bad-offer\":0}"

/* No registrant: the meetings of a group without open seminars. */
#define NO_REG ",\"registered\":{\"count\":0,\"waiting\":0}"
#define NO_RSVP "\"rsvp\":{\"accepted\":0,\"declined\":0,\"tentative\":0," \
	"\"needs_action\":0}"

/* DESIGN.md's contract: shape and every value. */
static void
status_json(void **state)
{
	static const char want[] = "{\"now\":\"2021-03-18T12:00:00Z\","
	    "\"groups\":[{\"id\":\"ss\",\"year\":2021,\"quota\":6,\"held\":2,"
	    "\"scheduled\":2,\"short_by\":2,\"coordination_ok\":true,"
	    "\"bouncing\":[\"kim@gov.example.bb\"],\"meetings\":["
	    "{\"uid\":\"" UID("0217") "\",\"start\":\"2021-02-17T18:00:00Z\","
	    "\"status\":\"held\",\"agenda\":\"confirmed\","
	    "\"minutes\":\"ss/2021/2021-02-17-minutes\","
	    "\"rsvp\":{\"accepted\":1,\"declined\":1,\"tentative\":1,"
	    "\"needs_action\":0},\"attendees\":["
	    "{\"email\":\"ana@mides.example.uy\",\"partstat\":\"ACCEPTED\"},"
	    "{\"email\":\"kim@gov.example.bb\",\"partstat\":\"DECLINED\"},"
	    "{\"email\":\"luis@cepal.example.org\",\"partstat\":\"TENTATIVE\"}],"
	    "\"presentations\":[]" NO_REG "},"
	    "{\"uid\":\"" UID("0317") "\",\"start\":\"2021-03-17T18:00:00Z\","
	    "\"status\":\"held\",\"agenda\":\"pending\",\"minutes\":null,"
	    "\"rsvp\":{\"accepted\":0,\"declined\":0,\"tentative\":0,"
	    "\"needs_action\":3},\"attendees\":["
	    "{\"email\":\"ana@mides.example.uy\",\"partstat\":\"NEEDS-ACTION\"},"
	    "{\"email\":\"kim@gov.example.bb\",\"partstat\":\"NEEDS-ACTION\"},"
	    "{\"email\":\"luis@cepal.example.org\",\"partstat\":\"NEEDS-ACTION\"}"
	    "],\"presentations\":[]" NO_REG "},"
	    "{\"uid\":\"" UID("0421") "\",\"start\":\"2021-04-21T18:00:00Z\","
	    "\"status\":\"cancelled\",\"agenda\":\"pending\",\"minutes\":null,"
	    NO_RSVP ",\"attendees\":[],\"presentations\":[]" NO_REG "},"
	    "{\"uid\":\"" UID("0519") "\",\"start\":\"2021-05-19T18:00:00Z\","
	    "\"status\":\"scheduled\",\"agenda\":\"pending\",\"minutes\":null,"
	    NO_RSVP ",\"attendees\":[],\"presentations\":[]" NO_REG "},"
	    "{\"uid\":\"" UID("0616") "\",\"start\":\"2021-06-16T18:00:00Z\","
	    "\"status\":\"scheduled\",\"agenda\":\"pending\",\"minutes\":null,"
	    NO_RSVP ",\"attendees\":[],\"presentations\":[]" NO_REG "}],"
	    "\"milestones\":[],"
	    /* the group's list (issue 20) */
	    LIST_OF("ss") ",\"polls\":[]},"
	    "{\"id\":\"vacio\",\"year\":2021,\"quota\":6,\"held\":0,"
	    "\"scheduled\":0,\"short_by\":0,\"coordination_ok\":false,"
	    "\"bouncing\":[],\"meetings\":[],\"milestones\":[],"
	    LIST_OF("vacio") ",\"polls\":[]}]," ACCOUNTS ","
	    REFUSED("2", "1") "}";
	struct tl_ws *ws = *state;
	char *text, *err = NULL;

	assert_int_equal(store_refusal_add(ws->st, "no-token", 1, &err), 0);
	assert_int_equal(store_refusal_add(ws->st, "spoofed", 2, &err), 0);
	assert_int_equal(store_refusal_add(ws->st, "no-token", 3, &err), 0);
	text = output(*state, STATUS_JSON, NULL);
	assert_json(text, want);
	free(text);
	/* One group asked for: that group only. */
	text = output(*state, STATUS_JSON, "vacio");
	assert_json(text, "{\"now\":\"2021-03-18T12:00:00Z\",\"groups\":["
	    "{\"id\":\"vacio\",\"year\":2021,\"quota\":6,\"held\":0,"
	    "\"scheduled\":0,\"short_by\":0,\"coordination_ok\":false,"
	    "\"bouncing\":[],\"meetings\":[],\"milestones\":[],"
	    LIST_OF("vacio") ",\"polls\":[]}]," ACCOUNTS ","
	    REFUSED("2", "1") "}");
	free(text);
}

/* The terminal table: figures, the rule and the bounces, the refusals
 * (those status_json counted); with a group named, its meetings too. */
static void
status_table(void **state)
{
	char *text = output(*state, STATUS_TABLE, NULL), *one;

	assert_string_equal(text,
	    "GROUP YEAR QUOTA HELD SCHED SHORT COORD BOUNCING\n"
	    "ss    2021     6    2     2     2 ok    1\n"
	    "vacio 2021     6    0     0     0 BROKEN 0\n"
	    "ss: bouncing: kim@gov.example.bb\n"
	    "vacio: coordination rule broken: fewer than two coordinators\n"
	    "\n"
	    "ACCOUNT AUTH        OK  LAST SUCCESS         TOKEN EXPIRES        "
	    "ERROR\n"
	    "imap    password    yes 2021-03-18T11:00:00Z -                    "
	    "-\n"
	    "smtp    password    no  2021-03-17T10:00:00Z -                    "
	    "AUTH refused: 535 bad credentials\n"
	    "\n"
	    "REFUSED (reason, messages)\n"
	    "no-token           2\n"
	    "spoofed            1\n");
	one = output(*state, STATUS_TABLE, "ss");
	assert_has_line(one, "meetings of ss in 2021:");
	assert_has_line(one, "  2021-02-17T18:00:00Z  held       agenda "
	    "confirmed  yes 1  no 1  maybe 1  waiting 0  minutes "
	    "ss/2021/2021-02-17-minutes");
	assert_has_line(one, "  2021-04-21T18:00:00Z  cancelled  agenda "
	    "pending    yes 0  no 0  maybe 0  waiting 0  minutes -");
	assert_has_line(one, "  2021-06-16T18:00:00Z  scheduled  not announced "
	    "yet");
	assert_null(strstr(one, "vacio"));
	free(one);
	free(text);
}

static void
report_json(void **state)
{
	static const char want[] = "{\"year\":2021,"
	    "\"now\":\"2021-03-18T12:00:00Z\",\"groups\":["
	    /* thematic groups come first */
	    "{\"id\":\"vacio\",\"name\":\"Vacío\",\"kind\":\"thematic\","
	    "\"axis\":\"protection\",\"parent\":null,"
	    "\"timezone\":\"America/Santiago\",\"quota\":6,\"judged\":false,"
	    "\"first_year\":null,\"held\":0,\"scheduled\":0,\"short_by\":0,"
	    "\"coordination_ok\":false,"
	    "\"coordination_problem\":\"fewer than two coordinators\","
	    "\"bouncing\":[],\"list_posts\":{},\"meetings\":[],\"documents\":[],"
	    "\"milestones\":[]},"
	    "{\"id\":\"ss\",\"name\":\"Sur-Sur\",\"kind\":\"discussion\","
	    "\"axis\":null,\"parent\":null,\"timezone\":\"America/Montevideo\","
	    "\"quota\":6,\"judged\":true,\"first_year\":2021,\"held\":2,"
	    "\"scheduled\":2,\"short_by\":2,\"coordination_ok\":true,"
	    "\"coordination_problem\":null,"
	    "\"bouncing\":[\"kim@gov.example.bb\"],\"list_posts\":{},\"meetings\":["
	    "{\"uid\":\"" UID("0217") "\",\"start\":\"2021-02-17T18:00:00Z\","
	    "\"local_start\":\"2021-02-17 15:00\",\"kind\":\"meeting\","
	    "\"summary\":\"Mensual\",\"status\":\"held\",\"announced\":true,"
	    "\"agenda\":\"confirmed\","
	    "\"minutes\":\"ss/2021/2021-02-17-minutes\","
	    "\"rsvp\":{\"accepted\":1,\"declined\":1,\"tentative\":1,"
	    "\"needs_action\":0},\"attendance_rate\":0.3333" NO_REG "},"
	    "{\"uid\":\"" UID("0317") "\",\"start\":\"2021-03-17T18:00:00Z\","
	    "\"local_start\":\"2021-03-17 15:00\",\"kind\":\"meeting\","
	    "\"summary\":\"Mensual\",\"status\":\"held\",\"announced\":true,"
	    "\"agenda\":\"pending\",\"minutes\":null,"
	    "\"rsvp\":{\"accepted\":0,\"declined\":0,\"tentative\":0,"
	    "\"needs_action\":3},\"attendance_rate\":0.0000" NO_REG "},"
	    "{\"uid\":\"" UID("0421") "\",\"start\":\"2021-04-21T18:00:00Z\","
	    "\"local_start\":\"2021-04-21 15:00\",\"kind\":\"meeting\","
	    "\"summary\":\"Mensual\",\"status\":\"cancelled\",\"announced\":true,"
	    "\"agenda\":\"pending\",\"minutes\":null," NO_RSVP ","
	    "\"attendance_rate\":null" NO_REG "},"
	    "{\"uid\":\"" UID("0519") "\",\"start\":\"2021-05-19T18:00:00Z\","
	    "\"local_start\":\"2021-05-19 15:00\",\"kind\":\"meeting\","
	    "\"summary\":\"Mensual\",\"status\":\"scheduled\",\"announced\":true,"
	    "\"agenda\":\"pending\",\"minutes\":null," NO_RSVP ","
	    "\"attendance_rate\":null" NO_REG "},"
	    "{\"uid\":\"" UID("0616") "\",\"start\":\"2021-06-16T18:00:00Z\","
	    "\"local_start\":\"2021-06-16 15:00\",\"kind\":\"meeting\","
	    "\"summary\":\"Mensual\",\"status\":\"scheduled\","
	    "\"announced\":false,\"agenda\":\"pending\",\"minutes\":null,"
	    NO_RSVP ",\"attendance_rate\":null" NO_REG "}],"
	    "\"documents\":[{\"kind\":\"minutes\","
	    "\"path\":\"ss/2021/2021-02-17-minutes/acta.pdf\","
	    "\"meeting_uid\":\"" UID("0217") "\","
	    "\"sender\":\"ana@mides.example.uy\","
	    "\"received\":\"2021-02-18T12:00:00Z\"},"
	    "{\"kind\":\"document\","
	    "\"path\":\"ss/2021/2021-03-05-document/informe.pdf\","
	    "\"meeting_uid\":null,\"sender\":\"luis@cepal.example.org\","
	    "\"received\":\"2021-03-05T15:00:00Z\"}],\"milestones\":[]}]}";
	char *text = output(*state, REPORT, "json");

	assert_json(text, want);
	free(text);
}

/* RFC 4180 to the byte: CRLF, one row a meeting, a group without any
 * gets one row with the meeting columns empty. */
static void
report_csv(void **state)
{
	static const char want[] =
	    "year,axis,group_kind,group_id,group_name,parent,quota,held,"
	    "scheduled,short_by,judged,coordination_ok,meeting_uid,date,"
	    "start_utc,meeting_kind,summary,status,agenda,accepted,declined,"
	    "tentative,no_answer,attendance_rate,minutes\r\n"
	    "2021,protection,thematic,vacio,Vacío,,6,0,0,0,no,no,,,,,,,,,,,,,"
	    "\r\n"
	    "2021,,discussion,ss,Sur-Sur,,6,2,2,2,yes,yes," UID("0217") ","
	    "2021-02-17 15:00,2021-02-17T18:00:00Z,meeting,Mensual,held,"
	    "confirmed,1,1,1,0,0.33,ss/2021/2021-02-17-minutes\r\n"
	    "2021,,discussion,ss,Sur-Sur,,6,2,2,2,yes,yes," UID("0317") ","
	    "2021-03-17 15:00,2021-03-17T18:00:00Z,meeting,Mensual,held,"
	    "pending,0,0,0,3,0.00,\r\n"
	    "2021,,discussion,ss,Sur-Sur,,6,2,2,2,yes,yes," UID("0421") ","
	    "2021-04-21 15:00,2021-04-21T18:00:00Z,meeting,Mensual,cancelled,"
	    "pending,0,0,0,0,,\r\n"
	    "2021,,discussion,ss,Sur-Sur,,6,2,2,2,yes,yes," UID("0519") ","
	    "2021-05-19 15:00,2021-05-19T18:00:00Z,meeting,Mensual,scheduled,"
	    "pending,0,0,0,0,,\r\n"
	    "2021,,discussion,ss,Sur-Sur,,6,2,2,2,yes,yes," UID("0616") ","
	    "2021-06-16 15:00,2021-06-16T18:00:00Z,meeting,Mensual,scheduled,"
	    "pending,0,0,0,0,,\r\n";
	char *text = output(*state, REPORT, "csv");

	assert_string_equal(text, want);
	free(text);
}

static void
report_md(void **state)
{
	static const char *const lines[] = {
		"# Working groups: annual report 2021",
		"In 2021, 2 working groups held 2 meetings, with 2 more "
		"scheduled. 1 group is short of quota and 1 breaks the "
		"coordination rule.",
		"| Vacío | 6 | 0 | 0 | 0 (not judged) | not kept |",
		"| Sur-Sur | 6 | 2 | 2 | 2 | kept |",
		"## Thematic groups: universal and comprehensive social "
		"protection systems",
		"- Annual quota: 6 meetings; 2021 is not judged: the group has "
		"no meetings scheduled.",
		"- Coordination rule: **not kept**: fewer than two coordinators.",
		"No meetings in 2021.",
		"## Discussion groups",
		"### Sur-Sur (`ss`)",
		"- Held: 2. Still scheduled: 2. Short of quota by: 2 (below "
		"quota).",
		"- Addresses that bounce: kim@gov.example.bb.",
		"| 2021-02-17 15:00 | meeting | held | confirmed | 1 | 1 | 1 | 0 "
		"| 33% | archived |",
		"| 2021-03-17 15:00 | meeting | held | not confirmed | 0 | 0 | 0 "
		"| 3 | 0% | missing |",
		"| 2021-04-21 15:00 | meeting | cancelled | not confirmed | 0 | 0 "
		"| 0 | 0 | — | — |",
		"| 2021-05-19 15:00 | meeting | scheduled | not confirmed | 0 | 0 "
		"| 0 | 0 | — | not yet |",
		"| 2021-06-16 15:00 | meeting | scheduled (not announced yet) | "
		"not confirmed | 0 | 0 | 0 | 0 | — | not yet |",
		"- 2021-02-18, minutes: `ss/2021/2021-02-17-minutes/acta.pdf`",
		"- 2021-03-05, document: `ss/2021/2021-03-05-document/informe.pdf`",
	};
	char *text = output(*state, REPORT, "md"), *err = NULL;
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		assert_has_line(text, lines[i]);
	/* thematic before discussion, as lines[] has them */
	assert_true(strstr(text, "## Thematic") < strstr(text, "## Discussion"));
	free(text);
	assert_int_equal(report_annual(stdout, ((struct tl_ws *)*state)->cfg,
	    ((struct tl_ws *)*state)->st, tl_utc(NOW), 2021, "xml", &err), -1);
	assert_string_equal(err, "unknown report format 'xml': md, csv, json or html");
	free(err);
}

/* Every meeting the store holds for ss in 2021 is in the report once,
 * with the store's answers. */
static void
report_agrees_with_store(void **state)
{
	struct tl_ws *ws = *state;
	struct store_meeting *m = NULL;
	char *text = output(ws, REPORT, "csv"), *row, *err = NULL;
	size_t n = 0, i;

	assert_int_equal(store_group_meetings(ws->st, "ss",
	    ical_year_start(2021, "America/Montevideo"),
	    ical_year_start(2022, "America/Montevideo"), &m, &n, &err), 0);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		row = xasprintf(",%s,%s,%d,%d,%d,%d,", m[i].cancelled ?
		    "cancelled" : m[i].end <= tl_utc(NOW) ? "held" : "scheduled",
		    m[i].agenda_confirmed ? "confirmed" : "pending",
		    m[i].accepted, m[i].declined, m[i].tentative,
		    m[i].needs_action);
		assert_non_null(strstr(strstr(text, m[i].uid), row));
		free(row);
	}
	store_meetings_free(m, n);
	free(text);
}

/* The feed: the stored meetings only (June is not planned yet), the
 * cancelled one marked, the confirmed agenda, no attendee. */
static void
calendar_feed(void **state)
{
	struct tl_ws *ws = *state;
	char *text, *path, *err = NULL;
	int written = 0;

	text = report_calendar(ws->cfg, ws->st, config_group(ws->cfg, "ss"),
	    tl_utc(NOW), &err);
	assert_non_null(text);
	assert_non_null(strstr(text, "METHOD:PUBLISH\r\n"));
	assert_int_equal(tl_count(text, "BEGIN:VEVENT"), 4);
	assert_int_equal(tl_count(text, "DTSTAMP:20210318T120000Z\r\n"), 4);
	assert_int_equal(tl_count(text, "STATUS:CANCELLED"), 1);
	assert_int_equal(tl_count(text, "ATTENDEE"), 0);
	assert_non_null(strstr(text, "UID:" UID("0421") "\r\n"));
	assert_null(strstr(text, UID("0616")));
	assert_non_null(strstr(text,
	    "DTSTART;TZID=America/Montevideo:20210217T150000\r\n"));
	assert_non_null(strstr(text, "DESCRIPTION:1. Apertura\\n2. Chile\r\n"));
	assert_int_equal(tl_count(text, "DESCRIPTION"), 1);
	free(text);

	/* Written to the repository once; not again while only the time
	 * changes; again when a meeting does. */
	if (report_calendar_write(ws->cfg, ws->st, tl_utc(NOW), &written,
	    &err) != 0)
		fail_msg("%s", err);
	assert_int_equal(written, 2);
	written = 0;
	assert_int_equal(report_calendar_write(ws->cfg, ws->st,
	    tl_utc("2021-03-19 12:00"), &written, &err), 0);
	assert_int_equal(written, 0);
	free(tl_meeting(ws, "ss", "monthly", "20210519",
	    tl_utc("2021-05-19 18:00"), 1));
	assert_int_equal(report_calendar_write(ws->cfg, ws->st,
	    tl_utc("2021-03-20 12:00"), &written, &err), 0);
	assert_int_equal(written, 1);
	path = xasprintf("%s/repo/ss/calendar.ics", ws->dir);
	text = tl_slurp(path, NULL);
	assert_non_null(text);
	assert_int_equal(tl_count(text, "STATUS:CANCELLED"), 2);
	assert_int_equal(tl_count(text, "DTSTAMP:20210320T120000Z"), 4);
	free(text);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_json),
		cmocka_unit_test(status_table),
		cmocka_unit_test(report_json),
		cmocka_unit_test(report_csv),
		cmocka_unit_test(report_md),
		cmocka_unit_test(report_agrees_with_store),
		cmocka_unit_test(calendar_feed),
	};
	int rc = cmocka_run_group_tests_name("report", tests, setup,
	    tl_teardown);

	ical_shutdown();
	return rc;
}

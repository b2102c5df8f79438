/* Unit tests for ical.c: series expansion across DST changes and month
 * ends, EXDATE, window bounds, and the iCalendar text of invitations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ical.h"
#include "testlib.h"
#include "util.h"

/* UTC seconds of a UTC wall-clock time, to write expectations plainly. */
static long long
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (long long)timegm(&tm);
}

/* One series expanded over a window, and what must come out: n
 * occurrences, each as long as the series' meetings, some of them looked
 * at closely, some keys (local dates) absent.  Times are UTC. */
struct expansion {
	const char  *group;         /* the cmocka case it belongs to */
	const char  *start, *tz;
	int          minutes;
	const char  *rrule, *ex[3]; /* EXDATEs: NULL-terminated */
	const char  *from, *to;
	size_t       n;
	struct {
		size_t      i;
		const char *start, *key;    /* NULL: not looked at */
	} at[3];
	int          late;          /* seconds at[].start may be late by */
	const char  *absent[2];
};

static const struct expansion expansions[] = {
	/* Santiago leaves DST on the first Sunday of April 2021 (UTC-3 ->
	 * UTC-4) and returns on the first Sunday of September (UTC-4 ->
	 * UTC-3): the local hour stays, the UTC instant moves. */
	{ "santiago_dst", "2021-03-27 10:00", "America/Santiago", 60,
	  "FREQ=WEEKLY;BYDAY=SA", { NULL }, "2021-01-01 00:00",
	  "2021-04-11 00:00", 3, { { 0, "2021-03-27 13:00", NULL },
	  { 1, "2021-04-03 13:00", NULL }, { 2, "2021-04-10 14:00",
	  "20210410" } }, 0, { NULL } },
	{ "santiago_dst", "2021-08-28 10:00", "America/Santiago", 90,
	  "FREQ=WEEKLY;BYDAY=SA", { NULL }, "2021-08-01 00:00",
	  "2021-09-12 00:00", 3, { { 0, "2021-08-28 14:00", NULL },
	  { 1, "2021-09-04 14:00", NULL }, { 2, "2021-09-11 13:00", NULL } },
	  0, { NULL } },
	/* Asunción: DST ended 28 March 2021 (-03 -> -04) and began 3
	 * October 2021. */
	{ "asuncion_dst", "2021-03-15 09:00", "America/Asuncion", 60,
	  "FREQ=DAILY;INTERVAL=7", { NULL }, "2021-03-01 00:00",
	  "2021-04-01 00:00", 3, { { 0, "2021-03-15 12:00", NULL },
	  { 1, "2021-03-22 12:00", NULL }, { 2, "2021-03-29 13:00", NULL } },
	  0, { NULL } },
	{ "asuncion_dst", "2021-09-27 09:00", "America/Asuncion", 60,
	  "FREQ=WEEKLY;BYDAY=MO", { NULL }, "2021-09-01 00:00",
	  "2021-10-10 00:00", 2, { { 0, "2021-09-27 13:00", NULL },
	  { 1, "2021-10-04 12:00", NULL } }, 0, { NULL } },
	/* A time that does not exist moves forward by the gap (RFC 5545
	 * 3.3.5: read with the offset before the gap): Santiago skips from
	 * 24:00 to 01:00 on 5 September, so 00:30 is 01:30 (UTC-3), not
	 * 23:30 the day before. */
	{ "dst_gap", "2021-09-05 00:30", "America/Santiago", 30, NULL,
	  { NULL }, "2021-09-01 00:00", "2021-09-10 00:00", 1,
	  { { 0, "2021-09-05 04:30", "20210905" } }, 0, { NULL } },
	{ "dst_gap", "2027-08-29 00:30", "America/Santiago", 60,
	  "FREQ=WEEKLY", { NULL }, "2027-08-25 00:00", "2027-09-15 00:00", 3,
	  { { 0, "2027-08-29 04:30", NULL }, { 1, "2027-09-05 04:30",
	  "20270905" }, { 2, "2027-09-12 03:30", NULL } }, 0, { NULL } },
	/* New York: 02:30 on 14 March 2027 is 03:30 EDT. */
	{ "dst_gap", "2027-03-14 02:30", "America/New_York", 60, NULL,
	  { NULL }, "2027-03-01 00:00", "2027-04-01 00:00", 1,
	  { { 0, "2027-03-14 07:30", NULL } }, 0, { NULL } },
	/* A time that comes twice is its first occurrence (RFC 5545 3.3.5):
	 * Santiago's 23:30 on 3 April 2027 is still UTC-3; New York's 01:30
	 * on 7 November 2027 is EDT. */
	{ "dst_fold", "2027-03-27 23:30", "America/Santiago", 60,
	  "FREQ=WEEKLY", { NULL }, "2027-03-20 00:00", "2027-04-15 00:00", 3,
	  { { 0, "2027-03-28 02:30", NULL }, { 1, "2027-04-04 02:30",
	  "20270403" }, { 2, "2027-04-11 03:30", NULL } }, 0, { NULL } },
	{ "dst_fold", "2027-11-07 01:30", "America/New_York", 60, NULL,
	  { NULL }, "2027-11-01 00:00", "2027-11-10 00:00", 1,
	  { { 0, "2027-11-07 05:30", NULL } }, 0, { NULL } },
	/* BYMONTHDAY=31 skips short months: Jan Mar May Jul Aug Oct Dec. */
	{ "month_ends", "2021-01-31 12:00", "America/Montevideo", 60,
	  "FREQ=MONTHLY;BYMONTHDAY=31", { NULL }, "2021-01-01 00:00",
	  "2022-01-01 00:00", 7, { { 1, NULL, "20210331" },
	  { 6, NULL, "20211231" } }, 0, { NULL } },
	/* -1 is each month's last day; 2024 is a leap year. */
	{ "month_ends", "2021-01-31 12:00", "America/Montevideo", 60,
	  "FREQ=MONTHLY;BYMONTHDAY=-1", { NULL }, "2021-01-01 00:00",
	  "2021-04-01 00:00", 3, { { 1, NULL, "20210228" } }, 0, { NULL } },
	{ "month_ends", "2024-01-31 12:00", "America/Montevideo", 60,
	  "FREQ=MONTHLY;BYMONTHDAY=-1", { NULL }, "2024-02-01 00:00",
	  "2024-03-01 00:00", 1, { { 0, NULL, "20240229" } }, 0, { NULL } },
	/* 11 third Wednesdays from February; July and September go, the
	 * October exclusion names another hour and so excludes nothing. */
	{ "exdate", "2021-02-17 15:00", "America/Montevideo", 90,
	  "FREQ=MONTHLY;BYDAY=3WE", { "2021-07-21", "2021-09-15 15:00",
	  "2021-10-20 09:00" }, "2021-01-01 00:00", "2022-01-01 00:00", 9,
	  { { 0, "2021-02-17 18:00", NULL } }, 0, { "20210721", "20210915" } },
	/* [from, to): a start at from is in, a start at to is out. */
	/* UNTIL as a date is through that day: the 30th is a meeting. */
	{ "until_date", "2021-11-16 10:00", "America/Asuncion", 60,
	  "FREQ=WEEKLY;BYDAY=TU;UNTIL=20211130", { NULL }, "2021-11-01 00:00",
	  "2022-01-01 00:00", 3, { { 2, "2021-11-30 13:00", "20211130" } }, 0,
	  { NULL } },
	{ "window_bounds", "2021-02-17 15:00", "America/Montevideo", 90,
	  "FREQ=MONTHLY;BYDAY=3WE", { NULL }, "2021-02-17 18:00",
	  "2021-03-17 18:00", 1, { { 0, "2021-02-17 18:00", NULL } }, 0,
	  { NULL } },
	/* A rule started years before the window is walked to it. */
	{ "window_bounds", "2021-02-17 15:00", "America/Montevideo", 90,
	  "FREQ=MONTHLY;BYDAY=3WE", { NULL }, "2026-01-01 00:00",
	  "2026-04-01 00:00", 3, { { 0, NULL, "20260121" } }, 0, { NULL } },
	/* A single meeting outside the window is no meeting. */
	{ "window_bounds", "2021-02-17 15:00", "America/Montevideo", 90, NULL,
	  { NULL }, "2021-03-01 00:00", "2021-04-01 00:00", 0, { { 0 } }, 0,
	  { NULL } },
};

static void
check_expansion(const struct expansion *e)
{
	struct ical_occurrence *o = NULL;
	char *err = NULL, **ex = (char **)e->ex;
	size_t n = 0, nex = 0, i, k;
	long long want;

	while (nex < 3 && ex[nex] != NULL)
		nex++;
	assert_int_equal(ical_expand(e->start, e->tz, e->minutes, e->rrule, ex,
	    nex, tl_utc(e->from), tl_utc(e->to), 1000, &o, &n, &err), 0);
	assert_null(err);
	if (n != e->n)
		print_message("%s %s: %zu occurrences\n", e->start, e->rrule, n);
	assert_int_equal(n, e->n);
	for (i = 0; i < n; i++) {
		assert_int_equal(o[i].end - o[i].start, e->minutes * 60);
		for (k = 0; k < 2 && e->absent[k] != NULL; k++)
			assert_string_not_equal(o[i].key, e->absent[k]);
	}
	for (k = 0; k < 3 && (e->at[k].start != NULL || e->at[k].key != NULL);
	    k++) {
		assert_true(e->at[k].i < n);
		if (e->at[k].key != NULL)
			assert_string_equal(o[e->at[k].i].key, e->at[k].key);
		if (e->at[k].start == NULL)
			continue;
		want = tl_utc(e->at[k].start);
		assert_in_range(o[e->at[k].i].start, want, want + e->late);
	}
	free(o);
}

/* The cmocka case named in *state: every expansion of its group. */
static void
test_expansions(void **state)
{
	size_t i, ran = 0;

	for (i = 0; i < sizeof expansions / sizeof expansions[0]; i++)
		if (strcmp(expansions[i].group, *state) == 0) {
			check_expansion(&expansions[i]);
			ran++;
		}
	assert_true(ran > 0);
}
#define EXPANSIONS(group) \
	{ "test_" group, test_expansions, NULL, NULL, (void *)group }

static void
test_parse_local(void **state)
{
	struct ical_local lt;

	(void)state;
	assert_int_equal(ical_parse_local("2024-02-29 10:00", 0, &lt), 0);
	assert_int_equal(ical_parse_local("2023-02-29 10:00", 0, &lt), -1);
	assert_int_equal(ical_parse_local("2021-07-21", 0, &lt), -1);
	assert_int_equal(ical_parse_local("2021-07-21", 1, &lt), 0);
	assert_true(lt.is_date);
	assert_int_equal(ical_parse_local("2021-07-21 24:00", 0, &lt), -1);
	assert_int_equal(ical_parse_local("2021-7-21 10:00", 0, &lt), -1);
	assert_int_equal(ical_parse_local("2021-07-21T10:00", 0, &lt), 0);
	assert_true(ical_tz_known("America/Port-au-Prince"));
	assert_false(ical_tz_known("America/Atlantis"));
	assert_false(ical_tz_known("../../etc/passwd"));
	assert_false(ical_tz_known(""));
}

/* Unfold RFC 5545 content lines, to look for whole properties. */
static char *
unfold(const char *s)
{
	struct buf b = BUF_INIT(BUF_OWN);

	for (; *s; s++) {
		if (s[0] == '\r' && s[1] == '\n' && (s[2] == ' ' || s[2] == '\t')) {
			s += 2;
			continue;
		}
		buf_addc(&b, *s);
	}
	return buf_detach(&b);
}

/* Every line of want is a whole line of the unfolded text u. */
static void
assert_lines(const char *u, const char *const *want)
{
	char *line;

	for (; *want != NULL; want++) {
		line = xasprintf("\n%s\r\n", *want);
		if (strstr(u, line) == NULL)
			print_message("no line %s in:\n%s\n", *want, u);
		assert_non_null(strstr(u, line));
		free(line);
	}
}

/* An event of `minutes` from start, stamped at stamp (both UTC). */
static struct ical_event
event(const char *uid, int sequence, const char *stamp, const char *start,
    int minutes, const char *tzid)
{
	struct ical_event ev;

	memset(&ev, 0, sizeof ev);
	ev.uid = uid;
	ev.sequence = sequence;
	ev.dtstamp = tl_utc(stamp);
	ev.start = tl_utc(start);
	ev.end = ev.start + minutes * 60;
	ev.tzid = tzid;
	return ev;
}

static void
test_build_request(void **state)
{
	static const char *const want[] = {
		"METHOD:REQUEST", "VERSION:2.0", "TZID:America/Santiago",
		/* 15:00 in Santiago's summer (UTC-3) */
		"DTSTART;TZID=America/Santiago:20210317T150000",
		"DTEND;TZID=America/Santiago:20210317T163000",
		"SEQUENCE:2", "STATUS:CONFIRMED", "DTSTAMP:20210301T120000Z",
		"URL:https://meet.example.org/south-south",
		"ORGANIZER;CN=Secretaría técnica:mailto:agenda@example.org",
		"DESCRIPTION:Línea uno\\nLínea dos", NULL
	};
	const struct ical_attendee att[] = {
		{ "ana@mides.example.uy", "Ana Pérez", 1, 0, NULL, NULL },
		{ "jo@ilo.example.org", NULL, 0, 1, "ACCEPTED", NULL },
		{ "q@example.org", "Say \"hi\"; now, ok", 0, 0, NULL,
		  "ana@mides.example.uy" },
	};
	struct ical_event ev = event("south-south-monthly-20210317@example.org",
	    2, "2021-03-01 12:00", "2021-03-17 18:00", 90, "America/Santiago");
	char *text, *u, *line, *save = NULL;

	(void)state;
	ev.summary = "Intercambio mensual de experiencias, con una "
	    "descripción bastante larga para forzar el plegado de líneas";
	ev.description = "Línea uno\nLínea dos";
	ev.location = "https://meet.example.org/south-south";
	ev.org_name = "Secretaría técnica";
	ev.org_email = "agenda@example.org";
	ev.att = att;
	ev.natt = 3;
	ev.categories = "meeting";
	text = ical_build("REQUEST", &ev, 1);
	u = unfold(text);
	assert_lines(u, want);
	assert_non_null(strstr(u, "PRODID:"));
	assert_int_equal(tl_count(u, "BEGIN:VTIMEZONE"), 1);
	assert_int_equal(tl_count(u, "\r\nATTENDEE;"), 3);
	assert_non_null(strstr(u, "ROLE=CHAIR"));
	assert_non_null(strstr(u, "ROLE=OPT-PARTICIPANT"));
	assert_non_null(strstr(u, "PARTSTAT=ACCEPTED"));
	/* An answer known needs no other: RSVP=FALSE for it alone. */
	assert_int_equal(tl_count(u, "RSVP=TRUE"), 2);
	assert_non_null(strstr(u, "PARTSTAT=ACCEPTED;RSVP=FALSE"));
	/* A delegate names the attendee who sent them; nobody else does. */
	assert_int_equal(tl_count(u, "DELEGATED-FROM"), 1);
	assert_non_null(strstr(u, "PARTSTAT=NEEDS-ACTION;DELEGATED-FROM="
	    "\"mailto:ana@mides.example.uy\";RSVP=TRUE:mailto:q@example.org"));
	/* A quote cannot live in a parameter value; the rest is quoted. */
	assert_null(strstr(u, "\"hi\""));
	assert_non_null(strstr(u, "CN=\"Say 'hi'; now, ok\""));

	/* Every physical line ends in CRLF and is at most 75 octets. */
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		assert_true(len >= 1 && line[len - 1] == '\r');
		assert_true(len - 1 <= 75);
	}
	free(u);
	free(text);
}

/* The readers of one meeting: each calendar is what a build from
 * scratch writes (the one before it kept or not), and anything else
 * that changes is written anew. */
static void
test_build_readers(void **state)
{
	struct ical_attendee att[] = {
		{ "ana@mides.example.uy", "Ana Pérez", 1, 0, NULL, NULL },
		{ "jo@ilo.example.org", NULL, 0, 1, NULL, NULL },
	};
	static const char *const desc[] = {
		"Estimada Ana:\nLínea uno; con comas, y punto y coma",
		"Dear Jo,\n" "a body long enough to be folded more than once, "
		"more than once, more than once, more than once, more than "
		"once\n\nRegards",
		"Cher Jo,",
	};
	static const char *const org[] = { "agenda+aaaa@example.org",
		"agenda+bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb@example.org",
		"agenda@example.org" };
	struct ical_event ev = event("wg-meeting-20210317@example.org", 0,
	    "2021-03-01 12:00", "2021-03-17 18:00", 90, "America/Santiago");
	char *kept, *fresh;
	size_t i;

	(void)state;
	ev.summary = "Reunión";
	ev.location = "Sala 1";
	ev.org_name = "Secretaría técnica de la Conferencia Regional sobre "
	    "Desarrollo Social";
	ev.att = att;
	ev.natt = 2;
	for (i = 0; i < 3; i++) {
		ev.description = desc[i];
		ev.org_email = org[i];
		kept = ical_build("REQUEST", &ev, 1);
		ical_shutdown();        /* nothing kept: from scratch */
		fresh = ical_build("REQUEST", &ev, 1);
		assert_string_equal(kept, fresh);
		assert_non_null(strstr(kept, org[i]));
		free(kept);
		free(fresh);    /* and kept for the next reader */
	}
	/* An answer known since is no longer the calendar kept. */
	att[1].partstat = "ACCEPTED";
	kept = ical_build("REQUEST", &ev, 1);
	assert_non_null(strstr(kept, "PARTSTAT=ACCEPTED"));
	free(kept);
	att[1].partstat = NULL;
	ev.sequence = 1;
	kept = ical_build("REQUEST", &ev, 1);
	assert_non_null(strstr(kept, "SEQUENCE:1\r\n"));
	free(kept);
	kept = ical_build("CANCEL", &ev, 1);
	assert_non_null(strstr(kept, "METHOD:CANCEL\r\n"));
	free(kept);
}

static void
test_build_cancel(void **state)
{
	static const char *const want[] = {
		"METHOD:CANCEL", "STATUS:CANCELLED", "SEQUENCE:3",
		"TZID:America/Montevideo", NULL
	};
	const struct ical_attendee att[] = {
		{ "kim@gov.example.bb", "Kim Clarke", 0, 0, NULL, NULL },
	};
	struct ical_event ev = event("g-s-20210421@example.org", 3,
	    "2021-04-01 12:00", "2021-04-21 19:00", 90, "America/Montevideo");
	char *text, *u;

	(void)state;
	ev.summary = "x";
	ev.org_name = "Org";
	ev.org_email = "agenda@example.org";
	ev.cancelled = 1;
	ev.att = att;
	ev.natt = 1;
	text = ical_build("CANCEL", &ev, 1);
	u = unfold(text);
	assert_lines(u, want);
	assert_non_null(strstr(u, "RSVP=FALSE"));
	free(u);
	free(text);
}

/* A series as one recurring event: COUNT or UNTIL as an UTC UNTIL at
 * the end of the last occurrence's day, EXDATEs as the rule's walls from
 * the first occurrence on, the rest of the rule as written. */
static void
test_recurrence(void **state)
{
	static char *const ex[] = { "2021-04-21", "2021-02-17 15:00",
	    "2021-06-16 09:00" };
	struct ical_recurrence r;
	char *err = NULL;

	(void)state;
	/* Six from February, one excluded before the event starts, one that
	 * names no occurrence (09:00): the rule as configured. */
	assert_int_equal(ical_recurrence("2021-02-17 15:00",
	    "America/Montevideo", "FREQ=MONTHLY;COUNT=6;BYDAY=3WE", ex, 3,
	    "20210317T150000", &r, &err), 0);
	assert_string_equal(r.rrule, "FREQ=MONTHLY;BYDAY=3WE;"
	    "UNTIL=20210722T025959Z");
	assert_string_equal(r.exdate, "20210421T150000");
	assert_int_equal(r.dtstart, tl_utc("2021-03-17 18:00"));
	assert_int_equal(r.until, tl_utc("2021-07-22 02:59") + 59);
	ical_recurrence_clear(&r);
	/* Without an end: none, and EXDATEs as far as the last one. */
	assert_int_equal(ical_recurrence("2021-02-17 15:00",
	    "America/Montevideo", "FREQ=MONTHLY;BYDAY=3WE", ex, 3,
	    "20210217T150000", &r, &err), 0);
	assert_string_equal(r.rrule, "FREQ=MONTHLY;BYDAY=3WE");
	assert_string_equal(r.exdate, "20210217T150000,20210421T150000");
	assert_int_equal(r.until, 0);
	ical_recurrence_clear(&r);
	/* UNTIL as a date (written so in the configuration) ends the same
	 * way; a first that is not an occurrence is told apart. */
	assert_int_equal(ical_recurrence("2021-02-17 15:00",
	    "America/Santiago", "FREQ=MONTHLY;BYDAY=3WE;UNTIL=20210630", NULL,
	    0, "20210217T150000", &r, &err), 0);
	assert_string_equal(r.rrule, "FREQ=MONTHLY;BYDAY=3WE;"
	    "UNTIL=20210617T035959Z");
	ical_recurrence_end(&r, "America/Santiago", "20210317T150000");
	assert_string_equal(r.rrule, "FREQ=MONTHLY;BYDAY=3WE;"
	    "UNTIL=20210318T025959Z");
	ical_recurrence_clear(&r);
	assert_int_equal(ical_recurrence("2021-02-17 15:00",
	    "America/Santiago", "FREQ=MONTHLY;BYDAY=3WE", NULL, 0,
	    "20210317T160000", &r, &err), 1);
	assert_null(err);
	/* Santiago: 00:30 on 5 September 2027 is skipped, 23:30 on 3 April
	 * 2027 comes twice. */
	assert_int_equal(ical_wall_exact("20270905T003000", "America/Santiago"),
	    0);
	assert_int_equal(ical_wall_exact("20270403T233000", "America/Santiago"),
	    0);
	assert_int_equal(ical_wall_exact("20270403T223000", "America/Santiago"),
	    1);
	assert_int_equal(ical_wall_exact("20270905T013000", "America/Santiago"),
	    1);
}

/* The master of a recurring event and one occurrence of it: RRULE and
 * EXDATE in the zone of DTSTART, a VTIMEZONE that keeps the rules to
 * come for an endless one, RECURRENCE-ID named by the rule's wall. */
static void
test_build_recurring(void **state)
{
	static const char *const want[] = {
		"DTSTART;TZID=America/Asuncion:20210303T100000",
		"RRULE:FREQ=WEEKLY;BYDAY=WE",
		"EXDATE;TZID=America/Asuncion:20210310T100000",
		"EXDATE;TZID=America/Asuncion:20210317T100000",
		"RECURRENCE-ID;TZID=America/Asuncion:20210324T100000",
		"DTSTART;TZID=America/Asuncion:20210324T110000", NULL
	};
	struct ical_event ev[2];
	char *text, *u;

	(void)state;
	ev[0] = event("g-s-20210303-series@example.org", 4,
	    "2021-03-01 12:00", "2021-03-03 13:00", 60, "America/Asuncion");
	ev[0].summary = "x";
	ev[0].org_name = "Org";
	ev[0].org_email = "agenda@example.org";
	ev[0].rrule = "FREQ=WEEKLY;BYDAY=WE";
	ev[0].exdate = "20210310T100000,20210317T100000";
	ev[0].start_wall = "20210303T100000";
	ev[1] = ev[0];
	ev[1].rrule = ev[1].exdate = ev[1].start_wall = NULL;
	ev[1].recurrence_id = "20210324T100000";
	ev[1].start = tl_utc("2021-03-24 14:00");
	ev[1].end = ev[1].start + 3600;
	text = ical_build("REQUEST", ev, 2);
	u = unfold(text);
	assert_lines(u, want);
	assert_int_equal(tl_count(u, "BEGIN:VEVENT"), 2);
	assert_int_equal(tl_count(u, "BEGIN:VTIMEZONE"), 1);
	/* Asunción changed its clocks every October and March: the rules
	 * are not cut a year after the first meeting, as one meeting's are
	 * (then "UNTIL=2021..."), but go on as far as the zone says. */
	assert_null(strstr(u, "UNTIL=2021"));
	assert_non_null(strstr(u, "RRULE:FREQ=YEARLY"));
	free(u);
	free(text);
}

/* A start in a DST fold is the first occurrence; written with a TZID,
 * parsers read it as they like (libical, ical.js and python3-icalendar
 * all take the second), so it is written in UTC.  A time outside the
 * fold keeps the meeting's zone.  Read back, each is the same instant. */
static void
test_build_fold(void **state)
{
	static const struct {
		const char *start, *tz, *dtstart, *dtend;
		int minutes;
	} cases[] = {
		/* 23:00 UTC-3, 90 minutes: ends at 23:30 UTC-4, the second
		 * 23:30 of the night */
		{ "2027-04-04 02:00", "America/Santiago",
		  "DTSTART:20270404T020000Z", "DTEND:20270404T033000Z", 90 },
		{ "2027-11-07 05:30", "America/New_York",
		  "DTSTART:20271107T053000Z",
		  "DTEND;TZID=America/New_York:20271107T020000", 90 },
		/* after the gap: an hour that exists once */
		{ "2027-09-05 04:30", "America/Santiago",
		  "DTSTART;TZID=America/Santiago:20270905T013000",
		  "DTEND;TZID=America/Santiago:20270905T023000", 60 },
	};
	struct ical_itip *it = NULL;
	struct ical_event ev;
	char *text, *u, *err = NULL;
	const char *want[3];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ev = event("g-s-20270403@example.org", 0, "2027-03-01 12:00",
		    cases[i].start, cases[i].minutes, cases[i].tz);
		ev.summary = "x";
		ev.org_name = "Org";
		ev.org_email = "agenda@example.org";
		text = ical_build("REQUEST", &ev, 1);
		u = unfold(text);
		want[0] = cases[i].dtstart;
		want[1] = cases[i].dtend;
		want[2] = NULL;
		assert_lines(u, want);
		assert_int_equal(ical_parse_itip(text, NULL, &it, &err), 0);
		assert_int_equal(it->ev[0].dtstart, ev.start);
		ical_itip_free(it);
		free(u);
		free(text);
	}
}

static void
test_local_to_utc(void **state)
{
	struct ical_local gap = { 2027, 9, 5, 0, 30, 0 };
	struct ical_local fold = { 2027, 4, 3, 23, 30, 0 };
	struct ical_tm tm;

	(void)state;
	assert_int_equal(ical_local_to_utc(&gap, "America/Santiago"),
	    utc(2027, 9, 5, 4, 30));
	assert_int_equal(ical_local_to_utc(&fold, "America/Santiago"),
	    utc(2027, 4, 4, 2, 30));
	/* Both 23:30s of that night, each with its own offset. */
	ical_localtime(utc(2027, 4, 4, 2, 30), "America/Santiago", &tm);
	assert_int_equal(tm.hour, 23);
	assert_int_equal(tm.utcoff, -180);
	ical_localtime(utc(2027, 4, 4, 3, 30), "America/Santiago", &tm);
	assert_int_equal(tm.hour, 23);
	assert_int_equal(tm.utcoff, -240);
	assert_int_equal(ical_year_start(2028, "America/Santiago"),
	    utc(2028, 1, 1, 3, 0));
}

static void
test_localtime(void **state)
{
	struct ical_tm tm;

	(void)state;
	ical_localtime(utc(2021, 1, 15, 12, 0), "America/Santiago", &tm);
	assert_int_equal(tm.hour, 9);
	assert_int_equal(tm.utcoff, -180);
	assert_int_equal(tm.wday, 5);               /* a Friday */
	ical_localtime(utc(2021, 7, 15, 12, 0), "America/Santiago", &tm);
	assert_int_equal(tm.hour, 8);
	assert_int_equal(tm.utcoff, -240);
	ical_localtime(utc(2021, 7, 15, 12, 0), "Asia/Kolkata", &tm);
	assert_int_equal(tm.hour, 17);
	assert_int_equal(tm.minute, 30);
	assert_int_equal(tm.utcoff, 330);
	assert_int_equal(ical_year_in_zone(utc(2021, 12, 31, 23, 30),
	    "Pacific/Kiritimati"), 2022);
	assert_int_equal(ical_year_in_zone(utc(2022, 1, 1, 2, 30),
	    "America/Santiago"), 2021);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		EXPANSIONS("santiago_dst"),
		EXPANSIONS("asuncion_dst"),
		EXPANSIONS("dst_gap"),
		EXPANSIONS("dst_fold"),
		EXPANSIONS("month_ends"),
		EXPANSIONS("exdate"),
		EXPANSIONS("window_bounds"),
		EXPANSIONS("until_date"),
		cmocka_unit_test(test_parse_local),
		cmocka_unit_test(test_build_request),
		cmocka_unit_test(test_build_cancel),
		cmocka_unit_test(test_build_readers),
		cmocka_unit_test(test_localtime),
		cmocka_unit_test(test_build_fold),
		cmocka_unit_test(test_local_to_utc),
		cmocka_unit_test(test_recurrence),
		cmocka_unit_test(test_build_recurring),
	};
	int rc = cmocka_run_group_tests_name("ical", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

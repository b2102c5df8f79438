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

static size_t
expand(const char *start, const char *tz, int dur, const char *rrule,
    char **ex, size_t nex, long long from, long long to,
    struct ical_occurrence **occ)
{
	char *err = NULL;
	size_t n = 0;

	assert_int_equal(ical_expand(start, tz, dur, rrule, ex, nex, from, to,
	    1000, occ, &n, &err), 0);
	assert_null(err);
	return n;
}

/* Santiago leaves DST on the first Sunday of April 2021 (UTC-3 -> UTC-4)
 * and returns on the first Sunday of September (UTC-4 -> UTC-3): the
 * local hour stays, the UTC instant moves. */
static void
test_santiago_dst(void **state)
{
	struct ical_occurrence *o;
	size_t n;

	(void)state;
	n = expand("2021-03-27 10:00", "America/Santiago", 60,
	    "FREQ=WEEKLY;BYDAY=SA", NULL, 0, utc(2021, 1, 1, 0, 0),
	    utc(2021, 4, 11, 0, 0), &o);
	assert_int_equal(n, 3);
	assert_int_equal(o[0].start, utc(2021, 3, 27, 13, 0));
	assert_int_equal(o[1].start, utc(2021, 4, 3, 13, 0));
	assert_int_equal(o[2].start, utc(2021, 4, 10, 14, 0));
	assert_int_equal(o[2].end - o[2].start, 3600);
	assert_string_equal(o[2].key, "20210410");
	free(o);

	n = expand("2021-08-28 10:00", "America/Santiago", 90,
	    "FREQ=WEEKLY;BYDAY=SA", NULL, 0, utc(2021, 8, 1, 0, 0),
	    utc(2021, 9, 12, 0, 0), &o);
	assert_int_equal(n, 3);
	assert_int_equal(o[0].start, utc(2021, 8, 28, 14, 0));
	assert_int_equal(o[1].start, utc(2021, 9, 4, 14, 0));
	assert_int_equal(o[2].start, utc(2021, 9, 11, 13, 0));
	free(o);
}

/* Asunción: DST ended 28 March 2021 and began 3 October 2021. */
static void
test_asuncion_dst(void **state)
{
	struct ical_occurrence *o;
	size_t n;

	(void)state;
	n = expand("2021-03-15 09:00", "America/Asuncion", 60,
	    "FREQ=DAILY;INTERVAL=7", NULL, 0, utc(2021, 3, 1, 0, 0),
	    utc(2021, 4, 1, 0, 0), &o);
	assert_int_equal(n, 3);
	assert_int_equal(o[0].start, utc(2021, 3, 15, 12, 0));  /* -03 */
	assert_int_equal(o[1].start, utc(2021, 3, 22, 12, 0));
	assert_int_equal(o[2].start, utc(2021, 3, 29, 13, 0));  /* -04 */
	free(o);

	n = expand("2021-09-27 09:00", "America/Asuncion", 60,
	    "FREQ=WEEKLY;BYDAY=MO", NULL, 0, utc(2021, 9, 1, 0, 0),
	    utc(2021, 10, 10, 0, 0), &o);
	assert_int_equal(n, 2);
	assert_int_equal(o[0].start, utc(2021, 9, 27, 13, 0));
	assert_int_equal(o[1].start, utc(2021, 10, 4, 12, 0));
	free(o);
}

/* A time that does not exist (Santiago skips from 24:00 to 01:00 on
 * 5 September 2021) still yields one meeting, after the gap. */
static void
test_dst_gap(void **state)
{
	struct ical_occurrence *o;
	size_t n;

	(void)state;
	n = expand("2021-09-05 00:30", "America/Santiago", 30, NULL, NULL, 0,
	    utc(2021, 9, 1, 0, 0), utc(2021, 9, 10, 0, 0), &o);
	assert_int_equal(n, 1);
	assert_true(o[0].start >= utc(2021, 9, 5, 3, 30));
	assert_true(o[0].start <= utc(2021, 9, 5, 4, 30));
	free(o);
}

/* BYMONTHDAY=31 skips short months; -1 is each month's last day. */
static void
test_month_ends(void **state)
{
	struct ical_occurrence *o;
	size_t n;

	(void)state;
	n = expand("2021-01-31 12:00", "America/Montevideo", 60,
	    "FREQ=MONTHLY;BYMONTHDAY=31", NULL, 0, utc(2021, 1, 1, 0, 0),
	    utc(2022, 1, 1, 0, 0), &o);
	assert_int_equal(n, 7);     /* Jan Mar May Jul Aug Oct Dec */
	assert_string_equal(o[1].key, "20210331");
	assert_string_equal(o[6].key, "20211231");
	free(o);

	n = expand("2021-01-31 12:00", "America/Montevideo", 60,
	    "FREQ=MONTHLY;BYMONTHDAY=-1", NULL, 0, utc(2021, 1, 1, 0, 0),
	    utc(2021, 4, 1, 0, 0), &o);
	assert_int_equal(n, 3);
	assert_string_equal(o[1].key, "20210228");
	free(o);

	/* 2024 is a leap year. */
	n = expand("2024-01-31 12:00", "America/Montevideo", 60,
	    "FREQ=MONTHLY;BYMONTHDAY=-1", NULL, 0, utc(2024, 2, 1, 0, 0),
	    utc(2024, 3, 1, 0, 0), &o);
	assert_int_equal(n, 1);
	assert_string_equal(o[0].key, "20240229");
	free(o);
}

static void
test_exdate(void **state)
{
	char *ex[] = { "2021-07-21", "2021-09-15 15:00", "2021-10-20 09:00" };
	struct ical_occurrence *o;
	size_t n, i;

	(void)state;
	n = expand("2021-02-17 15:00", "America/Montevideo", 90,
	    "FREQ=MONTHLY;BYDAY=3WE", ex, 3, utc(2021, 1, 1, 0, 0),
	    utc(2022, 1, 1, 0, 0), &o);
	/* 11 third Wednesdays from February; July and September go, the
	 * October exclusion names another hour and so excludes nothing. */
	assert_int_equal(n, 9);
	for (i = 0; i < n; i++) {
		assert_string_not_equal(o[i].key, "20210721");
		assert_string_not_equal(o[i].key, "20210915");
	}
	free(o);
}

/* [from, to): a start at from is in, a start at to is out. */
static void
test_window_bounds(void **state)
{
	struct ical_occurrence *o;
	long long first = utc(2021, 2, 17, 18, 0);
	size_t n;

	(void)state;
	n = expand("2021-02-17 15:00", "America/Montevideo", 90,
	    "FREQ=MONTHLY;BYDAY=3WE", NULL, 0, first,
	    utc(2021, 3, 17, 18, 0), &o);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].start, first);
	free(o);

	/* A rule started years before the window is walked to it. */
	n = expand("2021-02-17 15:00", "America/Montevideo", 90,
	    "FREQ=MONTHLY;BYDAY=3WE", NULL, 0, utc(2026, 1, 1, 0, 0),
	    utc(2026, 4, 1, 0, 0), &o);
	assert_int_equal(n, 3);
	assert_string_equal(o[0].key, "20260121");
	free(o);

	/* A single meeting outside the window is no meeting. */
	n = expand("2021-02-17 15:00", "America/Montevideo", 90, NULL, NULL,
	    0, utc(2021, 3, 1, 0, 0), utc(2021, 4, 1, 0, 0), &o);
	assert_int_equal(n, 0);
	free(o);
}

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

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
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

static void
test_build_request(void **state)
{
	const struct ical_attendee att[] = {
		{ "ana@mides.example.uy", "Ana Pérez", 1, 0, NULL },
		{ "jo@ilo.example.org", NULL, 0, 1, "ACCEPTED" },
		{ "q@example.org", "Say \"hi\"; now, ok", 0, 0, NULL },
	};
	struct ical_event ev;
	char *text, *u, *line, *save = NULL;

	(void)state;
	memset(&ev, 0, sizeof ev);
	ev.uid = "south-south-monthly-20210317@example.org";
	ev.sequence = 2;
	ev.dtstamp = utc(2021, 3, 1, 12, 0);
	ev.start = utc(2021, 3, 17, 18, 0);
	ev.end = utc(2021, 3, 17, 19, 30);
	ev.tzid = "America/Santiago";
	ev.summary = "Intercambio mensual de experiencias, con una descripción "
	    "bastante larga para forzar el plegado de líneas";
	ev.description = "Línea uno\nLínea dos";
	ev.location = "https://meet.example.org/south-south";
	ev.org_name = "Secretaría técnica";
	ev.org_email = "agenda@example.org";
	ev.att = att;
	ev.natt = 3;
	ev.categories = "meeting";
	text = ical_build("REQUEST", &ev, 1);
	u = unfold(text);

	assert_non_null(strstr(u, "METHOD:REQUEST\r\n"));
	assert_non_null(strstr(u, "PRODID:"));
	assert_non_null(strstr(u, "VERSION:2.0\r\n"));
	assert_int_equal(count(u, "BEGIN:VTIMEZONE"), 1);
	assert_non_null(strstr(u, "TZID:America/Santiago\r\n"));
	/* 15:00 in Santiago's summer (UTC-3) */
	assert_non_null(strstr(u,
	    "DTSTART;TZID=America/Santiago:20210317T150000\r\n"));
	assert_non_null(strstr(u,
	    "DTEND;TZID=America/Santiago:20210317T163000\r\n"));
	assert_non_null(strstr(u, "SEQUENCE:2\r\n"));
	assert_non_null(strstr(u, "STATUS:CONFIRMED\r\n"));
	assert_non_null(strstr(u, "DTSTAMP:20210301T120000Z\r\n"));
	assert_non_null(strstr(u, "URL:https://meet.example.org/south-south"));
	assert_non_null(strstr(u, "ORGANIZER;CN=Secretaría técnica:"
	    "mailto:agenda@example.org\r\n"));
	assert_int_equal(count(u, "\r\nATTENDEE;"), 3);
	assert_non_null(strstr(u, "ROLE=CHAIR"));
	assert_non_null(strstr(u, "ROLE=OPT-PARTICIPANT"));
	assert_non_null(strstr(u, "PARTSTAT=ACCEPTED"));
	assert_int_equal(count(u, "RSVP=TRUE"), 3);
	/* A quote cannot live in a parameter value; the rest is quoted. */
	assert_null(strstr(u, "\"hi\""));
	assert_non_null(strstr(u, "CN=\"Say 'hi'; now, ok\""));
	assert_non_null(strstr(u, "DESCRIPTION:Línea uno\\nLínea dos\r\n"));

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

static void
test_build_cancel(void **state)
{
	const struct ical_attendee att[] = {
		{ "kim@gov.example.bb", "Kim Clarke", 0, 0, NULL },
	};
	struct ical_event ev;
	char *text, *u;

	(void)state;
	memset(&ev, 0, sizeof ev);
	ev.uid = "g-s-20210421@example.org";
	ev.sequence = 3;
	ev.dtstamp = utc(2021, 4, 1, 12, 0);
	ev.start = utc(2021, 4, 21, 19, 0);
	ev.end = utc(2021, 4, 21, 20, 30);
	ev.tzid = "America/Montevideo";
	ev.summary = "x";
	ev.org_name = "Org";
	ev.org_email = "agenda@example.org";
	ev.cancelled = 1;
	ev.att = att;
	ev.natt = 1;
	text = ical_build("CANCEL", &ev, 1);
	u = unfold(text);
	assert_non_null(strstr(u, "METHOD:CANCEL\r\n"));
	assert_non_null(strstr(u, "STATUS:CANCELLED\r\n"));
	assert_non_null(strstr(u, "SEQUENCE:3\r\n"));
	assert_non_null(strstr(u, "RSVP=FALSE"));
	assert_non_null(strstr(u, "TZID:America/Montevideo\r\n"));
	free(u);
	free(text);
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
		cmocka_unit_test(test_santiago_dst),
		cmocka_unit_test(test_asuncion_dst),
		cmocka_unit_test(test_dst_gap),
		cmocka_unit_test(test_month_ends),
		cmocka_unit_test(test_exdate),
		cmocka_unit_test(test_window_bounds),
		cmocka_unit_test(test_parse_local),
		cmocka_unit_test(test_build_request),
		cmocka_unit_test(test_build_cancel),
		cmocka_unit_test(test_localtime),
	};
	int rc = cmocka_run_group_tests_name("ical", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "ical.h"
#include "util.h"

static icaltimezone *
zone(const char *tzid)
{
	if (tzid == NULL || *tzid == '\0')
		return NULL;
	if (strcmp(tzid, "UTC") == 0)
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(tzid);
}

int
ical_tz_known(const char *tzid)
{
	/* libical accepts some names loosely; an IANA name has no spaces and
	 * no leading slash, so anything else is refused before asking it. */
	if (tzid == NULL || *tzid == '\0' || strchr(tzid, ' ') ||
	    tzid[0] == '/' || strstr(tzid, ".."))
		return 0;
	return zone(tzid) != NULL;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
ical_parse_local(const char *s, int allow_date, struct ical_local *out)
{
	size_t len = strlen(s);

	memset(out, 0, sizeof *out);
	if (len < 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, &out->year) || digits(s + 5, 2, &out->month) ||
	    digits(s + 8, 2, &out->day))
		return -1;
	if (len == 10) {
		if (!allow_date)
			return -1;
		out->is_date = 1;
	} else if (len == 16 && (s[10] == ' ' || s[10] == 'T') && s[13] == ':') {
		if (digits(s + 11, 2, &out->hour) || digits(s + 14, 2, &out->minute))
			return -1;
	} else
		return -1;
	if (out->year < 1970 || out->year > 2200 || out->month < 1 ||
	    out->month > 12 || out->day < 1 ||
	    out->day > icaltime_days_in_month(out->month, out->year) ||
	    out->hour > 23 || out->minute > 59)
		return -1;
	return 0;
}

int
ical_rrule_check(const char *rrule, char **err)
{
	struct icalrecurrencetype r;

	icalerror_clear_errno();
	/* libical complains on stderr about what it cannot parse; the caller
	 * reports the problem with its file and line instead. */
	icalerror_set_errors_are_fatal(0);
	r = icalrecurrencetype_from_string(rrule);
	if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
		*err = xasprintf("not a valid RRULE: %s",
		    icalerrno != ICAL_NO_ERROR ? icalerror_strerror(icalerrno) :
		    "no FREQ");
		icalerror_clear_errno();
		return -1;
	}
	if (r.freq < ICAL_DAILY_RECURRENCE) {
		*err = xstrdup("RRULE more often than daily is not a meeting series");
		return -1;
	}
	if (r.count != 0 && !icaltime_is_null_time(r.until)) {
		*err = xstrdup("RRULE has both COUNT and UNTIL");
		return -1;
	}
	return 0;
}

long long
ical_local_to_utc(const struct ical_local *lt, const char *tzid)
{
	struct icaltimetype t = icaltime_null_time();

	t.year = lt->year;
	t.month = lt->month;
	t.day = lt->day;
	t.hour = lt->hour;
	t.minute = lt->minute;
	t.is_date = 0;
	return (long long)icaltime_as_timet_with_zone(t, zone(tzid));
}

int
ical_year_in_zone(long long utc, const char *tzid)
{
	icaltimezone *z = zone(tzid);
	struct icaltimetype t;

	t = icaltime_from_timet_with_zone((time_t)utc, 0,
	    icaltimezone_get_utc_timezone());
	if (z != NULL)
		t = icaltime_convert_to_zone(t, z);
	return t.year;
}

long long
ical_year_start(int year, const char *tzid)
{
	struct ical_local lt = { year, 1, 1, 0, 0, 0 };

	return ical_local_to_utc(&lt, tzid);
}

void
ical_shutdown(void)
{
	icaltimezone_free_builtin_timezones();
}

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "dynlib.h"
#include "ical.h"
#include "util.h"

/* libical's functions, called through dynlib_ical's table (dynlib.h),
 * filled on first use: libical brings ICU and the C++ runtime, a quarter
 * of what a process of ours loads, and an idle `once` needs none of it.
 * The names below stand for the table's entries. */
#define ICAL_FNS(X) \
	X(ical_get_unknown_token_handling_setting) \
	X(ical_set_unknown_token_handling_setting) \
	X(icalcomponent_add_component) \
	X(icalcomponent_add_property) \
	X(icalcomponent_as_ical_string_r) \
	X(icalcomponent_free) \
	X(icalcomponent_get_first_component) \
	X(icalcomponent_get_first_property) \
	X(icalcomponent_get_next_component) \
	X(icalcomponent_get_next_property) \
	X(icalcomponent_get_summary) \
	X(icalcomponent_get_uid) \
	X(icalcomponent_isa) \
	X(icalcomponent_new) \
	X(icalcomponent_new_clone) \
	X(icalcomponent_remove_property) \
	X(icalerrno_return) \
	X(icalerror_clear_errno) \
	X(icalerror_set_errors_are_fatal) \
	X(icalerror_strerror) \
	X(icalparameter_as_ical_string_r) \
	X(icalparameter_get_delegatedfrom) \
	X(icalparameter_get_delegatedto) \
	X(icalparameter_get_iana_name) \
	X(icalparameter_get_iana_value) \
	X(icalparameter_get_tzid) \
	X(icalparameter_new_cn) \
	X(icalparameter_new_delegatedfrom) \
	X(icalparameter_new_partstat) \
	X(icalparameter_new_role) \
	X(icalparameter_new_rsvp) \
	X(icalparameter_new_tzid) \
	X(icalparser_parse_string) \
	X(icalproperty_add_parameter) \
	X(icalproperty_as_ical_string_r) \
	X(icalproperty_free) \
	X(icalproperty_get_attendee) \
	X(icalproperty_get_comment) \
	X(icalproperty_get_datetime_with_component) \
	X(icalproperty_get_dtstamp) \
	X(icalproperty_get_first_parameter) \
	X(icalproperty_get_next_parameter) \
	X(icalproperty_get_organizer) \
	X(icalproperty_get_sequence) \
	X(icalproperty_get_value_as_string) \
	X(icalproperty_get_x) \
	X(icalproperty_get_x_name) \
	X(icalproperty_new_attendee) \
	X(icalproperty_new_calscale) \
	X(icalproperty_new_categories) \
	X(icalproperty_new_description) \
	X(icalproperty_new_dtend) \
	X(icalproperty_new_dtstamp) \
	X(icalproperty_new_dtstart) \
	X(icalproperty_new_exdate) \
	X(icalproperty_new_location) \
	X(icalproperty_new_method) \
	X(icalproperty_new_organizer) \
	X(icalproperty_new_prodid) \
	X(icalproperty_new_recurrenceid) \
	X(icalproperty_new_rrule) \
	X(icalproperty_new_sequence) \
	X(icalproperty_new_status) \
	X(icalproperty_new_summary) \
	X(icalproperty_new_transp) \
	X(icalproperty_new_uid) \
	X(icalproperty_new_url) \
	X(icalproperty_new_version) \
	X(icalproperty_set_tzid) \
	X(icalproperty_string_to_method) \
	X(icalrecur_iterator_free) \
	X(icalrecur_iterator_new) \
	X(icalrecur_iterator_next) \
	X(icalrecurrencetype_from_string) \
	X(icaltime_as_timet_with_zone) \
	X(icaltime_compare) \
	X(icaltime_convert_to_zone) \
	X(icaltime_day_of_week) \
	X(icaltime_days_in_month) \
	X(icaltime_from_string) \
	X(icaltime_from_timet_with_zone) \
	X(icaltime_is_null_time) \
	X(icaltime_is_utc) \
	X(icaltime_null_time) \
	X(icaltimezone_free_builtin_timezones) \
	X(icaltimezone_get_builtin_timezone) \
	X(icaltimezone_get_component) \
	X(icaltimezone_get_utc_offset_of_utc_time) \
	X(icaltimezone_get_utc_timezone) \
	X(icaltimezone_truncate_vtimezone)
_Static_assert(ICAL_MAJOR_VERSION == 3, "the soname below is libical 3's");
DYNLIB_TABLE(ic, dynlib_ical, "libical.so.3", ICAL_FNS)

#define IC (ic_fns())
#define ical_get_unknown_token_handling_setting \
	(IC->ical_get_unknown_token_handling_setting)
#define ical_set_unknown_token_handling_setting \
	(IC->ical_set_unknown_token_handling_setting)
#define icalcomponent_add_component (IC->icalcomponent_add_component)
#define icalcomponent_add_property (IC->icalcomponent_add_property)
#define icalcomponent_as_ical_string_r (IC->icalcomponent_as_ical_string_r)
#define icalcomponent_free (IC->icalcomponent_free)
#define icalcomponent_get_first_component \
	(IC->icalcomponent_get_first_component)
#define icalcomponent_get_first_property (IC->icalcomponent_get_first_property)
#define icalcomponent_get_next_component (IC->icalcomponent_get_next_component)
#define icalcomponent_get_next_property (IC->icalcomponent_get_next_property)
#define icalcomponent_get_summary (IC->icalcomponent_get_summary)
#define icalcomponent_get_uid (IC->icalcomponent_get_uid)
#define icalcomponent_isa (IC->icalcomponent_isa)
#define icalcomponent_new (IC->icalcomponent_new)
#define icalcomponent_new_clone (IC->icalcomponent_new_clone)
#define icalcomponent_remove_property (IC->icalcomponent_remove_property)
#define icalerrno_return (IC->icalerrno_return)
#define icalerror_clear_errno (IC->icalerror_clear_errno)
#define icalerror_set_errors_are_fatal (IC->icalerror_set_errors_are_fatal)
#define icalerror_strerror (IC->icalerror_strerror)
#define icalparameter_as_ical_string_r (IC->icalparameter_as_ical_string_r)
#define icalparameter_get_delegatedfrom (IC->icalparameter_get_delegatedfrom)
#define icalparameter_get_delegatedto (IC->icalparameter_get_delegatedto)
#define icalparameter_get_iana_name (IC->icalparameter_get_iana_name)
#define icalparameter_get_iana_value (IC->icalparameter_get_iana_value)
#define icalparameter_get_tzid (IC->icalparameter_get_tzid)
#define icalparameter_new_cn (IC->icalparameter_new_cn)
#define icalparameter_new_delegatedfrom (IC->icalparameter_new_delegatedfrom)
#define icalparameter_new_partstat (IC->icalparameter_new_partstat)
#define icalparameter_new_role (IC->icalparameter_new_role)
#define icalparameter_new_rsvp (IC->icalparameter_new_rsvp)
#define icalparameter_new_tzid (IC->icalparameter_new_tzid)
#define icalparser_parse_string (IC->icalparser_parse_string)
#define icalproperty_add_parameter (IC->icalproperty_add_parameter)
#define icalproperty_as_ical_string_r (IC->icalproperty_as_ical_string_r)
#define icalproperty_free (IC->icalproperty_free)
#define icalproperty_get_attendee (IC->icalproperty_get_attendee)
#define icalproperty_get_comment (IC->icalproperty_get_comment)
#define icalproperty_get_datetime_with_component \
	(IC->icalproperty_get_datetime_with_component)
#define icalproperty_get_dtstamp (IC->icalproperty_get_dtstamp)
#define icalproperty_get_first_parameter (IC->icalproperty_get_first_parameter)
#define icalproperty_get_next_parameter (IC->icalproperty_get_next_parameter)
#define icalproperty_get_organizer (IC->icalproperty_get_organizer)
#define icalproperty_get_sequence (IC->icalproperty_get_sequence)
#define icalproperty_get_value_as_string (IC->icalproperty_get_value_as_string)
#define icalproperty_get_x (IC->icalproperty_get_x)
#define icalproperty_get_x_name (IC->icalproperty_get_x_name)
#define icalproperty_new_attendee (IC->icalproperty_new_attendee)
#define icalproperty_new_calscale (IC->icalproperty_new_calscale)
#define icalproperty_new_categories (IC->icalproperty_new_categories)
#define icalproperty_new_description (IC->icalproperty_new_description)
#define icalproperty_new_dtend (IC->icalproperty_new_dtend)
#define icalproperty_new_dtstamp (IC->icalproperty_new_dtstamp)
#define icalproperty_new_dtstart (IC->icalproperty_new_dtstart)
#define icalproperty_new_exdate (IC->icalproperty_new_exdate)
#define icalproperty_new_location (IC->icalproperty_new_location)
#define icalproperty_new_method (IC->icalproperty_new_method)
#define icalproperty_new_organizer (IC->icalproperty_new_organizer)
#define icalproperty_new_prodid (IC->icalproperty_new_prodid)
#define icalproperty_new_recurrenceid (IC->icalproperty_new_recurrenceid)
#define icalproperty_new_rrule (IC->icalproperty_new_rrule)
#define icalproperty_new_sequence (IC->icalproperty_new_sequence)
#define icalproperty_new_status (IC->icalproperty_new_status)
#define icalproperty_new_summary (IC->icalproperty_new_summary)
#define icalproperty_new_transp (IC->icalproperty_new_transp)
#define icalproperty_new_uid (IC->icalproperty_new_uid)
#define icalproperty_new_url (IC->icalproperty_new_url)
#define icalproperty_new_version (IC->icalproperty_new_version)
#define icalproperty_set_tzid (IC->icalproperty_set_tzid)
#define icalproperty_string_to_method (IC->icalproperty_string_to_method)
#define icalrecur_iterator_free (IC->icalrecur_iterator_free)
#define icalrecur_iterator_new (IC->icalrecur_iterator_new)
#define icalrecur_iterator_next (IC->icalrecur_iterator_next)
#define icalrecurrencetype_from_string (IC->icalrecurrencetype_from_string)
#define icaltime_as_timet_with_zone (IC->icaltime_as_timet_with_zone)
#define icaltime_compare (IC->icaltime_compare)
#define icaltime_convert_to_zone (IC->icaltime_convert_to_zone)
#define icaltime_day_of_week (IC->icaltime_day_of_week)
#define icaltime_days_in_month (IC->icaltime_days_in_month)
#define icaltime_from_string (IC->icaltime_from_string)
#define icaltime_from_timet_with_zone (IC->icaltime_from_timet_with_zone)
#define icaltime_is_null_time (IC->icaltime_is_null_time)
#define icaltime_is_utc (IC->icaltime_is_utc)
#define icaltime_null_time (IC->icaltime_null_time)
#define icaltimezone_free_builtin_timezones \
	(IC->icaltimezone_free_builtin_timezones)
#define icaltimezone_get_builtin_timezone \
	(IC->icaltimezone_get_builtin_timezone)
#define icaltimezone_get_component (IC->icaltimezone_get_component)
#define icaltimezone_get_utc_offset_of_utc_time \
	(IC->icaltimezone_get_utc_offset_of_utc_time)
#define icaltimezone_get_utc_timezone (IC->icaltimezone_get_utc_timezone)
#define icaltimezone_truncate_vtimezone (IC->icaltimezone_truncate_vtimezone)

/* The zones found last.  libical's lookup of a builtin zone costs about
 * ten thousand instructions, and a configuration asks it for every member
 * (a third of loading 1,000 groups of 30; bench/RESULTS.md).  The zones
 * live until ical_shutdown(), which empties this too. */
#define ZONE_CACHE 16

static struct {
	char         *tzid;
	icaltimezone *z;
} zone_cache[ZONE_CACHE];
static size_t zone_next;

static void
zone_cache_clear(void)
{
	size_t i;

	for (i = 0; i < ZONE_CACHE; i++)
		free(zone_cache[i].tzid);
	memset(zone_cache, 0, sizeof zone_cache);
	zone_next = 0;
}

static icaltimezone *
zone(const char *tzid)
{
	icaltimezone *z;
	size_t i;

	if (tzid == NULL || *tzid == '\0')
		return NULL;
	if (strcmp(tzid, "UTC") == 0)
		return icaltimezone_get_utc_timezone();
	for (i = 0; i < ZONE_CACHE && zone_cache[i].tzid != NULL; i++)
		if (strcmp(zone_cache[i].tzid, tzid) == 0)
			return zone_cache[i].z;
	if ((z = icaltimezone_get_builtin_timezone(tzid)) == NULL)
		return NULL;
	free(zone_cache[zone_next].tzid);
	zone_cache[zone_next].tzid = xstrdup(tzid);
	zone_cache[zone_next].z = z;
	zone_next = (zone_next + 1) % ZONE_CACHE;
	return z;
}

int
ical_tz_known(const char *tzid)
{
	/* libical accepts some names loosely; an IANA name has no spaces and
	 * no leading slash, so anything else is refused before asking it. */
	if (tzid == NULL || *tzid == '\0' || strchr(tzid, ' ') ||
	    tzid[0] == '/' || strstr(tzid, ".."))
		return 0;
	/* Known without asking, and so without loading, libical. */
	if (strcmp(tzid, "UTC") == 0)
		return 1;
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

static struct icaltimetype
local_itt(const struct ical_local *lt)
{
	struct icaltimetype t = icaltime_null_time();

	t.year = lt->year;
	t.month = lt->month;
	t.day = lt->day;
	t.hour = lt->hour;
	t.minute = lt->minute;
	t.is_date = 0;
	return t;
}

/* The offset of zone z from UTC at the instant utc, in seconds. */
static int
offset_at(icaltimezone *z, long long utc)
{
	struct icaltimetype t;
	int dst = 0;

	t = icaltime_from_timet_with_zone((time_t)utc, 0,
	    icaltimezone_get_utc_timezone());
	return icaltimezone_get_utc_offset_of_utc_time(z, &t, &dst);
}

/* The wall-clock time t in zone z as UTC seconds, read as RFC 5545 3.3.5
 * says (libical reads both cases the other way): a time that comes twice
 * is its first occurrence; a time a gap skips is read with the offset
 * before the gap, so it moves forward by the gap.  *folded (may be NULL)
 * is set when the time comes twice. */
static long long
wall_to_utc(struct icaltimetype t, icaltimezone *z, int *folded)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	long long wall, a, b;
	int va, vb;

	if (folded != NULL)
		*folded = 0;
	t.zone = NULL;
	t.is_date = 0;
	wall = (long long)icaltime_as_timet_with_zone(t, utc);
	if (z == NULL || z == utc)
		return wall;
	/* Offsets are within a day of UTC and zones change them at most
	 * once a day: the one before and the one after are the only
	 * candidates. */
	a = wall - offset_at(z, wall - 86400);
	b = wall - offset_at(z, wall + 86400);
	va = a + offset_at(z, a) == wall;
	vb = b + offset_at(z, b) == wall;
	if (va && vb) {
		if (folded != NULL)
			*folded = a != b;
		return a < b ? a : b;
	}
	return vb && !va ? b : a;
}

long long
ical_local_to_utc(const struct ical_local *lt, const char *tzid)
{
	return wall_to_utc(local_itt(lt), zone(tzid), NULL);
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

static int
excluded(const struct icaltimetype *t, char *const *exdate, size_t nexdate)
{
	struct ical_local x;
	size_t i;

	for (i = 0; i < nexdate; i++) {
		if (ical_parse_local(exdate[i], 1, &x) == -1)
			continue;
		if (x.year != t->year || x.month != t->month || x.day != t->day)
			continue;
		if (x.is_date || (x.hour == t->hour && x.minute == t->minute))
			return 1;
	}
	return 0;
}

/* One step of walk(): an occurrence of the rule at wall time t (UTC
 * start s), excluded or not.  Returns 0 to go on, 1 to stop. */
typedef int walk_fn(void *arg, const struct icaltimetype *t, long long s,
    int excluded);

/* Every occurrence of a series written as in the configuration, in order,
 * until fn says stop or the rule ends; before `to` (a bound for rules
 * without end, which libical would otherwise search to the year 2582
 * when they never match).  0, or -1 with *err set. */
static int
walk(const char *start, const char *tzid, const char *rrule,
    char *const *exdate, size_t nexdate, long long to, walk_fn *fn,
    void *arg, char **err)
{
	icaltimezone *z = zone(tzid);
	struct icalrecurrencetype r;
	icalrecur_iterator *it = NULL;
	struct icaltimetype dt, t;
	struct ical_local lt;
	size_t steps = 0;

	if (z == NULL || ical_parse_local(start, 0, &lt) == -1) {
		*err = xasprintf("cannot expand series starting '%s' in '%s'",
		    start, tzid ? tzid : "");
		return -1;
	}
	dt = local_itt(&lt);
	if (rrule != NULL) {
		icalerror_clear_errno();
		r = icalrecurrencetype_from_string(rrule);
		/* UNTIL as a date (RFC 5545 wants a date-time with a timed
		 * DTSTART) means through that day, as whoever wrote it meant:
		 * libical reads its midnight and drops a meeting that day. */
		if (!icaltime_is_null_time(r.until) && r.until.is_date) {
			r.until.is_date = 0;
			r.until.hour = 23;
			r.until.minute = 59;
			r.until.second = 59;
			r.until.zone = NULL;
		}
		/* A rule that never matches (FREQ=DAILY;BYMONTH=2;
		 * BYMONTHDAY=31) makes libical search day by day up to the
		 * year 2582: seconds per call, every cycle.  An UNTIL two
		 * days past the window (any UTC offset) ends the search
		 * there and drops no occurrence before `to`. */
		if (r.freq != ICAL_NO_RECURRENCE &&
		    to < 253402000000LL) {      /* before the year 9999 */
			struct icaltimetype end = icaltime_from_timet_with_zone(
			    (time_t)(to + 2 * 86400), 0, z);

			end.zone = NULL;        /* floating, like dt */
			if (icaltime_is_null_time(r.until) ||
			    icaltime_compare(r.until, end) > 0)
				r.until = end;
		}
		if (r.freq == ICAL_NO_RECURRENCE ||
		    (it = icalrecur_iterator_new(r, dt)) == NULL) {
			*err = xasprintf("cannot expand rrule '%s'", rrule);
			icalerror_clear_errno();
			return -1;
		}
	}
	/* libical's iterator yields DTSTART itself first (RFC 5545 counts
	 * it as the first occurrence); a single meeting is just DTSTART. */
	for (t = it ? icalrecur_iterator_next(it) : dt;
	    !icaltime_is_null_time(t);
	    t = it ? icalrecur_iterator_next(it) : icaltime_null_time()) {
		/* A rule with no end from years ago is walked from its
		 * start; the bound keeps a hostile rule from spinning. */
		if (++steps > 200000)
			break;
		if (fn(arg, &t, wall_to_utc(t, z, NULL),
		    excluded(&t, exdate, nexdate)) || it == NULL)
			break;
	}
	if (it != NULL)
		icalrecur_iterator_free(it);
	return 0;
}

static void
wall_text(const struct icaltimetype *t, char out[16])
{
	snprintf(out, 16, "%04d%02d%02dT%02d%02d%02d", t->year, t->month,
	    t->day, t->hour, t->minute, t->second);
}

struct expansion {
	long long from, to;
	int       duration;
	size_t    max;
	struct ical_occurrence *v;
	size_t    n;
};

static int
keep_occurrence(void *arg, const struct icaltimetype *t, long long s,
    int excl)
{
	struct expansion *x = arg;
	struct ical_occurrence *o;

	if (s >= x->to)
		return 1;
	if (s < x->from || excl)
		return 0;
	if (x->n == x->max)
		return 1;
	x->v = xreallocarray(x->v, x->n + 1, sizeof *x->v);
	o = &x->v[x->n++];
	o->start = s;
	o->end = s + (long long)x->duration * 60;
	snprintf(o->key, sizeof o->key, "%04d%02d%02d", t->year, t->month,
	    t->day);
	wall_text(t, o->wall);
	return 0;
}

int
ical_expand(const char *start, const char *tzid, int duration,
    const char *rrule, char *const *exdate, size_t nexdate,
    long long from, long long to, size_t max,
    struct ical_occurrence **out, size_t *n, char **err)
{
	struct expansion x;

	*out = NULL;
	*n = 0;
	memset(&x, 0, sizeof x);
	x.from = from;
	x.to = to;
	x.duration = duration;
	x.max = max;
	if (walk(start, tzid, rrule, exdate, nexdate, to, keep_occurrence, &x,
	    err) == -1) {
		free(x.v);
		return -1;
	}
	*out = x.v;
	*n = x.n;
	return 0;
}

/* The rule without its end: every part but COUNT and UNTIL, in the
 * order written.  Caller frees. */
static char *
rule_pattern(const char *rrule)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *p = rrule, *semi;
	size_t n;

	while (*p != '\0') {
		semi = strchr(p, ';');
		n = semi != NULL ? (size_t)(semi - p) : strlen(p);
		if (n > 0 && strncasecmp(p, "COUNT=", 6) != 0 &&
		    strncasecmp(p, "UNTIL=", 6) != 0) {
			if (b.len > 0)
				buf_addc(&b, ';');
			buf_add(&b, p, n);
		}
		p += n + (semi != NULL);
	}
	return buf_detach(&b);
}

struct recurrence_walk {
	const char *first;          /* the wall time the event starts at */
	int         started;        /* first was met */
	long long   first_start;
	long long   last;           /* UTC start of the last occurrence */
	char        last_wall[16];
	struct buf  exdate;
	long long   bound;          /* walked this far for EXDATEs */
};

static int
recurrence_step(void *arg, const struct icaltimetype *t, long long s,
    int excl)
{
	struct recurrence_walk *w = arg;
	char wall[16];

	wall_text(t, wall);
	if (!w->started) {
		if (strcmp(wall, w->first) < 0)
			return 0;
		if (strcmp(wall, w->first) > 0)
			return 1;       /* first is not an occurrence */
		w->started = 1;
		w->first_start = s;
	}
	if (excl) {
		if (w->exdate.len > 0)
			buf_addc(&w->exdate, ',');
		buf_adds(&w->exdate, wall);
	}
	w->last = s;
	memcpy(w->last_wall, wall, sizeof wall);
	return s > w->bound;
}

int
ical_recurrence(const char *start, const char *tzid, const char *rrule,
    char *const *exdate, size_t nexdate, const char *first,
    struct ical_recurrence *out, char **err)
{
	struct icalrecurrencetype r;
	struct recurrence_walk w;
	struct ical_local x;
	long long bound = 0, s;
	size_t i;
	int finite;

	memset(out, 0, sizeof *out);
	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(rrule);
	icalerror_clear_errno();
	finite = r.count != 0 || !icaltime_is_null_time(r.until);
	/* An endless rule is walked as far as its last EXDATE. */
	for (i = 0; i < nexdate; i++)
		if (ical_parse_local(exdate[i], 1, &x) == 0) {
			x.hour = x.minute = 0;
			x.is_date = 0;
			if ((s = ical_local_to_utc(&x, tzid) + 2 * 86400) > bound)
				bound = s;
		}
	memset(&w, 0, sizeof w);
	w.first = first;
	w.exdate = (struct buf)BUF_INIT(BUF_OWN);
	w.bound = finite ? 253402000000LL : bound;
	if (walk(start, tzid, rrule, exdate, nexdate, 253402000000LL,
	    recurrence_step, &w, err) == -1) {
		buf_release(&w.exdate);
		return -1;
	}
	if (!w.started) {
		buf_release(&w.exdate);
		return 1;
	}
	out->dtstart = w.first_start;
	out->exdate = buf_detach(&w.exdate);
	out->rrule = rule_pattern(rrule);
	if (finite)
		ical_recurrence_end(out, tzid, w.last_wall);
	return 0;
}

void
ical_recurrence_end(struct ical_recurrence *r, const char *tzid,
    const char *last_wall)
{
	struct icaltimetype t = icaltime_from_string(last_wall), u;
	char *rule, *semi;

	/* The end of the last occurrence's day: every reader takes that
	 * occurrence in, whatever it makes of a DST change at its time,
	 * and the next one out (one a day at most, ical_rrule_check()). */
	t.hour = 23;
	t.minute = 59;
	t.second = 59;
	u = icaltime_from_timet_with_zone((time_t)wall_to_utc(t, zone(tzid),
	    NULL), 0, icaltimezone_get_utc_timezone());
	rule = rule_pattern(r->rrule);
	semi = rule[0] != '\0' ? ";" : "";
	free(r->rrule);
	r->rrule = xasprintf("%s%sUNTIL=%04d%02d%02dT%02d%02d%02dZ", rule, semi,
	    u.year, u.month, u.day, u.hour, u.minute, u.second);
	free(rule);
	r->until = wall_to_utc(t, zone(tzid), NULL);
}

void
ical_recurrence_clear(struct ical_recurrence *r)
{
	free(r->rrule);
	free(r->exdate);
	memset(r, 0, sizeof *r);
}

int
ical_wall_exact(const char *wall, const char *tzid)
{
	struct icaltimetype t = icaltime_from_string(wall), back;
	icaltimezone *z = zone(tzid);
	long long s;
	int folded;

	if (z == NULL || icaltime_is_null_time(t))
		return 1;
	s = wall_to_utc(t, z, &folded);
	if (folded)
		return 0;
	back = icaltime_from_timet_with_zone((time_t)s, 0,
	    icaltimezone_get_utc_timezone());
	back = icaltime_convert_to_zone(back, z);
	return back.hour == t.hour && back.minute == t.minute &&
	    back.day == t.day;
}

void
ical_localtime(long long utc, const char *tzid, struct ical_tm *out)
{
	icaltimezone *z = zone(tzid);
	struct icaltimetype t;

	t = icaltime_from_timet_with_zone((time_t)utc, 0,
	    icaltimezone_get_utc_timezone());
	if (z != NULL)
		t = icaltime_convert_to_zone(t, z);
	out->year = t.year;
	out->month = t.month;
	out->day = t.day;
	out->hour = t.hour;
	out->minute = t.minute;
	out->wday = icaltime_day_of_week(t) - 1;
	/* Of the instant, not of the wall time: in a fold that comes twice. */
	out->utcoff = z ? offset_at(z, utc) / 60 : 0;
}

/* Quotes cannot be escaped inside a parameter value (RFC 5545 3.2), so a
 * display name loses them rather than break the line. */
static char *
param_text(const char *s)
{
	char *p = xstrdup(s ? s : ""), *q;

	for (q = p; *q; q++)
		if (*q == '"')
			*q = '\'';
	return p;
}

static icalproperty *
mailto_prop(icalproperty *(*make)(const char *), const char *email,
    const char *name)
{
	char *v = xasprintf("mailto:%s", email);
	icalproperty *p = make(v);

	free(v);
	if (name != NULL && *name != '\0') {
		char *cn = param_text(name);

		icalproperty_add_parameter(p, icalparameter_new_cn(cn));
		free(cn);
	}
	return p;
}

/* 1 when the wall time of utc in z comes twice (a DST fold).  RFC 5545
 * reads it as the first occurrence, but ical.js, python3-icalendar and
 * libical itself take the second: such a time is written in UTC, which
 * every parser reads alike. */
static int
wall_time_ambiguous(long long utc, icaltimezone *z)
{
	struct icaltimetype t;
	int folded;

	t = icaltime_from_timet_with_zone((time_t)utc, 0,
	    icaltimezone_get_utc_timezone());
	t = icaltime_convert_to_zone(t, z);
	return wall_to_utc(t, z, &folded) != utc || folded;
}

static icalproperty *
zoned_time(icalproperty *(*make)(struct icaltimetype), long long utc,
    const char *tzid)
{
	icaltimezone *z = zone(tzid);
	struct icaltimetype t;
	icalproperty *p;

	t = icaltime_from_timet_with_zone((time_t)utc, 0,
	    icaltimezone_get_utc_timezone());
	if (z == NULL || strcmp(tzid, "UTC") == 0)
		return make(t);
	if (wall_time_ambiguous(utc, z))
		return make(t);
	t = icaltime_convert_to_zone(t, z);
	t.zone = NULL;          /* written as floating + TZID parameter */
	p = make(t);
	icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
	return p;
}

/* A wall time (YYYYMMDDTHHMMSS) as written, with TZID: what a rule
 * reads, in a DST gap or fold too, where zoned_time() would write UTC. */
static icalproperty *
wall_time(icalproperty *(*make)(struct icaltimetype), const char *wall,
    const char *tzid)
{
	struct icaltimetype t = icaltime_from_string(wall);
	icalproperty *p;

	t.zone = NULL;
	p = make(t);
	if (tzid != NULL && strcmp(tzid, "UTC") != 0)
		icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
	return p;
}

/* A master's RRULE and its EXDATEs, one property each (as Google
 * writes them; every reader takes that as it takes a list). */
static void
add_recurrence(icalcomponent *ve, const struct ical_event *e)
{
	struct icalrecurrencetype r;
	const char *p = e->exdate;
	char wall[16];
	size_t n;

	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(e->rrule);
	icalerror_clear_errno();
	icalcomponent_add_property(ve, icalproperty_new_rrule(r));
	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n == sizeof wall - 1) {
			memcpy(wall, p, n);
			wall[n] = '\0';
			icalcomponent_add_property(ve, wall_time(
			    icalproperty_new_exdate, wall, e->tzid));
		}
		p += n + (p[n] == ',');
	}
}

static icalparameter_partstat
partstat_enum(const char *s)
{
	static const struct { const char *name; icalparameter_partstat v; }
	    map[] = {
		{ "ACCEPTED", ICAL_PARTSTAT_ACCEPTED },
		{ "DECLINED", ICAL_PARTSTAT_DECLINED },
		{ "TENTATIVE", ICAL_PARTSTAT_TENTATIVE },
		{ "DELEGATED", ICAL_PARTSTAT_DELEGATED },
	};
	size_t i;

	for (i = 0; s != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(s, map[i].name) == 0)
			return map[i].v;
	return ICAL_PARTSTAT_NEEDSACTION;
}

static icalcomponent *
event_component(const struct ical_event *e)
{
	icalcomponent *ve = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	struct icaltimetype stamp;
	icalproperty *p;
	size_t i;

	stamp = icaltime_from_timet_with_zone((time_t)e->dtstamp, 0,
	    icaltimezone_get_utc_timezone());
	icalcomponent_add_property(ve, icalproperty_new_uid(e->uid));
	icalcomponent_add_property(ve, icalproperty_new_dtstamp(stamp));
	if (e->recurrence_id != NULL)
		icalcomponent_add_property(ve, wall_time(
		    icalproperty_new_recurrenceid, e->recurrence_id, e->tzid));
	icalcomponent_add_property(ve, icalproperty_new_sequence(e->sequence));
	icalcomponent_add_property(ve, e->start_wall != NULL ?
	    wall_time(icalproperty_new_dtstart, e->start_wall, e->tzid) :
	    zoned_time(icalproperty_new_dtstart, e->start, e->tzid));
	icalcomponent_add_property(ve, zoned_time(icalproperty_new_dtend,
	    e->end, e->tzid));
	if (e->rrule != NULL)
		add_recurrence(ve, e);
	icalcomponent_add_property(ve, icalproperty_new_summary(e->summary));
	if (e->description != NULL)
		icalcomponent_add_property(ve,
		    icalproperty_new_description(e->description));
	if (e->location != NULL && *e->location != '\0') {
		icalcomponent_add_property(ve,
		    icalproperty_new_location(e->location));
		if (strncmp(e->location, "https://", 8) == 0 ||
		    strncmp(e->location, "http://", 7) == 0)
			icalcomponent_add_property(ve,
			    icalproperty_new_url(e->location));
	}
	if (e->categories != NULL)
		icalcomponent_add_property(ve,
		    icalproperty_new_categories(e->categories));
	icalcomponent_add_property(ve, icalproperty_new_status(e->cancelled ?
	    ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ve, icalproperty_new_transp(
	    e->cancelled ? ICAL_TRANSP_TRANSPARENT : ICAL_TRANSP_OPAQUE));
	icalcomponent_add_property(ve, mailto_prop(icalproperty_new_organizer,
	    e->org_email, e->org_name));
	for (i = 0; i < e->natt; i++) {
		const struct ical_attendee *a = &e->att[i];
		icalparameter_partstat ps = partstat_enum(a->partstat);

		p = mailto_prop(icalproperty_new_attendee, a->email, a->name);
		icalproperty_add_parameter(p, icalparameter_new_role(a->chair ?
		    ICAL_ROLE_CHAIR : a->optional ? ICAL_ROLE_OPTPARTICIPANT :
		    ICAL_ROLE_REQPARTICIPANT));
		icalproperty_add_parameter(p, icalparameter_new_partstat(ps));
		if (a->delegated_from != NULL) {
			char *from = xasprintf("mailto:%s", a->delegated_from);

			icalproperty_add_parameter(p,
			    icalparameter_new_delegatedfrom(from));
			free(from);
		}
		/* An answer that stands needs no other (an update that keeps
		 * it); clients then show no Accept/Decline for it. */
		icalproperty_add_parameter(p, icalparameter_new_rsvp(
		    e->cancelled || ps != ICAL_PARTSTAT_NEEDSACTION ?
		    ICAL_RSVP_FALSE : ICAL_RSVP_TRUE));
		icalcomponent_add_property(ve, p);
	}
	return ve;
}

/* The VTIMEZONEs cut last, most recent first.  A meeting's invitations
 * (one per attendee) all need the same cut, and cutting means cloning the
 * zone's whole history and expanding its rules: most of the cost of an
 * invitation before this cache (bench/RESULTS.md).  A hit returns a clone
 * of what the same arguments gave before, so the output is unchanged. */
#define VTZ_CACHE 8
#define ENDLESS   LLONG_MAX     /* a VTIMEZONE cut with no end */

static struct vtz_cached {
	char          *tzid;
	long long      from, to;
	icalcomponent *vtz;
} vtz_cache[VTZ_CACHE];

static void
vtz_cache_clear(void)
{
	size_t i;

	for (i = 0; i < VTZ_CACHE; i++) {
		free(vtz_cache[i].tzid);
		if (vtz_cache[i].vtz != NULL)
			icalcomponent_free(vtz_cache[i].vtz);
	}
	memset(vtz_cache, 0, sizeof vtz_cache);
}

static icalcomponent *vtimezone_cut(const char *, long long, long long);

/* The zone's VTIMEZONE, its TZID the bare IANA name (what Google and
 * Apple expect; Outlook reads the definition), cut to the years the events
 * need so a long history does not bloat every invitation.  The caller
 * owns the component returned. */
static icalcomponent *
vtimezone(const char *tzid, long long from, long long to)
{
	struct vtz_cached hit;
	icalcomponent *vtz;
	size_t i;

	for (i = 0; i < VTZ_CACHE && vtz_cache[i].tzid != NULL; i++)
		if (vtz_cache[i].from == from && vtz_cache[i].to == to &&
		    strcmp(vtz_cache[i].tzid, tzid) == 0)
			break;
	if (i < VTZ_CACHE && vtz_cache[i].tzid != NULL) {
		hit = vtz_cache[i];
	} else {
		if ((vtz = vtimezone_cut(tzid, from, to)) == NULL)
			return NULL;
		i = VTZ_CACHE - 1;
		free(vtz_cache[i].tzid);
		if (vtz_cache[i].vtz != NULL)
			icalcomponent_free(vtz_cache[i].vtz);
		hit.tzid = xstrdup(tzid);
		hit.from = from;
		hit.to = to;
		hit.vtz = vtz;
	}
	/* move to the front */
	memmove(&vtz_cache[1], &vtz_cache[0], i * sizeof vtz_cache[0]);
	vtz_cache[0] = hit;
	return icalcomponent_new_clone(hit.vtz);
}

static icalcomponent *
vtimezone_cut(const char *tzid, long long from, long long to)
{
	icaltimezone *z = zone(tzid);
	icalcomponent *vtz;
	icalproperty *p;
	struct icaltimetype s, e;

	if (z == NULL || strcmp(tzid, "UTC") == 0)
		return NULL;
	vtz = icalcomponent_new_clone(icaltimezone_get_component(z));
	s = icaltime_from_timet_with_zone((time_t)(from - 366LL * 86400), 0,
	    icaltimezone_get_utc_timezone());
	/* An endless series keeps every rule to come: readers that take
	 * the VTIMEZONE (ical.js, Outlook) need them for its last years. */
	e = to == ENDLESS ? icaltime_null_time() :
	    icaltime_from_timet_with_zone((time_t)(to + 366LL * 86400), 0,
	    icaltimezone_get_utc_timezone());
	icaltimezone_truncate_vtimezone(vtz, s, e, 1);
	if ((p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)))
		icalproperty_set_tzid(p, tzid);
	if ((p = icalcomponent_get_first_property(vtz, ICAL_TZUNTIL_PROPERTY))) {
		/* RFC 7808's TZUNTIL confuses older clients; drop it. */
		icalcomponent_remove_property(vtz, p);
		icalproperty_free(p);
	}
	return vtz;
}

/* The last instant an event needs its zone for: its end, a recurring
 * one's last day, or ENDLESS. */
static long long
event_last(const struct ical_event *e)
{
	if (e->rrule == NULL)
		return e->end;
	return e->recur_until != 0 ? e->recur_until + 86400 : ENDLESS;
}

static char *build_text(const char *, const struct ical_event *, size_t);

/* The calendar of one event built last, cut around its DESCRIPTION and
 * ORGANIZER, the only lines that differ between the readers of a
 * meeting (the text in their language, their reply address).  The
 * next reader's calendar is the same text with their two lines in the
 * cuts: libical writes a component as its properties one after the
 * other, each the text it has on its own, so the result is the bytes
 * a full build would give, at a tenth of the cost (a VTIMEZONE and
 * every ATTENDEE written once per meeting, not once per reader). */
static struct {
	struct buf key;         /* everything else the event says */
	char      *text;        /* NULL: nothing kept */
	size_t     desc, desc_end, org, org_end;
} last_cal = { BUF_INIT(BUF_OWN), NULL, 0, 0, 0, 0 };

static void
key_str(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "-;");
	else
		buf_addf(b, "%zu:%s;", strlen(s), s);
}

/* What decides a calendar of one event but its DESCRIPTION and its
 * ORGANIZER's address: each string with its length, so no two events
 * write the same key. */
static void
event_key(struct buf *b, const char *method, const struct ical_event *e)
{
	size_t i;

	buf_reset(b);
	key_str(b, method);
	buf_addf(b, "%d;%lld;%lld;%lld;%d;%lld;", e->sequence, e->dtstamp,
	    e->start, e->end, e->cancelled, e->recur_until);
	key_str(b, e->uid);
	key_str(b, e->tzid);
	key_str(b, e->summary);
	key_str(b, e->location);
	key_str(b, e->org_name);
	key_str(b, e->categories);
	key_str(b, e->rrule);
	key_str(b, e->exdate);
	key_str(b, e->start_wall);
	key_str(b, e->recurrence_id);
	for (i = 0; i < e->natt; i++) {
		buf_addf(b, "%d%d", e->att[i].chair, e->att[i].optional);
		key_str(b, e->att[i].email);
		key_str(b, e->att[i].name);
		key_str(b, e->att[i].partstat);
		key_str(b, e->att[i].delegated_from);
	}
}

/* The extent [*from, *to) of the content line that starts with name
 * (folded lines included): 0, or -1 when there is none. */
static int
line_at(const char *text, const char *name, size_t *from, size_t *to)
{
	char *want = xasprintf("\r\n%s", name);
	const char *p = strstr(text, want), *q;

	free(want);
	if (p == NULL)
		return -1;
	*from = (size_t)(p + 2 - text);
	for (q = p + 2; (q = strstr(q, "\r\n")) != NULL; q += 2)
		if (q[2] != ' ' && q[2] != '\t')
			break;
	if (q == NULL)
		return -1;
	*to = (size_t)(q + 2 - text);
	return 0;
}

/* Keep text, the calendar last_cal.key describes, for the next reader. */
static void
keep_calendar(const char *text)
{
	free(last_cal.text);
	last_cal.text = NULL;
	if (line_at(text, "DESCRIPTION", &last_cal.desc,
	    &last_cal.desc_end) == -1 || line_at(text, "ORGANIZER",
	    &last_cal.org, &last_cal.org_end) == -1 ||
	    last_cal.desc_end > last_cal.org)
		return;
	last_cal.text = xstrdup(text);
}

/* One property written as libical writes it inside a component. */
static void
add_prop(struct buf *b, icalproperty *p)
{
	char *t = icalproperty_as_ical_string_r(p);

	buf_adds(b, t);
	free(t);
	icalproperty_free(p);
}

/* The calendar kept, with e's DESCRIPTION and ORGANIZER. */
static char *
splice_calendar(const struct ical_event *e)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *t = last_cal.text;

	buf_add(&b, t, last_cal.desc);
	add_prop(&b, icalproperty_new_description(e->description));
	buf_add(&b, t + last_cal.desc_end, last_cal.org - last_cal.desc_end);
	add_prop(&b, mailto_prop(icalproperty_new_organizer, e->org_email,
	    e->org_name));
	buf_adds(&b, t + last_cal.org_end);
	return buf_detach(&b);
}

char *
ical_build(const char *method, const struct ical_event *ev, size_t nev)
{
	struct buf key = BUF_INIT(BUF_OWN);
	char *text;

	if (nev != 1 || ev->description == NULL)
		return build_text(method, ev, nev);
	event_key(&key, method, ev);
	if (last_cal.text != NULL && key.len == last_cal.key.len &&
	    memcmp(key.data, last_cal.key.data, key.len) == 0) {
		buf_release(&key);
		return splice_calendar(ev);
	}
	text = build_text(method, ev, nev);
	buf_release(&last_cal.key);
	last_cal.key = key;
	keep_calendar(text);
	return text;
}

/* The calendar written by libical from scratch. */
static char *
build_text(const char *method, const struct ical_event *ev, size_t nev)
{
	icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalcomponent *vtz;
	char *text;
	size_t i, j;

	icalcomponent_add_property(cal,
	    icalproperty_new_prodid("-//convened//convened 1.0//EN"));
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(cal, icalproperty_new_method(
	    icalproperty_string_to_method(method)));
	for (i = 0; i < nev; i++) {
		long long from = ev[i].start, to = event_last(&ev[i]);

		for (j = 0; j < i; j++)
			if (strcmp(ev[j].tzid, ev[i].tzid) == 0)
				break;
		if (j < i)
			continue;
		for (j = i + 1; j < nev; j++)
			if (strcmp(ev[j].tzid, ev[i].tzid) == 0) {
				if (ev[j].start < from)
					from = ev[j].start;
				if (event_last(&ev[j]) > to)
					to = event_last(&ev[j]);
			}
		if ((vtz = vtimezone(ev[i].tzid, from, to)) != NULL)
			icalcomponent_add_component(cal, vtz);
	}
	for (i = 0; i < nev; i++)
		icalcomponent_add_component(cal, event_component(&ev[i]));
	text = icalcomponent_as_ical_string_r(cal);
	icalcomponent_free(cal);
	return text;
}

void
ical_shutdown(void)
{
	vtz_cache_clear();
	zone_cache_clear();
	free(last_cal.text);
	last_cal.text = NULL;
	buf_release(&last_cal.key);
	if (dynlib_ical.loaded)
		icaltimezone_free_builtin_timezones();
}

/* ---- reading iTIP ---- */

#define ITIP_MAX_EVENTS 500

/* A copy of v without white space around it (caller frees); NULL when
 * nothing is left. */
static char *
itip_trimmed(const char *v)
{
	char *r = xstrdup(v);

	memmove(r, str_trim(r), strlen(str_trim(r)) + 1);
	if (*r == '\0') {
		free(r);
		return NULL;
	}
	return r;
}

/* The first n bytes of v, trimmed as itip_trimmed(). */
static char *
itip_trimmed_n(const char *v, size_t n)
{
	char *c = xstrndup(v, n), *r = itip_trimmed(c);

	free(c);
	return r;
}

/* An address from a CAL-ADDRESS value: without mailto:, lower-case. */
static char *
itip_addr(const char *v)
{
	char *r;

	if (v == NULL)
		return NULL;
	while (isspace((unsigned char)*v))
		v++;
	if (strncasecmp(v, "mailto:", 7) == 0)
		v += 7;
	if ((r = itip_trimmed(v)) != NULL)
		str_lower(r);
	return r;
}

static char *
itip_upper(const char *v)
{
	char *r;
	size_t i;

	if (v == NULL || (r = itip_trimmed(v)) == NULL)
		return NULL;
	for (i = 0; r[i]; i++)
		r[i] = (char)toupper((unsigned char)r[i]);
	return r;
}

static int
itip_time_possible(struct icaltimetype t)
{
	if (t.year < 1 || t.year > 9999 || t.month < 1 || t.month > 12 ||
	    t.day < 1 || t.day > icaltime_days_in_month(t.month, t.year))
		return 0;
	if (t.is_date)
		return 1;
	return t.hour >= 0 && t.hour < 24 && t.minute >= 0 && t.minute < 60 &&
	    t.second >= 0 && t.second <= 60;
}

/* A DATE-TIME property of ev as UTC seconds, its TZID resolved through
 * the calendar's VTIMEZONEs, then libical's builtin zones.  0 when read,
 * 1 when absent, -1 (with *err) when impossible. */
static int
itip_time(icalcomponent *ev, icalproperty_kind kind, const char *what,
    long long *utc, struct buf *warn, char **err)
{
	icalproperty *p = icalcomponent_get_first_property(ev, kind);
	icalparameter *tzp;
	struct icaltimetype t;
	const icaltimezone *z;

	if (p == NULL)
		return 1;
	t = icalproperty_get_datetime_with_component(p, ev);
	if (icaltime_is_null_time(t) || !itip_time_possible(t)) {
		*err = xasprintf("impossible %s in calendar object", what);
		return -1;
	}
	z = t.zone;
	tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	if (z == NULL && !icaltime_is_utc(t) && tzp != NULL) {
		const char *tzid = icalparameter_get_tzid(tzp);

		if (warn->len == 0)
			buf_addf(warn, "unknown TZID \"%.60s\" read as UTC",
			    tzid ? tzid : "");
	}
	if (z == NULL)
		z = icaltimezone_get_utc_timezone();
	*utc = (long long)icaltime_as_timet_with_zone(t, z);
	return 0;
}

static char *
itip_iso(long long utc)
{
	struct icaltimetype t;

	t = icaltime_from_timet_with_zone((time_t)utc, 0,
	    icaltimezone_get_utc_timezone());
	return xasprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.month,
	    t.day, t.hour, t.minute, t.second);
}

/* An ATTENDEE's PARTSTAT, upper-case; NEEDS-ACTION when it has none. */
static char *
itip_partstat(icalproperty *p)
{
	icalparameter *ps;
	char *v, *partstat = NULL;

	ps = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
	if (ps != NULL && (v = icalparameter_as_ical_string_r(ps))) {
		const char *eq = strchr(v, '=');

		partstat = itip_upper(eq ? eq + 1 : v);
		free(v);
	}
	return partstat != NULL ? partstat : xstrdup("NEEDS-ACTION");
}

/* The first address of a DELEGATED-TO or DELEGATED-FROM parameter of p
 * ("mailto:a", or a quoted list of them), as itip_addr(); or NULL. */
static char *
itip_delegation(icalproperty *p, icalparameter_kind kind)
{
	icalparameter *d = icalproperty_get_first_parameter(p, kind);
	const char *v;
	char *first, *r;

	if (d == NULL)
		return NULL;
	v = kind == ICAL_DELEGATEDTO_PARAMETER ?
	    icalparameter_get_delegatedto(d) :
	    icalparameter_get_delegatedfrom(d);
	if (v == NULL)
		return NULL;
	while (*v == '"' || isspace((unsigned char)*v))
		v++;
	first = xstrndup(v, strcspn(v, "\",\""));
	r = itip_addr(first);
	free(first);
	if (r != NULL && strchr(r, '@') == NULL) {
		free(r);
		r = NULL;
	}
	return r;
}

/* The value of a parameter libical does not know (kept as an IANA
 * token while itip parsing: ical_parse_itip()), or NULL. */
static const char *
itip_iana_param(icalproperty *p, const char *name)
{
	icalparameter *q;
	const char *n;

	for (q = icalproperty_get_first_parameter(p, ICAL_IANA_PARAMETER);
	    q != NULL;
	    q = icalproperty_get_next_parameter(p, ICAL_IANA_PARAMETER))
		if ((n = icalparameter_get_iana_name(q)) != NULL &&
		    strcasecmp(n, name) == 0)
			return icalparameter_get_iana_value(q);
	return NULL;
}

/* Apple's proposal of another time on an ATTENDEE (ical.h): 0 with *utc
 * set, -1 when there is none that is open and readable.  A local time
 * is read in zone, the event's DTSTART zone (UTC when NULL). */
static int
itip_apple_proposal(icalproperty *p, const icaltimezone *zone,
    long long *utc)
{
	const char *v = itip_iana_param(p, "TO-ALL-PROPOSED-NEW-TIME");
	const char *st, *dt;
	char when[32];
	struct icaltimetype t;
	size_t n;

	if (v == NULL || (dt = strstr(v, "DTSTART:")) == NULL)
		return -1;
	dt += strlen("DTSTART:");
	if ((n = strcspn(dt, ";\"")) == 0 || n >= sizeof when)
		return -1;
	memcpy(when, dt, n);
	when[n] = '\0';
	/* ACCEPTED or DECLINED: the organizer has settled it already. */
	if ((st = strstr(v, "STATUS:")) != NULL &&
	    strncmp(st + strlen("STATUS:"), "NEEDS-ACTION", 12) != 0)
		return -1;
	icalerror_clear_errno();
	t = icaltime_from_string(when);
	icalerror_clear_errno();
	if (icaltime_is_null_time(t) || t.is_date || !itip_time_possible(t))
		return -1;
	if (!icaltime_is_utc(t) && zone == NULL)
		zone = icaltimezone_get_utc_timezone();
	*utc = (long long)icaltime_as_timet_with_zone(t, icaltime_is_utc(t) ?
	    icaltimezone_get_utc_timezone() : zone);
	return 0;
}

/* The ATTENDEEs of ve with an address, at most ICAL_ITIP_MAX_ATTENDEES
 * (warn says when there were more). */
static void
itip_attendees(icalcomponent *ve, struct ical_itip_event *e,
    const icaltimezone *zone, struct buf *warn)
{
	struct ical_itip_attendee *a;
	icalproperty *p;
	char *email;

	for (p = icalcomponent_get_first_property(ve, ICAL_ATTENDEE_PROPERTY);
	    p != NULL;
	    p = icalcomponent_get_next_property(ve, ICAL_ATTENDEE_PROPERTY)) {
		if ((email = itip_addr(icalproperty_get_attendee(p))) == NULL)
			continue;
		if (e->natt == ICAL_ITIP_MAX_ATTENDEES) {
			free(email);
			e->att_capped = 1;
			continue;
		}
		if (e->natt % 16 == 0)
			e->att = xreallocarray(e->att, e->natt + 16,
			    sizeof *e->att);
		a = &e->att[e->natt++];
		memset(a, 0, sizeof *a);
		a->email = email;
		a->partstat = itip_partstat(p);
		a->has_proposed = itip_apple_proposal(p, zone, &a->proposed) == 0;
		a->delegated_to = itip_delegation(p, ICAL_DELEGATEDTO_PARAMETER);
		a->delegated_from = itip_delegation(p,
		    ICAL_DELEGATEDFROM_PARAMETER);
	}
	if (e->att_capped)
		buf_addf(warn, "%smore than %d attendees in %.80s, the rest "
		    "ignored", warn->len ? "; " : "", ICAL_ITIP_MAX_ATTENDEES,
		    e->uid);
}

/* The zone of ve's DTSTART, when it names one that could be read. */
static const icaltimezone *
itip_zone(icalcomponent *ve)
{
	icalproperty *p;

	p = icalcomponent_get_first_property(ve, ICAL_DTSTART_PROPERTY);
	return p ? icalproperty_get_datetime_with_component(p, ve).zone : NULL;
}

/* The attendee's comment (ical.h), cut at ICAL_ITIP_MAX_COMMENT bytes on
 * a character's edge; NULL when there is none. */
static char *
itip_comment(icalcomponent *ve)
{
	icalproperty *p;
	const char *v = NULL, *n;
	size_t len = 0, k;

	if ((p = icalcomponent_get_first_property(ve, ICAL_COMMENT_PROPERTY)))
		v = icalproperty_get_comment(p);
	for (p = icalcomponent_get_first_property(ve, ICAL_X_PROPERTY);
	    v == NULL && p != NULL;
	    p = icalcomponent_get_next_property(ve, ICAL_X_PROPERTY))
		if ((n = icalproperty_get_x_name(p)) != NULL &&
		    strcasecmp(n, "X-CALENDARSERVER-PRIVATE-COMMENT") == 0)
			v = icalproperty_get_x(p);
	if (v == NULL)
		return NULL;
	while (v[len] != '\0' && (k = str_utf8_len(v + len,
	    ICAL_ITIP_MAX_COMMENT - len)) > 0)
		len += k;
	return len > 0 ? itip_trimmed_n(v, len) : NULL;
}

static int
itip_event(icalcomponent *ve, struct ical_itip_event *e, struct buf *warn,
    char **err)
{
	icalproperty *p;
	const char *s;
	long long rid;
	int r;

	s = icalcomponent_get_uid(ve);
	if (s == NULL || *s == '\0') {
		*err = xstrdup("calendar object has a VEVENT without UID");
		return -1;
	}
	e->uid = xstrdup(s);
	if ((p = icalcomponent_get_first_property(ve, ICAL_SEQUENCE_PROPERTY)))
		e->sequence = icalproperty_get_sequence(p);
	if ((p = icalcomponent_get_first_property(ve, ICAL_DTSTAMP_PROPERTY))) {
		struct icaltimetype t = icalproperty_get_dtstamp(p);

		if (!icaltime_is_null_time(t) && itip_time_possible(t))
			e->dtstamp = (long long)icaltime_as_timet_with_zone(t,
			    icaltimezone_get_utc_timezone());
	}
	r = itip_time(ve, ICAL_DTSTART_PROPERTY, "DTSTART", &e->dtstart, warn,
	    err);
	if (r == -1)
		return -1;
	e->has_dtstart = r == 0;
	r = itip_time(ve, ICAL_DTEND_PROPERTY, "DTEND", &e->dtend, warn, err);
	if (r == -1)
		return -1;
	e->has_dtend = r == 0;
	r = itip_time(ve, ICAL_RECURRENCEID_PROPERTY, "RECURRENCE-ID", &rid,
	    warn, err);
	if (r == -1)
		return -1;
	if (r == 0) {
		e->recurrence_id = itip_iso(rid);
		e->recurrence = rid;
	}
	if ((p = icalcomponent_get_first_property(ve, ICAL_STATUS_PROPERTY)))
		e->status = itip_upper(icalproperty_get_value_as_string(p));
	if ((s = icalcomponent_get_summary(ve)) != NULL)
		e->summary = xstrdup(s);
	if ((p = icalcomponent_get_first_property(ve, ICAL_ORGANIZER_PROPERTY)))
		e->organizer = itip_addr(icalproperty_get_organizer(p));
	e->comment = itip_comment(ve);
	itip_attendees(ve, e, itip_zone(ve), warn);
	return 0;
}

/* The VCALENDAR in text, the whole of it or inside what it is.  *root is
 * what the caller frees.  NULL with *err set, nothing to free. */
static icalcomponent *
itip_calendar(const char *text, icalcomponent **root, char **err)
{
	icalcomponent *cal;

	*root = NULL;
	if (text == NULL || *text == '\0') {
		*err = xstrdup("empty calendar object");
		return NULL;
	}
	if (!str_is_utf8(text)) {
		*err = xstrdup("calendar object is not valid UTF-8");
		return NULL;
	}
	icalerror_set_errors_are_fatal(0);
	icalerror_clear_errno();
	*root = icalparser_parse_string(text);
	icalerror_clear_errno();
	if (*root == NULL) {
		*err = xstrdup("no calendar object could be read");
		return NULL;
	}
	if (icalcomponent_isa(*root) == ICAL_VCALENDAR_COMPONENT)
		cal = *root;
	else
		cal = icalcomponent_get_first_component(*root,
		    ICAL_VCALENDAR_COMPONENT);
	if (cal == NULL) {
		icalcomponent_free(*root);
		*root = NULL;
		*err = xstrdup("no VCALENDAR in calendar object");
	}
	return cal;
}

/* The METHOD of cal, else the Content-Type's method=; when both are there
 * and differ, the calendar's wins and warn says so.  Caller frees. */
static char *
itip_method(icalcomponent *cal, const char *method_hint, struct buf *warn)
{
	icalproperty *p;
	char *method = NULL, *m;

	if ((p = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY)))
		method = itip_upper(icalproperty_get_value_as_string(p));
	if (method_hint == NULL || *method_hint == '\0')
		return method;
	m = itip_upper(method_hint);
	if (method == NULL)
		return m;
	if (strcmp(m, method) != 0)
		buf_addf(warn, "METHOD %.20s differs from Content-Type "
		    "method=%.20s", method, m);
	free(m);
	return method;
}

/* The VEVENTs of cal into it->ev, at most ITIP_MAX_EVENTS (warn says when
 * there were more).  0, or -1 with *err set: none, or one unreadable. */
static int
itip_events(icalcomponent *cal, struct ical_itip *it, struct buf *warn,
    char **err)
{
	icalcomponent *ve;

	for (ve = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	    ve != NULL;
	    ve = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
		if (it->nev == ITIP_MAX_EVENTS) {
			buf_addf(warn, "%smore than %d VEVENTs, the rest ignored",
			    warn->len ? "; " : "", ITIP_MAX_EVENTS);
			break;
		}
		it->ev = xreallocarray(it->ev, it->nev + 1, sizeof *it->ev);
		memset(&it->ev[it->nev], 0, sizeof it->ev[it->nev]);
		it->nev++;
		if (itip_event(ve, &it->ev[it->nev - 1], warn, err) == -1)
			return -1;
	}
	if (it->nev == 0) {
		*err = xstrdup("calendar object has no VEVENT");
		return -1;
	}
	return 0;
}

int
ical_parse_itip(const char *text, const char *method_hint,
    struct ical_itip **out, char **err)
{
	icalcomponent *root, *cal;
	struct ical_itip *it;
	struct buf warn = BUF_INIT(BUF_OWN);
	ical_unknown_token_handling unknown;
	int rc;

	*out = NULL;
	*err = NULL;
	/* Unknown parameters (Apple's TO-ALL-PROPOSED-NEW-TIME) are kept,
	 * not dropped, while the object is read; the setting is global to
	 * libical, so it is put back for what builds our own objects. */
	unknown = ical_get_unknown_token_handling_setting();
	ical_set_unknown_token_handling_setting(ICAL_ASSUME_IANA_TOKEN);
	cal = itip_calendar(text, &root, err);
	ical_set_unknown_token_handling_setting(unknown);
	if (cal == NULL)
		return -1;
	it = xcalloc(1, sizeof *it);
	it->method = itip_method(cal, method_hint, &warn);
	rc = itip_events(cal, it, &warn, err);
	icalcomponent_free(root);
	icalerror_clear_errno();
	if (rc == -1) {
		buf_release(&warn);
		ical_itip_free(it);
		return -1;
	}
	if (warn.len > 0)
		it->warning = buf_detach(&warn);
	buf_release(&warn);
	*out = it;
	return 0;
}

void
ical_itip_free(struct ical_itip *it)
{
	size_t i, j;

	if (it == NULL)
		return;
	for (i = 0; i < it->nev; i++) {
		struct ical_itip_event *e = &it->ev[i];

		free(e->uid);
		free(e->recurrence_id);
		free(e->status);
		free(e->summary);
		free(e->organizer);
		free(e->comment);
		for (j = 0; j < e->natt; j++) {
			free(e->att[j].email);
			free(e->att[j].partstat);
			free(e->att[j].delegated_to);
			free(e->att[j].delegated_from);
		}
		free(e->att);
	}
	free(it->ev);
	free(it->method);
	free(it->warning);
	free(it);
}

/* ical.h: the one door to libical (RFC 5545 values, time zones, RRULE).
 *
 * No other module includes libical headers; what they need of it is here,
 * in plain C types. */
#ifndef CONVENED_ICAL_H
#define CONVENED_ICAL_H

/* A wall-clock time with no zone, as written in the configuration. */
struct ical_local {
	int year, month, day;
	int hour, minute;
	int is_date;          /* only the date was given */
};

/* 1 when tzid names an IANA zone libical can use. */
int ical_tz_known(const char *tzid);

/* Parse "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM"), and "YYYY-MM-DD" too
 * when allow_date.  Rejects impossible dates and times.  0 or -1. */
int ical_parse_local(const char *s, int allow_date, struct ical_local *out);

/* Check an RRULE value (without "RRULE:").  0, or -1 with *err set to a
 * reason the caller frees. */
int ical_rrule_check(const char *rrule, char **err);

/* The wall-clock time lt in zone tzid as seconds since the epoch (UTC).
 * Times that fall in a DST gap move forward as RFC 5545 says. */
long long ical_local_to_utc(const struct ical_local *lt, const char *tzid);

/* Calendar year of utc seen from zone tzid. */
int ical_year_in_zone(long long utc, const char *tzid);

/* Start of 1 January of year in zone tzid, as UTC seconds. */
long long ical_year_start(int year, const char *tzid);

/* Release libical's caches (for leak checkers at exit). */
void ical_shutdown(void);

#endif

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

/* One occurrence of a series. */
struct ical_occurrence {
	long long start, end;      /* UTC seconds */
	char      key[9];          /* YYYYMMDD: local date of the rule's own
	                            * start, the occurrence's identity */
};

/* Expand a series written as in the configuration (start "YYYY-MM-DD
 * HH:MM" local to tzid, duration in minutes, rrule or NULL for a single
 * meeting, exdates "YYYY-MM-DD" or "YYYY-MM-DD HH:MM") and keep the
 * occurrences that start in [from, to).  At most `max` are returned.
 * *out is the caller's to free.  0, or -1 with *err set. */
int ical_expand(const char *start, const char *tzid, int duration,
        const char *rrule, char *const *exdate, size_t nexdate,
        long long from, long long to, size_t max,
        struct ical_occurrence **out, size_t *n, char **err);

/* Broken-down local time of utc in tzid, with the weekday (0 = Sunday)
 * and the offset from UTC in minutes. */
struct ical_tm {
	int year, month, day, hour, minute, wday;
	int utcoff;
};
void ical_localtime(long long utc, const char *tzid, struct ical_tm *out);

struct ical_attendee {
	const char *email;
	const char *name;          /* CN; may be NULL */
	int         chair;         /* a coordinator: ROLE=CHAIR */
	int         optional;      /* a guest: ROLE=OPT-PARTICIPANT */
	const char *partstat;      /* NULL: NEEDS-ACTION; any other answer
	                            * is written with RSVP=FALSE */
};

struct ical_event {
	const char *uid;
	int         sequence;
	long long   dtstamp;
	long long   start, end;
	const char *tzid;
	const char *summary;
	const char *description;   /* may be NULL */
	const char *location;      /* may be NULL; a URL also goes in URL */
	const char *org_name;
	const char *org_email;
	int         cancelled;
	const struct ical_attendee *att;
	size_t      natt;
	const char *categories;    /* may be NULL: meeting kind */
};

/* A VCALENDAR with PRODID, VERSION, METHOD (REQUEST, CANCEL or PUBLISH),
 * one VTIMEZONE per TZID used (cut to the years around the events) and one
 * VEVENT per event; CRLF line ends, folded at 75 octets.  Returns text the
 * caller frees. */
char *ical_build(const char *method, const struct ical_event *ev, size_t nev);

/* Release libical's caches (for leak checkers at exit). */
void ical_shutdown(void);

/* ---- reading iTIP ---- */

/* What an incoming calendar object (RFC 5546) says, in plain C.  All
 * strings belong to the struct ical_itip; free it with ical_itip_free(). */
#define ICAL_ITIP_MAX_ATTENDEES 500   /* more are dropped, and said so */

struct ical_itip_attendee {
	char *email;               /* lower-case, without mailto: */
	char *partstat;            /* upper-case; NEEDS-ACTION when absent */
};

struct ical_itip_event {
	char      *uid;
	char      *recurrence_id;  /* "YYYY-MM-DDTHH:MM:SSZ" (UTC), or NULL */
	int        sequence;       /* 0 when absent */
	long long  dtstamp;        /* unix seconds, 0 when absent */
	long long  dtstart;        /* unix seconds; valid when has_dtstart */
	int        has_dtstart;
	char      *status;         /* upper-case STATUS, or NULL */
	char      *summary;        /* or NULL */
	char      *organizer;      /* lower-case, without mailto:, or NULL */
	struct ical_itip_attendee *att;
	size_t     natt;
	int        att_capped;     /* more than ICAL_ITIP_MAX_ATTENDEES */
};

struct ical_itip {
	char   *method;            /* upper-case; NULL when neither the object
	                            * nor method_hint gives one */
	struct ical_itip_event *ev; /* VEVENTs in order; at least one */
	size_t  nev;
	char   *warning;           /* one line when something was dropped or
	                            * guessed (attendee cap, METHOD differs
	                            * from the hint, unknown TZID), or NULL */
};

/* Read one VCALENDAR from text (UTF-8).  method_hint is the method= of the
 * Content-Type, used when the object has no METHOD (may be NULL).  Each
 * VEVENT needs a UID and, when given, a possible DTSTART.  DTSTART with a
 * TZID is resolved through the object's own VTIMEZONE first (Windows
 * names like "Romance Standard Time"), then libical's builtin zones; a
 * TZID found in neither is read as UTC and named in warning.  0 with *out
 * (free with ical_itip_free), or -1 with *err, a one-line reason the
 * caller frees.  Never prints; never aborts on input. */
int  ical_parse_itip(const char *text, const char *method_hint,
         struct ical_itip **out, char **err);
void ical_itip_free(struct ical_itip *);

#endif

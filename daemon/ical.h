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
	char      wall[16];        /* YYYYMMDDTHHMMSS: the rule's own local
	                            * time, which may not exist (a DST gap)
	                            * or come twice (a fold): what a
	                            * RECURRENCE-ID or EXDATE names */
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

/* A series as one recurring event (RFC 5545 3.8.5), from one of its
 * occurrences on.  Strings are the caller's: ical_recurrence_clear(). */
struct ical_recurrence {
	long long dtstart;         /* UTC start of that first occurrence */
	long long until;           /* UTC end of the last occurrence's local
	                            * day; 0: the rule has no end */
	char     *rrule;           /* the RRULE value to write: the rule as
	                            * configured, its COUNT or UNTIL replaced
	                            * by an UNTIL in UTC at `until`, which
	                            * every reader takes alike (RFC 5545 wants
	                            * UTC with a zoned DTSTART; COUNT would
	                            * count from a later first occurrence) */
	char     *exdate;          /* the EXDATEs from first on, as rule walls
	                            * (ical_occurrence.wall) comma-separated;
	                            * "" none */
};

/* The series as configured (as for ical_expand()) from its occurrence at
 * wall time first (ical_occurrence.wall) on.  0 with *out filled, 1 when
 * the rule has no occurrence at first (its time or its pattern changed),
 * -1 with *err set. */
int  ical_recurrence(const char *start, const char *tzid, const char *rrule,
         char *const *exdate, size_t nexdate, const char *first,
         struct ical_recurrence *out, char **err);

/* End r with the occurrence at last_wall: its rrule gets an UNTIL at the
 * end of that day instead of any end it had, and until is set. */
void ical_recurrence_end(struct ical_recurrence *r, const char *tzid,
         const char *last_wall);
void ical_recurrence_clear(struct ical_recurrence *);

/* 1 when the wall time (YYYYMMDDTHHMMSS) comes exactly once in tzid, 0
 * when a DST gap skips it or a fold repeats it: readers then disagree on
 * its instant (ical.c, zoned times). */
int  ical_wall_exact(const char *wall, const char *tzid);

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
	const char *delegated_from; /* a delegate: the address of the
	                            * attendee who delegated (RFC 5546
	                            * 2.1.5, DELEGATED-FROM); else NULL */
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
	/* A recurring event (the master) or one of its occurrences; all
	 * NULL for an event on its own.  Walls are YYYYMMDDTHHMMSS local to
	 * tzid, written with TZID. */
	const char *rrule;         /* RRULE value: a master */
	const char *exdate;        /* a master's EXDATE walls, comma-separated */
	long long   recur_until;   /* a master's end (ical_recurrence.until),
	                            * 0: endless, and its VTIMEZONE keeps every
	                            * rule to come */
	const char *start_wall;    /* a master's DTSTART as the rule reads it,
	                            * written so even in a DST gap or fold */
	const char *recurrence_id; /* an occurrence's RECURRENCE-ID */
};

/* A VCALENDAR with PRODID, VERSION, METHOD (REQUEST, CANCEL or PUBLISH),
 * one VTIMEZONE per TZID used (cut to the years around the events) and one
 * VEVENT per event; CRLF line ends, folded at 75 octets.  Returns text the
 * caller frees.  The text of a single event with a DESCRIPTION is kept
 * until the next call or ical_shutdown(): the same event again with
 * another DESCRIPTION or ORGANIZER address (the next reader) is written
 * from it, byte for byte what a build from scratch gives. */
char *ical_build(const char *method, const struct ical_event *ev, size_t nev);

/* Release libical's caches (for leak checkers at exit). */
void ical_shutdown(void);

/* ---- reading iTIP ---- */

/* What an incoming calendar object (RFC 5546) says, in plain C.  All
 * strings belong to the struct ical_itip; free it with ical_itip_free(). */
#define ICAL_ITIP_MAX_ATTENDEES 500   /* more are dropped, and said so */
#define ICAL_ITIP_MAX_COMMENT   2000  /* bytes of a comment kept */

struct ical_itip_attendee {
	char *email;               /* lower-case, without mailto: */
	char *partstat;            /* upper-case; NEEDS-ACTION when absent */
	/* Apple Calendar's proposal of another time in a REPLY: the
	 * parameter TO-ALL-PROPOSED-NEW-TIME="DTSTART:<time>;STATUS:<s>;"
	 * (Apple's iCalendar framework, ICSAlternateTimeProposal).  A time
	 * in UTC, or local to the event's DTSTART zone; only a proposal
	 * still open (STATUS NEEDS-ACTION, or none) is read. */
	long long proposed;        /* unix seconds; valid when has_proposed */
	int       has_proposed;
	/* RFC 5546 2.1.5 delegation: the first address of DELEGATED-TO and
	 * of DELEGATED-FROM, as email above, or NULL. */
	char     *delegated_to;
	char     *delegated_from;
};

struct ical_itip_event {
	char      *uid;
	char      *recurrence_id;  /* "YYYY-MM-DDTHH:MM:SSZ" (UTC), or NULL */
	long long  recurrence;     /* the same in unix seconds, when set */
	int        sequence;       /* 0 when absent */
	long long  dtstamp;        /* unix seconds, 0 when absent */
	long long  dtstart;        /* unix seconds; valid when has_dtstart */
	int        has_dtstart;
	long long  dtend;          /* unix seconds; valid when has_dtend */
	int        has_dtend;
	char      *comment;        /* the attendee's words: the first COMMENT,
	                            * else X-CALENDARSERVER-PRIVATE-COMMENT
	                            * (Apple), at most ICAL_ITIP_MAX_COMMENT
	                            * bytes; or NULL */
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

/* recur.h: a series as one recurring event (RFC 5545, RFC 5546), for
 * plan.c.
 *
 * A series with a rule and `invitation = series` (config.h) reaches its
 * attendees as one event: a master VEVENT with RRULE and EXDATE, and an
 * override (RECURRENCE-ID) for each occurrence that differs from it (a
 * confirmed agenda, a start the rule's wall time cannot name alike for
 * every reader: in a DST gap or fold).  Its meetings stay one row each
 * in the store (store.h's series_uid names the event), so quota, status
 * and report count occurrences as before.
 *
 * The event (store.h's series_events):
 *
 *  - UID "<group>-<series>-<YYYYMMDD>-series@<organizer domain>", the
 *    date that of its first occurrence; never reused;
 *  - it starts at the first occurrence still to come when it is made,
 *    after every meeting of the series already invited on its own
 *    (before this release, or as `invitation = occurrence`): those keep
 *    their own events until they are over, so no calendar shows a
 *    meeting twice;
 *  - its RRULE is the whole series as configured, not the planning
 *    horizon: an end (COUNT or UNTIL) becomes an UNTIL in UTC at the end
 *    of the last occurrence's day (ical.h's recurrence); without one the
 *    event has no end and its VTIMEZONE keeps every rule to come;
 *  - one SEQUENCE for the event and all its occurrences, raised once a
 *    cycle before the first message that changes what someone holds: a
 *    reader never sees an override or a master with a SEQUENCE below one
 *    it has.
 *
 * What each change sends (every message to one attendee; ORGANIZER,
 * Reply-To and Message-ID carry their token for the event, letter.h):
 *
 *  - an attendee whose first meeting of the event is due (invite_lead_days
 *    before it): the master and its overrides, REQUEST, once; they are
 *    then invited to every meeting of the event as it is planned, without
 *    further mail;
 *  - an occurrence whose agenda is confirmed: REQUEST with that
 *    occurrence alone (RECURRENCE-ID, its own DESCRIPTION);
 *  - an EXDATE added for occurrences already planned, and nothing else
 *    changed: CANCEL with RECURRENCE-ID for each, to everyone holding the
 *    event; the master's EXDATE follows without a message of its own;
 *  - a change of title, place, kind, end or EXDATEs otherwise: the master
 *    and its overrides again, REQUEST, answers kept;
 *  - a change of time (start, duration, rule, zone): while no occurrence
 *    has started, the master and its overrides again, answers asked
 *    afresh; after, the event ends at its last started occurrence (the
 *    master again with that UNTIL, so calendars keep what was held) and
 *    a new event with a new UID starts at the next occurrence;
 *  - the series removed, or its rule, or turned to `invitation =
 *    occurrence`: the event ends the same way, or is CANCELled whole when
 *    nothing of it has started; meetings still to come then go as events
 *    of their own;
 *  - an attendee who leaves the group: CANCEL of the whole event to them
 *    alone, as they held it (their calendar drops its past meetings too,
 *    as Outlook and Google do for someone removed from a series).
 *
 * Answers (inbox.c, store.h's store_meeting_for_reply()): a REPLY with
 * the event's UID and no RECURRENCE-ID answers for every meeting of it
 * still to come, and for those planned later; one with a RECURRENCE-ID
 * answers for that meeting alone. */
#ifndef CONVENED_RECUR_H
#define CONVENED_RECUR_H

#include <stddef.h>

#include "ical.h"

struct config;
struct cycle_stats;
struct group;
struct series;
struct store;
struct store_plan_meeting;

/* An occurrence a series wants now (plan.c's expansion). */
struct recur_want {
	const struct series   *s;
	struct ical_occurrence o;
	char                  *uid;     /* its meeting's */
	int                    seen;    /* matched a stored meeting */
};

/* The attendees of series event uid of series s, as plan.c counts them
 * (members, guests of an open series, then the delegates members sent to
 * the event); partstat NULL.  The caller frees the array, not the
 * strings (borrowed from the configuration and the plan's cycle). */
typedef struct ical_attendee *recur_attendees_fn(void *arg,
    const struct series *s, const char *uid, size_t *n);

struct recur_ctx {
	const struct config *cfg;
	struct store        *st;
	long long            now;
	struct cycle_stats  *cs;
	const struct group  *g;
	recur_attendees_fn  *attendees;
	void                *arg;
};

/* A group's series events for one planning cycle (opaque). */
struct recur;

/* Bring every series event of the group in line with the configuration,
 * before its meetings are planned: departures are cancelled, masters
 * compared, events ended and made, meetings not yet invited to any event
 * joined to their series' event.  want[0..nwant) is what the series want
 * in the window.  NULL with *err set (caller frees) on failure; else the
 * caller ends it with recur_end(), or recur_free() after an error. */
struct recur *recur_begin(const struct recur_ctx *, const struct recur_want *,
        size_t nwant, char **err);

/* A new meeting (row, not yet stored) of its series' event, when the
 * series has one that it starts within: sets row->series_uid and
 * row->recurrence_id (from w).  Store it, then store_series_share(). */
void recur_link(struct recur *, struct store_plan_meeting *row,
        const struct recur_want *w);

/* For a message about one occurrence of event uid: the SEQUENCE to
 * write (the event's, raised for the first such message of the cycle)
 * and whether its messages name the organizer's plain address.  0, or
 * -1 with *err set. */
int  recur_occurrence(struct recur *, const char *uid, int *sequence,
        int *plain, char **err);

/* 1 when email holds event uid (was sent it, and not its CANCEL). */
int  recur_holds(struct recur *, const char *uid, const char *email);

/* email is to be sent event uid this cycle (their first meeting of it is
 * due), by recur_end(). */
void recur_send(struct recur *, const char *uid, const char *email);

/* 1 when the master of event uid goes to everyone holding it this cycle
 * (it changed, or the event ended): what its meetings changed travels
 * with it; also 1 for an event that is gone. */
int  recur_master_changes(struct recur *, const char *uid);

/* After the meetings: the masters due (to new holders, to every holder
 * of an event that changed), then every event recorded.  Frees r, also
 * on failure (-1, *err set). */
int  recur_end(struct recur *r, char **err);
void recur_free(struct recur *);

/* An event's UID (caller frees). */
char *recur_uid(const struct config *, const char *group_id,
        const char *series, const char *first_wall);

#endif

/* plan.h: from the configured series to meetings, invitations, updates
 * and cancellations in the outbox.
 *
 * Each cycle every group's series are expanded over [now, now +
 * horizon_days) and reconciled with the meetings in the store, in one
 * transaction per group (cycle.h's runner):
 *
 *  - a meeting's identity is (group, series, local date of the rule's own
 *    start); its UID "<group>-<series>-<YYYYMMDD>@<organizer domain>" never
 *    changes and is never reused;
 *  - a new occurrence is stored; its invitations are due invite_lead_days
 *    before it starts (at once when it is already closer);
 *  - a change of time, duration, place, summary or kind raises SEQUENCE and
 *    sends every attendee an update;
 *  - an occurrence that disappears (EXDATE, RRULE change, series removed)
 *    is cancelled: CANCEL with a higher SEQUENCE to everyone invited;
 *  - an attendee no longer in the group gets a CANCEL for the upcoming
 *    meetings they were invited to, as they were invited to them (before
 *    a change the same cycle makes), and nobody else is mailed;
 *  - an attendee added gets the invitations already due.
 *
 * That is how meetings reach their attendees one at a time: a single
 * meeting, and a series with `invitation = occurrence`.  A series with a
 * rule and `invitation = series` (the default) goes as one recurring
 * event instead (recur.h): its meetings are planned, stored, moved and
 * cancelled as above, one row each, but what attendees receive is the
 * event and its exceptions.  The choices, in short (recur.h has them in
 * full; the README and convened.ini(5) say why):
 *
 *  - REQUEST of the master with its overrides (RFC 5546 3.2.2) once per
 *    attendee, when the first meeting is due; its RRULE is the whole
 *    series as configured (COUNT or UNTIL as an UNTIL in UTC), not the
 *    horizon, which only decides what is planned;
 *  - one meeting changed (its agenda): REQUEST with its RECURRENCE-ID
 *    alone (RFC 5546 3.2.2), as Exchange and Thunderbird send it; one
 *    cancelled by an EXDATE: CANCEL with its RECURRENCE-ID (3.2.5), the
 *    master's EXDATE following silently; anything else: the master again
 *    with its overrides;
 *  - one SEQUENCE for the event and every override, raised once a cycle
 *    before the first change sent: whatever part of the event a reader
 *    compares a message with, the message's SEQUENCE is above it;
 *  - a new time after meetings were held ends the event there (UNTIL)
 *    and starts another: calendars keep the meetings as they were;
 *  - a member who joins gets the event from its start, as Outlook and
 *    Google do; one who leaves gets the whole event CANCELled;
 *  - meetings of a series invited one at a time before keep their own
 *    events until they are over; the event starts after them.
 *
 * Every message is queued (letter.h) in the same transaction that records
 * it as sent to the attendee, under a Message-ID derived from kind,
 * meeting (or series event), SEQUENCE and recipient: planning twice
 * queues nothing twice. */
#ifndef CONVENED_PLAN_H
#define CONVENED_PLAN_H

struct config;
struct cycle_ctx;
struct group;

/* Plan one group (cycle.h's per-group step): its series over [now, now +
 * horizon_days), its meetings, members and messages, in the transaction
 * the runner holds.  Adds to c->cs's meetings_new, meetings_changed,
 * meetings_cancelled and queued.  Returns 0, or -1 with *err set (caller
 * frees): a template that will not render, a series libical refuses, the
 * store; the runner then rolls the whole group back. */
int plan_group(const struct cycle_ctx *c, const struct group *g,
        char **err);

/* The UID of an occurrence (for tests and the inbox): caller frees.  A
 * series event's is recur_uid()'s. */
char *plan_uid(const struct config *, const char *group_id,
        const char *series, const char *key);

#endif

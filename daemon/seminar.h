/* seminar.h: open seminars and registration by mail (issue 16, items 2
 * and 3).
 *
 * A series with open = yes and seats = N (config.h) takes registrations
 * for each of its meetings.  When a meeting comes within the invitation
 * lead time, its announcement (letter kind seminar-announce, in the
 * group's language, the time in the series' zone and in UTC) goes once to
 * each address of the series' announce list; that it went is a store
 * warning (kind "seminar-announce", key the meeting's UID).
 *
 * How a registration finds its meeting: the announcement's Message-ID
 * (msgid.h) names the meeting, and a reply quotes it in In-Reply-To or
 * References; the first line of the reply's own text is REGISTER,
 * INSCRIBIR, INSCREVER or INSCRIRE (any case, accents free).  A reply to
 * an invitation of a meeting (forwarded to someone outside the group)
 * names its meeting the same way.  A new message that quotes none of our
 * Message-IDs registers for nothing.  The reply token the announcement
 * carries was made for the list, not for the registrant: a registration
 * proves nothing and needs nothing beyond the loop and address checks.
 *
 * A registrant is seated while fewer than seats are, and is then an
 * attendee of that meeting like a guest (plan.c): an invitation, its
 * updates and its cancellation.  The rest wait, in the order they came.
 * A seated registrant who declines (their RSVP recorded by inbox.c)
 * holds no seat at the next cycle (seminar_group(), before the plan):
 * the first waiting is seated, and the plan invites them in that cycle.
 * One who declined stays invited (they hear of changes, and may accept
 * again, but wait for no seat back).
 *
 * A meeting of a series that is not open (or has no seats) refuses a
 * registration with one letter (seminar-refusal), once per address and
 * meeting: the refusal is a row too.
 *
 * Abuse limits, constants because no administrator should need to tune
 * them: see SEMINAR_* below.  What they bound: per meeting, at most
 * seats + SEMINAR_WAITING_MAX rows of registrations and at most
 * SEMINAR_REFUSALS_MAX refusals (rows and letters); per address, at most
 * SEMINAR_ADDRESS_PER_DAY new registrations or refusals a day over all
 * meetings.  A registration over a limit changes nothing and is answered
 * by nobody; the first for a meeting tells [policy] admin, once (letter
 * seminar-flood; store warning kind "seminar-flood", key the UID).
 * Automatic replies and bounces never get here (classify.h); a message
 * that looks like our own come back (inbox.c's loop check), or whose
 * sender is not a valid address (addr.h), is ignored without an answer. */
#ifndef CONVENED_SEMINAR_H
#define CONVENED_SEMINAR_H

#include <stddef.h>

struct cycle_ctx;
struct group;
struct series;
struct store;
struct store_plan_meeting;

#define SEMINAR_ANNOUNCE        "seminar-announce"
#define SEMINAR_REFUSAL         "seminar-refusal"
#define SEMINAR_FLOOD           "seminar-flood"

#define SEMINAR_WAITING_MAX     20  /* on one meeting's waiting list */
#define SEMINAR_REFUSALS_MAX    20  /* refusals one closed meeting sends */
#define SEMINAR_ADDRESS_PER_DAY 3   /* new rows for one address a day */
#define SEMINAR_MEETING_PER_HOUR 60 /* new rows for one meeting an hour */

/* What a registration did. */
enum seminar_outcome {
	SEMINAR_SEATED,         /* seated: the plan invites them */
	SEMINAR_WAITING,        /* on the waiting list */
	SEMINAR_KNOWN,          /* registered (or refused) before: nothing */
	SEMINAR_REFUSE,         /* closed: send the one refusal */
	SEMINAR_LIMITED,        /* over a limit: nothing, nobody answered */
	SEMINAR_OVER            /* the meeting is cancelled or past */
};

/* Name of an outcome for log lines. */
const char *seminar_outcome_name(enum seminar_outcome);

/* 1 when the first line of unquoted (inbox_unquoted()) is REGISTER,
 * INSCRIBIR, INSCREVER or INSCRIRE (as milestone_first_word_in()). */
int  seminar_is_register_word(const char *unquoted);

/* 1 when series s takes registrations (open, seats > 0, and not sent as
 * one event: config_series_recurring()). */
int  seminar_open(const struct series *s);

/* email's registration for meeting r of g (s its series, NULL when gone),
 * by message_id, applied to the store in the caller's transaction.
 * *tell_admin is set to 1 when a limit refused it for the first time for
 * this meeting (the caller tells the admin).  The outcome, or -1 with
 * *err set (caller frees). */
int  seminar_register(struct store *st, const struct group *g,
         const struct series *s, const struct store_plan_meeting *r,
         const char *email, const char *message_id, long long now,
         int *tell_admin, char **err);

/* cycle.h's per-group step, before the plan: seats freed by those who
 * declined go to the waiting list, and announcements due go out.  0, or
 * -1 with *err set. */
int  seminar_group(const struct cycle_ctx *c, const struct group *g,
         char **err);

/* The seated and waiting registrants of meeting uid, for status and the
 * report.  0, or -1 with *err set. */
int  seminar_counts(struct store *st, const char *uid, long long *seated,
         long long *waiting, char **err);

#endif

/* milestone.h: the milestones of a group's plan of work (issue 15, item
 * 4): [milestone NAME] sections of a group file (config.h), each due on a
 * day of the group's time zone.
 *
 * Days are the group's: a milestone due on D falls due at 00:00 of D in
 * the group's zone, and is overdue from 00:00 of D + 1.  For each
 * milestone not yet done (milestone_group(), cycle.h's per-group step):
 *
 *   lead reminder   from 00:00 of D - lead_days until D: once, to its
 *                   owners (none when lead_days is 0);
 *   due reminder    from 00:00 of D, once, to its owners; a daemon that
 *                   did not run on D sends it at its first cycle within
 *                   MILESTONE_LATE_DAYS after, never later (a milestone
 *                   written into the file long after its day is not
 *                   announced as due);
 *   overdue notice  from 00:00 of D + 1, once, to [policy] admin (in the
 *                   admin's language, [daemon] language; the group's
 *                   where a template is missing).
 *
 * The owners are the group's coordinators (owner = coordinators), or its
 * coordinators with role secretariat (owner = secretariat: the
 * organisation that runs the secretariat, ECLAC in the seed, as the
 * coordination rule counts them); every coordinator when no coordinator
 * has that role (`check` warns).  Each reminder goes through the outbox
 * (letter.h) in the reader's language; that it went is recorded in the
 * store's warnings (kind "milestone-reminder", key "<name>.lead" or
 * "<name>.due"; kind "milestone-overdue", key "<name>") in the same
 * transaction, so nothing goes twice across restarts and crashes.
 *
 * A coordinator marks a milestone done by answering a reminder (its
 * Message-ID, msgid.h: kind milestone-reminder, ref the hash of the key)
 * with a first line DONE, HECHO, FEITO or FAIT (inbox.h).  The first day
 * it was marked done stands; a milestone done gets no more reminders and
 * is never overdue. */
#ifndef CONVENED_MILESTONE_H
#define CONVENED_MILESTONE_H

#include <stddef.h>

struct buf;
struct cycle_ctx;
struct group;
struct milestone;
struct store;

#define MILESTONE_REMINDER  "milestone-reminder"
#define MILESTONE_OVERDUE   "milestone-overdue"
#define MILESTONE_LATE_DAYS 7   /* a due reminder missed on its day may
                                 * still go this many days after */

/* The instants that decide what a milestone of a group in zone tzid is
 * owed at a given time (UTC seconds): 00:00 local of D - lead_days, of D,
 * of D + 1 and of D + MILESTONE_LATE_DAYS. */
struct milestone_days {
	long long lead, due, overdue, late;
};

/* The UTC instant of 00:00 local, in tzid, of the day `days` after date
 * ("YYYY-MM-DD"; days may be negative; months and years are crossed as
 * the calendar has them).  0 with *out, or -1 for a date that is not
 * one. */
int  milestone_day_start(const char *date, int days, const char *tzid,
         long long *out);

/* The days of ms in zone tzid.  0, or -1 when its due date is bad (the
 * configuration refuses one). */
int  milestone_days(const struct milestone *ms, const char *tzid,
         struct milestone_days *out);

/* 1 when the first line of unquoted (inbox_unquoted()) is, apart from
 * spaces and punctuation, one of DONE, HECHO, FEITO, FAIT, in any case,
 * accented letters read as their base letter (Fáit, FÉITO); else 0. */
int  milestone_is_done_word(const char *unquoted);
/* The same test for any words[] (NULL-terminated, in capitals, without
 * accents, under 16 bytes): 1 when the first line is one of them. */
int  milestone_first_word_in(const char *unquoted,
         const char *const *words);

/* The milestone of g one of whose reminders has ref (msgid.h's ref
 * field of the reminder's Message-ID), or NULL. */
const struct milestone *milestone_of_ref(const struct group *g,
        const char *ref);

/* cycle.h's per-group step: the reminders and the overdue notice owed at
 * c->now.  0, or -1 with *err set (caller frees). */
int  milestone_group(const struct cycle_ctx *c, const struct group *g,
         char **err);

/* Record ms of g done on the day of now in g's zone, by the message
 * message_id from sender (both may be NULL).  1 recorded, 0 done before,
 * -1 error (*err set).  The caller holds the transaction. */
int  milestone_mark_done(struct store *st, const struct group *g,
         const struct milestone *ms, long long now, const char *message_id,
         const char *sender, char **err);

/* What `status` and `report` show of a milestone: ms is borrowed from
 * the configuration; done is the day it was done (owned) or NULL;
 * overdue is 1 when it is not done and its day has passed at now. */
struct milestone_view {
	const struct milestone *ms;
	char *done;
	int   overdue;
};

/* The views of g's milestones in file order into *out (NULL when none;
 * free with milestone_views_free()).  0, or -1 with *err set. */
int  milestone_views(struct store *st, const struct group *g,
         long long now, struct milestone_view **out, size_t *n, char **err);
void milestone_views_free(struct milestone_view *, size_t);

/* The JSON array of the views: [{"name", "summary", "due", "done"
 * (date or null)}], appended to b. */
void milestone_json(struct buf *b, const struct milestone_view *v,
         size_t n);

#endif

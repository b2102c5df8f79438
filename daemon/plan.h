/* plan.h: from the configured series to meetings, invitations, updates
 * and cancellations in the outbox.
 *
 * Each cycle every group's series are expanded over [now, now +
 * horizon_days) and reconciled with the meetings in the store, in one
 * transaction per group:
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
 *    meetings they were invited to, and nobody else is mailed;
 *  - an attendee added gets the invitations already due.
 *
 * Every message is rendered and queued in the same transaction that
 * records it as sent to the attendee, under a Message-ID derived from
 * meeting, recipient and SEQUENCE: planning twice queues nothing twice. */
#ifndef CONVENED_PLAN_H
#define CONVENED_PLAN_H

#include <stddef.h>

#include "template.h"

struct config;
struct group;
struct store;
struct store_plan_meeting;

struct plan_stats {
	int meetings_new;
	int meetings_changed;
	int meetings_cancelled;
	int queued;             /* messages put in the outbox */
	int groups_failed;      /* groups whose transaction was rolled back */
};

/* Plan every group.  A group that fails (a template that will not render,
 * a database error) is rolled back and logged; the others go on.  Returns
 * 0, or -1 when the store itself failed (*err set, caller frees). */
int plan_run(const struct config *, struct store *, long long now,
        struct plan_stats *, char **err);

/* The variables of a message about a meeting, for one recipient: names,
 * the meeting's time in the recipient's zone and in its own, kind and
 * openness in the recipient's language.  Holds the strings it made until
 * plan_vars_free(); the others are borrowed from its arguments. */
#define PLAN_VARS_MAX 32
struct plan_vars {
	struct tvar v[PLAN_VARS_MAX];
	size_t      n;
	char       *own[12];
	size_t      nown;
};
void plan_vars_init(struct plan_vars *, const struct config *,
        const struct group *, const struct store_plan_meeting *, int open,
        const char *to_email, const char *to_name, const char *lang,
        const char *tz);
void plan_vars_add(struct plan_vars *, const char *name, const char *value);
/* Adds a value plan_vars takes ownership of. */
void plan_vars_take(struct plan_vars *, const char *name, char *value);
void plan_vars_free(struct plan_vars *);

/* The UID of an occurrence (for tests and the inbox): caller frees. */
char *plan_uid(const struct config *, const char *group_id,
        const char *series, const char *key);

#endif

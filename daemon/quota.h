/* quota.h: the plan of work's annual meeting quota, and the warnings
 * about it and about the coordination rule.
 *
 * One definition serves `status`, `report` and the warnings, so the three
 * cannot disagree.  For a group and a calendar year in the group's time
 * zone:
 *
 *   held       meetings in the store that start in the year, whose end
 *              has passed and that were not cancelled;
 *   scheduled  the year's meetings still to end: those in the store (not
 *              cancelled) and the occurrences of the group's series that
 *              the planner has not stored yet (beyond the planning
 *              horizon), matched by UID so that none counts twice;
 *   short_by   max(0, quota - held - scheduled), 0 for a year that is not
 *              judged: one before the group's first meeting (the earliest
 *              start of its series; a group with no series is not judged).
 *
 * Warnings (quota_group, cycle.h's per-group step, once a cycle):
 *
 *   quota-warning   at the latest [policy] quota_checks date the group's
 *                   local date has reached this year, to a group short of
 *                   quota.  Each checkpoint is looked at once per group and
 *                   year (recorded as kind "quota-check" in the warnings
 *                   table, warning or not), so a daemon that was down sends
 *                   one warning for the latest checkpoint, never one per
 *                   date it missed, and a group that fixed its schedule
 *                   before the checkpoint gets none.
 *   quota-year-end  in January, to a group that ended the previous year
 *                   short of quota; once.
 *   rule-warning    to a group that breaks the coordination rule, once per
 *                   membership (keyed on a digest of the sorted members'
 *                   addresses, coordinator flags and roles).
 *
 * Each goes to the group's coordinators, in each one's language and time
 * zone, and to [policy] admin; with no coordinator, to the admin alone
 * (notice.h), under Message-IDs of that kind, group and key (msgid.h). */
#ifndef CONVENED_QUOTA_H
#define CONVENED_QUOTA_H

#include <stddef.h>

struct config;
struct cycle_ctx;
struct group;
struct store;
struct store_meeting;

struct quota_year {
	int    year;
	int    quota;
	int    judged;          /* 0: before the group's first meeting */
	int    first_year;      /* of the first meeting; 0 without series */
	int    held, scheduled, short_by;
	/* The year's meetings ordered by start: the store's, cancelled ones
	 * included, and the series' occurrences not stored yet.  For the
	 * latter from_series[i] is 1 and only uid, group_id, series, start,
	 * end, kind, summary and tzid are set. */
	struct store_meeting *m;
	unsigned char *from_series;
	size_t nm;
};

/* Fill *q for group g and `year` as seen at `now`.  0, or -1 with *err set
 * (caller frees).  Release with quota_year_free(). */
int  quota_year(const struct config *, const struct group *g,
         struct store *, int year, long long now, struct quota_year *q,
         char **err);
void quota_year_free(struct quota_year *);

/* "held", "scheduled" or "cancelled": the same words as status --json. */
const char *quota_meeting_state(const struct store_meeting *, long long now);

/* The quota checkpoint, the year-end notice and the coordination rule
 * for g, in that order; see above.  Adds to c->cs->queued.  0, or -1 with
 * *err set (caller frees); the runner then rolls the group back. */
int  quota_group(const struct cycle_ctx *c, const struct group *g,
         char **err);

/* The key a rule-warning is recorded under for g's membership: "rule-"
 * and 16 hex digits.  Caller frees. */
char *quota_rule_key(const struct group *g);

#endif

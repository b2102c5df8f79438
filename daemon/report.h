/* report.h: what administrators read: `status`, the annual report and
 * each group's calendar feed.  All are views of the configuration and the
 * store, and count meetings with quota.c, so `status` and `report` for
 * the same year and moment cannot disagree.  Only report_calendar_write()
 * changes anything: the feeds in the repository, and in the store the
 * digests of what they show. */
#ifndef CONVENED_REPORT_H
#define CONVENED_REPORT_H

#include <stdio.h>

struct config;
struct group;
struct store;

/* Per group (or only `group` when not NULL): the calendar year that `now`
 * falls in, in the group's time zone; quota, held, scheduled, shortfall,
 * coordination rule, bouncing addresses and that year's meetings (those
 * the series will still bring beyond the planning horizon included, as
 * "scheduled" with agenda "pending" and no attendees).  json selects the
 * documented JSON contract, else a table for a terminal, which lists the
 * meetings only when one group is asked for.
 * 0, or -1 with *err set (caller frees). */
int report_status(FILE *, const struct config *, struct store *,
        long long now, const char *group, int json, char **err);

/* The annual report of every group for `year` as seen at `now`, in
 * `format` "md", "csv" or "json".  Groups come by kind (thematic by axis,
 * then subregional, then discussion), each followed by its subgroups.
 *
 * md: English Markdown for the secretariat's summary: a summary table,
 *   then per section (the order above) each group's figures (the
 *   addresses that bounce among them), a table with one row per meeting,
 *   and the documents archived.
 * csv: RFC 4180 (CRLF, quotes doubled, UTF-8 without BOM), a header row,
 *   one row per meeting; a group without meetings gets one row with the
 *   meeting columns empty.  Columns: year axis group_kind group_id
 *   group_name parent quota held scheduled short_by judged coordination_ok
 *   meeting_uid date (local "YYYY-MM-DD HH:MM") start_utc meeting_kind
 *   summary status agenda accepted declined tentative no_answer
 *   attendance_rate (accepted / invited, 0..1, empty when nobody was
 *   invited) minutes (archived path, empty when none).
 * json: {"year": N, "now": "ISO UTC", "groups": [{"id", "name", "kind",
 *   "axis" (null), "parent" (null), "timezone", "quota", "judged",
 *   "first_year" (null), "held", "scheduled", "short_by",
 *   "coordination_ok", "coordination_problem" (null), "bouncing": [...],
 *   "meetings": [{"uid", "start" (ISO UTC), "local_start", "kind",
 *   "summary", "status" (held|scheduled|cancelled), "announced" (false:
 *   from the series, not planned yet), "agenda" (pending|confirmed),
 *   "minutes" (path or null), "rsvp": {"accepted", "declined",
 *   "tentative", "needs_action"}, "attendance_rate" (number or null)}],
 *   "documents": [{"kind", "path", "meeting_uid" (null), "sender",
 *   "received" (ISO UTC)}]}]}
 * 0, or -1 with *err set (caller frees); -1 too for an unknown format. */
int report_annual(FILE *, const struct config *, struct store *,
        long long now, int year, const char *format, char **err);

/* The group's meetings in the store, cancelled ones with STATUS:CANCELLED,
 * as a METHOD:PUBLISH iCalendar object with its VTIMEZONEs (no
 * attendees: a feed may be shared wider than the group).  DTSTAMP is now.
 * Returns text the caller frees, or NULL with *err set. */
char *report_calendar(const struct config *, struct store *,
        const struct group *, long long now, char **err);

/* Write every group's feed to <repository>/<group>/calendar.ics
 * (file_write_atomic()), but only when it changed other than in DTSTAMP:
 * a digest of what the feed shows, kept in the store, skips rendering it
 * when nothing did.
 * *written (may be NULL) counts the files written.  A group whose file
 * cannot be written is logged and skipped.  Returns 0, or -1 when the
 * store failed (*err set, caller frees). */
int report_calendar_write(const struct config *, struct store *,
        long long now, int *written, char **err);
/* The same for the groups whose byte in only is set (only NULL: all of
 * them), as a cycle that ran only those (cycle.h) does. */
int report_calendar_write_some(const struct config *, struct store *,
        long long now, const unsigned char *only, int *written, char **err);

#endif

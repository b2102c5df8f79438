/* store.h: the state database (SQLite, WAL), the daemon's only memory.
 *
 * Only store.c talks to SQLite; everything else sees this API.
 *
 * Conventions:
 * - Functions return 0 on success and -1 on failure unless said otherwise.
 *   On failure a function with a `char **err` sets *err to an allocated
 *   message (lowercase, failure first, naming the db path); the caller frees
 *   it.  *err is left alone on success.
 * - String arguments are only read during the call; the store keeps no
 *   pointer to them.
 * - Times are unix seconds, UTC (long long).
 * - Addresses are passed lower-case (config and inbox normalise them); the
 *   email columns compare case-insensitively too, so a stray capital cannot
 *   make a second row.
 * - A writer that changes several rows is atomic on its own (savepoint).
 *   A caller that reads, decides and then writes wraps the whole in
 *   store_begin()/store_commit() so another process cannot slip in between.
 * - A struct store is used by one thread at a time. */
#ifndef CONVENED_STORE_H
#define CONVENED_STORE_H

#include <stddef.h>

struct store;                                   /* opaque */

#define STORE_SCHEMA_VERSION 2

/* Open (create if absent) the state database at `path`: WAL journal,
 * synchronous=NORMAL, foreign_keys=ON, busy_timeout 5000 ms; then run the
 * numbered migrations up to STORE_SCHEMA_VERSION, each in its own
 * transaction, recording the version in PRAGMA user_version.
 * Refused (NULL, *err set): a database with a newer schema than this binary
 * knows, a file that is not an SQLite database, an SQLite database that
 * belongs to another application.
 * The returned store is freed with store_close(); `path` is copied. */
struct store *store_open(const char *path, char **err);

/* Test hook: as store_open(), but migrate only up to version `upto`
 * (0 <= upto <= STORE_SCHEMA_VERSION); a database already past `upto` is
 * refused as "newer".  Used to build a version 1 database and upgrade it. */
struct store *store_open_upto(const char *path, int upto, char **err);

/* Finalize every statement and close the connection.  NULL is a no-op. */
void store_close(struct store *);

/* PRAGMA user_version of the open database; -1 when it cannot be read. */
int  store_schema_version(struct store *);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  0 / -1; a failure is logged with
 * log_warnx (there is nothing else the caller could add). */
int  store_begin(struct store *);
int  store_commit(struct store *);
int  store_rollback(struct store *);

/* ---- writers (the planner and inbox will add more) ---- */

/* Insert the group, or update its name; first_seen keeps its first value. */
int  store_group_sync(struct store *, const char *id, const char *name,
         long long now, char **err);

struct store_member {
	const char *email;
	const char *name;               /* NULL allowed in every field below */
	const char *language;
	const char *timezone;
	const char *role;
	int         coordinator;
};
/* Make the group's current members exactly `m[0..n)`: insert or update each
 * one (clearing removed_at if it had left), and set removed_at = now for
 * current members not in the list.  Rows are never deleted: a removed
 * member's invitations and bounces still need a name.  The group must exist
 * (store_group_sync). */
int  store_member_sync(struct store *, const char *group_id,
         const struct store_member *m, size_t n, long long now, char **err);

struct store_meeting_in {
	const char *uid;                /* stable for the occurrence's life */
	const char *group_id;           /* must exist (store_group_sync) */
	const char *series;
	long long   orig_start;         /* the RRULE's own time: identity */
	long long   start, end;         /* where it is now (moved or not) */
	const char *tzid;               /* NULL allowed from here on */
	const char *summary;
	const char *location;
	const char *kind;               /* meeting | seminar | workshop | ... */
	int         sequence;
	int         cancelled;
};
/* Insert the meeting, or update its schedule, text, sequence and status by
 * uid.  Agenda state, agenda text and minutes are left as they are: other
 * paths own them. */
int  store_meeting_upsert(struct store *, const struct store_meeting_in *,
         char **err);

/* The coordinators confirmed the agenda: agenda_state = 'confirmed' and the
 * agenda text (NULL keeps the current text).  -1 with *err if no such uid. */
int  store_meeting_confirm_agenda(struct store *, const char *uid,
         const char *agenda, char **err);

/* Record the archived minutes' path (relative to the repository).
 * -1 with *err if no such uid. */
int  store_meeting_set_minutes(struct store *, const char *uid,
         const char *path, char **err);

/* Record that the REQUEST with `sequence` went to `email` for the meeting:
 * inserts the invitation (partstat NEEDS-ACTION) or updates sequence_sent,
 * and clears `cancelled` (an attendee can come back). */
int  store_invitation_set(struct store *, const char *meeting_uid,
         const char *email, int sequence, char **err);

/* The attendee was sent a CANCEL for this meeting. */
int  store_invitation_cancel(struct store *, const char *meeting_uid,
         const char *email, char **err);

/* Apply an iTIP REPLY's PARTSTAT (ACCEPTED | DECLINED | TENTATIVE |
 * NEEDS-ACTION | DELEGATED) if its DTSTAMP is not older than the last one
 * applied: replies can arrive out of order.  Returns 1 applied, 0 ignored
 * (stale, or no such invitation), -1 error. */
int  store_invitation_reply(struct store *, const char *meeting_uid,
         const char *email, const char *partstat, long long dtstamp,
         long long now, char **err);

/* A DSN for `email` (schema 2).  The newest report decides status and
 * permanence; count, first_at and last_at accumulate.  When an address
 * turns permanent, notified_at is cleared so the coordinators hear of it. */
int  store_bounce_record(struct store *, const char *email,
         const char *status, int permanent, long long at, char **err);

/* ---- queries for `convened status` ---- */

struct store_attendee {
	char *email;
	char *partstat;
};

struct store_meeting {
	char  *uid, *group_id, *series;
	long long start, end;           /* unix seconds, UTC */
	int    sequence;
	int    cancelled;               /* status = 'cancelled' */
	int    agenda_confirmed;
	char  *minutes_path;            /* NULL when none */
	/* From the invitations that are not cancelled; DELEGATED counts in
	 * none of these but is listed among the attendees. */
	int    accepted, declined, tentative, needs_action;
	struct store_attendee *attendees;   /* ordered by email */
	size_t nattendees;
};

/* Meetings of a group with start in [from, to), ordered by start, read from
 * one snapshot.  On success *out is an array of *n (NULL when 0) that the
 * caller frees with store_meetings_free(); on failure *out and *n are
 * untouched. */
int  store_group_meetings(struct store *, const char *group_id,
         long long from, long long to, struct store_meeting **out, size_t *n,
         char **err);
void store_meetings_free(struct store_meeting *, size_t);

/* Addresses of the group's current members (removed_at IS NULL) that have a
 * permanent bounce, sorted.  *out is freed by the caller with strv_free()
 * (util.h).  Needs schema 2. */
int  store_group_bouncing(struct store *, const char *group_id,
         char ***out, size_t *n, char **err);

#endif

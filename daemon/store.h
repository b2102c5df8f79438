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

#define STORE_SCHEMA_VERSION 16

/* What is at path, told from the file's first bytes without SQLite and
 * without changing anything on disk. */
enum store_file {
	STORE_FILE_NONE,        /* no file: store_open() creates one */
	STORE_FILE_OURS,        /* convened's, as far as its header tells */
	STORE_FILE_REFUSED,     /* *err set: empty, truncated, not SQLite,
	                         * not a regular file, another program's */
	STORE_FILE_UNREADABLE   /* *err set: cannot be read (permissions) */
};
/* *err (caller frees) is set for the last two only and names path.  A
 * file is judged truncated when its header counts more pages than it
 * holds and no write-ahead log (path-wal) holds the rest. */
enum store_file store_probe(const char *path, char **err);

/* Open the state database at `path`, creating it when absent: WAL journal
 * with synchronous=NORMAL (FULL, with a warning, on a file system where
 * WAL cannot work), foreign_keys=ON, busy_timeout 5000 ms; then run the
 * numbered migrations up to STORE_SCHEMA_VERSION, each in its own
 * transaction, recording the version in PRAGMA user_version.  A new
 * database is made with auto_vacuum = INCREMENTAL; an older one is
 * rewritten to it once (see store_prune).
 * A new database is built under a temporary name beside it and linked
 * into place complete, so no crash leaves an empty one; when another
 * process created it meanwhile, theirs is opened.
 * Refused (NULL, *err set), and left exactly as found: what
 * store_probe() refuses, a database with a newer schema than this binary
 * knows, an SQLite database that belongs to another application.
 * The returned store is freed with store_close(); `path` is copied. */
struct store *store_open(const char *path, char **err);

/* Test hook: as store_open(), but migrate only up to version `upto`
 * (0 <= upto <= STORE_SCHEMA_VERSION; at least 1 to create one); a
 * database already past `upto` is refused as "newer".  Used to build a
 * version 1 database and upgrade it. */
struct store *store_open_upto(const char *path, int upto, char **err);

/* A second connection to a state db another one of this process opened
 * with store_open(), read-only: for a thread that reads what the other
 * commits (outbox.h's early sending).  WAL lets it read while the other
 * writes.  Only the readers below that take no transaction are for it. */
struct store *store_open_reader(const char *path, char **err);

/* PRAGMA optimize, finalize every statement and close the connection.
 * NULL is a no-op. */
void store_close(struct store *);

/* A message sent, and when: a line of outbox.h's sent log. */
struct store_sent {
	long long id;
	long long at;
};

/* An online copy of the state db at path into a new file dest, with
 * SQLite's backup API: one consistent snapshot however the daemon writes
 * meanwhile.  dest is created mode 0600 and never replaced: an existing
 * dest is refused.  The rows of sent[0..n), which went before the copy
 * began but are not marked in the state yet (outbox.h's early sending),
 * are marked 'sent' in the copy.  The copy is checked (PRAGMA
 * quick_check, convened's application_id) before it counts; on any
 * failure dest is removed.  0 with *bytes set to its size, or -1 with
 * *err set (caller frees). */
int  store_backup(const char *path, const char *dest,
         const struct store_sent *sent, size_t n, long long *bytes,
         char **err);

/* PRAGMA user_version of the open database; -1 when it cannot be read. */
int  store_schema_version(struct store *);

/* ---- what failed ----
 *
 * A call that fails says what in *err; store_failure() says whose fault
 * it was, for the one deciding what a failure means (inbox.h, cycle.h).
 * Worse comes later in the list. */
enum store_fail {
	STORE_FAIL_NONE,        /* nothing failed */
	STORE_FAIL_DATA,        /* what was to be written: a constraint, a
	                         * value too big; the same call fails again */
	STORE_FAIL_ENV,         /* the database's surroundings: busy or locked
	                         * by another process, disk full, read-only,
	                         * an I/O error, out of memory; it may work
	                         * later */
	STORE_FAIL_BROKEN       /* the database itself: corrupt, not a
	                         * database, a schema that does not fit */
};
/* The worst failure of this store's statements since it was opened or
 * store_failure_clear() was last called. */
enum store_fail store_failure(struct store *);
void store_failure_clear(struct store *);
/* SQLite's words for the last failure ("database is locked"), or
 * "unknown error"; valid until the next call on the store. */
const char *store_errmsg(struct store *);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  0 / -1; a failure is logged with
 * log_warnx (there is nothing else the caller could add), but one of the
 * surroundings (STORE_FAIL_ENV) at debug level only: the cycle tells it
 * once as an outage, with store_errmsg().  A rollback after SQLite
 * rolled back on its own (a full disk, an I/O error) does nothing and
 * succeeds. */
int  store_begin(struct store *);
int  store_commit(struct store *);
int  store_rollback(struct store *);

/* A part of the transaction store_begin() opened that can be undone on
 * its own (cycle.c: one group's step), as a savepoint: many parts cost
 * one transaction's locking, not one each.  store_part_end(ok): kept
 * when ok, else undone; both end the part.  0 / -1, logged as
 * store_begin(); store_part_end(s, 0) is -1 also when SQLite rolled the
 * whole transaction back on its own (a full disk, an I/O error): the
 * parts before went with it. */
int  store_part_begin(struct store *);
int  store_part_end(struct store *, int ok);

/* ---- writers ---- */

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
	int         content_seq;        /* SEQUENCE of the last change all
	                                 * attendees must hear of */
	int         cancelled;
	const char *series_uid;         /* the series event it is part of
	                                 * (schema 8), NULL: its own event */
	const char *recurrence_id;      /* its RECURRENCE-ID there: the
	                                 * rule's wall time, YYYYMMDDTHHMMSS */
};
/* Insert the meeting, or update its schedule, text, sequence, status and
 * series event by uid.  Agenda state, agenda text and minutes are left as they are: other
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
 * inserts the invitation or updates sequence_sent, and clears
 * `cancelled`: an attendee can come back, and then answers afresh.  A
 * new or returning invitation starts NEEDS-ACTION, or with the answer
 * the attendee gave for the whole series event the meeting is part of. */
int  store_invitation_set(struct store *, const char *meeting_uid,
         const char *email, int sequence, char **err);

/* The attendee was sent a CANCEL with `sequence` for this meeting. */
int  store_invitation_cancel(struct store *, const char *meeting_uid,
         const char *email, int sequence, char **err);

/* The meeting moved: every current attendee's answer is NEEDS-ACTION
 * again. */
int  store_invitation_reset(struct store *, const char *meeting_uid,
         char **err);

/* Apply an iTIP REPLY's PARTSTAT (ACCEPTED | DECLINED | TENTATIVE |
 * NEEDS-ACTION | DELEGATED) if its DTSTAMP is not older than the last one
 * applied: replies can arrive out of order.  meeting_uid may be a series
 * event's UID (store_meeting_for_reply()): the answer is then the
 * attendee's for the whole series, and for each of its meetings that
 * starts after now and has no newer answer of its own.  Returns 1
 * applied, 0 ignored (stale, or no such invitation), -1 error. */
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
	char  *kind;                    /* meeting | seminar | ... */
	char  *summary, *tzid;          /* NULL allowed */
	/* From the invitations that are not cancelled; DELEGATED counts in
	 * none of these but in delegated, and is listed among the
	 * attendees (a delegate is an attendee of their own). */
	int    accepted, declined, tentative, needs_action;
	int    delegated;
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

struct store_doc {
	char      *kind;                /* minutes | agreement | document | agenda */
	char      *path;                /* relative to the repository */
	char      *meeting_uid;         /* NULL when not tied to a meeting */
	char      *sender;
	long long  received;
};
/* Documents archived for a group's year: those of its meetings that start
 * in [from, to), and those tied to no meeting received in [from, to);
 * ordered by time received.  *out (NULL when none) is freed with
 * store_docs_free(). */
int  store_group_documents(struct store *, const char *group_id,
         long long from, long long to, struct store_doc **out, size_t *n,
         char **err);
void store_docs_free(struct store_doc *, size_t);

/* 1 when a meeting with this UID is stored (cancelled or not), 0 not,
 * -1 error. */
int  store_meeting_exists(struct store *, const char *uid, char **err);

/* 1 when someone who was never a member of the meeting's group was
 * invited to it (a guest: the meeting was open then), 0 not, -1 error. */
int  store_meeting_had_guests(struct store *, const char *uid, char **err);

/* A member's row as the store keeps it, removed members' too: what a
 * letter to someone who left needs.  Strings NULL when not set. */
struct store_member_row {
	char *name, *language, *timezone;
	int   removed;                  /* removed_at is set */
};
/* 1 found (*out filled; release with store_member_row_clear), 0 no such
 * member ever, -1 error (*err set). */
int  store_member_get(struct store *, const char *group_id,
         const char *email, struct store_member_row *out, char **err);
void store_member_row_clear(struct store_member_row *);

/* ---- planning ---- */

struct store_plan_meeting {
	char      *uid, *series, *tzid, *summary, *location, *kind;
	long long  orig_start, start, end;
	int        sequence, content_seq, cancelled;
	int        agenda_confirmed;
	char      *agenda;             /* NULL: none yet */
	char      *minutes_path;       /* NULL: none yet */
	char      *group_id;
	int        plain_organizer;    /* its invitations name the organizer
	                                * by the plain address (schema 6) */
	char      *series_uid;         /* the series event it is part of
	                                * (schema 8), or NULL: its own */
	char      *recurrence_id;      /* its RECURRENCE-ID there, or NULL */
};
/* Every meeting of the group with start in [from, to), cancelled ones too,
 * ordered by start.  *out freed with store_plan_meetings_free(). */
int  store_plan_meetings(struct store *, const char *group_id,
         long long from, long long to, struct store_plan_meeting **out,
         size_t *n, char **err);
void store_plan_meetings_free(struct store_plan_meeting *, size_t);

/* One meeting by UID: 1 found (*out filled; release with
 * store_plan_meeting_clear), 0 none, -1 error. */
int  store_meeting_get(struct store *, const char *uid,
         struct store_plan_meeting *out, char **err);
void store_plan_meeting_clear(struct store_plan_meeting *);

/* Keep the draft agenda sent for confirmation (not once confirmed). */
int  store_meeting_set_draft(struct store *, const char *uid,
         const char *text, char **err);

/* The meeting's invitations went out with the organizer's plain address:
 * so they stay (letter.h).  Never undone. */
int  store_meeting_set_plain(struct store *, const char *uid, char **err);

/* SEQUENCE + 1, and every attendee must hear of it (content_seq follows:
 * the agenda changed).  -1 with *err if no such uid. */
int  store_meeting_bump(struct store *, const char *uid, char **err);

struct store_invitee {
	char *email;
	int   sequence_sent;            /* SEQUENCE of the last REQUEST or
	                                 * CANCEL queued to this attendee */
	int   cancelled;
	char *partstat;
};
/* A member's delegate for one meeting, or for a series event as a whole
 * (meeting_uid the event's UID), schema 9, RFC 5546 2.1.5.  Recording
 * one twice does nothing.  1 added, 0 already there, -1 with *err set. */
int  store_delegate_add(struct store *, const char *meeting_uid,
         const char *email, const char *delegator, long long now,
         char **err);

struct store_delegate {
	char *email;
	char *delegator;                /* the member who delegated */
	char *uid;                      /* the meeting's or event's UID */
};
/* The meeting's (or series event's) delegates, oldest first.  0 with
 * *out (free with store_delegates_free; NULL when none) and *n, or -1
 * with *err. */
int  store_meeting_delegates(struct store *, const char *meeting_uid,
         struct store_delegate **out, size_t *n, char **err);
/* The same for every series event of the group, in one read. */
int  store_group_event_delegates(struct store *, const char *group_id,
         struct store_delegate **out, size_t *n, char **err);
void store_delegates_free(struct store_delegate *, size_t);

/* Everyone ever invited to the meeting, ordered by email; for a series
 * event's UID, everyone ever sent the event. */
int  store_meeting_invitees(struct store *, const char *uid,
         struct store_invitee **out, size_t *n, char **err);
void store_invitees_free(struct store_invitee *, size_t);

/* ---- series events (schema 8) ----
 *
 * A series invited as one recurring event (plan.h): the event as its
 * master was last written, each attendee's copy of it, and its meetings
 * (meetings.series_uid).  Every attendee who holds the event is invited
 * to each of its meetings still to come, with the answer they gave for
 * the whole series until they answer for the one meeting. */

struct store_series_event {
	char      *uid, *group_id, *series;
	long long  dtstart;             /* UTC start of its first occurrence */
	char      *dtstart_wall;        /* that start as its rule reads it */
	char      *tzid;
	char      *rrule, *exdate;      /* as written (ical.h's recurrence) */
	long long  until;               /* 0: endless */
	int        duration;            /* minutes */
	char      *summary, *location, *kind;
	int        sequence;            /* of the last message about it */
	int        content_seq;         /* of the last change of its master
	                                 * every attendee must hear of */
	int        ended;               /* no meeting joins it any more */
	int        cancelled;           /* CANCELled as a whole */
	int        plain_organizer;     /* as a meeting's (schema 6) */
};
/* Insert the event (created = now), or update all but its identity
 * (uid, group, series) and plain_organizer. */
int  store_series_event_save(struct store *,
         const struct store_series_event *, long long now, char **err);
/* The group's events that have not ended, by series then start.  *out
 * (NULL when none) is freed with store_series_events_free(). */
int  store_series_events(struct store *, const char *group_id,
         struct store_series_event **out, size_t *n, char **err);
void store_series_events_free(struct store_series_event *, size_t);
/* One event by UID, ended or not: 1 (*out filled; release with
 * store_series_event_clear), 0 none, -1 error. */
int  store_series_event_get(struct store *, const char *uid,
         struct store_series_event *out, char **err);
void store_series_event_clear(struct store_series_event *);

/* The meeting joins series event series_uid as its occurrence
 * recurrence_id (then store_series_share()).  -1 with *err if no such
 * meeting. */
int  store_meeting_link(struct store *, const char *uid,
         const char *series_uid, const char *recurrence_id, char **err);

/* What a reply with this UID and RECURRENCE-ID (UTC seconds, negative:
 * none) answers: the meeting of that UID; else the meeting of the series
 * event of that UID that starts nearest the RECURRENCE-ID, within half a
 * day; else, without RECURRENCE-ID, the series event itself as one
 * meeting: its UID, group, series, first start, text, SEQUENCE and
 * plain_organizer, cancelled when it was, and series_uid its own UID
 * (store_meeting_invitees() and store_invitation_reply() take that UID
 * for all of the series).  1 found (*out filled; release with
 * store_plan_meeting_clear), 0 none, -1 error. */
int  store_meeting_for_reply(struct store *, const char *uid,
         long long recurrence_id, struct store_plan_meeting *out,
         char **err);

/* The event's meetings, ordered by start.  *out freed with
 * store_plan_meetings_free(). */
int  store_series_meetings(struct store *, const char *uid,
         struct store_plan_meeting **out, size_t *n, char **err);

/* Its messages named the organizer's plain address: so they stay. */
int  store_series_set_plain(struct store *, const char *uid, char **err);

/* The event changed its time: every answer to it is NEEDS-ACTION again
 * (its meetings' answers are reset one by one, store_invitation_reset). */
int  store_series_reset(struct store *, const char *uid, char **err);

/* The event as it is now went to email under `sequence`: their copy is
 * recorded (a returning attendee answers afresh), and they are invited
 * to each of its meetings that starts after now, each at the meeting's
 * own SEQUENCE (no update of those is owed them). */
int  store_series_attendee_set(struct store *, const char *uid,
         const char *email, int sequence, long long now, char **err);

/* The event was CANCELled for email under `sequence`: so is each of its
 * meetings that starts after now. */
int  store_series_attendee_cancel(struct store *, const char *uid,
         const char *email, int sequence, long long now, char **err);

/* A meeting that joined its event (series_uid set): every attendee who
 * holds the event is invited to it, at its SEQUENCE. */
int  store_series_share(struct store *, const char *meeting_uid,
         char **err);

/* The event ends at now: its meetings that start after now leave it
 * (series_uid NULL), their invitations cancelled, for the attendees'
 * copies no longer have them. */
int  store_series_detach(struct store *, const char *uid, long long now,
         char **err);

/* ---- outbox ----
 *
 * Every outgoing message is a row before it is sent.  A row goes
 * pending -> sending -> sent, or back to pending (with a later next_try,
 * or as it was when it was not tried), or to failed.  'sending' is written
 * for a whole batch in a transaction of its own before the SMTP dialogues
 * (outbox.h); a row found 'sending' may have gone and is sent again under
 * the same Message-ID.  A 'sent' row never changes again. */

struct store_outbox_in {
	const char *message_id;         /* unique; a duplicate is ignored */
	const char *kind;               /* invite | update | cancel | ... */
	const char *group_id;           /* NULL allowed */
	const char *meeting_uid;        /* NULL allowed */
	const char *recipient;
	const char *data;               /* the whole message, CRLF */
	size_t      len;
	long long   now;                /* created, and first next_try */
};
/* 1 queued, 0 already there (same Message-ID), -1 error. */
int  store_outbox_add(struct store *, const struct store_outbox_in *,
         char **err);

struct store_outbox {
	long long  id;
	char      *message_id, *kind, *group_id, *meeting_uid, *recipient;
	char      *data;                /* NULL until store_outbox_text();
	                                 * NUL-terminated too */
	size_t     len;
	int        attempts;
	long long  created;
};
/* Rows pending or sending whose next_try <= now, in next_try order (then
 * as queued), at most limit, without their text (data NULL, len 0): a
 * row's text can be 25 MB, and it is read when the row is sent.  Only
 * rows that have a text are due.  *out freed with store_outbox_free(). */
int  store_outbox_due(struct store *, long long now, int limit,
         struct store_outbox **out, size_t *n, char **err);
/* As store_outbox_due(), but the rows queued after row `after`, in the
 * order they were queued, whether they have a text or not
 * (store_outbox_text() tells). */
int  store_outbox_after(struct store *, long long now, long long after,
         int limit, struct store_outbox **out, size_t *n, char **err);
/* Row id in any state, without its text, into *out (release with
 * store_outbox_clear()): 1, 0 when there is no such row (never queued,
 * or pruned) and *out untouched, -1 error. */
int  store_outbox_get(struct store *, long long id, struct store_outbox *out,
         char **err);
/* Read row o's text into o->data and o->len, replacing any there: 1, 0
 * when the row has none (it went or failed, and its text was dropped),
 * -1 error.  It is freed with the row, or earlier with
 * store_outbox_text_drop(), which leaves data NULL and len 0. */
int  store_outbox_text(struct store *, struct store_outbox *o, char **err);
void store_outbox_text_drop(struct store_outbox *o);
void store_outbox_free(struct store_outbox *, size_t);
/* Free one row's strings and zero it; the struct itself stays. */
void store_outbox_clear(struct store_outbox *);

/* Move row id to state (sending | pending | sent | failed); attempted adds
 * to attempts; next_try < 0 leaves it as it is, sent_at < 0 writes NULL;
 * error (NULL allowed) replaces last_error.  A row already 'sent' is never
 * changed. */
int  store_outbox_set(struct store *, long long id, const char *state,
         int attempted, long long next_try, long long sent_at,
         const char *error, char **err);

/* store_outbox_set(id, "sent", 1, -1, sent_at, NULL) without dropping
 * the text, for the marks of many rows in one transaction followed by
 * store_outbox_texts_drop() (outbox.c: the rows of the sent log).  0 or
 * -1. */
int  store_outbox_sent(struct store *, long long id, long long sent_at,
         char **err);
/* Drop the texts of rows ids[0..n) in one savepoint: 0 or -1 (none
 * dropped).  Meant for rows marked 'sent' by store_outbox_sent(). */
int  store_outbox_texts_drop(struct store *, const long long *ids,
         size_t n, char **err);

/* Rows in a state, or -1. */
long long store_outbox_count(struct store *, const char *state);

/* A row turned 'sent' or 'failed' loses its text (store_outbox_set drops
 * it in the same savepoint; store_outbox_sent leaves that to
 * store_outbox_texts_drop): nothing reads it again.  Its Message-ID,
 * recipient, kind and state stay for bounces, `status` and the notices
 * until store_prune() forgets the row. */

/* ---- warnings and notices ---- */

/* Record that the notice (group, kind, key) went out.  1 when it is new
 * (send it), 0 when it was recorded before (never send twice), -1 error.
 * Meant to run in the transaction that queues the notice. */
int  store_warning_add(struct store *, const char *group_id,
         const char *kind, const char *key, long long now, char **err);

/* As store_warning_add(), and every other key of the same group and kind
 * is forgotten when this one is new: for what stands for the latest state
 * only (the digest of a calendar feed written). */
int  store_warning_replace(struct store *, const char *group_id,
         const char *kind, const char *key, long long now, char **err);
/* 1 when (group, kind, key) is recorded, 0 not, -1 error. */
int  store_warning_has(struct store *, const char *group_id,
         const char *kind, const char *key, char **err);

/* ---- inbound ---- */

/* 1 when a message with this Message-ID was processed, with *result what
 * was done then (caller frees); 0 not; -1 error. */
int  store_inbound_seen(struct store *, const char *message_id,
         char **result, char **err);
/* Record a message as processed: kind is the verdict, result what was
 * done (inbox_result_name(): applied, ignored, refused).  A second record
 * of the same Message-ID is ignored. */
int  store_inbound_add(struct store *, const char *message_id,
         const char *folder, unsigned long uidvalidity, unsigned long uid,
         long long now, const char *kind, const char *result, char **err);

/* A message failed (inbox.h) with error, found at folder, uidvalidity
 * and uid; cause is what of the error says how (the same cause is the
 * same way to fail).  Returns how many cycles running it has failed the
 * same way: 1 when cause differs from the last one; for a message put in
 * quarantine, the count it had when it is found again where it was (the
 * move did not happen), 1 when it is found anywhere else (someone brought
 * it back: it is tried afresh, and told of afresh).  -1 on error. */
int  store_inbound_failed(struct store *, const char *message_id,
         const char *folder, unsigned long uidvalidity, unsigned long uid,
         const char *error, const char *cause, long long now, char **err);
/* The message, whose failure store_inbound_failed() recorded, is put in
 * quarantine now.  1 when nobody was told of it yet: it is recorded as
 * told, and the caller queues the notice in the same transaction; 0 when
 * they were; -1 on error. */
int  store_inbound_quarantine(struct store *, const char *message_id,
         long long now, char **err);
/* The message applied: its failures are forgotten. */
int  store_inbound_failure_clear(struct store *, const char *message_id,
         char **err);
/* 1 with the count of its failures and whether it is quarantined and
 * told of (0 or 1 each), 0 when none is recorded, -1 on error. */
int  store_inbound_failures(struct store *, const char *message_id,
         int *count, int *quarantined, int *notified, char **err);

/* A folder's UIDVALIDITY and last UID done: 1 known, 0 never seen, -1. */
int  store_folder_get(struct store *, const char *name,
         unsigned long *uidvalidity, unsigned long *last_uid, char **err);
int  store_folder_set(struct store *, const char *name,
         unsigned long uidvalidity, unsigned long last_uid, char **err);

struct store_document {
	const char *group_id, *meeting_uid, *kind, *path, *sha256, *sender;
	const char *message_id;
	long long   received;
};
int  store_document_add(struct store *, const struct store_document *,
         char **err);

/* 1 when convened has ever written to email (a member, past or present,
 * an invited guest, an outbox recipient), 0 not, -1 error. */
int  store_address_known(struct store *, const char *email, char **err);
/* 1 when message_id is one of ours (an outbox row), 0 not, -1 error. */
int  store_outbox_has(struct store *, const char *message_id, char **err);

/* The UID of the group's latest meeting, not cancelled, that ended in
 * (since, now] without minutes (caller frees), or NULL: none, or the store
 * failed. */
char *store_last_ended_without_minutes(struct store *, const char *group_id,
         long long now, long long since);

/* The status of the newest bounce report recorded for email (caller
 * frees), or NULL: none, or the store failed. */
char *store_bounce_status(struct store *, const char *email);

/* ---- outages (outage.h) ----
 *
 * One row per resource that is down ("repository", "repository/<group>",
 * "templates"), for as long as it is. */
struct store_outage {
	long long  since;
	char      *error;              /* the last failure; caller frees */
	int        tries;              /* failed tries so far */
	long long  next_try;
};
/* 1 with *o filled, 0 when the resource is not down, -1 on error. */
int  store_outage_get(struct store *, const char *resource,
         struct store_outage *o, char **err);
/* Record it down as *o says (insert or replace). */
int  store_outage_put(struct store *, const char *resource,
         const struct store_outage *o, char **err);
/* The resource works: 1 when it was down, 0 when it was not, -1. */
int  store_outage_end(struct store *, const char *resource, char **err);

/* ---- keeping the state small ----
 *
 * Forget what no guarantee needs any more, from before `before`: outbox
 * rows sent or failed (until then their Message-IDs and recipients let a
 * bounce be recognised), records of messages ignored or refused (the
 * record of an applied message stays: it keeps the message from being
 * applied twice), and failures of messages quarantined as long ago.  Then,
 * if give_back, when over a quarter of the file (and over 1 MiB) is free,
 * hand the free pages back to the file system (incremental vacuum; every
 * database from schema 4 on has auto_vacuum = INCREMENTAL: store_open
 * rewrites an older one once with VACUUM, and when that cannot be done,
 * logs it and tries again at the next start).  Returns the rows
 * forgotten, or -1. */
long long store_prune(struct store *, long long before, int give_back,
          char **err);

/* Messages recorded as processed with this result (inbox_result_name())
 * at exactly time at (a cycle's now), or -1. */
long long store_inbound_count(struct store *, const char *result,
         long long at);

/* ---- accounts (schema 5) ----
 *
 * The IMAP and SMTP accounts as a cycle last found them signing in. */

struct store_account_in {
	const char *name;               /* imap | smtp */
	const char *auth;               /* config_auth_name() */
	int         ok;                 /* signed in (the server took us) */
	long long   now;
	const char *error;              /* why not; ignored when ok */
	long long   token_expires;      /* the access token's, or -1 */
};
/* Record a sign-in: a success sets last_success and ends any outage
 * (outage_since and noticed_at cleared); a failure keeps last_success,
 * sets error, and starts an outage at now unless one is on. */
int  store_account_set(struct store *, const struct store_account_in *,
         char **err);

struct store_account {
	char      *name, *auth;
	int        ok;
	long long  checked_at;
	long long  last_success;        /* -1: never */
	char      *error;               /* NULL when ok */
	long long  token_expires;       /* -1: none */
	long long  outage_since;        /* -1: no outage */
	long long  noticed_at;          /* -1: the admin was not told */
};
/* Every account recorded, by name.  *out (NULL when none) is freed with
 * store_accounts_free(). */
int  store_accounts(struct store *, struct store_account **out, size_t *n,
         char **err);
void store_accounts_free(struct store_account *, size_t);

/* The admin was told of the account's outage: 1 when this is the first
 * notice of it (send it), 0 when it was told before or there is no
 * outage, -1 error.  Meant for the transaction that queues the notice. */
int  store_account_noticed(struct store *, const char *name, long long now,
         char **err);

/* ---- trust (trust.h) ---- */

/* Count one refusal of reason (trust_reason_name()) at now.  0 / -1. */
int  store_refusal_add(struct store *, const char *reason, long long now,
         char **err);

struct store_refusal {
	char      *reason;
	long long  count;
};
/* Every reason counted, by name; *out (NULL when none) freed with
 * store_refusals_free().  0 / -1. */
int  store_refusals(struct store *, struct store_refusal **out, size_t *n,
         char **err);
void store_refusals_free(struct store_refusal *, size_t);

/* A message held until its coordinator confirms it: its Message-ID, the
 * group it is for, the coordinator asked (the configured address) and
 * when it arrived. */
struct store_held {
	char      *message_id;
	char      *group_id;
	char      *coordinator;
	long long  received;
};
/* Hold h with its len raw bytes (borrowed).  1 held, 0 held before (the
 * same Message-ID: nothing done), -1 error. */
int  store_held_add(struct store *, const struct store_held *h,
         const void *raw, size_t len, char **err);
/* The messages held for coordinator, oldest first; or those received
 * before `before`.  *out (NULL when none) freed with store_held_free().
 * 0 / -1. */
int  store_held_for(struct store *, const char *coordinator,
         struct store_held **out, size_t *n, char **err);
int  store_held_expired(struct store *, long long before,
         struct store_held **out, size_t *n, char **err);
void store_held_free(struct store_held *, size_t);
/* The raw bytes of a held message into *raw (NUL-terminated after *len
 * bytes; caller frees).  1 found, 0 none (*raw NULL), -1 error. */
int  store_held_raw(struct store *, const char *message_id, char **raw,
         size_t *len, char **err);
/* Forget a held message (confirmed, or expired).  0 / -1. */
int  store_held_drop(struct store *, const char *message_id, char **err);

/* Whether a notice of kind about sender and meeting_uid (either may be
 * NULL) may go to recipient now: 1 when none went since `since` (now is
 * recorded as the last, and *held_back is how many were held back since
 * the one before), 0 when one did (this one is counted as held back,
 * *held_back 0), -1 error. */
int  store_notice_allow(struct store *, const char *kind,
         const char *recipient, const char *meeting_uid, const char *sender,
         long long now, long long since, long long *held_back, char **err);

/* ---- milestones (milestone.h) ---- */

/* A milestone marked done; every pointer borrowed. */
struct store_milestone {
	const char *group_id;
	const char *name;
	const char *done;           /* "YYYY-MM-DD" in the group's zone */
	long long   done_at;        /* when the reply was applied */
	const char *message_id;     /* the reply that said so; may be NULL */
	const char *sender;         /* may be NULL */
};

/* Record m done.  1 recorded, 0 done before (the first day stands), -1
 * error.  Meant to run in the transaction that applies the reply. */
int  store_milestone_done(struct store *, const struct store_milestone *m,
         char **err);
/* The day milestone name of group_id was done into *done (caller frees):
 * 1 done, 0 not (*done NULL), -1 error. */
int  store_milestone_done_on(struct store *, const char *group_id,
         const char *name, char **done, char **err);

/* ---- the repository's journal (repo.h) ---- */

/* A change to the repository not committed to its git history yet.  The
 * strings are the caller's (add) or the store's copies (next: released
 * with store_repo_change_clear()); all but kind, paths may be NULL. */
struct store_repo_change {
	long long  id;                  /* set by next */
	char      *author_name, *author_email;
	char      *group_id, *meeting_uid, *kind, *message_id;
	char      *paths;               /* relative to the repository, one a
	                                 * line */
	long long  at;                  /* when the change was made */
};
/* Journal c (its id is ignored), in the caller's transaction if any.
 * 0 / -1. */
int  store_repo_add(struct store *, const struct store_repo_change *c,
         char **err);
/* The oldest change journaled: 1 with *c filled, 0 none, -1 error. */
int  store_repo_next(struct store *, struct store_repo_change *c,
         char **err);
/* The oldest change after the one of id `after`: as store_repo_next(). */
int  store_repo_after(struct store *, long long after,
         struct store_repo_change *c, char **err);
/* The change id committed: forgotten.  0 / -1. */
int  store_repo_drop(struct store *, long long id, char **err);
void store_repo_change_clear(struct store_repo_change *);

/* ---- presentations (schema 10) ---- */

/* One offer to present at a meeting (present.h).  Strings are owned by
 * the row when read (store_presentations_free), borrowed when written. */
struct store_presentation {
	long long  id;                 /* order of arrival */
	char      *meeting_uid, *group_id;
	char      *email;              /* the member's own address */
	char      *name, *country;     /* as configured then; may be NULL */
	char      *title;
	long long  offered;
	long long  withdrawn;          /* -1: standing */
	char      *status;             /* accepted | waiting | withdrawn */
	int        changes;            /* offers, withdrawals and new titles */
	int        presented;          /* the meeting ended with it accepted */
	char      *files;              /* materials archived, one path a line
	                                * (relative to the repository), "" */
	/* Read only, from the meeting: */
	long long  start;
	char      *summary;
};

/* Record a new offer (id, withdrawn, changes, presented and files are
 * not read: a new row has none); *id is its row.  0 / -1. */
int  store_presentation_add(struct store *, const struct store_presentation *,
         long long *id, char **err);
/* Write title, status, withdrawn, changes, presented and files of row
 * p->id.  0 / -1. */
int  store_presentation_put(struct store *, const struct store_presentation *,
         char **err);
/* The offers for one meeting in order of arrival; of a group's meetings
 * with start in [from, to), by meeting start then arrival.  *out (NULL
 * when none) freed with store_presentations_free().  0 / -1. */
int  store_meeting_presentations(struct store *, const char *meeting_uid,
         struct store_presentation **out, size_t *n, char **err);
int  store_group_presentations(struct store *, const char *group_id,
         long long from, long long to, struct store_presentation **out,
         size_t *n, char **err);
void store_presentations_free(struct store_presentation *, size_t);
/* One row's strings freed, the row zeroed (an array keeping some rows). */
void store_presentation_clear(struct store_presentation *);

/* ---- mailing lists (list.h) ---- */

/* A post to a group's list: its Message-ID, the group, who sent it
 * (From, may be NULL), its subject, its state (held, relayed, rejected,
 * expired), the moderation request that listed it (its time; 0: not
 * asked yet) and when it arrived. */
struct store_post {
	char      *message_id;
	char      *group_id;
	char      *sender;
	char      *subject;
	char      *state;
	long long  batch;
	long long  received;
};
/* Record p (state held or relayed) with its len raw bytes (borrowed).
 * 1 recorded, 0 recorded before (the same Message-ID: nothing done),
 * -1 error. */
int  store_post_add(struct store *, const struct store_post *p,
         const void *raw, size_t len, char **err);
/* A held post decided: state relayed, rejected or expired, as of now;
 * only a relayed post keeps its raw bytes.  1 changed, 0 it was not
 * held (decided before), -1 error. */
int  store_post_set(struct store *, const char *message_id,
         const char *state, long long now, char **err);
/* The raw bytes of a held or relayed post into *raw (NUL-terminated
 * after *len bytes; caller frees).  1 found, 0 none, -1 error. */
int  store_post_raw(struct store *, const char *message_id, char **raw,
         size_t *len, char **err);
/* At most max posts of group in state (NULL: any), oldest first,
 * decided (else received) at or after since, of moderation request
 * batch (any when batch < 0).  *out
 * (NULL when none) freed with store_posts_free().  0 / -1. */
int  store_posts(struct store *, const char *group_id, const char *state,
         long long batch, long long since, size_t max,
         struct store_post **out, size_t *n, char **err);
void store_posts_free(struct store_post *, size_t);
/* The oldest max held posts of group not asked about yet now listed in
 * moderation request batch.  How many, or -1. */
int  store_posts_ask(struct store *, const char *group_id, long long batch,
         size_t max, char **err);
struct store_post_stats {
	long long relayed;      /* posts relayed, ever */
	long long held;         /* posts held now */
	long long unasked;      /* of those, not listed in a request yet */
	long long last_batch;   /* the latest request's time, or 0 */
	long long open_batch;   /* the latest request with posts still
	                         * held, or 0 */
};
int  store_post_stats(struct store *, const char *group_id,
         struct store_post_stats *out, char **err);
/* Posts of group held since before `before` marked expired as of now.
 * How many, or -1. */
int  store_posts_expire(struct store *, const char *group_id,
         long long before, long long now, char **err);
/* Posts relayed per month ("YYYY-MM", UTC) of group, received in
 * [from, to), oldest first; *out (NULL when none) freed with free(). */
struct store_post_month {
	char       month[8];
	long long  posts;
};
int  store_posts_months(struct store *, const char *group_id,
         long long from, long long to, struct store_post_month **out,
         size_t *n, char **err);

/* The months (UTC, "YYYY-MM") in which posts of group were relayed that
 * the archive lacks; *out (posts 0) freed with free().  0 / -1. */
int  store_posts_unarchived(struct store *, const char *group_id,
         struct store_post_month **out, size_t *n, char **err);
/* Every post of group relayed in month, in the order it was (received is
 * then the time it was relayed); freed with store_posts_free().  0 / -1. */
int  store_posts_in_month(struct store *, const char *group_id,
         const char *month, struct store_post **out, size_t *n, char **err);
/* The posts of group relayed in month marked archived.  0 / -1. */
int  store_posts_archived(struct store *, const char *group_id,
         const char *month, char **err);

/* How a member reads a group's list: delivery each (every post), digest
 * (one a day) or nomail; paused for bouncing, and whether the
 * coordinators were told; when their last digest went. */
struct store_reader {
	char       delivery[8];
	int        paused;
	int        told;
	long long  digest_at;
	long long  resumed_at;  /* their last RESUME: bounces before it no
	                         * longer pause them */
};
/* 1 with *out, 0 none recorded (*out: each, not paused), -1 error. */
int  store_reader_get(struct store *, const char *group_id,
         const char *email, struct store_reader *out, char **err);
/* What the bounces of one address add up to (list.h's bounce score):
 * whether the last was permanent, how many were recorded, the last's
 * time.  1 with *out, 0 none recorded, -1 error. */
struct store_bounce_score {
	int        permanent;
	long long  count;
	long long  last_at;
};
int  store_bounce_score(struct store *, const char *email,
         struct store_bounce_score *out, char **err);
/* How many readers of group have their list mail paused, or -1. */
long long store_readers_paused(struct store *, const char *group_id,
         char **err);
/* 0 / -1. */
int  store_reader_set(struct store *, const char *group_id,
         const char *email, const struct store_reader *r, char **err);

/* ---- scheduling polls (poll.h) ---- */

/* A member's answer to a poll: starts is the candidates they suit, as
 * local "YYYY-MM-DD HH:MM" joined by ',' ("" for none).  Borrowed. */
struct store_poll_answer {
	const char *group_id;
	const char *poll;
	const char *email;
	const char *starts;
	long long   at;
	const char *message_id;     /* may be NULL */
};

/* Record a, replacing the member's earlier answer.  0, or -1 (*err). */
int  store_poll_answer(struct store *, const struct store_poll_answer *a,
         char **err);

/* One answer as read back; both strings owned. */
struct store_poll_row {
	char *email;
	char *starts;
};

/* Every answer to poll of group_id, by address, into *out (free with
 * store_poll_rows_free; NULL when none).  0, or -1 with *err. */
int  store_poll_answers(struct store *, const char *group_id,
         const char *poll, struct store_poll_row **out, size_t *n,
         char **err);
void store_poll_rows_free(struct store_poll_row *, size_t);

/* The candidate a coordinator confirmed; borrowed. */
struct store_poll_choice {
	const char *group_id;
	const char *poll;
	const char *start;          /* local "YYYY-MM-DD HH:MM" */
	long long   at;
	const char *message_id;     /* may be NULL */
	const char *sender;         /* may be NULL */
};

/* Record c: 1 recorded, 0 chosen before (the first choice stands), -1
 * error.  Meant for the transaction that applies the reply. */
int  store_poll_choose(struct store *, const struct store_poll_choice *c,
         char **err);
/* The start chosen for poll of group_id into *start (caller frees): 1
 * chosen, 0 not (*start NULL), -1 error. */
int  store_poll_chosen(struct store *, const char *group_id,
         const char *poll, char **start, char **err);

/* ---- registrations for open seminars (seminar.h) ---- */

/* One registration: the meeting's UID, the address and its state
 * (seated, waiting, declined; refused rows are never listed).  Owned. */
struct store_registrant {
	char *uid, *email, *state;
};

/* The state of email's registration for meeting uid into *state (caller
 * frees): 1 found, 0 none (*state NULL), -1 error. */
int  store_registration_get(struct store *, const char *uid,
         const char *email, char **state, char **err);
/* Record one: 1 added, 0 there before (nothing changed), -1 error. */
int  store_registration_add(struct store *, const char *uid,
         const char *group_id, const char *email, const char *state,
         long long now, const char *message_id, char **err);
/* Move one to state.  0, or -1 with *err. */
int  store_registration_set(struct store *, const char *uid,
         const char *email, const char *state, char **err);
/* Rows for uid in state (NULL: any) recorded at or after since; of email
 * (any meeting) at or after since.  The count, or -1 with *err. */
long long store_registration_count(struct store *, const char *uid,
         const char *state, long long since, char **err);
long long store_registration_count_address(struct store *,
         const char *email, long long since, char **err);
/* The first in line on uid's waiting list (caller frees), or NULL: none,
 * or an error (*err set). */
char *store_registration_first_waiting(struct store *, const char *uid,
         char **err);
/* The registrations of the group's meetings but the refusals, in the
 * order they came.  0, or -1 with *err. */
int  store_group_registrants(struct store *, const char *group_id,
         struct store_registrant **out, size_t *n, char **err);
void store_registrants_free(struct store_registrant *, size_t);

/* ---- what is due (cycle.h) ---- */

/* A group's row: the digest of its configuration when its steps last
 * ran (at `ran`), and the next moment one of them may act on its own. */
struct store_due {
	char      *group_id;
	char      *digest;
	long long  ran;
	long long  due;
};
/* Every row, in *out (caller frees with store_due_free()).  0 / -1. */
int  store_due_all(struct store *, struct store_due **out, size_t *n,
         char **err);
void store_due_free(struct store_due *, size_t n);
int  store_due_set(struct store *, const char *group_id, const char *digest,
         long long ran, long long due, char **err);
/* The group's row dropped (group_id NULL: every row), so that its steps
 * run at the next cycle.  0 / -1. */
int  store_due_forget(struct store *, const char *group_id, char **err);
/* *due lowered to the first moment after now a whole number of days
 * from the start or the end of one of the group's stored meetings that
 * ended at `since` or later: every threshold the meeting steps keep
 * (leads, reminders, grace periods, look-backs) is such a moment.
 * 0 / -1. */
int  store_due_meetings(struct store *, const char *group_id,
         long long since, long long now, long long *due, char **err);
/* 1 when the group's list has something to do as time passes (held
 * posts, relayed posts not yet archived, readers of digests), 0 when
 * not, -1 on error. */
int  store_list_busy(struct store *, const char *group_id, char **err);

/* When the thing named was last done: 1 with *at, 0 when never, -1. */
int  store_mark_get(struct store *, const char *name, long long *at,
         char **err);
int  store_mark_set(struct store *, const char *name, long long at,
         char **err);

#endif

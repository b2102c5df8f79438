/* store.c: the state database.  The only file that includes sqlite3.h.
 *
 * Statements are prepared lazily, once per store, and cached
 * (SQLITE_PREPARE_PERSISTENT): the daemon runs the same few statements
 * every cycle for months, so parsing them once pays, and preparing on first
 * use rather than in store_open() keeps a schema 1 database (the upgrade
 * test, or a binary opened with store_open_upto) usable for everything that
 * does not touch the tables schema 2 added; those fail cleanly with
 * "no such table" instead of failing the whole open.  Migrations and PRAGMAs
 * run once and go through sqlite3_exec / a one-off statement. */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "util.h"

/* PRAGMA application_id: "cnvd".  Lets us tell our own database from
 * another program's SQLite file handed to us by a typo in `state =`. */
#define STORE_APP_ID    0x636e7664

#define BUSY_TIMEOUT_MS 5000

/* ---- schema ----
 *
 * One entry per version; migrations[i] takes the schema from version i to
 * i + 1.  A released migration is never edited: a change is a new entry.
 * Table rebuilds (the 12-step ALTER TABLE recipe) would need
 * foreign_keys=OFF, which cannot change inside a transaction; no migration
 * does that yet. */

static const char migration_1[] =
	"PRAGMA application_id = 1668183652;"  /* STORE_APP_ID */

	"CREATE TABLE groups ("
	"  id          TEXT PRIMARY KEY NOT NULL,"
	"  name        TEXT NOT NULL,"
	"  first_seen  INTEGER NOT NULL"
	");"

	/* Members are never deleted, only marked removed: their invitations
	 * still need cancelling and their history still needs a name. */
	"CREATE TABLE members ("
	"  group_id    TEXT NOT NULL REFERENCES groups (id),"
	"  email       TEXT NOT NULL COLLATE NOCASE,"
	"  name        TEXT,"
	"  language    TEXT,"
	"  timezone    TEXT,"
	"  coordinator INTEGER NOT NULL DEFAULT 0 CHECK (coordinator IN (0, 1)),"
	"  role        TEXT,"
	"  removed_at  INTEGER,"
	"  PRIMARY KEY (group_id, email)"
	") WITHOUT ROWID;"

	/* An occurrence is identified by (group, series, orig_start), the
	 * time the RRULE gives it, so a moved meeting keeps its row and UID. */
	"CREATE TABLE meetings ("
	"  uid          TEXT PRIMARY KEY NOT NULL,"
	"  group_id     TEXT NOT NULL REFERENCES groups (id),"
	"  series       TEXT NOT NULL,"
	"  orig_start   INTEGER NOT NULL,"
	"  start        INTEGER NOT NULL,"
	"  end          INTEGER NOT NULL CHECK (end >= start),"
	"  tzid         TEXT,"
	"  summary      TEXT,"
	"  location     TEXT,"
	"  kind         TEXT NOT NULL DEFAULT 'meeting',"
	"  sequence     INTEGER NOT NULL DEFAULT 0,"
	/* The SEQUENCE of the last change attendees must hear of (time,
	 * place, text).  sequence may run ahead of it: removing or adding one
	 * attendee bumps SEQUENCE for that attendee's CANCEL or REQUEST
	 * without mailing everybody else. */
	"  content_seq  INTEGER NOT NULL DEFAULT 0,"
	"  status       TEXT NOT NULL DEFAULT 'scheduled'"
	"               CHECK (status IN ('scheduled', 'cancelled')),"
	"  agenda_state TEXT NOT NULL DEFAULT 'pending'"
	"               CHECK (agenda_state IN ('pending', 'confirmed')),"
	"  agenda       TEXT,"
	"  minutes_path TEXT,"
	"  UNIQUE (group_id, series, orig_start)"
	");"

	/* reply_dtstamp is the DTSTAMP of the last REPLY applied, so that a
	 * reply overtaken in the mail by a newer one cannot undo it. */
	"CREATE TABLE invitations ("
	"  meeting_uid   TEXT NOT NULL"
	"                REFERENCES meetings (uid) ON DELETE CASCADE,"
	"  email         TEXT NOT NULL COLLATE NOCASE,"
	"  sequence_sent INTEGER NOT NULL,"
	"  partstat      TEXT NOT NULL DEFAULT 'NEEDS-ACTION'"
	"                CHECK (partstat IN ('NEEDS-ACTION', 'ACCEPTED',"
	"                  'DECLINED', 'TENTATIVE', 'DELEGATED')),"
	"  partstat_at   INTEGER,"
	"  reply_dtstamp INTEGER,"
	"  cancelled     INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),"
	"  PRIMARY KEY (meeting_uid, email)"
	") WITHOUT ROWID;"

	/* A row is written before the message is sent and marked 'sending'
	 * in its own transaction before the SMTP dialogue; after a crash a
	 * 'sending' row is sent again under the same Message-ID, which is
	 * what makes a duplicate recognisable. */
	"CREATE TABLE outbox ("
	"  id          INTEGER PRIMARY KEY,"
	"  message_id  TEXT NOT NULL UNIQUE,"
	"  kind        TEXT NOT NULL,"
	"  group_id    TEXT REFERENCES groups (id),"
	"  meeting_uid TEXT REFERENCES meetings (uid),"
	"  recipient   TEXT NOT NULL COLLATE NOCASE,"
	"  data        BLOB NOT NULL,"
	"  state       TEXT NOT NULL DEFAULT 'pending'"
	"              CHECK (state IN ('pending', 'sending', 'sent', 'failed')),"
	"  attempts    INTEGER NOT NULL DEFAULT 0,"
	"  next_try    INTEGER NOT NULL,"
	"  created     INTEGER NOT NULL,"
	"  sent_at     INTEGER,"
	"  last_error  TEXT"
	");"

	/* Keyed by Message-ID so that the same message seen in two folders
	 * is applied once; the inbox makes one up for a message without. */
	"CREATE TABLE inbound ("
	"  message_id   TEXT PRIMARY KEY NOT NULL,"
	"  folder       TEXT NOT NULL,"
	"  uidvalidity  INTEGER NOT NULL,"
	"  uid          INTEGER NOT NULL,"
	"  processed_at INTEGER NOT NULL,"
	"  kind         TEXT NOT NULL,"
	"  result       TEXT"
	");"

	"CREATE TABLE folders ("
	"  name        TEXT PRIMARY KEY NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid    INTEGER NOT NULL DEFAULT 0"
	");"

	"CREATE TABLE documents ("
	"  id          INTEGER PRIMARY KEY,"
	"  group_id    TEXT NOT NULL REFERENCES groups (id),"
	"  meeting_uid TEXT REFERENCES meetings (uid),"
	"  kind        TEXT NOT NULL"
	"              CHECK (kind IN ('minutes', 'agreement', 'document',"
	"                'agenda')),"
	"  path        TEXT NOT NULL UNIQUE,"
	"  sha256      TEXT NOT NULL,"
	"  sender      TEXT NOT NULL COLLATE NOCASE,"
	"  message_id  TEXT,"
	"  received_at INTEGER NOT NULL"
	");"

	/* One row per warning sent, so that each goes out once: key says
	 * which (a quota check date, a rule, an address). */
	"CREATE TABLE warnings ("
	"  group_id TEXT NOT NULL REFERENCES groups (id),"
	"  kind     TEXT NOT NULL,"
	"  key      TEXT NOT NULL,"
	"  sent_at  INTEGER NOT NULL,"
	"  PRIMARY KEY (group_id, kind, key)"
	") WITHOUT ROWID;";

static const char migration_2[] =
	/* Per address, not per group: a dead mailbox is dead everywhere. */
	"CREATE TABLE bounces ("
	"  email       TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,"
	"  status      TEXT,"
	"  permanent   INTEGER NOT NULL CHECK (permanent IN (0, 1)),"
	"  first_at    INTEGER NOT NULL,"
	"  last_at     INTEGER NOT NULL,"
	"  count       INTEGER NOT NULL DEFAULT 1,"
	"  notified_at INTEGER"
	") WITHOUT ROWID;"

	"CREATE INDEX outbox_due ON outbox (state, next_try);"
	"CREATE INDEX meetings_group_start ON meetings (group_id, start);";

/* A message's text lives apart from its state: marking a row sending and
 * then sent rewrote the whole 18 KB row twice per message.  Bounces look
 * for recipients, which wanted an index. */
static const char migration_3[] =
	"CREATE TABLE outbox_data ("
	"  id   INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,"
	"  data BLOB NOT NULL"
	");"
	"INSERT INTO outbox_data (id, data) SELECT id, data FROM outbox;"
	"ALTER TABLE outbox DROP COLUMN data;"
	"CREATE INDEX outbox_recipient ON outbox (recipient);";

/* What keeps one message from stopping a folder, and one failing disk
 * from flooding the admin (inbox.h, outage.h); and the outbox without the
 * text of what went: a sent message's body is needed by nobody, and an
 * 18 MB minutes file copied to every member stayed there for good.  The
 * two indexes serve the pruning of old rows (store_prune). */
static const char migration_4[] =
	/* A message that would not apply, cycle after cycle: error is how
	 * it failed last, cause what of it must be the same for the failures
	 * to count as the same, count how many cycles running they were.
	 * quarantined_at is set once it was sent to the quarantine, where
	 * (folder, uidvalidity, uid) says it was; notified_at once the admin
	 * or the coordinators were told. */
	"CREATE TABLE inbound_failures ("
	"  message_id     TEXT PRIMARY KEY NOT NULL,"
	"  folder         TEXT NOT NULL,"
	"  uidvalidity    INTEGER NOT NULL,"
	"  uid            INTEGER NOT NULL,"
	"  error          TEXT NOT NULL,"
	"  cause          TEXT NOT NULL,"
	"  count          INTEGER NOT NULL DEFAULT 1,"
	"  first_at       INTEGER NOT NULL,"
	"  last_at        INTEGER NOT NULL,"
	"  quarantined_at INTEGER,"
	"  notified_at    INTEGER"
	") WITHOUT ROWID;"

	/* A part of the environment that is down (the repository, a
	 * group's directory in it, the templates): one row for as long as
	 * it lasts. */
	"CREATE TABLE outages ("
	"  resource  TEXT PRIMARY KEY NOT NULL,"
	"  since     INTEGER NOT NULL,"
	"  error     TEXT NOT NULL,"
	"  tries     INTEGER NOT NULL DEFAULT 1,"
	"  next_try  INTEGER NOT NULL"
	") WITHOUT ROWID;"

	"DELETE FROM outbox_data WHERE id IN"
	"  (SELECT id FROM outbox WHERE state IN ('sent', 'failed'));"
	"CREATE INDEX outbox_done ON outbox (state, created);"
	"CREATE INDEX inbound_processed ON inbound (result, processed_at);";

/* The accounts convened signs in to, as the daemon last found them, for
 * `status` and the admin's notice: one row each, written once a cycle
 * tried it.  outage_since is the first failure since the last success,
 * noticed_at when the admin was told of that outage. */
static const char migration_5[] =
	"CREATE TABLE accounts ("
	"  name          TEXT PRIMARY KEY NOT NULL"
	"                CHECK (name IN ('imap', 'smtp')),"
	"  auth          TEXT NOT NULL,"
	"  ok            INTEGER NOT NULL CHECK (ok IN (0, 1)),"
	"  checked_at    INTEGER NOT NULL,"
	"  last_success  INTEGER,"
	"  error         TEXT,"
	"  token_expires INTEGER,"
	"  outage_since  INTEGER,"
	"  noticed_at    INTEGER"
	") WITHOUT ROWID;";

/* Whether a meeting's invitations name the organizer by its plain address
 * (token.h).  Clients treat an ORGANIZER that changes as another event, so
 * meetings invited before reply tokens keep the plain address for every
 * later message; a meeting invited with tokens off keeps it too. */
static const char migration_6[] =
	"ALTER TABLE meetings ADD COLUMN plain_organizer INTEGER NOT NULL"
	"  DEFAULT 0 CHECK (plain_organizer IN (0, 1));"
	"UPDATE meetings SET plain_organizer = 1"
	" WHERE uid IN (SELECT meeting_uid FROM invitations);";

/* Trust (trust.h): what was refused, counted by reason for `status`; and
 * the messages held until their coordinator confirms them, raw, with the
 * coordinator asked (the configured address) and when they arrived; and
 * when a notice about one sender and meeting last went to a recipient,
 * which bounds how often it goes, and how many were held back since. */
static const char migration_7[] =
	"CREATE TABLE refusals ("
	"  reason   TEXT PRIMARY KEY NOT NULL,"
	"  count    INTEGER NOT NULL,"
	"  last_at  INTEGER NOT NULL"
	") WITHOUT ROWID;"

	"CREATE TABLE held ("
	"  message_id  TEXT PRIMARY KEY NOT NULL,"
	"  group_id    TEXT NOT NULL,"
	"  coordinator TEXT NOT NULL COLLATE NOCASE,"
	"  raw         BLOB NOT NULL,"
	"  received    INTEGER NOT NULL"
	");"
	"CREATE INDEX held_coordinator ON held (coordinator, received);"

	"CREATE TABLE notices_sent ("
	"  kind        TEXT NOT NULL,"
	"  recipient   TEXT NOT NULL COLLATE NOCASE,"
	"  meeting_uid TEXT NOT NULL,"
	"  sender      TEXT NOT NULL COLLATE NOCASE,"
	"  at          INTEGER NOT NULL,"
	"  held_back   INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (kind, recipient, meeting_uid, sender)"
	") WITHOUT ROWID;";

/* A series invited as one recurring event (plan.h): the event, as its
 * master was last written, and each attendee's copy of it.  Meetings
 * stay one row per occurrence; series_uid names the event one belongs
 * to (NULL: an event of its own) and recurrence_id its RECURRENCE-ID,
 * the rule's own wall time in the meeting's zone. */
static const char migration_8[] =
	"CREATE TABLE series_events ("
	"  uid          TEXT PRIMARY KEY NOT NULL,"
	"  group_id     TEXT NOT NULL REFERENCES groups (id),"
	"  series       TEXT NOT NULL,"
	"  dtstart      INTEGER NOT NULL,"
	"  dtstart_wall TEXT NOT NULL,"
	"  tzid         TEXT NOT NULL,"
	"  rrule        TEXT NOT NULL,"
	"  exdate       TEXT NOT NULL DEFAULT '',"
	"  until        INTEGER,"
	"  duration     INTEGER NOT NULL,"
	"  summary      TEXT,"
	"  location     TEXT,"
	"  kind         TEXT NOT NULL DEFAULT 'meeting',"
	"  sequence     INTEGER NOT NULL DEFAULT 0,"
	"  content_seq  INTEGER NOT NULL DEFAULT 0,"
	"  ended        INTEGER NOT NULL DEFAULT 0 CHECK (ended IN (0, 1)),"
	"  cancelled    INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),"
	"  plain_organizer INTEGER NOT NULL DEFAULT 0"
	"               CHECK (plain_organizer IN (0, 1)),"
	"  created      INTEGER NOT NULL"
	");"
	"CREATE INDEX series_events_group ON series_events (group_id, series);"

	"CREATE TABLE series_attendees ("
	"  series_uid    TEXT NOT NULL REFERENCES series_events (uid),"
	"  email         TEXT NOT NULL COLLATE NOCASE,"
	"  sequence_sent INTEGER NOT NULL,"
	"  partstat      TEXT NOT NULL DEFAULT 'NEEDS-ACTION'"
	"                CHECK (partstat IN ('NEEDS-ACTION', 'ACCEPTED',"
	"                  'DECLINED', 'TENTATIVE', 'DELEGATED')),"
	"  partstat_at   INTEGER,"
	"  reply_dtstamp INTEGER,"
	"  cancelled     INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),"
	"  PRIMARY KEY (series_uid, email)"
	") WITHOUT ROWID;"

	"ALTER TABLE meetings ADD COLUMN series_uid TEXT"
	"  REFERENCES series_events (uid);"
	"ALTER TABLE meetings ADD COLUMN recurrence_id TEXT;"
	"CREATE INDEX meetings_series ON meetings (series_uid, start);";

/* A member's delegate (RFC 5546 2.1.5: the member answered DELEGATED
 * with DELEGATED-TO) for one meeting, or for a series event as a whole:
 * meeting_uid is then the event's UID, which no row of meetings has.
 * Invited beside the group's attendees while the meeting or the event
 * stands, their answer counting as anyone's.  delegator is the member
 * who sent them. */
static const char migration_9[] =
	"CREATE TABLE delegates ("
	"  meeting_uid TEXT NOT NULL,"
	"  email       TEXT NOT NULL COLLATE NOCASE,"
	"  delegator   TEXT NOT NULL COLLATE NOCASE,"
	"  added_at    INTEGER NOT NULL,"
	"  PRIMARY KEY (meeting_uid, email)"
	") WITHOUT ROWID;";

/* A milestone of a group's plan of work marked done (milestone.h): the
 * day, in the group's zone, and the coordinator's reply that said so.
 * Keyed by name, as the configuration names it: a milestone renamed is
 * another one. */
static const char migration_10[] =
	"CREATE TABLE milestones_done ("
	"  group_id   TEXT NOT NULL,"
	"  name       TEXT NOT NULL,"
	"  done       TEXT NOT NULL,"
	"  done_at    INTEGER NOT NULL,"
	"  message_id TEXT,"
	"  sender     TEXT,"
	"  PRIMARY KEY (group_id, name)"
	") WITHOUT ROWID;";
/* The repository's journal (repo.h): one row per change convened made to
 * the repository and has not committed to its git history yet, written
 * in the transaction that records what the files are (before the files
 * for a file that is replaced), removed once the commit is made.
 * AUTOINCREMENT: an id is never used twice, so a commit's trailer names
 * one row only. */
static const char migration_11[] =
	"CREATE TABLE repo_journal ("
	"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  author_name  TEXT,"
	"  author_email TEXT,"
	"  group_id     TEXT,"
	"  meeting_uid  TEXT,"
	"  kind         TEXT NOT NULL,"
	"  message_id   TEXT,"
	"  paths        TEXT NOT NULL,"
	"  at           INTEGER NOT NULL"
	");";
/* Volunteer presentations (present.h): one row per offer, in the order
 * offers came (id).  status is what the slot logic made of it last;
 * withdrawn the time it was withdrawn (NULL: standing); changes how
 * many times its member changed it (a bound on floods); presented set
 * once the meeting ended with it accepted: the experience record, with
 * files the presenter's materials archived (one path a line, relative
 * to the repository). */
static const char migration_12[] =
	"CREATE TABLE presentations ("
	"  id          INTEGER PRIMARY KEY,"
	"  meeting_uid TEXT NOT NULL,"
	"  group_id    TEXT NOT NULL,"
	"  email       TEXT NOT NULL COLLATE NOCASE,"
	"  name        TEXT,"
	"  country     TEXT,"
	"  title       TEXT NOT NULL,"
	"  offered     INTEGER NOT NULL,"
	"  withdrawn   INTEGER,"
	"  status      TEXT NOT NULL DEFAULT 'waiting'"
	"              CHECK (status IN ('accepted', 'waiting', 'withdrawn')),"
	"  changes     INTEGER NOT NULL DEFAULT 1,"
	"  presented   INTEGER NOT NULL DEFAULT 0 CHECK (presented IN (0, 1)),"
	"  files       TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX presentations_meeting ON presentations (meeting_uid, id);"
	"CREATE INDEX presentations_group ON presentations (group_id);";
/* Each group's mailing list (list.h): every post that reached it, held
 * for moderation, relayed, rejected or expired, with its raw bytes while
 * it is held or once it was relayed (for the archive and digests); batch
 * is the time of the moderation request that listed a held post (0: not
 * asked yet).  list_readers: how a member reads the list (delivery), and
 * whether their list mail is paused for bouncing (told: the coordinators
 * were told of it). */
static const char migration_13[] =
	"CREATE TABLE list_posts ("
	"  message_id TEXT PRIMARY KEY NOT NULL,"
	"  group_id   TEXT NOT NULL,"
	"  sender     TEXT COLLATE NOCASE,"
	"  subject    TEXT,"
	"  state      TEXT NOT NULL CHECK (state IN ('held', 'relayed',"
	"               'rejected', 'expired')),"
	"  batch      INTEGER NOT NULL DEFAULT 0,"
	"  received   INTEGER NOT NULL,"
	"  decided    INTEGER,"
	"  archived   INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),"
	"  raw        BLOB"
	");"
	"CREATE INDEX list_posts_group ON list_posts (group_id, state, batch);"
	"CREATE TABLE list_readers ("
	"  group_id  TEXT NOT NULL,"
	"  email     TEXT NOT NULL COLLATE NOCASE,"
	"  delivery  TEXT NOT NULL DEFAULT 'each'"
	"            CHECK (delivery IN ('each', 'digest', 'nomail')),"
	"  paused    INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),"
	"  told      INTEGER NOT NULL DEFAULT 0 CHECK (told IN (0, 1)),"
	"  digest_at INTEGER NOT NULL DEFAULT 0,"
	"  resumed_at INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (group_id, email)"
	") WITHOUT ROWID;";

/* Scheduling polls (poll.h): each member's latest answer, as the local
 * start times they suit (not their numbers, which an edited poll would
 * shift), and the candidate a coordinator confirmed.  Keyed by the
 * poll's name, as the configuration names it. */
static const char migration_14[] =
	"CREATE TABLE poll_answers ("
	"  group_id   TEXT NOT NULL,"
	"  poll       TEXT NOT NULL,"
	"  email      TEXT NOT NULL,"
	"  starts     TEXT NOT NULL,"
	"  at         INTEGER NOT NULL,"
	"  message_id TEXT,"
	"  PRIMARY KEY (group_id, poll, email)"
	") WITHOUT ROWID;"
	"CREATE TABLE poll_choices ("
	"  group_id   TEXT NOT NULL,"
	"  poll       TEXT NOT NULL,"
	"  start      TEXT NOT NULL,"
	"  at         INTEGER NOT NULL,"
	"  message_id TEXT,"
	"  sender     TEXT,"
	"  PRIMARY KEY (group_id, poll)"
	") WITHOUT ROWID;";

/* A registration for an open seminar (seminar.h), or the one refusal a
 * closed one gave an address: state seated (an attendee of the meeting),
 * waiting (in line for a seat, in rowid order), declined (was seated and
 * declined: still invited, holds no seat) or refused (answered once that
 * the meeting is closed).  One row per meeting and address, whatever
 * they send again. */
static const char migration_15[] =
	"CREATE TABLE registrations ("
	"  meeting_uid TEXT NOT NULL,"
	"  group_id    TEXT NOT NULL,"
	"  email       TEXT NOT NULL COLLATE NOCASE,"
	"  state       TEXT NOT NULL CHECK (state IN ('seated', 'waiting',"
	"              'declined', 'refused')),"
	"  at          INTEGER NOT NULL,"
	"  message_id  TEXT,"
	"  UNIQUE (meeting_uid, email)"
	");"
	"CREATE INDEX registrations_email ON registrations (email, at);"
	"CREATE INDEX registrations_group ON registrations (group_id, state);";

/* What the cycle remembers of each group to leave it alone while
 * nothing is due (cycle.h): the digest of its configuration and of the
 * global one, the cycle that last ran its steps, and the next moment
 * any step of it may do something.  A group without a row is run. */
static const char migration_16[] =
	"CREATE TABLE group_due ("
	"  group_id TEXT PRIMARY KEY NOT NULL,"
	"  digest   TEXT NOT NULL,"
	"  ran      INTEGER NOT NULL,"
	"  due      INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/* When something done now and then was last done (the
	 * repository's sweep for files nobody journaled). */
	"CREATE TABLE cycle_marks ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  at   INTEGER NOT NULL"
	") WITHOUT ROWID;";

static const char *const migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
	migration_5,
	migration_6,
	migration_7,
	migration_8,
	migration_9,
	migration_10,
	migration_11,
	migration_12,
	migration_13,
	migration_14,
	migration_15,
	migration_16,
};

static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    STORE_SCHEMA_VERSION, "one migration per schema version");

/* ---- statements ---- */

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_PART,
	ST_PART_RELEASE,
	ST_PART_ROLLBACK_TO,
	ST_GROUP_SYNC,
	ST_MEMBER_UPSERT,
	ST_MEMBER_CURRENT,
	ST_MEMBER_REMOVE,
	ST_MEMBER_GET,
	ST_MEETING_GUESTS,
	ST_MEETING_UPSERT,
	ST_MEETING_AGENDA,
	ST_MEETING_MINUTES,
	ST_INV_SET,
	ST_INV_CANCEL,
	ST_INV_REPLY,
	ST_BOUNCE_RECORD,
	ST_GROUP_MEETINGS,
	ST_MEETING_ATTENDEES,
	ST_GROUP_BOUNCING,
	ST_INV_RESET,
	ST_PLAN_MEETINGS,
	ST_MEETING_GET,
	ST_MEETING_BUMP,
	ST_MEETING_DRAFT,
	ST_MEETING_PLAIN,
	ST_MEETING_INVITEES,
	ST_OUTBOX_ADD,
	ST_OUTBOX_DATA_ADD,
	ST_OUTBOX_DUE,
	ST_OUTBOX_AFTER,
	ST_OUTBOX_GET,
	ST_OUTBOX_TEXT,
	ST_OUTBOX_SET,
	ST_OUTBOX_COUNT,
	ST_WARNING_ADD,
	ST_INBOUND_SEEN,
	ST_INBOUND_ADD,
	ST_FOLDER_GET,
	ST_FOLDER_SET,
	ST_DOCUMENT_ADD,
	ST_ADDRESS_KNOWN,
	ST_OUTBOX_HAS,
	ST_MEETINGS_ENDED,
	ST_BOUNCE_STATUS,
	ST_GROUP_DOCUMENTS,
	ST_MEETING_EXISTS,
	ST_OUTBOX_DATA_DROP,
	ST_OUTBOX_SENT,
	ST_FAILURE_ADD,
	ST_FAILURE_GET,
	ST_FAILURE_QUARANTINE,
	ST_FAILURE_CLEAR,
	ST_OUTAGE_GET,
	ST_OUTAGE_PUT,
	ST_OUTAGE_END,
	ST_WARNING_DROP_OTHERS,
	ST_WARNING_HAS,
	ST_PRUNE_OUTBOX,
	ST_PRUNE_INBOUND,
	ST_PRUNE_FAILURES,
	ST_ACCOUNT_SET,
	ST_ACCOUNTS,
	ST_ACCOUNT_NOTICED,
	ST_INBOUND_COUNT,
	ST_SERIES_SAVE,
	ST_SERIES_LIVE,
	ST_SERIES_GET,
	ST_SERIES_PLAIN,
	ST_SERIES_RESET,
	ST_SERIES_ATT_SET,
	ST_SERIES_SHARE_ATT,
	ST_SERIES_SHARE_MEETING,
	ST_SERIES_ATT_CANCEL,
	ST_SERIES_ATT_CANCEL_ROWS,
	ST_SERIES_DETACH_INV,
	ST_SERIES_DETACH,
	ST_SERIES_REPLY,
	ST_SERIES_REPLY_ROWS,
	ST_SERIES_OCCURRENCE,
	ST_SERIES_MEETINGS,
	ST_MEETING_LINK,
	ST_DELEGATE_ADD,
	ST_DELEGATES,
	ST_GROUP_EVENT_DELEGATES,
	ST_REFUSAL_ADD,
	ST_REFUSALS,
	ST_HELD_ADD,
	ST_HELD_FOR,
	ST_HELD_RAW,
	ST_HELD_DROP,
	ST_HELD_EXPIRED,
	ST_NOTICE_GET,
	ST_NOTICE_PUT,
	ST_MILESTONE_DONE_SET,
	ST_MILESTONE_DONE_GET,
	ST_REPO_ADD,
	ST_REPO_NEXT,
	ST_REPO_DROP,
	ST_PRES_ADD,
	ST_PRES_PUT,
	ST_PRES_MEETING,
	ST_PRES_GROUP,
	ST_POST_ADD,
	ST_POST_SET,
	ST_POST_RAW,
	ST_POSTS,
	ST_POSTS_ASK,
	ST_POST_STATS,
	ST_POSTS_EXPIRE,
	ST_READER_GET,
	ST_READER_SET,
	ST_POSTS_MONTHS,
	ST_READERS_PAUSED,
	ST_BOUNCE_SCORE,
	ST_POSTS_UNARCHIVED,
	ST_POSTS_IN_MONTH,
	ST_POSTS_ARCHIVED,
	ST_POLL_ANSWER_SET,
	ST_POLL_ANSWERS,
	ST_POLL_CHOOSE,
	ST_POLL_CHOSEN,
	ST_REG_GET,
	ST_REG_ADD,
	ST_REG_SET,
	ST_REG_COUNT,
	ST_REG_COUNT_ADDR,
	ST_REG_GROUP,
	ST_REG_FIRST_WAITING,
	ST_DUE_ALL,
	ST_DUE_SET,
	ST_DUE_FORGET,
	ST_DUE_FORGET_ALL,
	ST_DUE_ANCHORS,
	ST_LIST_BUSY,
	ST_MARK_GET,
	ST_MARK_SET,
	ST__COUNT
};

/* The answer an attendee gave for the whole of a series event (?1 a
 * meeting of it, ?2 the attendee), which an occurrence newly theirs
 * starts with. */
#define SERIES_ANSWER \
	"(SELECT sa.partstat, sa.reply_dtstamp FROM series_attendees AS sa" \
	"  JOIN meetings AS sm ON sm.series_uid = sa.series_uid" \
	"  WHERE sm.uid = ?1 AND sa.email = ?2 AND NOT sa.cancelled)"

/* An occurrence newly an attendee's: invitations from meetings m and
 * series attendees a, joined by the caller, keep an answer given to it
 * unless it had been cancelled for them. */
#define SHARE_ROWS \
	"INSERT INTO invitations (meeting_uid, email, sequence_sent, partstat," \
	"  reply_dtstamp)" \
	" SELECT m.uid, a.email, m.sequence, a.partstat, a.reply_dtstamp" \
	" FROM meetings AS m JOIN series_attendees AS a" \
	"  ON a.series_uid = m.series_uid"
#define SHARE_CONFLICT \
	" ON CONFLICT (meeting_uid, email) DO UPDATE SET" \
	"  sequence_sent = excluded.sequence_sent," \
	"  partstat = CASE WHEN cancelled THEN excluded.partstat" \
	"    ELSE partstat END," \
	"  reply_dtstamp = CASE WHEN cancelled THEN excluded.reply_dtstamp" \
	"    ELSE reply_dtstamp END," \
	"  cancelled = 0"

#define PLAN_COLUMNS \
	"uid, series, orig_start, start, end, tzid, summary, location," \
	"  kind, sequence, content_seq, status = 'cancelled'," \
	"  agenda_state = 'confirmed', agenda, minutes_path, group_id," \
	"  plain_organizer, series_uid, recurrence_id"

#define SERIES_COLUMNS \
	"uid, group_id, series, dtstart, dtstart_wall, tzid, rrule, exdate," \
	"  coalesce(until, 0), duration, summary, location, kind, sequence," \
	"  content_seq, ended, cancelled, plain_organizer"

#define PRES_COLUMNS \
	"p.id, p.meeting_uid, p.group_id, p.email, p.name, p.country," \
	"  p.title, p.offered, coalesce(p.withdrawn, -1), p.status," \
	"  p.changes, p.presented, p.files, m.start, m.summary"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT store_op",
	[ST_RELEASE] = "RELEASE store_op",
	[ST_ROLLBACK_TO] = "ROLLBACK TO store_op",
	[ST_PART] = "SAVEPOINT store_part",
	[ST_PART_RELEASE] = "RELEASE store_part",
	[ST_PART_ROLLBACK_TO] = "ROLLBACK TO store_part",

	[ST_GROUP_SYNC] =
	"INSERT INTO groups (id, name, first_seen) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (id) DO UPDATE SET name = excluded.name",

	[ST_MEMBER_UPSERT] =
	"INSERT INTO members (group_id, email, name, language, timezone,"
	"  coordinator, role, removed_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)"
	" ON CONFLICT (group_id, email) DO UPDATE SET"
	"  name = excluded.name, language = excluded.language,"
	"  timezone = excluded.timezone, coordinator = excluded.coordinator,"
	"  role = excluded.role, removed_at = NULL"
	/* Every cycle syncs every member: a row that has not changed is
	 * not written, which is nearly always. */
	" WHERE name IS NOT excluded.name OR language IS NOT excluded.language"
	"  OR timezone IS NOT excluded.timezone"
	"  OR coordinator IS NOT excluded.coordinator"
	"  OR role IS NOT excluded.role OR removed_at IS NOT NULL",

	[ST_MEMBER_CURRENT] =
	"SELECT email FROM members WHERE group_id = ?1 AND removed_at IS NULL",

	[ST_MEMBER_REMOVE] =
	"UPDATE members SET removed_at = ?3"
	" WHERE group_id = ?1 AND email = ?2 AND removed_at IS NULL",

	[ST_MEMBER_GET] =
	"SELECT name, language, timezone, removed_at IS NOT NULL"
	" FROM members WHERE group_id = ?1 AND email = ?2",

	/* Someone invited who was never a member of the meeting's group: a
	 * guest, so the meeting was open when they were invited. */
	[ST_MEETING_GUESTS] =
	"SELECT EXISTS (SELECT 1 FROM invitations AS i"
	"  JOIN meetings AS m ON m.uid = i.meeting_uid"
	"  WHERE i.meeting_uid = ?1 AND NOT EXISTS (SELECT 1 FROM members AS p"
	"    WHERE p.group_id = m.group_id AND p.email = i.email))",

	/* group_id, series and orig_start are the occurrence's identity and
	 * agenda/minutes belong to other paths: none of them is updated. */
	[ST_MEETING_UPSERT] =
	"INSERT INTO meetings (uid, group_id, series, orig_start, start, end,"
	"  tzid, summary, location, kind, sequence, status, content_seq,"
	"  series_uid, recurrence_id)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, coalesce(?10, 'meeting'),"
	"  ?11, ?12, ?13, ?14, ?15)"
	" ON CONFLICT (uid) DO UPDATE SET"
	"  start = excluded.start, end = excluded.end, tzid = excluded.tzid,"
	"  summary = excluded.summary, location = excluded.location,"
	"  kind = excluded.kind, sequence = excluded.sequence,"
	"  status = excluded.status, content_seq = excluded.content_seq,"
	"  series_uid = excluded.series_uid,"
	"  recurrence_id = excluded.recurrence_id",

	/* The draft sent to the coordinators; a confirmed agenda stays. */
	[ST_MEETING_DRAFT] =
	"UPDATE meetings SET agenda = ?2"
	" WHERE uid = ?1 AND agenda_state = 'pending'",

	[ST_MEETING_PLAIN] =
	"UPDATE meetings SET plain_organizer = 1"
	" WHERE uid = ?1 AND NOT plain_organizer",

	[ST_MEETING_AGENDA] =
	"UPDATE meetings SET agenda_state = 'confirmed',"
	"  agenda = coalesce(?2, agenda) WHERE uid = ?1",

	[ST_MEETING_MINUTES] =
	"UPDATE meetings SET minutes_path = ?2 WHERE uid = ?1",

	/* An attendee invited again after a CANCEL answers afresh, or with
	 * the answer they gave for the series event the meeting is part of;
	 * the DTSTAMP guard stays so an old reply still cannot land. */
	[ST_INV_SET] =
	"INSERT INTO invitations (meeting_uid, email, sequence_sent, partstat,"
	"  reply_dtstamp)"
	" SELECT ?1, ?2, ?3, coalesce(a.partstat, 'NEEDS-ACTION'),"
	"  a.reply_dtstamp"
	" FROM (SELECT 1) LEFT JOIN " SERIES_ANSWER " AS a"
	" WHERE true"
	" ON CONFLICT (meeting_uid, email) DO UPDATE SET"
	"  sequence_sent = excluded.sequence_sent,"
	"  partstat = CASE WHEN cancelled THEN excluded.partstat"
	"    ELSE partstat END,"
	"  reply_dtstamp = CASE WHEN cancelled THEN excluded.reply_dtstamp"
	"    ELSE reply_dtstamp END,"
	"  cancelled = 0",

	[ST_INV_CANCEL] =
	"UPDATE invitations SET cancelled = 1, sequence_sent = ?3"
	" WHERE meeting_uid = ?1 AND email = ?2",

	/* A new time asks every attendee afresh (RFC 5546 2.1.4). */
	[ST_INV_RESET] =
	"UPDATE invitations SET partstat = 'NEEDS-ACTION'"
	" WHERE meeting_uid = ?1 AND NOT cancelled",

	/* Equal DTSTAMPs apply: clients send the same reply twice within a
	 * second, and applying it again changes nothing. */
	[ST_INV_REPLY] =
	"UPDATE invitations SET partstat = ?3, reply_dtstamp = ?4,"
	"  partstat_at = ?5"
	" WHERE meeting_uid = ?1 AND email = ?2"
	"  AND (reply_dtstamp IS NULL OR reply_dtstamp <= ?4)",

	/* DSNs can be processed out of order (two folders, a late retry):
	 * only a report at least as new as the last one decides the state. */
	[ST_BOUNCE_RECORD] =
	"INSERT INTO bounces (email, status, permanent, first_at, last_at,"
	"  count, notified_at) VALUES (?1, ?2, ?3, ?4, ?4, 1, NULL)"
	" ON CONFLICT (email) DO UPDATE SET"
	"  status = CASE WHEN excluded.last_at >= last_at"
	"    THEN excluded.status ELSE status END,"
	"  permanent = CASE WHEN excluded.last_at >= last_at"
	"    THEN excluded.permanent ELSE permanent END,"
	"  notified_at = CASE WHEN excluded.last_at >= last_at"
	"    AND excluded.permanent AND NOT permanent"
	"    THEN NULL ELSE notified_at END,"
	"  first_at = min(first_at, excluded.first_at),"
	"  last_at = max(last_at, excluded.last_at),"
	"  count = count + 1",

	[ST_GROUP_MEETINGS] =
	"SELECT uid, group_id, series, start, end, sequence,"
	"  status = 'cancelled', agenda_state = 'confirmed', minutes_path,"
	"  kind, summary, tzid"
	" FROM meetings"
	" WHERE group_id = ?1 AND start >= ?2 AND start < ?3"
	" ORDER BY start, uid",

	[ST_MEETING_ATTENDEES] =
	"SELECT email, partstat FROM invitations"
	" WHERE meeting_uid = ?1 AND NOT cancelled ORDER BY email",

	[ST_PLAN_MEETINGS] =
	"SELECT " PLAN_COLUMNS
	" FROM meetings WHERE group_id = ?1 AND start >= ?2 AND start < ?3"
	" ORDER BY start, uid",

	[ST_MEETING_GET] =
	"SELECT " PLAN_COLUMNS " FROM meetings WHERE uid = ?1",

	/* Attendees must hear of it: the agenda was confirmed or changed. */
	[ST_MEETING_BUMP] =
	"UPDATE meetings SET sequence = sequence + 1,"
	"  content_seq = sequence + 1 WHERE uid = ?1",

	/* A series event's UID names its attendees' copies of it. */
	[ST_MEETING_INVITEES] =
	"SELECT email, sequence_sent, cancelled, partstat FROM invitations"
	" WHERE meeting_uid = ?1"
	" UNION ALL SELECT email, sequence_sent, cancelled, partstat"
	" FROM series_attendees WHERE series_uid = ?1 ORDER BY 1",

	/* The Message-ID is derived from what the message is; planning the
	 * same message twice therefore queues it once. */
	/* A letter about a series event as a whole (a proposal for all of
	 * it) is about no one meeting. */
	[ST_OUTBOX_ADD] =
	"INSERT INTO outbox (message_id, kind, group_id, meeting_uid,"
	"  recipient, next_try, created)"
	" VALUES (?1, ?2, ?3, (SELECT uid FROM meetings WHERE uid = ?4), ?5,"
	"  ?6, ?6)"
	" ON CONFLICT (message_id) DO NOTHING",

	[ST_OUTBOX_DATA_ADD] =
	"INSERT INTO outbox_data (id, data) VALUES (?1, ?2)",

	/* 'sending' rows are those a crash interrupted: sent again. */
	/* Not the text: a batch of 200 rows of 24 MB each would be 4.8 GB.
	 * The join reads no more of outbox_data than the row's header. */
	/* One state per arm, each read in the order of outbox_due and
	 * merged, so that the LIMIT ends the reading: with state IN (...)
	 * SQLite read and sorted every due row (and the head of its text)
	 * for every batch, a flush of 5,000 rows costing 65,000.  next_try
	 * is there for the ORDER BY of the compound, not for outbox_fill. */
	[ST_OUTBOX_DUE] =
	"SELECT o.id, message_id, kind, group_id, meeting_uid, recipient,"
	"  attempts, created, next_try FROM outbox AS o"
	" JOIN outbox_data AS d ON d.id = o.id"
	" WHERE state = 'sending' AND next_try <= ?1"
	" UNION ALL "
	"SELECT o.id, message_id, kind, group_id, meeting_uid, recipient,"
	"  attempts, created, next_try FROM outbox AS o"
	" JOIN outbox_data AS d ON d.id = o.id"
	" WHERE state = 'pending' AND next_try <= ?1"
	" ORDER BY 9, 1 LIMIT ?2",

	/* The same columns, in the order rows were queued from ?2 on: a
	 * range of the primary key, however many rows were sent before.
	 * Not joined with the texts: each is read when its row is sent,
	 * and a row without one is not sent then. */
	[ST_OUTBOX_AFTER] =
	"SELECT id, message_id, kind, group_id, meeting_uid, recipient,"
	"  attempts, created, next_try FROM outbox"
	" WHERE id > ?2 AND state IN ('pending', 'sending')"
	"  AND next_try <= ?1 ORDER BY id LIMIT ?3",

	/* The same columns as ST_OUTBOX_DUE (outbox_fill), in any state. */
	[ST_OUTBOX_GET] =
	"SELECT id, message_id, kind, group_id, meeting_uid, recipient,"
	"  attempts, created FROM outbox WHERE id = ?1",

	[ST_OUTBOX_TEXT] =
	"SELECT data FROM outbox_data WHERE id = ?1",

	[ST_OUTBOX_SET] =
	"UPDATE outbox SET state = ?2, attempts = attempts + ?3,"
	"  next_try = coalesce(?4, next_try), sent_at = ?5, last_error = ?6"
	" WHERE id = ?1 AND state <> 'sent'",

	[ST_OUTBOX_COUNT] =
	"SELECT count(*) FROM outbox WHERE state = ?1",

	[ST_WARNING_ADD] =
	"INSERT INTO warnings (group_id, kind, key, sent_at)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",

	[ST_INBOUND_SEEN] =
	"SELECT result FROM inbound WHERE message_id = ?1",

	[ST_INBOUND_ADD] =
	"INSERT INTO inbound (message_id, folder, uidvalidity, uid,"
	"  processed_at, kind, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	" ON CONFLICT (message_id) DO NOTHING",

	[ST_FOLDER_GET] =
	"SELECT uidvalidity, last_uid FROM folders WHERE name = ?1",

	[ST_FOLDER_SET] =
	"INSERT INTO folders (name, uidvalidity, last_uid) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (name) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
	"  last_uid = excluded.last_uid",

	[ST_DOCUMENT_ADD] =
	"INSERT INTO documents (group_id, meeting_uid, kind, path, sha256,"
	"  sender, message_id, received_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",

	/* Someone we have written to: a member, past or present, or an
	 * invited guest.  A bounce for anyone else is not ours. */
	[ST_ADDRESS_KNOWN] =
	"SELECT EXISTS (SELECT 1 FROM members WHERE email = ?1)"
	"  OR EXISTS (SELECT 1 FROM invitations WHERE email = ?1)"
	"  OR EXISTS (SELECT 1 FROM outbox WHERE recipient = ?1)",

	[ST_OUTBOX_HAS] =
	"SELECT 1 FROM outbox WHERE message_id = ?1",

	[ST_MEETINGS_ENDED] =
	"SELECT uid FROM meetings WHERE group_id = ?1 AND status = 'scheduled'"
	"  AND end <= ?2 AND end > ?3 AND minutes_path IS NULL"
	" ORDER BY end DESC LIMIT 1",

	[ST_BOUNCE_STATUS] =
	"SELECT status FROM bounces WHERE email = ?1",

	[ST_GROUP_BOUNCING] =
	"SELECT m.email FROM members AS m JOIN bounces AS b ON b.email = m.email"
	" WHERE m.group_id = ?1 AND m.removed_at IS NULL AND b.permanent"
	" ORDER BY m.email",

	/* A document belongs to the year of its meeting (minutes of a
	 * December meeting arrive in January), else to the year it came. */
	[ST_GROUP_DOCUMENTS] =
	"SELECT d.kind, d.path, d.meeting_uid, d.sender, d.received_at"
	" FROM documents AS d LEFT JOIN meetings AS m ON m.uid = d.meeting_uid"
	" WHERE d.group_id = ?1 AND (CASE WHEN m.uid IS NOT NULL"
	"  THEN m.start >= ?2 AND m.start < ?3"
	"  ELSE d.received_at >= ?2 AND d.received_at < ?3 END)"
	" ORDER BY d.received_at, d.id",

	[ST_MEETING_EXISTS] =
	"SELECT EXISTS (SELECT 1 FROM meetings WHERE uid = ?1)",

	/* Nothing reads the text of a message that went or never will. */
	[ST_OUTBOX_DATA_DROP] =
	"DELETE FROM outbox_data WHERE id = ?1",

	/* ST_OUTBOX_SET's 'sent', the text kept (store_outbox_sent). */
	[ST_OUTBOX_SENT] =
	"UPDATE outbox SET state = 'sent', attempts = attempts + 1,"
	"  sent_at = ?2, last_error = NULL WHERE id = ?1 AND state <> 'sent'",

	/* Failing the same way again counts; failing otherwise starts over.
	 * A quarantined message found where it was put in quarantine from
	 * never left (the move failed): it keeps its count and goes again.
	 * Found anywhere else, someone brought it back: it is tried afresh,
	 * and a new quarantine is told again. */
	[ST_FAILURE_ADD] =
	"INSERT INTO inbound_failures (message_id, folder, uidvalidity, uid,"
	"  error, cause, count, first_at, last_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?7, 1, ?6, ?6)"
	" ON CONFLICT (message_id) DO UPDATE SET"
	"  count = CASE"
	"    WHEN quarantined_at IS NOT NULL AND (folder, uidvalidity, uid) IS"
	"      (excluded.folder, excluded.uidvalidity, excluded.uid) THEN count"
	"    WHEN quarantined_at IS NOT NULL THEN 1"
	"    WHEN cause = excluded.cause THEN count + 1"
	"    ELSE 1 END,"
	"  notified_at = CASE WHEN quarantined_at IS NOT NULL AND"
	"    (folder, uidvalidity, uid) IS NOT (excluded.folder,"
	"    excluded.uidvalidity, excluded.uid) THEN NULL ELSE notified_at END,"
	"  quarantined_at = CASE WHEN (folder, uidvalidity, uid) IS"
	"    (excluded.folder, excluded.uidvalidity, excluded.uid)"
	"    THEN quarantined_at END,"
	"  folder = excluded.folder, uidvalidity = excluded.uidvalidity,"
	"  uid = excluded.uid, error = excluded.error, cause = excluded.cause,"
	"  last_at = excluded.last_at"
	" RETURNING count",

	[ST_FAILURE_GET] =
	"SELECT count, error, quarantined_at, notified_at FROM inbound_failures"
	" WHERE message_id = ?1",

	[ST_FAILURE_QUARANTINE] =
	"UPDATE inbound_failures SET quarantined_at = ?2,"
	"  notified_at = CASE WHEN ?3 THEN ?2 ELSE notified_at END"
	" WHERE message_id = ?1",

	[ST_FAILURE_CLEAR] =
	"DELETE FROM inbound_failures WHERE message_id = ?1",

	[ST_OUTAGE_GET] =
	"SELECT since, error, tries, next_try FROM outages WHERE resource = ?1",

	[ST_OUTAGE_PUT] =
	"INSERT INTO outages (resource, since, error, tries, next_try)"
	" VALUES (?1, ?2, ?3, ?4, ?5)"
	" ON CONFLICT (resource) DO UPDATE SET since = excluded.since,"
	"  error = excluded.error, tries = excluded.tries,"
	"  next_try = excluded.next_try",

	[ST_OUTAGE_END] =
	"DELETE FROM outages WHERE resource = ?1",

	[ST_WARNING_DROP_OTHERS] =
	"DELETE FROM warnings WHERE group_id = ?1 AND kind = ?2 AND key <> ?3",

	[ST_WARNING_HAS] =
	"SELECT EXISTS (SELECT 1 FROM warnings WHERE group_id = ?1 AND kind = ?2"
	"  AND key = ?3)",

	[ST_PRUNE_OUTBOX] =
	"DELETE FROM outbox WHERE state IN ('sent', 'failed') AND created < ?1",

	/* An applied message's record is what keeps it from being applied
	 * twice: it stays.  One that changed nothing can be read again. */
	[ST_PRUNE_INBOUND] =
	"DELETE FROM inbound WHERE result IN ('ignored', 'refused')"
	"  AND processed_at < ?1",

	[ST_PRUNE_FAILURES] =
	"DELETE FROM inbound_failures WHERE last_at < ?1",

	/* A success ends the outage; a failure starts one or goes on with
	 * it.  last_success stays through failures: it says since when.
	 * A failure as the last one was writes nothing (checked_at is when
	 * the account was first found as it is): a cycle whose mail server
	 * is down leaves the state db untouched, where a row of its own
	 * cost a write transaction and four syncs of an otherwise idle
	 * `once`. */
	[ST_ACCOUNT_SET] =
	"INSERT INTO accounts (name, auth, ok, checked_at, last_success, error,"
	"  token_expires, outage_since, noticed_at)"
	" VALUES (?1, ?2, ?3, ?4, CASE WHEN ?3 THEN ?4 END, ?5, ?6,"
	"  CASE WHEN ?3 THEN NULL ELSE ?4 END, NULL)"
	" ON CONFLICT (name) DO UPDATE SET auth = excluded.auth,"
	"  ok = excluded.ok, checked_at = excluded.checked_at,"
	"  last_success = coalesce(excluded.last_success, last_success),"
	"  error = excluded.error, token_expires = excluded.token_expires,"
	"  outage_since = CASE WHEN excluded.ok THEN NULL"
	"    ELSE coalesce(outage_since, excluded.checked_at) END,"
	"  noticed_at = CASE WHEN excluded.ok THEN NULL ELSE noticed_at END"
	" WHERE excluded.ok OR ok OR auth IS NOT excluded.auth"
	"  OR error IS NOT excluded.error"
	"  OR token_expires IS NOT excluded.token_expires",

	[ST_ACCOUNTS] =
	"SELECT name, auth, ok, checked_at, last_success, error, token_expires,"
	"  outage_since, noticed_at FROM accounts ORDER BY name",

	[ST_ACCOUNT_NOTICED] =
	"UPDATE accounts SET noticed_at = ?2"
	" WHERE name = ?1 AND NOT ok AND noticed_at IS NULL",

	[ST_INBOUND_COUNT] =
	"SELECT count(*) FROM inbound WHERE result = ?1 AND processed_at = ?2",

	/* The event's identity (uid, group, series, created) never changes;
	 * its master does. */
	[ST_SERIES_SAVE] =
	"INSERT INTO series_events (uid, group_id, series, dtstart,"
	"  dtstart_wall, tzid, rrule, exdate, until, duration, summary,"
	"  location, kind, sequence, content_seq, ended, cancelled, created)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, nullif(?9, 0), ?10, ?11, ?12,"
	"  coalesce(?13, 'meeting'), ?14, ?15, ?16, ?17, ?18)"
	" ON CONFLICT (uid) DO UPDATE SET dtstart = excluded.dtstart,"
	"  dtstart_wall = excluded.dtstart_wall, tzid = excluded.tzid,"
	"  rrule = excluded.rrule, exdate = excluded.exdate,"
	"  until = excluded.until, duration = excluded.duration,"
	"  summary = excluded.summary, location = excluded.location,"
	"  kind = excluded.kind, sequence = excluded.sequence,"
	"  content_seq = excluded.content_seq, ended = excluded.ended,"
	"  cancelled = excluded.cancelled",

	[ST_SERIES_LIVE] =
	"SELECT " SERIES_COLUMNS " FROM series_events"
	" WHERE group_id = ?1 AND NOT ended ORDER BY series, dtstart",

	[ST_SERIES_GET] =
	"SELECT " SERIES_COLUMNS " FROM series_events WHERE uid = ?1",

	[ST_SERIES_PLAIN] =
	"UPDATE series_events SET plain_organizer = 1"
	" WHERE uid = ?1 AND NOT plain_organizer",

	/* A new time asks every attendee afresh (RFC 5546 2.1.4). */
	[ST_SERIES_RESET] =
	"UPDATE series_attendees SET partstat = 'NEEDS-ACTION'"
	" WHERE series_uid = ?1 AND NOT cancelled",

	/* Back after a CANCEL: they answer afresh. */
	[ST_SERIES_ATT_SET] =
	"INSERT INTO series_attendees (series_uid, email, sequence_sent)"
	" VALUES (?1, ?2, ?3)"
	" ON CONFLICT (series_uid, email) DO UPDATE SET"
	"  sequence_sent = excluded.sequence_sent,"
	"  partstat = CASE WHEN cancelled THEN 'NEEDS-ACTION' ELSE partstat END,"
	"  reply_dtstamp = CASE WHEN cancelled THEN NULL ELSE reply_dtstamp END,"
	"  cancelled = 0",

	[ST_SERIES_SHARE_ATT] =
	SHARE_ROWS
	" WHERE m.series_uid = ?1 AND a.email = ?2 AND m.start > ?3"
	"  AND m.status = 'scheduled'"
	SHARE_CONFLICT,

	[ST_SERIES_SHARE_MEETING] =
	SHARE_ROWS
	" WHERE m.uid = ?1 AND NOT a.cancelled"
	SHARE_CONFLICT,

	[ST_SERIES_ATT_CANCEL] =
	"UPDATE series_attendees SET cancelled = 1, sequence_sent = ?3"
	" WHERE series_uid = ?1 AND email = ?2",

	[ST_SERIES_ATT_CANCEL_ROWS] =
	"UPDATE invitations SET cancelled = 1, sequence_sent ="
	"  (SELECT sequence FROM meetings WHERE uid = meeting_uid)"
	" WHERE email = ?2 AND NOT cancelled AND meeting_uid IN"
	"  (SELECT uid FROM meetings WHERE series_uid = ?1 AND start > ?3)",

	[ST_SERIES_DETACH_INV] =
	"UPDATE invitations SET cancelled = 1"
	" WHERE NOT cancelled AND meeting_uid IN"
	"  (SELECT uid FROM meetings WHERE series_uid = ?1 AND start > ?2)",

	[ST_SERIES_DETACH] =
	"UPDATE meetings SET series_uid = NULL, recurrence_id = NULL"
	" WHERE series_uid = ?1 AND start > ?2",

	[ST_SERIES_REPLY] =
	"UPDATE series_attendees SET partstat = ?3, reply_dtstamp = ?4,"
	"  partstat_at = ?5"
	" WHERE series_uid = ?1 AND email = ?2"
	"  AND (reply_dtstamp IS NULL OR reply_dtstamp <= ?4)",

	/* An answer for the whole series is for what is still to come. */
	[ST_SERIES_REPLY_ROWS] =
	"UPDATE invitations SET partstat = ?3, reply_dtstamp = ?4,"
	"  partstat_at = ?5"
	" WHERE email = ?2 AND NOT cancelled"
	"  AND (reply_dtstamp IS NULL OR reply_dtstamp <= ?4)"
	"  AND meeting_uid IN (SELECT uid FROM meetings WHERE series_uid = ?1"
	"    AND start > ?5 AND status = 'scheduled')",

	/* Readers disagree by an hour on a wall time in a DST gap or fold,
	 * and occurrences are at least a day apart: the nearest within
	 * half a day is the one meant. */
	[ST_SERIES_OCCURRENCE] =
	"SELECT " PLAN_COLUMNS " FROM meetings"
	" WHERE series_uid = ?1 AND start > ?2 - 43200 AND start < ?2 + 43200"
	" ORDER BY abs(start - ?2) LIMIT 1",

	[ST_SERIES_MEETINGS] =
	"SELECT " PLAN_COLUMNS " FROM meetings WHERE series_uid = ?1"
	" ORDER BY start, uid",

	[ST_MEETING_LINK] =
	"UPDATE meetings SET series_uid = ?2, recurrence_id = ?3 WHERE uid = ?1",

	[ST_DELEGATE_ADD] =
	"INSERT INTO delegates (meeting_uid, email, delegator, added_at)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",

	[ST_DELEGATES] =
	"SELECT email, delegator, meeting_uid FROM delegates"
	" WHERE meeting_uid = ?1 ORDER BY added_at, email",

	[ST_GROUP_EVENT_DELEGATES] =
	"SELECT d.email, d.delegator, d.meeting_uid FROM delegates AS d"
	" JOIN series_events AS e ON e.uid = d.meeting_uid"
	" WHERE e.group_id = ?1 ORDER BY d.added_at, d.email",
	[ST_REFUSAL_ADD] =
	"INSERT INTO refusals (reason, count, last_at) VALUES (?1, 1, ?2)"
	" ON CONFLICT (reason) DO UPDATE SET count = count + 1,"
	"  last_at = excluded.last_at",

	[ST_REFUSALS] =
	"SELECT reason, count FROM refusals ORDER BY reason",

	[ST_HELD_ADD] =
	"INSERT INTO held (message_id, group_id, coordinator, raw, received)"
	" VALUES (?1, ?2, ?3, ?4, ?5)"
	" ON CONFLICT (message_id) DO NOTHING",

	[ST_HELD_FOR] =
	"SELECT message_id, group_id, coordinator, received FROM held"
	" WHERE coordinator = ?1 ORDER BY received, message_id",

	[ST_HELD_RAW] =
	"SELECT raw FROM held WHERE message_id = ?1",

	[ST_HELD_DROP] =
	"DELETE FROM held WHERE message_id = ?1",

	[ST_HELD_EXPIRED] =
	"SELECT message_id, group_id, coordinator, received FROM held"
	" WHERE received < ?1 ORDER BY received, message_id",

	[ST_NOTICE_GET] =
	"SELECT at, held_back FROM notices_sent"
	" WHERE kind = ?1 AND recipient = ?2 AND meeting_uid = ?3"
	"  AND sender = ?4",

	[ST_MILESTONE_DONE_SET] =
	"INSERT INTO milestones_done (group_id, name, done, done_at,"
	"  message_id, sender) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	" ON CONFLICT DO NOTHING",

	[ST_MILESTONE_DONE_GET] =
	"SELECT done FROM milestones_done WHERE group_id = ?1 AND name = ?2",

	[ST_POLL_ANSWER_SET] =
	"INSERT INTO poll_answers (group_id, poll, email, starts, at,"
	"  message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	" ON CONFLICT DO UPDATE SET starts = excluded.starts,"
	"  at = excluded.at, message_id = excluded.message_id",

	[ST_POLL_ANSWERS] =
	"SELECT email, starts FROM poll_answers WHERE group_id = ?1"
	"  AND poll = ?2 ORDER BY email",

	[ST_POLL_CHOOSE] =
	"INSERT INTO poll_choices (group_id, poll, start, at, message_id,"
	"  sender) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",

	[ST_POLL_CHOSEN] =
	"SELECT start FROM poll_choices WHERE group_id = ?1 AND poll = ?2",
	[ST_REG_GET] =
	"SELECT state FROM registrations WHERE meeting_uid = ?1 AND email = ?2",

	[ST_REG_ADD] =
	"INSERT INTO registrations (meeting_uid, group_id, email, state, at,"
	"  message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",

	[ST_REG_SET] =
	"UPDATE registrations SET state = ?3 WHERE meeting_uid = ?1"
	"  AND email = ?2",

	[ST_REG_COUNT] =
	"SELECT count(*) FROM registrations WHERE meeting_uid = ?1"
	"  AND (?2 IS NULL OR state = ?2) AND at >= ?3",

	[ST_REG_COUNT_ADDR] =
	"SELECT count(*) FROM registrations WHERE email = ?1 AND at >= ?2",

	[ST_REG_GROUP] =
	"SELECT meeting_uid, email, state FROM registrations"
	" WHERE group_id = ?1 AND state <> 'refused' ORDER BY rowid",

	[ST_REG_FIRST_WAITING] =
	"SELECT email FROM registrations WHERE meeting_uid = ?1"
	"  AND state = 'waiting' ORDER BY rowid LIMIT 1",

	[ST_MARK_GET] =
	"SELECT at FROM cycle_marks WHERE name = ?1",

	[ST_MARK_SET] =
	"INSERT OR REPLACE INTO cycle_marks (name, at) VALUES (?1, ?2)",

	[ST_DUE_ALL] =
	"SELECT group_id, digest, ran, due FROM group_due",

	[ST_DUE_SET] =
	"INSERT OR REPLACE INTO group_due (group_id, digest, ran, due)"
	"  VALUES (?1, ?2, ?3, ?4)",

	[ST_DUE_FORGET] =
	"DELETE FROM group_due WHERE group_id = ?1",

	[ST_DUE_FORGET_ALL] =
	"DELETE FROM group_due",

	[ST_DUE_ANCHORS] =
	"SELECT start, end FROM meetings WHERE group_id = ?1 AND end >= ?2",

	/* Held posts, relayed posts not archived yet, readers of digests:
	 * what the list step does on its own as time passes. */
	[ST_LIST_BUSY] =
	"SELECT EXISTS (SELECT 1 FROM list_posts WHERE group_id = ?1"
	"  AND (state = 'held' OR (state = 'relayed' AND NOT archived)))"
	"  OR EXISTS (SELECT 1 FROM list_readers WHERE group_id = ?1"
	"  AND delivery = 'digest')",

	[ST_NOTICE_PUT] =
	"INSERT INTO notices_sent (kind, recipient, meeting_uid, sender, at,"
	"  held_back) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	" ON CONFLICT (kind, recipient, meeting_uid, sender) DO UPDATE SET"
	"  at = excluded.at, held_back = excluded.held_back",
	[ST_REPO_ADD] =
	    "INSERT INTO repo_journal (author_name, author_email, group_id,"
	    "  meeting_uid, kind, message_id, paths, at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_REPO_NEXT] =
	    "SELECT id, author_name, author_email, group_id, meeting_uid, kind,"
	    "  message_id, paths, at FROM repo_journal WHERE id > ?1"
	    "  ORDER BY id LIMIT 1",
	[ST_REPO_DROP] =
	    "DELETE FROM repo_journal WHERE id = ?",

	[ST_PRES_ADD] =
	"INSERT INTO presentations (meeting_uid, group_id, email, name,"
	"  country, title, offered, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	"  ?7, ?8)",

	[ST_PRES_PUT] =
	"UPDATE presentations SET title = ?2, status = ?3, withdrawn = ?4,"
	"  changes = ?5, presented = ?6, files = ?7 WHERE id = ?1",

	[ST_PRES_MEETING] =
	"SELECT " PRES_COLUMNS " FROM presentations AS p"
	" JOIN meetings AS m ON m.uid = p.meeting_uid"
	" WHERE p.meeting_uid = ?1 ORDER BY p.id",

	[ST_PRES_GROUP] =
	"SELECT " PRES_COLUMNS " FROM presentations AS p"
	" JOIN meetings AS m ON m.uid = p.meeting_uid"
	" WHERE p.group_id = ?1 AND m.start >= ?2 AND m.start < ?3"
	" ORDER BY m.start, p.meeting_uid, p.id",

	[ST_POST_ADD] =
	"INSERT INTO list_posts (message_id, group_id, sender, subject, state,"
	"  received, decided, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	"  CASE WHEN ?5 = 'held' THEN NULL ELSE ?6 END, ?7)"
	" ON CONFLICT (message_id) DO NOTHING",

	[ST_POST_SET] =
	"UPDATE list_posts SET state = ?2, decided = ?3,"
	"  raw = CASE WHEN ?2 = 'relayed' THEN raw ELSE NULL END"
	" WHERE message_id = ?1 AND state = 'held'",

	[ST_POST_RAW] =
	"SELECT raw FROM list_posts WHERE message_id = ?1 AND raw IS NOT NULL",

	[ST_POSTS] =
	"SELECT message_id, group_id, sender, subject, state, batch, received"
	" FROM list_posts WHERE group_id = ?1 AND (?2 IS NULL OR state = ?2)"
	"  AND (?3 < 0 OR batch = ?3) AND coalesce(decided, received) >= ?4"
	" ORDER BY received, message_id LIMIT ?5",

	[ST_POSTS_ASK] =
	"UPDATE list_posts SET batch = ?2 WHERE message_id IN"
	" (SELECT message_id FROM list_posts WHERE group_id = ?1"
	"  AND state = 'held' AND batch = 0"
	"  ORDER BY received, message_id LIMIT ?3)",

	[ST_POST_STATS] =
	"SELECT coalesce(sum(state = 'relayed'), 0),"
	"  coalesce(sum(state = 'held'), 0),"
	"  coalesce(sum(state = 'held' AND batch = 0), 0),"
	"  coalesce(max(batch), 0),"
	"  coalesce(max(CASE WHEN state = 'held' THEN batch END), 0)"
	" FROM list_posts WHERE group_id = ?1",

	[ST_POSTS_EXPIRE] =
	"UPDATE list_posts SET state = 'expired', decided = ?2, raw = NULL"
	" WHERE group_id = ?1 AND state = 'held' AND received < ?3",

	[ST_READER_GET] =
	"SELECT delivery, paused, told, digest_at, resumed_at FROM list_readers"
	" WHERE group_id = ?1 AND email = ?2",

	[ST_READER_SET] =
	"INSERT INTO list_readers (group_id, email, delivery, paused, told,"
	"  digest_at, resumed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	" ON CONFLICT (group_id, email) DO UPDATE SET"
	"  delivery = excluded.delivery, paused = excluded.paused,"
	"  told = excluded.told, digest_at = excluded.digest_at,"
	"  resumed_at = excluded.resumed_at",

	[ST_POSTS_MONTHS] =
	"SELECT strftime('%Y-%m', received, 'unixepoch'), count(*)"
	" FROM list_posts WHERE group_id = ?1 AND state = 'relayed'"
	"  AND received >= ?2 AND received < ?3 GROUP BY 1 ORDER BY 1",

	/* A post belongs to the month (UTC) it was relayed in. */
	[ST_POSTS_UNARCHIVED] =
	"SELECT DISTINCT strftime('%Y-%m', decided, 'unixepoch') FROM list_posts"
	" WHERE group_id = ?1 AND state = 'relayed' AND NOT archived"
	" ORDER BY 1",

	[ST_POSTS_IN_MONTH] =
	"SELECT message_id, group_id, sender, subject, state, batch, decided"
	" FROM list_posts WHERE group_id = ?1 AND state = 'relayed'"
	"  AND strftime('%Y-%m', decided, 'unixepoch') = ?2"
	" ORDER BY decided, message_id",

	[ST_POSTS_ARCHIVED] =
	"UPDATE list_posts SET archived = 1 WHERE group_id = ?1"
	"  AND state = 'relayed' AND strftime('%Y-%m', decided, 'unixepoch') = ?2",

	[ST_BOUNCE_SCORE] =
	"SELECT permanent, count, last_at FROM bounces WHERE email = ?1",

	[ST_READERS_PAUSED] =
	"SELECT count(*) FROM list_readers WHERE group_id = ?1 AND paused",
};

struct store {
	sqlite3        *db;
	char           *path;
	char           *errmsg;         /* SQLite's words for the last failure */
	enum store_fail failed;         /* the worst since the last clear */
	int             ready;          /* store_open succeeded */
	sqlite3_stmt   *st[ST__COUNT];
};

/* ---- helpers ---- */

/* Whose fault an SQLite result code is (store_failure()). */
static enum store_fail
fail_class(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return STORE_FAIL_NONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_READONLY:
	case SQLITE_INTERRUPT:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
	case SQLITE_NOLFS:
	case SQLITE_AUTH:
	case SQLITE_PERM:
		return STORE_FAIL_ENV;
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return STORE_FAIL_DATA;
	default:
		return STORE_FAIL_BROKEN;
	}
}

/* Keep SQLite's message now: resetting a statement or running the
 * rollback that follows a failure may replace it. */
static void
save_err(struct store *s)
{
	enum store_fail f = fail_class(sqlite3_extended_errcode(s->db));

	free(s->errmsg);
	s->errmsg = xstrdup(sqlite3_errmsg(s->db));
	/* The worst stays: a cycle that met a full disk and then a
	 * constraint met a full disk. */
	if (f > s->failed)
		s->failed = f;
}

/* Builds "<what> in state db <path>: <sqlite message>" into *err; takes
 * ownership of `what`.  Returns -1 so callers can `return dberr(...)`. */
static int
dberr(struct store *s, char **err, char *what)
{
	char *msg;

	msg = xasprintf("%s in state db %s: %s", what, s->path,
	    s->errmsg != NULL ? s->errmsg : "unknown error");
	free(what);
	if (err != NULL)
		*err = msg;
	else {
		log_warnx("%s", msg);
		free(msg);
	}
	return -1;
}

/* Bind parameters 1.. from `types`: 't' text (NULL binds NULL), 'i' int,
 * 'l' long long, 'L' long long or NULL when negative, 'x' blob (two
 * arguments: pointer and size_t length).  Text and blobs are
 * SQLITE_STATIC: every caller resets the statement before its arguments
 * go out of scope. */
static int
bindv(sqlite3_stmt *st, const char *types, va_list ap)
{
	const char *t;
	int i, rc = SQLITE_OK;

	for (i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (types[i]) {
		case 't':
			t = va_arg(ap, const char *);
			rc = t != NULL ?
			    sqlite3_bind_text(st, i + 1, t, -1, SQLITE_STATIC) :
			    sqlite3_bind_null(st, i + 1);
			break;
		case 'i':
			rc = sqlite3_bind_int(st, i + 1, va_arg(ap, int));
			break;
		case 'l':
			rc = sqlite3_bind_int64(st, i + 1,
			    (sqlite3_int64)va_arg(ap, long long));
			break;
		case 'L': {
			/* A time that may be absent: negative binds NULL. */
			long long v = va_arg(ap, long long);

			rc = v < 0 ? sqlite3_bind_null(st, i + 1) :
			    sqlite3_bind_int64(st, i + 1, (sqlite3_int64)v);
			break;
		}
		case 'x': {
			/* A blob: pointer, then size_t length. */
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);

			rc = sqlite3_bind_blob64(st, i + 1, p,
			    (sqlite3_uint64)len, SQLITE_STATIC);
			break;
		}
		default:
			fatalx("store: bad bind type '%c'", types[i]);
		}
	}
	return rc;
}

/* The cached statement `id`, prepared on first use, reset and bound.
 * NULL on failure with s->errmsg set.  The caller resets it when done. */
static sqlite3_stmt *
stmt_get(struct store *s, enum stmt_id id, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	if (s->st[id] == NULL) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL);
		if (rc != SQLITE_OK) {
			save_err(s);
			s->st[id] = NULL;
			return NULL;
		}
	}
	st = s->st[id];
	sqlite3_reset(st);
	va_start(ap, types);
	rc = bindv(st, types, ap);
	va_end(ap);
	if (rc != SQLITE_OK) {
		save_err(s);
		sqlite3_reset(st);
		return NULL;
	}
	return st;
}

/* Step a bound statement that returns no rows.  Returns the number of rows
 * it changed, or -1 with s->errmsg set.  Always leaves it reset. */
static int
run_stmt(struct store *s, sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return sqlite3_changes(s->db);
}

/* Step a bound statement that returns at most one row: 1 with the row to
 * read (the caller resets), 0 when there is none, -1 with s->errmsg set
 * (both reset). */
static int
one_row(struct store *s, sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		save_err(s);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
run_simple(struct store *s, enum stmt_id id)
{
	return run_stmt(s, stmt_get(s, id, ""));
}

/* A savepoint makes a multi-row writer atomic whether or not the caller
 * holds a transaction, and a multi-statement read see one snapshot
 * while the daemon writes from another process. */
static int
sp_begin(struct store *s)
{
	return run_simple(s, ST_SAVEPOINT) < 0 ? -1 : 0;
}

static int
sp_end(struct store *s, int ok)
{
	char *keep;

	if (ok) {
		if (run_simple(s, ST_RELEASE) >= 0)
			return 0;
		/* fall through: a failed RELEASE leaves the savepoint open */
	}
	/* The first failure is the one worth reporting. */
	keep = s->errmsg;
	s->errmsg = NULL;
	if (run_simple(s, ST_ROLLBACK_TO) < 0 || run_simple(s, ST_RELEASE) < 0)
		log_warnx("cannot roll back savepoint in state db %s: %s",
		    s->path, s->errmsg);
	free(s->errmsg);
	s->errmsg = keep;
	return -1;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* A one-off integer query, for PRAGMAs.  0 / -1 with s->errmsg set. */
static int
query_int(struct store *s, const char *sql, long long *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		save_err(s);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		save_err(s);
		sqlite3_finalize(st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* ---- open, migrate, close ---- */

static int
migrate(struct store *s, int to, int quiet, char **err)
{
	char pragma[64];
	long long cur;

	/* IMMEDIATE takes the write lock first, so of two processes opening
	 * the same old database one migrates and the other, re-reading the
	 * version under the lock, finds nothing left to do. */
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		save_err(s);
		goto fail;
	}
	if (query_int(s, "PRAGMA user_version", &cur) == -1)
		goto rollback;
	if (cur >= to) {
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		return 0;
	}
	if (cur != to - 1) {
		free(s->errmsg);
		s->errmsg = xasprintf("found version %lld", cur);
		goto rollback;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", to);
	if (sqlite3_exec(s->db, migrations[to - 1], NULL, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		save_err(s);
		goto rollback;
	}
	if (!quiet)
		log_info("state db %s migrated to schema version %d", s->path,
		    to);
	return 0;

rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	*err = xasprintf("cannot migrate state db %s to schema version %d: %s",
	    s->path, to, s->errmsg);
	return -1;
}

static char *
newer(const char *path, long long version, int known)
{
	return xasprintf("state db %s has schema version %lld, newer than "
	    "this convened understands (%d): upgrade convened", path, version,
	    known);
}

/* Open file (s->path, or the temporary name a new database is built
 * under) with flags; messages name s->path. */
static int
open_db(struct store *s, const char *file, int flags, char **err)
{
	int rc;

	rc = sqlite3_open_v2(file, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		/* "unable to open database file" alone does not say why */
		if (s->db != NULL && rc == SQLITE_CANTOPEN &&
		    sqlite3_system_errno(s->db) != 0)
			*err = xasprintf("cannot open state db %s: %s (%s)",
			    s->path, sqlite3_errstr(rc),
			    strerror(sqlite3_system_errno(s->db)));
		else
			*err = xasprintf("cannot open state db %s: %s", s->path,
			    s->db != NULL ? sqlite3_errmsg(s->db) :
			    sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	return 0;
}

/* Look before touching: a database from a newer convened, or a file that
 * is not ours, is left exactly as found.  *version is its schema. */
static int
is_ours(struct store *s, int upto, long long *version, char **err)
{
	long long appid, nobjects;

	if (query_int(s, "PRAGMA user_version", version) == -1 ||
	    query_int(s, "PRAGMA application_id", &appid) == -1 ||
	    query_int(s, "SELECT count(*) FROM sqlite_master", &nobjects) == -1) {
		*err = xasprintf("cannot open state db %s: %s", s->path,
		    s->errmsg);
		return -1;
	}
	if (*version > upto) {
		*err = newer(s->path, *version, upto);
		return -1;
	}
	if (appid != STORE_APP_ID && (appid != 0 || *version != 0)) {
		*err = xasprintf("state db %s belongs to another application "
		    "(application_id %#llx, user_version %lld): refusing to "
		    "use it", s->path, appid, *version);
		return -1;
	}
	if (*version == 0 && nobjects > 0) {
		*err = xasprintf("state db %s holds tables but no convened "
		    "schema: refusing to use it", s->path);
		return -1;
	}
	return 0;
}

/* WAL where the file system allows it, durability to match, foreign
 * keys on. */
static int
set_journal(struct store *s, char **err)
{
	sqlite3_stmt *st = NULL;
	const char *mode;
	int wal;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		save_err(s);
		sqlite3_finalize(st);
		*err = xasprintf("cannot set WAL journal on state db %s: %s",
		    s->path, s->errmsg);
		return -1;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	wal = mode != NULL && strcasecmp(mode, "wal") == 0;
	if (!wal)
		log_warnx("state db %s: journal mode is %s, not wal (file "
		    "system without shared memory?): readers will block the "
		    "daemon", s->path, mode != NULL ? mode : "unknown");
	sqlite3_finalize(st);

	/* NORMAL is durable only with WAL; the rollback journal needs FULL
	 * for "nothing accepted is lost" to survive a power cut.
	 * Debian builds SQLite with secure_delete on: every page a sent
	 * message's text leaves is zeroed and written through the WAL, ten
	 * writes of 4 KiB per message sent.  FAST still clears what is left
	 * on live pages, and the file is the daemon's own (0600).  Each
	 * store_outbox_add is a savepoint inside its group's transaction:
	 * its statement journal spilled to /var/tmp past 64 KiB, 80,000
	 * page writes for 5,000 invitations; in memory it costs none. */
	if (sqlite3_exec(s->db, wal ? "PRAGMA synchronous = NORMAL" :
	    "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA secure_delete = FAST", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA temp_store = MEMORY", NULL, NULL,
	    NULL) != SQLITE_OK) {
		save_err(s);
		*err = xasprintf("cannot configure state db %s: %s", s->path,
		    s->errmsg);
		return -1;
	}
	return 0;
}

/* A database made before schema 4 gives nothing back to the file system
 * when rows go: auto_vacuum can only be turned on by rewriting it whole.
 * VACUUM is atomic and needs about twice what the database holds free;
 * when it cannot run now (the disk, another process) nothing changes and
 * the next start tries again. */
static void
incremental_vacuum_on(struct store *s)
{
	long long mode, pages, free_pages, page_size, need;
	struct statvfs fs;
	char *dir;
	int rc;

	if (query_int(s, "PRAGMA auto_vacuum", &mode) == -1 || mode == 2 ||
	    query_int(s, "PRAGMA page_count", &pages) == -1 ||
	    query_int(s, "PRAGMA freelist_count", &free_pages) == -1 ||
	    query_int(s, "PRAGMA page_size", &page_size) == -1)
		return;
	/* The copy holds what is in use, written twice (a temporary
	 * database, then the WAL): a start on a full disk does not try. */
	need = 2 * (pages - free_pages) * page_size;
	dir = xstrdup(s->path);
	rc = statvfs(dirname(dir), &fs);
	free(dir);
	if (rc == 0 && (long long)fs.f_bavail * (long long)fs.f_frsize < need) {
		log_warnx("cannot rewrite state db %s to give free space back: it "
		    "needs %lld MiB free beside it; trying again at the next "
		    "start", s->path, need >> 20);
		return;
	}
	if (sqlite3_exec(s->db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM",
	    NULL, NULL, NULL) != SQLITE_OK) {
		save_err(s);
		s->failed = STORE_FAIL_NONE;
		log_warnx("cannot rewrite state db %s to give free space back: "
		    "%s; trying again at the next start", s->path, s->errmsg);
		return;
	}
	log_info("state db %s rewritten: free space goes back to the file "
	    "system from now on", s->path);
}

/* ---- what is at the path, before SQLite touches it ----
 *
 * SQLite takes an empty file for a new database and a cut one for a
 * whole one until it reads a missing page: either would be a silent fresh
 * start, every invitation sent again.  The first 100 bytes say enough
 * (https://www.sqlite.org/fileformat.html, "The Database Header"). */

#define HDR_SIZE        100
#define HDR_PAGE_SIZE   16      /* 2 bytes; 1 means 65536 */
#define HDR_CHANGES     24      /* file change counter */
#define HDR_PAGES       28      /* size in pages, valid when ... */
#define HDR_VALID_FOR   92      /* ... this equals the change counter */
#define HDR_USER_VER    60
#define HDR_APP_ID      68

static unsigned long
be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

/* Bytes in path, 0 when it is absent. */
static long long
size_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* The header's verdict on a file of size bytes. */
static enum store_file
judge_header(const char *path, const unsigned char *h, long long size,
    char **err)
{
	unsigned long pgsz, pages, appid, uv;
	char *wal;
	long long wal_size;

	pgsz = (unsigned long)h[HDR_PAGE_SIZE] << 8 | h[HDR_PAGE_SIZE + 1];
	if (pgsz == 1)
		pgsz = 65536;
	if (memcmp(h, "SQLite format 3", 16) != 0 || pgsz < 512 ||
	    (pgsz & (pgsz - 1)) != 0) {
		*err = xasprintf("state db %s is not an SQLite database: its "
		    "%lld bytes do not begin with an SQLite header", path, size);
		return STORE_FILE_REFUSED;
	}
	/* With a write-ahead log the log holds pages the file has not got
	 * yet; without one (convened closed cleanly) the file holds them
	 * all. */
	wal = xasprintf("%s-wal", path);
	wal_size = size_of(wal);
	free(wal);
	pages = be32(h + HDR_PAGES);
	if (wal_size == 0 && be32(h + HDR_VALID_FOR) == be32(h + HDR_CHANGES) &&
	    (long long)pages * (long long)pgsz > size) {
		*err = xasprintf("state db %s is truncated: %lld bytes, its "
		    "header counts %lu pages of %lu bytes", path, size, pages,
		    pgsz);
		return STORE_FILE_REFUSED;
	}
	appid = be32(h + HDR_APP_ID);
	uv = be32(h + HDR_USER_VER);
	if (appid == STORE_APP_ID)
		return STORE_FILE_OURS;
	if (appid == 0 && uv == 0) {
		/* A database of ours that was created and not yet
		 * checkpointed has its id in the log: is_ours() decides. */
		if (wal_size > 0)
			return STORE_FILE_OURS;
		*err = xasprintf("state db %s is an SQLite database with no "
		    "convened schema (no application_id)",
		    path);
		return STORE_FILE_REFUSED;
	}
	*err = xasprintf("state db %s belongs to another application "
	    "(application_id %#lx, user_version %lu)",
	    path, appid, uv);
	return STORE_FILE_REFUSED;
}

enum store_file
store_probe(const char *path, char **err)
{
	unsigned char h[HDR_SIZE];
	struct stat sb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return STORE_FILE_NONE;
		*err = xasprintf("cannot open state db %s: %s", path,
		    strerror(errno));
		return STORE_FILE_UNREADABLE;
	}
	if (fstat(fd, &sb) == -1) {
		*err = xasprintf("cannot open state db %s: %s", path,
		    strerror(errno));
		close(fd);
		return STORE_FILE_UNREADABLE;
	}
	if (!S_ISREG(sb.st_mode)) {
		*err = xasprintf("state db %s is not a regular file", path);
		close(fd);
		return STORE_FILE_REFUSED;
	}
	if (sb.st_size == 0) {
		*err = xasprintf("state db %s is empty (0 bytes)", path);
		close(fd);
		return STORE_FILE_REFUSED;
	}
	n = pread(fd, h, sizeof h, 0);
	close(fd);
	if (n == -1) {
		*err = xasprintf("cannot read state db %s: %s", path,
		    strerror(errno));
		return STORE_FILE_UNREADABLE;
	}
	if (n < HDR_SIZE) {
		*err = xasprintf("state db %s is not an SQLite database: %lld "
		    "bytes, shorter than an SQLite header", path,
		    (long long)sb.st_size);
		return STORE_FILE_REFUSED;
	}
	return judge_header(path, h, (long long)sb.st_size, err);
}

/* The bytes of file path on the disk: 0, or -1 with errno. */
static int
sync_file(const char *path)
{
	int fd, rc, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* The directory of path synced, so that a name just given is durable. */
static void
sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		if (fsync(fd) == -1)
			log_warn("cannot sync directory %s", dir);
		close(fd);
	}
	free(dir);
}

/* A new database at s->path, whole or not at all: built under a
 * temporary name, closed (which checkpoints it: no log left), synced,
 * and only then linked to its name, so that a crash while creating it
 * leaves no empty file there to be refused next time.  link() rather
 * than rename(): when another process created the database first, theirs
 * is kept.  Nothing reads the temporary file if the process dies, so its
 * migrations need no journal on disk and no sync each (four per
 * migration, 50 ms for a fresh state): one fsync before the link does. */
static int
create_db(struct store *s, int upto, char **err)
{
	char *tmp = xasprintf("%s.new.%ld", s->path, (long)getpid());
	char *journal = xasprintf("%s-journal", tmp);
	int v, linked, rc = -1;

	unlink(tmp);            /* a crashed attempt of a process with our pid */
	unlink(journal);
	if (open_db(s, tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    err) == -1)
		goto out;
	/* A failed migration still rolls back: the journal is in memory. */
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = MEMORY; "
	    "PRAGMA synchronous = OFF", NULL, NULL, NULL) != SQLITE_OK) {
		save_err(s);
		*err = xasprintf("cannot create state db %s: %s", s->path,
		    s->errmsg);
		goto out;
	}
	/* Only before its first table: see store_prune. */
	if (upto >= 4 && sqlite3_exec(s->db, "PRAGMA auto_vacuum = "
	    "INCREMENTAL", NULL, NULL, NULL) != SQLITE_OK) {
		save_err(s);
		*err = xasprintf("cannot create state db %s: %s", s->path,
		    s->errmsg);
		goto out;
	}
	for (v = 1; v <= upto; v++)
		if (migrate(s, v, 1, err) == -1)
			goto out;
	if (sqlite3_close(s->db) != SQLITE_OK) {
		*err = xasprintf("cannot create state db %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		goto out;
	}
	s->db = NULL;
	if (sync_file(tmp) == -1) {
		*err = xasprintf("cannot create state db %s: cannot sync %s: %s",
		    s->path, tmp, strerror(errno));
		goto out;
	}
	if (!(linked = link(tmp, s->path) == 0) && errno != EEXIST) {
		*err = xasprintf("cannot create state db %s: %s", s->path,
		    strerror(errno));
		goto out;
	}
	if (linked)
		log_info("state db %s created with schema version %d", s->path,
		    upto);
	sync_dir_of(s->path);
	rc = 0;
out:
	if (s->db != NULL) {
		sqlite3_close(s->db);
		s->db = NULL;
	}
	unlink(tmp);
	unlink(journal);
	free(journal);
	free(tmp);
	return rc;
}

struct store *
store_open_upto(const char *path, int upto, char **err)
{
	struct store *s;
	long long version;
	int v;

	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	if (upto < 0 || upto > STORE_SCHEMA_VERSION) {
		*err = xasprintf("cannot open state db %s: schema version %d "
		    "asked for, this convened knows 0 to %d", path, upto,
		    STORE_SCHEMA_VERSION);
		goto fail;
	}
	switch (store_probe(path, err)) {
	case STORE_FILE_NONE:
		if (create_db(s, upto, err) == -1)
			goto fail;
		break;
	case STORE_FILE_OURS:
		break;
	default:
		goto fail;
	}
	if (open_db(s, path, SQLITE_OPEN_READWRITE, err) == -1 ||
	    is_ours(s, upto, &version, err) == -1 || set_journal(s, err) == -1)
		goto fail;
	for (v = (int)version + 1; v <= upto; v++)
		if (migrate(s, v, version == 0, err) == -1)
			goto fail;

	/* Another process may have migrated further in the meantime. */
	if (query_int(s, "PRAGMA user_version", &version) == -1) {
		*err = xasprintf("cannot open state db %s: %s", path,
		    s->errmsg);
		goto fail;
	}
	if (version > upto) {
		*err = newer(path, version, upto);
		goto fail;
	}
	if (version < upto) {
		*err = xasprintf("cannot migrate state db %s: still at schema "
		    "version %lld after migrating to %d", path, version, upto);
		goto fail;
	}
	if (upto >= 4)
		incremental_vacuum_on(s);
	s->ready = 1;
	return s;

fail:
	store_close(s);
	return NULL;
}

struct store *
store_open_reader(const char *path, char **err)
{
	struct store *s;

	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	if (open_db(s, path, SQLITE_OPEN_READONLY, err) == -1) {
		store_close(s);
		return NULL;
	}
	return s;
}

struct store *
store_open(const char *path, char **err)
{
	return store_open_upto(path, STORE_SCHEMA_VERSION, err);
}

void
store_close(struct store *s)
{
	size_t i;
	int rc;

	if (s == NULL)
		return;
	if (s->db != NULL) {
		/* Recommended for long-lived connections: refreshes the
		 * planner's statistics where they have gone stale. */
		if (s->ready)
			sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
		for (i = 0; i < ST__COUNT; i++)
			sqlite3_finalize(s->st[i]);
		if ((rc = sqlite3_close(s->db)) != SQLITE_OK)
			log_warnx("cannot close state db %s: %s", s->path,
			    sqlite3_errstr(rc));
	}
	free(s->errmsg);
	free(s->path);
	free(s);
}

/* ---- backup ---- */

#define BACKUP_TRIES    100     /* a busy source, a tenth of a second apart */

/* dest and what SQLite may have left beside it. */
static void
remove_db_files(const char *dest)
{
	static const char *const suffix[] = { "-journal", "-wal", "-shm" };
	char *p;
	size_t i;

	unlink(dest);
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		p = xasprintf("%s%s", dest, suffix[i]);
		unlink(p);
		free(p);
	}
}

/* Every page of src into dst in one step: one read transaction, so one
 * snapshot, however the daemon writes meanwhile (WAL readers do not wait
 * for writers).  NULL, or SQLite's reason (caller frees). */
static char *
backup_copy(sqlite3 *src, sqlite3 *dst)
{
	sqlite3_backup *b;
	int rc, tries = 0;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		return xstrdup(sqlite3_errmsg(dst));
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED) {
		if (++tries == BACKUP_TRIES)
			break;
		sqlite3_sleep(100);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		return xasprintf("%s", sqlite3_errstr(rc));
	return NULL;
}

/* The copy reads back whole and is ours: NULL, or why not (caller
 * frees). */
static char *
backup_check(sqlite3 *dst)
{
	sqlite3_stmt *st = NULL;
	char *why = NULL;
	const char *r;

	if (sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		why = xstrdup(sqlite3_errmsg(dst));
	else if ((r = (const char *)sqlite3_column_text(st, 0)) == NULL ||
	    strcmp(r, "ok") != 0)
		why = xasprintf("quick_check says: %s", r != NULL ? r : "?");
	sqlite3_finalize(st);
	if (why != NULL)
		return why;
	if (sqlite3_prepare_v2(dst, "PRAGMA application_id", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		why = xstrdup(sqlite3_errmsg(dst));
	else if (sqlite3_column_int64(st, 0) != STORE_APP_ID)
		why = xstrdup("the copy is not a convened database");
	sqlite3_finalize(st);
	return why;
}

/* Rows of v[0..n) 'sent' in the copy, as store_outbox_sent() and
 * store_outbox_texts_drop() mark them in the state: NULL, or why not
 * (caller frees). */
static char *
backup_mark(sqlite3 *dst, const struct store_sent *v, size_t n)
{
	sqlite3_stmt *set = NULL, *drop = NULL;
	char *why = NULL;
	size_t i;

	if (n == 0)
		return NULL;
	if (sqlite3_exec(dst, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dst, stmt_sql[ST_OUTBOX_SENT], -1, &set,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dst, stmt_sql[ST_OUTBOX_DATA_DROP], -1, &drop,
	    NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(set, 1, v[i].id);
		sqlite3_bind_int64(set, 2, v[i].at);
		sqlite3_bind_int64(drop, 1, v[i].id);
		if (sqlite3_step(set) != SQLITE_DONE ||
		    sqlite3_step(drop) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(set);
		sqlite3_reset(drop);
	}
	sqlite3_finalize(set);
	sqlite3_finalize(drop);
	set = drop = NULL;
	if (sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return NULL;
fail:
	why = xasprintf("cannot mark the messages sent meanwhile: %s",
	    sqlite3_errmsg(dst));
	sqlite3_finalize(set);
	sqlite3_finalize(drop);
	sqlite3_exec(dst, "ROLLBACK", NULL, NULL, NULL);
	return why;
}

int
store_backup(const char *path, const char *dest,
    const struct store_sent *sent, size_t n, long long *bytes, char **err)
{
	sqlite3 *src = NULL, *dst = NULL;
	char *why = NULL;
	int fd;

	switch (store_probe(path, err)) {
	case STORE_FILE_OURS:
		break;
	case STORE_FILE_NONE:
		*err = xasprintf("cannot back up state db %s: no such file",
		    path);
		return -1;
	default:
		return -1;
	}
	fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		*err = errno == EEXIST ?
		    xasprintf("backup %s already exists: not replacing it",
		    dest) : xasprintf("cannot create backup %s: %s", dest,
		    strerror(errno));
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		why = xasprintf("cannot open state db %s: %s", path,
		    sqlite3_errmsg(src));
	else if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		why = xasprintf("cannot open %s: %s", dest,
		    sqlite3_errmsg(dst));
	else {
		sqlite3_busy_timeout(src, BUSY_TIMEOUT_MS);
		if ((why = backup_copy(src, dst)) == NULL &&
		    (why = backup_mark(dst, sent, n)) == NULL)
			why = backup_check(dst);
	}
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && why == NULL)
		why = xasprintf("cannot close %s", dest);
	sqlite3_close(src);
	if (why != NULL) {
		*err = xasprintf("cannot back up state db %s to %s: %s", path,
		    dest, why);
		free(why);
		remove_db_files(dest);
		return -1;
	}
	sync_dir_of(dest);
	*bytes = size_of(dest);
	return 0;
}

int
store_schema_version(struct store *s)
{
	long long v;

	if (query_int(s, "PRAGMA user_version", &v) == -1)
		return -1;
	return (int)v;
}

/* ---- transactions ---- */

static int
txn(struct store *s, enum stmt_id id, const char *what)
{
	if (run_simple(s, id) < 0) {
		/* Busy, full, read-only: the cycle tells it once as an
		 * outage (outage.h), with store_errmsg(). */
		(fail_class(sqlite3_extended_errcode(s->db)) == STORE_FAIL_ENV ?
		    log_debug : log_warnx)("cannot %s transaction in state db "
		    "%s: %s", what, s->path, s->errmsg);
		return -1;
	}
	return 0;
}

int
store_begin(struct store *s)
{
	return txn(s, ST_BEGIN, "begin");
}

int
store_commit(struct store *s)
{
	return txn(s, ST_COMMIT, "commit");
}

int
store_rollback(struct store *s)
{
	/* SQLite rolls back on its own when a statement fails for a full
	 * disk, an I/O error or a busy database: nothing left to undo. */
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return txn(s, ST_ROLLBACK, "roll back");
}

int
store_part_begin(struct store *s)
{
	return txn(s, ST_PART, "begin part of a");
}

int
store_part_end(struct store *s, int ok)
{
	if (ok)
		return txn(s, ST_PART_RELEASE, "end part of a");
	/* Gone with the whole transaction (SQLite rolled it back on its
	 * own): nothing to undo, but the caller must know. */
	if (sqlite3_get_autocommit(s->db) ||
	    txn(s, ST_PART_ROLLBACK_TO, "roll back part of a") == -1 ||
	    txn(s, ST_PART_RELEASE, "end part of a") == -1)
		return -1;
	return 0;
}

/* ---- writers ---- */

int
store_group_sync(struct store *s, const char *id, const char *name,
    long long now, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_GROUP_SYNC, "ttl", id, name, now)) < 0)
		return dberr(s, err, xasprintf("cannot record group %s", id));
	return 0;
}

/* Groups have tens of members: a linear search is simpler than anything
 * cleverer and costs nothing measurable. */
static int
member_listed(const char *email, const struct store_member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(email, m[i].email) == 0)
			return 1;
	return 0;
}

int
store_member_sync(struct store *s, const char *group_id,
    const struct store_member *m, size_t n, long long now, char **err)
{
	sqlite3_stmt *st;
	char **cur = NULL;
	size_t ncur = 0, i;
	int rc;

	if (sp_begin(s) == -1)
		return dberr(s, err, xasprintf("cannot update members of %s",
		    group_id));

	/* Collect first: updating the rows a SELECT is walking is not
	 * something to rely on. */
	if ((st = stmt_get(s, ST_MEMBER_CURRENT, "t", group_id)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cur = xreallocarray(cur, ncur + 1, sizeof(*cur));
		cur[ncur++] = col_dup(st, 0);
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);

	for (i = 0; i < n; i++)
		if (run_stmt(s, stmt_get(s, ST_MEMBER_UPSERT, "tttttit",
		    group_id, m[i].email, m[i].name, m[i].language,
		    m[i].timezone, m[i].coordinator != 0, m[i].role)) < 0)
			goto fail;
	for (i = 0; i < ncur; i++)
		if (cur[i] != NULL && !member_listed(cur[i], m, n) &&
		    run_stmt(s, stmt_get(s, ST_MEMBER_REMOVE, "ttl", group_id,
		    cur[i], now)) < 0)
			goto fail;
	strv_free(cur, ncur);
	if (sp_end(s, 1) == -1)
		return dberr(s, err, xasprintf("cannot update members of %s",
		    group_id));
	return 0;

fail:
	strv_free(cur, ncur);
	sp_end(s, 0);
	return dberr(s, err, xasprintf("cannot update members of %s",
	    group_id));
}

int
store_meeting_upsert(struct store *s, const struct store_meeting_in *mt,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_MEETING_UPSERT, "tttlllttttititt",
	    mt->uid, mt->group_id, mt->series, mt->orig_start, mt->start,
	    mt->end, mt->tzid, mt->summary, mt->location, mt->kind,
	    mt->sequence, mt->cancelled ? "cancelled" : "scheduled",
	    mt->content_seq, mt->series_uid, mt->recurrence_id)) < 0)
		return dberr(s, err, xasprintf("cannot record meeting %s of %s",
		    mt->uid, mt->group_id));
	return 0;
}

/* For UPDATEs by primary key: no row is a caller error worth a message. */
static int
update_one(struct store *s, sqlite3_stmt *st, char **err, char *what)
{
	int n;

	if ((n = run_stmt(s, st)) < 0)
		return dberr(s, err, what);
	if (n == 0) {
		free(s->errmsg);
		s->errmsg = xstrdup("no such meeting");
		return dberr(s, err, what);
	}
	free(what);
	return 0;
}

int
store_meeting_confirm_agenda(struct store *s, const char *uid,
    const char *agenda, char **err)
{
	return update_one(s, stmt_get(s, ST_MEETING_AGENDA, "tt", uid, agenda),
	    err, xasprintf("cannot confirm agenda of meeting %s", uid));
}

int
store_meeting_set_minutes(struct store *s, const char *uid,
    const char *path, char **err)
{
	return update_one(s, stmt_get(s, ST_MEETING_MINUTES, "tt", uid, path),
	    err, xasprintf("cannot record minutes of meeting %s", uid));
}

int
store_invitation_set(struct store *s, const char *meeting_uid,
    const char *email, int sequence, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_INV_SET, "tti", meeting_uid, email,
	    sequence)) < 0)
		return dberr(s, err, xasprintf("cannot record invitation of "
		    "%s to %s", email, meeting_uid));
	return 0;
}

int
store_invitation_reset(struct store *s, const char *meeting_uid, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_INV_RESET, "t", meeting_uid)) < 0)
		return dberr(s, err, xasprintf("cannot reset replies to %s",
		    meeting_uid));
	return 0;
}

int
store_invitation_cancel(struct store *s, const char *meeting_uid,
    const char *email, int sequence, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_INV_CANCEL, "tti", meeting_uid,
	    email, sequence)) < 0)
		return dberr(s, err, xasprintf("cannot cancel invitation of "
		    "%s to %s", email, meeting_uid));
	return 0;
}

int
store_invitation_reply(struct store *s, const char *meeting_uid,
    const char *email, const char *partstat, long long dtstamp,
    long long now, char **err)
{
	int n = -1;

	/* A meeting's UID, or a series event's: never both. */
	if (sp_begin(s) == 0) {
		n = run_stmt(s, stmt_get(s, ST_INV_REPLY, "tttll", meeting_uid,
		    email, partstat, dtstamp, now));
		if (n == 0) {
			n = run_stmt(s, stmt_get(s, ST_SERIES_REPLY, "tttll",
			    meeting_uid, email, partstat, dtstamp, now));
			if (n > 0 && run_stmt(s, stmt_get(s,
			    ST_SERIES_REPLY_ROWS, "tttll", meeting_uid, email,
			    partstat, dtstamp, now)) < 0)
				n = -1;
		}
		if (sp_end(s, n >= 0) == -1)
			n = -1;
	}
	if (n < 0)
		return dberr(s, err, xasprintf("cannot record reply %s of %s "
		    "to %s", partstat, email, meeting_uid));
	return n > 0;
}

int
store_bounce_record(struct store *s, const char *email, const char *status,
    int permanent, long long at, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_BOUNCE_RECORD, "ttil", email, status,
	    permanent != 0, at)) < 0)
		return dberr(s, err, xasprintf("cannot record bounce of %s",
		    email));
	return 0;
}

/* ---- queries ---- */

static void
tally(struct store_meeting *m, const char *partstat)
{
	if (strcmp(partstat, "ACCEPTED") == 0)
		m->accepted++;
	else if (strcmp(partstat, "DECLINED") == 0)
		m->declined++;
	else if (strcmp(partstat, "TENTATIVE") == 0)
		m->tentative++;
	else if (strcmp(partstat, "NEEDS-ACTION") == 0)
		m->needs_action++;
	else if (strcmp(partstat, "DELEGATED") == 0)
		m->delegated++;
}

/* One query per meeting: SQLite is in-process, so the extra round trips
 * cost microseconds, and the counts come from the very rows listed. */
static int
load_attendees(struct store *s, struct store_meeting *m)
{
	sqlite3_stmt *st;
	struct store_attendee *a;
	int rc;

	if ((st = stmt_get(s, ST_MEETING_ATTENDEES, "t", m->uid)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m->attendees = xreallocarray(m->attendees, m->nattendees + 1,
		    sizeof(*m->attendees));
		a = &m->attendees[m->nattendees++];
		a->email = col_dup(st, 0);
		a->partstat = col_dup(st, 1);
		if (a->email == NULL)
			a->email = xstrdup("");
		if (a->partstat == NULL)
			a->partstat = xstrdup("NEEDS-ACTION");
		tally(m, a->partstat);
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
store_group_meetings(struct store *s, const char *group_id, long long from,
    long long to, struct store_meeting **out, size_t *n, char **err)
{
	sqlite3_stmt *st;
	struct store_meeting *v = NULL, *m;
	size_t nv = 0, cap = 0, i;
	int rc;

	if (sp_begin(s) == -1)
		goto fail_nosp;
	if ((st = stmt_get(s, ST_GROUP_MEETINGS, "tll", group_id, from,
	    to)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nv == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		m = &v[nv++];
		memset(m, 0, sizeof(*m));
		m->uid = col_dup(st, 0);
		m->group_id = col_dup(st, 1);
		m->series = col_dup(st, 2);
		m->start = sqlite3_column_int64(st, 3);
		m->end = sqlite3_column_int64(st, 4);
		m->sequence = sqlite3_column_int(st, 5);
		m->cancelled = sqlite3_column_int(st, 6);
		m->agenda_confirmed = sqlite3_column_int(st, 7);
		m->minutes_path = col_dup(st, 8);
		m->kind = col_dup(st, 9);
		m->summary = col_dup(st, 10);
		m->tzid = col_dup(st, 11);
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);
	for (i = 0; i < nv; i++)
		if (load_attendees(s, &v[i]) == -1)
			goto fail;
	if (sp_end(s, 1) == -1)
		goto fail_nosp;
	*out = v;
	*n = nv;
	return 0;

fail:
	sp_end(s, 0);
fail_nosp:
	store_meetings_free(v, nv);
	return dberr(s, err, xasprintf("cannot read meetings of %s",
	    group_id));
}

void
store_meetings_free(struct store_meeting *v, size_t n)
{
	size_t i, j;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].nattendees; j++) {
			free(v[i].attendees[j].email);
			free(v[i].attendees[j].partstat);
		}
		free(v[i].attendees);
		free(v[i].uid);
		free(v[i].group_id);
		free(v[i].series);
		free(v[i].minutes_path);
		free(v[i].kind);
		free(v[i].summary);
		free(v[i].tzid);
	}
	free(v);
}

int
store_group_documents(struct store *s, const char *group_id, long long from,
    long long to, struct store_doc **out, size_t *n, char **err)
{
	struct store_doc *v = NULL, *d;
	sqlite3_stmt *st;
	size_t nv = 0;
	int rc;

	if ((st = stmt_get(s, ST_GROUP_DOCUMENTS, "tll", group_id, from,
	    to)) == NULL)
		return dberr(s, err, xasprintf("cannot read documents of %s",
		    group_id));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, nv + 1, sizeof(*v));
		d = &v[nv++];
		d->kind = col_dup(st, 0);
		d->path = col_dup(st, 1);
		d->meeting_uid = col_dup(st, 2);
		d->sender = col_dup(st, 3);
		d->received = sqlite3_column_int64(st, 4);
		if (d->kind == NULL)
			d->kind = xstrdup("document");
		if (d->path == NULL)
			d->path = xstrdup("");
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		store_docs_free(v, nv);
		return dberr(s, err, xasprintf("cannot read documents of %s",
		    group_id));
	}
	sqlite3_reset(st);
	*out = v;
	*n = nv;
	return 0;
}

void
store_docs_free(struct store_doc *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].kind);
		free(v[i].path);
		free(v[i].meeting_uid);
		free(v[i].sender);
	}
	free(v);
}

int
store_group_bouncing(struct store *s, const char *group_id, char ***out,
    size_t *n, char **err)
{
	sqlite3_stmt *st;
	char **v = NULL, *e;
	size_t nv = 0;
	int rc;

	if ((st = stmt_get(s, ST_GROUP_BOUNCING, "t", group_id)) == NULL)
		return dberr(s, err, xasprintf("cannot read bounces of %s",
		    group_id));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((e = col_dup(st, 0)) == NULL)
			continue;
		v = xreallocarray(v, nv + 1, sizeof(*v));
		v[nv++] = e;
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		strv_free(v, nv);
		return dberr(s, err, xasprintf("cannot read bounces of %s",
		    group_id));
	}
	sqlite3_reset(st);
	*out = v;
	*n = nv;
	return 0;
}

/* ---- planning ---- */

static void
plan_row(sqlite3_stmt *st, struct store_plan_meeting *m)
{
	memset(m, 0, sizeof(*m));
	m->uid = col_dup(st, 0);
	m->series = col_dup(st, 1);
	m->orig_start = sqlite3_column_int64(st, 2);
	m->start = sqlite3_column_int64(st, 3);
	m->end = sqlite3_column_int64(st, 4);
	m->tzid = col_dup(st, 5);
	m->summary = col_dup(st, 6);
	m->location = col_dup(st, 7);
	m->kind = col_dup(st, 8);
	m->sequence = sqlite3_column_int(st, 9);
	m->content_seq = sqlite3_column_int(st, 10);
	m->cancelled = sqlite3_column_int(st, 11);
	m->agenda_confirmed = sqlite3_column_int(st, 12);
	m->agenda = col_dup(st, 13);
	m->minutes_path = col_dup(st, 14);
	m->group_id = col_dup(st, 15);
	m->plain_organizer = sqlite3_column_int(st, 16);
	m->series_uid = col_dup(st, 17);
	m->recurrence_id = col_dup(st, 18);
}

int
store_meeting_get(struct store *s, const char *uid,
    struct store_plan_meeting *out, char **err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt_get(s, ST_MEETING_GET, "t", uid)) == NULL)
		return dberr(s, err, xasprintf("cannot read meeting %s", uid));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		plan_row(st, out);
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		return dberr(s, err, xasprintf("cannot read meeting %s", uid));
	}
	sqlite3_reset(st);
	return 0;
}

int
store_meeting_set_draft(struct store *s, const char *uid, const char *text,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_MEETING_DRAFT, "tt", uid, text)) < 0)
		return dberr(s, err, xasprintf("cannot record the draft agenda "
		    "of %s", uid));
	return 0;
}

int
store_meeting_set_plain(struct store *s, const char *uid, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_MEETING_PLAIN, "t", uid)) < 0)
		return dberr(s, err, xasprintf("cannot record the plain organizer "
		    "of meeting %s", uid));
	return 0;
}

int
store_meeting_bump(struct store *s, const char *uid, char **err)
{
	return update_one(s, stmt_get(s, ST_MEETING_BUMP, "t", uid), err,
	    xasprintf("cannot raise the sequence of meeting %s", uid));
}

void
store_plan_meeting_clear(struct store_plan_meeting *m)
{
	free(m->uid);
	free(m->series);
	free(m->tzid);
	free(m->summary);
	free(m->location);
	free(m->kind);
	free(m->agenda);
	free(m->minutes_path);
	free(m->group_id);
	free(m->series_uid);
	free(m->recurrence_id);
	memset(m, 0, sizeof(*m));
}

/* Every row of st (bound; NULL: it could not be) into an array of
 * elements of size elem, each by read(); 0 with *out (NULL when none) and
 * *n, or -1 with s->errmsg set and what was read released by release(). */
static int
all_rows(struct store *s, sqlite3_stmt *st, size_t elem,
    void (*read)(sqlite3_stmt *, void *), void (*release)(void *, size_t),
    void **out, size_t *n)
{
	char *v = NULL;
	size_t nv = 0;
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, nv + 1, elem);
		memset(v + nv * elem, 0, elem);
		read(st, v + nv++ * elem);
	}
	if (rc != SQLITE_DONE)
		save_err(s);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		release(v, nv);
		return -1;
	}
	*out = v;
	*n = nv;
	return 0;
}

static void
read_plan(sqlite3_stmt *st, void *out)
{
	plan_row(st, out);
}

static void
release_plan(void *v, size_t n)
{
	store_plan_meetings_free(v, n);
}

int
store_plan_meetings(struct store *s, const char *group_id, long long from,
    long long to, struct store_plan_meeting **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_PLAN_MEETINGS, "tll", group_id, from,
	    to), sizeof **out, read_plan, release_plan, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read meetings of %s",
		    group_id));
	*out = v;
	return 0;
}

void
store_plan_meetings_free(struct store_plan_meeting *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_plan_meeting_clear(&v[i]);
	free(v);
}

int
store_meeting_invitees(struct store *s, const char *uid,
    struct store_invitee **out, size_t *n, char **err)
{
	struct store_invitee *v = NULL;
	sqlite3_stmt *st;
	size_t nv = 0;
	int rc;

	if ((st = stmt_get(s, ST_MEETING_INVITEES, "t", uid)) == NULL)
		return dberr(s, err, xasprintf("cannot read invitations of %s",
		    uid));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, nv + 1, sizeof(*v));
		v[nv].email = col_dup(st, 0);
		if (v[nv].email == NULL)
			v[nv].email = xstrdup("");
		v[nv].sequence_sent = sqlite3_column_int(st, 1);
		v[nv].cancelled = sqlite3_column_int(st, 2);
		v[nv].partstat = col_dup(st, 3);
		if (v[nv].partstat == NULL)
			v[nv].partstat = xstrdup("NEEDS-ACTION");
		nv++;
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		store_invitees_free(v, nv);
		return dberr(s, err, xasprintf("cannot read invitations of %s",
		    uid));
	}
	sqlite3_reset(st);
	*out = v;
	*n = nv;
	return 0;
}

void
store_invitees_free(struct store_invitee *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].email);
		free(v[i].partstat);
	}
	free(v);
}

int
store_delegate_add(struct store *s, const char *meeting_uid,
    const char *email, const char *delegator, long long now, char **err)
{
	int rc = run_stmt(s, stmt_get(s, ST_DELEGATE_ADD, "tttl", meeting_uid,
	    email, delegator, now));

	if (rc < 0)
		return dberr(s, err, xasprintf("cannot record %s as delegate of "
		    "%s to %s", email, delegator, meeting_uid));
	return rc > 0;
}

static void
read_delegate(sqlite3_stmt *st, void *out)
{
	struct store_delegate *d = out;

	d->email = col_dup(st, 0);
	d->delegator = col_dup(st, 1);
	d->uid = col_dup(st, 2);
	if (d->email == NULL)
		d->email = xstrdup("");
	if (d->delegator == NULL)
		d->delegator = xstrdup("");
	if (d->uid == NULL)
		d->uid = xstrdup("");
}

static void
release_delegates(void *v, size_t n)
{
	store_delegates_free(v, n);
}

int
store_meeting_delegates(struct store *s, const char *meeting_uid,
    struct store_delegate **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_DELEGATES, "t", meeting_uid),
	    sizeof **out, read_delegate, release_delegates, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read delegates of %s",
		    meeting_uid));
	*out = v;
	return 0;
}

int
store_group_event_delegates(struct store *s, const char *group_id,
    struct store_delegate **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_GROUP_EVENT_DELEGATES, "t", group_id),
	    sizeof **out, read_delegate, release_delegates, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read the delegates to "
		    "the series events of %s", group_id));
	*out = v;
	return 0;
}

void
store_delegates_free(struct store_delegate *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].email);
		free(v[i].delegator);
		free(v[i].uid);
	}
	free(v);
}

/* ---- series events ---- */

static void
series_row(sqlite3_stmt *st, struct store_series_event *e)
{
	memset(e, 0, sizeof(*e));
	e->uid = col_dup(st, 0);
	e->group_id = col_dup(st, 1);
	e->series = col_dup(st, 2);
	e->dtstart = sqlite3_column_int64(st, 3);
	e->dtstart_wall = col_dup(st, 4);
	e->tzid = col_dup(st, 5);
	e->rrule = col_dup(st, 6);
	e->exdate = col_dup(st, 7);
	e->until = sqlite3_column_int64(st, 8);
	e->duration = sqlite3_column_int(st, 9);
	e->summary = col_dup(st, 10);
	e->location = col_dup(st, 11);
	e->kind = col_dup(st, 12);
	e->sequence = sqlite3_column_int(st, 13);
	e->content_seq = sqlite3_column_int(st, 14);
	e->ended = sqlite3_column_int(st, 15);
	e->cancelled = sqlite3_column_int(st, 16);
	e->plain_organizer = sqlite3_column_int(st, 17);
}

void
store_series_event_clear(struct store_series_event *e)
{
	free(e->uid);
	free(e->group_id);
	free(e->series);
	free(e->dtstart_wall);
	free(e->tzid);
	free(e->rrule);
	free(e->exdate);
	free(e->summary);
	free(e->location);
	free(e->kind);
	memset(e, 0, sizeof(*e));
}

void
store_series_events_free(struct store_series_event *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_series_event_clear(&v[i]);
	free(v);
}

int
store_series_event_save(struct store *s, const struct store_series_event *e,
    long long now, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_SERIES_SAVE, "tttlttttlitttiiiil",
	    e->uid, e->group_id, e->series, e->dtstart, e->dtstart_wall,
	    e->tzid, e->rrule, e->exdate ? e->exdate : "", e->until,
	    e->duration, e->summary, e->location, e->kind, e->sequence,
	    e->content_seq, e->ended, e->cancelled, now)) < 0)
		return dberr(s, err, xasprintf("cannot record series event %s",
		    e->uid));
	return 0;
}

static void
read_series(sqlite3_stmt *st, void *out)
{
	series_row(st, out);
}

static void
release_series(void *v, size_t n)
{
	store_series_events_free(v, n);
}

int
store_series_events(struct store *s, const char *group_id,
    struct store_series_event **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_SERIES_LIVE, "t", group_id),
	    sizeof **out, read_series, release_series, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read the series events "
		    "of %s", group_id));
	*out = v;
	return 0;
}

/* One row of st (bound) into *out: 1, 0 none, -1 (s->errmsg set). */
static int
read_row(struct store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *,
    void *), void *out)
{
	int rc;

	if ((rc = one_row(s, st)) == 1) {
		read(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

/* The series event as one meeting: what an answer to all of it is
 * checked against (store.h). */
static void
event_as_meeting(const struct store_series_event *e,
    struct store_plan_meeting *m)
{
	memset(m, 0, sizeof(*m));
	m->uid = xstrdup(e->uid);
	m->series = xstrdup(e->series);
	m->orig_start = m->start = e->dtstart;
	m->end = e->dtstart + (long long)e->duration * 60;
	m->tzid = xstrdup(e->tzid);
	m->summary = e->summary ? xstrdup(e->summary) : NULL;
	m->location = e->location ? xstrdup(e->location) : NULL;
	m->kind = xstrdup(e->kind ? e->kind : "meeting");
	m->sequence = e->sequence;
	m->content_seq = e->content_seq;
	m->cancelled = e->cancelled;
	m->group_id = xstrdup(e->group_id);
	m->plain_organizer = e->plain_organizer;
	m->series_uid = xstrdup(e->uid);
}

int
store_meeting_for_reply(struct store *s, const char *uid,
    long long recurrence_id, struct store_plan_meeting *out, char **err)
{
	struct store_series_event e;
	int rc;

	if ((rc = store_meeting_get(s, uid, out, err)) != 0)
		return rc;
	rc = read_row(s, stmt_get(s, ST_SERIES_GET, "t", uid), read_series, &e);
	if (rc == 1) {
		if (recurrence_id < 0)
			event_as_meeting(&e, out);
		else
			rc = read_row(s, stmt_get(s, ST_SERIES_OCCURRENCE, "tl",
			    uid, recurrence_id), read_plan, out);
		store_series_event_clear(&e);
	}
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot read meeting %s", uid));
	return rc;
}

int
store_series_event_get(struct store *s, const char *uid,
    struct store_series_event *out, char **err)
{
	int rc;

	rc = read_row(s, stmt_get(s, ST_SERIES_GET, "t", uid), read_series, out);
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot read series event %s",
		    uid));
	return rc;
}

int
store_meeting_link(struct store *s, const char *uid, const char *series_uid,
    const char *recurrence_id, char **err)
{
	return update_one(s, stmt_get(s, ST_MEETING_LINK, "ttt", uid,
	    series_uid, recurrence_id), err, xasprintf("cannot join meeting "
	    "%s to series event %s", uid, series_uid));
}

int
store_series_meetings(struct store *s, const char *uid,
    struct store_plan_meeting **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_SERIES_MEETINGS, "t", uid),
	    sizeof **out, read_plan, release_plan, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read the meetings of "
		    "series event %s", uid));
	*out = v;
	return 0;
}

int
store_series_set_plain(struct store *s, const char *uid, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_SERIES_PLAIN, "t", uid)) < 0)
		return dberr(s, err, xasprintf("cannot record the plain organizer "
		    "of series event %s", uid));
	return 0;
}

int
store_series_reset(struct store *s, const char *uid, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_SERIES_RESET, "t", uid)) < 0)
		return dberr(s, err, xasprintf("cannot reset replies to series "
		    "event %s", uid));
	return 0;
}

int
store_series_attendee_set(struct store *s, const char *uid,
    const char *email, int sequence, long long now, char **err)
{
	if (sp_begin(s) == -1 ||
	    run_stmt(s, stmt_get(s, ST_SERIES_ATT_SET, "tti", uid, email,
	    sequence)) < 0 ||
	    run_stmt(s, stmt_get(s, ST_SERIES_SHARE_ATT, "ttl", uid, email,
	    now)) < 0 || sp_end(s, 1) == -1) {
		sp_end(s, 0);
		return dberr(s, err, xasprintf("cannot record series event %s "
		    "sent to %s", uid, email));
	}
	return 0;
}

int
store_series_attendee_cancel(struct store *s, const char *uid,
    const char *email, int sequence, long long now, char **err)
{
	if (sp_begin(s) == -1 ||
	    run_stmt(s, stmt_get(s, ST_SERIES_ATT_CANCEL, "tti", uid, email,
	    sequence)) < 0 ||
	    run_stmt(s, stmt_get(s, ST_SERIES_ATT_CANCEL_ROWS, "ttl", uid,
	    email, now)) < 0 || sp_end(s, 1) == -1) {
		sp_end(s, 0);
		return dberr(s, err, xasprintf("cannot record series event %s "
		    "cancelled for %s", uid, email));
	}
	return 0;
}

int
store_series_share(struct store *s, const char *meeting_uid, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_SERIES_SHARE_MEETING, "t",
	    meeting_uid)) < 0)
		return dberr(s, err, xasprintf("cannot give meeting %s to the "
		    "attendees of its series event", meeting_uid));
	return 0;
}

int
store_series_detach(struct store *s, const char *uid, long long now,
    char **err)
{
	if (sp_begin(s) == -1 ||
	    run_stmt(s, stmt_get(s, ST_SERIES_DETACH_INV, "tl", uid, now)) < 0 ||
	    run_stmt(s, stmt_get(s, ST_SERIES_DETACH, "tl", uid, now)) < 0 ||
	    sp_end(s, 1) == -1) {
		sp_end(s, 0);
		return dberr(s, err, xasprintf("cannot take the meetings to come "
		    "out of series event %s", uid));
	}
	return 0;
}

/* ---- outbox ---- */

int
store_outbox_add(struct store *s, const struct store_outbox_in *o,
    char **err)
{
	sqlite3_stmt *st;
	int n;

	/* Row and text together or neither. */
	if (sp_begin(s) == -1)
		goto fail_nosp;
	st = stmt_get(s, ST_OUTBOX_ADD, "tttttl", o->message_id, o->kind,
	    o->group_id, o->meeting_uid, o->recipient, o->now);
	if ((n = run_stmt(s, st)) < 0)
		goto fail;
	if (n > 0 && run_stmt(s, stmt_get(s, ST_OUTBOX_DATA_ADD, "lx",
	    (long long)sqlite3_last_insert_rowid(s->db), o->data, o->len)) < 0)
		goto fail;
	if (sp_end(s, 1) == -1)
		goto fail_nosp;
	return n > 0;
fail:
	sp_end(s, 0);
fail_nosp:
	return dberr(s, err, xasprintf("cannot queue message %s to %s",
	    o->message_id, o->recipient));
}

/* A row of ST_OUTBOX_DUE or ST_OUTBOX_GET, without its text. */
static void
outbox_fill(sqlite3_stmt *st, struct store_outbox *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	o->message_id = col_dup(st, 1);
	o->kind = col_dup(st, 2);
	o->group_id = col_dup(st, 3);
	o->meeting_uid = col_dup(st, 4);
	o->recipient = col_dup(st, 5);
	o->attempts = sqlite3_column_int(st, 6);
	o->created = sqlite3_column_int64(st, 7);
}

int
store_outbox_get(struct store *s, long long id, struct store_outbox *out,
    char **err)
{
	sqlite3_stmt *st = stmt_get(s, ST_OUTBOX_GET, "l", id);
	int rc;

	if ((rc = one_row(s, st)) == -1)
		return dberr(s, err, xasprintf("cannot read outbox row %lld",
		    id));
	if (rc == 1) {
		outbox_fill(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

/* The rows the bound statement st (NULL: it could not be made) reads,
 * into *out and *n. */
static int
outbox_rows(struct store *s, sqlite3_stmt *st, struct store_outbox **out,
    size_t *n, char **err)
{
	struct store_outbox *v = NULL;
	size_t nv = 0;
	int rc;

	if (st == NULL)
		return dberr(s, err, xstrdup("cannot read the outbox"));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, nv + 1, sizeof(*v));
		outbox_fill(st, &v[nv++]);
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		store_outbox_free(v, nv);
		return dberr(s, err, xstrdup("cannot read the outbox"));
	}
	sqlite3_reset(st);
	*out = v;
	*n = nv;
	return 0;
}

int
store_outbox_due(struct store *s, long long now, int limit,
    struct store_outbox **out, size_t *n, char **err)
{
	return outbox_rows(s, stmt_get(s, ST_OUTBOX_DUE, "li", now, limit),
	    out, n, err);
}

int
store_outbox_after(struct store *s, long long now, long long after, int limit,
    struct store_outbox **out, size_t *n, char **err)
{
	return outbox_rows(s, stmt_get(s, ST_OUTBOX_AFTER, "lli", now, after,
	    limit), out, n, err);
}

int
store_outbox_text(struct store *s, struct store_outbox *o, char **err)
{
	sqlite3_stmt *st;
	const void *blob;
	int rc;

	free(o->data);
	o->data = NULL;
	o->len = 0;
	st = stmt_get(s, ST_OUTBOX_TEXT, "l", o->id);
	if ((rc = one_row(s, st)) == -1)
		return dberr(s, err, xasprintf("cannot read the text of message "
		    "%s", o->message_id));
	if (rc == 0)
		return 0;
	blob = sqlite3_column_blob(st, 0);
	o->len = (size_t)sqlite3_column_bytes(st, 0);
	o->data = xmalloc(o->len + 1);
	if (o->len)
		memcpy(o->data, blob, o->len);
	o->data[o->len] = '\0';
	sqlite3_reset(st);
	return 1;
}

void
store_outbox_text_drop(struct store_outbox *o)
{
	free(o->data);
	o->data = NULL;
	o->len = 0;
}

void
store_outbox_clear(struct store_outbox *o)
{
	free(o->message_id);
	free(o->kind);
	free(o->group_id);
	free(o->meeting_uid);
	free(o->recipient);
	free(o->data);
	memset(o, 0, sizeof *o);
}

void
store_outbox_free(struct store_outbox *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_outbox_clear(&v[i]);
	free(v);
}

int
store_outbox_set(struct store *s, long long id, const char *state,
    int attempted, long long next_try, long long sent_at, const char *error,
    char **err)
{
	sqlite3_stmt *st;

	int done = strcmp(state, "sent") == 0 || strcmp(state, "failed") == 0;

	if (sp_begin(s) == -1)
		goto fail;
	st = stmt_get(s, ST_OUTBOX_SET, "ltiLLt", id, state, attempted,
	    next_try, sent_at, error);
	if (run_stmt(s, st) < 0 || (done && run_stmt(s, stmt_get(s,
	    ST_OUTBOX_DATA_DROP, "l", id)) < 0)) {
		sp_end(s, 0);
		goto fail;
	}
	if (sp_end(s, 1) == 0)
		return 0;
fail:
	return dberr(s, err, xasprintf("cannot mark outbox row %lld %s", id,
	    state));
}

int
store_outbox_sent(struct store *s, long long id, long long sent_at,
    char **err)
{
	/* One statement: its own transaction outside the caller's. */
	if (run_stmt(s, stmt_get(s, ST_OUTBOX_SENT, "ll", id, sent_at)) < 0)
		return dberr(s, err, xasprintf("cannot mark outbox row %lld "
		    "sent", id));
	return 0;
}

int
store_outbox_texts_drop(struct store *s, const long long *ids, size_t n,
    char **err)
{
	size_t i;

	if (n == 0)
		return 0;
	if (sp_begin(s) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (run_stmt(s, stmt_get(s, ST_OUTBOX_DATA_DROP, "l",
		    ids[i])) < 0) {
			sp_end(s, 0);
			goto fail;
		}
	if (sp_end(s, 1) == 0)
		return 0;
fail:
	return dberr(s, err, xasprintf("cannot drop the texts of %zu sent "
	    "messages", n));
}

long long
store_outbox_count(struct store *s, const char *state)
{
	sqlite3_stmt *st;
	long long n = -1;

	if ((st = stmt_get(s, ST_OUTBOX_COUNT, "t", state)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* ---- warnings and notices ---- */

int
store_warning_add(struct store *s, const char *group_id, const char *kind,
    const char *key, long long now, char **err)
{
	int n;

	n = run_stmt(s, stmt_get(s, ST_WARNING_ADD, "tttl", group_id, kind, key,
	    now));
	if (n < 0)
		return dberr(s, err, xasprintf("cannot record %s notice %s of %s",
		    kind, key, group_id));
	return n > 0;
}

int
store_warning_replace(struct store *s, const char *group_id,
    const char *kind, const char *key, long long now, char **err)
{
	int rc;

	if ((rc = store_warning_add(s, group_id, kind, key, now, err)) != 1)
		return rc;
	if (run_stmt(s, stmt_get(s, ST_WARNING_DROP_OTHERS, "ttt", group_id,
	    kind, key)) < 0)
		return dberr(s, err, xasprintf("cannot forget older %s notices "
		    "of %s", kind, group_id));
	return 1;
}

int
store_warning_has(struct store *s, const char *group_id, const char *kind,
    const char *key, char **err)
{
	sqlite3_stmt *st;
	int rc;

	st = stmt_get(s, ST_WARNING_HAS, "ttt", group_id, kind, key);
	if ((rc = one_row(s, st)) == -1)
		return dberr(s, err, xasprintf("cannot look up %s notice %s of %s",
		    kind, key, group_id));
	rc = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return rc;
}

char *
store_bounce_status(struct store *s, const char *email)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if ((st = stmt_get(s, ST_BOUNCE_STATUS, "t", email)) == NULL)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = col_dup(st, 0);
	sqlite3_reset(st);
	return v;
}

/* ---- inbound ---- */

static int
exists(struct store *s, enum stmt_id id, const char *arg, char **err,
    const char *what)
{
	sqlite3_stmt *st;
	int rc, v = 0;

	if ((st = stmt_get(s, id, "t", arg)) == NULL)
		return dberr(s, err, xasprintf("cannot look up %s %s", what,
		    arg));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(st, 0) != 0;
	else if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		return dberr(s, err, xasprintf("cannot look up %s %s", what,
		    arg));
	}
	sqlite3_reset(st);
	return v;
}

int
store_inbound_seen(struct store *s, const char *message_id, char **result,
    char **err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt_get(s, ST_INBOUND_SEEN, "t", message_id)) == NULL)
		return dberr(s, err, xasprintf("cannot look up message %s",
		    message_id));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*result = col_dup(st, 0);
		if (*result == NULL)
			*result = xstrdup("");
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		return dberr(s, err, xasprintf("cannot look up message %s",
		    message_id));
	}
	sqlite3_reset(st);
	return 0;
}

int
store_inbound_add(struct store *s, const char *message_id,
    const char *folder, unsigned long uidvalidity, unsigned long uid,
    long long now, const char *kind, const char *result, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_INBOUND_ADD, "ttllltt", message_id,
	    folder, (long long)uidvalidity, (long long)uid, now, kind,
	    result)) < 0)
		return dberr(s, err, xasprintf("cannot record message %s",
		    message_id));
	return 0;
}

int
store_folder_get(struct store *s, const char *name,
    unsigned long *uidvalidity, unsigned long *last_uid, char **err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt_get(s, ST_FOLDER_GET, "t", name)) == NULL)
		return dberr(s, err, xasprintf("cannot read folder %s", name));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*uidvalidity = (unsigned long)sqlite3_column_int64(st, 0);
		*last_uid = (unsigned long)sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		return dberr(s, err, xasprintf("cannot read folder %s", name));
	}
	sqlite3_reset(st);
	return 0;
}

int
store_folder_set(struct store *s, const char *name, unsigned long uidvalidity,
    unsigned long last_uid, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_FOLDER_SET, "tll", name,
	    (long long)uidvalidity, (long long)last_uid)) < 0)
		return dberr(s, err, xasprintf("cannot record folder %s", name));
	return 0;
}

int
store_document_add(struct store *s, const struct store_document *d,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_DOCUMENT_ADD, "tttttttl", d->group_id,
	    d->meeting_uid, d->kind, d->path, d->sha256, d->sender,
	    d->message_id, d->received)) < 0)
		return dberr(s, err, xasprintf("cannot record document %s",
		    d->path));
	return 0;
}

int
store_address_known(struct store *s, const char *email, char **err)
{
	return exists(s, ST_ADDRESS_KNOWN, email, err, "address");
}

int
store_meeting_exists(struct store *s, const char *uid, char **err)
{
	return exists(s, ST_MEETING_EXISTS, uid, err, "meeting");
}

int
store_meeting_had_guests(struct store *s, const char *uid, char **err)
{
	return exists(s, ST_MEETING_GUESTS, uid, err, "guests of meeting");
}

int
store_member_get(struct store *s, const char *group_id, const char *email,
    struct store_member_row *out, char **err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if ((st = stmt_get(s, ST_MEMBER_GET, "tt", group_id, email)) == NULL)
		return dberr(s, err, xasprintf("cannot read member %s of %s",
		    email, group_id));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->name = col_dup(st, 0);
		out->language = col_dup(st, 1);
		out->timezone = col_dup(st, 2);
		out->removed = sqlite3_column_int(st, 3);
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_DONE)
		save_err(s);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dberr(s, err, xasprintf("cannot read member %s of %s",
		    email, group_id));
	return 0;
}

void
store_member_row_clear(struct store_member_row *r)
{
	free(r->name);
	free(r->language);
	free(r->timezone);
	memset(r, 0, sizeof *r);
}

int
store_outbox_has(struct store *s, const char *message_id, char **err)
{
	return exists(s, ST_OUTBOX_HAS, message_id, err, "sent message");
}

char *
store_last_ended_without_minutes(struct store *s, const char *group_id,
    long long now, long long since)
{
	sqlite3_stmt *st;
	char *uid = NULL;

	if ((st = stmt_get(s, ST_MEETINGS_ENDED, "tll", group_id, now,
	    since)) == NULL)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		uid = col_dup(st, 0);
	sqlite3_reset(st);
	return uid;
}

/* ---- what failed ---- */

enum store_fail
store_failure(struct store *s)
{
	return s->failed;
}

void
store_failure_clear(struct store *s)
{
	s->failed = STORE_FAIL_NONE;
}

const char *
store_errmsg(struct store *s)
{
	return s->errmsg != NULL ? s->errmsg : "unknown error";
}

/* ---- messages that would not apply ---- */

int
store_inbound_failed(struct store *s, const char *message_id,
    const char *folder, unsigned long uidvalidity, unsigned long uid,
    const char *error, const char *cause, long long now, char **err)
{
	sqlite3_stmt *st;
	int count;

	st = stmt_get(s, ST_FAILURE_ADD, "tllltlt", message_id, folder,
	    (long long)uidvalidity, (long long)uid, error, now, cause);
	if (one_row(s, st) != 1)
		return dberr(s, err, xasprintf("cannot count the failures of "
		    "message %s", message_id));
	count = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return count;
}

int
store_inbound_failures(struct store *s, const char *message_id, int *count,
    int *quarantined, int *notified, char **err)
{
	sqlite3_stmt *st;
	int rc;

	st = stmt_get(s, ST_FAILURE_GET, "t", message_id);
	if ((rc = one_row(s, st)) == -1)
		return dberr(s, err, xasprintf("cannot read the failures of "
		    "message %s", message_id));
	if (rc == 1) {
		*count = sqlite3_column_int(st, 0);
		*quarantined = sqlite3_column_type(st, 2) != SQLITE_NULL;
		*notified = sqlite3_column_type(st, 3) != SQLITE_NULL;
		sqlite3_reset(st);
	}
	return rc;
}

int
store_inbound_quarantine(struct store *s, const char *message_id,
    long long now, char **err)
{
	int count, quarantined, notified = 0, rc;

	if ((rc = store_inbound_failures(s, message_id, &count, &quarantined,
	    &notified, err)) == -1)
		return -1;
	if (run_stmt(s, stmt_get(s, ST_FAILURE_QUARANTINE, "tli", message_id,
	    now, !notified)) < 0)
		return dberr(s, err, xasprintf("cannot record message %s as "
		    "quarantined", message_id));
	return rc == 1 && !notified;
}

int
store_inbound_failure_clear(struct store *s, const char *message_id,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_FAILURE_CLEAR, "t", message_id)) < 0)
		return dberr(s, err, xasprintf("cannot forget the failures of "
		    "message %s", message_id));
	return 0;
}

/* ---- outages ---- */

int
store_outage_get(struct store *s, const char *resource,
    struct store_outage *o, char **err)
{
	sqlite3_stmt *st;
	int rc;

	st = stmt_get(s, ST_OUTAGE_GET, "t", resource);
	if ((rc = one_row(s, st)) == -1)
		return dberr(s, err, xasprintf("cannot read the outage of %s",
		    resource));
	if (rc == 1) {
		o->since = sqlite3_column_int64(st, 0);
		o->error = col_dup(st, 1);
		o->tries = sqlite3_column_int(st, 2);
		o->next_try = sqlite3_column_int64(st, 3);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_outage_put(struct store *s, const char *resource,
    const struct store_outage *o, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_OUTAGE_PUT, "tltil", resource, o->since,
	    o->error ? o->error : "", o->tries, o->next_try)) < 0)
		return dberr(s, err, xasprintf("cannot record the outage of %s",
		    resource));
	return 0;
}

int
store_outage_end(struct store *s, const char *resource, char **err)
{
	int n;

	if ((n = run_stmt(s, stmt_get(s, ST_OUTAGE_END, "t", resource))) < 0)
		return dberr(s, err, xasprintf("cannot end the outage of %s",
		    resource));
	return n > 0;
}

/* ---- keeping the state small ---- */

/* Pages free in the file go back to the file system once they are over a
 * quarter of it (and over a megabyte: a small file is not worth it). */
static void
give_back(struct store *s)
{
	long long free_pages, pages, page_size;

	if (query_int(s, "PRAGMA freelist_count", &free_pages) == -1 ||
	    query_int(s, "PRAGMA page_count", &pages) == -1 ||
	    query_int(s, "PRAGMA page_size", &page_size) == -1)
		return;
	if (free_pages * 4 <= pages || free_pages * page_size < (1 << 20))
		return;
	if (sqlite3_exec(s->db, "PRAGMA incremental_vacuum", NULL, NULL,
	    NULL) != SQLITE_OK) {
		save_err(s);
		log_warnx("cannot give free space of state db %s back: %s",
		    s->path, s->errmsg);
	}
}

long long
store_prune(struct store *s, long long before, int give, char **err)
{
	static const enum stmt_id prunes[] = { ST_PRUNE_OUTBOX,
	    ST_PRUNE_INBOUND, ST_PRUNE_FAILURES };
	long long total = 0;
	size_t i;
	int n;

	if (sp_begin(s) == -1)
		goto fail;
	for (i = 0; i < sizeof prunes / sizeof prunes[0]; i++) {
		if ((n = run_stmt(s, stmt_get(s, prunes[i], "l", before))) < 0) {
			sp_end(s, 0);
			goto fail;
		}
		total += n;
	}
	if (sp_end(s, 1) == -1)
		goto fail;
	if (give)
		give_back(s);
	return total;
fail:
	return dberr(s, err, xstrdup("cannot forget old rows"));
}

/* ---- accounts ---- */

int
store_account_set(struct store *s, const struct store_account_in *a,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_ACCOUNT_SET, "ttiltL", a->name, a->auth,
	    a->ok ? 1 : 0, a->now, a->ok ? NULL : a->error,
	    a->token_expires)) < 0)
		return dberr(s, err, xasprintf("cannot record account %s",
		    a->name));
	return 0;
}

/* A time column: -1 for NULL. */
static long long
col_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 :
	    (long long)sqlite3_column_int64(st, i);
}

int
store_accounts(struct store *s, struct store_account **out, size_t *n,
    char **err)
{
	struct store_account *v = NULL, *a;
	sqlite3_stmt *st;
	size_t cnt = 0;
	int rc;

	if ((st = stmt_get(s, ST_ACCOUNTS, "")) == NULL)
		return dberr(s, err, xstrdup("cannot read accounts"));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, cnt + 1, sizeof *v);
		a = &v[cnt++];
		a->name = col_dup(st, 0);
		a->auth = col_dup(st, 1);
		a->ok = sqlite3_column_int(st, 2);
		a->checked_at = col_time(st, 3);
		a->last_success = col_time(st, 4);
		a->error = col_dup(st, 5);
		a->token_expires = col_time(st, 6);
		a->outage_since = col_time(st, 7);
		a->noticed_at = col_time(st, 8);
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		store_accounts_free(v, cnt);
		return dberr(s, err, xstrdup("cannot read accounts"));
	}
	sqlite3_reset(st);
	*out = v;
	*n = cnt;
	return 0;
}

void
store_accounts_free(struct store_account *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].auth);
		free(v[i].error);
	}
	free(v);
}

int
store_account_noticed(struct store *s, const char *name, long long now,
    char **err)
{
	int rc;

	if ((rc = run_stmt(s, stmt_get(s, ST_ACCOUNT_NOTICED, "tl", name,
	    now))) < 0)
		return dberr(s, err, xasprintf("cannot record the notice for "
		    "account %s", name));
	return rc > 0;
}

long long
store_inbound_count(struct store *s, const char *result, long long at)
{
	sqlite3_stmt *st;
	long long n = -1;

	if ((st = stmt_get(s, ST_INBOUND_COUNT, "tl", result, at)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		save_err(s);
	sqlite3_reset(st);
	return n;
}

/* ---- trust: refusals and held messages ---- */

int
store_refusal_add(struct store *s, const char *reason, long long now,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_REFUSAL_ADD, "tl", reason, now)) < 0)
		return dberr(s, err, xasprintf("cannot count refusal %s",
		    reason));
	return 0;
}

static void
read_refusal(sqlite3_stmt *st, void *out)
{
	struct store_refusal *r = out;

	r->reason = col_dup(st, 0);
	r->count = (long long)sqlite3_column_int64(st, 1);
}

static void
release_refusals(void *v, size_t n)
{
	store_refusals_free(v, n);
}

int
store_refusals(struct store *s, struct store_refusal **out, size_t *n,
    char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_REFUSALS, ""), sizeof **out,
	    read_refusal, release_refusals, &v, n) == -1)
		return dberr(s, err, xstrdup("cannot read refusals"));
	*out = v;
	return 0;
}

void
store_refusals_free(struct store_refusal *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].reason);
	free(v);
}

int
store_held_add(struct store *s, const struct store_held *h, const void *raw,
    size_t len, char **err)
{
	int rc;

	rc = run_stmt(s, stmt_get(s, ST_HELD_ADD, "tttxl", h->message_id,
	    h->group_id, h->coordinator, raw, len, h->received));
	if (rc < 0)
		return dberr(s, err, xasprintf("cannot hold message %s",
		    h->message_id));
	return rc;
}

static void
read_held(sqlite3_stmt *st, void *out)
{
	struct store_held *h = out;

	h->message_id = col_dup(st, 0);
	h->group_id = col_dup(st, 1);
	h->coordinator = col_dup(st, 2);
	h->received = (long long)sqlite3_column_int64(st, 3);
}

static void
release_held(void *v, size_t n)
{
	store_held_free(v, n);
}

int
store_held_for(struct store *s, const char *coordinator,
    struct store_held **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_HELD_FOR, "t", coordinator),
	    sizeof **out, read_held, release_held, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read messages held "
		    "for %s", coordinator));
	*out = v;
	return 0;
}

int
store_held_expired(struct store *s, long long before,
    struct store_held **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_HELD_EXPIRED, "l", before),
	    sizeof **out, read_held, release_held, &v, n) == -1)
		return dberr(s, err, xstrdup("cannot read messages held"));
	*out = v;
	return 0;
}

/* The blob in column 0 of st's row into *raw (NUL-terminated after *len
 * bytes; caller frees); st is reset.  Returns 1. */
static int
blob_copy(sqlite3_stmt *st, char **raw, size_t *len)
{
	const void *p = sqlite3_column_blob(st, 0);

	*len = (size_t)sqlite3_column_bytes(st, 0);
	*raw = xmalloc(*len + 1);
	if (*len > 0)
		memcpy(*raw, p, *len);
	(*raw)[*len] = '\0';
	sqlite3_reset(st);
	return 1;
}

int
store_held_raw(struct store *s, const char *message_id, char **raw,
    size_t *len, char **err)
{
	int rc;

	*raw = NULL;
	*len = 0;
	rc = one_row(s, stmt_get(s, ST_HELD_RAW, "t", message_id));
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot read held message %s",
		    message_id));
	if (rc == 0)
		return 0;
	return blob_copy(s->st[ST_HELD_RAW], raw, len);
}

int
store_held_drop(struct store *s, const char *message_id, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_HELD_DROP, "t", message_id)) < 0)
		return dberr(s, err, xasprintf("cannot drop held message %s",
		    message_id));
	return 0;
}

void
store_held_free(struct store_held *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].message_id);
		free(v[i].group_id);
		free(v[i].coordinator);
	}
	free(v);
}

int
store_notice_allow(struct store *s, const char *kind, const char *recipient,
    const char *meeting_uid, const char *sender, long long now,
    long long since, long long *held_back, char **err)
{
	const char *mt = meeting_uid ? meeting_uid : "", *who = sender ?
	    sender : "";
	long long at = -1, back = 0;
	sqlite3_stmt *st;
	int rc, allow;

	rc = one_row(s, st = stmt_get(s, ST_NOTICE_GET, "tttt", kind,
	    recipient, mt, who));
	if (rc == -1)
		goto fail;
	if (rc == 1) {
		at = (long long)sqlite3_column_int64(st, 0);
		back = (long long)sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
	}
	allow = rc == 0 || at < since;
	*held_back = allow ? back : 0;
	if (run_stmt(s, stmt_get(s, ST_NOTICE_PUT, "ttttll", kind, recipient,
	    mt, who, allow ? now : at, allow ? 0 : back + 1)) < 0)
		goto fail;
	return allow;
fail:
	return dberr(s, err, xasprintf("cannot record %s to %s", kind,
	    recipient));
}

/* ---- milestones ---- */

int
store_milestone_done(struct store *s, const struct store_milestone *m,
    char **err)
{
	int n;

	n = run_stmt(s, stmt_get(s, ST_MILESTONE_DONE_SET, "tttltt",
	    m->group_id, m->name, m->done, m->done_at, m->message_id,
	    m->sender));
	if (n < 0)
		return dberr(s, err, xasprintf("cannot record milestone %s of "
		    "%s done", m->name, m->group_id));
	return n > 0;
}

int
store_milestone_done_on(struct store *s, const char *group_id,
    const char *name, char **done, char **err)
{
	sqlite3_stmt *st;
	int rc;

	*done = NULL;
	st = stmt_get(s, ST_MILESTONE_DONE_GET, "tt", group_id, name);
	if ((rc = one_row(s, st)) == -1)
		return dberr(s, err, xasprintf("cannot look up milestone %s of "
		    "%s", name, group_id));
	if (rc == 1) {
		*done = col_dup(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

/* ---- the repository's journal (repo.h) ---- */

int
store_repo_add(struct store *s, const struct store_repo_change *c,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_REPO_ADD, "tttttttl", c->author_name,
	    c->author_email, c->group_id, c->meeting_uid, c->kind,
	    c->message_id, c->paths, c->at)) < 0)
		return dberr(s, err, xasprintf("cannot journal a change of kind "
		    "%s to the repository", c->kind));
	return 0;
}

int
store_repo_next(struct store *s, struct store_repo_change *c, char **err)
{
	return store_repo_after(s, 0, c, err);
}

int
store_repo_after(struct store *s, long long after,
    struct store_repo_change *c, char **err)
{
	sqlite3_stmt *st;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = one_row(s, st = stmt_get(s, ST_REPO_NEXT, "l", after))) ==
	    -1)
		return dberr(s, err, xstrdup("cannot read the repository's "
		    "journal"));
	if (rc == 0)
		return 0;
	c->id = (long long)sqlite3_column_int64(st, 0);
	c->author_name = col_dup(st, 1);
	c->author_email = col_dup(st, 2);
	c->group_id = col_dup(st, 3);
	c->meeting_uid = col_dup(st, 4);
	c->kind = col_dup(st, 5);
	c->message_id = col_dup(st, 6);
	c->paths = col_dup(st, 7);
	c->at = (long long)sqlite3_column_int64(st, 8);
	sqlite3_reset(st);
	return 1;
}

int
store_repo_drop(struct store *s, long long id, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_REPO_DROP, "l", id)) < 0)
		return dberr(s, err, xasprintf("cannot forget change %lld of "
		    "the repository's journal", id));
	return 0;
}

void
store_repo_change_clear(struct store_repo_change *c)
{
	free(c->author_name);
	free(c->author_email);
	free(c->group_id);
	free(c->meeting_uid);
	free(c->kind);
	free(c->message_id);
	free(c->paths);
	memset(c, 0, sizeof *c);
}

/* ---- presentations ---- */

int
store_presentation_add(struct store *s, const struct store_presentation *p,
    long long *id, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_PRES_ADD, "ttttttlt", p->meeting_uid,
	    p->group_id, p->email, p->name, p->country, p->title, p->offered,
	    p->status)) < 0)
		return dberr(s, err, xasprintf("cannot record the offer of %s "
		    "for %s", p->email, p->meeting_uid));
	*id = (long long)sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_presentation_put(struct store *s, const struct store_presentation *p,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_PRES_PUT, "lttLiit", p->id, p->title,
	    p->status, p->withdrawn, p->changes, p->presented,
	    p->files ? p->files : "")) < 0)
		return dberr(s, err, xasprintf("cannot update the offer of %s "
		    "for %s", p->email, p->meeting_uid));
	return 0;
}

static void
read_presentation(sqlite3_stmt *st, void *out)
{
	struct store_presentation *p = out;

	p->id = sqlite3_column_int64(st, 0);
	p->meeting_uid = col_dup(st, 1);
	p->group_id = col_dup(st, 2);
	p->email = col_dup(st, 3);
	p->name = col_dup(st, 4);
	p->country = col_dup(st, 5);
	p->title = col_dup(st, 6);
	p->offered = sqlite3_column_int64(st, 7);
	p->withdrawn = sqlite3_column_int64(st, 8);
	p->status = col_dup(st, 9);
	p->changes = sqlite3_column_int(st, 10);
	p->presented = sqlite3_column_int(st, 11);
	p->files = col_dup(st, 12);
	p->start = sqlite3_column_int64(st, 13);
	p->summary = col_dup(st, 14);
	if (p->email == NULL)
		p->email = xstrdup("");
	if (p->title == NULL)
		p->title = xstrdup("");
	if (p->status == NULL)
		p->status = xstrdup("waiting");
	if (p->files == NULL)
		p->files = xstrdup("");
}

static void
release_presentations(void *v, size_t n)
{
	store_presentations_free(v, n);
}

int
store_meeting_presentations(struct store *s, const char *meeting_uid,
    struct store_presentation **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_PRES_MEETING, "t", meeting_uid),
	    sizeof **out, read_presentation, release_presentations, &v,
	    n) == -1)
		return dberr(s, err, xasprintf("cannot read the offers for %s",
		    meeting_uid));
	*out = v;
	return 0;
}

int
store_group_presentations(struct store *s, const char *group_id,
    long long from, long long to, struct store_presentation **out,
    size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_PRES_GROUP, "tll", group_id, from, to),
	    sizeof **out, read_presentation, release_presentations, &v,
	    n) == -1)
		return dberr(s, err, xasprintf("cannot read the offers of %s",
		    group_id));
	*out = v;
	return 0;
}

void
store_presentation_clear(struct store_presentation *q)
{
	free(q->meeting_uid);
	free(q->group_id);
	free(q->email);
	free(q->name);
	free(q->country);
	free(q->title);
	free(q->status);
	free(q->files);
	free(q->summary);
	memset(q, 0, sizeof *q);
}

void
store_presentations_free(struct store_presentation *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_presentation_clear(&v[i]);
	free(v);
}

/* ---- mailing lists (list.h) ---- */

int
store_post_add(struct store *s, const struct store_post *p, const void *raw,
    size_t len, char **err)
{
	int rc;

	rc = run_stmt(s, stmt_get(s, ST_POST_ADD, "tttttlx", p->message_id,
	    p->group_id, p->sender, p->subject, p->state, p->received, raw,
	    len));
	if (rc < 0)
		return dberr(s, err, xasprintf("cannot record post %s",
		    p->message_id));
	return rc;
}

int
store_post_set(struct store *s, const char *message_id, const char *state,
    long long now, char **err)
{
	int rc;

	rc = run_stmt(s, stmt_get(s, ST_POST_SET, "ttl", message_id, state,
	    now));
	if (rc < 0)
		return dberr(s, err, xasprintf("cannot mark post %s %s",
		    message_id, state));
	return rc;
}

int
store_post_raw(struct store *s, const char *message_id, char **raw,
    size_t *len, char **err)
{
	sqlite3_stmt *st;
	int rc;

	*raw = NULL;
	*len = 0;
	rc = one_row(s, st = stmt_get(s, ST_POST_RAW, "t", message_id));
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot read post %s",
		    message_id));
	if (rc == 0)
		return 0;
	return blob_copy(st, raw, len);
}

static void
read_post(sqlite3_stmt *st, void *out)
{
	struct store_post *p = out;

	p->message_id = col_dup(st, 0);
	p->group_id = col_dup(st, 1);
	p->sender = col_dup(st, 2);
	p->subject = col_dup(st, 3);
	p->state = col_dup(st, 4);
	p->batch = (long long)sqlite3_column_int64(st, 5);
	p->received = (long long)sqlite3_column_int64(st, 6);
}

static void
release_posts(void *v, size_t n)
{
	store_posts_free(v, n);
}

int
store_posts(struct store *s, const char *group_id, const char *state,
    long long batch, long long since, size_t max, struct store_post **out,
    size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_POSTS, "ttlll", group_id, state, batch,
	    since, (long long)max), sizeof **out, read_post, release_posts,
	    &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read the posts of %s",
		    group_id));
	*out = v;
	return 0;
}

void
store_posts_free(struct store_post *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].message_id);
		free(v[i].group_id);
		free(v[i].sender);
		free(v[i].subject);
		free(v[i].state);
	}
	free(v);
}

int
store_posts_ask(struct store *s, const char *group_id, long long batch,
    size_t max, char **err)
{
	int rc;

	rc = run_stmt(s, stmt_get(s, ST_POSTS_ASK, "tll", group_id, batch,
	    (long long)max));
	if (rc < 0)
		return dberr(s, err, xasprintf("cannot mark the posts of %s "
		    "asked about", group_id));
	return rc;
}

int
store_post_stats(struct store *s, const char *group_id,
    struct store_post_stats *out, char **err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	rc = one_row(s, st = stmt_get(s, ST_POST_STATS, "t", group_id));
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot count the posts of %s",
		    group_id));
	if (rc == 1) {
		out->relayed = (long long)sqlite3_column_int64(st, 0);
		out->held = (long long)sqlite3_column_int64(st, 1);
		out->unasked = (long long)sqlite3_column_int64(st, 2);
		out->last_batch = (long long)sqlite3_column_int64(st, 3);
		out->open_batch = (long long)sqlite3_column_int64(st, 4);
		sqlite3_reset(st);
	}
	return 0;
}

int
store_posts_expire(struct store *s, const char *group_id, long long before,
    long long now, char **err)
{
	int rc;

	rc = run_stmt(s, stmt_get(s, ST_POSTS_EXPIRE, "tll", group_id, now,
	    before));
	if (rc < 0)
		return dberr(s, err, xasprintf("cannot expire the posts held "
		    "for %s", group_id));
	return rc;
}

int
store_reader_get(struct store *s, const char *group_id, const char *email,
    struct store_reader *out, char **err)
{
	sqlite3_stmt *st;
	const unsigned char *d;
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->delivery, sizeof out->delivery, "each");
	rc = one_row(s, st = stmt_get(s, ST_READER_GET, "tt", group_id, email));
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot read how %s reads %s",
		    email, group_id));
	if (rc == 1) {
		if ((d = sqlite3_column_text(st, 0)) != NULL)
			snprintf(out->delivery, sizeof out->delivery, "%s",
			    (const char *)d);
		out->paused = sqlite3_column_int(st, 1);
		out->told = sqlite3_column_int(st, 2);
		out->digest_at = (long long)sqlite3_column_int64(st, 3);
		out->resumed_at = (long long)sqlite3_column_int64(st, 4);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_reader_set(struct store *s, const char *group_id, const char *email,
    const struct store_reader *r, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_READER_SET, "tttiill", group_id, email,
	    r->delivery, r->paused, r->told, r->digest_at, r->resumed_at)) < 0)
		return dberr(s, err, xasprintf("cannot record how %s reads %s",
		    email, group_id));
	return 0;
}

static void
read_month(sqlite3_stmt *st, void *out)
{
	struct store_post_month *m = out;
	const unsigned char *t = sqlite3_column_text(st, 0);

	snprintf(m->month, sizeof m->month, "%s", t ? (const char *)t : "");
	m->posts = (long long)sqlite3_column_int64(st, 1);
}

static void
release_months(void *v, size_t n)
{
	(void)n;
	free(v);
}

int
store_posts_months(struct store *s, const char *group_id, long long from,
    long long to, struct store_post_month **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_POSTS_MONTHS, "tll", group_id, from, to),
	    sizeof **out, read_month, release_months, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot count the posts of %s "
		    "by month", group_id));
	*out = v;
	return 0;
}

long long
store_readers_paused(struct store *s, const char *group_id, char **err)
{
	sqlite3_stmt *st;
	long long n = 0;
	int rc;

	rc = one_row(s, st = stmt_get(s, ST_READERS_PAUSED, "t", group_id));
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot count the paused readers "
		    "of %s", group_id));
	if (rc == 1) {
		n = (long long)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return n;
}

int
store_bounce_score(struct store *s, const char *email,
    struct store_bounce_score *out, char **err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	rc = one_row(s, st = stmt_get(s, ST_BOUNCE_SCORE, "t", email));
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot read the bounces of %s",
		    email));
	if (rc == 1) {
		out->permanent = sqlite3_column_int(st, 0);
		out->count = (long long)sqlite3_column_int64(st, 1);
		out->last_at = (long long)sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
	}
	return rc;
}

static void
read_month_name(sqlite3_stmt *st, void *out)
{
	struct store_post_month *m = out;
	const unsigned char *t = sqlite3_column_text(st, 0);

	snprintf(m->month, sizeof m->month, "%s", t ? (const char *)t : "");
	m->posts = 0;
}

int
store_posts_unarchived(struct store *s, const char *group_id,
    struct store_post_month **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_POSTS_UNARCHIVED, "t", group_id),
	    sizeof **out, read_month_name, release_months, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read the months of %s "
		    "to archive", group_id));
	*out = v;
	return 0;
}

int
store_posts_in_month(struct store *s, const char *group_id,
    const char *month, struct store_post **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_POSTS_IN_MONTH, "tt", group_id, month),
	    sizeof **out, read_post, release_posts, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read the posts of %s in "
		    "%s", group_id, month));
	*out = v;
	return 0;
}

int
store_posts_archived(struct store *s, const char *group_id,
    const char *month, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_POSTS_ARCHIVED, "tt", group_id,
	    month)) < 0)
		return dberr(s, err, xasprintf("cannot mark the posts of %s in "
		    "%s archived", group_id, month));
	return 0;
}

/* ---- scheduling polls ---- */

int
store_poll_answer(struct store *s, const struct store_poll_answer *a,
    char **err)
{
	if (run_stmt(s, stmt_get(s, ST_POLL_ANSWER_SET, "ttttlt", a->group_id,
	    a->poll, a->email, a->starts, a->at, a->message_id)) < 0)
		return dberr(s, err, xasprintf("cannot record %s's answer to "
		    "poll %s of %s", a->email, a->poll, a->group_id));
	return 0;
}

int
store_poll_answers(struct store *s, const char *group_id, const char *poll,
    struct store_poll_row **out, size_t *n, char **err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((st = stmt_get(s, ST_POLL_ANSWERS, "tt", group_id, poll)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		(*out)[*n].email = col_dup(st, 0);
		(*out)[(*n)++].starts = col_dup(st, 1);
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		goto fail;
	}
	sqlite3_reset(st);
	return 0;
fail:
	store_poll_rows_free(*out, *n);
	*out = NULL;
	*n = 0;
	return dberr(s, err, xasprintf("cannot read the answers to poll %s "
	    "of %s", poll, group_id));
}

void
store_poll_rows_free(struct store_poll_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].email);
		free(v[i].starts);
	}
	free(v);
}

int
store_poll_choose(struct store *s, const struct store_poll_choice *c,
    char **err)
{
	int n;

	n = run_stmt(s, stmt_get(s, ST_POLL_CHOOSE, "tttltt", c->group_id,
	    c->poll, c->start, c->at, c->message_id, c->sender));
	if (n < 0)
		return dberr(s, err, xasprintf("cannot record the choice of "
		    "poll %s of %s", c->poll, c->group_id));
	return n > 0;
}

int
store_poll_chosen(struct store *s, const char *group_id, const char *poll,
    char **start, char **err)
{
	sqlite3_stmt *st;
	int rc;

	*start = NULL;
	st = stmt_get(s, ST_POLL_CHOSEN, "tt", group_id, poll);
	if ((rc = one_row(s, st)) == -1)
		return dberr(s, err, xasprintf("cannot look up poll %s of %s",
		    poll, group_id));
	if (rc == 1) {
		*start = col_dup(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

/* ---- registrations (seminar.h) ---- */

int
store_registration_get(struct store *s, const char *uid, const char *email,
    char **state, char **err)
{
	sqlite3_stmt *st;
	int rc;

	*state = NULL;
	st = stmt_get(s, ST_REG_GET, "tt", uid, email);
	if ((rc = one_row(s, st)) == -1)
		return dberr(s, err, xasprintf("cannot look up the registration "
		    "of %s for %s", email, uid));
	if (rc == 1) {
		*state = col_dup(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_registration_add(struct store *s, const char *uid,
    const char *group_id, const char *email, const char *state,
    long long now, const char *message_id, char **err)
{
	int n;

	n = run_stmt(s, stmt_get(s, ST_REG_ADD, "ttttlt", uid, group_id,
	    email, state, now, message_id));
	if (n < 0)
		return dberr(s, err, xasprintf("cannot record the registration "
		    "of %s for %s", email, uid));
	return n > 0;
}

int
store_registration_set(struct store *s, const char *uid, const char *email,
    const char *state, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_REG_SET, "ttt", uid, email, state)) < 0)
		return dberr(s, err, xasprintf("cannot move the registration "
		    "of %s for %s to %s", email, uid, state));
	return 0;
}

/* The count a one-row count(*) statement gives, or -1. */
static long long
count_of(struct store *s, sqlite3_stmt *st)
{
	long long n;
	int rc;

	if ((rc = one_row(s, st)) != 1)
		return rc == 0 ? 0 : -1;
	n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

long long
store_registration_count(struct store *s, const char *uid,
    const char *state, long long since, char **err)
{
	long long n = count_of(s, stmt_get(s, ST_REG_COUNT, "ttl", uid, state,
	    since));

	if (n < 0)
		dberr(s, err, xasprintf("cannot count the registrations for %s",
		    uid));
	return n;
}

long long
store_registration_count_address(struct store *s, const char *email,
    long long since, char **err)
{
	long long n = count_of(s, stmt_get(s, ST_REG_COUNT_ADDR, "tl", email,
	    since));

	if (n < 0)
		dberr(s, err, xasprintf("cannot count the registrations of %s",
		    email));
	return n;
}

char *
store_registration_first_waiting(struct store *s, const char *uid,
    char **err)
{
	sqlite3_stmt *st = stmt_get(s, ST_REG_FIRST_WAITING, "t", uid);
	char *email = NULL;
	int rc;

	if ((rc = one_row(s, st)) == -1) {
		dberr(s, err, xasprintf("cannot read the waiting list of %s", uid));
		return NULL;
	}
	if (rc == 1) {
		email = col_dup(st, 0);
		sqlite3_reset(st);
	}
	return email;
}

static void
read_registrant(sqlite3_stmt *st, void *out)
{
	struct store_registrant *r = out;

	r->uid = col_dup(st, 0);
	r->email = col_dup(st, 1);
	r->state = col_dup(st, 2);
	if (r->uid == NULL)
		r->uid = xstrdup("");
	if (r->email == NULL)
		r->email = xstrdup("");
	if (r->state == NULL)
		r->state = xstrdup("");
}

static void
release_registrants(void *v, size_t n)
{
	store_registrants_free(v, n);
}

int
store_group_registrants(struct store *s, const char *group_id,
    struct store_registrant **out, size_t *n, char **err)
{
	void *v;

	if (all_rows(s, stmt_get(s, ST_REG_GROUP, "t", group_id),
	    sizeof **out, read_registrant, release_registrants, &v, n) == -1)
		return dberr(s, err, xasprintf("cannot read the registrants of "
		    "%s", group_id));
	*out = v;
	return 0;
}

void
store_registrants_free(struct store_registrant *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].uid);
		free(v[i].email);
		free(v[i].state);
	}
	free(v);
}

/* ---- what is due (cycle.h) ---- */

int
store_due_all(struct store *s, struct store_due **out, size_t *n, char **err)
{
	sqlite3_stmt *st;
	struct store_due *v = NULL;
	size_t nv = 0;
	int rc;

	if ((st = stmt_get(s, ST_DUE_ALL, "")) == NULL)
		return dberr(s, err, xstrdup("cannot read when groups are due"));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, nv + 1, sizeof *v);
		v[nv].group_id = col_dup(st, 0);
		v[nv].digest = col_dup(st, 1);
		v[nv].ran = (long long)sqlite3_column_int64(st, 2);
		v[nv].due = (long long)sqlite3_column_int64(st, 3);
		if (v[nv].group_id == NULL || v[nv].digest == NULL) {
			free(v[nv].group_id);
			free(v[nv].digest);
			continue;
		}
		nv++;
	}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		store_due_free(v, nv);
		return dberr(s, err, xstrdup("cannot read when groups are due"));
	}
	sqlite3_reset(st);
	*out = v;
	*n = nv;
	return 0;
}

void
store_due_free(struct store_due *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].group_id);
		free(v[i].digest);
	}
	free(v);
}

int
store_due_set(struct store *s, const char *group_id, const char *digest,
    long long ran, long long due, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_DUE_SET, "ttll", group_id, digest, ran,
	    due)) < 0)
		return dberr(s, err, xasprintf("cannot record when group %s is "
		    "due", group_id));
	return 0;
}

int
store_due_forget(struct store *s, const char *group_id, char **err)
{
	int rc;

	rc = group_id == NULL ? run_stmt(s, stmt_get(s, ST_DUE_FORGET_ALL, "")) :
	    run_stmt(s, stmt_get(s, ST_DUE_FORGET, "t", group_id));
	if (rc < 0)
		return dberr(s, err, xasprintf("cannot forget when %s %s due",
		    group_id ? group_id : "the groups", group_id ? "is" : "are"));
	return 0;
}

/* The first moment after now that is a whole number of days from a. */
static long long
next_on_days(long long a, long long now)
{
	long long k = (now - a) / DAY;

	if (a + k * DAY <= now)
		k++;
	while (a + (k - 1) * DAY > now)
		k--;
	return a + k * DAY;
}

int
store_due_meetings(struct store *s, const char *group_id, long long since,
    long long now, long long *due, char **err)
{
	sqlite3_stmt *st;
	long long t;
	int rc, i;

	if ((st = stmt_get(s, ST_DUE_ANCHORS, "tl", group_id, since)) == NULL)
		return dberr(s, err, xasprintf("cannot read the meetings of %s",
		    group_id));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (i = 0; i < 2; i++) {
			t = next_on_days((long long)sqlite3_column_int64(st, i),
			    now);
			if (t < *due)
				*due = t;
		}
	if (rc != SQLITE_DONE) {
		save_err(s);
		sqlite3_reset(st);
		return dberr(s, err, xasprintf("cannot read the meetings of %s",
		    group_id));
	}
	sqlite3_reset(st);
	return 0;
}

int
store_list_busy(struct store *s, const char *group_id, char **err)
{
	sqlite3_stmt *st;
	int rc, busy;

	rc = one_row(s, st = stmt_get(s, ST_LIST_BUSY, "t", group_id));
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot read the list of %s",
		    group_id));
	busy = rc == 1 && sqlite3_column_int(st, 0) != 0;
	if (rc == 1)
		sqlite3_reset(st);
	return busy;
}

int
store_mark_get(struct store *s, const char *name, long long *at, char **err)
{
	sqlite3_stmt *st;
	int rc;

	rc = one_row(s, st = stmt_get(s, ST_MARK_GET, "t", name));
	if (rc == -1)
		return dberr(s, err, xasprintf("cannot read when %s was last "
		    "done", name));
	if (rc == 1) {
		*at = (long long)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int
store_mark_set(struct store *s, const char *name, long long at, char **err)
{
	if (run_stmt(s, stmt_get(s, ST_MARK_SET, "tl", name, at)) < 0)
		return dberr(s, err, xasprintf("cannot record when %s was done",
		    name));
	return 0;
}

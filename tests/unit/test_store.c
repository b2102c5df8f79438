/* test_store.c: the state database against real SQLite files.
 *
 * Each test gets its own directory under $TMPDIR (or /tmp), removed after.
 * Checks that the API cannot make (a newer user_version, a foreign file)
 * or should not expose (journal mode, table list) use a raw connection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define T0      1613584800LL    /* 2021-02-17T18:00:00Z */
#define DAY     86400LL

struct fixture {
	char  dir[PATH_MAX];
	char *db;
};

/* The message of the last failing call; every test frees what it checks. */
static char *err;

#define OK(expr) do {							\
	if ((expr) != 0)						\
		fail_msg("%s failed: %s", #expr,			\
		    err != NULL ? err : "(no message)");		\
} while (0)

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(f->dir, sizeof(f->dir), "%s/convened-store.XXXXXX", tmp);
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->db = xasprintf("%s/state.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	DIR *d;
	char *p;

	free(err);
	err = NULL;
	if ((d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			p = xasprintf("%s/%s", f->dir, de->d_name);
			unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f->db);
	free(f);
	return 0;
}

/* ---- raw SQLite, for what the API does not show ---- */

static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		fail_msg("raw open %s: %s", path, sqlite3_errmsg(db));
	return db;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "raw exec %s: %s\n", sql, msg);
		sqlite3_free(msg);
		sqlite3_close(db);
		fail();
	}
	sqlite3_close(db);
}

static long long
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st;
	long long v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		fail_msg("raw query %s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The first column of the first row as text, caller frees. */
static char *
raw_str(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st;
	char *v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		fail_msg("raw query %s: %s", sql, sqlite3_errmsg(db));
	v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int
raw_has(const char *path, const char *type, const char *name)
{
	char *sql;
	long long n;

	sql = xasprintf("SELECT count(*) FROM sqlite_master"
	    " WHERE type = '%s' AND name = '%s'", type, name);
	n = raw_int(path, sql);
	free(sql);
	return n == 1;
}

/* ---- data helpers ---- */

static struct store *
open_ok(const char *path)
{
	struct store *s = store_open(path, &err);

	if (s == NULL)
		fail_msg("store_open: %s", err);
	return s;
}

static void
add_meeting(struct store *s, const char *uid, const char *group,
    long long start, int sequence, int cancelled)
{
	struct store_meeting_in m = {
		.uid = uid, .group_id = group, .series = "monthly",
		.orig_start = start, .start = start, .end = start + 90 * 60,
		.tzid = "America/Montevideo", .summary = "Monthly exchange",
		.location = "https://meet.example.org/x", .kind = NULL,
		.sequence = sequence, .cancelled = cancelled,
	};

	OK(store_meeting_upsert(s, &m, &err));
}

static void
invite(struct store *s, const char *uid, const char *email,
    const char *partstat)
{
	OK(store_invitation_set(s, uid, email, 0, &err));
	if (partstat != NULL)
		assert_int_equal(store_invitation_reply(s, uid, email,
		    partstat, T0 - DAY, T0 - DAY, &err), 1);
}

static const char *const all_tables[] = {
	"groups", "members", "meetings", "invitations", "outbox", "inbound",
	"folders", "documents", "warnings", "bounces", "outbox_data",
	"inbound_failures", "outages", "delegates", "milestones_done",
	"poll_answers", "poll_choices",
};

/* ---- tests ---- */

static void
test_fresh_db(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	size_t i;

	s = open_ok(f->db);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_true(STORE_SCHEMA_VERSION >= 10);
	for (i = 0; i < sizeof(all_tables) / sizeof(all_tables[0]); i++)
		if (!raw_has(f->db, "table", all_tables[i]))
			fail_msg("table %s missing", all_tables[i]);
	assert_true(raw_has(f->db, "index", "outbox_due"));
	assert_true(raw_has(f->db, "index", "meetings_group_start"));
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_true(raw_has(f->db, "table", "list_posts"));
	assert_true(raw_has(f->db, "table", "list_readers"));
	assert_true(raw_has(f->db, "index", "outbox_recipient"));
	assert_true(raw_has(f->db, "index", "outbox_done"));
	assert_true(raw_has(f->db, "index", "inbound_processed"));
	assert_true(raw_has(f->db, "table", "accounts"));
	assert_true(raw_has(f->db, "table", "series_events"));
	assert_true(raw_has(f->db, "table", "series_attendees"));
	assert_true(raw_has(f->db, "index", "meetings_series"));
	assert_int_equal(raw_int(f->db, "PRAGMA application_id"), 0x636e7664);
	/* Made with it: no VACUUM ever needed. */
	assert_int_equal(raw_int(f->db, "PRAGMA auto_vacuum"), 2);
	store_close(s);
}

/* foreign_keys is per connection: only the store's own can show it. */

static void
test_foreign_keys_on(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_meeting_in m = {
		.uid = "orphan", .group_id = "no-such-group", .series = "x",
		.orig_start = T0, .start = T0, .end = T0 + 60,
	};

	assert_int_equal(store_meeting_upsert(s, &m, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "FOREIGN KEY"));
	assert_non_null(strstr(err, f->db));
	free(err);
	err = NULL;
	store_close(s);
}

static void
test_wal_mode(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	char *mode;

	/* journal_mode=WAL is persistent in the file: any connection sees it */
	mode = raw_str(f->db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	store_close(s);
}

static void
test_upgrade_from_v1(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	struct store_meeting *m = NULL;
	struct store_member mem[] = {
		{ .email = "ana@example.org", .coordinator = 1 },
	};
	char **b = NULL;
	size_t n = 0;

	s = store_open_upto(f->db, 1, &err);
	if (s == NULL)
		fail_msg("store_open_upto: %s", err);
	assert_int_equal(store_schema_version(s), 1);
	assert_false(raw_has(f->db, "table", "bounces"));
	assert_false(raw_has(f->db, "index", "outbox_due"));

	OK(store_group_sync(s, "g1", "Group one", T0, &err));
	OK(store_member_sync(s, "g1", mem, 1, T0, &err));
	/* Meetings as version 1 wrote them: today's statements name columns
	 * that came later. */
	raw_exec(f->db, "INSERT INTO meetings (uid, group_id, series,"
	    " orig_start, start, end, tzid, summary) VALUES"
	    " ('m1', 'g1', 'monthly', 1613584800, 1613584800, 1613590200,"
	    "  'America/Montevideo', 'Monthly exchange'),"
	    " ('m2', 'g1', 'monthly', 1614189600, 1614189600, 1614195000,"
	    "  'America/Montevideo', 'Monthly exchange')");
	raw_exec(f->db, "INSERT INTO invitations (meeting_uid, email,"
	    " sequence_sent, partstat, reply_dtstamp) VALUES ('m1',"
	    " 'ana@example.org', 0, 'ACCEPTED', 1613498400)");
	/* A message queued by a version 1 convened, its text in the row. */
	raw_exec(f->db, "INSERT INTO outbox (message_id, kind, recipient, data,"
	    " next_try, created) VALUES ('kept@example.org', 'invite',"
	    " 'ana@example.org', CAST('Subject: kept' || char(13, 10, 13, 10)"
	    " || 'body' || char(13, 10) AS BLOB), 1613584800, 1613584800)");

	/* what schema 1 lacks fails cleanly, the rest works */
	assert_int_equal(store_group_bouncing(s, "g1", &b, &n, &err), -1);
	assert_non_null(strstr(err, "no such table: bounces"));
	free(err);
	err = NULL;
	OK(store_group_meetings(s, "g1", T0, T0 + DAY, &m, &n, &err));
	assert_int_equal(n, 1);
	store_meetings_free(m, n);
	store_close(s);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 1);

	assert_int_equal(raw_int(f->db, "PRAGMA auto_vacuum"), 0);
	s = open_ok(f->db);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_true(raw_has(f->db, "table", "bounces"));
	/* Version 4: the failures, the outages and the indexes that pruning
	 * uses; rewritten once on the way, in WAL still. */
	assert_true(raw_has(f->db, "table", "inbound_failures"));
	assert_true(raw_has(f->db, "table", "outages"));
	assert_true(raw_has(f->db, "index", "outbox_done"));
	assert_true(raw_has(f->db, "index", "inbound_processed"));
	assert_int_equal(raw_int(f->db, "PRAGMA auto_vacuum"), 2);
	{
		char *mode = raw_str(f->db, "PRAGMA journal_mode");

		assert_string_equal(mode, "wal");
		free(mode);
	}
	/* Version 8: meetings of old are events of their own. */
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM meetings"
	    " WHERE series_uid IS NULL AND recurrence_id IS NULL"), 2);
	/* Version 6: the meeting invited before tokens keeps the plain
	 * organizer; the one not invited yet will carry tokens. */
	{
		struct store_plan_meeting pm;

		assert_int_equal(store_meeting_get(s, "m1", &pm, &err), 1);
		assert_int_equal(pm.plain_organizer, 1);
		store_plan_meeting_clear(&pm);
		assert_int_equal(store_meeting_get(s, "m2", &pm, &err), 1);
		assert_int_equal(pm.plain_organizer, 0);
		store_plan_meeting_clear(&pm);
		OK(store_meeting_set_plain(s, "m2", &err));
		OK(store_meeting_set_plain(s, "m2", &err));
		assert_int_equal(store_meeting_get(s, "m2", &pm, &err), 1);
		assert_int_equal(pm.plain_organizer, 1);
		store_plan_meeting_clear(&pm);
	}
	assert_true(raw_has(f->db, "table", "accounts"));
	/* The message queued under version 1 keeps its text in its new
	 * table (version 3). */
	{
		struct store_outbox *o = NULL;
		size_t no = 0;

		OK(store_outbox_due(s, T0 + DAY, 10, &o, &no, &err));
		assert_int_equal(no, 1);
		assert_null(o[0].data);
		assert_int_equal(store_outbox_text(s, &o[0], &err), 1);
		assert_string_equal(o[0].data, "Subject: kept\r\n\r\nbody\r\n");
		assert_int_equal(o[0].len, 23);
		store_outbox_free(o, no);
	}
	assert_true(raw_has(f->db, "index", "outbox_due"));
	assert_true(raw_has(f->db, "index", "meetings_group_start"));

	m = NULL;
	OK(store_group_meetings(s, "g1", T0, T0 + DAY, &m, &n, &err));
	assert_int_equal(n, 1);
	assert_string_equal(m[0].uid, "m1");
	assert_int_equal(m[0].nattendees, 1);
	assert_string_equal(m[0].attendees[0].email, "ana@example.org");
	assert_string_equal(m[0].attendees[0].partstat, "ACCEPTED");
	store_meetings_free(m, n);

	OK(store_bounce_record(s, "ana@example.org", "5.1.1", 1, T0, &err));
	OK(store_group_bouncing(s, "g1", &b, &n, &err));
	assert_int_equal(n, 1);
	assert_string_equal(b[0], "ana@example.org");
	strv_free(b, n);
	store_close(s);

	/* opening an up-to-date database again migrates nothing */
	s = open_ok(f->db);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM meetings"), 2);
	store_close(s);
}

static void
test_newer_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);

	store_close(s);

	/* a binary that knows only version 1 meets a newer database */
	assert_null(store_open_upto(f->db, 1, &err));
	{
		char want[64];

		snprintf(want, sizeof want, "schema version %d",
		    STORE_SCHEMA_VERSION);
		assert_non_null(strstr(err, want));
	}
	assert_non_null(strstr(err, "(1)"));
	free(err);
	err = NULL;

	raw_exec(f->db, "PRAGMA user_version = 99");
	assert_null(store_open(f->db, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, f->db));
	assert_non_null(strstr(err, "schema version 99"));
	{
		char want[16];

		snprintf(want, sizeof want, "(%d)", STORE_SCHEMA_VERSION);
		assert_non_null(strstr(err, want));
	}
	assert_non_null(strstr(err, "upgrade convened"));
	free(err);
	err = NULL;
	/* and left exactly as found */
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"), 99);
}

static void
test_foreign_file_refused(void **state)
{
	struct fixture *f = *state;
	char *p;
	FILE *fp;

	/* somebody else's SQLite database */
	raw_exec(f->db, "CREATE TABLE contacts (x)");
	assert_null(store_open(f->db, &err));
	assert_non_null(strstr(err, "no convened schema"));
	free(err);
	err = NULL;
	assert_false(raw_has(f->db, "table", "groups"));

	raw_exec(f->db, "PRAGMA application_id = 42");
	assert_null(store_open(f->db, &err));
	assert_non_null(strstr(err, "another application"));
	free(err);
	err = NULL;

	/* not a database at all */
	p = xasprintf("%s/garbage.db", f->dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an sqlite database\n", fp);
	fclose(fp);
	assert_null(store_open(p, &err));
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "not an SQLite database"));
	free(err);
	err = NULL;
	free(p);

	/* a directory that does not exist: the reason, not just "unable" */
	p = xasprintf("%s/missing/state.db", f->dir);
	assert_null(store_open(p, &err));
	assert_non_null(strstr(err, "cannot open state db"));
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "No such file"));
	free(err);
	err = NULL;
	free(p);
}

/* ---- a state that is there but is not one: never a fresh start ---- */

/* The bytes of path (caller frees), *len set. */
static char *
slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT(64 << 20);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd != -1);
	assert_int_equal(buf_read(&b, fd), 0);
	close(fd);
	*len = b.len;
	return b.len > 0 ? buf_detach(&b) : (buf_release(&b), xstrdup(""));
}

static void
spit(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* How many entries the directory holds (. and .. aside). */
static int
entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* store_open refuses data at f->db with a message holding want, and
 * leaves the directory exactly as it was: the file byte for byte, no
 * journal or log beside it. */
static void
refused_as_found(struct fixture *f, const char *data, size_t len,
    const char *want)
{
	char *after;
	size_t alen;

	spit(f->db, data, len);
	assert_int_equal(entries(f->dir), 1);
	assert_int_equal(store_probe(f->db, &err), STORE_FILE_REFUSED);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, f->db));
	free(err);
	err = NULL;
	assert_null(store_open(f->db, &err));
	assert_non_null(strstr(err, want));
	free(err);
	err = NULL;
	after = slurp(f->db, &alen);
	assert_int_equal(alen, len);
	assert_memory_equal(after, data, len);
	free(after);
	assert_int_equal(entries(f->dir), 1);
}

static void
test_damaged_refused(void **state)
{
	struct fixture *f = *state;
	char *good, junk[50000];
	size_t len, i;
	unsigned x = 12345;

	store_close(open_ok(f->db));
	assert_int_equal(store_probe(f->db, &err), STORE_FILE_OURS);
	good = slurp(f->db, &len);
	assert_true(len >= 8 * 4096);

	refused_as_found(f, "", 0, "is empty (0 bytes)");
	refused_as_found(f, good, len / 2, "is truncated");
	refused_as_found(f, good, len - 4096, "is truncated");
	refused_as_found(f, good, 60, "not an SQLite database");
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (char)((x = x * 1103515245 + 12345) >> 16);
	refused_as_found(f, junk, sizeof junk, "not an SQLite database");

	/* the whole file again: fine */
	spit(f->db, good, len);
	store_close(open_ok(f->db));
	free(good);
	assert_int_equal(store_probe(f->db, &err), STORE_FILE_OURS);
	unlink(f->db);
	assert_int_equal(store_probe(f->db, &err), STORE_FILE_NONE);
	assert_null(err);
}

/* A new state appears whole under its name, mode 0600 under convened's
 * umask, with nothing left beside it. */
static void
test_create_whole(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	mode_t old = umask(077);

	store_close(open_ok(f->db));
	umask(old);
	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(entries(f->dir), 1);
	assert_int_equal(raw_int(f->db, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->db, "PRAGMA application_id"), 0x636e7664);
	/* opened again, not created again: the group stays */
	{
		struct store *s = open_ok(f->db);

		OK(store_group_sync(s, "g1", "Group one", T0, &err));
		store_close(s);
		s = open_ok(f->db);
		store_close(s);
	}
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM groups"), 1);
}

static void
test_backup(void **state)
{
	struct fixture *f = *state;
	char *dest = xasprintf("%s/copy.db", f->dir);
	char *none = xasprintf("%s/none.db", f->dir);
	struct store *s = open_ok(f->db), *c;
	long long bytes = 0;
	struct stat sb;
	sqlite3 *w;

	OK(store_group_sync(s, "g1", "Group one", T0, &err));
	/* a writer in the middle of a transaction: not in the copy */
	w = raw_open(f->db);
	assert_int_equal(sqlite3_exec(w, "BEGIN; INSERT INTO groups (id, name,"
	    " first_seen) VALUES ('g2', 'Two', 0)", NULL, NULL, NULL),
	    SQLITE_OK);
	OK(store_backup(f->db, dest, NULL, 0, &bytes, &err));
	sqlite3_exec(w, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(w);
	assert_int_equal(stat(dest, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(bytes, (long long)sb.st_size);
	c = open_ok(dest);
	store_close(c);
	assert_int_equal(raw_int(dest, "SELECT count(*) FROM groups"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM groups"), 2);

	/* never over an existing file */
	assert_int_equal(store_backup(f->db, dest, NULL, 0, &bytes, &err), -1);
	assert_non_null(strstr(err, "already exists"));
	free(err);
	err = NULL;
	assert_int_equal(raw_int(dest, "SELECT count(*) FROM groups"), 1);
	unlink(dest);

	/* What went while a cycle planned, not yet marked in the state, is
	 * 'sent' in the copy; a row not in the copy is no matter. */
	{
		struct store_outbox_in in = {
			.message_id = "early@x", .kind = "invite",
			.recipient = "ana@example.org",
			.data = "Subject: x\r\n\r\nbody\r\n", .len = 19,
			.now = T0,
		};
		struct store_sent sent[2] = { { 0, T0 + 5 }, { 999, T0 } };

		assert_int_equal(store_outbox_add(s, &in, &err), 1);
		sent[0].id = raw_int(f->db, "SELECT id FROM outbox WHERE "
		    "message_id = 'early@x'");
		OK(store_backup(f->db, dest, sent, 2, &bytes, &err));
		assert_int_equal(raw_int(dest, "SELECT count(*) FROM outbox "
		    "WHERE state = 'sent' AND sent_at = 1613584805"), 1);
		assert_int_equal(raw_int(dest, "SELECT count(*) FROM "
		    "outbox_data"), 0);
		assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox "
		    "WHERE state = 'pending'"), 1);
	}

	/* no state, nothing made */
	assert_int_equal(store_backup(none, f->db, NULL, 0, &bytes, &err), -1);
	assert_non_null(strstr(err, "no such file"));
	free(err);
	err = NULL;
	store_close(s);
	unlink(dest);
	free(dest);
	free(none);
}

/* What test_group_meetings reads back: two groups, meetings inserted
 * out of order on purpose, answers of every kind, one cancelled meeting
 * with agenda and minutes. */
static void
group_meetings_data(struct store *s)
{
	OK(store_group_sync(s, "g1", "Social protection", T0 - 90 * DAY,
	    &err));
	OK(store_group_sync(s, "g2", "South-South", T0 - 90 * DAY, &err));

	/* inserted out of order on purpose */
	add_meeting(s, "m-c", "g1", T0 + 7 * DAY, 3, 1);
	add_meeting(s, "m-edge", "g1", T0 + 30 * DAY, 0, 0);
	add_meeting(s, "m-a", "g1", T0, 0, 0);
	add_meeting(s, "m-before", "g1", T0 - DAY, 0, 0);
	add_meeting(s, "m-b", "g1", T0 + 3 * DAY, 0, 0);
	add_meeting(s, "m-other", "g2", T0 + DAY, 0, 0);

	invite(s, "m-a", "zed@example.org", "ACCEPTED");
	invite(s, "m-a", "ana@example.org", "DECLINED");
	invite(s, "m-a", "dora@example.org", "ACCEPTED");
	invite(s, "m-a", "carl@example.org", NULL);
	invite(s, "m-a", "eve@example.org", "DELEGATED");
	invite(s, "m-a", "bob@example.org", "TENTATIVE");
	OK(store_invitation_cancel(s, "m-a", "dora@example.org", 1, &err));
	invite(s, "m-other", "ana@example.org", "ACCEPTED");
	invite(s, "m-before", "ana@example.org", "ACCEPTED");

	OK(store_meeting_confirm_agenda(s, "m-c", "1. Welcome", &err));
	OK(store_meeting_set_minutes(s, "m-c",
	    "g1/2021/2021-02-24-minutes.txt", &err));
	/* a later schedule update leaves agenda and minutes alone */
	add_meeting(s, "m-c", "g1", T0 + 7 * DAY, 3, 1);
}

/* m-a's attendees by email: dora's invitation was cancelled; eve
 * delegated: listed, not counted */
static const struct {
	const char *email, *partstat;
} m_a_attendees[] = {
	{ "ana@example.org", "DECLINED" },
	{ "bob@example.org", "TENTATIVE" },
	{ "carl@example.org", "NEEDS-ACTION" },
	{ "eve@example.org", "DELEGATED" },
	{ "zed@example.org", "ACCEPTED" },
};

static void
test_group_meetings(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_meeting *m = NULL;
	struct store_meeting_in moved = {
		.uid = "m-b", .group_id = "g1", .series = "monthly",
		.orig_start = T0 + 3 * DAY, .start = T0 + 40 * DAY,
		.end = T0 + 40 * DAY + 3600, .sequence = 1,
	};
	size_t n = 0, i;

	group_meetings_data(s);
	OK(store_group_meetings(s, "g1", T0, T0 + 30 * DAY, &m, &n, &err));
	assert_int_equal(n, 3);
	assert_string_equal(m[0].uid, "m-a");
	assert_string_equal(m[1].uid, "m-b");
	assert_string_equal(m[2].uid, "m-c");

	assert_string_equal(m[0].group_id, "g1");
	assert_string_equal(m[0].series, "monthly");
	assert_int_equal(m[0].start, T0);
	assert_int_equal(m[0].end, T0 + 90 * 60);
	assert_int_equal(m[0].sequence, 0);
	assert_false(m[0].cancelled);
	assert_false(m[0].agenda_confirmed);
	assert_null(m[0].minutes_path);
	assert_int_equal(m[0].accepted, 1);
	assert_int_equal(m[0].declined, 1);
	assert_int_equal(m[0].tentative, 1);
	assert_int_equal(m[0].needs_action, 1);
	assert_int_equal(m[0].nattendees,
	    sizeof m_a_attendees / sizeof m_a_attendees[0]);
	for (i = 0; i < m[0].nattendees; i++) {
		assert_string_equal(m[0].attendees[i].email,
		    m_a_attendees[i].email);
		assert_string_equal(m[0].attendees[i].partstat,
		    m_a_attendees[i].partstat);
	}

	assert_int_equal(m[1].nattendees, 0);
	assert_null(m[1].attendees);
	assert_int_equal(m[1].accepted + m[1].declined + m[1].tentative +
	    m[1].needs_action, 0);

	assert_true(m[2].cancelled);
	assert_true(m[2].agenda_confirmed);
	assert_int_equal(m[2].sequence, 3);
	assert_string_equal(m[2].minutes_path,
	    "g1/2021/2021-02-24-minutes.txt");
	store_meetings_free(m, n);

	/* moved out of the window: same UID, new time, gone from the list */
	OK(store_meeting_upsert(s, &moved, &err));
	m = NULL;
	OK(store_group_meetings(s, "g1", T0, T0 + 30 * DAY, &m, &n, &err));
	assert_int_equal(n, 2);
	assert_string_equal(m[0].uid, "m-a");
	assert_string_equal(m[1].uid, "m-c");
	store_meetings_free(m, n);

	/* an empty window */
	m = (struct store_meeting *)&n;     /* must be overwritten */
	OK(store_group_meetings(s, "g2", T0 + 2 * DAY, T0 + 3 * DAY, &m, &n,
	    &err));
	assert_int_equal(n, 0);
	assert_null(m);

	/* unknown meeting */
	assert_int_equal(store_meeting_set_minutes(s, "nope", "x", &err), -1);
	assert_non_null(strstr(err, "no such meeting"));
	free(err);
	err = NULL;
	store_close(s);
}

static void
test_reply_order(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_meeting *m = NULL;
	size_t n = 0;

	OK(store_group_sync(s, "g1", "Group one", T0, &err));
	add_meeting(s, "m1", "g1", T0, 0, 0);
	OK(store_invitation_set(s, "m1", "ana@example.org", 0, &err));

	assert_int_equal(store_invitation_reply(s, "m1", "ana@example.org",
	    "ACCEPTED", T0 - 10, T0, &err), 1);
	/* an older reply that arrived late does not undo the newer one */
	assert_int_equal(store_invitation_reply(s, "m1", "ana@example.org",
	    "DECLINED", T0 - 20, T0, &err), 0);
	/* nobody invited */
	assert_int_equal(store_invitation_reply(s, "m1", "x@example.org",
	    "ACCEPTED", T0, T0, &err), 0);
	/* not a PARTSTAT */
	assert_int_equal(store_invitation_reply(s, "m1", "ana@example.org",
	    "MAYBE", T0, T0, &err), -1);
	assert_non_null(strstr(err, "CHECK constraint"));
	free(err);
	err = NULL;

	/* removed then invited again: answers afresh */
	OK(store_invitation_cancel(s, "m1", "ana@example.org", 1, &err));
	OK(store_invitation_set(s, "m1", "ana@example.org", 1, &err));
	OK(store_group_meetings(s, "g1", T0, T0 + 1, &m, &n, &err));
	assert_int_equal(n, 1);
	assert_int_equal(m[0].nattendees, 1);
	assert_string_equal(m[0].attendees[0].partstat, "NEEDS-ACTION");
	assert_int_equal(m[0].needs_action, 1);
	store_meetings_free(m, n);
	store_close(s);
}

static void
expect_bouncing(struct store *s, const char *group, const char *const *want,
    size_t nwant)
{
	char **v = NULL;
	size_t n = 0, i;

	OK(store_group_bouncing(s, group, &v, &n, &err));
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	strv_free(v, n);
}

static void
test_group_bouncing(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_member g1[] = {
		{ .email = "dora@example.org", .name = "Dora" },
		{ .email = "ana@example.org", .name = "Ana",
		  .language = "es", .timezone = "America/Montevideo",
		  .role = "ministry", .coordinator = 1 },
		{ .email = "bob@example.org", .name = "Bob" },
		{ .email = "carl@example.org", .name = "Carl" },  /* leaves */
	};
	struct store_member g2[] = {
		{ .email = "eve@example.org" },
	};

	OK(store_group_sync(s, "g1", "Group one", T0, &err));
	OK(store_group_sync(s, "g2", "Group two", T0, &err));
	OK(store_member_sync(s, "g1", g1, 4, T0, &err));
	OK(store_member_sync(s, "g2", g2, 1, T0, &err));

	/* DSNs spell addresses as they please */
	OK(store_bounce_record(s, "Ana@Example.ORG", "5.1.1", 1, T0, &err));
	OK(store_bounce_record(s, "bob@example.org", "4.2.2", 0, T0, &err));
	OK(store_bounce_record(s, "carl@example.org", "5.1.1", 1, T0, &err));
	OK(store_bounce_record(s, "eve@example.org", "5.1.1", 1, T0, &err));
	OK(store_bounce_record(s, "zed@example.org", "5.1.1", 1, T0, &err));
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM bounces"), 5);

	/* carl leaves the group: no longer its concern */
	OK(store_member_sync(s, "g1", g1, 3, T0 + DAY, &err));
	assert_int_equal(raw_int(f->db, "SELECT removed_at FROM members"
	    " WHERE email = 'carl@example.org'"), T0 + DAY);
	expect_bouncing(s, "g1", (const char *const[]){ "ana@example.org" },
	    1);
	expect_bouncing(s, "g2", (const char *const[]){ "eve@example.org" },
	    1);

	/* bob's mailbox is gone for good now */
	OK(store_bounce_record(s, "bob@example.org", "5.2.1", 1, T0 + DAY,
	    &err));
	expect_bouncing(s, "g1", (const char *const[]){ "ana@example.org",
	    "bob@example.org" }, 2);

	/* an old delay report processed late changes nothing ... */
	raw_exec(f->db, "UPDATE bounces SET notified_at = 7"
	    " WHERE email = 'ana@example.org'");
	OK(store_bounce_record(s, "ana@example.org", "4.4.1", 0, T0 - DAY,
	    &err));
	expect_bouncing(s, "g1", (const char *const[]){ "ana@example.org",
	    "bob@example.org" }, 2);
	assert_int_equal(raw_int(f->db, "SELECT count FROM bounces"
	    " WHERE email = 'ana@example.org'"), 2);
	assert_int_equal(raw_int(f->db, "SELECT first_at FROM bounces"
	    " WHERE email = 'ana@example.org'"), T0 - DAY);
	assert_int_equal(raw_int(f->db, "SELECT notified_at FROM bounces"
	    " WHERE email = 'ana@example.org'"), 7);
	/* ... a newer one says it delivers again ... */
	OK(store_bounce_record(s, "ana@example.org", "4.4.1", 0, T0 + 2 * DAY,
	    &err));
	expect_bouncing(s, "g1", (const char *const[]){ "bob@example.org" },
	    1);
	/* ... and when it turns permanent again, coordinators hear again */
	OK(store_bounce_record(s, "ana@example.org", "5.1.1", 1, T0 + 3 * DAY,
	    &err));
	assert_int_equal(raw_int(f->db, "SELECT notified_at IS NULL FROM"
	    " bounces WHERE email = 'ana@example.org'"), 1);

	/* carl comes back */
	OK(store_member_sync(s, "g1", g1, 4, T0 + 4 * DAY, &err));
	expect_bouncing(s, "g1", (const char *const[]){ "ana@example.org",
	    "bob@example.org", "carl@example.org" }, 3);
	assert_int_equal(raw_int(f->db, "SELECT coordinator FROM members"
	    " WHERE email = 'ana@example.org'"), 1);
	store_close(s);
}

static void
test_rollback(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_meeting *m = NULL;
	struct store_member bad[] = {
		{ .email = "ana@example.org" },
		{ .email = NULL },          /* violates NOT NULL */
	};
	size_t n = 0;

	OK(store_begin(s));
	OK(store_group_sync(s, "g1", "Group one", T0, &err));
	add_meeting(s, "m1", "g1", T0, 0, 0);
	invite(s, "m1", "ana@example.org", "ACCEPTED");
	OK(store_bounce_record(s, "ana@example.org", "5.1.1", 1, T0, &err));
	OK(store_rollback(s));

	OK(store_group_meetings(s, "g1", 0, T0 * 2, &m, &n, &err));
	assert_int_equal(n, 0);
	assert_int_equal(raw_int(f->db, "SELECT (SELECT count(*) FROM groups)"
	    " + (SELECT count(*) FROM meetings)"
	    " + (SELECT count(*) FROM invitations)"
	    " + (SELECT count(*) FROM bounces)"), 0);

	/* nothing to commit or roll back outside a transaction */
	assert_int_equal(store_commit(s), -1);

	OK(store_begin(s));
	OK(store_group_sync(s, "g1", "Group one", T0, &err));
	OK(store_commit(s));
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM groups"), 1);

	/* a writer that fails halfway leaves nothing, in a transaction ... */
	OK(store_begin(s));
	assert_int_equal(store_member_sync(s, "g1", bad, 2, T0, &err), -1);
	assert_non_null(strstr(err, "NOT NULL"));
	free(err);
	err = NULL;
	OK(store_commit(s));
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM members"), 0);
	/* ... and outside one */
	assert_int_equal(store_member_sync(s, "g1", bad, 2, T0, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM members"), 0);
	OK(store_member_sync(s, "g1", bad, 1, T0, &err));
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM members"), 1);
	store_close(s);
}

/* A message that went, or never will, loses its text; its row stays
 * until the retention period is over, and goes then. */
/* Due rows come in the order of their next try, then of their id,
 * whatever their state ('sending' after a crash, 'pending'), only those
 * with a text, and no more than the limit; a row marked sent keeps its
 * text until its texts are dropped. */
static void
test_outbox_due_order(void **state)
{
	/* m<i>@x: next try T0 + tries[i] minutes, state, text */
	static const struct { int tries; const char *state; int text; } r[] = {
		{ 5, "pending", 1 }, { 1, "sending", 1 }, { 3, "pending", 1 },
		{ 1, "pending", 1 }, { 0, "pending", 0 }, { 2, "sent", 1 },
		{ 3, "sending", 1 }, { 99, "pending", 1 },
	};
	static const char *const want[] = { "m1@x", "m3@x", "m2@x", "m6@x" };
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_outbox *o = NULL;
	long long ids[2];
	size_t n = 0, i;
	char sql[160];

	for (i = 0; i < sizeof r / sizeof r[0]; i++) {
		struct store_outbox_in in = {
			.kind = "invite", .recipient = "ana@example.org",
			.data = "Subject: x\r\n\r\nbody\r\n", .len = 19,
			.now = T0,
		};
		char mid[16];

		snprintf(mid, sizeof mid, "m%zu@x", i);
		in.message_id = mid;
		assert_int_equal(store_outbox_add(s, &in, &err), 1);
		snprintf(sql, sizeof sql, "UPDATE outbox SET state = '%s', "
		    "next_try = %lld WHERE message_id = '%s'", r[i].state,
		    T0 + r[i].tries * 60LL, mid);
		raw_exec(f->db, sql);
		if (!r[i].text) {
			snprintf(sql, sizeof sql, "DELETE FROM outbox_data WHERE "
			    "id = (SELECT id FROM outbox WHERE message_id = "
			    "'%s')", mid);
			raw_exec(f->db, sql);
		}
	}
	OK(store_outbox_due(s, T0 + 10 * 60, 4, &o, &n, &err));
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++)
		assert_string_equal(o[i].message_id, want[i]);
	OK(store_outbox_sent(s, o[0].id, T0 + 60, &err));
	OK(store_outbox_sent(s, o[1].id, T0 + 60, &err));
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox WHERE "
	    "state = 'sent' AND sent_at IS NOT NULL AND attempts = 1"), 2);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox_data"), 7);
	ids[0] = o[0].id;
	ids[1] = o[1].id;
	OK(store_outbox_texts_drop(s, ids, 2, &err));
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox_data"), 5);
	assert_int_equal(store_outbox_text(s, &o[0], &err), 0);
	assert_int_equal(store_outbox_text(s, &o[2], &err), 1);
	store_outbox_free(o, n);
	store_close(s);
}

static void
test_outbox_kept_small(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_outbox *o = NULL;
	size_t n = 0, i;

	for (i = 0; i < 3; i++) {
		struct store_outbox_in in = {
			.kind = "invite", .recipient = "ana@example.org",
			.data = "Subject: x\r\n\r\nbody\r\n", .len = 19,
			.now = T0 + (long long)i * DAY,
		};
		char mid[16];

		snprintf(mid, sizeof mid, "m%zu@x", i);
		in.message_id = mid;
		assert_int_equal(store_outbox_add(s, &in, &err), 1);
	}
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox_data"), 3);
	OK(store_outbox_due(s, T0 + 9 * DAY, 10, &o, &n, &err));
	assert_int_equal(n, 3);
	OK(store_outbox_set(s, o[0].id, "sent", 1, -1, T0, NULL, &err));
	OK(store_outbox_set(s, o[1].id, "failed", 1, -1, -1, "550 no", &err));
	OK(store_outbox_set(s, o[2].id, "pending", 1, T0 + 9 * DAY, -1, "451",
	    &err));
	/* Only the pending one keeps its text; every row stays. */
	assert_int_equal(store_outbox_text(s, &o[0], &err), 0);
	assert_null(o[0].data);
	assert_int_equal(store_outbox_text(s, &o[2], &err), 1);
	assert_int_equal(o[2].len, 19);
	assert_memory_equal(o[2].data, "Subject: x\r\n\r\nbody\r", 20);
	store_outbox_text_drop(&o[2]);
	assert_null(o[2].data);
	store_outbox_free(o, n);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox_data"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox_data"
	    " WHERE id = (SELECT id FROM outbox WHERE message_id = 'm2@x')"), 1);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(store_outbox_has(s, "m0@x", &err), 1);

	/* Ignored and refused messages are forgotten with them; an applied
	 * one is remembered for good. */
	OK(store_inbound_add(s, "a@x", "INBOX", 1, 1, T0, "rsvp", "applied",
	    &err));
	OK(store_inbound_add(s, "i@x", "INBOX", 1, 2, T0, "plain", "ignored",
	    &err));
	OK(store_inbound_add(s, "r@x", "INBOX", 1, 3, T0, "rsvp", "refused",
	    &err));
	OK(store_inbound_add(s, "late@x", "INBOX", 1, 4, T0 + 5 * DAY, "plain",
	    "ignored", &err));
	/* m0 and m1 (created T0 and T0 + 1 day) are done and old enough;
	 * m2 is pending and stays whatever its age. */
	assert_int_equal(store_prune(s, T0 + 2 * DAY, 1, &err), 4);
	{
		char *left = raw_str(f->db, "SELECT group_concat(message_id, ' ')"
		    " FROM (SELECT message_id FROM outbox UNION ALL"
		    " SELECT message_id FROM inbound ORDER BY 1)");

		assert_string_equal(left, "a@x late@x m2@x");
		free(left);
	}
	assert_int_equal(store_prune(s, T0 + 2 * DAY, 1, &err), 0);
	store_close(s);
}

/* The texts of 200 messages sent leave free pages: a prune that may not
 * give them back (a cycle that sent) leaves the file as it is; the next
 * one that may gives them to the file system. */
static void
test_prune_gives_back_when_asked(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct stat sb;
	off_t full;

	store_close(s);
	raw_exec(f->db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
	    " SELECT i + 1 FROM n WHERE i < 200)"
	    " INSERT INTO outbox (id, message_id, kind, recipient, state, next_try,"
	    "  created) SELECT i, 'm' || i || '@x', 'invite', 'a@example.org',"
	    "  'pending', 0, 0 FROM n;"
	    "INSERT INTO outbox_data (id, data)"
	    "  SELECT id, randomblob(50000) FROM outbox;"
	    "DELETE FROM outbox_data;");
	s = open_ok(f->db);
	assert_int_equal(stat(f->db, &sb), 0);
	full = sb.st_size;
	assert_true(full > 9 << 20);
	assert_int_equal(store_prune(s, T0, 0, &err), 0);
	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_size, full);
	assert_int_equal(store_prune(s, T0, 1, &err), 0);
	store_close(s);
	assert_int_equal(stat(f->db, &sb), 0);
	assert_true(sb.st_size < 1 << 20);
}

/* A state of version 3 that kept every message it sent (issue 19: 24.5
 * MB of agenda made 508 MB): the upgrade drops the text of what went and
 * gives the space back; what waits keeps its text. */
static void
test_upgrade_gives_space_back(void **state)
{
	struct fixture *f = *state;
	struct store *s;
	struct stat sb;
	off_t before;

	s = store_open_upto(f->db, 3, &err);
	if (s == NULL)
		fail_msg("store_open_upto: %s", err);
	store_close(s);
	raw_exec(f->db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
	    " SELECT i + 1 FROM n WHERE i < 200)"
	    " INSERT INTO outbox (id, message_id, kind, recipient, state, next_try,"
	    "  created) SELECT i, 'm' || i || '@x', 'invite', 'a@example.org',"
	    "  CASE WHEN i = 1 THEN 'pending' ELSE 'sent' END, 0, 0 FROM n;"
	    "INSERT INTO outbox_data (id, data)"
	    "  SELECT id, randomblob(50000) FROM outbox;");
	assert_int_equal(stat(f->db, &sb), 0);
	before = sb.st_size;
	assert_true(before > 9 << 20);
	s = open_ok(f->db);
	store_close(s);
	assert_int_equal(stat(f->db, &sb), 0);
	print_message("state.db of version 3 with 200 sent messages of 50 KB: "
	    "%lld KiB, %lld KiB once opened by version %d\n",
	    (long long)before >> 10, (long long)sb.st_size >> 10,
	    STORE_SCHEMA_VERSION);
	assert_true(sb.st_size < 1 << 20);
	assert_int_equal(raw_int(f->db, "PRAGMA auto_vacuum"), 2);
	assert_int_equal(raw_int(f->db, "SELECT count(*) FROM outbox"), 200);
	assert_int_equal(raw_int(f->db, "SELECT group_concat(id) FROM "
	    "outbox_data"), 1);
	assert_int_equal(raw_int(f->db, "SELECT length(data) FROM "
	    "outbox_data"), 50000);
}

static int
failed_once(struct store *s, const char *mid, unsigned long uid,
    const char *cause, long long at)
{
	char *error = xasprintf("cannot do it with %lu: %s", uid, cause);
	int n;

	n = store_inbound_failed(s, mid, "INBOX", 7, uid, error, cause, at,
	    &err);
	free(error);
	return n;
}

/* Cycle after cycle, the same failure counts up; another one starts
 * over; quarantine is told once, and a message brought back from it is
 * tried afresh. */
static void
test_inbound_failures(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	int count = 0, q = 0, told = 0;

	assert_int_equal(store_inbound_failures(s, "p@x", &count, &q, &told,
	    &err), 0);
	assert_int_equal(failed_once(s, "p@x", 3, "boom", T0), 1);
	assert_int_equal(failed_once(s, "p@x", 3, "boom", T0 + 60), 2);
	assert_int_equal(failed_once(s, "p@x", 3, "bang", T0 + 120), 1);
	assert_int_equal(failed_once(s, "p@x", 3, "bang", T0 + 180), 2);
	assert_int_equal(failed_once(s, "p@x", 3, "bang", T0 + 240), 3);
	assert_int_equal(store_inbound_quarantine(s, "p@x", T0 + 240, &err), 1);
	assert_int_equal(store_inbound_failures(s, "p@x", &count, &q, &told,
	    &err), 1);
	assert_int_equal(count, 3);
	assert_int_equal(q, 1);
	assert_int_equal(told, 1);
	/* The move failed: found where it was, it goes again, untold. */
	assert_int_equal(failed_once(s, "p@x", 3, "bang", T0 + 300), 3);
	assert_int_equal(store_inbound_quarantine(s, "p@x", T0 + 300, &err), 0);
	/* Brought back to INBOX under a new UID: afresh. */
	assert_int_equal(failed_once(s, "p@x", 9, "bang", T0 + 360), 1);
	assert_int_equal(store_inbound_failures(s, "p@x", &count, &q, &told,
	    &err), 1);
	assert_int_equal(q, 0);
	assert_int_equal(told, 0);
	OK(store_inbound_failure_clear(s, "p@x", &err));
	assert_int_equal(store_inbound_failures(s, "p@x", &count, &q, &told,
	    &err), 0);

	/* Long quarantined, forgotten. */
	assert_int_equal(failed_once(s, "old@x", 4, "x", T0), 1);
	assert_int_equal(store_prune(s, T0 + DAY, 1, &err), 1);
	store_close(s);
}

static void
test_outages(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_outage o = { .since = T0, .error = "read-only",
	    .tries = 1, .next_try = T0 + 60 }, got;

	assert_int_equal(store_outage_get(s, "repository", &got, &err), 0);
	OK(store_outage_put(s, "repository", &o, &err));
	o.tries = 2;
	o.next_try = T0 + 180;
	OK(store_outage_put(s, "repository", &o, &err));
	assert_int_equal(store_outage_get(s, "repository", &got, &err), 1);
	assert_int_equal(got.since, T0);
	assert_int_equal(got.tries, 2);
	assert_int_equal(got.next_try, T0 + 180);
	assert_string_equal(got.error, "read-only");
	free(got.error);
	assert_int_equal(store_outage_end(s, "repository", &err), 1);
	assert_int_equal(store_outage_end(s, "repository", &err), 0);
	store_close(s);
}

/* Whose fault a failure was: the data's (a constraint, here a trigger
 * that refuses one row), or the surroundings' (another process holding
 * the database past the busy timeout). */
static void
test_failure_kinds(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	sqlite3 *other;

	assert_int_equal(store_failure(s), STORE_FAIL_NONE);
	raw_exec(f->db, "CREATE TRIGGER no_bad BEFORE INSERT ON groups"
	    " WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END");
	assert_int_equal(store_group_sync(s, "bad", "Bad", T0, &err), -1);
	assert_non_null(strstr(err, "refused"));
	free(err);
	err = NULL;
	assert_int_equal(store_failure(s), STORE_FAIL_DATA);
	assert_int_equal(store_failure(s), STORE_FAIL_DATA);
	store_failure_clear(s);
	assert_int_equal(store_failure(s), STORE_FAIL_NONE);

	other = raw_open(f->db);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(store_begin(s), -1);
	assert_int_equal(store_failure(s), STORE_FAIL_ENV);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	store_failure_clear(s);
	OK(store_begin(s));
	OK(store_group_sync(s, "good", "Good", T0, &err));
	OK(store_commit(s));
	assert_int_equal(store_failure(s), STORE_FAIL_NONE);
	store_close(s);
}

/* An outage starts at the first failure, lasts through the next ones,
 * gets one notice, and ends with a success; last_success stays. */
static void
test_accounts(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_account *a;
	size_t n;

	OK(store_account_set(s, &(struct store_account_in){ "imap", "xoauth2",
	    1, 100, NULL, 5000 }, &err));
	OK(store_account_set(s, &(struct store_account_in){ "imap", "xoauth2",
	    0, 200, "refused", -1 }, &err));
	OK(store_account_set(s, &(struct store_account_in){ "imap", "xoauth2",
	    0, 300, "refused again", -1 }, &err));
	assert_int_equal(store_account_noticed(s, "imap", 300, &err), 1);
	assert_int_equal(store_account_noticed(s, "imap", 310, &err), 0);
	assert_int_equal(store_account_noticed(s, "smtp", 310, &err), 0);
	OK(store_accounts(s, &a, &n, &err));
	assert_int_equal(n, 1);
	assert_string_equal(a[0].name, "imap");
	assert_string_equal(a[0].auth, "xoauth2");
	assert_int_equal(a[0].ok, 0);
	assert_int_equal(a[0].last_success, 100);
	assert_int_equal(a[0].checked_at, 300);
	assert_string_equal(a[0].error, "refused again");
	assert_int_equal(a[0].outage_since, 200);
	assert_int_equal(a[0].noticed_at, 300);
	assert_int_equal(a[0].token_expires, -1);
	store_accounts_free(a, n);

	/* The same failure again is not written: checked_at stays. */
	OK(store_account_set(s, &(struct store_account_in){ "imap", "xoauth2",
	    0, 350, "refused again", -1 }, &err));
	OK(store_accounts(s, &a, &n, &err));
	assert_int_equal(a[0].checked_at, 300);
	assert_int_equal(a[0].outage_since, 200);
	store_accounts_free(a, n);

	OK(store_account_set(s, &(struct store_account_in){ "imap", "xoauth2",
	    1, 400, "ignored when ok", 9000 }, &err));
	OK(store_accounts(s, &a, &n, &err));
	assert_int_equal(a[0].ok, 1);
	assert_int_equal(a[0].last_success, 400);
	assert_null(a[0].error);
	assert_int_equal(a[0].outage_since, -1);
	assert_int_equal(a[0].noticed_at, -1);
	assert_int_equal(a[0].token_expires, 9000);
	store_accounts_free(a, n);
	/* A new outage is noticed again. */
	OK(store_account_set(s, &(struct store_account_in){ "imap", "xoauth2",
	    0, 500, "revoked", -1 }, &err));
	assert_int_equal(store_account_noticed(s, "imap", 500, &err), 1);
	store_close(s);
}

/* A series event: who holds it holds its meetings to come, with the
 * answer they gave for all of it until they answer for one; a reply is
 * matched to the meeting nearest its RECURRENCE-ID; when the event ends
 * its meetings to come leave it. */
static const char *
inv_partstat(struct store *s, const char *uid, const char *email)
{
	static char out[40];
	struct store_invitee *v = NULL;
	size_t n = 0, i;

	OK(store_meeting_invitees(s, uid, &v, &n, &err));
	snprintf(out, sizeof out, "none");
	for (i = 0; i < n; i++)
		if (strcmp(v[i].email, email) == 0)
			snprintf(out, sizeof out, "%s/%d%s", v[i].partstat,
			    v[i].sequence_sent, v[i].cancelled ? " cancelled" : "");
	store_invitees_free(v, n);
	return out;
}

static void
test_series_event(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->db);
	struct store_series_event e, got, *list = NULL;
	struct store_plan_meeting pm;
	size_t n = 0;

	OK(store_group_sync(s, "g1", "Group one", T0, &err));
	memset(&e, 0, sizeof e);
	e.uid = "g1-monthly-20210217-series@example.org";
	e.group_id = "g1";
	e.series = "monthly";
	e.dtstart = T0;
	e.dtstart_wall = "20210217T150000";
	e.tzid = "America/Montevideo";
	e.rrule = "FREQ=MONTHLY;BYDAY=3WE";
	e.duration = 90;
	e.summary = "Monthly exchange";
	e.kind = "meeting";
	e.sequence = 2;
	OK(store_series_event_save(s, &e, T0 - 30 * DAY, &err));
	OK(store_series_events(s, "g1", &list, &n, &err));
	assert_int_equal(n, 1);
	assert_string_equal(list[0].exdate, "");
	assert_int_equal(list[0].until, 0);
	assert_int_equal(list[0].sequence, 2);
	store_series_events_free(list, n);

	add_meeting(s, "m-feb", "g1", T0, 0, 0);
	add_meeting(s, "m-mar", "g1", T0 + 28 * DAY, 1, 0);
	OK(store_meeting_link(s, "m-feb", e.uid, "20210217T150000", &err));
	OK(store_meeting_link(s, "m-mar", e.uid, "20210317T150000", &err));
	/* Ana holds it: invited to both, at each one's own SEQUENCE. */
	OK(store_series_attendee_set(s, e.uid, "ana@example.org", 2, T0 - DAY,
	    &err));
	assert_string_equal(inv_partstat(s, "m-mar", "ana@example.org"),
	    "NEEDS-ACTION/1");
	assert_string_equal(inv_partstat(s, e.uid, "ana@example.org"),
	    "NEEDS-ACTION/2");
	/* Her answer for the series reaches the meetings still to come. */
	assert_int_equal(store_invitation_reply(s, e.uid, "ana@example.org",
	    "ACCEPTED", T0 - 2 * DAY, T0 - DAY, &err), 1);
	assert_string_equal(inv_partstat(s, "m-feb", "ana@example.org"),
	    "ACCEPTED/0");
	/* March declined alone, later; an older series answer leaves it. */
	assert_int_equal(store_invitation_reply(s, "m-mar", "ana@example.org",
	    "DECLINED", T0, T0, &err), 1);
	assert_int_equal(store_invitation_reply(s, e.uid, "ana@example.org",
	    "TENTATIVE", T0 - DAY, T0 - DAY / 2, &err), 1);
	assert_string_equal(inv_partstat(s, "m-mar", "ana@example.org"),
	    "DECLINED/1");
	assert_string_equal(inv_partstat(s, "m-feb", "ana@example.org"),
	    "TENTATIVE/0");
	/* A meeting that joins later starts with the series' answer. */
	add_meeting(s, "m-apr", "g1", T0 + 63 * DAY, 0, 0);
	OK(store_meeting_link(s, "m-apr", e.uid, "20210421T150000", &err));
	OK(store_series_share(s, "m-apr", &err));
	assert_string_equal(inv_partstat(s, "m-apr", "ana@example.org"),
	    "TENTATIVE/0");

	/* Replies: the nearest meeting within half a day; the event alone. */
	memset(&pm, 0, sizeof pm);
	assert_int_equal(store_meeting_for_reply(s, e.uid, T0 + 28 * DAY +
	    3600, &pm, &err), 1);
	assert_string_equal(pm.uid, "m-mar");
	assert_string_equal(pm.series_uid, e.uid);
	assert_string_equal(pm.recurrence_id, "20210317T150000");
	store_plan_meeting_clear(&pm);
	assert_int_equal(store_meeting_for_reply(s, e.uid, T0 + 14 * DAY, &pm,
	    &err), 0);
	assert_int_equal(store_meeting_for_reply(s, e.uid, -1, &pm, &err), 1);
	assert_string_equal(pm.uid, e.uid);
	assert_string_equal(pm.series_uid, e.uid);
	assert_int_equal(pm.start, T0);
	assert_int_equal(pm.end, T0 + 90 * 60);
	assert_string_equal(pm.group_id, "g1");
	store_plan_meeting_clear(&pm);
	assert_int_equal(store_meeting_for_reply(s, "m-feb", T0 + 99 * DAY,
	    &pm, &err), 1);
	assert_string_equal(pm.uid, "m-feb");
	store_plan_meeting_clear(&pm);

	/* Cancelled for Ana: the series and what is to come, not the past. */
	OK(store_series_attendee_cancel(s, e.uid, "ana@example.org", 3,
	    T0 + DAY, &err));
	assert_string_equal(inv_partstat(s, "m-feb", "ana@example.org"),
	    "TENTATIVE/0");
	assert_string_equal(inv_partstat(s, "m-mar", "ana@example.org"),
	    "DECLINED/1 cancelled");
	/* Back: she answers afresh, for the series and what is to come. */
	OK(store_series_attendee_set(s, e.uid, "ana@example.org", 4, T0 + DAY,
	    &err));
	assert_string_equal(inv_partstat(s, e.uid, "ana@example.org"),
	    "NEEDS-ACTION/4");
	assert_string_equal(inv_partstat(s, "m-apr", "ana@example.org"),
	    "NEEDS-ACTION/0");

	/* The event ends: April leaves it, its invitation with it. */
	OK(store_series_detach(s, e.uid, T0 + 30 * DAY, &err));
	assert_int_equal(store_meeting_get(s, "m-apr", &pm, &err), 1);
	assert_null(pm.series_uid);
	assert_null(pm.recurrence_id);
	store_plan_meeting_clear(&pm);
	assert_string_equal(inv_partstat(s, "m-apr", "ana@example.org"),
	    "NEEDS-ACTION/0 cancelled");
	assert_int_equal(store_meeting_get(s, "m-mar", &pm, &err), 1);
	assert_string_equal(pm.series_uid, e.uid);
	store_plan_meeting_clear(&pm);
	e.ended = 1;
	OK(store_series_event_save(s, &e, T0, &err));
	OK(store_series_events(s, "g1", &list, &n, &err));
	assert_int_equal(n, 0);
	assert_int_equal(store_series_event_get(s, e.uid, &got, &err), 1);
	assert_int_equal(got.ended, 1);
	store_series_event_clear(&got);
	/* The plain organizer, as for a meeting. */
	OK(store_series_set_plain(s, e.uid, &err));
	assert_int_equal(raw_int(f->db, "SELECT plain_organizer FROM"
	    " series_events"), 1);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_keys_on, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_v1, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_damaged_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_create_whole, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_meetings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reply_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_bouncing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_due_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_outbox_kept_small, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prune_gives_back_when_asked,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_gives_space_back,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound_failures, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_outages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_kinds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series_event, setup,
		    teardown),
	};

	log_init(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

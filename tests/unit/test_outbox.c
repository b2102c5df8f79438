/* test_outbox.c: outbox_flush() against a fake SMTP door (fake_smtp.h):
 * what each answer of the server does to the rows, read back from the
 * state database itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "fake_smtp.h"
#include "outbox.h"
#include "store.h"
#include "testlib.h"
#include "util.h"
#include "verp.h"

#define HOUR 3600LL

struct row {
	char      state[16];
	int       attempts;
	long long next_try;
	long long sent_at;      /* -1: NULL */
	char      error[256];   /* "" for NULL */
};

static long long t0;

static int
setup(void **state)
{
	struct tl_ws *fx;

	tl_setup_ws(state, NULL);
	fx = *state;
	tl_ws_group(fx, "10-g.ini", "[group]\nid = g\nname = G\n"
	    "kind = discussion\ntimezone = America/Santiago\n"
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n"
	    "[member luis@cepal.example.org]\nname = Luis\n"
	    "role = secretariat\ncoordinator = yes\n");
	fake_smtp_reset();
	t0 = tl_utc("2021-03-01 12:00");
	/* One message in flight unless a case says otherwise: the cases
	 * below count sends and sessions as one connection makes them. */
	assert_int_equal(fx->cfg->smtp_connections, 2);    /* the default */
	fx->cfg->smtp_connections = 1;
	return 0;
}

static int
teardown(void **state)
{
	fake_smtp_reset();
	return tl_teardown(state);
}

/* n messages m1..mn to r1..rn@example.org, queued at `created`. */
static void
queue(struct tl_ws *fx, int n, long long created)
{
	char id[32], rcpt[64];
	int i;

	for (i = 1; i <= n; i++) {
		snprintf(id, sizeof id, "m%d@test", i);
		snprintf(rcpt, sizeof rcpt, "r%d@example.org", i);
		tl_outbox_add(fx, id, rcpt, created);
	}
}

/* Row m<i>@test as the database has it. */
static void
row(struct tl_ws *fx, int i, struct row *r)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	char id[32];

	snprintf(id, sizeof id, "m%d@test", i);
	assert_int_equal(sqlite3_open_v2(fx->cfg->state, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT state, attempts, "
	    "next_try, coalesce(sent_at, -1), coalesce(last_error, '') "
	    "FROM outbox WHERE message_id = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(r->state, sizeof r->state, "%s", sqlite3_column_text(st, 0));
	r->attempts = sqlite3_column_int(st, 1);
	r->next_try = sqlite3_column_int64(st, 2);
	r->sent_at = sqlite3_column_int64(st, 3);
	snprintf(r->error, sizeof r->error, "%s", sqlite3_column_text(st, 4));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
assert_row(struct tl_ws *fx, int i, const char *state, int attempts,
    long long next_try)
{
	struct row r;

	row(fx, i, &r);
	if (strcmp(r.state, state) != 0 || r.attempts != attempts ||
	    r.next_try != next_try)
		fail_msg("m%d: %s, %d attempts, next try %lld; expected %s, %d, "
		    "%lld", i, r.state, r.attempts, r.next_try - t0, state,
		    attempts, next_try - t0);
}

static void
script(int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		fake_smtp.script[fake_smtp.nscript++] =
		    (enum fake_reply)va_arg(ap, int);
	va_end(ap);
}

/* stderr while flushing, to count the log lines. */
static char *
flush_logged(struct tl_ws *fx, long long now, volatile sig_atomic_t *stop,
    struct outbox_stats *os)
{
	char *err = NULL, *log;
	int rc;

	tl_log_begin(fx);
	rc = outbox_flush(fx->cfg, fx->st, now, NULL, stop, os, &err);
	log = tl_log_end(fx);
	assert_int_equal(rc, 0);
	assert_null(err);
	return log;
}

static void
flush(struct tl_ws *fx, long long now, struct outbox_stats *os)
{
	free(flush_logged(fx, now, NULL, os));
}

/* 250: sent, once, in one session for two batches. */
static void
test_sent(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	struct row r;

	queue(fx, 250, t0);
	flush(fx, t0, &os);
	assert_int_equal(os.sent, 250);
	assert_int_equal(fake_smtp.sends, 250);
	assert_int_equal(fake_smtp.sessions, 1);
	assert_int_equal(fake_smtp.open, 0);
	assert_string_equal(fake_smtp.rcpt[0], "r1@example.org");
	row(fx, 250, &r);
	assert_string_equal(r.state, "sent");
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.sent_at, t0);
	assert_string_equal(r.error, "");
	/* Nothing is due: no second send, and no session either. */
	flush(fx, t0 + HOUR, &os);
	assert_int_equal(os.sent, 0);
	assert_int_equal(fake_smtp.sends, 250);
	assert_int_equal(fake_smtp.sessions, 1);
}

/* Each message goes from its own envelope sender (verp.h), which names
 * its row and recipient; verp = no sends from the organizer's address. */
static void
test_envelope_sender(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	struct verp_hit h;
	char *err = NULL;

	queue(fx, 2, t0);
	flush(fx, t0, &os);
	assert_int_equal(fake_smtp.sends, 2);
	assert_true(strncmp(fake_smtp.from[0], "agenda+b-b-", 11) == 0);
	assert_true(strncmp(fake_smtp.from[1], "agenda+b-c-", 11) == 0);
	assert_int_equal(verp_check(&fx->cfg->trust_key, fx->st,
	    fx->cfg->org_email, fake_smtp.from[1], &h, &err), VERP_VALID);
	assert_string_equal(h.recipient, "r2@example.org");
	assert_string_equal(h.message_id, "m2@test");
	verp_hit_clear(&h);
	/* The From header is the message's own: untouched. */
	assert_string_equal(fake_smtp.data[0], "Subject: x\r\n\r\nhello\r\n");

	fake_smtp_reset();
	fx->cfg->org_verp = 0;
	tl_outbox_add(fx, "plain@test", "r9@example.org", t0);
	flush(fx, t0, &os);
	assert_int_equal(fake_smtp.sends, 1);
	assert_string_equal(fake_smtp.from[0], "agenda@example.org");
}

/* 451: pending again, one minute later, then two, then sent. */
static void
test_temporary_backoff(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	struct row r;

	queue(fx, 1, t0);
	script(2, FAKE_451, FAKE_451);
	flush(fx, t0, &os);
	assert_int_equal(os.deferred, 1);
	assert_row(fx, 1, "pending", 1, t0 + 60);
	row(fx, 1, &r);
	assert_non_null(strstr(r.error, "451 try later"));
	flush(fx, t0 + 59, &os);                /* not due yet */
	assert_int_equal(fake_smtp.sends, 1);
	flush(fx, t0 + 60, &os);
	assert_row(fx, 1, "pending", 2, t0 + 60 + 120);
	flush(fx, t0 + 180, &os);
	assert_int_equal(os.sent, 1);
	assert_row(fx, 1, "sent", 3, t0 + 60 + 120);
	assert_int_equal(fake_smtp.sends, 3);
}

/* The server goes away after the first message: the rest of the batch
 * waits with the one that found it down, after one try and one line. */
static void
test_server_down(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	struct row r2, r4;
	char *log;

	queue(fx, 4, t0);
	script(2, FAKE_250, FAKE_DOWN);
	log = flush_logged(fx, t0, NULL, &os);
	assert_int_equal(fake_smtp.sends, 2);
	assert_int_equal(os.sent, 1);
	assert_int_equal(os.deferred, 3);
	assert_row(fx, 1, "sent", 1, t0);
	assert_row(fx, 2, "pending", 1, t0 + 60);
	assert_row(fx, 3, "pending", 1, t0 + 60);
	assert_row(fx, 4, "pending", 1, t0 + 60);
	row(fx, 2, &r2);
	row(fx, 4, &r4);
	assert_non_null(strstr(r2.error, "connect"));
	assert_string_equal(r4.error, r2.error);
	assert_int_equal(tl_count(log, "\n"), 1);
	assert_int_equal(tl_count(log, "deferred invite m2@test"), 1);
	free(log);
	/* Back again: the three go in one session. */
	flush(fx, t0 + 60, &os);
	assert_int_equal(os.sent, 3);
	assert_int_equal(fake_smtp.sends, 5);
	assert_int_equal(fake_smtp.sessions, 2);
	assert_row(fx, 4, "sent", 2, t0 + 60);
}

/* 550 to RCPT TO: failed for good, and the address recorded as bouncing;
 * 554 to the message is not the address's fault.  The flush goes on. */
static void
test_refused_recipient(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	char *status;
	struct row r;

	queue(fx, 3, t0);
	script(2, FAKE_550_RCPT, FAKE_554_DATA);
	flush(fx, t0, &os);
	assert_int_equal(os.failed, 2);
	assert_int_equal(os.sent, 1);
	assert_row(fx, 1, "failed", 1, t0);
	assert_row(fx, 2, "failed", 1, t0);
	assert_row(fx, 3, "sent", 1, t0);
	row(fx, 1, &r);
	assert_non_null(strstr(r.error, "RCPT TO refused: 550"));
	status = store_bounce_status(fx->st, "r1@example.org");
	assert_non_null(status);
	assert_non_null(strstr(status, "550 no such user"));
	free(status);
	assert_null(store_bounce_status(fx->st, "r2@example.org"));
	/* failed is final */
	flush(fx, t0 + 100 * HOUR, &os);
	assert_int_equal(fake_smtp.sends, 3);
}

/* The server refuses the account: the flush ends, and every row not sent
 * is pending again as it was, no attempt counted against it. */
static void
test_account_refused(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	struct row r;

	queue(fx, 3, t0);
	script(2, FAKE_250, FAKE_535_AUTH);
	flush(fx, t0, &os);
	assert_int_equal(os.account_error, 1);
	assert_int_equal(os.sent, 1);
	assert_int_equal(os.deferred + os.failed, 0);
	assert_int_equal(fake_smtp.sends, 2);
	assert_row(fx, 2, "pending", 0, t0);
	assert_row(fx, 3, "pending", 0, t0);
	row(fx, 2, &r);
	assert_string_equal(r.error, "");
	flush(fx, t0 + 1, &os);
	assert_int_equal(os.sent, 2);
	assert_row(fx, 3, "sent", 1, t0);
}

/* Four connections: one until a message went, then four messages in
 * flight, each row marked by its own result. */
static void
test_connections(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;

	fx->cfg->smtp_connections = 4;
	queue(fx, 250, t0);
	flush(fx, t0, &os);
	assert_int_equal(os.sent, 250);
	assert_int_equal(fake_smtp.sends, 250);
	assert_int_equal(fake_smtp.sessions, 4);
	assert_int_equal(fake_smtp.inflight, 4);
	assert_int_equal(fake_smtp.open, 0);
	assert_row(fx, 250, "sent", 1, t0);
}

/* The server goes down under the second message: the three in flight
 * with it end as they end, nothing more starts, the rest waits. */
static void
test_connections_down(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	char *log;

	fx->cfg->smtp_connections = 4;
	queue(fx, 10, t0);
	script(2, FAKE_250, FAKE_DOWN);
	log = flush_logged(fx, t0, NULL, &os);
	assert_int_equal(fake_smtp.sends, 5);
	assert_int_equal(os.sent, 4);
	assert_int_equal(os.deferred, 6);
	assert_row(fx, 1, "sent", 1, t0);
	assert_row(fx, 2, "pending", 1, t0 + 60);
	assert_row(fx, 3, "sent", 1, t0);
	assert_row(fx, 5, "sent", 1, t0);
	assert_row(fx, 6, "pending", 1, t0 + 60);
	assert_row(fx, 10, "pending", 1, t0 + 60);
	assert_int_equal(tl_count(log, "\n"), 1);
	free(log);
}

/* The server will not take a third connection (a provider's cap): the
 * message it was for goes on another, unblamed, and the flush goes on
 * with the connections it has. */
static void
test_connections_fewer(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	char *log;

	fx->cfg->smtp_connections = 4;
	queue(fx, 10, t0);
	script(4, FAKE_250, FAKE_250, FAKE_250, FAKE_DOWN);
	log = flush_logged(fx, t0, NULL, &os);
	assert_int_equal(os.sent, 10);
	assert_int_equal(os.deferred, 0);
	assert_int_equal(fake_smtp.sends, 11);
	assert_int_equal(fake_smtp.sessions, 4);
	assert_int_equal(fake_smtp.open, 0);
	assert_row(fx, 4, "sent", 1, t0);
	assert_row(fx, 10, "sent", 1, t0);
	assert_int_equal(tl_count(log, "connection 3 of 4 refused, going on "
	    "with 3"), 1);
	free(log);
}

/* A refused login is met on one connection, not on four. */
static void
test_connections_refused(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;

	fx->cfg->smtp_connections = 4;
	queue(fx, 5, t0);
	script(1, FAKE_535_AUTH);
	flush(fx, t0, &os);
	assert_int_equal(os.account_error, 1);
	assert_int_equal(fake_smtp.sends, 1);
	assert_int_equal(fake_smtp.sessions, 1);
	assert_row(fx, 1, "pending", 0, t0);
	assert_row(fx, 5, "pending", 0, t0);
}

/* SIGTERM during the second message: it is finished, the rest waits. */
static void
test_stop(void **state)
{
	struct tl_ws *fx = *state;
	volatile sig_atomic_t stop = 0;
	struct outbox_stats os;

	queue(fx, 4, t0);
	fake_smtp.stop_at = 2;
	fake_smtp.stop = &stop;
	free(flush_logged(fx, t0, &stop, &os));
	assert_int_equal(fake_smtp.sends, 2);
	assert_int_equal(os.sent, 2);
	assert_row(fx, 2, "sent", 1, t0);
	assert_row(fx, 3, "pending", 0, t0);
	assert_row(fx, 4, "pending", 0, t0);
}

/* A 4xx once give_up_hours have passed since the row was queued: failed;
 * a younger row only waits. */
static void
test_give_up(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	struct store_outbox_in in;
	char *err = NULL;
	struct row r;

	assert_int_equal(fx->cfg->smtp_give_up_hours, 72);
	queue(fx, 1, t0);
	memset(&in, 0, sizeof in);
	in.message_id = "m2@test";
	in.kind = "invite";
	in.recipient = "r2@example.org";
	in.data = "x\r\n";
	in.len = 3;
	in.now = t0 + HOUR;
	assert_int_equal(store_outbox_add(fx->st, &in, &err), 1);
	script(2, FAKE_451, FAKE_451);
	flush(fx, t0 + 72 * HOUR, &os);
	assert_int_equal(os.failed, 1);
	assert_int_equal(os.deferred, 1);
	assert_row(fx, 1, "failed", 1, t0);
	row(fx, 1, &r);
	assert_non_null(strstr(r.error, "gave up after 72 hours: "));
	assert_non_null(strstr(r.error, "451 try later"));
	assert_row(fx, 2, "pending", 1, t0 + 72 * HOUR + 60);
	assert_null(store_bounce_status(fx->st, "r1@example.org"));
}

/* Rows with a text left, as another reader of the state sees them. */
static int
texts_left(struct tl_ws *fx)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n;

	assert_int_equal(sqlite3_open(fx->cfg->state, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
	    "outbox_data", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Lines of the sent log, as a reader after a crash would find them. */
static int
sent_log_lines(struct tl_ws *fx)
{
	char *p = xasprintf("%s.sent", fx->cfg->state);
	FILE *f = fopen(p, "r");
	int c, n = 0;

	free(p);
	if (f == NULL)
		return 0;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* The batch is read without its texts: each is read when its message is
 * sent (a text changed in the state after the batch was read goes as
 * changed), so that a flush holds one message, not 200.  The crash
 * guarantees stay: the whole batch is 'sending' before the first
 * dialogue, and each row is a line of the sent log as soon as it went,
 * before the next message starts. */
static struct tl_ws *during_fx;

static void
during_send(size_t nth)
{
	sqlite3 *db;

	if (nth == 1) {
		assert_row(during_fx, 1, "sending", 0, t0);
		assert_row(during_fx, 3, "sending", 0, t0);
		assert_int_equal(sqlite3_open(during_fx->cfg->state, &db),
		    SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "UPDATE outbox_data SET data ="
		    " CAST('Subject: y' || char(13, 10, 13, 10) || 'later' ||"
		    " char(13, 10) AS BLOB) WHERE id = (SELECT id FROM outbox"
		    " WHERE message_id = 'm3@test')", NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
	} else if (nth == 2) {
		assert_row(during_fx, 1, "sending", 0, t0);
		assert_int_equal(sent_log_lines(during_fx), 1);
		assert_row(during_fx, 2, "sending", 0, t0);
	}
}

static void
test_text_read_when_sent(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;

	queue(fx, 3, t0);
	during_fx = fx;
	fake_smtp.during = during_send;
	flush(fx, t0, &os);
	assert_int_equal(os.sent, 3);
	assert_string_equal(fake_smtp.data[0], "Subject: x\r\n\r\nhello\r\n");
	assert_string_equal(fake_smtp.data[2], "Subject: y\r\n\r\nlater\r\n");
	assert_row(fx, 3, "sent", 1, t0);
	/* Each text left the state once its message went. */
	assert_int_equal(texts_left(fx), 0);
}

static struct tl_ws *drop_fx;
static int drop_left[2], drop_lines;

static void
during_drop(size_t nth)
{
	if (nth == 16) {
		drop_left[0] = texts_left(drop_fx);
		drop_lines = sent_log_lines(drop_fx);
	} else if (nth == 66)
		drop_left[1] = texts_left(drop_fx);
}

/* Sent rows are marked, their texts dropped, many in one commit while
 * the flush goes on: by the 16th message the 15 sent are lines of the
 * sent log and none is marked yet; by the 66th some are; by the end all
 * 70, and the log is gone. */
static void
test_marks_batched(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;

	queue(fx, 70, t0);
	drop_fx = fx;
	drop_left[0] = drop_left[1] = drop_lines = -1;
	fake_smtp.during = during_drop;
	flush(fx, t0, &os);
	assert_int_equal(os.sent, 70);
	assert_row(fx, 15, "sent", 1, t0);
	assert_row(fx, 70, "sent", 1, t0);
	assert_int_equal(drop_lines, 15);
	assert_int_equal(drop_left[0], 70);
	assert_in_range(drop_left[1], 5, 69);
	assert_int_equal(texts_left(fx), 0);
	assert_int_equal(sent_log_lines(fx), 0);
}

/* A sent log that cannot be opened (a directory in its place): each
 * message sent is marked at once, as before there was a log, and the
 * flush says so once. */
static void
test_sent_log_unwritable(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	char *p = xasprintf("%s.sent", fx->cfg->state), *log;

	assert_int_equal(mkdir(p, 0700), 0);
	queue(fx, 3, t0);
	log = flush_logged(fx, t0, NULL, &os);
	assert_int_equal(os.sent, 3);
	assert_row(fx, 1, "sent", 1, t0);
	assert_row(fx, 3, "sent", 1, t0);
	assert_int_equal(texts_left(fx), 0);
	assert_non_null(strstr(log, "each message sent is recorded at once"));
	assert_null(strstr(strstr(log, "recorded at once") + 1,
	    "recorded at once"));
	assert_int_equal(rmdir(p), 0);
	free(log);
	free(p);
}

/* The id of row m<i>@test. */
static long long
row_id(struct tl_ws *fx, int i)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	long long id;
	char mid[32];

	snprintf(mid, sizeof mid, "m%d@test", i);
	assert_int_equal(sqlite3_open_v2(fx->cfg->state, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM outbox "
	    "WHERE message_id = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return id;
}

static int
sent_log_exists(struct tl_ws *fx)
{
	char *p = xasprintf("%s.sent", fx->cfg->state);
	FILE *f = fopen(p, "r");

	free(p);
	if (f != NULL)
		fclose(f);
	return f != NULL;
}

/* Early sending: what was committed goes from the sender's thread, rows
 * queued after it started too; the flush marks them all, finds nothing
 * more to send, and the sent log is gone. */
static void
test_early(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_early *e;
	struct outbox_stats os;
	char *err = NULL;

	fx->cfg->smtp_connections = 2;
	queue(fx, 3, t0);
	assert_non_null(e = outbox_early_start(fx->cfg, t0, NULL));
	tl_outbox_add(fx, "late@test", "late@example.org", t0);
	outbox_early_more(e);
	assert_int_equal(outbox_flush(fx->cfg, fx->st, t0, e, NULL, &os,
	    &err), 0);
	assert_null(err);
	assert_int_equal(os.sent, 4);
	assert_int_equal(fake_smtp.sends, 4);
	assert_int_equal(fake_smtp.open, 0);
	assert_row(fx, 1, "sent", 1, t0);
	assert_row(fx, 3, "sent", 1, t0);
	assert_false(sent_log_exists(fx));
	/* Their texts went with them. */
	assert_int_equal(texts_left(fx), 0);
}

/* The server is down for early sending: one try, one line, and the
 * rows wait with it, as a batch of the flush does; the flush does not
 * try again. */
static void
test_early_server_down(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_early *e;
	struct outbox_stats os;
	char *err = NULL, *log;

	queue(fx, 3, t0);
	script(1, FAKE_DOWN);
	assert_non_null(e = outbox_early_start(fx->cfg, t0, NULL));
	tl_log_begin(fx);
	assert_int_equal(outbox_flush(fx->cfg, fx->st, t0, e, NULL, &os,
	    &err), 0);
	log = tl_log_end(fx);
	assert_null(err);
	assert_int_equal(fake_smtp.sends, 1);
	assert_int_equal(os.sent, 0);
	assert_int_equal(os.deferred, 3);
	assert_row(fx, 1, "pending", 1, t0 + 60);
	assert_row(fx, 3, "pending", 1, t0 + 60);
	assert_int_equal(tl_count(log, "\n"), 1);
	free(log);
}

/* A sent log a killed process left: its rows are 'sent' without being
 * sent again; a line not ours is named by FILE:LINE and passed over, a
 * last line cut short is taken as not written. */
static void
test_recover(void **state)
{
	struct tl_ws *fx = *state;
	struct outbox_stats os;
	struct row r;
	char *p, *text, *log, *err = NULL, *want;

	queue(fx, 4, t0);
	p = xasprintf("%s.sent", fx->cfg->state);
	text = xasprintf("%lld %lld\nnot a line\n%lld %lld\n%lld %lld",
	    row_id(fx, 1), t0 - 5, row_id(fx, 2), t0 - 4, row_id(fx, 3),
	    t0 - 3);
	tl_write(p, text, 0600);
	tl_log_begin(fx);
	assert_int_equal(outbox_recover(fx->cfg, fx->st, &err), 0);
	log = tl_log_end(fx);
	assert_null(err);
	want = xasprintf("%s:2: not a line of the sent log", p);
	assert_non_null(strstr(log, want));
	assert_row(fx, 1, "sent", 1, t0);
	row(fx, 2, &r);
	assert_string_equal(r.state, "sent");
	assert_int_equal(r.sent_at, t0 - 4);
	assert_row(fx, 3, "pending", 0, t0);
	assert_false(sent_log_exists(fx));
	/* Again, with no log: nothing to do. */
	assert_int_equal(outbox_recover(fx->cfg, fx->st, &err), 0);
	flush(fx, t0, &os);
	assert_int_equal(os.sent, 2);
	assert_string_equal(fake_smtp.rcpt[0], "r3@example.org");
	assert_string_equal(fake_smtp.rcpt[1], "r4@example.org");
	free(want);
	free(log);
	free(text);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sent_log_unwritable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_marks_batched, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_envelope_sender, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_temporary_backoff, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_server_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_recipient, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_account_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connections, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connections_down, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connections_fewer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connections_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_read_when_sent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_server_down, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

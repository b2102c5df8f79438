#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "oauth.h"
#include "outbox.h"
#include "smtp.h"
#include "store.h"
#include "util.h"
#include "verp.h"

#define BATCH 200
/* Rows that went marked at once, while the next messages are on their
 * way: a mark costs a commit.  Until then the sent log holds them. */
#define MARK_AT 64

/* What one message's fate means for the rest of the flush. */
enum step {
	STEP_NEXT,              /* on to the next message */
	STEP_SERVER_DOWN,       /* the rest of the batch waits for the server */
	STEP_REFUSED,           /* the server refused us: the flush ends */
	STEP_STOPPED,           /* asked to stop: the flush ends */
	STEP_STORE_FAILED       /* *err set: the flush ends with -1 */
};

/* One flush: up to [smtp] connections SMTP sessions for every batch of
 * it, each with at most one message in flight. */
struct flush {
	const struct config *cfg;
	struct store *st;
	long long now;
	volatile sig_atomic_t *stop;
	struct smtp *smtp[SMTP_SESSIONS_MAX];   /* [0] opened with the first
	                                         * batch, the others once a
	                                         * message went through */
	struct store_outbox *inflight[SMTP_SESSIONS_MAX];
	size_t nsmtp;           /* sessions opened (some closed since: NULL) */
	size_t limit;           /* sessions this flush may have open */
	size_t busy;            /* messages in flight */
	int went;               /* a message went: the login works */
	struct store_outbox *again[SMTP_SESSIONS_MAX];  /* to start first: */
	size_t nagain;          /* their connection was refused */
	char *down;             /* why the server is down (STEP_SERVER_DOWN) */
	struct store_sent sent[MARK_AT];        /* rows that went, in the */
	size_t nsent;           /* sent log, to be marked in one commit */
	int logfd;              /* the sent log, -1 until a message went */
	int nolog;              /* it cannot be written: marks go at once */
	struct outbox_stats *os;
	char **err;
};

/* ---- the sent log ----
 *
 * Both senders, early and the flush, tell what went there first and the
 * state db later, in one commit for many rows. */

static char *
sent_log_path(const struct config *cfg)
{
	return xasprintf("%s.sent", cfg->state);
}

/* rows[0..n) 'sent', their texts dropped, in one commit. */
static int
mark_sent(struct store *st, const struct store_sent *v, size_t n, char **err)
{
	long long *ids;
	size_t i;
	int rc = -1;

	if (n == 0)
		return 0;
	ids = xreallocarray(NULL, n, sizeof *ids);
	if (store_begin(st) == -1) {
		*err = xasprintf("cannot mark %zu messages sent in the state db",
		    n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		ids[i] = v[i].id;
		if (store_outbox_sent(st, v[i].id, v[i].at, err) == -1)
			goto fail;
	}
	if (store_outbox_texts_drop(st, ids, n, err) == -1)
		goto fail;
	if (store_commit(st) == -1) {
		*err = xasprintf("cannot mark %zu messages sent in the state db",
		    n);
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	store_rollback(st);
out:
	free(ids);
	return rc;
}

/* The sent log at path opened to append, made 0600 when missing: the
 * fd, or -1 with errno. */
static int
sent_log_open(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

/* The sent log removed, once what it holds is marked: 0, or -1 with
 * *err. */
static int
unlink_sent_log(const struct config *cfg, char **err)
{
	char *path = sent_log_path(cfg);
	int rc = 0;

	if (unlink(path) == -1 && errno != ENOENT) {
		*err = xasprintf("cannot remove %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

/* The line of row id, sent at `at`, appended to the sent log fd in
 * one write(): a line is whole or missing.  0, or -1 with errno. */
static int
sent_write(int fd, long long id, long long at)
{
	char line[64];
	ssize_t w;
	int n;

	n = snprintf(line, sizeof line, "%lld %lld\n", id, at);
	if ((w = write(fd, line, (size_t)n)) == n)
		return 0;
	if (w >= 0)
		errno = ENOSPC;         /* a short write */
	return -1;
}

/* ---- the flush ---- */

/* then, unless the store write that returned rc failed. */
static enum step
stored(int rc, enum step then)
{
	return rc == -1 ? STEP_STORE_FAILED : then;
}

static long long
backoff(int attempts)
{
	long long d = 60;

	while (attempts-- > 0 && d < 4 * 3600)
		d *= 2;
	return d < 4 * 3600 ? d : 4 * 3600;
}

/* A message that will never go: kept as 'failed' with why, for `status`
 * and the coordinators' notice. */
static enum step
fail(struct flush *f, const struct store_outbox *o, const char *why)
{
	log_warnx("cannot send %s %s to %s: %s", o->kind, o->message_id,
	    o->recipient, why);
	f->os->failed++;
	return stored(store_outbox_set(f->st, o->id, "failed", 1, -1, -1, why,
	    f->err), STEP_NEXT);
}

/* A temporary failure: the row waits for its backoff, or fails once it
 * has waited give_up_hours.  quiet: the line was logged for another row
 * (the server is down for all of them). */
static enum step
defer(struct flush *f, const struct store_outbox *o, const char *why,
    int quiet)
{
	char *gave_up;
	enum step r;

	if (f->now - o->created >= f->cfg->smtp_give_up_hours * 3600LL) {
		gave_up = xasprintf("gave up after %d hours: %s",
		    f->cfg->smtp_give_up_hours, why);
		r = fail(f, o, gave_up);
		free(gave_up);
		return r;
	}
	(quiet ? log_debug : log_info)("deferred %s %s to %s: %s", o->kind,
	    o->message_id, o->recipient, why);
	f->os->deferred++;
	return stored(store_outbox_set(f->st, o->id, "pending", 1,
	    f->now + backoff(o->attempts), -1, why, f->err), STEP_NEXT);
}

/* A session signed in with what account.h gives: NULL when there is
 * nothing to sign in with (*err set, unless account.c logged it). */
static struct smtp *
session(const struct config *cfg, char **err)
{
	char *secret = NULL;
	struct smtp *s;

	if (account_secret(cfg, ACCOUNT_SMTP, &secret, err) != DMN_OK)
		return NULL;
	s = smtp_new(&cfg->smtp, secret, cfg->smtp_timeout);
	oauth_secret_free(secret);
	return s;
}

/* The envelope sender of row o: its VERP address (verp.h) when [organizer]
 * verp is on and one can be made, else the organizer's.  Caller frees. */
static char *
envelope_sender(const struct config *cfg, const struct store_outbox *o)
{
	char *a = NULL;

	if (cfg->org_verp && cfg->trust_key.set)
		a = verp_address(&cfg->trust_key, cfg->org_email, o->id,
		    o->recipient);
	return a != NULL ? a : xstrdup(cfg->org_email);
}

/* The server refused an access token from an earlier cycle: one new
 * token and one more try of the message, never more (account.h). */
static enum dmn
send_again(struct flush *f, size_t slot, const struct store_outbox *o,
    enum dmn r, char **why)
{
	char *serr = NULL, *sender;

	if (r != DMN_BAD_ACCOUNT || !smtp_login_refused(f->smtp[slot]) ||
	    !account_retry(f->cfg, ACCOUNT_SMTP))
		return r;
	smtp_free(f->smtp[slot]);
	if ((f->smtp[slot] = session(f->cfg, &serr)) == NULL) {
		f->smtp[slot] = smtp_new(&f->cfg->smtp, NULL,
		    f->cfg->smtp_timeout);
		free(serr);
		return r;
	}
	free(*why);
	*why = NULL;
	sender = envelope_sender(f->cfg, o);
	r = smtp_send(f->smtp[slot], sender, o->recipient, o->data, o->len,
	    why);
	free(sender);
	return r;
}

/* How signing in went, by what the send on slot came to. */
static void
note_account(struct flush *f, size_t slot, enum dmn r, const char *why)
{
	int ok = r == DMN_OK || r == DMN_BAD_MSG ||
	    (r == DMN_TEMP && !smtp_server_unavailable(f->smtp[slot]));

	account_result(f->cfg, ACCOUNT_SMTP, ok, why,
	    r == DMN_BAD_ACCOUNT && smtp_login_refused(f->smtp[slot]));
}

/* rows[0..n) to state, unblamed, in one commit. */
static enum step
mark(struct flush *f, const struct store_outbox *rows, size_t n,
    const char *state)
{
	size_t i;

	if (n == 0)
		return STEP_NEXT;
	if (store_begin(f->st) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (store_outbox_set(f->st, rows[i].id, state, 0, -1, -1, NULL,
		    f->err) == -1) {
			store_rollback(f->st);
			return STEP_STORE_FAILED;
		}
	if (store_commit(f->st) == 0)
		return STEP_NEXT;
fail:
	*f->err = xasprintf("cannot mark %zu messages %s in the state db", n,
	    state);
	return STEP_STORE_FAILED;
}

/* How many sessions a flush may have open: [smtp] connections, within
 * what smtp.h takes. */
static size_t
connections(const struct config *cfg)
{
	if (cfg->smtp_connections < 1)
		return 1;
	if (cfg->smtp_connections > SMTP_SESSIONS_MAX)
		return SMTP_SESSIONS_MAX;
	return (size_t)cfg->smtp_connections;
}

/* Sessions open, the closed ones apart. */
static size_t
live(const struct flush *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->nsmtp; i++)
		n += f->smtp[i] != NULL;
	return n;
}

/* A connection past the first could not be opened (a 4xx greeting, a
 * refused connect): the server takes fewer than [smtp] connections, as
 * providers cap them.  That session is closed, the flush goes on with
 * the others, and o is started again on one of them, unblamed. */
static enum step
fewer(struct flush *f, size_t slot, struct store_outbox *o, char *why)
{
	smtp_free(f->smtp[slot]);
	f->smtp[slot] = NULL;
	f->limit = live(f) > 0 ? live(f) : 1;
	log_info("smtp: connection %zu of %d refused, going on with %zu: %s",
	    slot + 1, f->cfg->smtp_connections, f->limit, why);
	free(why);
	f->again[f->nagain++] = o;
	return STEP_NEXT;
}

/* The rows that went, f->sent[], marked 'sent' and their texts dropped
 * in one commit; r is the caller's result, kept unless this fails.  The
 * sent log keeps their lines until the flush ends: marking one again
 * after a crash changes nothing. */
static enum step
mark_went(struct flush *f, enum step r)
{
	size_t n = f->nsent;

	if (n == 0 || r == STEP_STORE_FAILED)
		return r;
	if (mark_sent(f->st, f->sent, n, f->err) == -1)
		return STEP_STORE_FAILED;
	f->nsent = 0;
	return r;
}

/* Row o went.  Its line goes to the sent log before its session starts
 * another message, and its mark waits for mark_went(), off the path to
 * the next message: a crash in between leaves the line for
 * outbox_recover(), so no more messages go twice than the ones in
 * flight.  Where the log cannot be written, the row is marked now, in a
 * commit of its own. */
static enum step
went(struct flush *f, const struct store_outbox *o)
{
	char *path;

	if (f->logfd == -1 && !f->nolog) {
		path = sent_log_path(f->cfg);
		if ((f->logfd = sent_log_open(path)) == -1) {
			log_warnx("cannot open %s: %s; each message sent is "
			    "recorded at once", path, strerror(errno));
			f->nolog = 1;
		}
		free(path);
	}
	if (f->logfd != -1 && sent_write(f->logfd, o->id, f->now) == -1) {
		log_warnx("cannot write the sent log: %s; each message sent "
		    "is recorded at once", strerror(errno));
		close(f->logfd);
		f->logfd = -1;
		f->nolog = 1;
	}
	if (f->nsent == MARK_AT && mark_went(f, STEP_NEXT) == STEP_STORE_FAILED)
		return STEP_STORE_FAILED;
	f->sent[f->nsent].id = o->id;
	f->sent[f->nsent++].at = f->now;
	return f->logfd != -1 ? STEP_NEXT : mark_went(f, STEP_NEXT);
}

/* What the send of o on slot came to (d, why: smtp.h's), recorded. */
static enum step
settle(struct flush *f, size_t slot, struct store_outbox *o, enum dmn d,
    char *why)
{
	enum step r = STEP_NEXT;

	d = send_again(f, slot, o, d, &why);
	store_outbox_text_drop(o);
	if (d == DMN_TEMP && slot > 0 && smtp_connect_failed(f->smtp[slot]))
		return fewer(f, slot, o, why);
	note_account(f, slot, d, why);
	switch (d) {
	case DMN_OK:
		log_debug("sent %s %s to %s", o->kind, o->message_id,
		    o->recipient);
		f->os->sent++;
		f->went = 1;
		r = went(f, o);
		break;
	case DMN_TEMP:
		r = defer(f, o, why, f->down != NULL);
		/* Refused, lost, stalled or closing (421): the server is
		 * down for every message, not this one. */
		if (r == STEP_NEXT && smtp_server_unavailable(f->smtp[slot])) {
			if (f->down == NULL) {
				f->down = why;
				why = NULL;
			}
			r = STEP_SERVER_DOWN;
		}
		break;
	case DMN_BAD_MSG:
		r = fail(f, o, why);
		/* An address the server refuses outright is as dead as one
		 * that bounces: the coordinators are told the same way. */
		if (r == STEP_NEXT && smtp_recipient_refused(f->smtp[slot]))
			r = stored(store_bounce_record(f->st, o->recipient, why, 1,
			    f->now, f->err), STEP_NEXT);
		break;
	case DMN_BAD_ACCOUNT:
		/* Nothing will go through this server now: the row waits,
		 * unblamed, for the next cycle. */
		log_warnx("cannot send mail through %s: %s", f->cfg->smtp.url,
		    why);
		f->os->account_error = 1;
		r = stored(store_outbox_set(f->st, o->id, "pending", 0, -1, -1,
		    NULL, f->err), STEP_REFUSED);
		break;
	}
	free(why);
	return r;
}

/* A slot for one more message in flight, a session opened for it if
 * need be; -1 when as many are in flight as may be.  One connection
 * until a message went through, so that a refused login or an expired
 * token is met once, not once per connection. */
static int
free_slot(struct flush *f)
{
	size_t i, seen = 0, max = f->went ? f->limit : 1;
	char *why = NULL;

	for (i = 0; i < f->nsmtp && seen < max; i++) {
		if (f->smtp[i] == NULL)
			continue;
		seen++;
		if (!smtp_busy(f->smtp[i]))
			return (int)i;
	}
	if (seen >= max || f->nsmtp == SMTP_SESSIONS_MAX)
		return -1;
	if ((f->smtp[f->nsmtp] = session(f->cfg, &why)) == NULL) {
		free(why);      /* the sessions open go on alone */
		f->limit = live(f);
		return -1;
	}
	return (int)f->nsmtp++;
}

/* One message of a batch marked 'sending' started on slot, its text read
 * now and dropped once it was tried: one message's text in memory per
 * connection. */
static enum step
start_one(struct flush *f, size_t slot, struct store_outbox *o)
{
	char *why = NULL, *sender;
	enum dmn d;
	int has;

	if ((has = store_outbox_text(f->st, o, f->err)) == -1)
		return STEP_STORE_FAILED;
	/* Only a row that has a text is due: gone since, it cannot go. */
	if (has == 0)
		return fail(f, o, "its text is no longer in the state db");
	sender = envelope_sender(f->cfg, o);
	d = smtp_start(f->smtp[slot], sender, o->recipient, o->data, o->len,
	    &why);
	free(sender);
	if (d != DMN_OK)
		return settle(f, slot, o, d, why);
	f->inflight[slot] = o;
	f->busy++;
	return STEP_NEXT;
}

/* Wait for one message in flight to end, and record it. */
static enum step
wait_one(struct flush *f)
{
	char *why = NULL;
	size_t slot;
	enum dmn d;

	d = smtp_wait(f->smtp, f->nsmtp, &slot, &why);
	f->busy--;
	return settle(f, slot, f->inflight[slot], d, why);
}

/* The server went down: the rest of the batch waits with the message
 * that found it so, costing one log line and one timeout per cycle
 * rather than one per message. */
static enum step
defer_rest(struct flush *f, const struct store_outbox *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (defer(f, &rows[i], f->down, 1) == STEP_STORE_FAILED)
			return STEP_STORE_FAILED;
	return STEP_SERVER_DOWN;
}

/* rows[0..n), not tried when the batch ended with r: deferred with the
 * message that found the server down, else pending again. */
static enum step
not_tried(struct flush *f, struct store_outbox *rows, size_t n, enum step r)
{
	if (r == STEP_SERVER_DOWN)
		return defer_rest(f, rows, n);
	return mark(f, rows, n, "pending") == STEP_NEXT ? r :
	    STEP_STORE_FAILED;
}

/* One batch.  It is marked 'sending' in one commit first: 'sending' only
 * says a row may have gone, and after a crash every such row is sent
 * again unless the sent log has it.  Each message that went is a line
 * of that log after the server's 250 to it (went()), so never more than
 * the messages in flight (one per connection) go twice; the marks come
 * later, many in a commit.  Once a message ends the batch (server down,
 * account refused, stop, store), no more start; those in flight are
 * waited for and recorded each by its own result; what was not tried is
 * 'pending' again. */
static enum step
send_batch(struct flush *f, struct store_outbox *rows, size_t n)
{
	char *why = NULL;
	enum step r = STEP_NEXT, e;
	size_t next = 0;
	int slot;

	if (f->nsmtp == 0) {
		if ((f->smtp[0] = session(f->cfg, &why)) == NULL) {
			if (why != NULL)
				log_warnx("cannot send mail: %s", why);
			free(why);
			f->os->account_error = 1;
			return STEP_REFUSED;
		}
		f->nsmtp = 1;
		f->limit = connections(f->cfg);
	}
	if ((r = mark(f, rows, n, "sending")) != STEP_NEXT)
		return r;
	for (;;) {
		while (r == STEP_NEXT && (f->nagain > 0 || next < n) &&
		    (slot = free_slot(f)) != -1) {
			if (f->stop != NULL && *f->stop) {
				r = STEP_STOPPED;
				break;
			}
			loop_alive();
			r = start_one(f, (size_t)slot, f->nagain > 0 ?
			    f->again[--f->nagain] : &rows[next++]);
		}
		if (f->busy == 0)
			break;
		/* While messages are on their way, the marks of those that
		 * went: out of the way of the next start. */
		if (f->nsent >= MARK_AT - SMTP_SESSIONS_MAX)
			r = mark_went(f, r);
		e = wait_one(f);
		if (r == STEP_NEXT || e == STEP_STORE_FAILED)
			r = e;
	}
	/* rows[next] is the first message not tried; again[] were not
	 * tried again. */
	if (r == STEP_SERVER_DOWN || r == STEP_REFUSED || r == STEP_STOPPED) {
		while (f->nagain > 0 && r != STEP_STORE_FAILED)
			r = not_tried(f, f->again[--f->nagain], 1, r);
		if (r != STEP_STORE_FAILED)
			r = not_tried(f, rows + next, n - next, r);
	}
	f->nagain = 0;
	return mark_went(f, r);
}

/* ---- early sending ---- */

/* Rows an early sender reads at once. */
#define EARLY_BATCH 64
/* How often the main thread looks whether messages went, waiting for
 * the early sender to end. */
#define WAIT_NS         (250 * 1000000L)

/* The most of a sent log read back: some million lines. */
#define SENT_LOG_MAX    (64u << 20)

struct outbox_early {
	const struct config *cfg;
	long long now;
	volatile sig_atomic_t *stop;
	struct store *rd;               /* the thread's own, read-only */
	struct smtp *smtp[SMTP_SESSIONS_MAX];
	struct store_outbox inflight[SMTP_SESSIONS_MAX];
	size_t nsmtp;
	size_t busy;
	struct store_outbox failed[SMTP_SESSIONS_MAX];  /* per session, the
	                                 * send that did not go (id 0: none),
	                                 * for the flush to settle */
	enum dmn result[SMTP_SESSIONS_MAX];
	char *why[SMTP_SESSIONS_MAX];
	int went;                       /* a message went: all sessions */
	int halted;                     /* the rest is the flush's */
	int fd;                         /* the sent log, -1 once unwritable */
	char *log;                      /* its path */
	struct store_sent *sent;        /* the rows that went, to mark */
	size_t nsent;
	size_t cap;
	pthread_t thread;
	pthread_mutex_t lock;           /* what follows */
	pthread_cond_t more;            /* gen or planned changed */
	pthread_cond_t over;            /* done */
	unsigned gen;                   /* commits told */
	unsigned progress;              /* messages that ended */
	int planned;                    /* the steps are over */
	int done;                       /* the thread is about to end */
};

/* One line of the sent log: "ID WHEN", both decimal, ID > 0. */
static int
sent_parse(const char *line, struct store_sent *out)
{
	char *end;

	if (line[0] < '1' || line[0] > '9')
		return -1;
	errno = 0;
	out->id = strtoll(line, &end, 10);
	if (errno != 0 || *end != ' ' || end[1] < '0' || end[1] > '9')
		return -1;
	out->at = strtoll(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

int
outbox_sent_log(const struct config *cfg, struct store_sent **out, size_t *n,
    char **err)
{
	struct store_sent *v = NULL;
	struct buf b;
	size_t nv = 0, cap = 0, lineno = 0, bad = 0;
	char *path, *p, *nl;
	int fd, rc = -1;

	*out = NULL;
	*n = 0;
	path = sent_log_path(cfg);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			free(path);
			return 0;
		}
		*err = xasprintf("cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	/* A line per message sent, a few dozen bytes each. */
	buf_init(&b, SENT_LOG_MAX);
	if (buf_read(&b, fd) == -1 || buf_addc(&b, '\0') == -1) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	/* A line is written whole by one write(); a last line without its
	 * newline is one the system lost the end of: that message may go
	 * again, as one in flight does. */
	for (p = b.data; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		lineno++;
		if (nv == cap) {
			cap = cap ? 2 * cap : 256;
			v = xreallocarray(v, cap, sizeof *v);
		}
		if (sent_parse(p, &v[nv]) == 0)
			nv++;
		else if (bad++ == 0)
			log_warnx("%s:%zu: not a line of the sent log, passed "
			    "over", path, lineno);
	}
	if (bad > 1)
		log_warnx("%s: %zu more lines passed over", path, bad - 1);
	*out = v;
	*n = nv;
	v = NULL;
	rc = 0;
out:
	close(fd);
	buf_release(&b);
	free(v);
	free(path);
	return rc;
}

int
outbox_recover(const struct config *cfg, struct store *st, char **err)
{
	struct store_sent *v;
	size_t n;
	char *path;
	int rc = -1;

	if (outbox_sent_log(cfg, &v, &n, err) == -1)
		return -1;
	path = sent_log_path(cfg);
	if (mark_sent(st, v, n, err) == -1)
		goto out;
	if (n > 0)
		log_info("%zu messages sent before convened stopped marked "
		    "sent from %s", n, path);
	if (unlink_sent_log(cfg, err) == -1)
		goto out;
	rc = 0;
out:
	free(v);
	free(path);
	return rc;
}

/* Row o went: kept to be marked, and in the log before the session
 * starts another, so that a crash sends it again no more than the
 * flush's own 'sent' commit would allow. */
static void
early_went(struct outbox_early *e, const struct store_outbox *o)
{
	if (e->nsent == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 256;
		e->sent = xreallocarray(e->sent, e->cap, sizeof *e->sent);
	}
	e->sent[e->nsent].id = o->id;
	e->sent[e->nsent++].at = e->now;
	e->went = 1;
	if (e->fd != -1 && sent_write(e->fd, o->id, e->now) == -1) {
		/* Marked at the end all the same; nothing more goes
		 * before then. */
		log_warnx("cannot write %s: %s; sending waits for the plan",
		    e->log, strerror(errno));
		close(e->fd);
		e->fd = -1;
		e->halted = 1;
	}
	log_debug("sent %s %s to %s", o->kind, o->message_id, o->recipient);
}

/* Row o (taken) did not go on session slot: kept with why (taken) for
 * the flush, which records it as its own (settle()) with the session as
 * the send left it; nothing more starts, so that no later send on that
 * session hides what this one found. */
static void
early_failed(struct outbox_early *e, size_t slot, struct store_outbox *o,
    enum dmn d, char *why)
{
	e->failed[slot] = *o;
	memset(o, 0, sizeof *o);
	e->result[slot] = d;
	e->why[slot] = why;
	e->halted = 1;
}

/* Wait for one message in flight. */
static void
early_wait(struct outbox_early *e)
{
	struct store_outbox *o;
	char *why = NULL;
	size_t slot;
	enum dmn d;

	d = smtp_wait(e->smtp, e->nsmtp, &slot, &why);
	e->busy--;
	pthread_mutex_lock(&e->lock);
	e->progress++;
	pthread_mutex_unlock(&e->lock);
	o = &e->inflight[slot];
	if (d == DMN_OK) {
		early_went(e, o);
		store_outbox_clear(o);
	} else
		early_failed(e, slot, o, d, why);
}

/* Start row o (taken: cleared here) on an idle session, if one may be
 * used: 0, or -1 when all that may are busy (o left alone). */
static int
early_start(struct outbox_early *e, struct store_outbox *o)
{
	struct store_outbox *in;
	size_t i, max = e->went ? e->nsmtp : 1;
	char *why = NULL, *sender, *err = NULL;
	enum dmn d;
	int has;

	for (i = 0; i < max && smtp_busy(e->smtp[i]); i++)
		;
	if (i == max)
		return -1;
	in = &e->inflight[i];
	*in = *o;
	memset(o, 0, sizeof *o);
	if ((has = store_outbox_text(e->rd, in, &err)) != 1) {
		if (has == -1) {
			log_debug("sending waits for the plan: %s", err);
			e->halted = 1;
		}
		free(err);
		store_outbox_clear(in);
		return 0;
	}
	sender = envelope_sender(e->cfg, in);
	d = smtp_start(e->smtp[i], sender, in->recipient, in->data, in->len,
	    &why);
	free(sender);
	if (d == DMN_OK)
		e->busy++;
	else
		early_failed(e, i, in, d, why);
	return 0;
}

/* The sender's thread: the rows committed so far, in the order queued,
 * then waits for more until the steps are over. */
static void *
early_main(void *arg)
{
	struct outbox_early *e = arg;
	struct store_outbox *rows = NULL;
	size_t nrows = 0, next = 0;
	long long after = 0;
	unsigned seen;
	char *err = NULL;
	int planned;

	while (!e->halted && !(e->stop != NULL && *e->stop)) {
		if (next < nrows) {
			if (early_start(e, &rows[next]) == 0)
				next++;
			else
				early_wait(e);
			continue;
		}
		store_outbox_free(rows, nrows);
		rows = NULL;
		nrows = next = 0;
		pthread_mutex_lock(&e->lock);
		seen = e->gen;
		planned = e->planned;
		pthread_mutex_unlock(&e->lock);
		if (store_outbox_after(e->rd, e->now, after, EARLY_BATCH, &rows,
		    &nrows, &err) == -1) {
			log_debug("sending waits for the plan: %s", err);
			free(err);
			break;
		}
		if (nrows > 0)
			after = rows[nrows - 1].id;
		else if (e->busy > 0)
			early_wait(e);
		else if (planned)
			break;
		else {
			pthread_mutex_lock(&e->lock);
			while (e->gen == seen && !e->planned)
				pthread_cond_wait(&e->more, &e->lock);
			pthread_mutex_unlock(&e->lock);
		}
	}
	while (e->busy > 0)
		early_wait(e);
	store_outbox_free(rows, nrows);
	pthread_mutex_lock(&e->lock);
	e->done = 1;
	pthread_cond_signal(&e->over);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

struct outbox_early *
outbox_early_start(const struct config *cfg, long long now,
    volatile sig_atomic_t *stop)
{
	struct outbox_early *e;
	char *secret = NULL, *err = NULL;
	size_t i, n;

	/* What cannot sign in is the flush's to tell. */
	if (account_secret(cfg, ACCOUNT_SMTP, &secret, &err) != DMN_OK) {
		free(err);
		return NULL;
	}
	e = xcalloc(1, sizeof *e);
	e->cfg = cfg;
	e->now = now;
	e->stop = stop;
	e->log = sent_log_path(cfg);
	if ((e->rd = store_open_reader(cfg->state, &err)) == NULL ||
	    (e->fd = sent_log_open(e->log)) == -1) {
		if (err == NULL)
			err = xasprintf("cannot open %s: %s", e->log,
			    strerror(errno));
		log_debug("no sending while planning: %s", err);
		free(err);
		oauth_secret_free(secret);
		store_close(e->rd);
		free(e->log);
		free(e);
		return NULL;
	}
	/* Made here: libcurl's handles come from the main thread. */
	n = connections(cfg);
	for (i = 0; i < n; i++)
		e->smtp[i] = smtp_new(&cfg->smtp, secret, cfg->smtp_timeout);
	e->nsmtp = n;
	oauth_secret_free(secret);
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->more, NULL);
	pthread_cond_init(&e->over, NULL);
	xthread(&e->thread, early_main, e);
	return e;
}

void
outbox_early_more(struct outbox_early *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->lock);
	e->gen++;
	pthread_cond_signal(&e->more);
	pthread_mutex_unlock(&e->lock);
}

/* The server was found down: the next batch waits with the message
 * that found it so, as the rest of a batch of the flush does. */
static enum step
defer_due(struct flush *f)
{
	struct store_outbox *rows;
	enum step r;
	size_t n;

	if (store_outbox_due(f->st, f->now, BATCH, &rows, &n, f->err) == -1)
		return STEP_STORE_FAILED;
	r = defer_rest(f, rows, n);
	store_outbox_free(rows, n);
	return r;
}

/* Wait for the thread, mark what went, free the thread's part: what
 * stays is the sessions and the failures. */
static int
early_join(struct outbox_early *e, struct store *st, char **err)
{
	struct timespec t;
	unsigned seen = 0;
	int done, moved, rc = 0;

	pthread_mutex_lock(&e->lock);
	e->planned = 1;
	pthread_cond_signal(&e->more);
	/* While the rest goes, the watchdog hears that messages do, as
	 * from the flush: this thread is the one that tells it. */
	for (;;) {
		done = e->done;
		moved = e->progress != seen;
		seen = e->progress;
		pthread_mutex_unlock(&e->lock);
		if (moved)
			loop_alive();
		if (done)
			break;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += WAIT_NS;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&e->lock);
		if (!e->done)
			pthread_cond_timedwait(&e->over, &e->lock, &t);
	}
	pthread_join(e->thread, NULL);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->more);
	pthread_cond_destroy(&e->over);
	store_close(e->rd);
	if (e->fd != -1)
		close(e->fd);
	log_debug("%zu messages sent while the steps ran%s", e->nsent,
	    e->halted ? ", then the flush went on" : "");
	if (e->went)
		account_result(e->cfg, ACCOUNT_SMTP, 1, NULL, 0);
	/* The log stays when the marks could not be made: the next cycle
	 * makes them before sending anything. */
	if (mark_sent(st, e->sent, e->nsent, err) == -1)
		rc = -1;
	else if (unlink_sent_log(e->cfg, err) == -1)
		rc = -1;
	free(e->sent);
	free(e->log);
	return rc;
}

static void
early_free(struct outbox_early *e)
{
	size_t i;

	for (i = 0; i < SMTP_SESSIONS_MAX; i++) {
		smtp_free(e->smtp[i]);
		store_outbox_clear(&e->failed[i]);
		free(e->why[i]);
	}
	free(e);
}

int
outbox_early_end(struct outbox_early *e, struct store *st, char **err)
{
	int rc;

	if (e == NULL)
		return 0;
	rc = early_join(e, st, err);
	early_free(e);
	return rc;
}

/* The flush takes over from early sending: its sessions, as they are,
 * and what did not go, recorded as the flush records its own. */
static enum step
early_finish(struct flush *f, struct outbox_early *e)
{
	enum step r = STEP_NEXT, x;
	size_t i;

	if (early_join(e, f->st, f->err) == -1) {
		early_free(e);
		return STEP_STORE_FAILED;
	}
	f->os->sent += (int)e->nsent;
	f->went = e->went;
	f->nsmtp = e->nsmtp;
	f->limit = e->nsmtp;
	memcpy(f->smtp, e->smtp, sizeof f->smtp);
	memset(e->smtp, 0, sizeof e->smtp);
	for (i = 0; i < f->nsmtp; i++) {
		if (e->failed[i].id == 0)
			continue;
		x = settle(f, i, &e->failed[i], e->result[i], e->why[i]);
		e->why[i] = NULL;
		if (r == STEP_NEXT || x == STEP_STORE_FAILED)
			r = x;
	}
	/* A message fewer() would start again is 'pending' still: the
	 * batches find it. */
	f->nagain = 0;
	early_free(e);
	if (r == STEP_SERVER_DOWN)
		r = defer_due(f);
	return r;
}

int
outbox_flush(const struct config *cfg, struct store *st, long long now,
    struct outbox_early *early, volatile sig_atomic_t *stop,
    struct outbox_stats *os, char **err)
{
	struct flush f = { .cfg = cfg, .st = st, .now = now, .stop = stop,
	    .os = os, .err = err, .logfd = -1 };
	struct store_outbox *rows;
	enum step r = STEP_NEXT;
	size_t n, i;

	memset(os, 0, sizeof *os);
	if (early != NULL)
		r = early_finish(&f, early);
	while (r == STEP_NEXT) {
		if (store_outbox_due(st, now, BATCH, &rows, &n, err) == -1) {
			r = STEP_STORE_FAILED;
			break;
		}
		if (n == 0)
			break;
		r = send_batch(&f, rows, n);
		store_outbox_free(rows, n);
	}
	for (i = 0; i < f.nsmtp; i++)
		smtp_free(f.smtp[i]);
	free(f.down);
	r = mark_went(&f, r);
	if (f.logfd != -1) {
		close(f.logfd);
		/* Left behind when the marks could not be made: the next
		 * cycle makes them before it sends anything. */
		if (r != STEP_STORE_FAILED && unlink_sent_log(cfg, err) == -1)
			r = STEP_STORE_FAILED;
	}
	return r == STEP_STORE_FAILED ? -1 : 0;
}

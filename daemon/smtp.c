/* smtp.c: message submission through libcurl's SMTP client.
 *
 * libcurl runs the dialogue; this file adds what the daemon needs on top:
 * which stage failed and what the server said there, mapped to a blast
 * radius (dmn.h).  libcurl tells us only a CURLcode (RCPT 550 and a reset
 * socket are both CURLE_SEND_ERROR), so the debug callback follows the
 * dialogue: each command we send (HEADER_OUT) moves the stage, each reply
 * line (HEADER_IN) is kept.  Commands are recorded by verb only, so SASL
 * continuation lines (which carry the credentials) never reach our buffers
 * or the log; message bytes travel as DATA_OUT, which we ignore.
 *
 * Timeouts.  We bound stalls rather than the whole transfer:
 *   CURLOPT_CONNECTTIMEOUT         TCP + TLS + greeting + EHLO + AUTH
 *   CURLOPT_SERVER_RESPONSE_TIMEOUT each reply, counted from its command
 *                                  (libcurl's pingpong layer does not
 *                                  restart it per byte, so a trickled
 *                                  reply cannot stretch it)
 *   CURLOPT_LOW_SPEED_LIMIT/TIME   1 byte/s over `timeout`: the upload
 *                                  stopped moving
 * A total CURLOPT_TIMEOUT sized by the message would have to guess the
 * slowest acceptable link: too tight and a large minutes attachment on a
 * poor line never goes, too loose and a dead server holds the cycle for
 * minutes.  Stall limits fail fast on a dead peer and never on a slow
 * but working one.  The only thing they miss is a peer that keeps the
 * upload alive at a few bytes per second, so a loose total cap remains:
 * 10 x timeout for the dialogue plus one second per KiB of message.
 *
 * Two libcurl 7.88 habits we correct (both seen in tests/integration/test_smtp.c):
 * - after a failure it sends QUIT and waits the full response timeout for
 *   the answer, so a stalled server cost 2 x timeout: we give QUIT one
 *   second (quit_grace) and then cut the socket;
 * - after a timeout or a 4xx/5xx at the end of data it keeps the
 *   connection for reuse, where a late reply would answer the next
 *   message's MAIL FROM: after any failure we cut it (cut_connection), so
 *   the next send starts on a fresh connection.
 *
 * Several at once.  libcurl's multi interface would not do: its SMTP
 * waits for the reply to the end of data blocking (smtp_done() runs the
 * state machine to the end), so the sessions would take turns at the
 * one wait that matters.  Each session has a thread instead, which only
 * runs curl_easy_perform() on the session's own handle; everything else
 * (the store, the log of what went) stays in the thread that drives the
 * sessions (the main thread's flush, or outbox.h's early sender), which
 * hands a transfer over and takes its result under one lock.  The
 * threads block the signals, so SIGTERM and SIGHUP reach the main
 * thread as before. */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "net.h"
#include "smtp.h"
#include "util.h"

#define SMTP_REPLY_MAX 512      /* server text we keep; the rest is cut */

/* Every session's thread and the main thread meet here: one lock, one
 * condition for "a transfer was queued, ended, or a thread is to quit". */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
#define QUIT_GRACE_MS  1000     /* for QUIT after a failed send */

enum stage {
	ST_CONNECT,             /* TCP, TLS, waiting for the greeting */
	ST_EHLO,
	ST_STARTTLS,
	ST_AUTH,
	ST_MAIL,
	ST_RCPT,
	ST_DATA,                /* DATA sent, waiting for 354 */
	ST_BODY,                /* uploading the message */
	ST_EOD,                 /* message handed over, waiting for 250 */
	ST_QUIT
};

struct smtp {
	CURL       *curl;
	/* Its own thread runs each transfer (see "Several at once" above);
	 * these fields are the two threads' meeting point, under `lock`. */
	pthread_t   thread;
	int         queued;     /* a transfer for the thread to run */
	int         done;       /* ... run: its result in rc */
	int         quit;       /* the thread is to end */
	CURLcode    rc;
	int         busy;       /* a send started and not yet waited for */
	char       *rcpt;       /* ... to this recipient, for *err */
	struct curl_slist *rcpts;
	char       *url;
	long        timeout;
	char        errbuf[CURL_ERROR_SIZE];

	/* one send */
	enum stage  stage;
	int         frozen;     /* QUIT seen: keep the failure as it was */
	struct net_socks socks; /* the sockets of this handle */
	int         code;       /* last complete reply, 0: none yet */
	int         in_reply;   /* inside a multi-line reply */
	struct buf  reply;      /* its text, sanitised and capped */
	const char *data;
	size_t      len;
	size_t      pos;
};

static const char *
stage_name(enum stage st)
{
	switch (st) {
	case ST_CONNECT:  return "connect";
	case ST_EHLO:     return "EHLO";
	case ST_STARTTLS: return "STARTTLS";
	case ST_AUTH:     return "AUTH";
	case ST_MAIL:     return "MAIL FROM";
	case ST_RCPT:     return "RCPT TO";
	case ST_DATA:     return "DATA";
	case ST_BODY:     return "message upload";
	case ST_EOD:      return "end of data";
	case ST_QUIT:     return "QUIT";
	}
	return "?";
}

/* strcspn() over p[0..n), which need not be NUL-terminated. */
static size_t
strcspn_n(const char *p, size_t n, const char *reject)
{
	size_t i;

	for (i = 0; i < n && strchr(reject, p[i]) == NULL; i++)
		;
	return i;
}

/* A command line we sent: move the stage by its verb.  Anything that is
 * not a known verb is a SASL continuation (credentials): never logged,
 * never kept, and the stage stays ST_AUTH. */
static void
note_command(struct smtp *s, const char *p, size_t n)
{
	static const struct { const char *verb; enum stage st; } verbs[] = {
		{ "EHLO", ST_EHLO }, { "HELO", ST_EHLO },
		{ "STARTTLS", ST_STARTTLS }, { "AUTH", ST_AUTH },
		{ "MAIL", ST_MAIL }, { "RCPT", ST_RCPT }, { "DATA", ST_DATA },
		{ "QUIT", ST_QUIT },
	};
	size_t i, vl;

	for (vl = 0; vl < n && isalpha((unsigned char)p[vl]); vl++)
		;
	/* a verb is a whole word: "MAIL+x/..." is base64, not MAIL */
	if (vl < n && p[vl] != ' ' && p[vl] != '\r' && p[vl] != '\n')
		vl = 0;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].verb) == vl &&
		    strncasecmp(p, verbs[i].verb, vl) == 0)
			break;
	}
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		log_debug("smtp > (AUTH continuation)");
		return;
	}
	if (verbs[i].st == ST_AUTH) {
		/* the mechanism only: an initial response may follow it */
		size_t m = vl < n ? vl + 1 : n;

		log_debug("smtp > AUTH %.*s", (int)strcspn_n(p + m, n - m, " \r\n"),
		    p + m);
	} else {
		log_debug("smtp > %.*s", (int)strcspn_n(p, n, "\r\n"), p);
	}
	if (s->frozen)
		return;
	if (verbs[i].st == ST_QUIT) {
		/* Inside smtp_send() libcurl says QUIT only after a failure:
		 * keep the stage and reply that failed. */
		s->frozen = 1;
		/* A stalled server would cost a second timeout. */
		net_socks_grace(&s->socks, QUIT_GRACE_MS);
		return;
	}
	s->stage = verbs[i].st;
}

/* One reply line "NNN-text" or "NNN text".  Continuations are joined with
 * a space; control bytes become '?' so the text is safe in a log line. */
static void
note_reply(struct smtp *s, const char *p, size_t n)
{
	size_t i;
	int final;

	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	log_debug("smtp < %.*s", (int)(n < 200 ? n : 200), p);
	if (s->frozen)
		return;
	if (n < 3 || !isdigit((unsigned char)p[0]) ||
	    !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
		return;
	final = n == 3 || p[3] != '-';
	if (!s->in_reply)
		buf_reset(&s->reply);
	else if (s->reply.len > 0)
		buf_addc(&s->reply, ' ');
	/* What passes the buffer's maximum is cut. */
	for (i = n > 4 ? 4 : n; i < n; i++)
		if (buf_addc(&s->reply, (p[i] < 0x20 || p[i] == 0x7f) ? '?' :
		    p[i]) == -1)
			break;
	s->in_reply = !final;
	if (final) {
		s->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		if (s->stage == ST_DATA && s->code == 354)
			s->stage = ST_BODY;
	}
}

static int
debug_cb(CURL *c, curl_infotype type, char *p, size_t n, void *arg)
{
	struct smtp *s = arg;

	(void)c;
	if (type == CURLINFO_HEADER_OUT)
		note_command(s, p, n);
	else if (type == CURLINFO_HEADER_IN)
		note_reply(s, p, n);
	return 0;
}

static size_t
read_cb(char *out, size_t size, size_t nitems, void *arg)
{
	struct smtp *s = arg;
	size_t n = size * nitems;

	if (n > s->len - s->pos)
		n = s->len - s->pos;
	memcpy(out, s->data + s->pos, n);
	s->pos += n;
	if (s->pos == s->len && !s->frozen && s->stage == ST_BODY)
		s->stage = ST_EOD;
	return n;
}

/* The session's thread: each transfer queued, run, its result handed
 * back, until told to quit. */
static void *
worker(void *arg)
{
	struct smtp *s = arg;
	CURLcode rc;

	pthread_mutex_lock(&lock);
	for (;;) {
		while (!s->queued && !s->quit)
			pthread_cond_wait(&changed, &lock);
		if (s->quit)
			break;
		s->queued = 0;
		pthread_mutex_unlock(&lock);
		rc = curl_easy_perform(s->curl);
		pthread_mutex_lock(&lock);
		s->rc = rc;
		s->done = 1;
		pthread_cond_broadcast(&changed);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

struct smtp *
smtp_new(const struct endpoint *ep, const char *password, long timeout)
{
	struct smtp *s = xcalloc(1, sizeof(*s));
	CURL *c;

	if (timeout < 1)
		timeout = 1;
	s->timeout = timeout;
	s->url = xstrdup(ep->url);
	buf_init(&s->reply, SMTP_REPLY_MAX);

	if ((c = curl_easy_init()) == NULL)
		fatalx("cannot initialise libcurl");
	s->curl = c;
	net_client_setup(c, &(struct net_client){ .name = "smtp",
	    .protocols = "smtp,smtps", .url = s->url, .ep = ep,
	    .password = ep->username != NULL ? password : NULL,
	    .timeout = timeout, .errbuf = s->errbuf,
	    .socks = &s->socks });
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, s);
	xthread(&s->thread, worker, s);
	return s;
}

/* An address that can go between angle brackets in MAIL FROM / RCPT TO. */
static int
address_ok(const char *a)
{
	const unsigned char *p = (const unsigned char *)a;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return 0;
	}
	return 1;
}

static enum dmn
classify(CURLcode rc, enum stage st, int code)
{
	if (code >= 400 && code <= 499)
		return DMN_TEMP;
	if (code >= 500 && code <= 599) {
		/* 530: authentication required, whatever the command */
		if (code == 530)
			return DMN_BAD_ACCOUNT;
		switch (st) {
		case ST_MAIL:
		case ST_RCPT:
		case ST_DATA:
		case ST_BODY:
		case ST_EOD:
			return DMN_BAD_MSG;
		default:        /* greeting, EHLO, STARTTLS, AUTH */
			return DMN_BAD_ACCOUNT;
		}
	}
	return net_curl_dmn((int)rc);
}

/* Both addresses go between angle brackets: refuse one that cannot. */
static enum dmn
check_envelope(const char *from, const char *rcpt, char **err)
{
	if (!address_ok(from)) {
		*err = xasprintf("cannot send to %s: sender address unusable "
		    "in MAIL FROM", rcpt);
		return DMN_BAD_MSG;
	}
	if (!address_ok(rcpt)) {
		*err = xstrdup("cannot send: recipient address unusable in "
		    "RCPT TO");
		return DMN_BAD_MSG;
	}
	return DMN_OK;
}

/* A clean record of the dialogue, and the message read_cb hands over. */
static void
start_send(struct smtp *s, const char *data, size_t len)
{
	s->stage = ST_CONNECT;
	s->frozen = 0;
	s->code = 0;
	s->in_reply = 0;
	buf_reset(&s->reply);
	s->errbuf[0] = '\0';
	s->data = data;
	s->len = len;
	s->pos = 0;
}

/* MAIL FROM, RCPT TO, the size and the total time cap of one message.
 * Returns the recipient list, which the caller frees after the transfer
 * (libcurl borrows it). */
static struct curl_slist *
set_envelope(struct smtp *s, const char *from, const char *rcpt, size_t len)
{
	struct curl_slist *rcpts;
	char *arg;
	long total;

	arg = xasprintf("<%s>", from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, arg);  /* copied */
	free(arg);
	arg = xasprintf("<%s>", rcpt);
	if ((rcpts = curl_slist_append(NULL, arg)) == NULL)
		fatalx("out of memory");
	free(arg);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	/* The backstop against a trickling peer; see the top of the file. */
	total = len / 1024 + 1;
	if (total > LONG_MAX / 2 - 10 * s->timeout)
		total = LONG_MAX / 2 - 10 * s->timeout;
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, 10 * s->timeout + total);
	return rcpts;
}

/* After a failed transfer: the connection cut, how far the failure
 * reaches, and *err with the stage and what the server said there. */
static enum dmn
send_failed(struct smtp *s, CURLcode rc, const char *rcpt, char **err)
{
	enum dmn r;

	/* libcurl keeps the connection after some failures (a timeout or a
	 * 4xx at the end of data): replies may still be on their way and
	 * would answer the next message's commands.  Never reuse it. */
	net_socks_cut(&s->socks);

	if (s->code == 0) {
		long code = 0;

		if (curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE,
		    &code) == CURLE_OK && code >= 100 && code <= 599)
			s->code = (int)code;
	}
	r = classify(rc, s->stage, s->code);
	log_debug("smtp: curl error %d at %s, last reply %d", (int)rc,
	    stage_name(s->stage), s->code);
	if (s->code >= 400) {
		*err = xasprintf("cannot send to %s: %s refused: %d%s%s", rcpt,
		    s->stage == ST_CONNECT ? "greeting" : stage_name(s->stage),
		    s->code, s->reply.len > 0 ? " " : "", buf_str(&s->reply));
	} else {
		*err = xasprintf("cannot send to %s: %s: %s%s%s%s", rcpt,
		    stage_name(s->stage), curl_easy_strerror(rc),
		    s->errbuf[0] != '\0' ? " (" : "", s->errbuf,
		    s->errbuf[0] != '\0' ? ")" : "");
	}
	return r;
}

enum dmn
smtp_start(struct smtp *s, const char *from, const char *rcpt,
    const char *data, size_t len, char **err)
{
	enum dmn r;

	if (s->busy)
		fatalx("smtp: a send started on a busy session");
	if ((r = check_envelope(from, rcpt, err)) != DMN_OK)
		return r;
	start_send(s, data, len);
	s->rcpts = set_envelope(s, from, rcpt, len);
	s->rcpt = xstrdup(rcpt);
	s->busy = 1;
	pthread_mutex_lock(&lock);
	s->queued = 1;
	s->done = 0;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return DMN_OK;
}

int
smtp_busy(const struct smtp *s)
{
	return s != NULL && s->busy;
}

/* The send in flight on s ended with rc: the session free again. */
static enum dmn
finish(struct smtp *s, CURLcode rc, char **err)
{
	enum dmn r = DMN_OK;

	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_slist_free_all(s->rcpts);
	s->rcpts = NULL;
	s->data = NULL;
	s->busy = 0;
	if (rc != CURLE_OK)
		r = send_failed(s, rc, s->rcpt, err);
	free(s->rcpt);
	s->rcpt = NULL;
	return r;
}

enum dmn
smtp_wait(struct smtp *const *ss, size_t n, size_t *which, char **err)
{
	size_t i, any;
	CURLcode rc;

	pthread_mutex_lock(&lock);
	for (;;) {
		for (i = 0, any = 0; i < n; i++) {
			if (!smtp_busy(ss[i]))
				continue;
			any = 1;
			if (ss[i]->done)
				break;
		}
		if (i < n)
			break;
		if (!any)
			fatalx("smtp: waiting with no send in flight");
		pthread_cond_wait(&changed, &lock);
	}
	ss[i]->done = 0;
	rc = ss[i]->rc;
	pthread_mutex_unlock(&lock);
	*which = i;
	return finish(ss[i], rc, err);
}

enum dmn
smtp_send(struct smtp *s, const char *from, const char *rcpt,
    const char *data, size_t len, char **err)
{
	size_t which;
	enum dmn r;

	if ((r = smtp_start(s, from, rcpt, data, len, err)) != DMN_OK)
		return r;
	return smtp_wait(&s, 1, &which, err);
}

void
smtp_free(struct smtp *s)
{
	size_t which;
	char *err = NULL;

	if (s == NULL)
		return;
	if (s->busy) {          /* its end waited for, and forgotten */
		(void)smtp_wait(&s, 1, &which, &err);
		free(err);
	}
	pthread_mutex_lock(&lock);
	s->quit = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	pthread_join(s->thread, NULL);
	/* Sends QUIT on a live connection, bounded by the response timeout
	 * (libcurl's closure handle copies it from our handle). */
	curl_easy_cleanup(s->curl);
	free(s->url);
	buf_release(&s->reply);
	free(s);
}

int
smtp_login_refused(const struct smtp *s)
{
	return s->stage == ST_AUTH && s->code >= 500 && s->code < 600;
}

int
smtp_recipient_refused(const struct smtp *s)
{
	return s->stage == ST_RCPT && s->code >= 500 && s->code < 600;
}

int
smtp_server_unavailable(const struct smtp *s)
{
	/* Nothing got as far as MAIL FROM, the server is closing (421), or
	 * no reply explains the failure: refused, reset, closed, timed out. */
	return s->stage < ST_MAIL || s->code == 421 || s->code < 400;
}

int
smtp_connect_failed(const struct smtp *s)
{
	return s->stage < ST_MAIL;
}

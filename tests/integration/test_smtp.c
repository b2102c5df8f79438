/* Tests for smtp.c against a real SMTP server: tests/integration/smtpd.py
 * (aiosmtpd under Debian's /usr/bin/python3) on a random loopback port,
 * with faults injected through its JSON faults file.  Skipped when that
 * interpreter or aiosmtpd is missing.  Run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dmn.h"
#include "log.h"
#include "smtp.h"
#include "testlib.h"
#include "util.h"

#define PYTHON  "/usr/bin/python3"
#define SCRIPT  "tests/integration/smtpd.py"
#define FROM    "agenda@example.org"

struct srv {
	pid_t pid;
	int   port;
	char  url[64];
	char  dir[128];        /* maildir; log.jsonl inside */
	char  faults[128];
};

struct fx {
	char        tmp[64];
	int         skip;
	struct srv  plain;      /* no AUTH required */
	struct srv  auth;       /* AUTH required: user agenda, password s3cret */
};

static struct fx *fx;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
run_quiet(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid == -1)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
srv_start(struct srv *s, const char *name, const char *auth,
    char *const extra[])
{
	char portfile[128];
	char *argv[20];
	long long deadline;
	int i = 0;

	snprintf(s->dir, sizeof(s->dir), "%s/%s", fx->tmp, name);
	snprintf(s->faults, sizeof(s->faults), "%s/%s.faults", fx->tmp, name);
	snprintf(portfile, sizeof(portfile), "%s/%s.port", fx->tmp, name);
	argv[i++] = PYTHON;
	argv[i++] = SCRIPT;
	argv[i++] = "--port-file";
	argv[i++] = portfile;
	argv[i++] = "--maildir";
	argv[i++] = s->dir;
	argv[i++] = "--faults";
	argv[i++] = s->faults;
	if (auth != NULL) {
		argv[i++] = "--auth";
		argv[i++] = (char *)auth;
	}
	while (extra != NULL && *extra != NULL && i < 19)
		argv[i++] = *extra++;
	argv[i] = NULL;

	if ((s->pid = fork()) == -1)
		return -1;
	if (s->pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd != -1)
			dup2(fd, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	deadline = now_ms() + 15000;
	while (now_ms() < deadline) {
		char *text = tl_slurp(portfile, NULL);
		int st;

		if (text != NULL) {
			s->port = atoi(text);
			free(text);
			snprintf(s->url, sizeof(s->url), "smtp://127.0.0.1:%d",
			    s->port);
			return s->port > 0 ? 0 : -1;
		}
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		usleep(20000);
	}
	return -1;
}

static void
srv_stop(struct srv *s)
{
	int st;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, &st, 0);
	s->pid = 0;
}

static void
set_faults(struct srv *s, const char *json)
{
	char tmp[160];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->faults);
	fp = fopen(tmp, "w");
	assert_non_null(fp);
	fputs(json, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rename(tmp, s->faults), 0);
}

/* Lines of log.jsonl containing `needle`. */
static int
count_log(const struct srv *s, const char *needle)
{
	char path[160];
	char *text, *p;
	int n = 0;

	snprintf(path, sizeof(path), "%s/log.jsonl", s->dir);
	if ((text = tl_slurp(path, NULL)) == NULL)
		return 0;
	for (p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(text);
	return n;
}

#define CONNECTS(s)  count_log((s), "\"event\":\"connect\"")
#define MESSAGES(s)  count_log((s), "\"event\":\"message\"")

/* The stored bytes of message number k (0-based, in log order). */
static char *
stored_message(const struct srv *s, int k, size_t *len)
{
	char path[320];
	char *text, *p, *q, *out;

	snprintf(path, sizeof(path), "%s/log.jsonl", s->dir);
	text = tl_slurp(path, NULL);
	assert_non_null(text);
	p = text;
	for (;;) {
		p = strstr(p, "\"event\":\"message\"");
		assert_non_null(p);
		if (k-- == 0)
			break;
		p++;
	}
	p = strstr(p, "\"file\":\"");
	assert_non_null(p);
	p += strlen("\"file\":\"");
	q = strchr(p, '"');
	assert_non_null(q);
	snprintf(path, sizeof(path), "%s/new/%.*s", s->dir, (int)(q - p), p);
	free(text);
	out = tl_slurp(path, len);
	assert_non_null(out);
	return out;
}

static struct smtp *
session(const struct srv *s, const char *user, const char *pass, long timeout)
{
	struct endpoint ep = { .url = (char *)s->url, .username = (char *)user,
	    .auth = AUTH_PASSWORD };

	return smtp_new(&ep, pass, timeout);
}

static const char small_msg[] =
	"From: agenda@example.org\r\n"
	"To: ana@example.org\r\n"
	"Subject: test\r\n"
	"\r\n"
	".a line that begins with a dot\r\n"
	"..two dots\r\n"
	".\r\n"
	"a lone dot above, a dot at the end.\r\n"
	" .\r\n"
	"last line\r\n";

/* A message of about `size` bytes whose lines often begin with dots,
 * some of them at libcurl's 64 KiB upload-buffer boundaries. */
static char *
big_msg(size_t size, size_t *len)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;

	buf_adds(&b, "Subject: big\r\n\r\n");
	for (i = 0; b.len < size; i++) {
		if (i % 3 == 0)
			buf_adds(&b, ".");
		if (i % 7 == 0)
			buf_adds(&b, ".\r\n");
		buf_addf(&b, "line %zu of a long message, padded to look like "
		    "text .\r\n", i);
	}
	*len = b.len;
	return buf_detach(&b);
}

static enum dmn
send_one(struct smtp *c, const char *rcpt, const char *msg, size_t len,
    char **err)
{
	enum dmn r;

	*err = NULL;
	r = smtp_send(c, FROM, rcpt, msg, len, err);
	if (getenv("TEST_SMTP_DEBUG") != NULL)
		fprintf(stderr, "smtp_send -> %d %s\n", (int)r,
		    *err != NULL ? *err : "");
	return r;
}

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
	static struct fx f;
	char *check[] = { PYTHON, "-c", "import aiosmtpd", NULL };

	(void)state;
	fx = &f;
	if (access(PYTHON, X_OK) != 0 || access(SCRIPT, R_OK) != 0 ||
	    run_quiet(check) != 0) {
		fx->skip = 1;
		return 0;
	}
	snprintf(fx->tmp, sizeof(fx->tmp), "/tmp/convened-smtp.XXXXXX");
	if (mkdtemp(fx->tmp) == NULL)
		return -1;
	if (srv_start(&fx->plain, "plain", NULL, NULL) != 0 ||
	    srv_start(&fx->auth, "auth", "agenda:s3cret", NULL) != 0) {
		fprintf(stderr, "cannot start %s\n", SCRIPT);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	srv_stop(&fx->plain);
	srv_stop(&fx->auth);
	if (fx->tmp[0] != '\0')
		tl_rmtree(fx->tmp);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	if (fx->skip)
		return 0;
	set_faults(&fx->plain, "{}");
	set_faults(&fx->auth, "{}");
	return 0;
}

#define NEED_SERVER() do { if (fx->skip) skip(); } while (0)

/* ---- tests ---- */

/* Three messages, one connection, byte-exact (dots included), and QUIT
 * on smtp_free(). */
static void
test_batch_one_connection(void **state)
{
	struct srv *s = &fx->plain;
	int c0 = CONNECTS(s), m0 = MESSAGES(s);
	size_t blen, len;
	char *big = big_msg(300000, &blen);
	const char *msgs[3] = { small_msg, big, small_msg };
	size_t lens[3] = { sizeof(small_msg) - 1, blen, sizeof(small_msg) - 1 };
	struct smtp *c;
	char *err, *got;
	int i;
	long long t;

	(void)state;
	NEED_SERVER();
	c = session(s, NULL, NULL, 5);
	for (i = 0; i < 3; i++) {
		assert_int_equal(send_one(c, "ana@example.org", msgs[i], lens[i],
		    &err), DMN_OK);
		assert_null(err);
	}
	assert_int_equal(CONNECTS(s) - c0, 1);
	assert_int_equal(MESSAGES(s) - m0, 3);
	for (i = 0; i < 3; i++) {
		got = stored_message(s, m0 + i, &len);
		assert_int_equal(len, lens[i]);
		assert_memory_equal(got, msgs[i], len);
		free(got);
	}
	smtp_free(c);
	/* the server logs the disconnect once it has seen us go */
	for (t = now_ms(); now_ms() - t < 3000; usleep(20000)) {
		if (count_log(s, "\"quit\":true,\"messages\":3") == 1)
			break;
	}
	assert_int_equal(count_log(s, "\"quit\":true,\"messages\":3"), 1);
	free(big);
}

/* Two sessions with a message each in flight: both wait out the server's
 * one-second pause at the end of data together, each over its own
 * connection, each with its own envelope sender. */
static void
test_two_in_flight(void **state)
{
	struct srv *s = &fx->plain;
	int c0 = CONNECTS(s), m0 = MESSAGES(s);
	struct smtp *c[2];
	size_t which, seen = 0;
	char *err = NULL;
	long long t;
	int i;

	(void)state;
	NEED_SERVER();
	set_faults(s, "{\"eod\": {\"stall\": 1}}");
	c[0] = session(s, NULL, NULL, 5);
	c[1] = session(s, NULL, NULL, 5);
	t = now_ms();
	assert_int_equal(smtp_start(c[0], "one@example.org", "ana@example.org",
	    small_msg, sizeof(small_msg) - 1, &err), DMN_OK);
	assert_int_equal(smtp_start(c[1], "two@example.org", "luis@example.org",
	    small_msg, sizeof(small_msg) - 1, &err), DMN_OK);
	assert_int_equal(smtp_busy(c[0]), 1);
	for (i = 0; i < 2; i++) {
		assert_int_equal(smtp_wait(c, 2, &which, &err), DMN_OK);
		assert_null(err);
		assert_int_equal(smtp_busy(c[which]), 0);
		seen |= (size_t)1 << which;
	}
	assert_int_equal(seen, 3);
	assert_true(now_ms() - t < 1900);       /* not one after the other */
	assert_int_equal(CONNECTS(s) - c0, 2);
	assert_int_equal(MESSAGES(s) - m0, 2);
	assert_int_equal(count_log(s, "\"mail_from\":\"one@example.org\""), 1);
	assert_int_equal(count_log(s, "\"mail_from\":\"two@example.org\""), 1);
	/* and each session goes on alone */
	set_faults(s, "{}");
	assert_int_equal(send_one(c[1], "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	assert_int_equal(CONNECTS(s) - c0, 2);
	smtp_free(c[0]);
	smtp_free(c[1]);
}

static void
test_rcpt_refused(void **state)
{
	struct srv *s = &fx->plain;
	struct smtp *c;
	char *err;
	int m0 = MESSAGES(s);

	(void)state;
	NEED_SERVER();
	set_faults(s, "{\"rcpt\": {"
	    "\"bad@example.org\": \"550 5.1.1 no such user\","
	    "\"later@example.org\": \"451 4.3.0 try later\"}}");
	c = session(s, NULL, NULL, 5);
	assert_int_equal(send_one(c, "bad@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_MSG);
	assert_non_null(strstr(err, "550 5.1.1 no such user"));
	assert_non_null(strstr(err, "RCPT TO"));
	assert_non_null(strstr(err, "bad@example.org"));
	free(err);
	assert_int_equal(send_one(c, "later@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_TEMP);
	assert_non_null(strstr(err, "451 4.3.0 try later"));
	free(err);
	/* the other recipients are unaffected, on the same handle */
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	assert_int_equal(MESSAGES(s) - m0, 1);
	smtp_free(c);
}

static void
test_mail_data_eod_refused(void **state)
{
	static const struct {
		const char *faults;
		enum dmn want;
		const char *text;
	} t[] = {
		{ "{\"connect\": \"421 4.3.2 too busy\"}", DMN_TEMP,
		  "421 4.3.2 too busy" },
		{ "{\"connect\": \"554 5.7.1 go away\"}", DMN_BAD_ACCOUNT,
		  "554 5.7.1" },
		{ "{\"mail\": \"550 5.7.1 sender rejected\"}", DMN_BAD_MSG,
		  "MAIL FROM refused: 550 5.7.1 sender rejected" },
		{ "{\"mail\": \"452 4.3.1 insufficient storage\"}", DMN_TEMP,
		  "452 4.3.1" },
		{ "{\"mail\": \"530 5.7.0 authentication required\"}",
		  DMN_BAD_ACCOUNT, "530 5.7.0" },
		{ "{\"data\": \"452 4.3.1 full\"}", DMN_TEMP,
		  "DATA refused: 452 4.3.1 full" },
		{ "{\"data\": \"554 5.5.1 no valid recipients\"}", DMN_BAD_MSG,
		  "554 5.5.1" },
		{ "{\"eod\": \"554 5.6.0 message rejected\"}", DMN_BAD_MSG,
		  "end of data refused: 554 5.6.0 message rejected" },
		{ "{\"eod\": \"451 4.7.1 greylisted\"}", DMN_TEMP, "451 4.7.1" },
		{ "{\"eod\": {\"disconnect\": true}}", DMN_TEMP, "end of data" },
	};
	struct srv *s = &fx->plain;
	struct smtp *c;
	char *err;
	size_t i;
	int m0 = MESSAGES(s);

	(void)state;
	NEED_SERVER();
	c = session(s, NULL, NULL, 5);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		set_faults(s, t[i].faults);
		if (send_one(c, "ana@example.org", small_msg,
		    sizeof(small_msg) - 1, &err) != t[i].want ||
		    strstr(err, t[i].text) == NULL)
			fail_msg("%s: got \"%s\"", t[i].faults, err);
		free(err);
	}
	assert_int_equal(MESSAGES(s) - m0, 0);
	set_faults(s, "{}");
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	smtp_free(c);
}

/* The server closes the connection in the middle of the upload; the next
 * send opens a fresh connection and goes through. */
static void
test_disconnect_in_data(void **state)
{
	struct srv *s = &fx->plain;
	int c0 = CONNECTS(s), m0 = MESSAGES(s);
	size_t blen;
	char *big = big_msg(1000000, &blen);
	struct smtp *c;
	char *err;

	(void)state;
	NEED_SERVER();
	c = session(s, NULL, NULL, 5);
	set_faults(s, "{\"disconnect_in_data\": true}");
	assert_int_equal(send_one(c, "ana@example.org", big, blen, &err),
	    DMN_TEMP);
	assert_non_null(strstr(err, "ana@example.org"));
	free(err);
	set_faults(s, "{}");
	assert_int_equal(send_one(c, "ana@example.org", big, blen, &err),
	    DMN_OK);
	assert_int_equal(CONNECTS(s) - c0, 2);
	assert_int_equal(MESSAGES(s) - m0, 1);
	smtp_free(c);
	free(big);
}

static void
test_connection_refused(void **state)
{
	struct srv dead;
	struct smtp *c;
	char *err;

	(void)state;
	memset(&dead, 0, sizeof(dead));
	snprintf(dead.url, sizeof(dead.url), "smtp://127.0.0.1:%d",
	    tl_unused_port());
	c = session(&dead, NULL, NULL, 2);
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_TEMP);
	assert_non_null(strstr(err, "connect"));
	free(err);
	smtp_free(c);
}

static void
test_auth(void **state)
{
	struct srv *s = &fx->auth;
	struct smtp *c;
	char *err;
	int m0 = MESSAGES(s);

	(void)state;
	NEED_SERVER();
	c = session(s, "agenda", "wrong", 5);
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_ACCOUNT);
	assert_non_null(strstr(err, "535"));
	assert_null(strstr(err, "wrong"));
	free(err);
	smtp_free(c);

	/* no password: the server's 530 to MAIL is the account's problem */
	c = session(s, "agenda", NULL, 5);
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_ACCOUNT);
	assert_non_null(strstr(err, "530"));
	free(err);
	smtp_free(c);

	c = session(s, "agenda", "s3cret", 5);
	/* a temporary and a permanent AUTH failure, then the same handle
	 * reconnects and logs in */
	set_faults(s, "{\"auth\": \"454 4.7.0 temporary authentication "
	    "failure\"}");
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_TEMP);
	assert_non_null(strstr(err, "AUTH refused: 454"));
	free(err);
	set_faults(s, "{\"auth\": \"535 5.7.8 no\"}");
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_ACCOUNT);
	free(err);
	set_faults(s, "{}");
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	assert_int_equal(send_one(c, "luis@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	assert_int_equal(MESSAGES(s) - m0, 2);
	smtp_free(c);
}

/* A server that stops answering is given up on after the timeout, wherever
 * it stops: greeting, MAIL, end of data, and QUIT in smtp_free().  The
 * stall (30 s) is far longer than the timeout (2 s), so "gave up well
 * before the stall ended" holds on any machine, valgrind included; this
 * checks that the timeout works, not how fast anything is. */
static void
test_stall(void **state)
{
	static const char *const faults[] = {
		"{\"connect\": {\"stall\": 30}}",
		"{\"mail\": {\"stall\": 30}}",
		"{\"eod\": {\"stall\": 30}}",
	};
	struct srv *s = &fx->plain;
	struct smtp *c;
	char *err;
	long long t;
	size_t i;

	(void)state;
	NEED_SERVER();
	c = session(s, NULL, NULL, 2);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		set_faults(s, faults[i]);
		t = now_ms();
		if (send_one(c, "ana@example.org", small_msg,
		    sizeof(small_msg) - 1, &err) != DMN_TEMP)
			fail_msg("%s: got \"%s\"", faults[i], err);
		t = now_ms() - t;
		if (getenv("TEST_SMTP_DEBUG") != NULL)
			fprintf(stderr, "%s: %lld ms\n", faults[i], t);
		if (t < 1500 || t > 15000)
			fail_msg("%s: gave up after %lld ms", faults[i], t);
		assert_non_null(strstr(err, "imeout"));
		free(err);
	}
	set_faults(s, "{\"quit\": {\"stall\": 30}}");
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	t = now_ms();
	smtp_free(c);
	t = now_ms() - t;
	if (getenv("TEST_SMTP_DEBUG") != NULL)
		fprintf(stderr, "smtp_free on a stalled QUIT: %lld ms\n", t);
	if (t > 15000)
		fail_msg("smtp_free took %lld ms on a stalled QUIT", t);
}

/* tls = required on smtp:// and a server without STARTTLS: refuse to send
 * in clear. */
static void
test_starttls_missing(void **state)
{
	struct srv *s = &fx->plain;
	struct endpoint ep = { .url = s->url, .tls_required = 1 };
	struct smtp *c;
	char *err;
	int m0 = MESSAGES(s);

	(void)state;
	NEED_SERVER();
	c = smtp_new(&ep, NULL, 5);
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_ACCOUNT);
	assert_non_null(strstr(err, "SSL"));
	free(err);
	smtp_free(c);
	assert_int_equal(MESSAGES(s) - m0, 0);
}

/* STARTTLS and smtps against a self-signed certificate: refused without
 * it, accepted once CONVENED_CA_FILE names it. */
static void
test_tls(void **state)
{
	char cert[128], key[128], san[] = "subjectAltName=IP:127.0.0.1";
	char *gen[] = { "/usr/bin/openssl", "req", "-x509", "-newkey",
	    "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
	    "-addext", san, "-keyout", key, "-out", cert, NULL };
	char *starttls[] = { "--tls-cert", cert, "--tls-key", key, NULL };
	char *implicit[] = { "--tls-cert", cert, "--tls-key", key,
	    "--implicit-tls", NULL };
	struct srv st, im;
	struct endpoint ep = { .tls_required = 1 };
	struct smtp *c;
	char *err;
	int m0;

	(void)state;
	NEED_SERVER();
	snprintf(cert, sizeof(cert), "%s/cert.pem", fx->tmp);
	snprintf(key, sizeof(key), "%s/key.pem", fx->tmp);
	if (access(gen[0], X_OK) != 0 || run_quiet(gen) != 0)
		skip();
	memset(&st, 0, sizeof(st));
	memset(&im, 0, sizeof(im));
	assert_int_equal(srv_start(&st, "starttls", NULL, starttls), 0);
	assert_int_equal(srv_start(&im, "smtps", NULL, implicit), 0);
	snprintf(im.url, sizeof(im.url), "smtps://127.0.0.1:%d", im.port);

	unsetenv("CONVENED_CA_FILE");
	ep.url = st.url;
	c = smtp_new(&ep, NULL, 5);
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_ACCOUNT);
	free(err);
	smtp_free(c);
	ep.url = im.url;
	c = smtp_new(&ep, NULL, 5);
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_ACCOUNT);
	assert_non_null(strstr(err, "certificate"));
	free(err);
	smtp_free(c);

	setenv("CONVENED_CA_FILE", cert, 1);
	m0 = MESSAGES(&st);
	ep.url = st.url;
	c = smtp_new(&ep, NULL, 5);
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	assert_int_equal(send_one(c, "luis@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	smtp_free(c);
	assert_int_equal(MESSAGES(&st) - m0, 2);
	assert_int_equal(CONNECTS(&st), 2);
	m0 = MESSAGES(&im);
	ep.url = im.url;
	c = smtp_new(&ep, NULL, 5);
	assert_int_equal(send_one(c, "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_OK);
	smtp_free(c);
	assert_int_equal(MESSAGES(&im) - m0, 1);
	unsetenv("CONVENED_CA_FILE");
	srv_stop(&st);
	srv_stop(&im);
}

static void
test_bad_url_and_address(void **state)
{
	static const char *const urls[] = {
		"http://127.0.0.1:1/", "imap://127.0.0.1:1/", "smtp://[::1",
	};
	struct endpoint ep = { .tls_required = 0 };
	struct smtp *c;
	char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		ep.url = (char *)urls[i];
		c = smtp_new(&ep, NULL, 2);
		if (send_one(c, "ana@example.org", small_msg,
		    sizeof(small_msg) - 1, &err) != DMN_BAD_ACCOUNT)
			fail_msg("%s: got \"%s\"", urls[i], err);
		free(err);
		smtp_free(c);
	}
	/* addresses that would smuggle SMTP syntax never reach the wire */
	ep.url = "smtp://127.0.0.1:1";
	c = smtp_new(&ep, NULL, 2);
	assert_int_equal(send_one(c, "a@x>\r\nRCPT TO:<b@y", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_MSG);
	free(err);
	assert_int_equal(send_one(c, "", small_msg, sizeof(small_msg) - 1,
	    &err), DMN_BAD_MSG);
	free(err);
	assert_int_equal(smtp_send(c, "a b@x", "ana@example.org", small_msg,
	    sizeof(small_msg) - 1, &err), DMN_BAD_MSG);
	free(err);
	smtp_free(c);
	smtp_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_batch_one_connection, setup),
		cmocka_unit_test_setup(test_two_in_flight, setup),
		cmocka_unit_test_setup(test_rcpt_refused, setup),
		cmocka_unit_test_setup(test_mail_data_eod_refused, setup),
		cmocka_unit_test_setup(test_disconnect_in_data, setup),
		cmocka_unit_test_setup(test_connection_refused, setup),
		cmocka_unit_test_setup(test_auth, setup),
		cmocka_unit_test_setup(test_stall, setup),
		cmocka_unit_test_setup(test_starttls_missing, setup),
		cmocka_unit_test_setup(test_tls, setup),
		cmocka_unit_test_setup(test_bad_url_and_address, setup),
	};

	/* TEST_SMTP_DEBUG=1 shows the SMTP dialogue (log_debug) */
	if (getenv("TEST_SMTP_DEBUG") != NULL)
		log_init(1);
	/* a server that closes on us must not kill the test with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

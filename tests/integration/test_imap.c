/* test_imap.c: imap.c against a real Dovecot on loopback.
 *
 * tests/integration/dovecot.py runs the server: `serve` starts Dovecot in a
 * temporary directory and stays until SIGTERM (or until this process dies),
 * the other subcommands deliver messages, set flags from a second session,
 * list a folder's Maildir files with their flags, and give a folder a new
 * UIDVALIDITY.  Two servers: one as Dovecot comes, one without MOVE in its
 * CAPABILITY.  Every case skips when /usr/sbin/dovecot or Debian's
 * /usr/bin/python3 is missing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "imap.h"
#include "log.h"
#include "testlib.h"
#include "util.h"

#define PYTHON  "/usr/bin/python3"
#define DOVECOT "/usr/sbin/dovecot"
#define HARNESS "tests/integration/dovecot.py"
#define MAX     (10u << 20)

struct server {
	char    dir[PATH_MAX];
	pid_t   pid;
	int     port;
	int     seq;            /* folder names unique per test */
};

static struct server plain, nomove;
static char harness[PATH_MAX];
static int available;
static char *err;

#define OK(expr) do {							\
	enum dmn r_ = (expr);						\
	if (r_ != DMN_OK)						\
		fail_msg("%s gave %d: %s", #expr, (int)r_,		\
		    err != NULL ? err : "(no message)");		\
} while (0)

#define IS(expect, expr) do {						\
	enum dmn r_ = (expr);						\
	if (r_ != (expect))						\
		fail_msg("%s gave %d, not %d: %s", #expr, (int)r_,	\
		    (int)(expect), err != NULL ? err : "(no message)");	\
	free(err);							\
	err = NULL;							\
} while (0)

/* Run the harness with a command line built from fmt; its stdout (when
 * out is not NULL) comes back in *out.  Returns the exit status. */
static int
py(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
py(char **out, const char *fmt, ...)
{
	struct buf b = BUF_INIT(BUF_OWN);
	char *args, *cmd, chunk[4096];
	va_list ap;
	FILE *f;
	size_t n;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		abort();
	va_end(ap);
	cmd = xasprintf("%s %s %s", PYTHON, harness, args);
	free(args);
	if ((f = popen(cmd, "r")) == NULL)
		fail_msg("cannot run %s", cmd);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	st = pclose(f);
	free(cmd);
	if (out != NULL)
		*out = buf_detach(&b);
	buf_release(&b);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
server_start(struct server *s, const char *extra)
{
	const char *tmp = getenv("TMPDIR");
	char *portfile, *dirarg;
	FILE *f;
	int i, imap = 0, lmtp = 0;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(s->dir, sizeof(s->dir), "%s/convened-imap.XXXXXX", tmp);
	/* Dovecot's auth and login processes run as other users: they must
	 * get through to the passwd file and base_dir */
	if (mkdtemp(s->dir) == NULL || chmod(s->dir, 0711) != 0)
		return -1;
	portfile = xasprintf("%s/port", s->dir);
	dirarg = xasprintf("%s/dovecot", s->dir);
	if ((s->pid = fork()) == 0) {
		execl(PYTHON, PYTHON, harness, "serve", "--dir", dirarg,
		    "--users", "agenda,ana", "--password", "secret",
		    "--port-file", portfile, extra, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 300 && s->pid > 0; i++) {
		if ((f = fopen(portfile, "r")) != NULL) {
			int got = fscanf(f, "%d %d", &imap, &lmtp);

			fclose(f);
			if (got == 2)
				break;
		}
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			break;
		}
		usleep(50000);
	}
	free(portfile);
	free(dirarg);
	s->port = imap;
	return imap > 0 ? 0 : -1;
}

static void
server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);          /* it stops Dovecot, waits */
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->dir[0] != '\0') {
		tl_rmtree(s->dir);
		s->dir[0] = '\0';
	}
}

static int
group_setup(void **state)
{
	(void)state;
	log_init(getenv("IMAP_DEBUG") != NULL);
	if (access(DOVECOT, X_OK) != 0 || access(PYTHON, X_OK) != 0 ||
	    realpath(HARNESS, harness) == NULL)
		return 0;               /* each test skips */
	/* the harness's parent-death check must see us, not a shell */
	if (server_start(&plain, "--users=agenda,ana") < 0 ||
	    server_start(&nomove, "--no-move") < 0) {
		server_stop(&plain);
		server_stop(&nomove);
		fprintf(stderr, "dovecot did not start\n");
		return -1;
	}
	available = 1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	server_stop(&plain);
	server_stop(&nomove);
	return 0;
}

static struct imap *
session(const struct server *s, const char *password)
{
	struct endpoint ep;
	struct imap *m;
	char *url = xasprintf("imap://127.0.0.1:%d", s->port);

	ep.url = url;
	ep.username = "agenda";
	ep.password_file = NULL;
	ep.tls_required = 0;
	m = imap_new(&ep, password, 10);
	free(url);
	return m;
}

/* What message() and put() return, freed after each case by forget(). */
static char *kept[8];
static size_t nkept;

static char *
keep(char *p)
{
	assert_true(nkept < sizeof kept / sizeof kept[0]);
	return kept[nkept++] = p;
}

static int
forget(void **state)
{
	(void)state;
	while (nkept > 0)
		free(kept[--nkept]);
	return 0;
}

/* Put raw into the user's folder as a Maildir file; returns the file's
 * base name (until forget()), by which flagged() finds it again. */
static char *
put(const struct server *s, const char *folder, const char *raw, size_t n)
{
	char *path = xasprintf("%s/msg", s->dir), *out, *base, *nl;
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(raw, 1, n, f) != n || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	if (py(&out, "deliver-file --dir %s/dovecot --user agenda --folder %s "
	    "< %s", s->dir, folder, path) != 0)
		fail_msg("deliver-file failed");
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	base = xstrdup(strrchr(out, '/') != NULL ? strrchr(out, '/') + 1 : out);
	free(out);
	free(path);
	return keep(base);
}

/* Whether the message whose file name starts with base is in folder:
 * -1 when it is not, else 1 when flag is among its Maildir flags, 0 when
 * it is not (flag 0: none asked for). */
static int
flagged(const struct server *s, const char *folder, const char *base,
    char flag)
{
	char *out, *line, *save = NULL;
	char flags[64], name[512];
	long size;
	int res = -1;

	if (py(&out, "list --dir %s/dovecot --user agenda --folder %s",
	    s->dir, folder) != 0)
		fail_msg("list failed");
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63s %ld %511s", flags, &size, name) != 3)
			continue;
		if (strncmp(name, base, strlen(base)) == 0) {
			res = flag != '\0' && strcmp(flags, "-") != 0 &&
			    strchr(flags, flag) != NULL;
			break;
		}
	}
	free(out);
	return res;
}

/* A message with lines that look like IMAP responses and a body of about
 * body bytes, CRLF throughout; until forget(). */
static char *
message(const char *subject, size_t body)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;

	buf_addf(&b, "From: ana@example.org\r\nTo: agenda@example.org\r\n"
	    "Subject: %s\r\nMessage-ID: <%s@example.org>\r\n\r\n", subject,
	    subject);
	/* lines that look like IMAP responses, one of them long */
	buf_adds(&b, "A001 OK not really\r\n* 3 FETCH (FLAGS (\\Deleted))\r\n"
	    "{12}\r\n");
	/* short lines, then one line of half the body (CRLF only: the
	 * server would turn a bare LF into CRLF) */
	for (i = 0; i < body; i++) {
		if (i % 1000 == 999 && i < body / 2)
			buf_adds(&b, "\r\n");
		else
			buf_addc(&b, (char)('a' + i % 26));
	}
	buf_adds(&b, "\r\nend\r\n");
	return keep(buf_detach(&b));
}

static void
select_ok(struct imap *m, const char *folder, unsigned long *uv,
    unsigned long *next)
{
	unsigned long a, b;

	OK(imap_select(m, folder, uv != NULL ? uv : &a,
	    next != NULL ? next : &b, &err));
}

#define SKIP_UNLESS_AVAILABLE() do { if (!available) skip(); } while (0)

static void
test_select_uids_fetch(void **state)
{
	char *m1 = message("one", 100), *m2 = message("two", 400000);
	char *b1, *b2, *data = NULL;
	unsigned long uv, next, *uids = NULL;
	struct imap *m;
	size_t n, len;

	(void)state;
	SKIP_UNLESS_AVAILABLE();
	m = session(&plain, "secret");
	/* Dovecot numbers new/ in readdir order: one at a time */
	b1 = put(&plain, "INBOX", m1, strlen(m1));
	select_ok(m, "INBOX", &uv, &next);
	b2 = put(&plain, "INBOX", m2, strlen(m2));
	select_ok(m, "INBOX", &uv, &next);
	assert_true(uv > 0);
	assert_int_equal(next, 3);

	OK(imap_uids(m, 0, &uids, &n, &err));
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 1);
	assert_int_equal(uids[1], 2);
	free(uids);
	OK(imap_uids(m, 1, &uids, &n, &err));
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 2);
	free(uids);
	/* "3:*" returns message 2: filtered */
	OK(imap_uids(m, 2, &uids, &n, &err));
	assert_int_equal(n, 0);
	assert_null(uids);

	/* byte-exact, \Seen not set */
	OK(imap_fetch(m, 1, MAX, &data, &len, &err));
	assert_int_equal(len, strlen(m1));
	assert_memory_equal(data, m1, len);
	assert_int_equal(data[len], '\0');
	free(data);
	OK(imap_fetch(m, 2, MAX, &data, &len, &err));      /* chunked */
	assert_int_equal(len, strlen(m2));
	assert_memory_equal(data, m2, len);
	free(data);
	assert_int_equal(flagged(&plain, "INBOX", b1, 'S'), 0);
	assert_int_equal(flagged(&plain, "INBOX", b2, 'S'), 0);

	OK(imap_set_seen(m, 1, &err));
	assert_int_equal(flagged(&plain, "INBOX", b1, 'S'), 1);

	/* gone, too big */
	IS(DMN_BAD_MSG, imap_fetch(m, 99, MAX, &data, &len, &err));
	IS(DMN_BAD_MSG, imap_fetch(m, 2, 1000, &data, &len, &err));
	/* the session survives a refused command */
	OK(imap_fetch(m, 1, MAX, &data, &len, &err));
	assert_memory_equal(data, m1, len);
	free(data);

	imap_free(m);
}

/* Sizes, then bodies many to a command: byte-exact, within the batch's
 * bytes, what is too big or gone left for imap_fetch(). */
static void
test_batch(void **state)
{
	char *raw[4] = { message("b1", 100), message("b2", 40000),
	    message("b3", 20000), message("b4", 20000) };
	struct imap_msg msgs[5];
	char *b1 = NULL;
	struct imap *m;
	size_t i, upto;

	(void)state;
	SKIP_UNLESS_AVAILABLE();
	m = session(&plain, "secret");
	memset(msgs, 0, sizeof msgs);
	for (i = 0; i < 4; i++) {
		char *b = put(&plain, "Batch", raw[i], strlen(raw[i]));

		b1 = b1 != NULL ? b1 : b;
		select_ok(m, "Batch", NULL, NULL);
		msgs[i].uid = i + 1;
	}
	msgs[4].uid = 99;
	OK(imap_sizes(m, msgs, 5, &err));
	for (i = 0; i < 4; i++) {
		assert_int_equal(msgs[i].found, 1);
		assert_int_equal(msgs[i].size, strlen(raw[i]));
	}
	assert_int_equal(msgs[4].found, 0);

	/* 1 and 3 together; 2 is over 32 KiB; 4 would pass them */
	OK(imap_fetch_batch(m, msgs, 5, MAX, &upto, &err));
	assert_int_equal(upto, 3);
	assert_int_equal(msgs[0].len, strlen(raw[0]));
	assert_memory_equal(msgs[0].data, raw[0], msgs[0].len);
	assert_int_equal(msgs[0].data[msgs[0].len], '\0');
	assert_null(msgs[1].data);
	assert_int_equal(msgs[2].len, strlen(raw[2]));
	assert_memory_equal(msgs[2].data, raw[2], msgs[2].len);
	OK(imap_fetch_batch(m, msgs + 3, 2, MAX, &upto, &err));
	assert_int_equal(upto, 2);
	assert_memory_equal(msgs[3].data, raw[3], strlen(raw[3]));
	assert_null(msgs[4].data);
	for (i = 0; i < 5; i++) {
		free(msgs[i].data);
		msgs[i].data = NULL;
	}
	/* over max: not fetched */
	OK(imap_fetch_batch(m, msgs, 1, 50, &upto, &err));
	assert_int_equal(upto, 1);
	assert_null(msgs[0].data);
	assert_int_equal(flagged(&plain, "Batch", b1, 'S'), 0);
	imap_free(m);
}

static void
test_move(void **state)
{
	char *m1 = message("move", 50), *b1;
	unsigned long *uids = NULL;
	struct imap *m;
	size_t n;

	(void)state;
	SKIP_UNLESS_AVAILABLE();
	b1 = put(&plain, "Junk", m1, strlen(m1));
	m = session(&plain, "secret");
	select_ok(m, "Junk", NULL, NULL);
	OK(imap_uids(m, 0, &uids, &n, &err));
	assert_int_equal(n, 1);
	OK(imap_move(m, uids[0], "Processed", &err));  /* created on the way */
	assert_int_equal(flagged(&plain, "Junk", b1, 0), -1);
	assert_int_equal(flagged(&plain, "Processed", b1, 0), 0);
	free(uids);
	/* the folder is still selected: nothing left in it */
	OK(imap_uids(m, 0, &uids, &n, &err));
	assert_int_equal(n, 0);
	imap_free(m);
}

static void
test_move_without_move(void **state)
{
	char *m1 = message("copyme", 50), *m2 = message("keepme", 50);
	char *b1, *b2;
	unsigned long *uids = NULL;
	struct imap *m;
	size_t n;

	(void)state;
	SKIP_UNLESS_AVAILABLE();
	m = session(&nomove, "secret");
	b1 = put(&nomove, "INBOX", m1, strlen(m1));
	select_ok(m, "INBOX", NULL, NULL);
	b2 = put(&nomove, "INBOX", m2, strlen(m2));
	select_ok(m, "INBOX", NULL, NULL);
	OK(imap_uids(m, 0, &uids, &n, &err));
	assert_int_equal(n, 2);
	/* someone else marked the second one \Deleted */
	assert_int_equal(py(NULL, "flag --dir %s/dovecot --user agenda "
	    "--folder INBOX --uid %lu --flags '\\Deleted'", nomove.dir,
	    uids[1]), 0);
	assert_int_equal(flagged(&nomove, "INBOX", b2, 'T'), 1);

	OK(imap_move(m, uids[0], "Processed", &err));
	assert_int_equal(flagged(&nomove, "INBOX", b1, 0), -1);
	assert_int_equal(flagged(&nomove, "Processed", b1, 0), 0);
	/* survived */
	assert_int_equal(flagged(&nomove, "INBOX", b2, 'T'), 1);
	free(uids);
	imap_free(m);
}

static void
test_bad_folders(void **state)
{
	unsigned long uv, next;
	struct imap *m;

	(void)state;
	SKIP_UNLESS_AVAILABLE();
	m = session(&plain, "secret");
	IS(DMN_BAD_MSG, imap_select(m, "Nope", &uv, &next, &err));
	IS(DMN_BAD_MSG, imap_select(m, "a\"b", &uv, &next, &err));
	IS(DMN_BAD_MSG, imap_select(m, "a\\b", &uv, &next, &err));
	IS(DMN_BAD_MSG, imap_select(m, "a\r\nA1 LOGOUT", &uv, &next, &err));
	IS(DMN_BAD_MSG, imap_select(m, "Caf\xc3\xa9", &uv, &next, &err));
	IS(DMN_BAD_MSG, imap_select(m, "", &uv, &next, &err));
	select_ok(m, "INBOX", NULL, NULL);
	IS(DMN_BAD_MSG, imap_move(m, 1, "x\"y", &err));
	imap_free(m);
}

static void
test_wrong_password(void **state)
{
	unsigned long uv, next;
	struct imap *m;

	(void)state;
	SKIP_UNLESS_AVAILABLE();
	m = session(&plain, "wrong");
	IS(DMN_BAD_ACCOUNT, imap_select(m, "INBOX", &uv, &next, &err));
	imap_free(m);
}

static void
test_not_listening(void **state)
{
	struct server dead;
	unsigned long uv, next;
	struct imap *m;

	(void)state;
	memset(&dead, 0, sizeof(dead));
	dead.port = tl_unused_port();
	m = session(&dead, "secret");
	IS(DMN_TEMP, imap_select(m, "INBOX", &uv, &next, &err));
	imap_free(m);
}

static void
test_uidvalidity_change(void **state)
{
	char *m1 = message("uv", 10), *data;
	unsigned long uv1, uv2, next, *uids;
	struct imap *m, *m2;
	size_t n, len;

	(void)state;
	SKIP_UNLESS_AVAILABLE();
	(void)put(&plain, "Uv", m1, strlen(m1));
	m = session(&plain, "secret");
	select_ok(m, "Uv", &uv1, &next);
	assert_int_equal(py(NULL, "change-uidvalidity --dir %s/dovecot "
	    "--user agenda --folder Uv", plain.dir), 0);
	/* the old session reconnects under us and notices */
	IS(DMN_TEMP, imap_uids(m, 0, &uids, &n, &err));
	IS(DMN_TEMP, imap_fetch(m, 1, MAX, &data, &len, &err));
	select_ok(m, "Uv", &uv2, &next);
	assert_true(uv2 != uv1);
	OK(imap_uids(m, 0, &uids, &n, &err));
	assert_int_equal(n, 1);
	free(uids);
	imap_free(m);

	m2 = session(&plain, "secret");
	select_ok(m2, "Uv", &uv1, &next);
	assert_int_equal(uv1, uv2);
	imap_free(m2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_select_uids_fetch, forget),
		cmocka_unit_test_teardown(test_batch, forget),
		cmocka_unit_test_teardown(test_move, forget),
		cmocka_unit_test_teardown(test_move_without_move, forget),
		cmocka_unit_test(test_bad_folders),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_not_listening),
		cmocka_unit_test_teardown(test_uidvalidity_change, forget),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

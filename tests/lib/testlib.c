#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "config.h"
#include "token.h"
#include "cycle.h"
#include "harness.h"
#include "ical.h"
#include "plan.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

static const char global_fmt[] =
	"[daemon]\nstate = state.db\nrepository = repo\n"
	"templates = %s/templates\ntimezone = America/Santiago\n"
	"[organizer]\nname = Secretaría\nemail = agenda@example.org\n"
	"[smtp]\nurl = smtp://127.0.0.1:1\ntls = none\n"
	"[imap]\nurl = imap://127.0.0.1:1\nusername = u\n"
	"password_file = ./imap.pass\ntls = none\n%s";

void
tl_write(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

void
tl_rmtree(const char *dir)
{
	if (harness_rmtree(dir) != 0)
		fail_msg("cannot remove %s", dir);
}

int
tl_unused_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

int
tl_count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

char *
tl_shared(const char *sub)
{
	const char *sh = getenv("SHARED");
	struct stat st;
	char *d;

	d = sh && *sh ? xasprintf("%s/%s", sh, sub) :
	    xasprintf("../shared/%s", sub);
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	free(d);
	return NULL;
}

char *
tl_slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT(BUF_OWN);
	int fd = open(path, O_RDONLY);

	if (fd == -1)
		return NULL;
	assert_int_equal(buf_read(&b, fd), 0);
	close(fd);
	if (len != NULL)
		*len = b.len;
	return buf_detach(&b);
}

long long
tl_utc(const char *when)
{
	struct ical_local lt;

	assert_int_equal(ical_parse_local(when, 0, &lt), 0);
	return ical_local_to_utc(&lt, "UTC");
}

void
tl_ws_init(struct tl_ws *ws, const char *tag, const char *extra)
{
	char cwd[4096], *p, *text, *err = NULL;

	memset(ws, 0, sizeof *ws);
	snprintf(ws->dir, sizeof ws->dir, "/tmp/convened-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(ws->dir));
	assert_non_null(getcwd(cwd, sizeof cwd));
	ws->global = xasprintf("%s/convened.ini", ws->dir);
	text = xasprintf(global_fmt, cwd, extra ? extra : "");
	tl_write(ws->global, text, 0644);
	free(text);
	p = xasprintf("%s/imap.pass", ws->dir);
	tl_write(p, "x\n", 0600);
	free(p);
	p = xasprintf("%s/groups.d", ws->dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/state.db", ws->dir);
	ws->st = store_open(p, &err);
	if (ws->st == NULL)
		fail_msg("%s", err);
	free(p);
}

void
tl_ws_group(struct tl_ws *ws, const char *file, const char *text)
{
	char *p = xasprintf("%s/groups.d/%s", ws->dir, file);

	tl_write(p, text, 0644);
	free(p);
	tl_ws_reload(ws);
}

void
tl_ws_global_add(struct tl_ws *ws, const char *text)
{
	FILE *fp = fopen(ws->global, "a");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	tl_ws_reload(ws);
}

void
tl_ws_reload(struct tl_ws *ws)
{
	struct diag d;
	size_t i;
	char *err = NULL;

	config_free(ws->cfg);
	diag_init(&d);
	ws->cfg = config_load(ws->global, &d);
	for (i = 0; i < d.n; i++)
		print_message("%s\n", d.text[i]);
	diag_free(&d);
	assert_non_null(ws->cfg);
	/* As the daemon: the key beside the state database, made once. */
	if (token_key_load(ws->cfg->trust_key_file, 1, &ws->cfg->trust_key,
	    &err) == -1)
		fail_msg("%s", err);
}

void
tl_ws_free(struct tl_ws *ws)
{
	store_close(ws->st);
	config_free(ws->cfg);
	tl_rmtree(ws->dir);
	free(ws->global);
	memset(ws, 0, sizeof *ws);
}

void
tl_ws_planned(struct tl_ws *ws, const char *tag, const char *luis_extra)
{
	char *text;

	tl_ws_init(ws, tag, NULL);
	text = xasprintf("[group]\nid = ss\nname = Sur-Sur\nkind = discussion\n"
	    "timezone = America/Montevideo\n"
	    "[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	    "coordinator = yes\n"
	    "[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	    "coordinator = yes\n%s"
	    "[member kim@gov.example.bb]\nname = Kim\nrole = ministry\n"
	    "[series monthly]\nsummary = Mensual\nstart = 2021-02-17 15:00\n"
	    "duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n"
	    "invitation = occurrence\n", luis_extra);
	tl_ws_group(ws, "10-ss.ini", text);
	free(text);
	assert_int_equal(tl_step(ws, "plan", plan_group, "2021-03-01 12:00"), 3);
}

int
tl_step(struct tl_ws *ws, const char *name, cycle_group_fn *step,
    const char *when)
{
	struct cycle_stats cs;
	struct cycle_ctx c = { ws->cfg, ws->st, tl_utc(when), &cs, NULL, NULL };
	char *err = NULL;

	memset(&cs, 0, sizeof cs);
	if (cycle_groups(&c, name, step, &err) == -1)
		fail_msg("%s", err);
	assert_int_equal(cs.groups_failed, 0);
	return cs.queued;
}

char *
tl_meeting(struct tl_ws *ws, const char *gid, const char *series,
    const char *key, long long start, int cancelled)
{
	const struct group *g = config_group(ws->cfg, gid);
	const struct series *s;
	struct store_meeting_in in;
	char *err = NULL;

	assert_non_null(g);
	assert_non_null(s = config_series(g, series));
	assert_int_equal(store_group_sync(ws->st, gid, g->name, start, &err), 0);
	memset(&in, 0, sizeof in);
	in.uid = plan_uid(ws->cfg, gid, series, key);
	in.group_id = gid;
	in.series = series;
	in.orig_start = in.start = start;
	in.end = start + 60LL * s->duration;
	in.tzid = s->timezone;
	in.summary = s->summary;
	in.location = s->location;
	in.kind = config_meeting_kind_name(s->kind);
	in.sequence = in.content_seq = cancelled;
	in.cancelled = cancelled;
	assert_int_equal(store_meeting_upsert(ws->st, &in, &err), 0);
	return (char *)in.uid;
}

int
tl_setup_ws(void **state, const char *extra)
{
	struct tl_ws *ws = xcalloc(1, sizeof *ws);

	tl_ws_init(ws, "ws", extra);
	*state = ws;
	return 0;
}

int
tl_setup_planned(void **state)
{
	struct tl_ws *ws = xcalloc(1, sizeof *ws);

	tl_ws_planned(ws, "planned", "language = en\n");
	*state = ws;
	return 0;
}

int
tl_teardown(void **state)
{
	tl_ws_free(*state);
	free(*state);
	return 0;
}

/* Every row, due or not: nothing is sent in unit tests. */
static struct store_outbox *
all_rows(struct tl_ws *ws, size_t *n)
{
	struct store_outbox *o = NULL;
	char *err = NULL;
	size_t i;

	assert_int_equal(store_outbox_due(ws->st, tl_utc("2100-01-01 00:00"),
	    1000000, &o, n, &err), 0);
	for (i = 0; i < *n; i++)
		assert_int_equal(store_outbox_text(ws->st, &o[i], &err), 1);
	return o;
}

static int
row_is(const struct store_outbox *o, const char *group, const char *kind,
    const char *rcpt)
{
	return (group == NULL || (o->group_id != NULL &&
	    strcmp(o->group_id, group) == 0)) &&
	    (kind == NULL || strcmp(o->kind, kind) == 0) &&
	    (rcpt == NULL || strcmp(o->recipient, rcpt) == 0);
}

struct store_outbox *
tl_outbox_new(struct tl_ws *ws, size_t *n)
{
	struct store_outbox *rows, *fresh;
	size_t nrows = 0, i, k = 0;

	rows = all_rows(ws, &nrows);
	fresh = xcalloc(nrows + 1, sizeof *fresh);
	for (i = 0; i < nrows; i++) {
		if (rows[i].id <= ws->seen)
			continue;
		fresh[k++] = rows[i];
		memset(&rows[i], 0, sizeof rows[i]);
	}
	for (i = 0; i < k; i++)
		if (fresh[i].id > ws->seen)
			ws->seen = fresh[i].id;
	store_outbox_free(rows, nrows);
	*n = k;
	return fresh;
}

long long
tl_outbox_add(struct tl_ws *ws, const char *message_id, const char *rcpt,
    long long now)
{
	struct store_outbox_in in;
	struct store_outbox *o;
	char *err = NULL;
	size_t n = 0, i;
	long long id = 0;

	memset(&in, 0, sizeof in);
	in.message_id = message_id;
	in.kind = "invite";
	in.recipient = rcpt;
	in.data = "Subject: x\r\n\r\nhello\r\n";
	in.len = strlen(in.data);
	in.now = now;
	assert_int_equal(store_outbox_add(ws->st, &in, &err), 1);
	o = all_rows(ws, &n);
	for (i = 0; i < n; i++)
		if (strcmp(o[i].message_id, message_id) == 0)
			id = o[i].id;
	store_outbox_free(o, n);
	assert_true(id > 0);
	return id;
}

size_t
tl_outbox_count(struct tl_ws *ws, const char *group, const char *kind,
    const char *rcpt)
{
	struct store_outbox *o;
	size_t n = 0, i, k = 0;

	o = all_rows(ws, &n);
	for (i = 0; i < n; i++)
		k += row_is(&o[i], group, kind, rcpt);
	store_outbox_free(o, n);
	return k;
}

char *
tl_outbox_one(struct tl_ws *ws, const char *kind, const char *rcpt)
{
	struct store_outbox *o;
	size_t n = 0, i, k = 0;
	char *data = NULL;

	o = all_rows(ws, &n);
	for (i = 0; i < n; i++)
		if (row_is(&o[i], NULL, kind, rcpt) && k++ == 0)
			data = xstrdup(o[i].data);
	store_outbox_free(o, n);
	if (k != 1)
		fail_msg("%zu %s messages to %s, not one", k, kind, rcpt);
	return data;
}

char *
tl_outbox_text(struct tl_ws *ws, const char *kind, const char *rcpt)
{
	struct verdict *v = NULL;
	char *data = tl_outbox_one(ws, kind, rcpt), *text;

	classify(data, strlen(data), &v);
	assert_non_null(v->msg);
	assert_non_null(v->msg->text);
	text = xstrdup(v->msg->text);
	verdict_free(v);
	free(data);
	return text;
}

static int saved_stderr = -1;

void
tl_log_begin(struct tl_ws *ws)
{
	char *p = xasprintf("%s/log", ws->dir);
	int fd;

	assert_int_equal(saved_stderr, -1);
	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved_stderr >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	free(p);
}

char *
tl_log_end(struct tl_ws *ws)
{
	char *p = xasprintf("%s/log", ws->dir), *log;

	fflush(stderr);
	assert_int_equal(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	saved_stderr = -1;
	log = tl_slurp(p, NULL);
	assert_non_null(log);
	free(p);
	fputs(log, stderr);         /* still seen when the test fails */
	return log;
}

int
tl_count_files(const char *dir, const char *sub)
{
	char *cmd = xasprintf("find '%s%s%s' -type f 2>/dev/null | wc -l", dir,
	    sub ? "/" : "", sub ? sub : "");
	FILE *p = popen(cmd, "r");
	int n = -1;

	free(cmd);
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

char *
tl_reply_to(struct tl_ws *ws, int kind, const char *scope, const char *addr)
{
	char tok[TOKEN_LEN + 1];

	token_build(&ws->cfg->trust_key, kind == 'm' ? TOKEN_MEETING :
	    kind == 'h' ? TOKEN_HELD : TOKEN_GROUP, scope, addr, tok);
	return xasprintf("agenda+%s@example.org", tok);
}

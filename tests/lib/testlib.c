#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "config.h"
#include "cycle.h"
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
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT(BUF_OWN);
	char chunk[8192];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	*len = b.len;
	if (b.data == NULL)
		buf_adds(&b, "");
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
	struct diag d;
	size_t i;

	tl_write(p, text, 0644);
	free(p);
	config_free(ws->cfg);
	diag_init(&d);
	ws->cfg = config_load(ws->global, &d);
	for (i = 0; i < d.n; i++)
		print_message("%s\n", d.text[i]);
	diag_free(&d);
	assert_non_null(ws->cfg);
}

void
tl_ws_free(struct tl_ws *ws)
{
	char *cmd = xasprintf("rm -rf '%s'", ws->dir);

	store_close(ws->st);
	config_free(ws->cfg);
	assert_int_equal(system(cmd), 0);
	free(cmd);
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
	    "duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n", luis_extra);
	tl_ws_group(ws, "10-ss.ini", text);
	free(text);
	assert_int_equal(tl_step(ws, "plan", plan_group, "2021-03-01 12:00"), 3);
}

int
tl_step(struct tl_ws *ws, const char *name, cycle_group_fn *step,
    const char *when)
{
	struct cycle_stats cs;
	struct cycle_ctx c = { ws->cfg, ws->st, tl_utc(when), &cs };
	char *err = NULL;

	memset(&cs, 0, sizeof cs);
	if (cycle_groups(&c, name, step, &err) == -1)
		fail_msg("%s", err);
	assert_int_equal(cs.groups_failed, 0);
	return cs.queued;
}

/* Every row, due or not: nothing is sent in unit tests. */
static struct store_outbox *
all_rows(struct tl_ws *ws, size_t *n)
{
	struct store_outbox *o = NULL;
	char *err = NULL;

	assert_int_equal(store_outbox_due(ws->st, tl_utc("2100-01-01 00:00"),
	    1000000, &o, n, &err), 0);
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
	char *p = xasprintf("%s/log", ws->dir), chunk[4096];
	struct buf b = BUF_INIT(BUF_OWN);
	size_t n;
	FILE *fp;

	fflush(stderr);
	assert_int_equal(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	saved_stderr = -1;
	fp = fopen(p, "r");
	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	fclose(fp);
	free(p);
	buf_addc(&b, '\0');
	fputs(b.data, stderr);      /* still seen when the test fails */
	return buf_detach(&b);
}

/* harness.c: the fuzz targets' work on one input (harness.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "config.h"
#include "harness.h"
#include "ical.h"
#include "template.h"
#include "util.h"

static char why[512];

static const char *problem(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static const char *
problem(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return why;
}

static void die(const char *, ...) __attribute__((format(printf, 1, 2),
    noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("harness: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	abort();
}

/* A new directory under the first of $FUZZ_TMPDIR, /dev/shm (when it can
 * be written), $TMPDIR and /tmp: memory rather than disk when there is
 * some, since every input is written again. */
static char *
temp_dir(const char *tag)
{
	const char *base = getenv("FUZZ_TMPDIR");
	char *dir;

	if (base == NULL && access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	if (base == NULL && (base = getenv("TMPDIR")) == NULL)
		base = "/tmp";
	dir = xasprintf("%s/convened-fuzz-%s.XXXXXX", base, tag);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp %s", dir);
	return dir;
}

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
harness_rmtree(const char *dir)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

static char *
sub_dir(const char *parent, const char *name)
{
	char *dir = xasprintf("%s/%s", parent, name);

	if (mkdir(dir, 0700) == -1)
		die("mkdir %s", dir);
	return dir;
}

static void
put(const char *path, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		die("open %s", path);
	for (; len > 0; p += n, len -= (size_t)n)
		if ((n = write(fd, p, len)) <= 0)
			die("write %s", path);
	close(fd);
}

/* ---- classify ---------------------------------------------------------- */

const char *
harness_classify_one(const char *data, size_t size, struct verdict **out)
{
	struct verdict *v = NULL;
	const unsigned char *p;
	const char *bad = NULL;
	char *json;

	if (classify(data, size, &v) != 0 || v == NULL)
		return problem("classify: no verdict");
	if ((unsigned)v->kind > VERDICT_MALFORMED)
		bad = problem("classify: kind %d out of range", (int)v->kind);
	json = verdict_json(v);
	if (bad == NULL && (json == NULL || json[0] != '{' ||
	    json[strlen(json) - 1] != '}' || !str_is_utf8(json)))
		bad = problem("verdict_json: not an object: %.400s",
		    json != NULL ? json : "(null)");
	for (p = (const unsigned char *)json; bad == NULL && p != NULL &&
	    *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			bad = problem("verdict_json: control byte 0x%02x", *p);
	free(json);
	if (out != NULL)
		*out = v;
	else
		verdict_free(v);
	return bad;
}

static void *
classify_init(void)
{
	static const char msg[] = "From: a@example.org\r\n"
	    "Subject: x\r\n\r\nbody\r\n";

	/* GMime and libical keep global state: the first message sets it
	 * up, once, outside any input. */
	(void)harness_classify_one(msg, sizeof msg - 1, NULL);
	return NULL;
}

static const char *
classify_one(void *state, const char *data, size_t size)
{
	(void)state;
	return harness_classify_one(data, size, NULL);
}

static void
classify_done(void *state)
{
	(void)state;
}

const struct harness_target harness_classify = {
	"classify", classify_init, classify_one, classify_done
};

/* ---- config ------------------------------------------------------------ */

static const char global_fixed[] =
    "[daemon]\n"
    "timezone = America/Santiago\n"
    "language = es\n"
    "[organizer]\n"
    "name = Secretaria\n"
    "email = agenda@conferencia.example.org\n"
    "[smtp]\n"
    "url = smtp://127.0.0.1:25\n"
    "tls = none\n"
    "[imap]\n"
    "url = imaps://imap.example.org\n"
    "username = agenda@conferencia.example.org\n"
    "password_file = imap.pass\n"
    "folders = INBOX\n"
    "[policy]\n"
    "annual_quota = 3\n";

struct config_files {
	char *dir, *global, *groups, *group;
};

static void *
config_init(void)
{
	struct config_files *c = xcalloc(1, sizeof *c);

	c->dir = temp_dir("config");
	c->global = xasprintf("%s/convened.ini", c->dir);
	c->groups = sub_dir(c->dir, "groups.d");
	c->group = xasprintf("%s/g.ini", c->groups);
	/* A credential name in password_file is checked only under
	 * systemd; keep the run the same wherever it happens. */
	unsetenv("CREDENTIALS_DIRECTORY");
	return c;
}

static void
config_done(void *state)
{
	struct config_files *c = state;

	(void)harness_rmtree(c->dir);
	free(c->group);
	free(c->groups);
	free(c->global);
	free(c->dir);
	free(c);
}

static int
has_group_line(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		if ((size_t)(end - p) >= 7 && memcmp(p, "[group]", 7) == 0)
			return 1;
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return 0;
		p++;
	}
	return 0;
}

/* What the daemon does with a loaded configuration, minus the network. */
static void
use(const struct config *cfg)
{
	const long long from = 1577836800LL;    /* 2020-01-01 */
	const long long to = from + 3 * 366 * DAY;
	const char *reason;
	size_t i, j;

	for (i = 0; i < cfg->ngroups; i++) {
		const struct group *g = &cfg->groups[i];

		(void)config_coordination_ok(g, &reason);
		(void)config_group(cfg, g->id);
		for (j = 0; j < g->nmembers; j++) {
			(void)config_member_language(g, &g->members[j]);
			(void)config_member_timezone(g, &g->members[j]);
		}
		for (j = 0; j < g->nseries; j++) {
			const struct series *s = &g->series[j];
			struct ical_occurrence *occ = NULL;
			size_t nocc = 0;
			char *err = NULL;

			if (ical_expand(s->start, s->timezone, s->duration,
			    s->rrule, s->exdate, s->nexdate, from, to, 1000,
			    &occ, &nocc, &err) == -1)
				free(err);
			free(occ);
		}
	}
}

static const char *
config_one(void *state, const char *data, size_t size)
{
	struct config_files *c = state;
	const char *sep, *bad = NULL;
	struct config *cfg;
	struct diag d;
	size_t i;

	sep = memmem(data, size, HARNESS_CONFIG_SEP,
	    sizeof HARNESS_CONFIG_SEP - 1);
	if (sep != NULL) {
		put(c->global, data, (size_t)(sep - data) + 1);
		sep += sizeof HARNESS_CONFIG_SEP - 1;
		put(c->group, sep, size - (size_t)(sep - data));
	} else if (has_group_line(data, size)) {
		put(c->global, global_fixed, sizeof global_fixed - 1);
		put(c->group, data, size);
	} else {
		put(c->global, data, size);
		unlink(c->group);
	}

	diag_init(&d);
	cfg = config_load(c->global, &d);
	for (i = 0; bad == NULL && i < d.n; i++)
		if (d.text[i] == NULL || strchr(d.text[i], '\n') != NULL)
			bad = problem("config_load: diag %zu is not one line", i);
	if (bad == NULL && (cfg == NULL) != (d.nerrors > 0))
		bad = problem("config_load: %zu errors but config %p",
		    d.nerrors, (void *)cfg);
	if (cfg != NULL)
		use(cfg);
	config_free(cfg);
	diag_free(&d);
	return bad;
}

const struct harness_target harness_config = {
	"config", config_init, config_one, config_done
};

/* ---- template ---------------------------------------------------------- */

static const char *const values[] = {
	"Ana Pérez", "line one\r\nline two\rthree\nfour",
	"{{summary}} {{#agenda}}x{{/agenda}}", "\xff\xfe invalid \xc3",
	"sep\xe2\x80\xa8par\xe2\x80\xa9", "tab\there\x01\x1f\x7f",
	"c1 \xc2\x85\xc2\x9b", "", "   ", "\xed\xa0\x80 surrogate",
	"\xf4\x90\x80\x80 too high", "\xe0\x80\xaf overlong",
};
#define NVALUES (sizeof values / sizeof values[0])
#define MAXVARS 64

static char *
kind_path(const char *dir, size_t k)
{
	return xasprintf("%s/en/%s.txt", dir, template_kinds[k]);
}

struct template_files {
	char          *dir, *local, *shipped, *input;
	size_t         nkinds, cur;    /* template kinds; the input's kind */
	struct config *cfg;            /* as the daemon's loader leaves it */
};

static void *
template_init(void)
{
	static const char minimal[] = "Subject: {{group_id}}\n\nx\n";
	struct template_files *t = xcalloc(1, sizeof *t);
	char *p;

	t->dir = temp_dir("template");
	t->local = sub_dir(t->dir, "local");
	t->shipped = sub_dir(t->dir, "shipped");
	free(sub_dir(t->local, "en"));
	free(sub_dir(t->shipped, "en"));
	for (t->nkinds = 0; template_kinds[t->nkinds] != NULL; t->nkinds++) {
		p = kind_path(t->shipped, t->nkinds);
		put(p, minimal, sizeof minimal - 1);
		free(p);
	}
	t->input = kind_path(t->local, t->cur);
	t->cfg = xcalloc(1, sizeof *t->cfg);
	t->cfg->templates = xstrdup(t->shipped);
	t->cfg->templates_local = xstrdup(t->local);
	t->cfg->language = xstrdup("en");
	return t;
}

static void
template_done(void *state)
{
	struct template_files *t = state;

	(void)harness_rmtree(t->dir);
	free(t->input);
	free(t->local);
	free(t->shipped);
	free(t->dir);
	config_free(t->cfg);
	free(t);
}

/* A variable for every name the input's tags use ({{name}}, {{#name}},
 * {{/name}}), each a value of values[] picked by its place and by salt.
 * The names are allocated: free vars[i].name. */
static size_t
tag_vars(const char *data, size_t size, size_t salt, struct tvar *vars)
{
	const char *p = data, *end = data + size, *name;
	size_t n = 0;

	while (n < MAXVARS && (p = memmem(p, (size_t)(end - p), "{{", 2))) {
		for (p += 2; p < end && (*p == ' ' || *p == '#' || *p == '/');
		    p++)
			;
		for (name = p; p < end && (*p == '_' || (*p >= 'a' &&
		    *p <= 'z')); p++)
			;
		if (p == name)
			continue;
		vars[n].name = xstrndup(name, (size_t)(p - name));
		vars[n].value = values[(n + salt) % NVALUES];
		n++;
	}
	return n;
}

/* Render the input's kind with vars: NULL when sane, *refused set when
 * template_render() said no. */
static const char *
render(struct template_files *t, const struct tvar *vars, size_t nvars,
    int *refused)
{
	static const char *const langs[] = { "fr", "en" };
	const char *kind = template_kinds[t->cur], *bad = NULL;
	char *subject = NULL, *body = NULL, *err = NULL;

	*refused = template_render(t->cfg, langs, 2, kind, vars, nvars,
	    &subject, &body, &err) == -1;
	if (*refused && (err == NULL || strchr(err, '\n') != NULL))
		bad = problem("template_render %s: bad error", kind);
	else if (!*refused && (subject == NULL || body == NULL ||
	    strpbrk(subject, "\r\n") != NULL || !str_is_utf8(subject) ||
	    !str_is_utf8(body)))
		bad = problem("template_render %s: subject '%.200s' body "
		    "'%.200s'", kind, subject ? subject : "(null)",
		    body ? body : "(null)");
	free(err);
	free(subject);
	free(body);
	return bad;
}

static const char *
template_one(void *state, const char *data, size_t size)
{
	struct template_files *t = state;
	struct tvar vars[MAXVARS];
	const char *bad;
	struct diag d;
	size_t nvars, i;
	int clean, refused;

	if (size % t->nkinds != t->cur) {
		unlink(t->input);
		free(t->input);
		t->cur = size % t->nkinds;
		t->input = kind_path(t->local, t->cur);
	}
	put(t->input, data, size);
	diag_init(&d);
	template_check(t->cfg, &d);
	clean = d.nerrors == 0;
	diag_free(&d);

	nvars = tag_vars(data, size, size / t->nkinds, vars);
	bad = render(t, vars, nvars, &refused);
	for (i = 0; i < nvars; i++)
		free((char *)vars[i].name);
	if (bad == NULL && refused && clean)
		bad = problem("template_check accepts what template_render "
		    "refuses (%s)", template_kinds[t->cur]);
	if (bad == NULL)
		bad = render(t, NULL, 0, &refused);
	return bad;
}

const struct harness_target harness_template = {
	"template", template_init, template_one, template_done
};
